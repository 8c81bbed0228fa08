"""Arithmetic of PyTorch's CPU samplers, replayed bit for bit in NumPy (used by
ember/_generator.py).

torch's kernels are compiled with FMA contraction and call glibc's libm, so the
helpers here give the single-rounding fused multiply-add NumPy lacks and the
exact results of glibc's log/sin/cos/log1p.  Everything works on whole arrays;
the callers feed chunks small enough that temporaries stay in cache.
"""
import math
from decimal import Decimal, localcontext

import numpy as np

_F, _D, _I = np.float32, np.float64, np.int32
_U64 = np.uint64


def _cpu_has(feature):
    for mod in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            return bool(__import__(mod, fromlist=["x"]).__cpu_features__.get(feature, False))
        except (ImportError, AttributeError):
            pass
    return False


HAS_FMA = _cpu_has("FMA3") and _cpu_has("AVX2")
GLIBC_FMA = HAS_FMA  # glibc picks its FMA variant of log1p from the CPU alone

# The kernels below make many short-lived temporaries of 32-256 KiB.  glibc
# maps blocks >= 128 KiB with mmap and trims freed heap tops above 128 KiB, so
# each step would fault its pages in again (several times the cost of the
# arithmetic here).  Freeing one mapped block raises both limits (glibc's
# dynamic threshold) so such temporaries are recycled; results are unaffected.
np.empty(1 << 19)


# ------------------------------------------------------------------ fused multiply-add
def fma32(a, b, c):
    """float32 fma: the product of two float32 is exact in float64, so the only
    possible error is double rounding when the float64 sum lands exactly on a
    float32 tie; those few elements are nudged towards the exact sum."""
    a, b, c = (np.asarray(v, _D) for v in (a, b, c))
    p = a * b
    s = np.asarray(p + c)
    tie = (s.view(_U64) & _U64(0x1FFFFFFF)) == _U64(0x10000000)
    if tie.any():
        bb = s - p
        err = (p - (s - bb)) + (c - bb)
        s = np.where(tie & (err != 0), np.nextafter(s, np.copysign(np.inf, err)), s)
    return s.astype(_F)


def fma32_scalar_into(x32, b, c, work, check=True):
    """x32[:] = fma(x32, b, c) for float32 scalars b, c, using ``work``, a pair
    of float64 buffers at least as long.  Ties (see fma32) are redone exactly,
    unless the caller knows every float64 sum is exact (check=False)."""
    n = x32.size
    w, flags = work[0][:n], work[1][:n].view(_U64)
    np.copyto(w, x32)
    w *= _D(b)
    w += _D(c)
    fix = None
    if check:
        np.bitwise_and(w.view(_U64), _U64(0x1FFFFFFF), out=flags)
        tie = np.flatnonzero(flags == _U64(0x10000000))
        if tie.size:
            fix = tie, fma32(x32[tie], b, c)
    np.copyto(x32, w, casting="unsafe")
    if fix is not None:
        x32[fix[0]] = fix[1]


def lowest_bit(v):
    """Exponent of the lowest set bit of a nonzero finite float."""
    m, e = math.frexp(abs(float(v)))
    m = int(m * (1 << 53))
    return e - 53 + ((m & -m).bit_length() - 1)


def two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _halves(a):
    t = a * 134217729.0  # Veltkamp split into 26 + 27 bits
    hi = t - (t - a)
    return hi, a - hi


def fma64(a, b, c, larger=None):
    """float64 fma: exact product (Dekker) + round-to-odd sum (Boldo & Melquiond).
    larger="c" / "ab" says that operand never has the smaller exponent, which
    allows a cheaper exact sum."""
    a, b, c = (np.asarray(v, _D) for v in (a, b, c))
    ph = a * b
    ah, al = _halves(a)
    bh, bl = _halves(b)
    pl = ah * bh - ph
    pl += ah * bl
    pl += al * bh
    pl += al * bl
    if larger == "c":
        th = c + ph
        tl = ph - (th - c)
    elif larger == "ab":
        th = ph + c
        tl = c - (th - ph)
    else:
        th, tl = two_sum(c, ph)
    v, e = two_sum(tl, pl)
    # round v to odd: where inexact and even, step one ulp towards the exact sum
    vb = np.asarray(v).view(np.int64)
    step = (e != 0) & ((vb & 1) == 0)
    toward = 1 | ((vb ^ np.asarray(e).view(np.int64)) >> 63)  # +1 away from 0, -1 towards
    return th + (vb + step * toward).view(_D)


# ---------------------------------------------------------- glibc log / sin / cos
# glibc rounds log, sin and cos correctly except very near a tie: over 12M
# samples every miss lay >= 0.482 (log) / 0.473 (sin, cos) ulp from the double.
# So the value is computed in double-double arithmetic (error < 0.006 ulp),
# which decides every element except those within 0.04 ulp of a tie, or where
# the accuracy argument does not hold (results near 0, arguments near 1);
# those (about 8%) go to glibc one by one.
_TIE = 0.5 / 0.46  # s + _TIE * e != s  <=>  |e| > 0.46 ulp(s), about
_PI = "3.14159265358979323846264338327950288419716939937510582097494459"
_TABLES = {}


def _truncate(v, bits):
    """v with only its top `bits` significant bits kept."""
    m, e = math.frexp(v)
    return math.ldexp(math.floor(m * (1 << bits)), e - bits)


def _dd(d):
    hi = float(d)
    return hi, float(d - Decimal(hi))


def _tables():
    """Double-double tables, built once with the decimal module."""
    if _TABLES:
        return _TABLES
    with localcontext() as ctx:
        ctx.prec = 45
        # log: m in [sqrt(.5), sqrt(2)) is looked up at j = rint(512 m); inv has
        # 14 bits so m_hi * inv is exact; -log(inv) is split at 2**-42 so that
        # k * ln2_hi + L_hi + (m_hi * inv - 1) is exact too
        j = np.arange(725)
        inv = np.array([1.0 if i == 512 else _truncate(512 / i, 14) if i else 0.0 for i in j])
        lhi, llo = np.zeros(725), np.zeros(725)
        for i in range(362, 725):
            d = -Decimal(inv[i]).ln()
            lhi[i] = float((d * 2 ** 42).to_integral_value()) / 2 ** 42
            llo[i] = float(d - Decimal(lhi[i]))
        ln2 = Decimal(2).ln()
        ln2_hi = float((ln2 * 2 ** 42).to_integral_value()) / 2 ** 42
        _TABLES["log"] = inv, lhi, llo, ln2_hi, float(ln2 - Decimal(ln2_hi))
        # sin/cos at q * pi/512, q = 0..1024, as hi (split 26 + 27 bits) + lo
        pi = Decimal(_PI)
        base = []
        for i in range(257):
            a = pi * i / 512
            a2, st, ct, s, c, n = a * a, a, Decimal(1), Decimal(0), Decimal(0), 0
            while abs(st) + abs(ct) > Decimal(10) ** -44:
                s, c = s + st, c + ct
                st = -st * a2 / ((2 * n + 2) * (2 * n + 3))
                ct = -ct * a2 / ((2 * n + 1) * (2 * n + 2))
                n += 1
            base.append((s, c))
        cols = np.zeros((6, 1025))
        for q in range(1025):
            s, c = base[q % 256]
            s, c = [(s, c), (c, -s), (-s, -c), (-c, s)][q // 256 % 4]
            for row, v in ((0, s), (3, c)):
                hi, lo = _dd(v)
                cols[row][q] = _truncate(hi, 26) if hi else 0.0
                cols[row + 1][q] = hi - cols[row][q]
                cols[row + 2][q] = lo
        p = pi / 512
        c1 = _truncate(float(p), 32)
        c2 = _truncate(float(p - Decimal(c1)), 32)
        c3 = float(p - Decimal(c1) - Decimal(c2))
        _TABLES["sincos"] = tuple(cols), (float(512 / pi), c1, c2, c3)
    return _TABLES


def _glibc(fn, x, out, idx):
    if idx.size:
        out[idx] = np.fromiter(map(fn, x[idx].tolist()), np.float64, idx.size)


def libm_log(x):
    """glibc log(x) for 1-d x in [2**-1022, 1] (Box-Muller's 1 - u)."""
    inv, lhi, llo, ln2_hi, ln2_lo = _tables()["log"]
    bits = x.view(np.int64)
    mant = bits & 0xFFFFFFFFFFFFF
    big = (0x6A09E667F3BCC - mant) >> 63        # -1 where m >= sqrt(2): halve m
    k = (bits >> 52) - 1023 - big
    mb = mant | ((1023 + big) << 52)
    m = mb.view(np.float64)                    # x = 2**k * m, m in [sqrt(.5), sqrt(2))
    j = np.rint(m * 512).astype(np.intp)
    c, lh, ll = (np.take(t, j, mode="clip") for t in (inv, lhi, llo))
    mh = (mb & -(1 << 26)).view(np.float64)
    a = mh * c - 1.0                           # exact
    b = (m - mh) * c                           # exact; r = a + b = m * c - 1
    r = a + b
    p = r * (1 / 7) - 1 / 6
    for coef in (1 / 5, -1 / 4, 1 / 3, -0.5):
        p *= r
        p += coef
    p *= r * r                                 # log1p(r) - r, to r**7
    kd = k.astype(np.float64)
    hi = kd * ln2_hi + lh + a                  # exact
    lo = kd * ln2_lo + ll + b + p
    s = hi + lo
    e = lo - (s - hi)
    unsure = (s + _TIE * e != s) | (np.abs(x - 1.0) < 2.0 ** -24)
    _glibc(math.log, x, s, np.flatnonzero(unsure))
    return s


def libm_sincos(t):
    """glibc (sin(t), cos(t)) for 1-d t in [0, 2 pi)."""
    tabs, (scale, c1, c2, c3) = _tables()["sincos"]
    q = np.rint(t * scale)
    qi = q.astype(np.intp)
    t1 = t - q * c1                            # exact
    qc2 = q * c2
    rh = t1 - qc2
    rl = (t1 - rh) - qc2
    rl -= q * c3                               # t - q pi/512 = rh + rl, |r| <= pi/1024
    ra = (rh.view(np.int64) & -(1 << 27)).view(np.float64)
    rb = rh - ra
    r2 = rh * rh
    cm = r2 * (-1 / 720) + 1 / 24
    cm *= r2
    cm -= 0.5
    cm *= r2
    cm -= rh * rl                              # cos(r) - 1
    sm = r2 * (1 / 120) - 1 / 6
    sm *= r2 * rh                              # sin(r) - r
    tiny = np.abs(rh) < 2.0 ** -28
    sa, sb, sl, ca, cb, cl = (np.take(v, qi, mode="clip") for v in tabs)
    sh, ch = sa + sb, ca + cb
    # sin t = S + C sin(r) + S (cos(r) - 1),  cos t = C - S sin(r) + C (cos(r) - 1),
    # with the leading product C * ra (or S * ra) exact
    sin = _finish(sh, ca * ra, ca * rb + cb * rh + ch * rl + sl + ch * sm + sh * cm)
    cos = _finish(ch, -(sa * ra), cl + ch * cm - (sa * rb + sb * rh + sh * rl + sh * sm))
    for v, fn in ((sin, math.sin), (cos, math.cos)):
        s, e = v
        unsure = (s + _TIE * e != s) | (np.abs(s) < 2.0 ** -6) | tiny
        _glibc(fn, t, s, np.flatnonzero(unsure))
    return sin[0], cos[0]


def _finish(a, b, rest):
    """(a + b + rest) as a normalised pair (s, e); exact when |rest| << |a + b|."""
    h = a + b
    bb = h - a
    rest += (a - (h - bb)) + (b - bb)
    s = h + rest
    return s, rest - (s - h)


def box_muller64(u, mean, std):
    """torch's normal_fill_16<double>: (B, 16) uniforms -> (B, 16) normals
    (torch fuses the final x * std + mean in every build)."""
    radius = libm_log((1.0 - u[:, :8]).ravel())
    radius *= -2.0
    np.sqrt(radius, out=radius)
    sin, cos = libm_sincos(((2.0 * math.pi) * u[:, 8:]).ravel())
    out = np.empty(u.shape)
    out[:, :8] = (radius * cos).reshape(-1, 8)
    out[:, 8:] = (radius * sin).reshape(-1, 8)
    if std == 1:  # fma(x, 1, mean) is x + mean (and turns -0.0 into +0.0)
        out += mean
        return out
    return fma64(out, std, mean)


def _guard(fn, v):
    try:
        return fn(v)
    except ValueError:  # where Python raises, glibc gives -inf at the pole, else nan
        return -math.inf if v == (0.0 if fn is math.log else -1.0) else math.nan


_LP = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10


def log1p(x):
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
        fma = fma64 if GLIBC_FMA else (lambda a, b, c, larger=None: a * b + c)
        hfsq = 0.5 * f * f
        s = f / (2.0 + f)
        z = s * s
        z2 = z * z
        z4 = z2 * z2
        # |z| < 0.03: which side of each sum is larger is known
        r = fma(z, _LP[0], z2 * fma(z, _LP[2], _LP[1], "c"), "ab")
        r = fma(z4, fma(z, _LP[4], _LP[3], "c"), r, "c")
        r = fma(z2 * z4, fma(z, _LP[6], _LP[5], "c"), r, "c")
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



# ------------------------------------------------- torch's AVX2 Box-Muller for float
# Cephes log256_ps / sincos256_ps from torch's avx_mathfun.h: float32 polynomials
# whose mul+add pairs GCC contracts into FMAs.
_LOG_P = tuple(_D(_F(v)) for v in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
    -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_COS_P = tuple(_D(_F(v)) for v in (2.443315711809948e-5, -1.388731625493765e-3,
                                   4.166664568298827e-2))
_SIN_P = tuple(_D(_F(v)) for v in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1))
_DP1, _DP2, _DP3 = (_F(v) for v in (-0.78515625, -2.4187564849853515625e-4,
                                    -3.77489497744594108e-8))


class BoxMuller32:
    """torch's ``normal_fill_16_AVX2`` for many 16-value blocks at once.

    Each FMA is evaluated as a float64 product (exact for float32 operands) plus
    the addend, rounded once to float32.  That differs from a true FMA only by a
    double rounding on a float32 tie; both polynomials see only 2**24 distinct
    inputs (u is on a 2**-24 grid), and an exhaustive run over all of them finds
    no such case, so no tie fix-ups are needed here.  The range-reduction steps
    whose products are exact in float32 (j * DP1, j * DP2, e * ln2_hi) are plain
    float32 adds for the same reason.  Buffers are reused across chunks.
    """

    def __init__(self, blocks):
        n = 8 * blocks
        self.blocks = blocks
        self.k = np.empty(2 * n, _I)
        self.res = np.empty(2 * n, _F)
        self.f = [np.empty(n, _F) for _ in range(4)]
        self.d = [np.empty(n, _D) for _ in range(4)]
        self.i = [np.empty(n, _I) for _ in range(2)]
        self.wide = None

    def run(self, raw, out, mean, std):
        """raw: (B, 16) uint32 draws -> out: (B, 16) float32 normals;
        mean and std are float32 scalars."""
        B = raw.shape[0]
        n = 8 * B
        a, b, c, d = (v[:n] for v in self.f)
        x, y, z, w = (v[:n] for v in self.d)
        i, j = (v[:n] for v in self.i)
        k, res = self.k[:2 * n], self.res[:2 * n]
        # split each block's first and second 8 draws into two contiguous halves
        # (32-byte items make the strided copy one memcpy per half-block)
        np.copyto(k.reshape(2, B, 8).view("V32")[..., 0], raw.view("V32").T)
        k &= 0xFFFFFF
        np.copyto(res, k, casting="unsafe")
        u1, u2 = res[:n], res[n:]
        # ---- log256(u1), u1 = 1 - u: u1 = 2**e * m, m in [sqrt(.5), sqrt(2))
        u1 *= _F(-2.0 ** -24)
        u1 += _F(1)
        bits = u1.view(_I)
        np.bitwise_and(bits, 0x7FFFFF, out=i)
        np.subtract(i, 0x3504F3, out=j)
        j >>= 31                                   # -1 where the mantissa < sqrt(.5)
        bits >>= 23
        bits += j
        bits -= 0x7E
        np.copyto(b, bits, casting="unsafe")       # b = e
        j <<= 23
        i -= j
        i += 0x3F000000
        np.subtract(i.view(_F), _F(1), out=a)      # a = m - 1, exact
        np.copyto(x, a)
        np.multiply(x, _LOG_P[0], out=y)
        y += _LOG_P[1]
        for p in _LOG_P[2:]:
            np.copyto(c, y, casting="unsafe")
            np.copyto(y, c)
            y *= x
            y += p
        np.copyto(c, y, casting="unsafe")
        np.multiply(a, a, out=d)                   # d = z = m * m
        c *= a
        np.copyto(y, c)
        np.copyto(x, d)
        y *= x
        np.multiply(b, _F(-2.12194440e-4), out=c)
        np.copyto(x, c)
        y += x
        np.copyto(c, y, casting="unsafe")
        d *= _F(0.5)
        c -= d
        c += a
        b *= _F(0.693359375)
        c += b
        np.multiply(c, _F(-2), out=a)
        np.sqrt(a, out=a)                          # a = radius
        # ---- sincos256(2 pi u2); x >= 0, so j = (int(x * 4/pi) + 1) & ~1 is 0..8
        u2 *= _F(2.0 ** -24 * _F(2 * math.pi))
        np.multiply(u2, _F(1.27323954473516), out=c)
        np.copyto(i, c, casting="unsafe")
        i += 1
        i &= ~1
        np.copyto(c, i, casting="unsafe")          # c = j as float
        np.multiply(c, _DP1, out=b)
        u2 += b
        np.multiply(c, _DP2, out=b)
        u2 += b
        np.copyto(y, c)
        y *= _D(_DP3)
        np.copyto(x, u2)
        x += y
        np.copyto(b, x, casting="unsafe")          # b = reduced x
        np.copyto(x, b)
        np.multiply(b, b, out=c)                   # c = z
        np.copyto(z, c)
        np.multiply(z, _COS_P[0], out=y)
        y += _COS_P[1]
        np.copyto(d, y, casting="unsafe")
        np.copyto(y, d)
        y *= z
        y += _COS_P[2]
        np.copyto(d, y, casting="unsafe")
        d *= c
        np.copyto(y, d)
        y *= z
        np.multiply(c, _F(0.5), out=u2)
        np.copyto(w, u2)
        y -= w
        np.copyto(d, y, casting="unsafe")
        d += _F(1)                                 # d = cosine polynomial
        np.multiply(z, _SIN_P[0], out=y)
        y += _SIN_P[1]
        np.copyto(u2, y, casting="unsafe")
        np.copyto(y, u2)
        y *= z
        y += _SIN_P[2]
        np.copyto(u2, y, casting="unsafe")
        u2 *= c
        np.copyto(y, u2)
        y *= x
        y += x
        np.copyto(u2, y, casting="unsafe")         # u2 = sine polynomial
        # ---- octant: swap the polynomials where j & 2, flip signs (bitwise)
        ys, yc, t = u2.view(_I), d.view(_I), b.view(_I)
        np.left_shift(i, 30, out=j)
        j >>= 31
        np.bitwise_xor(ys, yc, out=t)
        t &= j
        np.add(i, 2, out=j)
        j &= 4
        j <<= 29
        j ^= t
        yc ^= j
        i &= 4
        i <<= 29
        i ^= t
        ys ^= i
        np.multiply(a, d, out=res[:n])
        np.multiply(a, u2, out=res[n:])
        # torch always finishes with fma(x, std, mean): a plain product or sum
        # when mean == 0 or std == 1 (adding 0 turns the -0.0 of u1 == 1 into +0.0)
        if std != 1 and mean != 0:
            if self.wide is None:
                self.wide = [np.empty(16 * self.blocks, _D) for _ in range(2)]
            fma32_scalar_into(res, std, mean, self.wide)
        else:
            if std != 1:
                res *= std
            res += mean
        np.copyto(out.view("V32").T, res.reshape(2, B, 8).view("V32")[..., 0])
