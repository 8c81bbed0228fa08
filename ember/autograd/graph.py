"""The autograd graph: nodes, leaf accumulation, and the backward walk.

A node is created by each differentiable op (its class is named like PyTorch's,
``MulBackward0``).  ``next_functions`` points at the nodes that produced the op's
inputs; ``backward`` walks them in dependency order, newest node first.
"""
import heapq
import itertools
import weakref

from .. import _errors
from .grad_mode import state as _grad_state

_sequence = itertools.count()


class Node:
    """A step of the backward graph.  Subclasses set ``_backward``."""

    _saves = True            # whether backward needs saved values (then it frees them)
    _once_differentiable = False

    def __init__(self):
        self._seq = next(_sequence)
        self._freed = False
        self._pre_hooks = None
        self._hooks = None
        self._tensor_pre_hooks = None  # {output_nr: [hook]} from Tensor.register_hook
        self._metadata = None

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    @property
    def metadata(self):
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def register_hook(self, fn):
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return _RemovableHandle(self._pre_hooks, fn)

    def _register_tensor_hook(self, output_nr, fn):
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        hooks = self._tensor_pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return _RemovableHandle(hooks, fn)

    def __call__(self, *grads):
        return self.apply(grads)

    def _release(self):
        self._freed = True


class _RemovableHandle:
    _ids = itertools.count()

    def __init__(self, hooks, fn):
        self._hooks, self._fn = hooks, fn
        self.id = next(self._ids)

    def remove(self):
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class AccumulateGrad(Node):
    """Adds incoming gradients into a leaf's ``.grad``."""

    _saves = False

    def __init__(self, variable):
        super().__init__()
        self.variable = variable
        self.next_functions = ()
        self._seq = float("inf")  # run as soon as ready, like PyTorch

    def apply(self, grads):
        grad = grads[0]
        var = self.variable
        if grad is None:
            return ()
        if var.grad is None:
            # A fresh copy: the incoming gradient may be shared with other leaves.
            var.grad = grad if _grad_state.enabled else grad.detach().clone()
        elif _grad_state.enabled:
            var.grad = var.grad + grad
        else:
            var.grad._data += grad._data.astype(var.grad._data.dtype, copy=False)
        return ()


def accumulate_grad_node(t):
    """The AccumulateGrad node of a leaf, shared while anyone holds it."""
    ref = t._acc_ref
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._acc_ref = weakref.ref(node)
    return node


def gradient_edge(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t.requires_grad:
        return (accumulate_grad_node(t), 0)
    return (None, 0)


def _collect(roots):
    """Dependency counts of every node reachable from the roots."""
    deps = {}
    seen = set()
    stack = [n for n in roots if n is not None]
    for n in stack:
        seen.add(n)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, seen


def _needed(seen, targets):
    """Nodes from which some target node can be reached (only these must run)."""
    needed = set(targets)
    changed = True
    order = sorted(seen, key=lambda n: n._seq)
    while changed:
        changed = False
        for n in order:
            if n in needed:
                continue
            if any(nxt in needed for nxt, _ in n.next_functions):
                needed.add(n)
                changed = True
    return needed


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                 accumulate=True, allow_unused=False):
    """Walk the graph from ``tensors``; accumulate into leaves or return grads of ``inputs``."""
    from .._tensor import Tensor

    roots = []
    for t, g in zip(tensors, grad_tensors):
        if t.grad_fn is None and not t.requires_grad:
            raise RuntimeError(_errors.NO_GRAD_FN)
        roots.append((gradient_edge(t), g))
    deps, seen = _collect(n for (n, _), _ in roots)

    capture = None
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            node, nr = gradient_edge(t)
            if node is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(node, []).append((nr, i))
        needed = _needed(seen, capture.keys())
    results = [None] * (len(inputs) if inputs is not None else 0)

    buffers = {}
    ready = []
    for (node, nr), g in roots:
        buf = buffers.setdefault(node, {})
        buf[nr] = g if nr not in buf else buf[nr] + g
    for node in buffers:
        if deps.get(node, 0) == 0:
            heapq.heappush(ready, (-node._seq, id(node), node))

    prev_mode = _grad_state.enabled
    _grad_state.enabled = create_graph
    try:
        while ready:
            _, _, node = heapq.heappop(ready)
            buf = buffers.pop(node, {})
            if node._tensor_pre_hooks:
                for nr, hooks in node._tensor_pre_hooks.items():
                    for hook in list(hooks):
                        if nr in buf:
                            new = hook(buf[nr])
                            if new is not None:
                                buf[nr] = new
            if capture is not None and node in capture:
                for nr, i in capture[node]:
                    results[i] = buf.get(nr)
                if not accumulate or isinstance(node, AccumulateGrad):
                    if not accumulate:
                        _release_ready(node, deps, ready, buffers)
                        continue
            if capture is not None and node not in needed:
                _release_ready(node, deps, ready, buffers)
                continue
            n_out = getattr(node, "_n_outputs", 1)
            grads = tuple(buf.get(i) for i in range(n_out))
            if node._pre_hooks:
                for hook in node._pre_hooks:
                    new = hook(grads)
                    if new is not None:
                        grads = tuple(new)
            if node._freed and node._saves:
                raise RuntimeError(_errors.BACKWARD_TWICE)
            out = node.apply(grads)
            if node._hooks:
                for hook in node._hooks:
                    new = hook(out, grads)
                    if new is not None:
                        out = tuple(new)
            if _grad_state.anomaly:
                _check_anomaly(node, out)
            if not retain_graph:
                node._release()
            for (nxt, nr), g in zip(node.next_functions, out):
                if nxt is None:
                    continue
                if g is not None:
                    buf = buffers.setdefault(nxt, {})
                    buf[nr] = g if nr not in buf or buf[nr] is None else buf[nr] + g
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    if nxt in buffers:
                        heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
                    else:
                        _release_ready(nxt, deps, ready, buffers)
    finally:
        _grad_state.enabled = prev_mode

    if inputs is not None and not accumulate:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior.")
    return results


def _release_ready(node, deps, ready, buffers):
    """A node that gets no gradient still unblocks the nodes after it."""
    for nxt, _ in node.next_functions:
        if nxt is None:
            continue
        deps[nxt] -= 1
        if deps[nxt] == 0:
            if nxt in buffers:
                heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
            else:
                _release_ready(nxt, deps, ready, buffers)


def _check_anomaly(node, grads):
    for g in grads:
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its "
                               f"{list(grads).index(g)}th output.")
