"""ember.random: the global generator's seed and state, and fork_rng."""
import contextlib

from ._ops.random_ops import (manual_seed, seed, initial_seed, get_rng_state,  # noqa: F401
                              set_rng_state, default_generator)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """Run a block whose random draws leave the global stream where it was."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
