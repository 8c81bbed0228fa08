"""dtype objects, PyTorch's type-promotion rules, finfo and iinfo."""
from ._backend import np, bfloat16 as _np_bfloat16

_CATEGORY_BOOL, _CATEGORY_INT, _CATEGORY_FLOAT, _CATEGORY_COMPLEX = 0, 1, 2, 3


class dtype:
    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_complex",
                 "is_signed", "category", "_rank", "_cname", "__weakref__")

    def __init__(self, name, np_dtype, category, rank, signed=True, cname=""):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.category = category
        self.is_floating_point = category == _CATEGORY_FLOAT
        self.is_complex = category == _CATEGORY_COMPLEX
        self.is_signed = signed
        self._rank = rank
        self._cname = cname  # c10's ScalarType name, used in some error messages

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_dtype_by_name, (self.name,))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def to_complex(self):
        r = _TO_COMPLEX.get(self.name)
        if r is None:
            raise RuntimeError(f"Unknown Complex ScalarType for {self._cname}")
        return r

    def to_real(self):
        return {"complex64": float32, "complex128": float64}.get(self.name, self)


bool = dtype("bool", np.bool_, _CATEGORY_BOOL, 0, signed=False, cname="Bool")
uint8 = dtype("uint8", np.uint8, _CATEGORY_INT, 1, signed=False, cname="Byte")
int8 = dtype("int8", np.int8, _CATEGORY_INT, 2, cname="Char")
int16 = dtype("int16", np.int16, _CATEGORY_INT, 3, cname="Short")
int32 = dtype("int32", np.int32, _CATEGORY_INT, 4, cname="Int")
int64 = dtype("int64", np.int64, _CATEGORY_INT, 5, cname="Long")
float16 = dtype("float16", np.float16, _CATEGORY_FLOAT, 6, cname="Half")
bfloat16 = dtype("bfloat16", _np_bfloat16 if _np_bfloat16 is not None else np.float32,
                 _CATEGORY_FLOAT, 7, cname="BFloat16")
float32 = dtype("float32", np.float32, _CATEGORY_FLOAT, 8, cname="Float")
float64 = dtype("float64", np.float64, _CATEGORY_FLOAT, 9, cname="Double")
complex64 = dtype("complex64", np.complex64, _CATEGORY_COMPLEX, 10, cname="ComplexFloat")
complex128 = dtype("complex128", np.complex128, _CATEGORY_COMPLEX, 11, cname="ComplexDouble")
# PyTorch's "shell" unsigned types: they exist (creation, copies, printing) but
# promote with nothing except themselves and the real floating types.
uint16 = dtype("uint16", np.uint16, _CATEGORY_INT, 12, signed=False, cname="UInt16")
uint32 = dtype("uint32", np.uint32, _CATEGORY_INT, 13, signed=False, cname="UInt32")
uint64 = dtype("uint64", np.uint64, _CATEGORY_INT, 14, signed=False, cname="UInt64")

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
       complex64, complex128, uint16, uint32, uint64)
_SHELL = (uint16, uint32, uint64)
_TO_COMPLEX = {"float16": complex64, "float32": complex64, "float64": complex128,
               "bfloat16": complex64, "complex64": complex64, "complex128": complex128}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, long=int64, int=int32,
                short=int16, cfloat=complex64, cdouble=complex128)
_BY_NP = {d.np: d for d in ALL}


def _dtype_by_name(name):
    return _BY_NAME[name]


_NP_SUPPORTED = ("float64, float32, float16, complex64, complex128, int64, int32, int16, "
                 "int8, uint64, uint32, uint16, uint8, and bool")


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; TypeError for ones PyTorch lacks."""
    try:
        d = np.dtype(np_dtype)
        if d != bfloat16.np or _np_bfloat16 is None:
            return _BY_NP[d]
    except (KeyError, TypeError):
        pass
    d = np.dtype(np_dtype)
    raise TypeError(f"can't convert np.ndarray of type numpy.{d.type.__name__}. The only "
                    f"supported types are: {_NP_SUPPORTED}.")


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    if not isinstance(d, dtype) or d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default[0] = d


class _PromotionTable(dict):
    """(a, b) -> promoted dtype; pairs PyTorch refuses raise its error on lookup."""

    def __missing__(self, key):
        a, b = key
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           f"attempted to promote {a._cname} and {b._cname}")


def _build_promotion_table():
    # PyTorch's lattice: within a category take the wider; across categories the
    # higher category wins, except the quirks below (uint8 with signed ints,
    # float16 with bfloat16) which have no common narrower type.
    table = _PromotionTable()
    for a in ALL:
        for b in ALL:
            if a is b:
                r = a
            elif a in _SHELL or b in _SHELL:
                other = b if a in _SHELL else a
                if not other.is_floating_point:
                    continue
                r = other
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


def promote_types(type1, type2):
    return _PROMOTE[type1, type2]


_pybool = type(True)


def _default_complex():
    return complex128 if _default[0] is float64 else complex64


def _scalar_dtype(x):
    t = type(x)
    if t is float:
        return _default[0]
    if t is int:
        return int64
    if t is _pybool:
        return bool
    if t is complex:
        return _default_complex()
    if isinstance(x, (_pybool, np.bool_)):
        return bool
    if isinstance(x, (int, np.integer)):
        return int64
    if isinstance(x, (float, np.floating)):
        return _default[0]
    if isinstance(x, (complex, np.complexfloating)):
        return _default_complex()
    raise TypeError(f"result_type() received an invalid combination of arguments - got "
                    f"({type(x).__name__})")


def _combine(higher, lower):
    # How a lower-priority group (0-dim tensors, Python scalars) can still lift
    # the result: only by being of a higher category (c10's combine_categories).
    if higher is None:
        return lower
    if lower is None or higher.is_complex:
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
            # Python scalars are "wrapped numbers": their width never counts.
            wrapped_r = d if wrapped_r is None or d.category > wrapped_r.category \
                else wrapped_r
    return _combine(dim_r, _combine(zero_r, wrapped_r))


def can_cast(from_, to):
    if not isinstance(from_, dtype) or not isinstance(to, dtype):
        raise TypeError("can_cast(): argument 'from_' (position 1) must be torch.dtype")
    if from_.category > to.category:
        return False
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
        name = d[6:] if d.startswith(("torch.", "ember.")) else d
        if name in _BY_NAME:
            return _BY_NAME[name]
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError(f"invalid dtype object: {d!r}") from None


class finfo:
    """Machine limits of a floating point dtype (``ember.finfo(ember.float32)``)."""

    def __init__(self, type=None):
        if type is None:
            type = _default[0]
        if not isinstance(type, dtype) or not (type.is_floating_point or type.is_complex):
            raise TypeError("torch.finfo() requires a floating point input type. Use "
                            "torch.iinfo to handle 'torch.finfo'")
        real = type.to_real()
        info = np.finfo(real.np) if real is not bfloat16 else _bf16_info()
        self.bits = real.itemsize * 8
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = float(10.0 ** -info.precision)
        self.dtype = real.name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


def _bf16_info():
    class _Info:
        eps, precision = 2.0 ** -7, 2
        max = (2 - 2.0 ** -7) * 2.0 ** 127
        min = -max
        smallest_normal = 2.0 ** -126
    return _Info


class iinfo:
    """Limits of an integer dtype (``ember.iinfo(ember.int32)``)."""

    def __init__(self, type):
        if not isinstance(type, dtype) or type.category != _CATEGORY_INT:
            raise TypeError(f"{str(type).replace('ember.', 'torch.')} is not supported by "
                            "torch.iinfo")
        info = np.iinfo(type.np)
        self.bits = type.itemsize * 8
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __hash__(self):
        return hash(self.dtype)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
