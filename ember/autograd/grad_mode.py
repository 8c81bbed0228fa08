"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode, anomaly detection.

Each is a context manager that also decorates functions (generators keep the mode
around every step they run, as in PyTorch).
"""
import functools
import inspect
import warnings


class _State:
    enabled = True
    inference = False
    anomaly = False
    anomaly_check_nan = True


state = _State()


def is_grad_enabled():
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


def _wrap_generator(ctx_factory, gen_fn):
    @functools.wraps(gen_fn)
    def wrapper(*args, **kwargs):
        gen = gen_fn(*args, **kwargs)
        try:
            with ctx_factory():
                request = gen.send(None)
            while True:
                try:
                    response = yield request
                except GeneratorExit:
                    with ctx_factory():
                        gen.close()
                    raise
                except BaseException:
                    with ctx_factory():
                        request = gen.throw(*__import__("sys").exc_info())
                else:
                    with ctx_factory():
                        request = gen.send(response)
        except StopIteration as e:
            return e.value
    return wrapper


class _DecoratorContext:
    """A context manager that can also decorate functions (and generators)."""

    def __call__(self, fn):
        factory = self.clone
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(factory, fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with factory():
                return fn(*args, **kwargs)
        return wrapper

    def _args(self):
        return ()

    def clone(self):
        return self.__class__(*self._args())


class _NoArgDecoratorContext(_DecoratorContext):
    """Usable bare (``@no_grad``) as well as called (``@no_grad()``)."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoArgDecoratorContext):
    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc):
        state.enabled = self.prev


class enable_grad(_NoArgDecoratorContext):
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

    def clone(self):
        # set_grad_enabled switches on construction; the clone must switch on entry.
        return _GradModeAt(self.mode)


class _GradModeAt:
    def __init__(self, mode):
        self.mode = mode

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode

    def __exit__(self, *exc):
        state.enabled = self.prev


class inference_mode(_DecoratorContext):
    """Grad off (ember keeps no separate inference tensors: they behave as no_grad ones)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode=True):
        self.mode = mode

    def _args(self):
        return (self.mode,)

    def __enter__(self):
        self.prev = (state.enabled, state.inference)
        if self.mode:
            state.enabled, state.inference = False, True
        else:
            state.inference = False
            state.enabled = self.prev[0] or self.prev[1]

    def __exit__(self, *exc):
        state.enabled, state.inference = self.prev


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = bool(mode), check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev


class detect_anomaly:
    """Check every backward step for NaNs and name the function that produced them."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = (state.anomaly, state.anomaly_check_nan)
        state.anomaly, state.anomaly_check_nan = True, self.check_nan

    def __exit__(self, *exc):
        state.anomaly, state.anomaly_check_nan = self.prev


def is_anomaly_enabled():
    return state.anomaly


def is_anomaly_check_nan_enabled():
    return state.anomaly_check_nan
