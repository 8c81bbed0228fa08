"""Pure-NumPy replica of PyTorch's CPU random engine (``torch.Generator``).

Every sampler reproduces torch's CPU stream bit for bit: the same MT19937
draws, transforms and rounding, so ``manual_seed(s)`` plus any sequence of
calls yields torch's bits, and ``get_state()`` / ``set_state()`` exchange the
5056-byte ``torch.get_rng_state()`` layout.

Why the numerics look the way they do:
* torch's CPU kernels are built per ISA with FMA, and GCC fuses ``a*b + c``;
  ``_fma32`` / ``_fma64`` give the single rounding NumPy lacks.
* float32/half/bfloat16 normal with >= 16 elements uses torch's AVX2
  Box-Muller (Cephes ``log256_ps`` / ``sincos256_ps``), replayed op by op.
* float64 paths call glibc log/sin/cos/log1p; ``_libm`` and ``_log1p``
  reproduce glibc's results exactly (see their docstrings).
* bernoulli_(float p) in this torch is the plain per-element kernel (double
  uniform < p), not MKL's VSL stream, so dropout masks follow the MT stream.
"""
import ctypes
import ctypes.util
import math
import os

import numpy as np

__all__ = ["Generator", "default_generator"]

_DEFAULT_SEED = 67280421310721
_STATE_BYTES = 5056
_U64 = (1 << 64) - 1


def _cpu_has(feature):
    for mod in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return bool(__import__(mod, fromlist=["x"]).__cpu_features__.get(feature, False))
        except (ImportError, AttributeError):
            pass
    return False


_HAS_FMA = _cpu_has("FMA3") and _cpu_has("AVX2")
# torch's kernels built for AVX2/AVX512 fuse a*b+c and use the AVX2 Box-Muller;
# ATEN_CPU_CAPABILITY=default selects the plain scalar build.
_TORCH_VEC = _HAS_FMA and os.environ.get("ATEN_CPU_CAPABILITY", "").lower() != "default"
# glibc picks its FMA variant of log1p from the CPU alone.
_GLIBC_FMA = _HAS_FMA

try:  # poisson needs glibc's lgamma; CPython's math.lgamma is its own
    _lgamma = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").lgamma
    _lgamma.restype, _lgamma.argtypes = ctypes.c_double, [ctypes.c_double]
except (OSError, AttributeError):
    _lgamma = math.lgamma


# ----------------------------------------------------------------- float helpers
def _chunked(fn, x, rows=16384):
    """Apply a row-wise function piece by piece.  The long chains of NumPy ops
    below run several times faster when their temporaries stay in cache."""
    if len(x) <= rows:
        return fn(x)
    return np.concatenate([fn(x[i:i + rows]) for i in range(0, len(x), rows)])


def _fma32(a, b, c):
    """float32 fma: the product is exact in float64, so the only possible error
    is double rounding when the float64 sum lands exactly on a float32 tie."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p = a * b
    s = np.asarray(p + c)
    tie = (s.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000)
    if tie.any():
        bb = s - p
        err = (p - (s - bb)) + (c - bb)
        s = np.where(tie & (err != 0), np.nextafter(s, np.copysign(np.inf, err)), s)
    return s.astype(np.float32)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _fma64(a, b, c):
    """float64 fma: exact product (Dekker) + round-to-odd sum (Boldo & Melquiond)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a, b, c)))
    ph = a * b
    ta, tb = 134217729.0 * a, 134217729.0 * b  # Veltkamp split into 26-bit halves
    ah, bh = ta - (ta - a), tb - (tb - b)
    al, bl = a - ah, b - bh
    pl = ((ah * bh - ph) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, ph)
    v, e = _two_sum(tl, pl)
    v = np.asarray(v)
    odd_fix = ((v.view(np.int64) & 1) == 0) & (e != 0)
    if odd_fix.any():
        v = np.where(odd_fix, np.nextafter(v, np.copysign(np.inf, e)), v)
    return th + v


_MATH = {"log": math.log, "sin": math.sin, "cos": math.cos}
_WIDE = np.finfo(np.longdouble).nmant >= 63  # without x87/quad long double, use math only


def _libm(name, x):
    """glibc's double log/sin/cos, vectorised.  glibc rounds them correctly
    except very near a tie (measured: every miss lies >= 0.482 ulp from the
    double), so a long-double result decides all elements but those within
    0.03 ulp of a tie, which go to ``math`` (= glibc) one by one."""
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        wide = getattr(np, name)(x.astype(np.longdouble))
        out = wide.astype(np.float64)
        ulp = np.spacing(np.abs(out)).astype(np.longdouble)
        frac = np.abs((wide - out) / ulp).astype(np.float64)
    unsure = ~(frac < 0.47) | ((out.view(np.int64) & 0xFFFFFFFFFFFFF) == 0) | (not _WIDE)
    if unsure.any():
        fn = _MATH[name]
        idx = np.flatnonzero(unsure)
        out.ravel()[idx] = [_guard(fn, v) for v in x.ravel()[idx].tolist()]
    return out


def _guard(fn, v):
    try:
        return fn(v)
    except ValueError:  # where Python raises, glibc gives -inf at the pole, else nan
        return -math.inf if v == (0.0 if fn is math.log else -1.0) else math.nan


_LP = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10


def _log1p(x):
    """glibc's log1p, vectorised: the fdlibm algorithm, with exactly the FMAs
    GCC put into glibc's FMA ifunc variant (polynomial and k*ln2 terms).  Rare
    branches (|x| < 2**-29, |f| < 2**-20, x <= -1, inf/nan) call glibc itself."""
    x = np.asarray(x, np.float64)
    out = np.empty_like(x)
    flat, res = x.ravel(), out.ravel()
    hx = (flat.view(np.int64) >> 32).astype(np.int32)
    ax = hx & 0x7FFFFFFF
    rare = (ax < 0x3E200000) | (flat <= -1.0) | ~np.isfinite(flat)
    # -0.2929 < x < 0.41422 uses f = x directly (k = 0)
    direct = (hx < 0x3FDA827A) & ((hx > 0) | (hx <= np.int32(-1076707645)))
    with np.errstate(all="ignore"):
        big = hx >= 0x43400000
        u = np.where(big, flat, 1.0 + flat)
        hu = (u.view(np.int64) >> 32) & 0xFFFFFFFF
        k = (hu >> 20) - 1023
        # c corrects for the rounding of u = 1 + x
        c = np.where(big, 0.0, np.where(k > 0, 1.0 - (u - flat), flat - (u - 1.0)) / u)
        hu = hu & 0x000FFFFF
        low = hu < 0x6A09E
        k = np.where(low, k, k + 1)
        top = np.where(low, hu | 0x3FF00000, hu | 0x3FE00000)
        f = ((u.view(np.int64) & 0xFFFFFFFF) | (top << 32)).view(np.float64) - 1.0
        hu = np.where(low, hu, (0x00100000 - hu) >> 2)
        f = np.where(direct, flat, f)
        rare |= ~direct & (hu == 0)
        fma = _fma64 if _GLIBC_FMA else (lambda a, b, c: a * b + c)
        hfsq = 0.5 * f * f
        s = f / (2.0 + f)
        z = s * s
        z2 = z * z
        z4 = z2 * z2
        r = fma(z, _LP[0], z2 * fma(z, _LP[2], _LP[1]))
        r = fma(z4, fma(z, _LP[4], _LP[3]), r)
        r = fma(z2 * z4, fma(z, _LP[6], _LP[5]), r)
        sw = s * (hfsq + r)
        res[:] = f - (hfsq - sw)
        kn = np.flatnonzero(~direct)
        if kn.size:
            kd = k[kn].astype(np.float64)
            inner = (hfsq[kn] - (sw[kn] + fma(kd, _LN2_LO, c[kn]))) - f[kn]
            res[kn] = fma(kd, _LN2_HI, -inner)
    idx = np.flatnonzero(rare)
    if idx.size:
        res[idx] = [_guard(math.log1p, v) for v in flat[idx].tolist()]
    return out


# AVX2 Box-Muller helpers (torch's avx_mathfun.h: Cephes polynomials, evaluated
# in float32 with the mul+add pairs GCC contracts into FMA).
_F = np.float32
_LOG_P = [_F(v) for v in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
                          1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
                          3.3333331174e-1)]


def _log256(x):
    bits = np.maximum(x, np.array(0x00800000, np.int32).view(np.float32)).view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(np.float32) + _F(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(np.float32)  # mantissa in [0.5, 1)
    below = m < _F(0.707106781186547524)
    e = e - below.astype(np.float32)
    m = (m - _F(1)) + np.where(below, m, _F(0))
    z = m * m
    y = np.full_like(m, _LOG_P[0])
    for p in _LOG_P[1:]:
        y = _fma32(y, m, p)
    y = _fma32(y * m, z, e * _F(-2.12194440e-4))
    y = y - z * _F(0.5)
    out = _fma32(e, _F(0.693359375), m + y)
    return np.where(x <= 0, _F(np.nan), out)


def _sincos256(x):
    sign_sin = x.view(np.uint32) & np.uint32(0x80000000)
    x = np.abs(x)
    j = ((x * _F(1.27323954473516)).astype(np.int32) + 1) & ~1
    y = j.astype(np.float32)
    sign_sin ^= ((j & 4) << 29).astype(np.uint32)
    sign_cos = ((~(j - 2) & 4) << 29).astype(np.uint32)
    use_cos_poly = (j & 2) == 0
    x = _fma32(y, _F(-0.78515625), x)
    x = _fma32(y, _F(-2.4187564849853515625e-4), x)
    x = _fma32(y, _F(-3.77489497744594108e-8), x)
    z = x * x
    yc = _fma32(_F(2.443315711809948e-5), z, _F(-1.388731625493765e-3))
    yc = _fma32(yc, z, _F(4.166664568298827e-2)) * z
    yc = _fma32(yc, z, -(z * _F(0.5))) + _F(1)
    ys = _fma32(_F(-1.9515295891e-4), z, _F(8.3321608736e-3))
    ys = _fma32(_fma32(ys, z, _F(-1.6666654611e-1)) * z, x, x)
    sin = np.where(use_cos_poly, ys, yc)
    cos = np.where(use_cos_poly, yc, ys)
    return ((sin.view(np.uint32) ^ sign_sin).view(np.float32),
            (cos.view(np.uint32) ^ sign_cos).view(np.float32))


def _box_muller32(u, mean, std):
    """u: (k, 16) float32 uniforms -> (k, 16) normals, as torch's NormalFill16<float>."""
    mean, std = _F(mean), _F(std)
    u1, u2 = _F(1) - u[:, :8], u[:, 8:]
    if _TORCH_VEC:
        radius = np.sqrt(_F(-2) * _log256(u1))
        sin, cos = _sincos256(_F(2 * math.pi) * u2)
    else:  # scalar build uses glibc logf/sinf/cosf; float64-rounded stand-ins
        radius = np.sqrt(_F(-2) * np.log(u1.astype(np.float64)).astype(np.float32))
        theta = (2 * math.pi * u2.astype(np.float64)).astype(np.float32).astype(np.float64)
        sin, cos = np.sin(theta).astype(np.float32), np.cos(theta).astype(np.float32)
    if mean == 0 and std == 1:
        return np.concatenate([radius * cos, radius * sin], axis=1)
    return np.concatenate([_fma32(radius * cos, std, mean),
                           _fma32(radius * sin, std, mean)], axis=1)


def _box_muller64(u, mean, std):
    u1, u2 = 1.0 - u[:, :8], u[:, 8:]
    radius = np.sqrt(-2.0 * _libm("log", u1))
    theta = (2.0 * math.pi) * u2
    a, b = radius * _libm("cos", theta), radius * _libm("sin", theta)
    if mean == 0 and std == 1:
        return np.concatenate([a, b], axis=1)
    return np.concatenate([_fma64(a, std, mean), _fma64(b, std, mean)], axis=1)


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
    def _raw32(self, n):
        if n:
            self._pending = None
        return self._bg.random_raw(n)  # uint64 holding the 32-bit outputs

    def _raw64(self, n):
        r = self._raw32(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]  # first draw is the high word

    def _u24(self, n):  # uniform_real_distribution<float>: low 24 bits * 2**-24
        return (self._raw32(n) & np.uint64(0xFFFFFF)).astype(np.float32) * _F(2.0 ** -24)

    def _u53(self, n):  # uniform_real_distribution<double>: low 53 bits of random64
        return (self._raw64(n) & np.uint64((1 << 53) - 1)).astype(np.float64) * 2.0 ** -53

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
            self._raw32(2 * used[0])

        return take, done

    # ---------------------------------------------------------- distributions
    def uniform(self, shape, low=0.0, high=1.0, dtype=np.float32):
        shape = _shape(shape)
        n, kind = math.prod(shape), _kind(dtype)
        if not low <= high:
            raise ValueError(f"uniform_ expects from <= to, got from={low} > to={high}")
        fma = _TORCH_VEC
        if kind == "f64":
            lo, hi = float(low), float(high)
            x = self._u53(n)
            if (lo, hi) != (0.0, 1.0):
                x = _chunked(lambda v: _fma64(v, hi - lo, lo), x) if fma else x * (hi - lo) + lo
            to, frm = hi, lo
        else:
            lo, hi = _F(low), _F(high)
            x = self._u24(n)
            if (lo, hi) != (0, 1):
                x = _chunked(lambda v: _fma32(v, hi - lo, lo), x) if fma else x * (hi - lo) + lo
            x = _cast_float(x, kind)
            to, frm = _cast_float(hi, kind), _cast_float(lo, kind)
        # torch maps a value that rounded up onto `high` back to `low`
        return np.where(x == to, frm, x).astype(x.dtype).reshape(shape)

    def normal(self, shape, mean=0.0, std=1.0, dtype=np.float32):
        shape = _shape(shape)
        kind = _kind(dtype)
        if np.any(np.asarray(std) < 0):
            raise ValueError("normal expects std >= 0.0")
        if np.ndim(mean) == 0 and np.ndim(std) == 0:
            return self._normal(shape, float(mean), float(std), kind)
        # torch.normal(Tensor, ...) samples N(0, std) or N(0, 1), then applies
        # std and mean as separate elementwise kernels (opmath: float for
        # half/bfloat16), rounding to the output dtype after each.
        acc = np.float64 if kind == "f64" else np.float32

        def arg(v):
            return _cast_float(np.broadcast_to(np.asarray(v, acc), shape), kind).astype(acc)

        if np.ndim(std) == 0:
            out = self._normal(shape, 0.0, float(std), kind).astype(acc)
        else:
            out = self._normal(shape, 0.0, 1.0, kind).astype(acc)
            out = _cast_float(out * arg(std), kind).astype(acc)
        return _cast_float(out + (arg(mean) if np.ndim(mean) else acc(mean)), kind)

    def _normal(self, shape, mean, std, kind):
        n = math.prod(shape)
        if n < 16:
            return _cast_float(self._normal_scalar(n, mean, std), kind).reshape(shape)
        draw, bm = (self._u53, _box_muller64) if kind == "f64" else (self._u24, _box_muller32)
        # float/double fill uniforms for all n first (the last n % 16 end up
        # unused); half/bfloat16 draw 16 per full block, so they skip those.
        u = draw(n if kind in ("f32", "f64") else n - n % 16)
        extra = draw(16) if n % 16 else None
        full = n - n % 16
        out = np.empty(n, np.float64 if kind == "f64" else np.float32)
        out[:full] = _chunked(lambda b: bm(b, mean, std), u[:full].reshape(-1, 16), 1024).ravel()
        if extra is not None:  # torch recomputes the last 16 from fresh uniforms
            out[n - 16:] = bm(extra.reshape(1, 16), mean, std).ravel()
        return _cast_float(out, kind).reshape(shape)

    def _normal_scalar(self, n, mean, std):
        """at::normal_distribution<double>: Box-Muller that caches the sine sample."""
        out = np.empty(n, np.float64)
        fma = _TORCH_VEC
        for i in range(n):
            if self._next_double is not None:
                r, self._next_double = self._next_double, None
            else:
                u1, u2 = self._u53(2).tolist()
                rad = math.sqrt(-2.0 * math.log1p(-u2))  # math.log1p is glibc's
                theta = 2.0 * math.pi * u1
                self._next_double = rad * math.sin(theta)
                r = rad * math.cos(theta)
            out[i] = float(_fma64(r, std, mean)) if fma else r * std + mean
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
        # torch switches to 64-bit draws from range >= 2**28, not 2**32
        raw = self._raw64(n) if rng >= 1 << 28 else self._raw32(n)
        v = (raw % np.uint64(rng)) + np.uint64(low & _U64)
        return _cast_int64(v.view(np.int64), dtype).reshape(shape)

    def random_full(self, shape, dtype):
        """Tensor.random_() without bounds: [0, 2**mantissa] for floats, [0, max] for ints."""
        shape = _shape(shape)
        n, kind = math.prod(shape), _kind(dtype)
        dt = np.dtype(np.float32 if kind == "bf16" else dtype)
        if kind == "int" and dt.kind == "u" and dt.itemsize > 1:
            raise TypeError(f"random_() is not implemented for {dt} in torch")
        mod = (2 if kind == "bool" else (1 << _DIGITS[kind]) + 1 if kind in _DIGITS
               else int(np.iinfo(dt).max) + 1)
        raw = self._raw64(n) if dt in (np.float64, np.int64) else self._raw32(n)
        return _cast_int64((raw % np.uint64(mod)).astype(np.int64), dtype).reshape(shape)

    def randperm(self, n, dtype=np.int64):
        n = int(n)
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        if n < 0xFFFFFFFF // 20:
            perm = _apply_swaps((self._raw32(max(n - 1, 0)) % np.arange(n, 1, -1, dtype=np.uint64))
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
            # Tensor.bernoulli_(float) compares a double uniform with p
            hit = self._u53(n) < float(p)
        else:
            p = np.asarray(p)
            pb = np.broadcast_to(p, shape).ravel()
            if p.dtype == np.float64:
                hit = self._u53(n) < pb
            else:  # float/half/bfloat16 probabilities use a float uniform
                hit = self._u24(n) < pb.astype(np.float32)
        return _cast_int64(hit.astype(np.int64), dtype).reshape(shape)

    def exponential(self, shape, lambd=1.0, dtype=np.float32):
        shape = _shape(shape)
        u = self._u53(math.prod(shape))
        x = (-1.0 / float(lambd)) * _chunked(_log1p, -u)
        return _cast_float(x, _kind(dtype)).reshape(shape)

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


def _apply_swaps(z, n):
    """Result of ``for i: swap(a[i], a[i + z[i]])`` on a = arange(n), without a
    Python loop.  Position i is final after step i.  What it gets is whatever
    sat at t = i + z[i] before step i: the value parked there by the latest
    earlier step j with the same target, else t itself.  Step j parks the value
    position j held before step j, which is in turn what some earlier step
    parked at j (or j itself) -- a chain resolved by pointer jumping."""
    eff = np.flatnonzero(z)  # z == 0 steps are no-ops
    if eff.size == 0:
        return np.arange(n, dtype=np.int64)
    t = eff + z[eff]
    order = np.argsort(t, kind="stable")  # by target, then by step
    ts, js = t[order], eff[order]
    before = np.arange(n, dtype=np.int64)  # -> value of position k before step k
    last = np.r_[ts[1:] != ts[:-1], True]
    before[ts[last]] = js[last]  # every step targeting k runs before step k
    while True:
        nxt = before[before]
        if np.array_equal(nxt, before):
            break
        before = nxt
    prev = np.full(n, -1, np.int64)  # latest earlier step with the same target
    same = ts[1:] == ts[:-1]
    prev[js[1:][same]] = js[:-1][same]
    out = before.copy()  # right for no-op steps and the last position
    p = prev[eff]
    out[eff] = np.where(p >= 0, before[p], t)
    return out


default_generator = Generator()
