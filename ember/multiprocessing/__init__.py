"""ember.multiprocessing: the standard library's multiprocessing, plus torch's extras.

torch wraps :mod:`multiprocessing` to move tensors through shared memory when they are
sent between processes.  ember tensors pickle as plain NumPy arrays, so the standard
module works as it is; this package re-exports it (``Process``, ``Queue``, ``Pool``,
``set_start_method``...) and adds torch's ``spawn`` and sharing-strategy functions.
"""
import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403

from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies"]
__all__ += multiprocessing.__all__

# Linux passes shared memory by file descriptor, macOS/Windows only through named files
if sys.platform in ("darwin", "win32"):
    _all_sharing_strategies = {"file_system"}
else:
    _all_sharing_strategies = {"file_descriptor", "file_system"}
_sharing_strategy = "file_system" if sys.platform in ("darwin", "win32") else "file_descriptor"


def set_sharing_strategy(new_strategy):
    """Choose how tensors would be shared (recorded only: ember sends copies)."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, "
                             f"expected one of {_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy():
    return _sharing_strategy


def get_all_sharing_strategies():
    return _all_sharing_strategies
