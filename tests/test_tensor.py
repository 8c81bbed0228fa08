"""The Tensor object itself against PyTorch: storage and strides, conversions, the Python
protocols, copying and pickling, Size, dtype/device conversion, devices and CUDA stubs."""
import copy
import math
import pickle
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from _helpers import make_same  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")


def _norm(x, m):
    """Something comparable between the libraries for a result of either."""
    if isinstance(x, m.Tensor):
        d = x.detach()
        if d.dtype == m.bfloat16:
            d = d.float()
        vals = d.tolist()
        return ("T", str(x.dtype).split(".")[-1], tuple(x.shape), x.stride(), x.requires_grad,
                repr(vals))
    if isinstance(x, m.Size):
        return ("Size", tuple(x))
    if isinstance(x, m.dtype):
        return str(x).split(".")[-1]
    if isinstance(x, m.device):
        return ("device", repr(x))
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_norm(v, m) for v in x])
    if isinstance(x, float) and math.isnan(x):
        return "nan"
    if isinstance(x, str):
        return x.replace("ember", "torch")
    return x


same = make_same(_norm)


# --- storage, strides, offsets --------------------------------------------------------------

POINTS = [[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]]


@pytest.mark.parametrize("make", [
    lambda m: m.tensor(POINTS), lambda m: m.tensor([1, 2]), lambda m: m.tensor([True, False]),
    lambda m: m.tensor([]), lambda m: m.tensor([1.5, 2.25e10]),
    lambda m: m.tensor([1.5, 2.25e10], dtype=m.float16),
    lambda m: m.tensor([1.5, 2.2], dtype=m.bfloat16), lambda m: m.tensor([1.5 + 2j]),
    lambda m: m.tensor(3.5), lambda m: m.tensor([0.1, 1 / 3], dtype=m.float64),
    lambda m: m.tensor([1, 2], dtype=m.uint8)])
def test_typed_storage_repr(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = repr(make(torch).storage())
    assert repr(make(ember).storage()).replace("ember", "torch") == expected
    assert str(make(ember).storage()).replace("ember", "torch") == expected


def test_typed_storage_warns_once():
    ember._tensor._warned_typed_storage[0] = False
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        ember.ones(1).storage()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.ones(1).storage()


def test_untyped_storage_repr():
    for dt in ("int16", "float32"):
        same(lambda m: repr(m.tensor([1, 2], dtype=getattr(m, dt)).untyped_storage()))
    same(lambda m: repr(m.tensor([], dtype=m.int16).untyped_storage()))


def test_storage_indexing_and_writes():
    def run(m):
        p = m.tensor(POINTS)
        s = p.storage()
        out = [s[0], s[-1], len(s), s.size(), s.dtype, s.element_size(), s.nbytes(),
               s.tolist(), list(s), s.type(), type(s).__name__, s.device]
        s[0] = 9
        s[-1] = 7.5
        s[1:3] = 0
        out.append(p)
        out.append(p[1].storage().size())
        return out
    same(run)
    for bad in (lambda s: s[6], lambda s: s[-7], lambda s: s[1:3], lambda s: s["a"],
                lambda s: s[np.int64(1)]):
        same(lambda m: bad(m.tensor(POINTS).storage()))
    same(lambda m: m.tensor(POINTS).storage().__setitem__(6, 1.0))
    same(lambda m: m.tensor(POINTS).storage().__setitem__(0, "a"))


def test_untyped_storage_bytes():
    def run(m):
        u = m.tensor(POINTS).untyped_storage()
        return [type(u).__name__, u.size(), u.nbytes(), len(u), u[0], u[3], u[-1],
                u.tolist()[:8], u.device, type(u[1:5]).__name__, u[1:5].tolist()]
    same(run)
    same(lambda m: m.tensor(POINTS).untyped_storage()[24])
    same(lambda m: m.tensor(POINTS).untyped_storage()[-25])
    p = ember.tensor(POINTS)
    assert p.untyped_storage() is p.untyped_storage() is p.t().untyped_storage()
    assert p[1:].untyped_storage().data_ptr() == p.untyped_storage().data_ptr()


def test_storage_sharing_and_offsets():
    def run(m):
        p = m.tensor(POINTS)
        t = p.t()
        return [p.untyped_storage().data_ptr() == t.untyped_storage().data_ptr(),
                p.data_ptr() == p.untyped_storage().data_ptr(), p[1].data_ptr() - p.data_ptr(),
                p.stride(), p.stride(0), p.stride(-1), t.stride(), p[1].storage_offset(),
                p[1:].storage_offset(), p[:, 1].storage_offset(), t[1].storage_offset(),
                p[2:].storage_offset(), p.is_contiguous(), t.is_contiguous(),
                p[:, :1].is_contiguous(), p[::2].is_contiguous(),
                m.zeros(3, 1).t().is_contiguous(), t.contiguous().stride(),
                p.contiguous() is p, t.contiguous().is_contiguous(), p.nbytes, p.itemsize,
                p.element_size(), p.size(), p.size(1), p.size(-2), p.shape, p.dim(), p.ndim,
                p.numel(), p.nelement(), p.ndimension()]
    same(run)
    same(lambda m: m.tensor(POINTS).stride(2))
    same(lambda m: m.tensor(POINTS).size(-3))
    same(lambda m: [m.zeros(0, 3).stride(), m.zeros(2, 0, 3).stride(), m.zeros(3, 1, 2).stride()])


def test_note_formula_on_views():
    """x[i, j] = storage[offset + stride0 * i + stride1 * j] for every kind of view."""
    m = ember.arange(20.).reshape(4, 5)
    for view in (m, m[1:, 2:], m.t(), m[::2, ::3], m[:, 1].unsqueeze(1)):
        s = view.storage()
        off, st = view.storage_offset(), view.stride()
        for i in range(view.shape[0]):
            for j in range(view.shape[1]):
                assert s[off + st[0] * i + st[1] * j] == view[i, j].item()


def test_clone_detach_data():
    def run(m):
        x = m.tensor(POINTS, requires_grad=True)
        c = x.clone()
        d = x.detach()
        return [c.data_ptr() != x.data_ptr(), c.grad_fn is not None, d.requires_grad,
                d.data_ptr() == x.data_ptr(), d.is_leaf, x.data.requires_grad,
                x.data.data_ptr() == x.data_ptr(), d.grad_fn, c]
    same(run)

    def versions(m):
        x = m.tensor([1.0], requires_grad=True)
        h = x * 1
        v = [h._version]
        h.add_(1)
        v.append(h._version)
        h.detach().add_(1)   # detach shares the version counter
        v.append(h._version)
        h.data.add_(1)       # .data does not
        v.append(h._version)
        return v
    same(versions)


def test_set_data():
    def run(m):
        a = m.tensor([1.0, 2.0], requires_grad=True)
        a.data = m.tensor([5.0, 6.0, 7.0])
        return a, a.requires_grad, a.shape
    same(run)
    same(lambda m: setattr(m.tensor([1.0]), "data", 5))


# --- conversions ----------------------------------------------------------------------------

def test_item_tolist():
    same(lambda m: [m.tensor(2.5).item(), m.tensor(7).item(), m.tensor(True).item(),
                    m.tensor([[3]]).item(), type(m.tensor(2, dtype=m.uint8).item()).__name__,
                    m.tensor([1.5], dtype=m.bfloat16).item()])
    same(lambda m: m.tensor([1.0, 2.0]).item())
    same(lambda m: m.tensor([]).item())
    same(lambda m: [m.tensor([1.5, 2.5]).tolist(), m.tensor([1, 2]).tolist(), m.tensor(2.5).tolist(),
                    m.tensor([[True]]).tolist(), m.tensor([1.5], dtype=m.bfloat16).tolist(),
                    m.tensor([1.1], dtype=m.float16).tolist(), m.tensor([1 + 2j]).tolist(),
                    m.zeros(2, 0).tolist()])


def test_numpy_bridge_shares_memory():
    x = ember.tensor([1.0, 2.0, 3.0])
    a = x.numpy()
    a[0] = 9
    assert x.tolist() == [9.0, 2.0, 3.0]
    x.add_(1)
    assert a.tolist() == [10.0, 3.0, 4.0]
    arr = np.arange(3.0)
    t = ember.from_numpy(arr)
    arr[0] = 7
    t.add_(1)
    assert arr.tolist() == [8.0, 2.0, 3.0] and t.tolist() == [8.0, 2.0, 3.0]
    t = ember.from_numpy(np.arange(12.).reshape(3, 4)[1:, ::2])
    assert (t.stride(), t.storage_offset()) == (torch.from_numpy(
        np.arange(12.).reshape(3, 4)[1:, ::2]).stride(), 0)
    rg = ember.tensor([1.0], requires_grad=True)
    same(lambda m: m.tensor([1.0], requires_grad=True).numpy())
    assert rg.numpy(force=True).tolist() == [1.0]
    assert rg.detach().numpy().tolist() == [1.0]
    same(lambda m: m.tensor([1.0], dtype=m.bfloat16).numpy())


def test_from_numpy_dtypes_and_errors():
    for code in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "b1", "c8", "c16", "u2",
                 "u4", "u8"]:
        same(lambda m: m.from_numpy(np.zeros(2, code)))
    for bad in (lambda: np.zeros(1, object), lambda: np.arange(3)[::-1],
                lambda: np.array(["a"]), lambda: np.array([1, 2], dtype=">i4")):
        same(lambda m: m.from_numpy(bad()))
    same(lambda m: m.from_numpy([1, 2]))
    same(lambda m: m.from_numpy(np.array(3.5)))


def test_array_protocol():
    x = ember.tensor([1.5, 2.5])
    assert np.asarray(x).dtype == np.float32
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert np.array(ember.tensor(2.5)).shape == ()
    assert np.add(x, 1).tolist() == [2.5, 3.5]


def test_python_number_protocols():
    x = lambda m: m.tensor([1.5, 2.5, 3.5])  # noqa: E731
    for fn in (lambda m: int(m.tensor(2.5)), lambda m: int(m.tensor([[3.9]])),
               lambda m: int(m.tensor(-3.9)), lambda m: float(m.tensor(7)),
               lambda m: float(m.tensor([True])), lambda m: complex(m.tensor(2.5)),
               lambda m: int(x(m)), lambda m: int(m.tensor([])), lambda m: float(x(m)),
               lambda m: bool(m.tensor([1])), lambda m: bool(m.tensor(0.0)),
               lambda m: bool(x(m)), lambda m: bool(m.tensor([])),
               lambda m: list(range(10))[m.tensor(7)], lambda m: [1, 2, 3][m.tensor([1])],
               lambda m: hex(m.tensor(7)), lambda m: [1, 2][m.tensor(2.5)],
               lambda m: [1, 2][m.tensor([1, 2])], lambda m: m.tensor(7).__index__()):
        same(fn)


def test_format():
    same(lambda m: [f"{m.tensor(2.5):f}", f"{m.tensor(2.5):.2f}", f"{m.tensor(7):d}",
                    f"{m.tensor(7)}", f"{m.tensor(2.5)}", format(m.tensor(2.5), ""),
                    f"{m.tensor(True)}", f"{m.tensor([1.5, 2.5])}"])
    same(lambda m: f"{m.tensor([1.5, 2.5]):.2f}")
    same(lambda m: f"{m.tensor([2.5]):.2f}")


def test_len_iter_contains_hash():
    same(lambda m: [len(m.tensor([1, 2, 3])), len(m.zeros(0, 3)), [e for e in m.tensor([1.5, 2])],
                    [e.shape for e in m.zeros(2, 3)]])
    same(lambda m: len(m.tensor(2.5)))
    same(lambda m: iter(m.tensor(2.5)))
    same(lambda m: [2.5 in m.tensor([1.5, 2.5]), 2 in m.tensor([1.5, 2.5]), 2 in m.tensor([1, 2]),
                    m.tensor(2) in m.tensor([1, 2]), m.tensor([1, 5]) in m.tensor([1, 2]),
                    True in m.tensor([False])])
    same(lambda m: m.tensor([1, 2]) in m.tensor([1, 2, 3]))
    same(lambda m: "a" in m.tensor([1.5]))
    same(lambda m: [1] in m.tensor([1.5]))
    t = ember.tensor([1.0])
    assert hash(t) == id(t) and len({t, t, ember.tensor([1.0])}) == 2


# --- copy, deepcopy, pickle -----------------------------------------------------------------

def test_deepcopy():
    def run(m):
        a = m.tensor([1.0], requires_grad=True)
        a.grad = m.ones(1)
        a.foo = 5
        b = copy.deepcopy(a)
        return [b, b.requires_grad, b is a, b.grad, b.foo, b.is_leaf,
                b.data_ptr() != a.data_ptr()]
    same(run)
    same(lambda m: copy.deepcopy(m.tensor([1.0], requires_grad=True) * 2))

    def shared(m):
        a = m.arange(4.)
        x, v = copy.deepcopy([a, a[1:]])
        v[0] = 10
        return [x, v._base is x, x.untyped_storage().data_ptr() == v.untyped_storage().data_ptr(),
                v.storage_offset(), v.stride()]
    same(shared)


def test_copy_copy_shares_memory():
    def run(m):
        a = m.arange(4.).requires_grad_()
        b = copy.copy(a)
        return [b is a, b.data_ptr() == a.data_ptr(), b.requires_grad, b.is_leaf, b]
    same(run)


def test_pickle_round_trip():
    for make in (lambda m: m.tensor(POINTS), lambda m: m.tensor([1, 2], dtype=m.int16),
                 lambda m: m.tensor([1.0], requires_grad=True), lambda m: m.tensor(True),
                 lambda m: m.zeros(2, 0)):
        same(lambda m: pickle.loads(pickle.dumps(make(m))))
    same(lambda m: pickle.loads(pickle.dumps(m.Size([2, 3]))))
    same(lambda m: pickle.loads(pickle.dumps(m.device("cuda:1"))))
    assert pickle.loads(pickle.dumps(ember.float16)) is ember.float16


# --- Size -----------------------------------------------------------------------------------

def test_size():
    same(lambda m: [m.zeros(1, 3).shape, str(m.zeros(1, 3).shape), m.zeros(1, 3).shape[0],
                    m.zeros(1, 3).shape[1:], m.zeros(1, 3).shape[:0],
                    type(m.zeros(1, 3).shape[1:]).__name__, m.zeros(1, 3).shape.numel(),
                    m.Size([2, 3]).numel(), m.Size([]).numel(), m.Size([]),
                    m.Size((2,)) + (3,), (1,) + m.Size([2]), m.Size([2]) * 2, 2 * m.Size([2]),
                    m.Size([2]) == (2,), type(m.Size([2]) + (1,)).__name__,
                    type((1,) + m.Size([2])).__name__, m.Size([1, 3]).count(1),
                    m.Size([1, 3]).index(3), hash(m.Size([1, 3])) == hash((1, 3)),
                    m.Size([m.tensor(3)]), m.Size([-1]), repr(m.Size([2]) * 0)])
    same(lambda m: m.Size([1.5]))
    same(lambda m: m.Size([2]) + [3])


# --- dtype and device conversion ------------------------------------------------------------

def test_to_dtype_device_other():
    x = lambda m: m.tensor([[1.5, 2.5, 3.5]])  # noqa: E731
    same(lambda m: [x(m).to(m.float64), x(m).to(m.int32), x(m).to(dtype=m.float16),
                    x(m).to("cpu", m.float64), x(m).to(device="cpu", dtype=m.int8),
                    x(m).to(m.tensor([1], dtype=m.int16)), x(m).to(int), x(m).to(float),
                    x(m).to("cpu", non_blocking=True), x(m).to(None), x(m).to(m.float32, copy=True)])
    for fn in (lambda t: t.to(m_float32(t)) is t, lambda t: t.to("cpu") is t,
               lambda t: t.cpu() is t, lambda t: t.float() is t, lambda t: t.to(t) is t):
        assert fn(ember.ones(2)) and fn(torch.ones(2))
    assert ember.ones(2).to(ember.float32, False, True) is not None
    same(lambda m: x(m).to(m.float32, False, True) is x(m))
    for bad in (lambda m: x(m).to(m.float64, m.float32), lambda m: x(m).to(foo=1),
                lambda m: x(m).to([1]), lambda m: x(m).to("gpu")):
        same(bad)

    def grads(m):
        y = m.tensor([1.5], requires_grad=True)
        return [type(y.to(m.float64).grad_fn).__name__, y.to(m.float32) is y,
                type(y.double().grad_fn).__name__,
                type(y.to(m.float32, copy=True).grad_fn).__name__,
                type(y.type(m.float64).grad_fn).__name__]
    same(grads)


def m_float32(t):
    return ember.float32 if isinstance(t, ember.Tensor) else torch.float32


def test_type_strings_and_conversions():
    same(lambda m: [m.tensor([1.5]).type(), m.tensor([1]).type(), m.tensor([True]).type(),
                    m.tensor([1], dtype=m.uint8).type(), m.tensor([1.], dtype=m.bfloat16).type(),
                    m.tensor([1j]).type(), m.tensor([1.], dtype=m.float16).type()])
    same(lambda m: [m.tensor([1.5]).type(m.float64), m.tensor([1.5]).type("torch.DoubleTensor"),
                    m.tensor([1.5]).type("torch.IntTensor"), m.tensor([1.5]).type(m.IntTensor),
                    m.tensor([1.5]).type_as(m.tensor([1]))])
    assert ember.tensor([1.5]).type(ember.float32).dtype is ember.float32
    same(lambda m: m.tensor([1.5]).type("torch.FooTensor"))
    same(lambda m: m.tensor([1.5]).type(int))
    for name in ["float", "double", "half", "bfloat16", "long", "int", "short", "char", "byte",
                 "bool", "cfloat", "cdouble"]:
        same(lambda m: getattr(m.tensor([1.7, -2.2, 0.0]), name)())
    same(lambda m: [m.tensor([1 / 3]).half(), m.tensor([1 / 3, 1e5 + 3]).bfloat16()])


def test_devices():
    same(lambda m: [m.device("cpu"), m.device("cuda:0"), m.device("cuda", 1), m.device("cuda"),
                    str(m.device("cuda:0")), m.device("cpu") == m.device("cpu"),
                    m.device("cpu") == "cpu", m.device("cuda:0") == m.device("cuda"),
                    m.device("cuda:0").index, m.device("cuda:0").type, m.device(0),
                    m.device("cpu", 0), m.device("meta"), str(m.device("cpu:0")),
                    len({m.device("cpu"), m.device("cpu")}), copy.deepcopy(m.device("cuda:1"))])
    for bad in ("foo", "cuda:x", "cuda:-1", "cuda:01", " cuda", "CUDA"):
        same(lambda m: m.device(bad))
    same(lambda m: m.device("cuda:0", 1))
    same(lambda m: m.device("cuda", -1))
    same(lambda m: [m.ones(1).device, m.ones(1).is_cuda, m.ones(1).is_cpu, m.ones(1).get_device(),
                    m.zeros(2, device=m.device("cpu")).device])


def test_cuda_absent():
    # PyTorch without CUDA: the reference here is a CUDA build on a machine without a
    # GPU, so the CPU-only build's wording is asserted directly.
    msg = "Torch not compiled with CUDA enabled"
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    assert ember.cuda.is_initialized() is False
    for fn in (lambda: ember.ones(2).cuda(), lambda: ember.ones(2).to("cuda"),
               lambda: ember.ones(2).to("cuda:1"), lambda: ember.ones(2).to(0),
               lambda: ember.zeros(2, device="cuda"), lambda: ember.tensor([1.0], device="cuda"),
               lambda: ember.cuda.current_device(), lambda: ember.cuda.synchronize(),
               lambda: ember.ones(1).type("torch.cuda.FloatTensor")):
        with pytest.raises(AssertionError, match=msg):
            fn()
    ember.cuda.manual_seed(0)
    ember.cuda.manual_seed_all(0)
    ember.cuda.empty_cache()
    assert ember.cuda.memory_allocated() == 0
