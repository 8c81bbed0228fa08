"""ember.backends.mkldnn: oneDNN's switches; torch's CPU wheel has oneDNN, so it is
reported available and the flags are settable (they steer nothing in ember)."""
from contextlib import contextmanager

from . import _flags

_state = {"enabled": True, "deterministic": False, "fp32_precision": "none"}


def is_available():
    return True


@contextmanager
def flags(enabled=False, deterministic=False, fp32_precision="none"):
    import sys
    module = sys.modules[__name__]
    new = {"enabled": enabled, "deterministic": deterministic, "fp32_precision": fp32_precision}
    with _flags.unfrozen():
        old = {k: getattr(module, k) for k in new}
        for k, v in new.items():
            if v is not None:
                setattr(module, k, v)
    try:
        yield
    finally:
        with _flags.unfrozen():
            for k, v in old.items():
                setattr(module, k, v)


class _MkldnnModule(_flags.FlagModule):
    enabled = _flags.flag(_state, "enabled", bool, "set_enabled_mkldnn")
    deterministic = _flags.flag(_state, "deterministic", bool, "set_deterministic_mkldnn")
    fp32_precision = _flags.flag(_state, "fp32_precision", str, "_set_fp32_precision_setter",
                                 _flags.check_precision)


_flags.install(__name__, _MkldnnModule)
