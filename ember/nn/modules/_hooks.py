"""Hook plumbing for Module: removable handles, global hooks, the hooked call
path and full backward hooks.

A full backward hook sees the gradients w.r.t. a module's inputs and outputs.
Like PyTorch, the module's tensor inputs and outputs are passed through an
identity autograd Function; a pre-hook on the output identity's node captures
``grad_output``, and one on the input identity's node sees ``grad_input``.
"""
import functools
import itertools
import warnings
from collections import OrderedDict

from ..._creation import zeros_like
from ..._tensor import Tensor
from ...autograd.function import Function
from ...utils.hooks import RemovableHandle


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

    def _pack(self, grads, values, positions, n):
        """Gradients of the tensor positions spread over all n arguments (None elsewhere).

        A tensor that got no gradient gets zeros, as PyTorch materialises them."""
        full = [None] * n
        for i, g in zip(positions, grads):
            full[i] = g if g is not None else zeros_like(values[i])
        return tuple(full)

    def setup_input_hook(self, args):
        def on_grad_input(grads):
            if not self.user_hooks or self.grad_outputs is None:
                return None
            res = self._run_hooks(self._pack(grads, args, pos, len(args)))
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
            grads = self._pack(grads, outs, pos, len(outs))
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

        outs = result if isinstance(result, tuple) else (result,)
        new, _, pos = self._wrap(result, on_grad_output)
        return new


_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_always_called = OrderedDict()
_global_backward_hooks = OrderedDict()
_global_backward_pre_hooks = OrderedDict()
_global_buffer_registration_hooks = OrderedDict()
_global_module_registration_hooks = OrderedDict()
_global_parameter_registration_hooks = OrderedDict()


def _register_global(d, hook, extra=None):
    handle = RemovableHandle(d, extra_dict=extra)
    d[handle.id] = hook
    return handle


def register_module_forward_pre_hook(hook):
    return _register_global(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, always_call=False):
    handle = _register_global(_global_forward_hooks, hook, _global_forward_hooks_always_called)
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_hook(hook):
    return _register_global(_global_backward_hooks, hook)


def register_module_full_backward_pre_hook(hook):
    return _register_global(_global_backward_pre_hooks, hook)


def register_module_buffer_registration_hook(hook):
    return _register_global(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook):
    return _register_global(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook):
    return _register_global(_global_parameter_registration_hooks, hook)


class _HookMixin:
    """Module's hook registration and the hooked call path (kept apart from module.py)."""

    # --- calling ------------------------------------------------------------------------
    def _call_impl(self, *args, **kwargs):
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks
                or self._backward_pre_hooks or _global_forward_hooks
                or _global_forward_pre_hooks or _global_backward_hooks
                or _global_backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    __call__ = _call_impl

    def _call_with_hooks(self, args, kwargs):
        full_bw, bw_pre = [], []
        if self._backward_hooks or _global_backward_hooks:
            if self._is_full_backward_hook is not False:
                full_bw = list(_global_backward_hooks.values()) + list(
                    self._backward_hooks.values())
        if self._backward_pre_hooks or _global_backward_pre_hooks:
            bw_pre = list(_global_backward_pre_hooks.values()) + list(
                self._backward_pre_hooks.values())
        for hook_id, hook in itertools.chain(_global_forward_pre_hooks.items(),
                                             self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if isinstance(res, tuple) and len(res) == 2:
                        args, kwargs = res
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {res}.")
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        bw_hook = None
        if full_bw or bw_pre:
            bw_hook = BackwardHook(self, full_bw, bw_pre)
            args = bw_hook.setup_input_hook(args)
        called = set()
        result = None
        try:
            result = self.forward(*args, **kwargs)
            for hook_id, hook in itertools.chain(_global_forward_hooks.items(),
                                                 self._forward_hooks.items()):
                called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    res = hook(self, args, kwargs, result)
                else:
                    res = hook(self, args, result)
                if res is not None:
                    result = res
        except Exception:
            for hook_id, hook in itertools.chain(_global_forward_hooks.items(),
                                                 self._forward_hooks.items()):
                always = (hook_id in self._forward_hooks_always_called
                          or hook_id in _global_forward_hooks_always_called)
                if always and hook_id not in called:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, result)
                        else:
                            hook(self, args, result)
                    except Exception as e:  # noqa: BLE001 - the forward's error wins
                        kind = "module" if hook_id in self._forward_hooks else \
                            "global module"
                        warnings.warn(f"{kind} forward hook with ``always_call=True`` raised "
                                      "an exception that was silenced as another error was "
                                      f"raised in forward: {e}", stacklevel=2)
            raise
        if bw_hook is not None:
            result = bw_hook.setup_output_hook(result)
        if self._backward_hooks and self._is_full_backward_hook is False:
            var = result
            while not isinstance(var, Tensor):
                var = next(v for v in var.values() if isinstance(v, Tensor)) \
                    if isinstance(var, dict) else var[0]
            if var.grad_fn is not None:
                for hook in self._backward_hooks.values():
                    var.grad_fn.register_hook(
                        functools.partial(_old_backward_hook, hook, self))
        return result

    # --- hooks ----------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dict=[self._forward_hooks_with_kwargs,
                                             self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend=False):
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend=False):
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self._is_full_backward_hook = True
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook):
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        self._is_full_backward_hook = False
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook):
        handle = RemovableHandle(self._state_dict_hooks)
        self._state_dict_hooks[handle.id] = hook
        return handle

    register_state_dict_post_hook = _register_state_dict_hook

    def register_state_dict_pre_hook(self, hook):
        handle = RemovableHandle(self._state_dict_pre_hooks)
        self._state_dict_pre_hooks[handle.id] = hook
        return handle

    def register_load_state_dict_pre_hook(self, hook):
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = functools.partial(hook, self)
        return handle

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        handle = RemovableHandle(self._load_state_dict_pre_hooks)
        self._load_state_dict_pre_hooks[handle.id] = (
            functools.partial(hook, self) if with_module else hook)
        return handle

    def register_load_state_dict_post_hook(self, hook):
        handle = RemovableHandle(self._load_state_dict_post_hooks)
        self._load_state_dict_post_hooks[handle.id] = hook
        return handle


def _old_backward_hook(hook, module, grad_input, grad_output):
    res = hook(module, grad_input, grad_output)
    return res
