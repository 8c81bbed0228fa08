"""Pure-NumPy replica of PyTorch's CPU random engine (``torch.Generator``).

Every sampler reproduces torch's CPU stream bit for bit: the same MT19937
draws, transforms and rounding, so ``manual_seed(s)`` plus any sequence of
calls yields torch's bits, and ``get_state()`` / ``set_state()`` exchange the
5056-byte ``torch.get_rng_state()`` layout.

Why the numerics look the way they do (details in ember/_rng_math.py):
* torch's CPU kernels are built per ISA with FMA, and GCC fuses ``a*b + c``;
  ember evaluates those as one rounding of an exact float64 (or emulated) sum.
* float32/half/bfloat16 normal with >= 16 elements uses torch's AVX2
  Box-Muller (Cephes ``log256_ps`` / ``sincos256_ps``), replayed op by op.
* float64 paths call glibc log/sin/cos/log1p, reproduced exactly.
* bernoulli_(float p) in this torch is the plain per-element kernel (double
  uniform < p), not MKL's VSL stream, so dropout masks follow the MT stream.
Large requests are produced in chunks, so temporaries stay in cache and memory
stays bounded whatever the size.
"""
import ctypes
import ctypes.util
import math
import os

import numpy as np

from . import _rng_math as M

__all__ = ["Generator", "default_generator"]

_DEFAULT_SEED = 67280421310721
_STATE_BYTES = 5056
_U64 = (1 << 64) - 1
# Large requests run in steps whose temporaries (64 KiB) stay in cache; memory
# beyond the result is bounded whatever the size.
_CHUNK = 1 << 14      # values per step of the simple samplers (float32 / uint32)
_CHUNK64 = 1 << 13    # values per step when float64 / uint64 temporaries are made
_BLOCKS = 2048        # 16-value Box-Muller blocks per step (kernel buffers are reused)
_F = np.float32

# torch's kernels built for AVX2/AVX512 fuse a*b+c and use the AVX2 Box-Muller;
# ATEN_CPU_CAPABILITY=default selects the plain scalar build.
_TORCH_VEC = M.HAS_FMA and os.environ.get("ATEN_CPU_CAPABILITY", "").lower() != "default"

try:  # poisson needs glibc's lgamma; CPython's math.lgamma is its own
    _lgamma = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").lgamma
    _lgamma.restype, _lgamma.argtypes = ctypes.c_double, [ctypes.c_double]
except (OSError, AttributeError):
    _lgamma = math.lgamma


_WIDE = ("f32", "f64")  # kinds the samplers compute in their own dtype


def _direct(out, n, dt, ok=True):
    """out as a flat array the sampler may fill in place, else None."""
    if (ok and out is not None and out.dtype == dt and out.size == n
            and out.flags.c_contiguous and out.flags.writeable):
        return out.reshape(-1)
    return None


def _deliver(x, shape, out):
    """The result; with ``out``, written there (a no-op when filled in place)."""
    x = x.reshape(shape)
    if out is None:
        return x
    if not np.shares_memory(x, out):
        np.copyto(out, x, casting="unsafe")
    return out


def _largest(u, d, lo, hi, shift):
    """An upper bound on the largest sample u * d + lo (u: the largest uniform):
    the double estimate plus a few ulps of the sample dtype (2**shift double ulps)."""
    d, lo, hi = float(d), float(lo), float(hi)
    slack = sum(math.ulp(v) for v in (d, lo, hi)) * 2.0 ** shift + 2.0 ** -149
    return u * d + lo + slack


def _steps(n, size):
    return ((s, min(size, n - s)) for s in range(0, n, size))


def _mod(v, m):
    """v % m for unsigned arrays and a scalar m; NumPy's integer floor_divide by
    a scalar is fast (libdivide), its remainder is not."""
    m = v.dtype.type(m)
    q = v // m
    q *= m
    return np.subtract(v, q, out=q)


def _box_muller32_scalar_build(u, mean, std):
    """torch's scalar build uses glibc logf/sinf/cosf; float64-rounded stand-ins."""
    u1, u2 = _F(1) - u[:, :8], u[:, 8:]
    radius = np.sqrt(_F(-2) * np.log(u1.astype(np.float64)).astype(np.float32))
    theta = (2 * math.pi * u2.astype(np.float64)).astype(np.float32).astype(np.float64)
    sin, cos = np.sin(theta).astype(np.float32), np.cos(theta).astype(np.float32)
    return M.fma32(np.concatenate([radius * cos, radius * sin], axis=1), _F(std), _F(mean))


def _to_bf16(x):
    """Round float32 to bfloat16 precision (round-to-nearest-even), kept as float32."""
    x = np.asarray(x, np.float32)
    b = x.view(np.uint32).astype(np.uint64)
    r = (((b + 0x7FFF + ((b >> 16) & 1)) >> 16) << 16).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), x, r)


_FLOAT_KINDS = {np.dtype(np.float16): "f16", np.dtype(np.float32): "f32",
                np.dtype(np.float64): "f64"}


def _kind(dtype):
    if isinstance(dtype, str) and dtype.lower() in ("bfloat16", "bf16"):
        return "bf16"
    dt = np.dtype(dtype)
    if dt in _FLOAT_KINDS:
        return _FLOAT_KINDS[dt]
    if dt == np.bool_ or dt.kind in "iu":
        return "bool" if dt == np.bool_ else "int"
    raise TypeError(f"unsupported dtype {dtype!r}")


def _cast_float(x, kind):
    """C++ static_cast from float/double; Half/BFloat16 always go through float."""
    if kind == "f64":
        return np.asarray(x, np.float64)
    x = np.asarray(x, np.float32)
    return x if kind == "f32" else x.astype(np.float16) if kind == "f16" else _to_bf16(x)


def _cast_int64(v, dtype):
    """static_cast<T>(int64_t) for every supported T."""
    kind = _kind(dtype)
    if kind == "bool":
        return v != 0
    if kind == "int":
        return v.astype(np.dtype(dtype))  # wraps modulo 2**bits like C++
    return _cast_float(v.astype(np.float32) if kind != "f64" else v.astype(np.float64), kind)


_DIGITS = {"f64": 53, "f32": 24, "f16": 11, "bf16": 8}


def _nudge(bound, dtype, step):
    """torch's update_from (step=+1) / update_to (step=-1): when bound + step is
    not representable in dtype, move the bound past the rounding gap."""
    near = bound + step
    with np.errstate(over="ignore"):
        cast = _cast_int64(np.array([near], np.int64), dtype)[0]
    if np.isfinite(cast) and ((int(cast) < bound) if step > 0 else (int(cast) >= bound)):
        return int(cast) + step * (1 << (abs(near).bit_length() - _DIGITS[_kind(dtype)]))
    return bound


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)



_PLAIN = (int, float)

def _scaled_fma64(o, d, lo):
    """``fma(o, d, lo)``; near the top of the float64 range the emulation's exact
    product would overflow, so it runs scaled by a power of two (exact)."""
    if max(abs(d), abs(lo)) < 2.0 ** 900:
        return M.fma64(o, d, lo)
    s = 2.0 ** -200
    return M.fma64(o, d * s, lo * s) / s

class Generator:
    """Bit-compatible stand-in for ``torch.Generator()`` on CPU."""

    def __init__(self):
        self._bg = np.random.MT19937(0)
        self.manual_seed(_DEFAULT_SEED)

    # ------------------------------------------------------------------ state
    def manual_seed(self, seed):
        seed = int(seed)
        if not -(1 << 63) <= seed <= _U64:
            raise ValueError("seed must be within [-2**63, 2**64 - 1]")
        seed &= _U64
        key = np.empty(624, np.uint32)
        s = seed & 0xFFFFFFFF
        for i in range(624):
            key[i] = s
            s = (1812433253 * (s ^ (s >> 30)) + i + 1) & 0xFFFFFFFF
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": 624}}
        self._seed = seed
        # torch records left=1/next=0 after seeding, which numpy's pos cannot express
        self._pending = (1, 0)
        self._next_double = None
        self._next_float = None
        return self

    def seed(self):
        s = int.from_bytes(os.urandom(8), "little")
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        st = self._bg.state["state"]
        left, nxt = self._pending or (625 - int(st["pos"]), int(st["pos"]))
        buf = np.zeros(_STATE_BYTES, np.uint8)
        buf[0:8].view(np.uint64)[0] = self._seed
        buf[8:16].view(np.int32)[:] = (left, 1)  # left, seeded
        buf[16:24].view(np.uint64)[0] = nxt
        buf[24:5016].view(np.uint64)[:] = st["key"]
        if self._next_double is not None:  # legacy normal_y / normal_is_valid
            buf[5024:5032].view(np.float64)[0] = self._next_double
            buf[5040:5044].view(np.int32)[0] = 1
        if self._next_float is not None:
            buf[5048:5052].view(np.float32)[0] = self._next_float
            buf[5052] = 1
        return buf

    def set_state(self, state):
        b = np.ascontiguousarray(np.asarray(state), dtype=np.uint8).ravel()
        if b.size not in (5048, _STATE_BYTES):
            raise RuntimeError(f"RNG state must be {_STATE_BYTES} bytes, got {b.size}")
        left, seeded = (int(v) for v in b[8:16].view(np.int32))
        nxt = int(b[16:24].view(np.uint64)[0])
        if not (seeded and 0 < left <= 624 and nxt <= 624):
            raise RuntimeError("Invalid mt19937 state")
        key = b[24:5016].view(np.uint64).astype(np.uint32)
        pos = 624 if left == 1 else nxt
        self._bg.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
        self._seed = int(b[0:8].view(np.uint64)[0])
        self._pending = (left, nxt)
        valid = b[5040:5044].view(np.int32)[0]
        self._next_double = float(b[5024:5032].view(np.float64)[0]) if valid else None
        has_float = b.size == _STATE_BYTES and b[5052]
        self._next_float = float(b[5048:5052].view(np.float32)[0]) if has_float else None

    # ------------------------------------------------------------- raw draws
    def _u32(self, n):
        """The next n raw 32-bit MT19937 outputs, as uint32."""
        if n:
            self._pending = None
        return self._bg.random_raw(n).astype(np.uint32)

    def _u32_into(self, out):
        for s, m in _steps(out.size, _CHUNK):
            self._pending = None
            np.copyto(out[s:s + m], self._bg.random_raw(m), casting="unsafe")
        return out

    def _raw64(self, n):
        """random64(): two draws, the first is the high word."""
        v = self._u32(2 * n).view(np.uint64)
        hi = v << np.uint64(32)
        v >>= np.uint64(32)
        v |= hi
        return v

    def _u24(self, n):  # uniform_real_distribution<float>: low 24 bits * 2**-24
        r = self._u32(n)
        r &= 0xFFFFFF
        out = r.view(np.int32).astype(np.float32)
        out *= _F(2.0 ** -24)
        return out

    def _k53(self, n):
        """The low 53 bits of n random64() values (two draws each, the first
        one the high word), as uint64."""
        v = self._u32(2 * n).view(np.uint64)
        lo = v >> np.uint64(32)
        v &= np.uint64(0x1FFFFF)
        v <<= np.uint64(32)
        v |= lo
        return v

    def _u53_into(self, out):
        """uniform_real_distribution<double>: the 53-bit integer * 2**-53."""
        for s, m in _steps(out.size, _CHUNK64):
            o = out[s:s + m]
            np.copyto(o, self._k53(m).view(np.int64), casting="unsafe")
            o *= 2.0 ** -53
        return out

    def _u53(self, n):
        return self._u53_into(np.empty(n, np.float64))

    def _lazy_u53(self):
        """Uniform doubles for rejection samplers: ``take()`` yields the next
        one; ``done()`` rewinds and re-draws exactly the number taken."""
        saved, buf, used = self._bg.state, [], [0]

        def take():
            i = used[0]
            if i >= len(buf):
                buf.extend(self._u53(max(64, len(buf))).tolist())
            used[0] = i + 1
            return buf[i]

        def done():
            self._bg.state = saved
            self._u32(2 * used[0])

        return take, done

    # ---------------------------------------------------------- distributions
    def uniform(self, shape, low=0.0, high=1.0, dtype=np.float32, out=None):
        """Uniforms in [low, high).  ``out``: optional array of `shape` to fill
        (written in place when C-contiguous with the result dtype)."""
        shape = _shape(shape)
        n, kind = math.prod(shape), _kind(dtype)
        if not low <= high:
            raise ValueError(f"uniform_ expects from <= to, got from={low} > to={high}")
        if kind == "f64":
            frm, to = float(low), float(high)
            x, top = self._uniform64(n, frm, to, _direct(out, n, np.float64))
        else:
            frm, to = _F(low), _F(high)
            x, top = self._uniform32(n, frm, to, _direct(out, n, np.float32, kind == "f32"))
            if kind != "f32":
                x = _cast_float(x, kind)
                frm, to, top = _cast_float(frm, kind), _cast_float(to, kind), np.inf
        if top >= to:  # torch maps a value that rounded up onto `high` back to `low`
            x[x == to] = frm
        return _deliver(x, shape, out)

    def _uniform32(self, n, lo, hi, out=None):
        """Float uniforms in [lo, hi); also returns the largest value possible."""
        out = np.empty(n, np.float32) if out is None else out
        d = hi - lo
        plain = lo == 0 and hi == 1
        # fma(u, d, lo) in float64 is exact (no tie fix-up needed) when the
        # bits of u*d and lo fit in 53 bits, as for any range (-a, a)
        exact = plain or not d or not lo or (
            math.frexp(abs(float(d)) + abs(float(lo)))[1] + 1
            - min(M.lowest_bit(d) - 24, M.lowest_bit(lo)) <= 53)
        work = [np.empty(min(n, _CHUNK)) for _ in range(2)] if not plain and _TORCH_VEC else None
        for s, m in _steps(n, _CHUNK):
            r = self._u32(m)
            r &= 0xFFFFFF
            o = out[s:s + m]
            np.copyto(o, r.view(np.int32), casting="unsafe")
            o *= _F(2.0 ** -24)
            if plain:
                continue
            if _TORCH_VEC:
                M.fma32_scalar_into(o, d, lo, work, check=not exact)
            else:
                o *= d
                o += lo
        return out, 1 - 2.0 ** -24 if plain else _largest(1 - 2.0 ** -24, d, lo, hi, 29)

    def _uniform64(self, n, lo, hi, out=None):
        out = np.empty(n, np.float64) if out is None else out
        plain = (lo, hi) == (0.0, 1.0)
        d = hi - lo
        for s, m in _steps(n, _CHUNK64):
            o = self._u53_into(out[s:s + m])
            if not plain:
                o[:] = _scaled_fma64(o, d, lo) if _TORCH_VEC else o * d + lo
        return out, 1 - 2.0 ** -53 if plain else _largest(1 - 2.0 ** -53, d, lo, hi, 0)

    def normal(self, shape, mean=0.0, std=1.0, dtype=np.float32, out=None):
        """Normals; ``out`` as for uniform."""
        shape = _shape(shape)
        kind = _kind(dtype)
        scalars = type(mean) in _PLAIN and type(std) in _PLAIN  # skip NumPy's checks
        if (std < 0) if scalars else np.any(np.asarray(std) < 0):
            raise ValueError("normal expects std >= 0.0")
        if scalars or (np.ndim(mean) == 0 and np.ndim(std) == 0):
            n = math.prod(shape)
            dst = _direct(out, n, np.float64 if kind == "f64" else np.float32, kind in _WIDE)
            return _deliver(self._normal(shape, float(mean), float(std), kind, dst), shape, out)
        # torch.normal(Tensor, ...) samples N(0, std) or N(0, 1), then applies
        # std and mean as separate elementwise kernels (opmath: float for
        # half/bfloat16), rounding to the output dtype after each.
        acc = np.float64 if kind == "f64" else np.float32

        def arg(v):
            return _cast_float(np.broadcast_to(np.asarray(v, acc), shape), kind).astype(acc)

        if np.ndim(std) == 0:
            z = self._normal(shape, 0.0, float(std), kind).astype(acc)
        else:
            z = self._normal(shape, 0.0, 1.0, kind).astype(acc)
            z = _cast_float(z * arg(std), kind).astype(acc)
        res = _cast_float(z + (arg(mean) if np.ndim(mean) else acc(mean)), kind)
        return _deliver(res, shape, out)

    def _normal(self, shape, mean, std, kind, out=None):
        n = math.prod(shape)
        if n < 16:
            return _cast_float(self._normal_scalar(n, mean, std), kind).reshape(shape)
        f64, vec = kind == "f64", kind != "f64" and _TORCH_VEC
        out = np.empty(n, np.float64 if f64 else np.float32) if out is None else out
        # torch fills 16-value blocks; float/double draw uniforms for all n
        # first, so the last n % 16 are drawn but unused (half/bfloat16 draw
        # only full blocks), then recompute the last 16 values from 16 fresh
        # uniforms: one extra block, run here with the last step.
        full, tail = divmod(n, 16)
        skip = tail * (2 if f64 else 1) if tail and kind in _WIDE else 0
        rows = full + (tail > 0)
        step = _BLOCKS if vec else _CHUNK64 // 16
        if vec:
            mean, std = _F(mean), _F(std)
            kernel = M.BoxMuller32(min(rows, step))
            raw = np.empty(16 * min(rows, step), np.uint32)
        for s, b in _steps(rows, step):
            extra = s + b > full
            regular = 16 * (b - extra)
            dst = np.empty((b, 16), out.dtype) if extra else out[16 * s:16 * (s + b)].reshape(b, 16)
            if vec:
                r = self._u32_into(raw[:regular])
                if extra:
                    self._u32(skip)
                    r = raw[:16 * b]
                    r[regular:] = self._u32(16)
                kernel.run(r.reshape(b, 16), dst, mean, std)
            else:
                draw = self._u53 if f64 else self._u24
                u = np.empty(16 * b, np.float64 if f64 else np.float32)
                u[:regular] = draw(regular)
                if extra:
                    self._u32(skip)
                    u[regular:] = draw(16)
                u = u.reshape(b, 16)
                dst[:] = (M.box_muller64(u, mean, std) if f64
                          else _box_muller32_scalar_build(u, mean, std))
            if extra:
                out[16 * s:16 * (s + b - 1)] = dst[:-1].ravel()
                out[n - 16:] = dst[-1]
        return _cast_float(out, kind).reshape(shape)

    def _normal_scalar(self, n, mean, std):
        """at::normal_distribution<double>: Box-Muller that caches the sine sample."""
        out = np.empty(n, np.float64)
        # each pair of uniforms gives two normals (the second cached): draw them at once
        pairs = max(n - (self._next_double is not None), 0)
        us = iter(self._u53(2 * (-(-pairs // 2))).tolist())
        for i in range(n):
            if self._next_double is not None:
                r, self._next_double = self._next_double, None
            else:
                u1, u2 = next(us), next(us)
                rad = math.sqrt(-2.0 * math.log1p(-u2))  # math.log1p is glibc's
                theta = 2.0 * math.pi * u1
                self._next_double = rad * math.sin(theta)
                r = rad * math.cos(theta)
            out[i] = r
        if std == 1.0 and mean == 0.0:
            out += 0.0  # fma(r, 1, 0) is r, except that -0.0 becomes +0.0
        elif _TORCH_VEC:
            out[:] = M.fma64(out, std, mean)
        else:
            out *= std
            out += mean
        return out

    def randint(self, shape, low, high, dtype=np.int64):
        shape = _shape(shape)
        low, high = int(low), int(high)
        if low >= high:
            raise ValueError(f"random_ expects 'from' < 'to', got from={low} >= to={high}")
        kind = _kind(dtype)
        if kind in _DIGITS:  # torch nudges bounds so the cast result stays in [from, to)
            low, high = _nudge(low, dtype, +1), _nudge(high, dtype, -1)
            if low >= high:
                raise ValueError("random_ expects 'from' < 'to' after casting to dtype")
        rng = high - low
        n = math.prod(shape)
        if rng >= 1 << 28:  # torch switches to 64-bit draws from range >= 2**28, not 2**32
            v = _mod(self._raw64(n), rng)
            v += np.uint64(low & _U64)
            v = v.view(np.int64)
        else:
            v = np.empty(n, np.int64)
            for s, m in _steps(n, _CHUNK):
                np.add(_mod(self._u32(m), rng), np.int64(low), out=v[s:s + m])
        return _cast_int64(v, dtype).reshape(shape)

    def random_full(self, shape, dtype):
        """Tensor.random_() without bounds: [0, 2**mantissa] for floats, [0, max] for ints."""
        shape = _shape(shape)
        n, kind = math.prod(shape), _kind(dtype)
        dt = np.dtype(np.float32 if kind == "bf16" else dtype)
        if kind == "int" and dt.kind == "u" and dt.itemsize > 1:
            raise TypeError(f"random_() is not implemented for {dt} in torch")
        mod = (2 if kind == "bool" else (1 << _DIGITS[kind]) + 1 if kind in _DIGITS
               else int(np.iinfo(dt).max) + 1)
        raw = self._raw64(n) if dt in (np.float64, np.int64) else self._u32(n)
        return _cast_int64(_mod(raw, mod).astype(np.int64), dtype).reshape(shape)

    def randperm(self, n, dtype=np.int64):
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        if n <= 512:  # few swaps: a plain loop beats the vectorised resolution
            z = (self._u32(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=np.uint32)).tolist()
            a = list(range(n))
            for i, zi in enumerate(z):
                j = i + zi
                a[i], a[j] = a[j], a[i]
            perm = np.array(a, np.int64)
        elif n < 0xFFFFFFFF // 20:
            perm = _apply_swaps((self._u32(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=np.uint32))
                                .astype(np.int64), n)
        else:  # torch's "inside-out" shuffle with 64-bit draws for huge n
            z = (self._raw64(n) % np.arange(1, n + 1, dtype=np.uint64)).astype(np.int64).tolist()
            r = [0] * n
            for i, zi in enumerate(z):
                r[i] = r[zi]
                r[zi] = i
            perm = np.array(r, np.int64)
        return _cast_int64(perm, dtype)

    def bernoulli(self, shape, p, dtype=np.float32):
        shape = _shape(shape)
        n = math.prod(shape)
        if np.ndim(p) == 0 and not isinstance(p, np.ndarray):
            # Tensor.bernoulli_(float) tests a double uniform u = k * 2**-53 < p,
            # i.e. the 53-bit integer k < ceil(p * 2**53)
            bound = np.uint64(math.ceil(min(max(float(p), 0.0), 1.0) * 2.0 ** 53))
            hit = np.empty(n, np.bool_)
            for s, m in _steps(n, _CHUNK64):
                np.less(self._k53(m), bound, out=hit[s:s + m])
        else:
            p = np.asarray(p)
            pb = np.broadcast_to(p, shape).ravel()
            if p.dtype == np.float64:
                hit = self._u53(n) < pb
            else:  # float/half/bfloat16 probabilities use a float uniform
                hit = self._u24(n) < pb.astype(np.float32)
        kind = _kind(dtype)
        if kind == "bool":
            return hit.reshape(shape)
        return hit.astype(np.float32 if kind == "bf16" else dtype).reshape(shape)

    def exponential(self, shape, lambd=1.0, dtype=np.float32):
        shape = _shape(shape)
        n, kind = math.prod(shape), _kind(dtype)
        out = self._u53_into(np.empty(n, np.float64))
        scale = -1.0 / float(lambd)
        for s, m in _steps(n, _CHUNK64):
            o = out[s:s + m]
            np.negative(o, out=o)
            o[:] = M.log1p(o)
            o *= scale
        return _cast_float(out, kind).reshape(shape)

    def multinomial(self, probs, num_samples, replacement=False):
        probs = np.asarray(probs)
        if probs.ndim not in (1, 2):
            raise ValueError("prob_dist must be 1 or 2 dim")
        num_samples = int(num_samples)
        if not replacement and num_samples > probs.shape[-1]:
            raise ValueError("cannot sample n_sample > prob_dist.size(-1) without replacement")
        if probs.dtype.kind != "f":
            raise TypeError("multinomial only supports floating-point dtypes for input")
        if not replacement or num_samples == 1:
            # torch: argmax/topk of p / q with q ~ Exp(1)  (Gumbel-max trick)
            q = self.exponential(probs.shape, 1.0, probs.dtype)
            with np.errstate(divide="ignore", invalid="ignore"):
                key = probs / q
            if num_samples == 1:
                return np.argmax(key, axis=-1)[..., None].astype(np.int64)
            return np.argsort(-key, axis=-1, kind="stable")[..., :num_samples].astype(np.int64)
        rows = probs.reshape(-1, probs.shape[-1])
        acc = np.float32 if probs.dtype == np.float16 else probs.dtype
        out = np.empty((rows.shape[0], num_samples), np.int64)
        for i, row in enumerate(rows):
            cum = np.cumsum(row.astype(acc), dtype=acc)  # sequential, like torch's loop
            if not cum[-1] > 0:
                raise ValueError("invalid multinomial distribution (sum of probabilities <= 0)")
            cum = cum / cum[-1]
            cum[-1] = 1
            out[i] = np.searchsorted(cum.astype(np.float64), self._u53(num_samples), side="left")
        return out.reshape(probs.shape[:-1] + (num_samples,))

    def poisson(self, rates):
        """torch.poisson: Hoermann's transformed rejection for rate >= 10, else
        multiplication of uniforms; inherently sequential per element."""
        rates = np.asarray(rates)
        take, done = self._lazy_u53()
        try:
            out = [_poisson_one(lam, take) for lam in rates.astype(np.float64).ravel().tolist()]
        finally:
            done()
        dt = rates.dtype if rates.dtype.kind == "f" else np.float32
        return np.array(out, np.float64).astype(dt).reshape(rates.shape)


def _poisson_one(lam, take):
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = take() - 0.5
            v = take()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            lhs = ((math.log(v) if v > 0 else -math.inf) + math.log(invalpha)
                   - math.log(a / (us * us) + b))
            if lhs <= -lam + k * loglam - _lgamma(k + 1.0):
                return k
    if lam == 0:
        return 0
    if not lam > 0:
        raise ValueError("invalid Poisson rate, expected rate to be non-negative")
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= take()
        if prod > enlam:
            x += 1
        else:
            return x


def _apply_swaps(z, n, block=1 << 14):  # block <= 2**16 (uint16 labels)
    """Result of ``for i: swap(a[i], a[i + z[i]])`` on a = arange(n), without a
    Python loop over elements.  Steps run in blocks; position i is final after
    step i.  Inside a block, what step i takes is whatever sat at t = i + z[i]
    just before it: the value parked there by the latest earlier step of the
    block with the same target, else what t held when the block began.  A
    step j parks what position j held just before step j, which is in turn
    parked by an earlier step (or was there at the start) -- a chain resolved
    by pointer jumping.  Blocks keep that work in cache; only the block's
    targets touch the rest of the array."""
    a = np.arange(n, dtype=np.int64)
    mark = np.empty(n, np.int64)  # labels targets; stale entries are never read
    for b in range(0, n - 1, block):
        e = min(b + block, n - 1)
        js = b + np.flatnonzero(z[b:e])  # z == 0 steps are no-ops
        if js.size == 0:
            continue
        ts = js + z[js]
        # steps sharing a target get a common small label (whichever step's
        # index survives the scatter); a stable radix sort of the labels then
        # groups them, each group in step order
        mark[ts] = np.arange(js.size)
        label = mark[ts].astype(np.uint16)
        order = np.argsort(label, kind="stable")
        gj, gt, label = js[order], ts[order], label[order]
        new = label[1:] != label[:-1]
        first = np.r_[0, np.flatnonzero(new) + 1]
        last = np.r_[first[1:] - 1, js.size - 1]
        first_j, first_t, last_j, last_t = gj[first], gt[first], gj[last], gt[last]
        later = np.flatnonzero(~new) + 1
        later_j, prev_j = gj[later], gj[later - 1]
        inside = last_t < e
        ptr = np.arange(e - b)  # -> block position whose start value lands here
        ptr[last_t[inside] - b] = last_j[inside] - b
        while True:
            nxt = ptr[ptr]
            if np.array_equal(nxt, ptr):
                break
            ptr = nxt
        held = a[b:e][ptr]  # what each position holds just before its own step
        taken = held.copy()
        taken[first_j - b] = a[first_t]
        taken[later_j - b] = held[prev_j - b]
        out = ~inside
        a[last_t[out]] = held[last_j[out] - b]
        a[b:e] = taken
    return a


default_generator = Generator()
