"""ember.cuda: no GPU backend yet, so every query answers as PyTorch does without one."""
from .. import _errors


def is_available():
    return False


def device_count():
    return 0


def _lazy_init():
    raise AssertionError(_errors.NO_CUDA)


def current_device():
    _lazy_init()


def set_device(device):
    _lazy_init()


def get_device_name(device=None):
    _lazy_init()


def synchronize(device=None):
    _lazy_init()


def manual_seed(seed):
    """Seeding CUDA without a GPU is silently ignored, as in PyTorch."""


def manual_seed_all(seed):
    """Seeding CUDA without a GPU is silently ignored, as in PyTorch."""


def empty_cache():
    """Nothing is cached without a GPU."""


def is_initialized():
    return False


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0
