"""gradcheck / gradgradcheck: analytical gradients against central differences."""
from .. import _dtype as D


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


def _numerical_jacobian(fn, inputs, i, eps):
    """Columns d out / d inputs[i][k] by central differences (float64 in place)."""
    from .grad_mode import no_grad
    x = inputs[i]
    flat = x._data.reshape(-1)
    cols = []
    with no_grad():
        for k in range(flat.size):
            orig = flat[k]
            flat[k] = orig + eps
            plus = [o._data.astype("float64").reshape(-1).copy()
                    for o in _flat_outputs(fn(*inputs))]
            flat[k] = orig - eps
            minus = [o._data.astype("float64").reshape(-1).copy()
                     for o in _flat_outputs(fn(*inputs))]
            flat[k] = orig
            cols.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    return cols


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    from . import grad as autograd_grad
    import numpy as np
    inputs = _tensors(inputs)
    diff = [i for i, t in enumerate(inputs) if getattr(t, "requires_grad", False)]
    for i in diff:
        if inputs[i].dtype not in (D.float64, D.complex128):
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          "point or complex. This check will likely fail if all the inputs are "
                          "not of double precision floating point or complex. ")
    outputs = _flat_outputs(func(*inputs))
    for oi, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        n_out = out.numel()
        for i in diff:
            numerical = np.array([col[oi] for col in _numerical_jacobian(func, inputs, i, eps)])
            analytical = np.zeros((inputs[i].numel(), n_out))
            for j in range(n_out):
                from .._creation import zeros_like
                go = zeros_like(out)
                go._data.reshape(-1)[j] = 1
                g = autograd_grad(_flat_outputs(func(*inputs))[oi], inputs[i], go,
                                  allow_unused=True)[0]
                if g is not None:
                    analytical[:, j] = g._data.astype("float64").reshape(-1)
            if not np.allclose(analytical, numerical, rtol=rtol, atol=atol):
                if raise_exception:
                    raise GradcheckError(
                        f"Jacobian mismatch for output {oi} with respect to input {i},\n"
                        f"numerical:{numerical}\nanalytical:{analytical}\n")
                return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True,
                  fast_mode=False, masked=False):
    from . import grad as autograd_grad
    from .._creation import randn_like_for_check
    inputs = _tensors(inputs)
    outputs = _flat_outputs(func(*inputs))
    if grad_outputs is None:
        grad_outputs = tuple(randn_like_for_check(o) for o in outputs)
    grad_outputs = _tensors(grad_outputs)
    diff = tuple(t for t in inputs if getattr(t, "requires_grad", False))
    n_in = len(inputs)

    def first_grads(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _flat_outputs(func(*ins))
        d = tuple(t for t in ins if getattr(t, "requires_grad", False))
        gs = autograd_grad(outs, d, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
