"""gradcheck / gradgradcheck: analytical gradients against central differences."""
import warnings

from .. import _dtype as D
from .._backend import np


class GradcheckError(RuntimeError):
    pass


def _tensors(inputs):
    from .._tensor import Tensor
    if isinstance(inputs, Tensor):
        return (inputs,)
    return tuple(inputs)


def _flat_outputs(out):
    from .._tensor import Tensor
    if isinstance(out, Tensor):
        return (out,)
    return tuple(o for o in out if isinstance(o, Tensor))


def _as_float64(outs):
    return [o._data.astype(np.float64).reshape(-1) for o in outs]


def _numerical_jacobians(fn, inputs, i, eps):
    """Per output: an (input numel x output numel) matrix of central differences."""
    arr = inputs[i]._data
    cols = []
    for idx in np.ndindex(arr.shape):
        orig = arr[idx].copy()
        arr[idx] = orig + eps
        plus = _as_float64(_flat_outputs(fn(*inputs)))
        arr[idx] = orig - eps
        minus = _as_float64(_flat_outputs(fn(*inputs)))
        arr[idx] = orig
        cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    n_out = len(cols[0]) if cols else len(_flat_outputs(fn(*inputs)))
    return [np.array([c[oi] for c in cols]).reshape(arr.size, -1) for oi in range(n_out)]


def _analytical_jacobians(fn, inputs, diff, oi):
    """Rows of d(output oi)/d(input) for each differentiable input, one backward per element."""
    from . import grad as autograd_grad
    from .._creation import zeros_like
    out = _flat_outputs(fn(*inputs))[oi]
    jac = {i: np.zeros((inputs[i].numel(), out.numel())) for i in diff}
    for j in range(out.numel()):
        out = _flat_outputs(fn(*inputs))[oi]
        go = zeros_like(out)
        go._data.flat[j] = 1
        grads = autograd_grad(out, [inputs[i] for i in diff], go, allow_unused=True)
        for i, g in zip(diff, grads):
            if g is not None:
                jac[i][:, j] = g._data.astype(np.float64).reshape(-1)
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """True if ``func``'s backward matches finite differences at ``inputs`` (float64)."""
    from .._tensor import _wrap
    inputs = _tensors(inputs)
    diff = [i for i, t in enumerate(inputs) if getattr(t, "requires_grad", False)]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype not in (D.float64, D.complex128):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ")
    outputs = _flat_outputs(func(*inputs))
    numerical = {i: _numerical_jacobians(func, inputs, i, eps) for i in diff}
    for oi, out in enumerate(outputs):
        if not (out.dtype.is_floating_point or out.dtype.is_complex):
            continue
        if out.requires_grad:
            analytical = _analytical_jacobians(func, inputs, diff, oi)
        else:  # no graph at all: its analytical derivative is zero
            analytical = {i: np.zeros((inputs[i].numel(), out.numel())) for i in diff}
        for i in diff:
            num, ana = numerical[i][oi], analytical[i]
            if not np.allclose(ana, num, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {oi} with respect to input {i},\n"
                        f"numerical:{_wrap(num)}\nanalytical:{_wrap(ana)}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  fast_mode=False, masked=False):
    """gradcheck of the first derivatives (built with create_graph=True)."""
    from . import grad as autograd_grad
    from .._creation import randn_like_for_check
    inputs = _tensors(inputs)
    outputs = _flat_outputs(func(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(randn_like_for_check(o) for o in outputs)
    grad_outputs = _tensors(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _flat_outputs(func(*ins))
        d = tuple(t for t in ins if getattr(t, "requires_grad", False))
        gs = autograd_grad(outs, d, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
