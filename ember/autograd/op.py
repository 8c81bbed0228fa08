"""How an op is defined: forward on arrays, backward on Tensors, one place.

    mul = Op("MulBackward0", lambda ctx, a, b: a * b)

    @mul.backward
    def _(ctx, grad):
        a, b = ctx.inputs
        return grad * b, grad * a

The wrapper does the shared work once: it unwraps Tensors to arrays, wraps the
result, and when grad is needed records a node that links ``next_functions``,
remembers input shapes and dtypes (broadcast gradients are summed back and cast
in ``OpNode.apply``), and records versions of what backward will read.
"""
from .. import _errors
from .._backend import np
from .grad_mode import state as _grad_state
from .graph import Node, gradient_edge

_ndarray = np.ndarray
_Tensor = None  # bound by ember._tensor once the class exists
_wrap = None


class OpNode(Node):
    _op = None
    _n_outputs = 1

    def _release(self):
        self._freed = True
        if self._saves:
            self.inputs = None
            self.__dict__.pop("saved", None)
            self._out = None

    @property
    def needs_input_grad(self):
        return self._needs

    @property
    def result(self):
        """The op's output as a Tensor: rebuilt with a graph under create_graph."""
        if _grad_state.enabled:
            return self._op(*self.inputs, **self.kw)
        return _wrap(self._out)

    def _version_error(self, i, found, expected):
        if i < 0:  # the saved output: PyTorch names the node that made it
            return _errors.version_mismatch(self._out.shape, self._out_dtype, found, expected,
                                            self.name(), 0)
        t = self.inputs[i]  # a saved input: named by its current grad_fn
        producer = t.grad_fn.name() if t.grad_fn is not None else None
        return _errors.version_mismatch(t._data.shape, t.dtype.name, found, expected,
                                        producer, t._output_nr)

    def apply(self, grads):
        if self._freed and self._saves:
            raise RuntimeError(_errors.BACKWARD_TWICE)
        if self._versions:
            for i, (vc, v) in self._versions:
                if vc[0] != v:
                    raise self._version_error(i, vc[0], v)
        op = self._op
        if self._n_outputs == 1:
            g = grads[0]
            if g is None:
                return (None,) * len(self.next_functions)
            if op.raw_backward:
                out = op.bwd(self, g._data)
            else:
                out = op.bwd(self, g)
        else:
            if op.raw_backward:
                grads = tuple(None if g is None else g._data for g in grads)
            out = op.bwd(self, *grads)
        if type(out) is not tuple:
            out = (out,)
        res = []
        for g, meta, need in zip(out, self._meta, self._needs):
            if g is None or not need:
                res.append(None)
                continue
            if type(g) is _ndarray or not isinstance(g, _Tensor):
                g = _wrap(np.asarray(g))
            shape, dtype = meta
            if g._data.shape != shape:
                g = sum_to(g, shape)
            if g.dtype is not dtype:
                g = g.to(dtype)
            res.append(g)
        if op.raw_backward and _grad_state.enabled:
            # create_graph through a once-differentiable backward: these gradients carry
            # no graph of their own, so differentiating them again must fail, not give 0
            for g in res:
                if g is not None and g.dtype.category >= 2:
                    g._requires_grad, g.grad_fn = True, _OnceOnly(self.name())
        return tuple(res)


class _OnceOnly(Node):
    """Stands where the graph of a once-differentiable backward's result would be."""

    _saves = False

    def __init__(self, of):
        super().__init__()
        self.of = of
        self.next_functions = ()

    def name(self):
        return "torch::autograd::DelayedError"

    def apply(self, grads):
        raise RuntimeError(f"ember differentiates {self.of} only once: a second derivative "
                           "through it is not supported")


def sum_to(g, shape):
    """Sum a broadcast gradient back to ``shape`` (the only place this is done)."""
    lead = g.dim() - len(shape)
    dims = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and g._data.shape[i + lead] != 1)
    if dims:
        g = g.sum(dims, keepdim=True)
    if lead or g._data.shape != shape:
        g = g.reshape(shape)
    return g


class Op:
    """An op: ``forward(ctx, *arrays, **kw) -> array(s)`` plus a backward.

    saves: input indices whose versions backward depends on (PyTorch's saved
      tensors); ``()`` for ops like add whose backward needs no input values;
      ``"cross"`` for a binary op that needs each input only for the other's gradient.
    saves_output: backward reads the output (``ctx.result``).
    raw_backward: backward takes and returns arrays (once differentiable).
    nondiff_outputs: indices of outputs that never get a grad_fn (argmax indices).
    """

    def __init__(self, name, forward, saves=None, saves_output=False, raw_backward=False,
                 n_outputs=1, nondiff_outputs=(), view=False):
        self.name = name
        self.view = view
        self.fwd = forward
        self.bwd = None
        self.saves = saves
        self.saves_output = saves_output
        self.raw_backward = raw_backward
        self.n_outputs = n_outputs
        self.nondiff_outputs = nondiff_outputs
        holds = saves is None or bool(saves) or saves_output or raw_backward
        self.node_cls = type(name, (OpNode,), {"_op": self, "_saves": holds,
                                               "_n_outputs": n_outputs,
                                               "_once_differentiable": raw_backward})

    def backward(self, fn):
        self.bwd = fn
        return fn

    def __call__(self, *args, **kw):
        T = _Tensor
        if _grad_state.enabled and self.bwd is not None:
            for a in args:
                if isinstance(a, T) and a._requires_grad:
                    return self._record(args, kw)
        out = self.fwd(None, *[a._data if isinstance(a, T) else a for a in args], **kw)
        if self.view:
            base = args[0]
            if self.n_outputs == 1:
                return base._as_view_of(out)
            return tuple(base._as_view_of(o) for o in out)
        if self.n_outputs == 1:
            return _wrap(out)
        return tuple(_wrap(o) for o in out)

    def _record(self, args, kw):
        T = _Tensor
        node = self.node_cls()
        out = self.fwd(node, *[a._data if isinstance(a, T) else a for a in args], **kw)
        node.inputs = args
        node.kw = kw
        edges, meta, needs = [], [], []
        for a in args:
            if isinstance(a, T):
                edges.append(gradient_edge(a))
                meta.append((a._data.shape, a.dtype))
                needs.append(a._requires_grad)
            else:
                edges.append((None, 0))
                meta.append(None)
                needs.append(False)
        node.next_functions = tuple(edges)
        node._meta = meta
        node._needs = tuple(needs)
        saves = self.saves
        if saves is None:
            node._versions = [(i, (a._vc, a._vc[0])) for i, a in enumerate(args)
                              if isinstance(a, T)]
        elif saves == "cross":  # mul: an input's value only serves the other's gradient
            node._versions = [(i, (args[i]._vc, args[i]._vc[0])) for i in (0, 1)
                              if isinstance(args[i], T) and isinstance(args[1 - i], T)
                              and args[1 - i]._requires_grad] or None
        elif saves:
            node._versions = [(i, (args[i]._vc, args[i]._vc[0])) for i in saves
                              if isinstance(args[i], T)]
        else:
            node._versions = None
        wrap = args[0]._as_view_of if self.view else _wrap
        if self.n_outputs == 1:
            res = wrap(out)
            if res.dtype.category < 2:  # integer/bool results never carry a graph
                return res
            res._requires_grad = True
            res.grad_fn = node
            if self.saves_output:
                node._out = res._data
                node._out_dtype = res.dtype.name
                vs = node._versions or []
                vs.append((-1, (res._vc, res._vc[0])))
                node._versions = vs
            return res
        outs = []
        for i, o in enumerate(out):
            r = wrap(o)
            if i not in self.nondiff_outputs and r.dtype.category >= 2:
                r._requires_grad = True
                r.grad_fn = node
                r._output_nr = i
            outs.append(r)
        return tuple(outs)
