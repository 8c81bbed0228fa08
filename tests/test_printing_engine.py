"""Compare ember's tensor formatting engine with real PyTorch output."""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings, HealthCheck  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def _load_printing():
    try:
        from ember import _printing
        return _printing
    except Exception:
        # The package may not be importable yet; the engine is self-contained.
        path = Path(__file__).resolve().parents[1] / "ember" / "_printing.py"
        spec = importlib.util.spec_from_file_location("_ember_printing_file", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


P = _load_printing()

DTYPES = {
    "float16": torch.float16, "bfloat16": torch.bfloat16,
    "float32": torch.float32, "float64": torch.float64,
    "int8": torch.int8, "int16": torch.int16, "int32": torch.int32,
    "int64": torch.int64, "uint8": torch.uint8, "bool": torch.bool,
    "complex64": torch.complex64, "complex128": torch.complex128,
}
NAMES = {v: k for k, v in DTYPES.items()}
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["int8", "int16", "int32", "int64", "uint8"]
COMPLEX = ["complex64", "complex128"]


@pytest.fixture(autouse=True)
def _reset_options():
    yield
    torch.set_printoptions(profile="default")
    P.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)


def set_both(**kw):
    torch.set_printoptions(**kw)
    P.set_printoptions(**kw)


def values_of(t):
    t = t.detach()
    # numpy has no bfloat16; float32 holds its values exactly.
    return t.float().numpy() if t.dtype == torch.bfloat16 else t.numpy()


def ours(t, **kw):
    kw.setdefault("requires_grad", t.requires_grad)
    if t.grad_fn is not None:
        kw.setdefault("grad_fn_name", type(t.grad_fn).__name__)
    return P.format_tensor(values_of(t), NAMES[t.dtype],
                           default_dtype_name=NAMES[torch.get_default_dtype()], **kw)


def theirs(t):
    return repr(t).replace("torch.", "ember.")


def assert_same(t, **kw):
    assert ours(t, **kw) == theirs(t)


def make(arr, dtype_name):
    return torch.from_numpy(np.array(arr).copy()).to(DTYPES[dtype_name])


# ---------------------------------------------------------------- fixed cases

inf, nan = math.inf, math.nan
FIXED = [
    ([1.0, 2.0, 3.0], FLOATS),
    (3.5, FLOATS + COMPLEX),
    (-0.0, FLOATS),
    (7, FLOATS + INTS),
    (True, ["bool"]),
    ([0.0, inf, nan, -0.0], FLOATS + COMPLEX),
    ([0.0, 0.0], FLOATS),
    ([nan, nan], FLOATS),
    ([0.5, nan, -inf], FLOATS),
    ([1.5, -0.0], FLOATS),
    ([1e-8, 1.0], FLOATS),
    ([1e9, 1.0], ["float32", "float64"]),
    ([1e-4, 1e-5, 0.1], FLOATS),
    ([1.0, 1000.0], FLOATS),
    ([1.0, 1001.0], FLOATS),
    ([1e8, 2e8], ["float32", "float64"]),
    ([123456789.0, 1.0], ["float64"]),
    ([-1.0, 2.5, -300.25], FLOATS + COMPLEX),
    ([[1.0, -2.0], [3.0, 4.0]], FLOATS + INTS),
    ([9.99996, 0.1], ["float64"]),
    ([1e300, 1e-300], ["float64"]),
    ([2**62, -5, 0], ["int64"]),
    ([-(2**63), 2**63 - 1], ["int64"]),
    ([[True, False], [False, True]], ["bool"]),
    ([1 + 2j, -3.5 - 1e-3j, 100 + 200j, nan + 1j, 1 - 0.0j], COMPLEX),
    ([[1 + 1j, 2 - 2j], [-3 + 0.5j, 4j]], COMPLEX),
]
FIXED_CASES = [(v, d) for v, ds in FIXED for d in ds]


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("value,dtype_name", FIXED_CASES)
def test_fixed_values(value, dtype_name, default):
    torch.set_default_dtype(DTYPES[default])
    assert_same(make(value, dtype_name))


@pytest.mark.parametrize("default", ["float32", "float64"])
@pytest.mark.parametrize("dtype_name", list(DTYPES))
@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0, 1), (3, 0)])
def test_empty(shape, dtype_name, default):
    torch.set_default_dtype(DTYPES[default])
    assert_same(torch.empty(shape, dtype=DTYPES[dtype_name]))


@pytest.mark.parametrize("dtype_name", list(DTYPES))
def test_every_dtype_and_shape(dtype_name):
    rng = np.random.default_rng(0)
    for shape in [(), (1,), (5,), (2, 3), (2, 3, 4), (2, 1, 3, 2), (30,), (7, 13)]:
        arr = rng.normal(size=shape) * 50
        if dtype_name in COMPLEX:
            arr = arr + 1j * rng.normal(size=shape)
        elif dtype_name == "bool":
            arr = arr > 0
        elif dtype_name == "uint8":
            arr = np.abs(arr)
        assert_same(make(arr, dtype_name))


def test_long_rows_wrap():
    assert_same(torch.arange(100.0) / 7)
    assert_same(torch.arange(100) * 10**12)
    assert_same((torch.arange(60.0) - 30).reshape(2, 30) * 1e5)
    assert_same(torch.randn(3, 2, 40, dtype=torch.complex64))


@pytest.mark.parametrize("shape", [(2000,), (1001,), (40, 50), (10, 10, 11), (3, 400), (400, 3), (5, 5, 5, 9)])
def test_summarised(shape):
    t = torch.from_numpy(np.random.default_rng(1).normal(size=shape))
    assert_same(t)
    assert_same(t.float() * 1e6)
    assert_same((t * 100).to(torch.int32))
    assert_same(t > 0)
    assert_same(torch.complex(t, -t))


def test_summarised_data_decides_the_format():
    # The hidden middle would force scientific notation if it were considered.
    arr = np.ones(2000)
    arr[1000] = 1e-9
    assert_same(torch.from_numpy(arr))


@pytest.mark.parametrize("options", [
    dict(precision=2), dict(precision=0), dict(precision=10),
    dict(sci_mode=True), dict(sci_mode=False), dict(threshold=5),
    dict(threshold=0), dict(edgeitems=1, threshold=3), dict(edgeitems=0),
    dict(edgeitems=0, threshold=10), dict(edgeitems=10, threshold=10),
    dict(linewidth=40), dict(linewidth=10), dict(linewidth=200),
    dict(profile="short"), dict(profile="full"), dict(profile="short", precision=6),
])
def test_printoptions(options):
    set_both(**options)
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()
    rng = np.random.default_rng(2)
    samples = [
        torch.tensor(3.14159), torch.tensor(0.0), torch.arange(10), torch.arange(10.0),
        torch.tensor([1e-8, 1.0, 1e9]), torch.tensor([0.0, 0.0]), torch.tensor([0.0, nan]),
        torch.from_numpy(rng.normal(size=(4, 30))), torch.from_numpy(rng.normal(size=(3, 4, 5))) * 1e4,
        torch.from_numpy(rng.normal(size=(1200,))), torch.from_numpy(rng.normal(size=(40, 40))).float(),
        torch.tensor([True, False, True]), torch.tensor([1 + 2j, 3 - 4j]), torch.empty(0, 2),
        torch.randn(3, 3, requires_grad=True), torch.randn(20, requires_grad=True) * 2,
    ]
    for t in samples:
        assert_same(t)


def test_printoptions_profiles_and_sci_mode_reset():
    P.set_printoptions(profile="full", precision=3, sci_mode=True)
    assert P.get_printoptions() == {"precision": 3, "threshold": math.inf, "edgeitems": 3,
                                    "linewidth": 80, "sci_mode": True}
    P.set_printoptions(linewidth=100)  # sci_mode is always reassigned
    assert P.get_printoptions()["sci_mode"] is None
    P.set_printoptions(profile="default")
    assert P.get_printoptions() == torch._tensor_str.get_printoptions()


def test_autograd_suffixes():
    x = torch.tensor([1.5, -2.0, 3.25], requires_grad=True)
    assert_same(x)
    y = x * 2
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert_same(y, grad_fn_name="MulBackward0", requires_grad=True)
    assert_same(x.double().sum())
    assert_same((x.to(torch.float16) + 1))
    assert_same(torch.tensor(2.0, requires_grad=True))
    long_row = torch.arange(30.0, requires_grad=True) * 1.5
    assert_same(long_row)
    assert_same(long_row.reshape(3, 10).to(torch.float64))
    assert_same(torch.randn(2000, requires_grad=True) * 1)


def test_parameter_repr_is_prefixed():
    p = torch.nn.Parameter(torch.randn(2, 3))
    expected = repr(p).replace("torch.", "ember.")
    assert "Parameter containing:\n" + ours(p) == expected


def test_custom_prefix_sets_the_indent():
    class Foo(torch.Tensor):
        pass

    for base in [torch.randn(3, 40), torch.randn(2, 2, 30).double(), torch.arange(200).reshape(2, 100)]:
        t = base.as_subclass(Foo)
        assert ours(base, prefix="Foo(") == repr(t).replace("torch.", "ember.")


def test_device_suffix_order():
    # Pretend to live on a GPU so torch prints the device suffix without one.
    class tensor(torch.Tensor):  # noqa: N801 - the class name is the printed prefix
        @property
        def device(self):
            return torch.device("cuda", 0)

    x = torch.randn(2, 3, requires_grad=True)
    bases = [torch.randn(2, 3), torch.randn(2, 3).double(), torch.tensor(3), x * 2,
             torch.randn(2000, 3).double(), torch.empty(2, 0, dtype=torch.int64),
             torch.empty(0), torch.arange(25.0) * 1.25]
    for base in bases:
        t = base.as_subclass(tensor)
        kw = {"device": "cuda:0", "requires_grad": t.requires_grad}
        if t.grad_fn is not None:
            kw["grad_fn_name"] = type(t.grad_fn).__name__
        got = P.format_tensor(values_of(base), NAMES[base.dtype], **kw)
        assert got == theirs(t)
    assert P.format_tensor(np.ones(2, np.float32), "float32", device="cpu") == "tensor([1., 1.])"


# ------------------------------------------------------------ random arrays

def _random_values(rng, shape, style):
    n = int(np.prod(shape))
    if style == "normal":
        v = rng.normal(size=n)
    elif style == "logspan":
        v = rng.choice([-1, 1], size=n) * 10.0 ** rng.uniform(-8, 9, size=n)
    elif style == "narrow":
        v = 10.0 ** rng.uniform(-1, 2.9) * (1 + rng.uniform(0, 0.5, size=n))
    elif style == "integral":
        v = np.round(rng.normal(size=n) * 10.0 ** rng.integers(0, 10))
    else:  # "special": mostly ordinary with zeros, -0., nan and infs sprinkled in
        v = rng.normal(size=n) * 10.0 ** rng.integers(-5, 5)
        picks = rng.integers(0, 6, size=n)
        v = np.where(picks == 0, rng.choice([0.0, -0.0, nan, inf, -inf], size=n), v)
    return v.reshape(shape)


def _random_shape(rng):
    ndim = int(rng.integers(0, 5))
    limit = [1, 2500, 60, 16, 9][ndim]
    return tuple(int(rng.integers(0, limit + 1)) for _ in range(ndim))


@pytest.mark.parametrize("seed", range(150))
def test_random_numpy(seed):
    rng = np.random.default_rng(seed)
    torch.set_default_dtype(torch.float64 if seed % 5 == 0 else torch.float32)
    dtype_name = list(DTYPES)[seed % len(DTYPES)]
    shape = _random_shape(rng)
    style = ["normal", "logspan", "narrow", "integral", "special"][seed // len(DTYPES) % 5]
    if dtype_name in INTS:
        info = np.iinfo(dtype_name)
        arr = rng.integers(info.min, info.max, size=shape, endpoint=True)
        arr = arr // 10 ** int(rng.integers(0, 18)) if info.bits == 64 else arr
    elif dtype_name == "bool":
        arr = rng.random(size=shape) > 0.5
    else:
        arr = _random_values(rng, shape, style)
        if dtype_name in COMPLEX:
            arr = arr + 1j * _random_values(rng, shape, "normal")
    if seed % 3 == 0:
        set_both(precision=int(rng.integers(0, 8)), linewidth=int(rng.integers(30, 130)),
                 edgeitems=int(rng.integers(1, 5)), sci_mode=[None, True, False][seed % 9 // 3])
    assert_same(make(arr, dtype_name))


float_elements = st.one_of(
    st.floats(width=32),
    st.floats(min_value=-1e4, max_value=1e4),
    st.integers(-(10**6), 10**6).map(float),
    st.sampled_from([0.0, -0.0, 1e-8, 1e9, 1e-4, 1e8, 1000.0, 0.5, nan, inf, -inf]),
)


@st.composite
def tensors(draw):
    dtype_name = draw(st.sampled_from(list(DTYPES)))
    shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
    n = int(np.prod(shape))
    if dtype_name in INTS:
        info = np.iinfo(dtype_name)
        elems = st.integers(int(info.min), int(info.max))
    elif dtype_name == "bool":
        elems = st.booleans()
    elif dtype_name in COMPLEX:
        elems = st.builds(complex, float_elements, float_elements)
    else:
        elems = float_elements
    values = draw(st.lists(elems, min_size=n, max_size=n))
    dtype = {"bool": bool, **{k: k for k in INTS}}.get(dtype_name)
    if dtype is None:
        dtype = np.complex128 if dtype_name in COMPLEX else np.float64
    return make(np.array(values, dtype=dtype).reshape(shape), dtype_name)


options = st.fixed_dictionaries({
    "precision": st.integers(0, 8),
    "threshold": st.sampled_from([1000, 4, 20, math.inf]),
    "edgeitems": st.integers(0, 4),
    "linewidth": st.integers(10, 120),
    "sci_mode": st.sampled_from([None, True, False]),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(t=tensors(), opts=st.one_of(st.none(), options), default64=st.booleans(),
       requires_grad=st.booleans())
def test_random_hypothesis(t, opts, default64, requires_grad):
    try:
        torch.set_default_dtype(torch.float64 if default64 else torch.float32)
        if opts is not None:
            set_both(**opts)
        if requires_grad and t.dtype.is_floating_point:
            t = t.clone().requires_grad_(True)
        assert_same(t)
    finally:
        torch.set_printoptions(profile="default")
        P.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)
