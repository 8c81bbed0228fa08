"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode."""
import functools


class _State:
    enabled = True
    anomaly = False
    anomaly_check_nan = True


state = _State()


def is_grad_enabled():
    return state.enabled


class _DecoratorContext:
    """A context manager that can also decorate functions (and generators)."""

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return self.__class__(*self._args())


class no_grad(_DecoratorContext):
    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev


class enable_grad(_DecoratorContext):
    def __enter__(self):
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc):
        state.enabled = self.prev


class set_grad_enabled(_DecoratorContext):
    """Takes effect at construction, like PyTorch, so it also works as a plain call."""

    def __init__(self, mode):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def _args(self):
        return (self.mode,)

    def __call__(self, fn):
        state.enabled = self.prev
        return super().__call__(fn)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.enabled = self.prev


class inference_mode(_DecoratorContext):
    def __init__(self, mode=True):
        self.mode = mode

    def _args(self):
        return (self.mode,)

    def __call__(self, fn):
        if not callable(fn):  # @inference_mode(False) style is handled by __init__
            raise TypeError("inference_mode expects a function")
        return super().__call__(fn)

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = not self.mode and state.enabled

    def __exit__(self, *exc):
        state.enabled = self.prev


def is_inference_mode_enabled():
    return False


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = bool(mode), check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev


class detect_anomaly(_DecoratorContext):
    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def _args(self):
        return (self.check_nan,)

    def __enter__(self):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = True, self.check_nan

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev


def is_anomaly_enabled():
    return state.anomaly
