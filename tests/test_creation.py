"""Creation ops against PyTorch: tensor() dtype inference and checked conversions, the
factories (zeros/ones/full/empty/eye, *_like, new_*), range factories bit for bit, the
legacy constructors, and the default dtype."""
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from _helpers import make_same  # noqa: E402


def _norm(x, m):
    if isinstance(x, m.Tensor):
        d = x.detach()
        if d.dtype == m.bfloat16:
            d = d.float()
        a = d.numpy()
        return ("T", type(x).__name__, str(x.dtype).split(".")[-1], tuple(x.shape),
                x.stride() if x.numel() > 1 else None, x.requires_grad, a.tobytes().hex())
    if isinstance(x, (list, tuple)):
        return [_norm(v, m) for v in x]
    if isinstance(x, m.dtype):
        return str(x).split(".")[-1]
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    return x


same = make_same(_norm)


# --- ember.tensor(data) ---------------------------------------------------------------------

DATA = {
    "floats": lambda m: [1.5, 2], "ints": lambda m: [1, 2], "bools": lambda m: [True, False],
    "bool+int": lambda m: [True, 2], "bool+float": lambda m: [True, 2.5],
    "complex": lambda m: [1 + 2j, 3], "nested": lambda m: [[1, 2], [3, 4]],
    "empty": lambda m: [], "empty2": lambda m: [[], []], "scalar f": lambda m: 3.0,
    "scalar i": lambda m: 3, "scalar b": lambda m: True, "tuple": lambda m: (1, 2.0),
    "np f64": lambda m: np.array([1.5]), "np f32": lambda m: np.array([1.5], np.float32),
    "np i32": lambda m: np.array([1], np.int32), "np u8": lambda m: np.array([1], np.uint8),
    "np f64 scalar": lambda m: np.float64(1.5), "np i32 scalar": lambda m: np.int32(3),
    "np bool": lambda m: np.bool_(True), "list np f64": lambda m: [np.float64(1.5), 2.0],
    "list np f32": lambda m: [np.float32(1.5)], "mixed np": lambda m: [1, np.float64(2.5)],
    "list np i16": lambda m: [np.int16(1), 2],
    "list of arrays": lambda m: [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    "0-d tensors": lambda m: [m.tensor(1.5), m.tensor(2.5)],
    "0-d int tensors": lambda m: [m.tensor(1), m.tensor(2)],
    "0-d mixed": lambda m: [m.tensor(1), 2.5],
    "0-d f64": lambda m: [m.tensor(1.5, dtype=m.float64), 1],
    "0-d f16": lambda m: [m.tensor(1.5, dtype=m.float16), 1],
    "0-d int8 uint8": lambda m: [m.tensor(1, dtype=m.int8), m.tensor(1, dtype=m.uint8)],
    "1-elem tensors": lambda m: [m.tensor([1.0]), m.tensor([2.0])],
    "nested tensors": lambda m: [[m.tensor(1.0)]], "bool tensor": lambda m: [m.tensor(True), False],
    "ragged": lambda m: [[1, 2], [3]], "ragged2": lambda m: [[1, 2], 3],
    "ragged3": lambda m: [[[1], [2]], [[3], [4, 5]]], "ragged4": lambda m: [1, [2]],
    "ragged5": lambda m: [[1, [2]], [3, 4]], "late empty": lambda m: [[], [1]],
    "str": lambda m: "a", "str list": lambda m: ["a"], "int str": lambda m: [1, "a"],
    "bytes": lambda m: b"ab", "bytearray": lambda m: bytearray(b"ab"), "None": lambda m: [None],
    "obj": lambda m: [object()], "dict": lambda m: {1: 2}, "set": lambda m: {1, 2},
    "generator": lambda m: (i for i in range(2)), "big int": lambda m: [2 ** 63],
    "big neg": lambda m: [-2 ** 63], "huge": lambda m: [2 ** 64], "huge scalar": lambda m: 2 ** 64,
    "int float large": lambda m: [1, 1e40], "nan inf": lambda m: [float("nan"), float("inf")],
    "neg zero": lambda m: [-0.0], "range": lambda m: range(3), "np 0-d": lambda m: np.array(5),
    "np u16": lambda m: np.array([1], np.uint16), "np str": lambda m: np.array(["a"]),
    "np 0-d in list": lambda m: [np.array(1.0), 2], "complex big": lambda m: [1j, 1e300],
    "int64 max float": lambda m: [2 ** 63 - 1, 1.0], "2-elem tensors": lambda m: [
        m.tensor([1.0, 2.0]), m.tensor([3.0, 4.0])],
    "transposed np": lambda m: np.arange(6.).reshape(2, 3).T,
    "strided np": lambda m: np.arange(6).reshape(2, 3)[:, ::2],
}


@pytest.mark.parametrize("name", list(DATA))
def test_tensor_inference(name):
    same(lambda m: m.tensor(DATA[name](m)))


@pytest.mark.parametrize("name", ["floats", "ints", "bools", "complex", "np f64", "np i32",
                                  "0-d tensors", "list np f32", "bool tensor", "list of arrays"])
@pytest.mark.parametrize("dt", ["float64", "int32", "bool", "float16", "bfloat16", "complex128",
                                "uint8", "int8"])
def test_tensor_explicit_dtype(name, dt):
    same(lambda m: m.tensor(DATA[name](m), dtype=getattr(m, dt)))


@pytest.mark.parametrize("values,dt", [
    ([0.1, 1 / 3], "float64"), ([2 ** 53 + 1], "float64"), ([2 ** 62 + 1], "int64"),
    ([1.7, -1.7], "int64"), ([-1, 256], "uint8"), ([300], "int8"), ([2 ** 63], "int64"),
    ([1e40], "float32"), ([70000.0], "float16"), ([65519.0], "float16"), ([1e39], "bfloat16"),
    ([255.0, 255.99, -0.0], "uint8"), ([256.0], "uint8"), ([-0.1], "uint8"),
    ([127.99, -128.0], "int8"), ([128.0], "int8"), ([-128.001], "int8"),
    ([2147483647.9], "int32"), ([2147483648.0], "int32"), ([9.2e18], "int64"),
    ([-9.3e18], "int64"), ([-129], "uint8"), ([255], "int8"), ([2 ** 40], "uint8"),
    ([1.5, -1.0, 0.0, float("nan")], "bool"), ([2, 0, -3], "bool"), ([1e40], "bool"),
    ([float("inf")], "int64"), ([float("nan")], "int32"), ([1, 2 ** 63], "float64"),
    ([1, 2 ** 63], "bool"), ([1, 2 ** 63], "uint8"), ([True, 2.5], "int32"),
    ([1 + 2j], "float32"), ([1 + 2j], "int32"), ([1.5j], "bool"), ([2 ** 31], "float16"),
    ([0.1, 0.2, 0.7], "bfloat16"), ([0.1, 1 / 3, 1e-5], "float16")])
def test_tensor_checked_conversion(values, dt):
    same(lambda m: m.tensor(values, dtype=getattr(m, dt)))


def test_tensor_leaf_conversions():
    for leaf, dt in [(lambda m: np.float64(1.5), "int32"), (lambda m: np.float16(1.5), "float32"),
                     (lambda m: np.int8(1), "float32"), (lambda m: np.bool_(True), "int32"),
                     (lambda m: np.bool_(True), "bool"), (lambda m: m.tensor(True), "int32"),
                     (lambda m: m.tensor(3, dtype=m.uint8), "int8"),
                     (lambda m: m.tensor(300), "uint8"), (lambda m: m.tensor(1e10), "float16"),
                     (lambda m: m.tensor(1.5), "complex64"), (lambda m: np.int64(300), "int8")]:
        same(lambda m: m.tensor([leaf(m)], dtype=getattr(m, dt)))
    same(lambda m: m.tensor(np.array([300]), dtype=m.int8))
    same(lambda m: m.tensor(np.array([1e40]), dtype=m.float32))
    same(lambda m: m.tensor(np.float32(2)))


def test_tensor_misc():
    same(lambda m: m.tensor([1.0], requires_grad=True))
    same(lambda m: m.tensor([1], requires_grad=True))
    same(lambda m: m.tensor([1.0], device="cpu"))
    same(lambda m: m.tensor([1.0], device="gpu"))
    same(lambda m: m.tensor(m.tensor([1, 2])))
    same(lambda m: m.tensor(m.tensor([1.5, 2]), dtype=m.int64))
    same(lambda m: m.tensor(m.arange(6.).reshape(2, 3).t()))
    src = ember.tensor([1.0], requires_grad=True)
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        t = ember.tensor(src)
    assert not t.requires_grad and t.data_ptr() != src.data_ptr()
    with pytest.warns(UserWarning, match="list of numpy.ndarrays is extremely slow"):
        ember._creation._warned_ndarray_list[0] = False
        ember.tensor([np.array([1.0])])


def test_as_tensor():
    a = np.zeros(2)
    t = ember.as_tensor(a)
    t.add_(1)
    assert a.tolist() == [1.0, 1.0]
    x = ember.zeros(1)
    assert ember.as_tensor(x) is x
    same(lambda m: m.as_tensor([1, 2.5]))
    same(lambda m: m.as_tensor(np.zeros(2), dtype=m.float32))
    same(lambda m: m.asarray([1, 2]))


# --- factories ------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_shaped_factories(fn):
    def f(*a, **k):
        return lambda m: getattr(m, fn)(*a, **k)
    cases = [f(2, 3), f((2, 3)), f([2, 3]), f(size=(2, 3)), f(0), f(2, dtype=None),
             f(2, dtype=float), f(ember_or_torch_size=None) if False else f(()), f([]),
             f(2, True)]
    for c in cases:
        if fn == "empty":  # uninitialised memory: compare everything but the values
            same(lambda m: [c(m).dtype, c(m).shape, c(m).stride()])
        else:
            same(c)
    for c in [lambda m: getattr(m, fn)(m.Size([2, 3])), lambda m: getattr(m, fn)(m.tensor(2)),
              lambda m: getattr(m, fn)(np.int64(2)), lambda m: getattr(m, fn)(2, dtype=m.int32),
              lambda m: getattr(m, fn)(2, requires_grad=True),
              lambda m: getattr(m, fn)(m.tensor([2]))]:
        same(lambda m: [c(m).dtype, c(m).shape, c(m).stride(), c(m).requires_grad])
    for bad in [f(2, -1), f(-1), f((2,), 3), f(2.5), f(2, 2.5), f([2, 2.5]), f(None), f(),
                f("a"), f((2, 3), size=(2,)), f(size=3), f(True)]:
        same(bad)
    same(lambda m: getattr(m, fn)(2, dtype=m.int64, requires_grad=True))
    same(lambda m: getattr(m, fn)(m.tensor([2, 3])))


@pytest.mark.parametrize("fn", ["zeros_like", "ones_like", "empty_like"])
def test_like_factories(fn):
    for src in [lambda m: m.zeros(2, 3, dtype=m.int8), lambda m: m.zeros(2, 3).t(),
                lambda m: m.zeros(2, 3)[:, ::2], lambda m: m.zeros(4, 3, 2).permute(2, 0, 1),
                lambda m: m.zeros(2, 3, requires_grad=True)]:
        for kw in [{}, {"dtype": "float64"}, {"requires_grad": True}]:
            kw2 = lambda m: {k: getattr(m, v) if k == "dtype" else v for k, v in kw.items()}  # noqa: E731
            c = lambda m: getattr(m, fn)(src(m), **kw2(m))  # noqa: E731
            if fn == "empty_like":
                same(lambda m: [c(m).dtype, c(m).shape, c(m).stride(), c(m).requires_grad])
            else:
                same(c)


def test_full():
    for c in [lambda m: m.full((2, 2), 3), lambda m: m.full((2,), 3.5), lambda m: m.full((2,), True),
              lambda m: m.full((2,), 1j), lambda m: m.full((2,), 3.7, dtype=m.int32),
              lambda m: m.full((2,), m.tensor(3.5)), lambda m: m.full((2,), m.tensor(3)),
              lambda m: m.full([2, 1], 1.0), lambda m: m.full((2,), np.float64(1.5)),
              lambda m: m.full((2,), 300, dtype=m.uint8), lambda m: m.full((2,), -1, dtype=m.uint8),
              lambda m: m.full((2,), float("nan"), dtype=m.int32), lambda m: m.full(2, 1.0),
              lambda m: m.full((2.5,), 1.0), lambda m: m.full((2,), "a"),
              lambda m: m.full((2,), None), lambda m: m.full((2, -1), 1.0),
              lambda m: m.full((2,), 2.0, requires_grad=True),
              lambda m: m.full_like(m.zeros(2, dtype=m.int32), 2.7),
              lambda m: m.full_like(m.zeros(2), 2), lambda m: m.full_like(m.zeros(2, 3).t(), 2),
              lambda m: m.full_like(m.zeros(2, dtype=m.uint8), 300),
              lambda m: m.scalar_tensor(3), lambda m: m.scalar_tensor(True),
              lambda m: m.scalar_tensor(2.5, dtype=m.float64)]:
        same(c)


def test_eye_and_complex():
    for c in [lambda m: m.eye(3), lambda m: m.eye(2, 3, dtype=m.int64), lambda m: m.eye(0),
              lambda m: m.eye(-1), lambda m: m.eye(2, -1), lambda m: m.eye(2, requires_grad=True),
              lambda m: m.eye(2, dtype=m.bool), lambda m: m.eye(2.5), lambda m: m.eye(3, 1),
              lambda m: m.complex(m.tensor([1.0]), m.tensor([2.0])),
              lambda m: m.complex(m.tensor([1.0], dtype=m.float64), m.tensor([2.0], dtype=m.float64)),
              lambda m: m.complex(m.tensor([1]), m.tensor([2])),
              lambda m: m.complex(m.tensor([1.0]), m.tensor([2.0], dtype=m.float64)),
              lambda m: m.complex(m.tensor([[1.0], [2.0]]), m.tensor([3.0, 4.0]))]:
        same(c)


def test_out_argument():
    same(lambda m: (lambda o: (m.zeros(2, 2, out=o), o)[1])(m.ones(4)))
    same(lambda m: (lambda o: (m.ones(3, out=o), o)[1])(m.zeros(3)))
    same(lambda m: (lambda o: (m.full((2,), 7.0, out=o), o)[1])(m.zeros(2)))


def test_empty_strided():
    same(lambda m: [m.empty_strided((2, 3), (1, 2)).stride(),
                    m.empty_strided((2, 3), (1, 2)).shape])


def test_new_methods():
    same(lambda m: [m.zeros(1, dtype=m.int64).new(2, 3).dtype, m.zeros(1).new([1, 2]),
                    m.zeros(1).new().shape, m.tensor([1]).new([1.5])])
    same(lambda m: [m.zeros(1).new_tensor([1, 2]), m.tensor([1]).new_tensor([1.7]),
                    m.zeros(1).new_tensor(np.array([1, 2])),
                    m.zeros(1).new_tensor([1.0], requires_grad=True)])
    same(lambda m: [m.zeros(1, dtype=m.int8).new_zeros(2, 3), m.zeros(1).new_zeros((2,)),
                    m.zeros(1).new_ones([2], dtype=m.int64), m.tensor([1]).new_full((2,), 3.7),
                    m.zeros(1).new_full((2,), 3), m.zeros(1).new_zeros(2, requires_grad=True),
                    m.zeros(1).new_empty(2, 3).shape])


# --- range factories: the exact float values ------------------------------------------------

ARANGE = [(5,), (1, 4), (0, 1, 0.1), (0, 1, 0.3), (1, 0, -0.1), (-1, 1, 0.25), (0.5, 3),
          (0, 10, 3), (10, 0, -3), (0, 5.5), (3, 3), (1e-3, 1, 0.07), (0, 1, 1 / 3), (2.5,),
          (0, 1e-2, 1e-3), (-5, 5, 0.7), (0, 100, 0.1), (1, 2, 0.15), (0, 1, 0.01),
          (1, 0, -0.013), (0.3, 50.1, 0.37), (0, 3000, 1.1), (-7.1, 9.3, 0.05),
          (0, 1, 0.3), (0, 2.5, 1), (0.5, 3), (-0.5, 3), (0, 10, 2.5), (0, 10, 0.5)]


@pytest.mark.parametrize("args", ARANGE)
@pytest.mark.parametrize("dt", [None, "float64", "float16", "bfloat16", "int32", "int64"])
def test_arange_values(args, dt):
    if dt in ("float16", "bfloat16") and max(abs(a) for a in args) > 1000:
        return
    kw = (lambda m: {}) if dt is None else (lambda m: {"dtype": getattr(m, dt)})
    same(lambda m: m.arange(*args, **kw(m)))


def test_arange_errors_and_kinds():
    for c in [lambda m: m.arange(0, 1, 0), lambda m: m.arange(0, -1, 1), lambda m: m.arange(5, 0, 1),
              lambda m: m.arange(0, float("inf")), lambda m: m.arange(0, float("nan")),
              lambda m: m.arange(float("nan"), 3), lambda m: m.arange(0, 1, float("nan")),
              lambda m: m.arange(0, 1, float("inf")), lambda m: m.arange(3, dtype=m.bool),
              lambda m: m.arange(3, dtype=m.complex64), lambda m: m.arange(m.tensor(3)),
              lambda m: m.arange(m.tensor(2.5)), lambda m: m.arange(m.tensor([2.5])),
              lambda m: m.arange(m.tensor(2), m.tensor(5.0)), lambda m: m.arange(0, 5, m.tensor(2)),
              lambda m: m.arange(np.int64(3)), lambda m: m.arange(np.float32(3)),
              lambda m: m.arange(3.0, requires_grad=True), lambda m: m.arange(start=1, end=4),
              lambda m: m.arange(end=4), lambda m: m.arange(True), lambda m: m.arange(0, 2 ** 63),
              lambda m: m.arange(2 ** 62, 2 ** 62 + 3), lambda m: m.arange(0, 2 ** 40, 2 ** 39),
              lambda m: m.arange(300, dtype=m.uint8), lambda m: m.arange(10, 0, -3, dtype=m.uint8),
              lambda m: m.arange(0, 0.0, -1), lambda m: m.arange(1, 1)]:
        same(c)


LINSPACE = [(0, 1, 5), (0, 1, 11), (-1, 1, 7), (0, 10, 4), (1, 0, 6), (0, 1, 1), (0, 1, 0),
            (3.5, 3.5, 3), (0, 1, 100), (0.1, 0.9, 9), (-3, 7, 13), (0, 1e-3, 5),
            (2, 1000, 37), (-2.7, 3.3, 51), (0.3, 77.7, 999), (0, 5000, 3001)]


@pytest.mark.parametrize("args", LINSPACE)
@pytest.mark.parametrize("dt", [None, "float64", "float16", "bfloat16", "int64", "int32"])
def test_linspace_logspace_values(args, dt):
    kw = (lambda m: {}) if dt is None else (lambda m: {"dtype": getattr(m, dt)})
    same(lambda m: m.linspace(*args, **kw(m)))
    if dt in ("float16", "bfloat16", "int32") and max(abs(a) for a in args[:2]) > 3:
        return
    for base in (10.0, 2.0, 2.5):
        same(lambda m: m.logspace(*args, base=base, **kw(m)))


def test_linspace_logspace_misc():
    for c in [lambda m: m.linspace(0, 1, -1), lambda m: m.linspace(m.tensor(0.0), m.tensor(1.0), 3),
              lambda m: m.linspace(0, 1j, 3), lambda m: m.linspace(0, 4, 5),
              lambda m: m.linspace(0, 1, 3, requires_grad=True),
              lambda m: m.logspace(2, 400, 37), lambda m: m.logspace(2, 400, 37, dtype=m.int64),
              lambda m: m.logspace(0, 1, 1), lambda m: m.logspace(0, 1, 0)]:
        same(c)
    with pytest.raises(TypeError):
        ember.linspace(0, 1, 2.5)


def test_range_is_deprecated_and_inclusive():
    for c in [lambda m: m.range(0, 3), lambda m: m.range(0, 1, 0.25),
              lambda m: m.range(0, 3, dtype=m.int64)]:
        same(c)
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        ember.range(0, 1)


# --- legacy constructors --------------------------------------------------------------------

def test_legacy_constructors():
    for c in [lambda m: m.Tensor(), lambda m: m.Tensor(2, 3).shape, lambda m: m.Tensor((2, 3)),
              lambda m: m.Tensor([2, 3]), lambda m: m.Tensor([[1, 2]]),
              lambda m: m.Tensor(m.Size([2, 3])).shape, lambda m: m.Tensor(np.array([1, 2])),
              lambda m: m.Tensor(np.array([1.5, 2])), lambda m: m.Tensor(2.5),
              lambda m: m.Tensor(-1), lambda m: m.Tensor([True]), lambda m: m.Tensor(2, 3.0),
              lambda m: m.Tensor(m.zeros(2, dtype=m.int64)), lambda m: m.Tensor("a"),
              lambda m: m.FloatTensor([1, 2]), lambda m: m.LongTensor([1.7, 2]),
              lambda m: m.LongTensor(2).shape, lambda m: m.DoubleTensor(2, 2).shape,
              lambda m: m.ByteTensor([1, 300]), lambda m: m.BoolTensor([1, 0]),
              lambda m: m.IntTensor([[1], [2]]), lambda m: m.HalfTensor([1.5]),
              lambda m: m.FloatTensor(m.zeros(2)), lambda m: m.FloatTensor("a"),
              lambda m: m.Tensor(size=(2,)).shape, lambda m: type(m.FloatTensor([1])).__name__,
              lambda m: [isinstance(m.zeros(1), m.FloatTensor),
                         isinstance(m.zeros(1, dtype=m.int64), m.FloatTensor),
                         isinstance(m.zeros(1, dtype=m.int64), m.LongTensor),
                         issubclass(m.FloatTensor, m.Tensor)]]:
        same(c)
    same(lambda m: m.Tensor([1], dtype=m.float64), match=False)
    same(lambda m: m.Tensor([1], [2]), match=False)
    same(lambda m: m.FloatTensor(m.zeros(2, dtype=m.int64)), match=False)

    def alias(m):
        a = m.zeros(2)
        b = m.Tensor(a)
        b[0] = 5
        r = m.zeros(2, requires_grad=True)
        return [a, b is a, b._base is a, type(m.Tensor(r).grad_fn).__name__]
    same(alias)

    class Sub(ember.Tensor):
        pass
    s = Sub([1.0, 2.0])
    assert type(s) is Sub and s.tolist() == [1.0, 2.0]


def test_default_dtype_effects():
    torch.set_default_dtype(torch.float64)
    ember.set_default_dtype(ember.float64)
    try:
        for c in [lambda m: m.tensor([1.5]), lambda m: m.tensor(1j), lambda m: m.zeros(2),
                  lambda m: m.arange(0, 1, 0.1), lambda m: m.arange(3),
                  lambda m: m.linspace(0, 1, 7), lambda m: m.full((1,), 2.5),
                  lambda m: m.Tensor([1]), lambda m: m.tensor([]), lambda m: m.eye(2),
                  lambda m: m.tensor([m.tensor(1.0, dtype=m.float32), 2.0])]:
            same(c)
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)
