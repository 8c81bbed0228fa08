"""The autograd graph: nodes, leaf accumulation, and the backward walk.

A node is created by each differentiable op (its class is named like PyTorch's,
``MulBackward0``).  ``next_functions`` points at the nodes that produced the op's
inputs; ``backward`` walks them in dependency order, newest node first.
"""
import heapq
import itertools
import threading
import weakref

from .. import _errors
from .grad_mode import state as _grad_state

_sequence = itertools.count()


class Node:
    """A step of the backward graph.  Subclasses implement ``apply(grads) -> grads``."""

    _saves = True            # whether backward needs saved values (then it frees them)
    _once_differentiable = False
    _n_outputs = 1
    _pre_hooks = None        # node.register_prehook
    _hooks = None            # node.register_hook
    _tensor_pre_hooks = None  # {output_nr: [hook]} from Tensor.register_hook
    _retain_hooks = None     # {output_nr: hook} from Tensor.retain_grad (run last)
    _metadata = None
    _freed = False

    def __init__(self):
        self._seq = next(_sequence)

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
        """``fn(grad_inputs, grad_outputs)`` after the node ran; may replace grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """``fn(grad_outputs)`` before the node runs; may replace grad_outputs."""
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(fn)
        return RemovableHandle(self._pre_hooks, fn)

    def _register_tensor_hook(self, output_nr, fn):
        if self._tensor_pre_hooks is None:
            self._tensor_pre_hooks = {}
        hooks = self._tensor_pre_hooks.setdefault(output_nr, [])
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def _tensor_hooks(self):
        return self._tensor_pre_hooks

    def __call__(self, *grads):
        return self.apply(grads)

    def _release(self):
        self._freed = True


class RemovableHandle:
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


_RemovableHandle = RemovableHandle


class AccumulateGrad(Node):
    """Adds incoming gradients into a leaf's ``.grad``."""

    _saves = False
    next_functions = ()

    def __init__(self, variable):
        self.variable = variable
        self._seq = float("inf")  # run as soon as ready, like PyTorch

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def _tensor_hooks(self):
        # Hooks of a leaf live on the tensor: its AccumulateGrad node comes and goes.
        hooks = self.variable._leaf_hooks
        return {0: hooks} if hooks else None

    def apply(self, grads):
        grad = grads[0]
        var = self.variable
        if grad is None:
            return ()
        old = var._grad
        if old is None:
            var._grad = grad if _grad_state.enabled else _obey_layout(grad, var)
        elif _grad_state.enabled:
            var._grad = old + grad
        else:
            old._data += grad._data.astype(old._data.dtype, copy=False)
        return ()


def accumulate_grad_node(t):
    """The AccumulateGrad node of a leaf, shared while anyone holds it."""
    ref = t._acc_ref
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(t)
        t._acc_ref = weakref.ref(node)
    return node


def accumulate_grad_node_hook(t, hook):
    """``Tensor.register_hook`` on a leaf: runs on the gradient before it is accumulated."""
    hooks = t.__dict__.get("_leaf_hooks")
    if hooks is None:
        hooks = t._leaf_hooks = []
    hooks.append(hook)
    return RemovableHandle(hooks, hook)


def gradient_edge(t):
    if t.grad_fn is not None:
        return (t.grad_fn, t._output_nr)
    if t._requires_grad:
        return (accumulate_grad_node(t), 0)
    return (None, 0)


def _collect(roots):
    """Dependency counts of every node reachable from the roots, and who points at whom."""
    deps, parents = {}, {}
    stack = list(dict.fromkeys(n for n in roots if n is not None))  # roots may share a node
    seen = set(stack)
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            parents.setdefault(nxt, []).append(node)
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return deps, parents


def _reaching(targets, parents):
    """Nodes from which some target can be reached (targets included)."""
    reach = set(targets)
    stack = list(targets)
    while stack:
        for p in parents.get(stack.pop(), ()):
            if p not in reach:
                reach.add(p)
                stack.append(p)
    return reach


def _run_tensor_hooks(node, buf):
    hooks = node._tensor_hooks()
    if hooks:
        for nr, fns in hooks.items():
            for hook in list(fns):
                if buf.get(nr) is not None:
                    new = hook(buf[nr])
                    if new is not None:
                        buf[nr] = new
    if node._retain_hooks:
        for nr, hook in node._retain_hooks.items():
            if buf.get(nr) is not None:
                hook(buf[nr])


def _run_post_hooks(node, out, grads):
    for hook in node._hooks:
        new = hook(out, grads)
        if new is None:
            continue
        new = tuple(new)
        if len(new) != len(out):
            raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has returned an "
                               f"incorrect number of values (got {len(new)}, but expected "
                               f"{len(out)})")
        out = new
    return out


_running = threading.local()  # per thread: the backward passes in progress


def explicit_inputs():
    """True inside a backward pass given explicit ``inputs`` (autograd.grad, or
    backward(inputs=...)), which a nested backward, as reentrant checkpoints run,
    could not honour."""
    stack = getattr(_running, "stack", None)
    return bool(stack) and stack[-1]


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                 accumulate=True, allow_unused=False):
    """Walk the graph from ``tensors``.

    ``accumulate`` (backward): gradients go into ``.grad`` of the leaves, or only of
    ``inputs`` when given.  Otherwise (autograd.grad) the gradients of ``inputs`` are
    returned and nothing is accumulated.
    """
    stack = getattr(_running, "stack", None)
    if stack is None:
        stack = _running.stack = []
    stack.append(inputs is not None)
    try:
        return _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs,
                             accumulate, allow_unused)
    finally:
        stack.pop()


def _run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs, accumulate,
                  allow_unused):
    roots = []
    for t, g in zip(tensors, grad_tensors):
        if t.grad_fn is None and not t._requires_grad:
            raise RuntimeError(_errors.NO_GRAD_FN)
        roots.append((gradient_edge(t), g))
    deps, parents = _collect(n for (n, _), _ in roots)

    capture = run = None
    results = [None] * (len(inputs) if inputs is not None else 0)
    if inputs is not None:
        capture = {}
        for i, t in enumerate(inputs):
            node, nr = gradient_edge(t)
            if node is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            capture.setdefault(node, []).append((nr, i))
        # A node runs only if a captured node lies strictly below it (or it is the
        # AccumulateGrad of an input that backward() accumulates into).
        reach = _reaching(capture, parents)
        run = {p for n in reach for p in parents.get(n, ())}
        if accumulate:
            run.update(n for n in capture if isinstance(n, AccumulateGrad))

    buffers, ready = {}, []
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
            node = heapq.heappop(ready)[2]
            buf = buffers.pop(node, {})
            _run_tensor_hooks(node, buf)
            if capture is not None and node in capture:
                for nr, i in capture[node]:
                    results[i] = buf.get(nr)
                    if accumulate and not isinstance(node, AccumulateGrad) \
                            and results[i] is not None:
                        _accumulate_into(inputs[i], results[i])
            if run is not None and node not in run:
                _release_ready(node, deps, ready, buffers)
                continue
            grads = tuple(buf.get(i) for i in range(node._n_outputs))
            if node._pre_hooks:
                for hook in node._pre_hooks:
                    new = hook(grads)
                    if new is not None:
                        grads = tuple(new)
            if node._freed and node._saves:
                raise RuntimeError(_errors.BACKWARD_TWICE)
            out = node.apply(grads)
            if node._hooks:
                out = _run_post_hooks(node, out, grads)
            if _grad_state.anomaly and _grad_state.anomaly_check_nan:
                _check_anomaly(node, out)
            if not retain_graph:
                node._release()
            for (nxt, nr), g in zip(node.next_functions, out):
                if nxt is None:
                    continue
                if g is not None:
                    nbuf = buffers.setdefault(nxt, {})
                    prev = nbuf.get(nr)
                    nbuf[nr] = g if prev is None else prev + g
                deps[nxt] -= 1
                if deps[nxt] == 0:
                    if nxt in buffers:
                        heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
                    else:
                        _release_ready(nxt, deps, ready, buffers)
    finally:
        _grad_state.enabled = prev_mode

    if inputs is not None and not accumulate and not allow_unused:
        for i, r in enumerate(results):
            if r is None:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used "
                    "in the graph. Set allow_unused=True if this is the desired behavior.")
    return results


_layout_deps = None


def _bind_layout_deps():
    """The ops ``_obey_layout`` needs, imported once (they import this module)."""
    global _layout_deps
    from .._ops._util import is_dense, _ndarray, preserve_copy
    from .._tensor import _wrap
    from .._backend import np
    _layout_deps = (is_dense, _ndarray, preserve_copy, _wrap, np)
    return _layout_deps


def _obey_layout(grad, var):
    """The ``.grad`` a leaf gets from its first gradient: a copy (the incoming one
    may be shared with other leaves or the user) with the leaf's own strides, as
    PyTorch's layout contract has it."""
    is_dense, _ndarray, preserve_copy, _wrap, np = _layout_deps or _bind_layout_deps()
    d, v = grad._data, var._data
    dense = is_dense(v)
    # strides along size-1 dims do not count, as in PyTorch's contract
    if all(a == b or n == 1 for a, b, n in zip(d.strides, v.strides, d.shape)) \
            if dense else d.flags.c_contiguous:
        return _wrap(preserve_copy(d))
    if dense:
        out = _ndarray.__new__(_ndarray, v.shape, d.dtype, np.empty(v.size, d.dtype), 0,
                               tuple(s // v.itemsize * d.itemsize for s in v.strides))
    else:
        out = np.empty(d.shape, d.dtype)
    out[...] = d
    return _wrap(out)


def _accumulate_into(t, g):
    """backward(inputs=[non-leaf]): the gradient lands in that tensor's ``.grad``."""
    if not _grad_state.enabled:
        g = g.detach()
    t._grad = g.clone() if t._grad is None else t._grad + g


def _release_ready(node, deps, ready, buffers):
    """A node that gets no gradient still unblocks the nodes after it."""
    stack = [node]
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is None:
                continue
            deps[nxt] -= 1
            if deps[nxt] == 0:
                if nxt in buffers:
                    heapq.heappush(ready, (-nxt._seq, id(nxt), nxt))
                else:
                    stack.append(nxt)


def _check_anomaly(node, grads):
    for i, g in enumerate(grads):
        if g is not None and (g.dtype.is_floating_point or g.dtype.is_complex) \
                and bool((g._data != g._data).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")
