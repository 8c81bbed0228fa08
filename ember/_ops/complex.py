"""Complex numbers: conjugation, ``real``/``imag`` views, ``view_as_real``/``view_as_complex``,
``angle``, ``polar``, ``adjoint``, and the rule that makes complex gradients PyTorch's.

PyTorch passes back the conjugate Wirtinger derivative: for a holomorphic ``f`` the input's
gradient is ``grad * conj(f'(z))``.  ember's backward formulas are written as
``grad * f'(x)``: linear in ``grad``, with coefficients analytic in the inputs.  For a
complex gradient, ``holomorphic`` runs such a formula as ``conj(backward(conj(grad)))``,
which is ``grad * conj(f'(z))``; each formula stays written once and a real gradient pays
one dtype test.  Non-holomorphic ops (abs, sgn, angle, real, imag) have their own formulas.

ember's ``conj()`` materialises the conjugate (PyTorch returns a lazily conjugated view), so
``is_conj()`` is always False and ``resolve_conj()`` has nothing to resolve.
"""
import math
import warnings

from ..autograd.op import Op
from . import shape as S
from ._util import D, Tensor, np, install

_REAL_OF = {np.dtype(np.complex64): np.dtype(np.float32),
            np.dtype(np.complex128): np.dtype(np.float64)}
_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}


# --- conjugation ------------------------------------------------------------------------

_conj = Op("ConjBackward0", lambda ctx, a: np.conjugate(a), saves=())
_conj.backward(lambda ctx, g: _conj(g))
_conj_physical = Op("ConjPhysicalBackward0", lambda ctx, a: np.conjugate(a), saves=())
_conj_physical.backward(lambda ctx, g: _conj_physical(g))


def _conj_any(g):
    return _conj(g) if isinstance(g, Tensor) and g.dtype.is_complex else g


def holomorphic(*ops):
    """Make single-output ``ops`` (Tensor backwards) give PyTorch's gradient for complex
    gradients (see above)."""
    for op in ops:
        op.bwd = _conjugating(op.bwd)


def _conjugating(bwd):
    def run(ctx, g):
        if not g.dtype.is_complex:
            return bwd(ctx, g)
        out = bwd(ctx, _conj(g))
        if type(out) is tuple:
            return tuple(_conj_any(o) for o in out)
        return _conj_any(out)
    return run


def conj(input):
    return _conj(input) if input.dtype.is_complex else input


def conj_physical(input, *, out=None):
    if out is not None:
        return out.copy_(conj_physical(input))
    return _conj_physical(input) if input.dtype.is_complex else input


def resolve_conj(input):
    return input  # ember never holds a lazy conjugate


def resolve_neg(input):
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


def _conj_physical_(self):
    if self.dtype.is_complex:
        from .inplace import apply_inplace
        apply_inplace(self, conj_physical, needs_self=False)
    return self


# --- view_as_real / view_as_complex, real / imag ---------------------------------------------

def _reinterpret(a, npdt, shape, strides, offset=0):
    """An array of ``npdt`` over ``a``'s memory (so writes show through)."""
    class _Iface:
        keep = a
        __array_interface__ = {"shape": tuple(shape), "typestr": npdt.str, "version": 3,
                               "data": (a.__array_interface__["data"][0] + offset,
                                        not a.flags.writeable),
                               "strides": tuple(strides)}
    return np.asarray(_Iface())


def _as_real_fwd(ctx, a):
    rdt = _REAL_OF[a.dtype]
    return _reinterpret(a, rdt, a.shape + (2,), a.strides + (rdt.itemsize,))


def _as_complex_fwd(ctx, a):
    cdt = _COMPLEX_OF[a.dtype]
    return _reinterpret(a, cdt, a.shape[:-1], a.strides[:-1])


def _retyped(op):
    """A view op whose output has another dtype than its input."""
    def call(a):
        out = op(a)
        out.dtype = D._BY_NP[out._data.dtype]
        return out
    return call


_as_real_op = Op("ViewAsRealBackward0", _as_real_fwd, saves=(), view=True)
_as_complex_op = Op("ViewAsComplexBackward0", _as_complex_fwd, saves=(), view=True)
_view_as_real = _retyped(_as_real_op)
_view_as_complex = _retyped(_as_complex_op)
# a gradient may come strided: view_as_complex needs the pairs side by side
_as_real_op.backward(lambda ctx, g: _view_as_complex(
    g if g._data.flags.c_contiguous else g.contiguous()))
_as_complex_op.backward(lambda ctx, g: _view_as_real(g))


def view_as_real(input):
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")
    return _view_as_real(input)


def view_as_complex(input):
    dt = input.dtype
    if dt is D.float16:
        raise RuntimeError("view_as_complex: ember has no complex32 (chalf) dtype")
    if dt not in (D.float32, D.float64):
        raise RuntimeError("view_as_complex is only supported for half, float and double "
                           f"tensors, but got a tensor of scalar type: {dt._cname}")
    if input.dim() == 0:
        raise RuntimeError("Input tensor must have one or more dimensions")
    if input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")
    st = input.stride()
    if st[-1] != 1:
        raise RuntimeError("Tensor must have a last dimension with stride 1")
    if any(s % 2 for s in st[:-1]):
        raise RuntimeError("Tensor must have a stride divisible by 2 for all but last dimension")
    if input.storage_offset() % 2:
        raise RuntimeError("Tensor must have a storage_offset divisible by 2")
    return _view_as_complex(input)


def real(input):
    if not input.dtype.is_complex:
        return input
    return S.select(_view_as_real(input), -1, 0)


def imag(input):
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return S.select(_view_as_real(input), -1, 1)


def _setter(get):
    def set_part(self, value):
        part = get(self)
        if isinstance(value, Tensor):
            part.copy_(value)
        else:
            part.fill_(value)
    return set_part


# --- angle, polar -----------------------------------------------------------------------------

def _angle_fwd(ctx, a, dt):
    if a.dtype.kind == "c":
        return np.angle(a)
    x = a if a.dtype == dt.np else a.astype(dt.np)
    # pi for negatives, 0 otherwise (-0.0 included), NaN kept
    return np.where(x < 0, dt.np.type(math.pi), np.where(x != x, x, dt.np.type(0)))


_angle = Op("AngleBackward0", _angle_fwd)


@_angle.backward
def _(ctx, g):
    (z,) = ctx.inputs
    if not z.dtype.is_complex:
        return g * 0
    # d angle = (-y dx + x dy) / |z|^2, i.e. the gradient i z / |z|^2 (0 at z = 0)
    a2 = z.abs().pow(2)
    return (g * z / a2 * 1j).masked_fill(a2 == 0, 0)


def angle(input, *, out=None):
    dt = input.dtype
    if dt.is_complex:
        rdt = dt.to_real()
    elif dt.is_floating_point:
        rdt = dt
    else:
        rdt = D.get_default_dtype()
    r = _angle(input, dt=rdt)
    return r if out is None else out.copy_(r)


def _polar_fwd(ctx, r, t):
    out = np.empty(np.broadcast_shapes(r.shape, t.shape), _COMPLEX_OF[r.dtype])
    out.real = r * np.cos(t)
    out.imag = r * np.sin(t)
    return out


_polar = Op("PolarBackward0", _polar_fwd, saves_output=True)


@_polar.backward
def _(ctx, g):
    # f = r e^{it}: df/dr = e^{it} (= sgn f, 0 where r = 0, as PyTorch), df/dt = i f;
    # a real input's gradient is Re(conj(g) df/dx)
    res = ctx.result
    gc = _conj(g)
    n = ctx.needs_input_grad
    return (real(gc * res.sgn()) if n[0] else None), (real(gc * (res * 1j)) if n[1] else None)


def polar(abs, angle, *, out=None):
    from .._creation import check_complex_parts  # _creation imports the ops
    check_complex_parts(abs, angle)
    if abs.dtype is D.float16:
        raise RuntimeError("polar: ember has no complex32 (chalf) dtype")
    r = _polar(abs, angle)
    return r if out is None else out.copy_(r)


# --- adjoint, mH, H ---------------------------------------------------------------------------

def adjoint(input):
    if input.dim() == 0:
        warnings.warn("adjoint() is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=2)
        return conj(input)
    if input.dim() == 1:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {input.dim()}-D tensor.")
    return conj(S.transpose(input, -2, -1))


def _mH(self):
    return conj(S._mH(self))  # shape's checks and warnings (a 0-d tensor: conjugated only)


def _H(self):
    return conj(S._H(self))


install({
    "conj": conj, "conj_physical": conj_physical, "conj_physical_": _conj_physical_,
    "resolve_conj": resolve_conj, "resolve_neg": resolve_neg, "is_conj": is_conj,
    "is_neg": is_neg, "angle": angle, "adjoint": adjoint,
    "real": property(real, _setter(real)), "imag": property(imag, _setter(imag)),
    "mH": property(_mH), "H": property(_H),
})

__all__ = ["conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg",
           "view_as_real", "view_as_complex", "real", "imag", "angle", "polar", "adjoint"]
