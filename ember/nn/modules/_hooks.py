"""Hook plumbing for Module: removable handles and full backward hooks.

A full backward hook sees the gradients w.r.t. a module's inputs and outputs.
Like PyTorch, the module's tensor inputs and outputs are passed through an
identity autograd Function; a pre-hook on the output identity's node captures
``grad_output``, and one on the input identity's node sees ``grad_input``.
"""
import itertools
import warnings
import weakref

from ...autograd.function import Function


class RemovableHandle:
    """Removes a hook from its dict(s) on ``remove()`` (or on leaving a ``with``)."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = next(RemovableHandle._next_id)
        if extra_dict is None:
            extra_dict = []
        elif isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict)

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id,
                tuple(r() for r in self.extra_dict_ref))

    def __setstate__(self, state):
        d, self.id, extras = state
        self.hooks_dict_ref = weakref.ref(d if d is not None else {})
        self.extra_dict_ref = tuple(weakref.ref(e) for e in extras if e is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _BackwardHookFunction(Function):
    """Identity on tensors; its node is where the module's gradients are observed."""

    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *grads):
        return grads


def _tensor_positions(values):
    from ..._tensor import Tensor
    return [i for i, v in enumerate(values) if isinstance(v, Tensor)]


class BackwardHook:
    """Wires a module's full backward (pre-)hooks around one forward call."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = -1
        self.input_node = None

    def _wrap(self, values, on_grads):
        """Pass the tensors among ``values`` through the identity; hook its node."""
        from ...autograd.grad_mode import is_grad_enabled
        single = not isinstance(values, tuple)
        vals = (values,) if single else values
        pos = _tensor_positions(vals)
        tensors = [vals[i] for i in pos]
        if not (is_grad_enabled() and any(t.requires_grad for t in tensors)):
            return values, None, pos
        out = _BackwardHookFunction.apply(*tensors)
        node = next(o.grad_fn for o in out if o.grad_fn is not None)
        node.register_prehook(on_grads)
        new = list(vals)
        for i, o in zip(pos, out):
            new[i] = o
        return (new[0] if single else tuple(new)), node, pos

    def _pack(self, grads, positions, n):
        """Gradients of the tensor positions spread over all n arguments (None elsewhere)."""
        full = [None] * n
        for i, g in zip(positions, grads):
            full[i] = g
        return tuple(full)

    def setup_input_hook(self, args):
        def on_grad_input(grads):
            if not self.user_hooks or self.grad_outputs is None:
                return None
            res = self._run_hooks(self._pack(grads, pos, len(args)))
            return None if res is None else tuple(res[i] for i in pos)

        new, node, pos = self._wrap(args, on_grad_input)
        self.n_inputs = len(args)
        self.input_node = node
        return new

    def _run_hooks(self, grad_input):
        res = None
        for hook in self.user_hooks:
            out = hook(self.module, grad_input if res is None else res, self.grad_outputs)
            if out is None:
                continue
            out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
            if len(out) != len(grad_input):
                raise RuntimeError(
                    f"Backward hook returned an invalid number of grad_input, got "
                    f"{len(out)}, but expected {len(grad_input)}")
            res = out
        return res

    def setup_output_hook(self, result):
        def on_grad_output(grads):
            grads = self._pack(grads, pos, n_out)
            for hook in self.user_pre_hooks:
                out = hook(self.module, grads)
                if out is None:
                    continue
                out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
                if len(out) != len(grads):
                    raise RuntimeError(
                        f"Backward pre hook returned an invalid number of grad_output, got "
                        f"{len(out)}, but expected {len(grads)}")
                grads = out
            self.grad_outputs = grads
            grads = tuple(grads[i] for i in pos)
            if self.input_node is None and self.user_hooks:
                # No input needs a gradient: the hooks run now with grad_input all None.
                warnings.warn(
                    "Full backward hook is firing when gradients are computed with respect to "
                    "module outputs since no inputs require gradients. See https://docs."
                    "pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module."
                    "register_full_backward_hook for more details.", stacklevel=5)
                self._run_hooks((None,) * max(self.n_inputs, 0))
            return grads

        n_out = len(result) if isinstance(result, tuple) else 1
        new, _, pos = self._wrap(result, on_grad_output)
        return new
