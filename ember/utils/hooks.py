"""``RemovableHandle``: what every ``register_*_hook`` returns (modules, optimizers).

One class and one id counter for all of them, as in ``torch.utils.hooks``: the id is the hook's
key in its dict(s), so ids must never repeat across the dicts a hook may be filed in."""
import weakref
from collections import OrderedDict

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Removes a hook from its dict (and any ``extra_dict``) on ``remove()`` or leaving a ``with``.

    The dicts are held weakly so that a handle kept by the user does not keep a module alive."""

    next_id = 0

    def __init__(self, hooks_dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict)
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        if isinstance(extra_dict, dict):
            extra_dict = [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) for d in extra_dict or ())

    def remove(self):
        for ref in (self.hooks_dict_ref,) + self.extra_dict_ref:
            d = ref()
            if d is not None and self.id in d:
                del d[self.id]

    def __getstate__(self):
        return (self.hooks_dict_ref(), self.id, tuple(r() for r in self.extra_dict_ref))

    def __setstate__(self, state):
        # A plain dict cannot be weakly referenced; an OrderedDict stands in for a dead one.
        d, self.id = state[0], state[1]
        self.hooks_dict_ref = weakref.ref(d if d is not None else OrderedDict())
        # Unpickled ids must not be handed out again by later registrations.
        RemovableHandle.next_id = max(RemovableHandle.next_id, self.id + 1)
        extras = state[2] if len(state) > 2 and state[2] is not None else ()
        self.extra_dict_ref = tuple(weakref.ref(e) for e in extras if e is not None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
