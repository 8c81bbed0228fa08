"""Random sampling on ember's generator, which reproduces PyTorch's CPU stream.

Every sampler draws from ``ember._generator`` (MT19937 with PyTorch's transforms),
so after ``manual_seed(s)`` ember and PyTorch produce the same numbers in the same
order.  In-place samplers (``uniform_``...) write through views like other in-place ops.
"""
import math

from .. import _errors
from .. import _generator as _engine
from ..autograd.grad_mode import state as _grad_state
from ._util import D, Tensor, _wrap, np, install

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "rand", "rand_like", "randn", "randn_like",
           "randint", "randint_like", "randperm", "normal", "bernoulli", "multinomial",
           "poisson"]


class Generator:
    """``ember.Generator``: an independent stream, same algorithm as PyTorch's CPU one."""

    def __init__(self, device="cpu"):
        from .._device import as_device
        self.device = as_device(device)
        if self.device.type != "cpu":
            from .. import cuda
            cuda._lazy_init()
        self._engine = _engine.Generator()

    def manual_seed(self, seed):
        self._engine.manual_seed(int(seed))
        return self

    def seed(self):
        return self._engine.seed()

    def initial_seed(self):
        return self._engine.initial_seed()

    def get_state(self):
        return _wrap(self._engine.get_state())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor) or new_state.dtype is not D.uint8:
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        self._engine.set_state(new_state._data)
        return self

    def __getstate__(self):
        return {"device": self.device, "state": self._engine.get_state()}

    def __setstate__(self, st):
        self.device = st["device"]
        self._engine = _engine.Generator()
        self._engine.set_state(st["state"])


default_generator = Generator()
default_generator._engine = _engine.default_generator


def _gen(generator):
    return (generator or default_generator)._engine


def manual_seed(seed):
    seed = int(seed)
    if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
        raise RuntimeError("Overflow when unpacking long")
    _engine.default_generator.manual_seed(seed)
    return default_generator


def seed():
    return _engine.default_generator.seed()


def initial_seed():
    return _engine.default_generator.initial_seed()


def get_rng_state():
    return _wrap(_engine.default_generator.get_state())


def set_rng_state(new_state):
    default_generator.set_state(new_state)


# --- dtype plumbing ------------------------------------------------------------------

def _engine_dtype(dt):
    return "bfloat16" if dt is D.bfloat16 else dt.np


def _draw(gen, method, shape, a, b, dt):
    """``gen.uniform``/``gen.normal`` samples of ``dt``.  A complex dtype is sampled as
    PyTorch samples it: through its view_as_real, (real, imag) pairs of the real dtype,
    normals with std / sqrt(2) so that the complex variance is std**2."""
    if not dt.is_complex:
        return getattr(gen, method)(shape, a, b, _engine_dtype(dt))
    if method == "normal":
        b = b / math.sqrt(2)
    pairs = getattr(gen, method)(tuple(shape) + (2,), a, b, dt.to_real().np)
    return np.ascontiguousarray(pairs).view(dt.np).reshape(shape)


def _as(arr, dt):
    return arr if arr.dtype == dt.np else arr.astype(dt.np)


def _size(size):
    from .._creation import _size as creation_size
    return creation_size(size)


def _finish(arr, dt, requires_grad, device):
    from .._creation import _finish as creation_finish
    return creation_finish(_wrap(_as(arr, dt)), requires_grad, device)


def _float_dtype(dtype, name):
    dt = D.get_default_dtype() if dtype is None else D.to_dtype(dtype)
    if not (dt.is_floating_point or dt.is_complex):
        raise RuntimeError(f"\"check_uniform_bounds\" not implemented for "
                           f"'{_errors._TYPE_NAMES[dt.name][:-6]}'" if name == "rand" else
                           f"\"normal_kernel_cpu\" not implemented for "
                           f"'{_errors._TYPE_NAMES[dt.name][:-6]}'")
    return dt


# --- creation samplers --------------------------------------------------------------

def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw):
    dt = _float_dtype(dtype, "rand")
    shape = _size(size or (kw.pop("size"),))
    return _finish(_draw(_gen(generator), "uniform", shape, 0.0, 1.0, dt), dt,
                   requires_grad, device)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                generator=generator)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False, **kw):
    dt = _float_dtype(dtype, "randn")
    shape = _size(size or (kw.pop("size"),))
    return _finish(_draw(_gen(generator), "normal", shape, 0.0, 1.0, dt), dt,
                   requires_grad, device)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                 generator=generator)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False, pin_memory=False):
    if size is None:  # randint(high, size)
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() missing 1 required positional arguments: \"size\"")
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    shape = _size((size,))
    return _finish(_gen(generator).randint(shape, int(low), int(high), _engine_dtype(dt)), dt,
                   requires_grad, device)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, generator=generator)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    dt = D.int64 if dtype is None else D.to_dtype(dtype)
    return _finish(_gen(generator).randperm(int(n), _engine_dtype(dt)), dt, requires_grad,
                   device)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, requires_grad=False):
    g = _gen(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments")
        dt = _float_dtype(dtype, "randn")
        _check_std(std)
        return _finish(g.normal(_size((size,)), float(mean), float(std), _engine_dtype(dt)),
                       dt, requires_grad, device)
    ref = mean if mt else std
    dt = ref.dtype if not (mt and st) else D.promote_types(mean.dtype, std.dtype)
    if st and bool((std._data < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st:
        _check_std(std)
    m_arr = mean._data if mt else float(mean)
    s_arr = std._data if st else float(std)
    shape = np.broadcast_shapes(np.shape(m_arr), np.shape(s_arr)) if mt and st else ref.shape
    if mt and st and mean.numel() != std.numel() and np.shape(m_arr) != np.shape(s_arr):
        shape = np.broadcast_shapes(np.shape(m_arr), np.shape(s_arr))
    return _finish(g.normal(tuple(shape), m_arr, s_arr, _engine_dtype(dt)), dt, False, None)


def _check_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


def bernoulli(input, p=None, *, generator=None, out=None):
    g = _gen(generator)
    if p is None:
        probs = input._data
        if probs.size and (probs.min() < 0 or probs.max() > 1):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
        return _wrap(_as(g.bernoulli(input.shape, probs, _engine_dtype(input.dtype)),
                         input.dtype))
    return _wrap(_as(g.bernoulli(input.shape, float(p), _engine_dtype(input.dtype)),
                     input.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError("multinomial only supports floating-point dtypes for input")
    probs = input._data
    n = probs.shape[-1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if probs.size and (probs.min() < 0 or not np.all(np.isfinite(probs))):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(probs.reshape(-1, n).sum(-1) == 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    return _wrap(_gen(generator).multinomial(probs, int(num_samples), replacement)
                 .astype(np.int64))


def poisson(input, generator=None):
    return _wrap(_as(_gen(generator).poisson(input._data), input.dtype))


# --- in-place samplers ----------------------------------------------------------------

def _fill_random(self, arr):
    if _grad_state.enabled and self._requires_grad and self.grad_fn is None:
        raise RuntimeError(_errors.LEAF_INPLACE)
    if not self._data.flags.writeable:
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to "
            "a single memory location. Please clone() the tensor before performing the "
            "operation.")
    np.copyto(self._data, arr, casting="unsafe")
    self._bump()
    return self


def _uniform_(self, from_=0.0, to=1.0, *, generator=None, **kw):
    from_, to = kw.pop("from", from_), to
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={from_} > to={to}")
    return _fill_random(self, _draw(_gen(generator), "uniform", self.shape, float(from_),
                                    float(to), self.dtype))


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    _check_std(std)
    return _fill_random(self, _draw(_gen(generator), "normal", self.shape, float(mean),
                                    float(std), self.dtype))


def _random_(self, from_=None, to=None, *, generator=None, **kw):
    from_ = kw.pop("from", from_)
    g = _gen(generator)
    if from_ is None and to is None:
        return _fill_random(self, g.random_full(self.shape, _engine_dtype(self.dtype)))
    if to is None:
        from_, to = 0, from_
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                           f"from={from_} >= to={to}")
    return _fill_random(self, g.randint(self.shape, int(from_), int(to),
                                        _engine_dtype(self.dtype)))


def _bernoulli_(self, p=0.5, *, generator=None):
    probs = p._data if isinstance(p, Tensor) else float(p)
    if not isinstance(p, Tensor) and not 0 <= probs <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={probs}")
    return _fill_random(self, _gen(generator).bernoulli(self.shape, probs,
                                                        _engine_dtype(self.dtype)))


def _exponential_(self, lambd=1.0, *, generator=None):
    return _fill_random(self, _gen(generator).exponential(self.shape, float(lambd),
                                                          _engine_dtype(self.dtype)))


# geometric_, log_normal_ and cauchy_ draw one double at a time whatever the tensor's
# dtype, as PyTorch's CPU kernels do, and round once at the end.

def _geometric_(self, p, *, generator=None):
    u = _gen(generator).uniform(self.shape, 0.0, 1.0, np.float64)
    return _fill_random(self, np.ceil(np.log(u) / np.log1p(-p)))


def _log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    z = _gen(generator)._normal_scalar(int(np.prod(self.shape)), float(mean), float(std))
    if self.dtype is D.float64:  # glibc's exp, exactly as PyTorch's kernel rounds it
        z = np.array([math.exp(v) for v in z.tolist()], np.float64)
    else:
        z = np.exp(z)
    return _fill_random(self, z.reshape(self.shape))


def _cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    u = _gen(generator).uniform(self.shape, 0.0, 1.0, np.float64)
    return _fill_random(self, median + sigma * np.tan(np.pi * (u - 0.5)))


install({
    "uniform_": _uniform_, "normal_": _normal_, "random_": _random_,
    "bernoulli_": _bernoulli_, "exponential_": _exponential_, "geometric_": _geometric_,
    "log_normal_": _log_normal_, "cauchy_": _cauchy_,
    "bernoulli": lambda self, p=None, *, generator=None: bernoulli(self, p,
                                                                  generator=generator),
    "multinomial": lambda self, num_samples, replacement=False, *, generator=None:
        multinomial(self, num_samples, replacement, generator=generator),
})
