"""dtype objects and PyTorch's type-promotion rules."""
from ._backend import np, bfloat16 as _np_bfloat16

_CATEGORY_BOOL, _CATEGORY_INT, _CATEGORY_FLOAT, _CATEGORY_COMPLEX = 0, 1, 2, 3


class dtype:
    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex",
                 "is_signed", "category", "_rank", "__weakref__")

    def __init__(self, name, np_dtype, category, rank, signed=True):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_floating_point = category == _CATEGORY_FLOAT
        self.is_complex = category == _CATEGORY_COMPLEX
        self.is_signed = signed
        self._rank = rank

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def to_complex(self):
        return {"float16": complex64, "float32": complex64, "float64": complex128}.get(self.name, self)

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)


bool = dtype("bool", np.bool_, _CATEGORY_BOOL, 0, signed=False)
uint8 = dtype("uint8", np.uint8, _CATEGORY_INT, 1, signed=False)
int8 = dtype("int8", np.int8, _CATEGORY_INT, 2)
int16 = dtype("int16", np.int16, _CATEGORY_INT, 3)
int32 = dtype("int32", np.int32, _CATEGORY_INT, 4)
int64 = dtype("int64", np.int64, _CATEGORY_INT, 5)
float16 = dtype("float16", np.float16, _CATEGORY_FLOAT, 6)
bfloat16 = dtype("bfloat16", _np_bfloat16 if _np_bfloat16 is not None else np.float32,
                 _CATEGORY_FLOAT, 7)
float32 = dtype("float32", np.float32, _CATEGORY_FLOAT, 8)
float64 = dtype("float64", np.float64, _CATEGORY_FLOAT, 9)
complex64 = dtype("complex64", np.complex64, _CATEGORY_COMPLEX, 10)
complex128 = dtype("complex128", np.complex128, _CATEGORY_COMPLEX, 11)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128)
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, long=int64, int=int32,
                short=int16, cfloat=complex64, cdouble=complex128)
_BY_NP = {d.np: d for d in ALL}


def _dtype_by_name(name):
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; TypeError for ones PyTorch lacks."""
    try:
        return _BY_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np.dtype(np_dtype).name}. The only "
            "supported types are: float64, float32, float16, complex64, complex128, int64, "
            "int32, int16, int8, uint8, and bool.") from None


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or d not in (float16, bfloat16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type")
    _default[0] = d


def _build_promotion_table():
    # PyTorch's lattice: within a category take the wider; across categories the
    # higher category wins, except the quirks below (uint8 with signed ints,
    # float16 with bfloat16) which have no common narrower type.
    table = {}
    for a in ALL:
        for b in ALL:
            if a is b:
                r = a
            elif a.category != b.category:
                hi, lo = (a, b) if a.category > b.category else (b, a)
                r = hi
                if hi.is_complex and lo is float64:
                    r = complex128
            elif a.category == _CATEGORY_INT:
                if uint8 in (a, b):
                    other = b if a is uint8 else a
                    r = int16 if other is int8 else other
                else:
                    r = a if a._rank > b._rank else b
            elif {a, b} == {float16, bfloat16}:
                r = float32
            else:
                r = a if a._rank > b._rank else b
            table[a, b] = r
    return table


_PROMOTE = _build_promotion_table()


def promote_types(a, b):
    return _PROMOTE[a, b]


def _scalar_dtype(x):
    t = type(x)
    if t is float:
        return _default[0]
    if t is int:
        return int64
    if t is _pybool:
        return bool
    if t is complex:
        return complex128 if _default[0] is float64 else complex64
    if isinstance(x, _pybool) or isinstance(x, np.bool_):
        return bool
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return _default[0]
    if isinstance(x, (complex, np.complexfloating)):
        return complex128 if _default[0] is float64 else complex64
    raise TypeError(f"unsupported scalar type {type(x).__name__}")


_pybool = type(True)


def _combine(higher, lower):
    # How a lower-priority group (0-dim tensors, Python scalars) can still lift
    # the result: only by being of a higher category.
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return _PROMOTE[higher, lower]
    return higher


def result_type(*operands):
    """PyTorch's result type of tensors (by dimension priority) and scalars."""
    dim_r = zero_r = wrapped_r = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype) and hasattr(x, "dim"):
            if x.dim() > 0:
                dim_r = d if dim_r is None else _PROMOTE[dim_r, d]
            else:
                zero_r = d if zero_r is None else _PROMOTE[zero_r, d]
        elif isinstance(x, dtype):
            dim_r = x if dim_r is None else _PROMOTE[dim_r, x]
        else:
            d = _scalar_dtype(x)
            wrapped_r = d if wrapped_r is None else _PROMOTE[wrapped_r, d]
    return _combine(dim_r, _combine(zero_r, wrapped_r))


def can_cast(from_, to):
    if from_.category > to.category:
        return False
    if from_.category == to.category:
        return True
    return not (from_ is not bool and to is bool)


def to_dtype(d):
    """Accept ember dtypes, NumPy dtypes, Python types and dtype names."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is _pybool:
        return bool
    if d is complex:
        return complex128
    if isinstance(d, str):
        name = d[6:] if d.startswith("torch.") else d[6:] if d.startswith("ember.") else d
        if name in _BY_NAME:
            return _BY_NAME[name]
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError(f"invalid dtype object: {d!r}") from None
