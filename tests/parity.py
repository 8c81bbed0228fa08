"""Run the same code on torch and on ember and compare what comes out.

    check(lambda m, x: m.exp(x) + 1, x=np.random.rand(3, 4))

``m`` is the module (torch or ember); NumPy arrays given as keyword arguments
become tensors of that module (``grad=True`` makes floating ones require grad,
and then gradients of the summed outputs are compared too).  Values, dtypes,
shapes, strides and requires_grad are compared; if torch raises, ember must
raise the same exception type (and, with ``match=True``, the same message).
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402

_DTYPES = {}


def dtype_pair(name):
    return getattr(torch, name), getattr(ember, name)


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    if isinstance(t, ember.Tensor):
        a = t.detach()._data
        if t.dtype is ember.bfloat16:
            a = a.astype(np.float32)
        return a
    return t


def make(m, arr, grad=False, dtype=None):
    if isinstance(arr, np.ndarray):
        t = m.tensor(arr) if dtype is None else m.tensor(arr, dtype=getattr(m, dtype))
        if grad and (t.is_floating_point() or t.is_complex()):
            t.requires_grad_(True)
        return t
    return arr


def _run(m, fn, inputs, grad, dtype):
    made = {k: make(m, v, grad, dtype) for k, v in inputs.items()}
    try:
        out = fn(m, **made)
    except Exception as e:  # noqa: BLE001 - compared against the other library
        return made, None, e
    return made, out, None


def _flatten(out):
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flatten(o))
        return res
    return [out]


def assert_same(t_out, e_out, rtol=1e-5, atol=1e-6, check_stride=True, what="output"):
    t_list, e_list = _flatten(t_out), _flatten(e_out)
    assert len(t_list) == len(e_list), f"{what}: {len(t_list)} outputs vs {len(e_list)}"
    for i, (a, b) in enumerate(zip(t_list, e_list)):
        if isinstance(a, torch.Tensor):
            assert isinstance(b, ember.Tensor), f"{what}[{i}]: ember gave {type(b)}"
            assert str(a.dtype).replace("torch.", "") == b.dtype.name, \
                f"{what}[{i}] dtype: torch {a.dtype} vs ember {b.dtype}"
            assert tuple(a.shape) == tuple(b.shape), \
                f"{what}[{i}] shape: torch {tuple(a.shape)} vs ember {tuple(b.shape)}"
            if check_stride == "layout" and a.numel() > 1:
                # a leaf's .grad: the layout counts, not strides along size-1 dims
                sa = tuple(s for s, n in zip(a.stride(), a.shape) if n != 1)
                sb = tuple(s for s, n in zip(b.stride(), b.shape) if n != 1)
                assert sa == sb, f"{what}[{i}] stride: torch {a.stride()} vs ember {b.stride()}"
            elif check_stride and a.numel() > 1:
                assert a.stride() == b.stride(), \
                    f"{what}[{i}] stride: torch {a.stride()} vs ember {b.stride()}"
            assert a.requires_grad == b.requires_grad, f"{what}[{i}] requires_grad differs"
            an, bn = to_numpy(a), to_numpy(b)
            if a.dtype == torch.bool or not (a.is_floating_point() or a.is_complex()):
                np.testing.assert_array_equal(bn, an, err_msg=f"{what}[{i}]")
            else:
                np.testing.assert_allclose(bn, an, rtol=rtol, atol=atol, equal_nan=True,
                                           err_msg=f"{what}[{i}]")
        elif isinstance(a, float):
            assert b == pytest.approx(a, rel=rtol, abs=atol, nan_ok=True), f"{what}[{i}]"
        elif isinstance(a, torch.Size):
            assert tuple(a) == tuple(b)
        else:
            assert a == b, f"{what}[{i}]: torch {a!r} vs ember {b!r}"


def check(fn, *, grad=False, dtype=None, rtol=1e-5, atol=1e-6, check_stride=True,
          match=False, **inputs):
    """Compare ``fn(torch, **tensors)`` with ``fn(ember, **tensors)``."""
    t_in, t_out, t_err = _run(torch, fn, inputs, grad, dtype)
    e_in, e_out, e_err = _run(ember, fn, inputs, grad, dtype)
    if t_err is not None:
        assert e_err is not None, f"torch raised {type(t_err).__name__}: {t_err}; ember did not"
        assert type(e_err).__name__ == type(t_err).__name__ or isinstance(
            e_err, type(t_err)), (f"torch raised {type(t_err).__name__}: {t_err}; ember raised "
                                  f"{type(e_err).__name__}: {e_err}")
        if match:
            assert str(e_err) == str(t_err), f"message: torch {t_err!s} vs ember {e_err!s}"
        return
    if e_err is not None:
        raise e_err
    assert_same(t_out, e_out, rtol, atol, check_stride)
    if grad:
        t_outs = [o for o in _flatten(t_out) if isinstance(o, torch.Tensor) and o.requires_grad]
        e_outs = [o for o in _flatten(e_out) if isinstance(o, ember.Tensor) and o.requires_grad]
        assert len(t_outs) == len(e_outs)
        if t_outs:
            sum(o.float().sum() if not o.is_complex() else o.real.sum() for o in t_outs) \
                .backward()
            sum(o.float().sum() for o in e_outs).backward()
            for k in inputs:
                a, b = t_in[k], e_in[k]
                if isinstance(a, torch.Tensor) and a.requires_grad:
                    if a.grad is None:
                        assert b.grad is None, f"grad of {k}: torch None, ember not"
                    else:
                        assert b.grad is not None, f"grad of {k}: ember None"
                        assert_same(a.grad, b.grad, rtol, atol, check_stride and "layout",
                                    what=f"grad of {k}")
    return t_out, e_out


def same_repr(t_obj, e_obj):
    """PyTorch's text with ``torch`` renamed, as the acceptance runner compares."""
    a = repr(t_obj)
    b = repr(e_obj).replace("ember.", "torch.")
    assert a == b, f"\ntorch: {a}\nember: {b}"
