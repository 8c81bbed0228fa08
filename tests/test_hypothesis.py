"""Property tests: random shapes, dtypes and values for elementwise ops, reductions, views
and indexing; ember must agree with torch (values, dtype, shape, strides, or the
exception type when torch raises).  Bounded: ~100 examples per test."""
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from parity import check  # noqa: E402

# EMBER_HYPOTHESIS_EXPLORE=<n> runs n random examples per test instead of the fixed 100.
_EXPLORE = int(__import__("os").environ.get("EMBER_HYPOTHESIS_EXPLORE", "0"))
SETTINGS = settings(max_examples=_EXPLORE or 100, deadline=None, derandomize=not _EXPLORE,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])

FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
DTYPES = ["bool"] + INTS + FLOATS
HALF = ("float16", "bfloat16")


@st.composite
def arrays(draw, dtype, shape, special=True):
    """Values for ``dtype`` as a NumPy array torch and ember convert identically."""
    if dtype == "bool":
        return draw(hnp.arrays(np.bool_, shape))
    if dtype in INTS:
        lo, hi = (0, 100) if dtype == "uint8" else (-100, 100)
        return draw(hnp.arrays(np.int64, shape, elements=st.integers(lo, hi)))
    width = 16 if dtype == "float16" else 32
    # float32 values (cast by both libraries from float32, so rounding agrees)
    elems = st.floats(width=width, allow_nan=special, allow_infinity=special,
                      min_value=None if special else -1e4, max_value=None if special else 1e4)
    a = draw(hnp.arrays(np.float16 if width == 16 else np.float32, shape,
                        elements=elems)).astype(np.float32)
    return np.where(np.isnan(a), np.float32("nan"), a)  # (the sign of a NaN is not compared)


def tol(*dts):
    if any(d in HALF for d in dts):
        return dict(rtol=2e-2, atol=1e-2)
    return dict(rtol=1e-4, atol=1e-5)


def make(m, a, dt):
    return m.tensor(a).to(getattr(m, dt))


BINARY = ["+", "-", "*", "/", "//", "%", "**", "==", "<", ">=", "&", "|", "^", "maximum",
          "minimum", "fmax", "atan2", "copysign", "fmod", "logaddexp", "hypot", "remainder",
          "logical_and", "logical_xor", "where", "lerp", "div_trunc", "sub_alpha",
          "add_alpha", "clamp_t", "isclose"]


def binary(m, op, x, y):
    if op in ("maximum", "minimum", "fmax", "atan2", "copysign", "fmod", "logaddexp",
              "hypot", "remainder", "logical_and", "logical_xor", "isclose"):
        return getattr(m, op)(x, y)
    if op == "where":
        return m.where(x > 0 if x.dtype != m.bool else x, x, y)
    if op == "lerp":
        return m.lerp(x, y, 0.3)
    if op == "div_trunc":
        return m.div(x, y, rounding_mode="trunc")
    if op == "sub_alpha":
        return m.sub(x, y, alpha=2)
    if op == "add_alpha":
        return m.add(x, y, alpha=3)
    if op == "clamp_t":
        return m.clamp(x, min=y)
    return eval(f"x {op} y")


@SETTINGS
@given(st.data())
def test_binary_tensors(data):
    op = data.draw(st.sampled_from(BINARY), label="op")
    da, db = data.draw(st.sampled_from(DTYPES)), data.draw(st.sampled_from(DTYPES))
    if data.draw(st.booleans(), label="broadcastable"):
        sa, sb = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                              max_side=4)).input_shapes
    else:
        sa = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
        sb = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    special = op != "copysign"  # (the sign bit of a NaN differs between conversions)
    a, b = data.draw(arrays(da, sa, special)), data.draw(arrays(db, sb, special))
    check(lambda m, a, b: binary(m, op, make(m, a, da), make(m, b, db)), a=a, b=b,
          **tol(da, db))


@SETTINGS
@given(st.data())
def test_binary_scalars(data):
    op = data.draw(st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "==", "<", "&",
                                    "r-", "r/", "r**", "r//", "fmod", "clamp", "pow"]))
    dt = data.draw(st.sampled_from(DTYPES))
    s = data.draw(st.one_of(st.integers(-300, 300), st.floats(-1e3, 1e3, width=32),
                            st.booleans(), st.sampled_from([0.0, -0.0, float("nan"),
                                                            float("inf")])))
    a = data.draw(arrays(dt, data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))))

    def f(m, a):
        x = make(m, a, dt)
        if op.startswith("r"):
            return eval(f"s {op[1:]} x")
        if op == "fmod":
            return m.fmod(x, s)
        if op == "clamp":
            return x.clamp(min=s)
        if op == "pow":
            return m.pow(x, s)
        return eval(f"x {op} s")
    check(f, a=a, **tol(dt))


UNARY = ["exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt", "sin", "cos", "tan",
         "tanh", "sigmoid", "atan", "asin", "acosh", "erf", "erfinv", "reciprocal", "neg",
         "abs", "sign", "floor", "ceil", "trunc", "round", "frac", "relu", "square",
         "isnan", "isinf", "isfinite", "signbit", "nan_to_num", "logical_not",
         "bitwise_not", "clone", "exp2", "sgn", "positive", "isneginf"]


@SETTINGS
@given(st.data())
def test_unary(data):
    op = data.draw(st.sampled_from(UNARY))
    dt = data.draw(st.sampled_from(DTYPES))
    a = data.draw(arrays(dt, data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))))
    transpose = data.draw(st.booleans())

    def f(m, a):
        x = make(m, a, dt)
        if transpose and x.dim() >= 2:
            x = x.transpose(0, 1)
        return getattr(m, op)(x)
    check(f, a=a, **tol(dt))


@SETTINGS
@given(st.data())
def test_casts(data):
    src, dst = data.draw(st.sampled_from(DTYPES)), data.draw(st.sampled_from(DTYPES))
    a = data.draw(arrays(src, data.draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=5))))
    if src in FLOATS:  # out-of-range values too
        a = a * data.draw(st.sampled_from([1.0, 1e3, 1e6, 1e10]))
    check(lambda m, a: make(m, a, src).to(getattr(m, dst)), a=a)


@SETTINGS
@given(st.data())
def test_reductions(data):
    op = data.draw(st.sampled_from(["sum", "mean"]))
    dt = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    a = data.draw(arrays(dt, shape, special=False))
    nd = len(shape)
    dim = data.draw(st.one_of(st.none(), st.integers(-nd - 1, nd),
                              st.lists(st.integers(-nd, max(nd - 1, 0)), max_size=2)))
    keepdim = data.draw(st.booleans())
    out_dt = data.draw(st.sampled_from([None, "float64", "float32", "int64"]))

    def f(m, a):
        x = make(m, a, dt)
        kw = {} if out_dt is None else {"dtype": getattr(m, out_dt)}
        if dim is None:
            return getattr(m, op)(x, **kw)
        return getattr(m, op)(x, dim, keepdim=keepdim, **kw)
    check(f, a=a, rtol=2e-2 if dt in HALF or out_dt in HALF else 1e-4, atol=1e-3)


@st.composite
def view_chain(draw, shape):
    """A few view ops with arguments that are sometimes invalid."""
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        nd = len(shape)
        kind = draw(st.sampled_from(["view", "reshape", "transpose", "permute", "unsqueeze",
                                     "squeeze", "select", "slice", "expand", "flatten",
                                     "narrow", "diagonal", "t", "unfold", "movedim",
                                     "split", "contiguous", "mT"]))
        d = draw(st.integers(-nd - 1, nd)) if nd else draw(st.integers(-1, 1))
        d2 = draw(st.integers(-nd - 1, nd)) if nd else 0
        k = draw(st.integers(-1, 4))
        steps.append((kind, d, d2, k))
    return steps


def apply_view(m, x, kind, d, d2, k):
    n = x.numel()
    if kind == "view":
        return x.view(-1, max(k, 1)) if n % max(k, 1) == 0 else x.view(n)
    if kind == "reshape":
        return x.reshape(max(k, 1), -1) if n and n % max(k, 1) == 0 else x.reshape(-1)
    if kind == "transpose":
        return x.transpose(d, d2)
    if kind == "permute":
        return x.permute(*reversed(range(x.dim())))
    if kind == "unsqueeze":
        return x.unsqueeze(d)
    if kind == "squeeze":
        return x.squeeze(d) if k % 2 else x.squeeze()
    if kind == "select":
        return x.select(d, k)
    if kind == "slice":
        return x[(slice(None),) * max(d, 0) + (slice(k, None, max(d2, 1)),)]
    if kind == "expand":
        return x.unsqueeze(0).expand(max(k, 1), *x.shape)
    if kind == "flatten":
        return x.flatten(min(d, d2), max(d, d2))
    if kind == "narrow":
        return x.narrow(d, k, 1)
    if kind == "diagonal":
        return x.diagonal(k, d, d2)
    if kind == "t":
        return x.t()
    if kind == "unfold":
        return x.unfold(d, max(k, 0), max(d2, 1))
    if kind == "movedim":
        return x.movedim(d, d2)
    if kind == "split":
        return x.split(max(k, 1), d)[0]
    if kind == "contiguous":
        return x.contiguous()
    return x.mT


@SETTINGS
@given(st.data())
def test_view_chains(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=4, max_side=4))
    steps = data.draw(view_chain(shape))
    a = np.arange(float(np.prod(shape))).reshape(shape)

    def f(m, a):
        x = a * 1
        for s in steps:
            x = apply_view(m, x, *s)
        span = a.numel() * a.element_size()
        shares = x.numel() > 0 and 0 <= x.data_ptr() - a.data_ptr() < span
        return x, x.is_contiguous(), x.storage_offset() if shares else None
    check(f, a=a, grad=True)


@st.composite
def index_entries(draw, shape):
    entries = []
    for _ in range(draw(st.integers(1, min(len(shape) + 1, 4)))):
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis", "list", "mask",
                                     "tensor", "bool"]))
        n = shape[min(len(entries), len(shape) - 1)] if shape else 1
        if kind == "int":
            entries.append(draw(st.integers(-n - 1, n)))
        elif kind == "slice":
            entries.append(slice(draw(st.none() | st.integers(-n - 1, n + 1)),
                                 draw(st.none() | st.integers(-n - 1, n + 1)),
                                 draw(st.none() | st.integers(1, 3))))
        elif kind == "none":
            entries.append(None)
        elif kind == "ellipsis":
            entries.append(Ellipsis)
        elif kind == "list":
            entries.append(draw(st.lists(st.integers(-n, n - 1 if n else 0), min_size=1,
                                         max_size=3)))
        elif kind == "mask":
            entries.append(("mask", draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        elif kind == "tensor":
            entries.append(("tensor", draw(st.lists(st.integers(-n, max(n - 1, 0)),
                                                    min_size=1, max_size=3))))
        else:
            entries.append(draw(st.booleans()))
    return entries


def to_index(m, entries):
    out = []
    for e in entries:
        if isinstance(e, tuple) and e[0] == "mask":
            out.append(m.tensor(e[1], dtype=m.bool))
        elif isinstance(e, tuple):
            out.append(m.tensor(e[1]))
        else:
            out.append(e)
    return tuple(out)


@SETTINGS
@given(st.data())
def test_indexing(data):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
    entries = data.draw(index_entries(shape))
    a = np.asarray(np.arange(float(np.prod(shape))).reshape(shape) - 3)  # 0-d stays an array
    permuted = data.draw(st.booleans())
    set_value = data.draw(st.sampled_from([None, 7.5, "tensor"]))

    def f(m, a):
        x = a * 1
        if permuted and x.dim() >= 2:
            x = x.transpose(0, -1)
        idx = to_index(m, entries)
        if set_value is None:
            return x[idx]
        y = x.clone()
        r = y[idx]
        y[idx] = set_value if set_value != "tensor" else m.arange(
            float(r.numel())).reshape(r.shape) * 2
        return y
    check(f, a=a, grad=True)


@SETTINGS
@given(st.data())
def test_gather_scatter(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
    nd = len(shape)
    dim = data.draw(st.integers(-nd, nd - 1))
    ishape = tuple(data.draw(st.integers(1, max(s, 1))) for s in shape)
    n = shape[dim]
    idx = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, max(n - 1, 0))))
    op = data.draw(st.sampled_from(["gather", "scatter", "scatter_add", "index_select",
                                    "masked_fill", "take", "index_add", "scatter_reduce"]))
    a = np.arange(float(np.prod(shape))).reshape(shape)

    def f(m, a):
        x, i = a * 1, m.tensor(idx)
        if op == "gather":
            return x.gather(dim, i)
        if op == "scatter":
            return x.scatter(dim, i, 2.5)
        if op == "scatter_add":
            return x.scatter_add(dim, i, m.ones(ishape, dtype=x.dtype))
        if op == "scatter_reduce":
            return x.scatter_reduce(dim, i, m.ones(ishape, dtype=x.dtype) * 3, "amax")
        if op == "index_select":
            return x.index_select(dim, i.reshape(-1))
        if op == "masked_fill":
            return x.masked_fill(x > 3, -1.0)
        if op == "take":
            return x.take(i)
        sel = i.reshape(-1)[: x.shape[dim]]
        src_shape = list(x.shape)
        src_shape[dim] = sel.numel()
        return x.index_add(dim, sel, m.ones(src_shape, dtype=x.dtype))
    check(f, a=a, grad=op not in ("scatter_add", "scatter_reduce"))
