"""Optimizer: the base class every ember optimizer builds on.

It keeps PyTorch's data model exactly, because users (and checkpoints) poke at
it directly: ``param_groups`` is a list of dicts holding the parameters plus
every hyper-parameter with its default filled in, ``state`` is a defaultdict
keyed by the parameter tensors, and ``state_dict()`` renames parameters to
integer indices in group order.

Subclasses write ``step`` over NumPy arrays: ``p._data`` is updated in place
(every view of the parameter sees it) and ``p._bump()`` advances the version
counter, as any in-place op would.  The arithmetic follows PyTorch's
single-tensor ("for-loop") implementation, which is what PyTorch runs on CPU:
the same sequence of float32 roundings, with two exceptions.  PyTorch's vector
kernels fuse some multiply-adds (``add_(x, alpha=a)``, ``lerp_``, ``addcmul_``)
into one rounding where NumPy rounds twice (``_functional.FMA`` emulates the
fusion), and PyTorch's CPU ``sqrt`` comes from MKL and is off by an ulp now and
then.  Trajectories therefore agree to float32 rounding; optimizers without a
square root (SGD, ASGD, Rprop, Adamax) match bit for bit with ``FMA = True``.
"""
import functools
import threading
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from copy import deepcopy
from itertools import chain

from .. import _dtype as D
from .._backend import np
from .._backend import parallel as _parallel
from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import enable_grad, state as _grad_state
from ..nn.modules.module import _typename
from ..utils.hooks import RemovableHandle
from . import _functional as F

__all__ = ["Optimizer", "register_optimizer_step_pre_hook",
           "register_optimizer_step_post_hook", "required"]


class _RequiredParameter:
    """Marks a hyper-parameter that every param group must give."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


_arena_lock = threading.Lock()
_global_pre_hooks = OrderedDict()
_global_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """A hook ``hook(optimizer, args, kwargs)`` run before every optimizer's step."""
    h = RemovableHandle(_global_pre_hooks)
    _global_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook):
    """A hook ``hook(optimizer, args, kwargs)`` run after every optimizer's step."""
    h = RemovableHandle(_global_post_hooks)
    _global_post_hooks[h.id] = hook
    return h


def _hooked_step(step):
    """Wrap a subclass's ``step``: run the step hooks around it, without grad."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for pre in chain(_global_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
            result = pre(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        prev = _grad_state.enabled
        _grad_state.enabled = False
        try:
            out = step(self, *args, **kwargs)
        finally:
            _grad_state.enabled = prev
        for post in chain(self._optimizer_step_post_hooks.values(), _global_post_hooks.values()):
            post(self, args, kwargs)
        return out
    wrapper.hooked = True
    return wrapper


def _scalar_dtype():
    """The dtype of the ``step`` counters PyTorch keeps (float64 only under that default)."""
    return D.float64 if D.get_default_dtype() is D.float64 else D.float32


def _value(x):
    """A hyper-parameter as a Python number (a 1-element tensor lr becomes a float)."""
    return x.item() if isinstance(x, Tensor) else x


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups, each with a
            ``"params"`` entry and any per-group options).
        defaults: the default value of every optimization option.
    """

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooked_step(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # --- pickling, printing ----------------------------------------------------
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        # Options added in later releases, and plain-number step counters of
        # old checkpoints, are brought up to date here.
        for group in self.param_groups:
            for k, v in self._group_fill.items():
                group.setdefault(k, v)
        if self._tensor_state:
            for group in self.param_groups:
                for p in group["params"]:
                    s = self.state.get(p)
                    if not s:
                        continue
                    for k in self._tensor_state:
                        if k in s and not isinstance(s[k], Tensor):
                            s[k] = _wrap(np.array(float(s[k]), _scalar_dtype().np))

    # group options a loaded state dict may lack, and 0-d state that must be a tensor
    _group_fill = {}
    _tensor_state = ()

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # --- hooks -------------------------------------------------------------------
    def _register(self, d, hook, prepend=False):
        h = RemovableHandle(d)
        d[h.id] = hook
        if prepend:
            d.move_to_end(h.id, last=False)
        return h

    def register_step_pre_hook(self, hook):
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # --- state dicts -------------------------------------------------------------
    def state_dict(self):
        """``{"state": {index: per-param state}, "param_groups": [group, ...]}``.

        Parameters are replaced by their position counted across the groups, so
        the dict can be loaded into an optimizer over other (equal-shaped) tensors.
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        sd = {"state": packed_state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            r = hook(self, sd)
            if r is not None:
                sd = r
        return sd

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups,
                                                 key=None):
        # Floating state follows the parameter's dtype; the step counter keeps
        # its own (unless fused/capturable, which keep it in float32).
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            return value.to(D.float32) if (capturable or fused) else value
        if param.is_floating_point():
            return value.to(param.dtype)
        return value

    def load_state_dict(self, state_dict):
        """Load what ``state_dict()`` returned (from this or an equal optimizer)."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            r = hook(self, state_dict)
            if r is not None:
                state_dict = r
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param, value, param_id, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(
                    param, value, param_id, state_dict["param_groups"], key)
            if isinstance(value, dict):
                return {k: cast(param, v, param_id, k) for k, v in value.items()}
            if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
                return type(value)(cast(param, v, param_id) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = cast(param, v, k)
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # --- gradients, groups -------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Clear every parameter's ``.grad`` (to None by default, else to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data[...] = 0
                    g._bump()

    def step(self, closure=None):
        raise NotImplementedError

    def add_param_group(self, param_group):
        """Add a group (a dict with ``"params"`` and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if not seen.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # --- helpers for subclasses ----------------------------------------------------
    def _closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _buf(self, like, slot=0, dtype=None):
        """A scratch array shaped like ``like``, reused across steps (never state).

        Slots 0-1 hold the adjusted gradient, 2-7 are the optimizers' own, 8-9
        belong to the kernels in ``_functional``."""
        dtype = like.dtype if dtype is None else dtype
        return self._arena(dtype, slot, like.size)[:like.size].reshape(like.shape)

    def _arena(self, dtype, slot, n):
        # One flat arena per slot, sized for the largest parameter and viewed
        # per call: scratch costs a few times the largest parameter, not the model.
        cache = self.__dict__.get("_scratch")
        if cache is None:
            cache = self.__dict__["_scratch"] = {}
        arena = cache.get((dtype, slot))
        if arena is None or arena.size < n:
            with _arena_lock:  # the pieces of a parallel update may ask at once
                arena = cache.get((dtype, slot))
                if arena is None or arena.size < n:
                    arena = cache[(dtype, slot)] = np.empty(n, dtype)
        return arena

    def _update(self, kernel, arrays, *args, grain=_parallel.GRAIN):
        """``kernel(scratch, *arrays, *args)``: one parameter's update on its arrays
        (parameter, gradient, state buffers; None for an absent one).  A large
        parameter is cut into pieces that threads update side by side, as
        PyTorch's kernels spread over its intra-op threads; each piece gets its
        own stretch of the scratch arenas.  ``grain``: the fewest elements worth a
        thread, larger for a light kernel."""
        n = arrays[0].size
        if _parallel.chunks(n, grain) == 1 or not all(
                a is None or (a.size == n and a.flags.c_contiguous) for a in arrays):
            kernel(self, *arrays, *args)
            return
        flat = [None if a is None else a.reshape(-1) for a in arrays]

        def piece(lo, hi):
            kernel(_Piece(self, lo, n), *(None if a is None else a[lo:hi] for a in flat),
                   *args)
        _parallel.parallel_for(piece, n, grain)

    def _params_with_state(self, group, *zeros, **scalars):
        """Yield ``(p, state, step)`` for each parameter of ``group`` that has a gradient,
        ``step`` being its count after this step.

        A first step makes the state as PyTorch does, in its key order (``state_dict`` shows
        it): the 0-d ``step``, the 0-d ``scalars``, then zero buffers named by ``zeros``; a
        falsy name is skipped, so optional buffers read ``amsgrad and "max_exp_avg_sq"``."""
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if len(state) == 0:
                state["step"] = _step_tensor()
                for name, value in scalars.items():
                    state[name] = _step_tensor(value)
                for name in zeros:
                    if name:
                        state[name] = _zeros(p)
            yield p, state, _bump_step(state["step"])

    def _grad(self, p, group, wd=0):
        """The gradient as the update sees it (see ``_functional.adjusted_grad``)."""
        return F.adjusted_grad(self, p.grad._data, p._data, group["maximize"], wd)


class _Piece:
    """The scratch of one piece of a parallel update: its own stretch of the
    optimizer's arenas, at the piece's offset in the parameter."""

    __slots__ = ("opt", "lo", "n")

    def __init__(self, opt, lo, n):
        self.opt, self.lo, self.n = opt, lo, n

    def _buf(self, like, slot=0, dtype=None):
        dtype = like.dtype if dtype is None else dtype
        arena = self.opt._arena(dtype, slot, self.n)
        return arena[self.lo:self.lo + like.size].reshape(like.shape)

def _check_hparams(lr=None, **values):
    """PyTorch's constructor checks, in its order: a Tensor ``lr`` holds one element, then
    ``lr`` and each keyword must be >= 0 (written ``not 0 <= x`` so that NaN fails too)."""
    if lr is not None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {'epsilon' if name == 'eps' else name} value: {value}")


def _check_fused(fused, differentiable, foreach):
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _zeros(p):
    """A zero state tensor shaped and strided like the parameter."""
    return _wrap(np.zeros_like(p._data))


def _full(p, value):
    return _wrap(np.full_like(p._data, value))


def _step_tensor(value=0.0):
    """The 0-d ``step`` counter PyTorch keeps as a tensor on the CPU."""
    return _wrap(np.array(value, _scalar_dtype().np))


def _bump_step(t):
    """``step_t += 1`` on the 0-d counter; its new value as a Python float."""
    a = t._data
    a += 1
    t._bump()
    return float(a)
