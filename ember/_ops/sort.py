"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, quantile, unique,
bincount, histc, searchsorted; and ``ember.return_types``, the named tuples they return.

Where PyTorch's CPU kernels leave the order of tied elements to a C++ standard-library
algorithm (``std::nth_element``/``std::sort``/``std::partial_sort`` in topk and mode,
Sedgewick's quickselect in kthvalue) the result is still deterministic; the "replay"
section below re-runs those algorithms, vectorised over rows, where ties make it matter.
"""
import operator
import sys
import types

from .. import _errors
from ..autograd.op import Op
from ._util import D, Tensor, _wrap, np, install

# --- ember.return_types ---------------------------------------------------------------


class _StructSeq(tuple):
    """A tuple with named fields that prints like ``torch.return_types.max``."""
    __slots__ = ()
    _names = ()

    def __new__(cls, seq):
        seq = tuple(seq)
        if len(seq) != len(cls._names):
            raise TypeError(f"ember.return_types.{cls.__name__}() takes a {len(cls._names)}"
                            f"-sequence ({len(seq)}-sequence given)")
        return tuple.__new__(cls, seq)

    def __repr__(self):
        fields = ",\n".join(f"{n}={v!r}" for n, v in zip(self._names, self))
        return f"ember.return_types.{type(self).__name__}(\n{fields})"

    __str__ = __repr__

    def __reduce__(self):
        return type(self), (tuple(self),)


return_types = types.ModuleType("ember.return_types",
                                "Named-tuple results of ops such as max(dim) and sort.")
for _name, _fields in {"max": ("values", "indices"), "min": ("values", "indices"),
                       "sort": ("values", "indices"), "topk": ("values", "indices"),
                       "kthvalue": ("values", "indices"), "median": ("values", "indices"),
                       "nanmedian": ("values", "indices"), "mode": ("values", "indices"),
                       "cummax": ("values", "indices"), "cummin": ("values", "indices"),
                       "aminmax": ("min", "max")}.items():
    _ns = {"__slots__": (), "_names": _fields, "n_fields": 2, "n_sequence_fields": 2,
           "n_unnamed_fields": 0, "__module__": "ember.return_types"}
    _ns.update({f: property(operator.itemgetter(i)) for i, f in enumerate(_fields)})
    setattr(return_types, _name, type(_name, (_StructSeq,), _ns))
sys.modules["ember.return_types"] = return_types
RT = return_types


# --- shared helpers for value-selecting ops ----------------------------------------------

def _c(a):
    """``a`` as a C-contiguous array (PyTorch returns fresh reductions contiguous)."""
    a = np.asarray(a)
    return a if a.flags.c_contiguous else a.copy()


def _coords(index, dim):
    coords = list(np.indices(index.shape, sparse=True))
    coords[dim] = index
    return tuple(coords)


def _place_fwd(ctx, g, index, dim, shape, accumulate=False):
    if not shape:
        return np.array(g.reshape(()), copy=True)
    out = np.zeros(shape, g.dtype)
    g = g.reshape(index.shape)
    if accumulate:
        np.add.at(out, _coords(index, dim), g)
    else:
        np.put_along_axis(out, index, g, dim)
    return out


def _take_fwd(ctx, a, index, dim, gshape):
    if a.ndim == 0:
        return np.array(a.reshape(gshape), copy=True)
    return np.take_along_axis(a, index, dim).reshape(gshape)


# The gradient of a value-selecting op (max(dim), sort, topk...) lands on the indices it
# picked; the pair of ops keeps that gradient itself differentiable (create_graph).
_place = Op("ScatterAddBackward0", _place_fwd, saves=())
_take = Op("GatherBackward0", _take_fwd, saves=())
_place.backward(lambda ctx, g: _take(g, index=ctx.kw["index"], dim=ctx.kw["dim"],
                                     gshape=ctx.inputs[0]._data.shape))
_take.backward(lambda ctx, g: _place(g, index=ctx.kw["index"], dim=ctx.kw["dim"],
                                     shape=ctx.inputs[0]._data.shape, accumulate=True))


def place_grad(g, index, dim, shape, accumulate=False):
    """Zeros of ``shape`` with ``g`` put where ``index`` (keepdim layout) points."""
    return _place(g, index=index, dim=dim, shape=tuple(shape), accumulate=accumulate)


def evenly_grad(g, x, r):
    """``g`` shared evenly by the elements equal to ``r`` (max(), median()): PyTorch's rule."""
    mask = np.isnan(x) if (r != r) else (x == r)
    return g * _wrap((mask / max(int(mask.sum()), 1)).astype(g._data.dtype))


def _dim_of(input, dim):
    return _errors.wrap_dim(dim, input.dim())


def _nonempty_dim(name, input, d, sep="()"):
    if input.dim() and input._data.shape[d] == 0:
        raise IndexError(f"{name}{sep}: Expected reduction dim {d} to have non-zero size.")


__all__ = ["return_types"]
