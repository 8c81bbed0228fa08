"""Settable backend flags, shared by the ``ember.backends.*`` modules.

torch stores these switches in C++ and exposes them as properties of a module subclass,
so ``torch.backends.cudnn.benchmark = True`` type-checks the value and reads back.  ember
keeps them in a plain dict; there is no kernel for them to steer, they exist so scripts
that set them run unchanged.
"""
import sys
import types

_frozen = [False]  # torch.backends.disable_global_flags(): only flags() may change them


class FlagModule(types.ModuleType):
    """Module class whose properties are the flags (assigned to ``module.__class__``)."""


def flag(store, key, kind, setter_name, check=None):
    """A property reading/writing ``store[key]``; ``kind`` is bool or str as in torch."""
    def get(module):
        return store[key]

    def set_(module, value):
        if _frozen[0]:
            raise RuntimeError(f"not allowed to set {module.__name__} flags after "
                               "disable_global_flags; please use flags() context manager "
                               "instead")
        if not isinstance(value, kind):
            want = "a bool" if kind is bool else "a string"
            raise RuntimeError(f"{setter_name} expects {want}, but got "
                               f"{type(value).__name__}")
        if check is not None:
            check(value)
        store[key] = value
    return property(get, set_)


def check_precision(value):
    if value not in ("none", "ieee", "tf32", "bf16"):
        raise RuntimeError(f"Unknown precision: {value}")


def install(module_name, cls):
    sys.modules[module_name].__class__ = cls


class unfrozen:
    """Lets a flags() context manager set flags even after disable_global_flags()."""

    def __enter__(self):
        self.old, _frozen[0] = _frozen[0], False

    def __exit__(self, *exc):
        _frozen[0] = self.old
