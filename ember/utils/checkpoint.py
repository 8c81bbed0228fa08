"""ember.utils.checkpoint: activation checkpointing, trading compute for memory.

A checkpointed region keeps only its inputs; the activations inside it are rebuilt
by running the function again when backward reaches the region.

Two variants, as in PyTorch:

* ``use_reentrant=True``: one ``CheckpointFunction`` node.  Forward runs under
  no_grad; its backward replays the function with grad enabled (RNG state restored
  first, so dropout masks match) and runs a nested backward through the replay.
* ``use_reentrant=False``: forward records the region's graph as usual, so the
  outputs carry the real nodes (``AddmmBackward0``...) and ``autograd.grad``,
  ``backward(inputs=...)``, keyword arguments and parameters used inside all work.
  Then every node of the region is *hollowed*: all it saved for backward is
  dropped and only its place in the graph (``next_functions``, hooks) is kept.
  The first hollow node the engine reaches replays the function, and each hollow
  node hands its work to the node the replay made in the same place.  (PyTorch
  does the same through saved-tensor hooks; ember's ops save arrays on their
  nodes, so the swap happens one level up, per node.)
"""
import contextlib
import functools
import warnings
import weakref

from .. import random as _random
from ..autograd import graph as _graph
from ..autograd.function import Function
from ..autograd.grad_mode import enable_grad, no_grad, state as _grad_state

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction",
           "check_backward_validity", "detach_variable", "get_device_states",
           "set_device_states", "noop_context_fn", "set_checkpoint_early_stop",
           "DefaultDeviceType", "set_checkpoint_debug_enabled"]

_DEFAULT_DETERMINISM_MODE = "default"
_DETERMINISM_MODES = ("default", "none")
_checkpoint_debug_enabled = None
_enable_checkpoint_early_stop = None

_DEBUG_TIP = """
Tip: To see a more detailed error message, either pass `debug=True` to
`ember.utils.checkpoint.checkpoint(...)` or wrap the code block
with `with ember.utils.checkpoint.set_checkpoint_debug_enabled(True):` to
enable checkpoint\u2011debug mode globally.
"""


class CheckpointError(RuntimeError):
    pass


@contextlib.contextmanager
def set_checkpoint_debug_enabled(enabled):
    """Override the ``debug`` flag of every checkpoint in the block (None: defer)."""
    global _checkpoint_debug_enabled
    prev, _checkpoint_debug_enabled = _checkpoint_debug_enabled, enabled
    try:
        yield
    finally:
        _checkpoint_debug_enabled = prev


@contextlib.contextmanager
def set_checkpoint_early_stop(enable):
    """Accepted for compatibility: ember always replays the whole region."""
    global _enable_checkpoint_early_stop
    prev, _enable_checkpoint_early_stop = _enable_checkpoint_early_stop, enable
    try:
        yield
    finally:
        _enable_checkpoint_early_stop = prev


def _is_tensor(x):
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def detach_variable(inputs):
    if not isinstance(inputs, tuple):
        raise RuntimeError("Only tuple of tensors is supported. Got Unsupported input type: "
                           f"{type(inputs).__name__}")
    out = []
    for inp in inputs:
        if _is_tensor(inp):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            inp = x
        out.append(inp)
    return tuple(out)


def check_backward_validity(inputs):
    if not any(inp.requires_grad for inp in inputs if _is_tensor(inp)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None",
                      stacklevel=2)


class DefaultDeviceType:
    """The device whose RNG state is stashed when no argument names one (CPU only here)."""

    _default_device_type = None

    @staticmethod
    def set_device_type(device="cuda"):
        DefaultDeviceType._default_device_type = device

    @staticmethod
    def get_device_type():
        if not DefaultDeviceType._default_device_type:
            DefaultDeviceType._default_device_type = "cpu"
        return DefaultDeviceType._default_device_type


def get_device_states(*args):
    # Every ember tensor lives on the CPU, whose state is stashed separately.
    return [], []


def set_device_states(devices, states, *, device_type=None):
    return None


def noop_context_fn():
    return contextlib.nullcontext(), contextlib.nullcontext()


def _checkpoint_valid():
    """False inside ``autograd.grad`` or ``backward(inputs=...)``: a nested backward
    would ignore the explicit inputs."""
    return not _graph.explicit_inputs()


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = _random.get_rng_state()
        ctx.inputs = [None if _is_tensor(a) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if _is_tensor(a)]
        ctx.save_for_backward(*[a for a in args if _is_tensor(a)])
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if not _checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, ember.utils.checkpoint is incompatible with .grad() "
                "or passing an `inputs` parameter to .backward(). To resolve this error, you "
                "can either set use_reentrant=False, or call .backward() without passing the "
                "`inputs` argument.")
        inputs = list(ctx.inputs)
        for idx, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[idx] = t
        with _random.fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                _random.set_rng_state(ctx.fwd_cpu_state)
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if _is_tensor(outputs):
            outputs = (outputs,)
        outs, gouts = [], []
        for o, g in zip(outputs, grads):
            if _is_tensor(o) and o.requires_grad:
                outs.append(o)
                gouts.append(g)
        if not outs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                               "not necessary")
        from ..autograd import backward
        backward(outs, gouts)
        return (None, None) + tuple(t.grad if _is_tensor(t) else None for t in detached)


# --- the non-reentrant variant -------------------------------------------------------

# What a hollow node keeps: its place in the graph and what the engine reads itself.
_KEEP = frozenset({"_seq", "next_functions", "_pre_hooks", "_hooks", "_tensor_pre_hooks",
                   "_retain_hooks", "_metadata", "_freed", "_n_outputs", "_output_nr"})


def _tensors(obj, out):
    if _is_tensor(obj):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _tensors(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _tensors(o, out)
    return out


def _region_nodes(outputs, start):
    """The nodes made since sequence number ``start`` that the outputs reach, oldest first."""
    acc = _graph.AccumulateGrad
    stack = [t.grad_fn for t in _tensors(outputs, [])]
    seen = set()
    nodes = []
    while stack:
        n = stack.pop()
        if n is None or n in seen or isinstance(n, acc) or n._seq < start:
            continue
        seen.add(n)
        nodes.append(n)
        stack.extend(nxt for nxt, _ in n.next_functions)
    nodes.sort(key=lambda n: n._seq)
    return nodes


def _signature(node):
    meta = getattr(node, "_meta", None)
    if meta is None:
        meta = getattr(node, "_in_meta", None)
    if meta is not None:
        meta = tuple(m if m is None else tuple(m) for m in meta)
    return type(node).__name__, meta


def _fmt_sig(sig):
    return f"{sig[0]} with inputs {sig[1]}"


class _Frame:
    """One checkpointed region: how to replay it, and its hollow nodes (held weakly)."""

    def __init__(self, fn, args, kwargs, rng_state, recompute_context, check):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.rng_state = rng_state
        self.recompute_context = recompute_context
        self.check = check
        self.nodes = []
        self.sigs = []

    def hollow(self, nodes):
        for i, n in enumerate(nodes):
            self.sigs.append(_signature(n))
            d = n.__dict__
            for k in [k for k in d if k not in _KEEP]:
                del d[k]
            n.apply = functools.partial(_replay_then_apply, self, i)
            self.nodes.append(weakref.ref(n))

    def replay(self):
        if self.fn is None:
            return
        state = self.rng_state
        with _random.fork_rng(enabled=state is not None):
            if state is not None:
                _random.set_rng_state(state)
            with enable_grad(), self.recompute_context:
                start = next(_graph._sequence)
                out = self.fn(*self.args, **self.kwargs)
        new = _region_nodes(out, start)
        if self.check:
            self._check(new)
        for ref, n2 in zip(self.nodes, new):
            n1 = ref()
            if n1 is not None:
                n1.apply = n2.apply
                n1._release = functools.partial(_release_pair, n1, n2)
        self.fn = self.args = self.kwargs = None

    def _check(self, new):
        if len(new) != len(self.nodes):
            raise CheckpointError(
                "ember.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.nodes)}\n"
                f"Number of tensors saved during recomputation: {len(new)}.\n{_DEBUG_TIP}")
        bad = ""
        for i, (old, n2) in enumerate(zip(self.sigs, new)):
            sig = _signature(n2)
            if sig != old:
                bad += (f"tensor at position {i}:\nsaved metadata: {_fmt_sig(old)}\n"
                        f"recomputed metadata: {_fmt_sig(sig)}\n")
        if bad:
            raise CheckpointError(
                "ember.utils.checkpoint: Recomputed values for the following tensors have "
                f"different metadata than during the forward pass.\n{bad}.\n{_DEBUG_TIP}")


def _replay_then_apply(frame, i, grads):
    frame.replay()
    node = frame.nodes[i]()
    return node.apply(grads)


def _release_pair(n1, n2):
    n2._release()
    n1._freed = True


def _checkpoint_without_reentrant(function, args, kwargs, preserve_rng_state, context_fn,
                                  determinism_check, debug):
    debug = _checkpoint_debug_enabled if _checkpoint_debug_enabled is not None else debug
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in _DETERMINISM_MODES:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM_MODES)}, "
                         f"but got {determinism_check}")
    rng_state = _random.get_rng_state() if preserve_rng_state else None
    forward_context, recompute_context = context_fn()
    if not _grad_state.enabled:
        return function(*args, **kwargs)
    with forward_context:
        start = next(_graph._sequence)
        out = function(*args, **kwargs)
    nodes = _region_nodes(out, start)
    if nodes:
        frame = _Frame(function, args, kwargs, rng_state, recompute_context,
                       determinism_check != "none")
        frame.hollow(nodes)
    return out


# --- public entry points ---------------------------------------------------------------

def _checkpoint_impl(function, args, kwargs, use_reentrant, preserve_rng_state, context_fn,
                     determinism_check, debug, respect_saved_tensors_hooks=None):
    if use_reentrant is None:
        warnings.warn(
            "ember.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=3)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False \
                or respect_saved_tensors_hooks is not None:
            raise ValueError("Passing `context_fn`, `debug`, or `respect_saved_tensors_hooks` "
                             "is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve_rng_state, *args)
    return _checkpoint_without_reentrant(function, args, kwargs, preserve_rng_state,
                                         context_fn, determinism_check, debug)


class _CheckpointedFunction:
    """``checkpoint(use_reentrant=...)(fn)``: ``fn`` with its checkpoint settings bound."""

    def __init__(self, function, **settings):
        self.function = function
        self.settings = settings
        functools.update_wrapper(self, function, updated=())

    def __call__(self, *args, **kwargs):
        return _checkpoint_impl(self.function, args, kwargs, **self.settings)

    def __get__(self, instance, owner=None):
        get = getattr(self.function, "__get__", None)
        if instance is None or get is None:
            return self
        return type(self)(get(instance, owner), **self.settings)


def checkpoint(function=None, *args, use_reentrant=None, preserve_rng_state=True,
               context_fn=noop_context_fn, determinism_check=_DEFAULT_DETERMINISM_MODE,
               debug=False, early_stop=True, respect_saved_tensors_hooks=None, **kwargs):
    """Run ``function(*args, **kwargs)`` without keeping its activations for backward.

    Backward replays the function (with the RNG state of the forward when
    ``preserve_rng_state``) to get them back; gradients equal the unchecked ones.
    Without ``function`` it returns a decorator carrying the settings.
    ``use_reentrant`` should be passed; see the module docstring for the variants.
    """
    settings = dict(use_reentrant=use_reentrant, preserve_rng_state=preserve_rng_state,
                    context_fn=context_fn, determinism_check=determinism_check, debug=debug,
                    respect_saved_tensors_hooks=respect_saved_tensors_hooks)
    if function is None and not args:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        return functools.partial(_CheckpointedFunction, **settings)
    return _checkpoint_impl(function, args, kwargs, **settings)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run ``functions`` (an ``nn.Sequential`` or a list) in ``segments`` chunks, all but
    the last checkpointed."""
    if use_reentrant is None:
        warnings.warn(
            "ember.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should "
            "be passed explicitly. In version 2.9 we will raise an exception if use_reentrant "
            "is not passed. use_reentrant=False is recommended, but if you need to preserve "
            "the current default behavior, you can pass use_reentrant=True. Refer to docs for "
            "more details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    from ..nn import Sequential
    if isinstance(functions, Sequential):
        functions = list(functions.children())
    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
