"""Convolution, transposed convolution, pooling and unfold/fold against torch:
values, gradients, grad_fn graphs, strides, errors; gradcheck in float64."""
import warnings

import numpy as np
import pytest

from parity import check, torch
import ember
import ember.nn.functional as EF

TF = torch.nn.functional
rng = np.random.default_rng(1)


def R(*shape):
    return rng.standard_normal(shape)


def F_of(m):
    return TF if m is torch else EF


def chain(t, depth=3):
    def rec(fn, d):
        if fn is None or d == 0:
            return "-"
        name = fn.name().replace("torch::autograd::", "")
        return f"{name}(" + ",".join(rec(f, d - 1) for f, _ in fn.next_functions) + ")"
    return rec(t.grad_fn, depth)


def run(expr, tol=1e-6, **arrays):
    def fn(m, **t):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return eval(expr, {}, dict(t, m=m, F=F_of(m)))
    t_out, e_out = check(fn, grad=True, rtol=tol, atol=tol, **arrays)
    t = t_out[0] if isinstance(t_out, tuple) else t_out
    e = e_out[0] if isinstance(e_out, tuple) else e_out
    assert chain(t) == chain(e), f"torch {chain(t)} vs ember {chain(e)}"


CONV = [
    ("F.conv2d(x, w, b)", (2, 3, 7, 7), (4, 3, 3, 3)),
    ("F.conv2d(x, w, b, stride=2, padding=1)", (2, 3, 7, 7), (4, 3, 3, 3)),
    ("F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2)",
     (2, 4, 7, 8), (6, 2, 3, 2)),
    ("F.conv2d(x, w, b, padding='same', groups=4)", (2, 4, 7, 8), (4, 1, 3, 3)),
    ("F.conv2d(x, w, b, padding='same')", (2, 4, 7, 8), (4, 4, 4, 2)),
    ("F.conv2d(x, w, b, padding='valid')", (2, 4, 7, 8), (4, 4, 3, 2)),
    ("F.conv2d(x, w, b, padding=4, dilation=2)", (2, 4, 7, 8), (4, 4, 3, 3)),
    ("F.conv2d(x, w, b, padding=1)", (2, 3, 9, 40), (8, 3, 3, 3)),  # few channels, wide rows
    ("F.conv2d(x, w, b, padding=2, stride=(2, 1))", (2, 1, 9, 40), (4, 1, 5, 5)),
    ("F.conv2d(x, w, b)", (3, 7, 7), (4, 3, 3, 3)),  # unbatched
    ("F.conv2d(x, w)", (2, 8, 5, 5), (4, 8, 1, 1)),  # 1x1
    ("F.conv2d(x, w, b, padding=2)", (2, 3, 8, 8), (16, 3, 5, 5)),  # more out than in channels
    ("F.conv1d(x, w, b, stride=3, padding=2)", (2, 3, 9), (4, 3, 3)),
    ("F.conv1d(x, w, b)", (3, 9), (4, 3, 3)),
    ("F.conv1d(x, w, b, padding=2)", (2, 2, 40), (4, 2, 5)),
    ("F.conv3d(x, w, b, stride=(1, 2, 1), padding=1)", (2, 2, 5, 6, 5), (3, 2, 3, 2, 3)),
    ("F.conv_transpose2d(x, w, b)", (2, 4, 5, 5), (4, 3, 3, 3)),
    ("F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)",
     (2, 4, 5, 5), (4, 3, 3, 3)),
    ("F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(2, 1), dilation=(2, 1), "
     "output_padding=(1, 0))", (2, 4, 5, 6), (4, 3, 3, 2)),
    ("F.conv_transpose2d(x, w, b, padding=1, output_padding=1, dilation=2)",
     (2, 2, 5, 20), (2, 4, 3, 3)),
    ("F.conv_transpose2d(x, w, b)", (4, 5, 5), (4, 3, 3, 3)),
    ("F.conv_transpose1d(x, w, b, stride=2)", (2, 4, 5), (4, 3, 3)),
    ("F.conv_transpose3d(x, w, b, stride=2, padding=1)", (1, 2, 3, 4, 3), (2, 3, 2, 2, 3)),
]


@pytest.mark.parametrize("expr,xs,ws", CONV, ids=[f"{e} {x}" for e, x, _ in CONV])
def test_conv_parity(expr, xs, ws):
    transposed = "transpose" in expr
    groups = 2 if "groups=2" in expr else (4 if "groups=4" in expr else 1)
    n_out = ws[1] * groups if transposed else ws[0]
    run(expr, tol=1e-9, x=R(*xs), w=R(*ws), b=R(n_out))


TILED = [
    ("F.conv2d(x, w, b, padding=2)", (3, 2, 9, 12), (5, 2, 5, 5)),
    ("F.conv2d(x, w, b, stride=2, padding=(1, 3), dilation=(1, 2))", (2, 3, 9, 17), (4, 3, 3, 3)),
    ("F.conv2d(x, w, b, groups=2, dilation=2, padding=2)", (2, 4, 8, 12), (6, 2, 3, 3)),
    ("F.conv2d(x, w, b)", (2, 2, 8, 12), (5, 2, 3, 3)),  # col2im input grad at stride 1
    ("F.conv2d(x, w, b, stride=(1, 2), groups=2)", (2, 4, 8, 13), (6, 2, 3, 2)),
    ("F.conv1d(x, w, b, stride=3, padding=4)", (2, 3, 29), (4, 3, 4)),
    ("F.conv3d(x, w, b, padding=1)", (2, 2, 4, 5, 12), (3, 2, 3, 2, 3)),
    ("F.conv_transpose2d(x, w, b, stride=2, padding=1)", (2, 4, 5, 6), (4, 3, 3, 3)),
    ("F.conv_transpose1d(x, w, b)", (2, 4, 10), (4, 3, 3)),
]


@pytest.mark.parametrize("tile", [1, 2, 3, 4, 6, 12])
@pytest.mark.parametrize("expr,xs,ws", TILED, ids=[e for e, _, _ in TILED])
def test_conv_output_tiles(monkeypatch, expr, xs, ws, tile):
    # every tile size (outputs per patch row, a divisor of the last output size) gives
    # torch's values and gradients, against a non-uniform upstream gradient
    from ember._ops import conv as conv_ops
    monkeypatch.setattr(conv_ops, "_layout", lambda Cg, Og, k, s, d, out_sp: (
        True, tile if out_sp[-1] % tile == 0 else 1))
    n_out = ws[1] if "transpose" in expr else ws[0]  # no grouped transposed case here

    def fn(m, x, w, b):
        out = eval(expr, {}, dict(x=x, w=w, b=b, F=F_of(m)))
        r = np.cos(np.arange(out.numel())).reshape(tuple(out.shape))
        return out * m.tensor(r)
    check(fn, grad=True, rtol=1e-9, atol=1e-9, x=R(*xs), w=R(*ws), b=R(n_out))


def test_tile_is_a_divisor_and_widens_narrow_products():
    from ember._ops.conv import _tile
    assert _tile(1, 6, (5, 5), (1, 1), (1, 1), (28, 28)) > 1  # LeNet's first layer
    assert _tile(6, 16, (5, 5), (1, 1), (1, 1), (10, 10)) > 1
    assert _tile(256, 256, (3, 3), (1, 1), (1, 1), (14, 14)) == 1  # wide already
    for ow in (7, 10, 13, 28, 30):
        assert ow % _tile(3, 8, (3, 3), (1, 1), (1, 1), (5, ow)) == 0


def test_conv_float32_and_first_layer_without_input_grad():
    f32 = np.float32
    x, w, b = R(4, 3, 12, 12).astype(f32), R(8, 3, 5, 5).astype(f32), R(8).astype(f32)

    def fn(m, w, b):
        return F_of(m).conv2d(m.tensor(x), w, b, padding=2)
    check(fn, grad=True, rtol=1e-5, atol=1e-5, w=w, b=b)


def test_conv_integer_input():
    x = np.arange(2 * 3 * 6 * 6).reshape(2, 3, 6, 6)
    check(lambda m, x, w: F_of(m).conv2d(x, w, stride=2), x=x, w=np.ones((4, 3, 3, 3),
                                                                           np.int64))
    check(lambda m, x, w: F_of(m).conv2d(x, w), x=x.astype(np.int32),
          w=np.ones((4, 3, 3, 3), np.int32))


def test_conv_float16():
    check(lambda m, x, w: F_of(m).conv2d(x, w, padding=1), dtype="float16", rtol=2e-3,
          atol=2e-3, x=R(1, 3, 6, 6), w=R(2, 3, 3, 3) * 0.2)


@pytest.mark.parametrize("expr", ["F.conv2d(x, w, padding=1)", "F.max_pool2d(x, 2)",
                                  "F.avg_pool2d(x, 3, padding=1)", "F.adaptive_avg_pool2d(x, 4)"])
def test_bfloat16(expr):
    check(lambda m, x, w: eval(expr, {}, dict(x=x, w=w, F=F_of(m))), dtype="bfloat16",
          rtol=5e-2, atol=5e-2, x=R(1, 3, 6, 6), w=R(2, 3, 3, 3) * 0.2)


def test_conv_empty_batch():
    check(lambda m, x, w: F_of(m).conv2d(x, w), x=np.zeros((0, 3, 8, 8)), w=R(6, 3, 3, 3))


CONV_ERRORS = [
    ("F.conv2d(m.ones(3, 32), m.ones(6, 3, 5, 5))", "wrong dim"),
    ("F.conv2d(m.ones(1, 1, 32, 32), m.ones(6, 3, 5, 5))", "channels"),
    ("F.conv2d(m.ones(1, 3, 2, 2), m.ones(6, 3, 3, 3))", "kernel too big"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), stride=2, padding='same')", "same"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), padding='foo')", "bad string"),
    ("F.conv2d(m.ones(1, 4, 8, 8), m.ones(6, 3, 3, 3), groups=2)", "group channels"),
    ("F.conv2d(m.ones(1, 4, 8, 8), m.ones(6, 2, 3, 3), groups=4)", "divisible"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), m.ones(5))", "bias"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), stride=0)", "stride"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), padding=-1)", "padding"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), dilation=0)", "dilation"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), groups=0)", "groups"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), stride=(1, 2, 3))", "stride len"),
    ("F.conv1d(m.ones(3, 8, 8), m.ones(6, 3, 3, 3))", "weight dim"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3, dtype=m.float64))", "dtype"),
    ("F.conv2d(m.ones(1, 3, 8, 8, dtype=m.long), m.ones(6, 3, 3, 3))", "long/float"),
    ("F.conv2d(m.ones(1, 3, 8, 8), m.ones(6, 3, 3, 3), m.ones(6, dtype=m.float64))",
     "bias dtype"),
    ("F.conv2d(m.ones(1, 3, 8, 8, dtype=m.bool), m.ones(6, 3, 3, 3, dtype=m.bool))", "bool"),
    ("F.conv_transpose2d(m.ones(1, 3, 4, 4), m.ones(3, 2, 3, 3), stride=2, "
     "output_padding=2)", "output padding"),
    ("F.conv_transpose2d(m.ones(1, 4, 4, 4), m.ones(3, 2, 3, 3))", "transposed channels"),
    ("F.conv_transpose2d(m.ones(1, 3, 4, 4), m.ones(3, 2, 3, 3), padding=3)", "too small"),
    ("F.conv_transpose2d(m.ones(1, 3, 4, 4), m.ones(3, 2, 3, 3), m.ones(3))", "t bias"),
    ("F.conv_transpose2d(m.ones(3, 4), m.ones(3, 2, 3, 3))", "t dim"),
]


@pytest.mark.parametrize("expr,why", CONV_ERRORS, ids=[w for _, w in CONV_ERRORS])
def test_conv_errors(expr, why):
    check(lambda m: eval(expr, {}, dict(m=m, F=F_of(m))), match=True)


POOL = [
    ("F.max_pool2d(x, 2)", (2, 3, 6, 6)),
    ("F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)",
     (2, 3, 7, 6)),
    ("F.max_pool2d(x, (3, 2), stride=(2, 1), padding=1, dilation=(2, 2), "
     "return_indices=True)", (3, 7, 9)),
    ("F.max_pool2d(x, 3, stride=1)", (2, 2, 5, 5)),  # overlapping windows
    ("F.max_pool2d(x, 2, ceil_mode=True)", (1, 2, 5, 5)),
    ("F.max_pool1d(x, 3, stride=2, padding=1, ceil_mode=True, return_indices=True)",
     (2, 3, 9)),
    ("F.max_pool1d(x, 2)", (3, 9)),
    ("F.max_pool3d(x, 2, stride=2, ceil_mode=True, return_indices=True)", (2, 2, 5, 6, 5)),
    ("F.avg_pool2d(x, 2)", (2, 3, 6, 6)),
    ("F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)", (2, 3, 7, 6)),
    ("F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)",
     (2, 3, 7, 6)),
    ("F.avg_pool2d(x, 3, stride=2, padding=1, divisor_override=5)", (2, 3, 7, 6)),
    ("F.avg_pool1d(x, 3, stride=2, padding=1, ceil_mode=True)", (3, 9)),
    ("F.avg_pool3d(x, 2, stride=2, ceil_mode=True)", (2, 2, 5, 6, 5)),
    ("F.adaptive_avg_pool2d(x, (3, 4))", (2, 3, 7, 6)),
    ("F.adaptive_avg_pool2d(x, 1)", (2, 3, 7, 6)),
    ("F.adaptive_avg_pool2d(x, (None, 4))", (3, 7, 6)),
    ("F.adaptive_avg_pool1d(x, 3)", (2, 3, 7)),
    ("F.adaptive_avg_pool3d(x, (3, 2, 3))", (2, 3, 7, 5, 4)),
    ("F.adaptive_max_pool2d(x, (3, 4), return_indices=True)", (2, 3, 7, 6)),
    ("F.adaptive_max_pool2d(x, (7, 6))", (2, 3, 7, 6)),
    ("F.adaptive_max_pool1d(x, 3, return_indices=True)", (2, 3, 7)),
    ("F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2)", (2, 3, 6, 6)),
    ("F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2, output_size=(5, 5))",
     (2, 3, 5, 5)),
    ("F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2)", (2, 3, 6)),
    ("F.lp_pool2d(x.abs() + 0.1, 2, 2)", (2, 3, 6, 6)),
    ("F.lp_pool1d(x.abs() + 0.1, 3, 2)", (2, 3, 6)),
    ("F.lp_pool3d(x.abs() + 0.1, 2, 2)", (1, 2, 4, 4, 4)),
    ("F.lp_pool2d(x, float('inf'), 2, stride=1)", (1, 2, 4, 4)),
    ("F.unfold(x, (2, 3), padding=1, stride=2, dilation=(1, 2))", (2, 3, 6, 7)),
    ("F.unfold(x, 2)", (3, 4, 4)),
    ("F.fold(x, (5, 6), 2, stride=(2, 1), padding=1)", (2, 12, 21)),
    ("F.fold(F.unfold(x, 3, padding=1), (4, 5), 3, padding=1)", (1, 2, 4, 5)),
]


@pytest.mark.parametrize("expr,xs", POOL, ids=[f"{e} {x}" for e, x in POOL])
def test_pool_parity(expr, xs):
    run(expr, tol=1e-9, x=R(*xs))


@pytest.mark.parametrize("expr,xs", [
    ("F.avg_pool2d(x, 2)", (2, 3, 6, 8)), ("F.avg_pool2d(x, (2, 3))", (2, 3, 4, 9)),
    ("F.avg_pool1d(x, 3)", (2, 3, 12)), ("F.avg_pool3d(x, (1, 2, 2))", (1, 2, 3, 4, 6)),
    ("F.avg_pool2d(x, 2, divisor_override=3)", (1, 2, 4, 4))])
def test_avg_pool_exact_tiling_grads(expr, xs):
    # windows that tile the input take the one-pass backward; a non-uniform upstream
    # gradient shows every cell gets its own window's share
    def fn(m, x):
        out = eval(expr, {}, dict(x=x, F=F_of(m)))
        return out * m.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)))
    check(fn, grad=True, rtol=1e-12, atol=1e-12, x=R(*xs))


def test_max_pool_ties_nan_and_padding_grads():
    relu = np.maximum(R(2, 3, 8, 8), 0)  # many tied zeros
    for kw in ("kernel_size=2", "kernel_size=3, stride=1",
               "kernel_size=3, stride=2, padding=1, ceil_mode=True"):
        run(f"F.max_pool2d(x, {kw})", x=relu)
    odd = np.full((1, 1, 4, 4), -np.inf)
    odd[0, 0, 1, 1] = odd[0, 0, 3, 3] = odd[0, 0, 3, 2] = np.nan
    run("F.max_pool2d(x, 2, padding=1, return_indices=True)", x=odd)
    run("F.max_pool2d(x, 3, stride=1, padding=1, return_indices=True)", x=odd)


def test_pool_integer_inputs():
    x = rng.integers(-20, 20, (2, 3, 6, 6))
    check(lambda m, x: F_of(m).max_pool2d(x, 2), x=x)
    check(lambda m, x: F_of(m).avg_pool2d(x, 3, stride=2, padding=1), x=x)


POOL_ERRORS = [
    "F.max_pool2d(m.ones(1, 2, 5, 5), 2, padding=2)",
    "F.max_pool2d(m.ones(1, 2, 5, 5), 7)",
    "F.max_pool2d(m.ones(5, 5), 2)",
    "F.max_pool2d(m.ones(1, 2, 5, 5), 2, stride=0)",
    "F.max_pool2d(m.ones(1, 2, 5, 5), 2, dilation=0)",
    "F.max_pool2d(m.ones(1, 2, 5, 5), (2, 2, 2))",
    "F.max_pool2d(m.ones(1, 2, 0, 5), 2)",
    "F.avg_pool2d(m.ones(1, 2, 5, 5), 2, padding=2)",
    "F.avg_pool2d(m.ones(1, 2, 5, 5), 2, divisor_override=0)",
    "F.max_pool1d(m.ones(5), 2)",
    "F.avg_pool1d(m.ones(5), 2)",
    "F.adaptive_avg_pool2d(m.ones(5), 2)",
    "F.adaptive_avg_pool2d(m.ones(1, 2, 5, 5, dtype=m.long), 2)",
    "F.adaptive_max_pool2d(m.ones(1, 2, 5, 5, dtype=m.long), 2)",
    "F.max_unpool2d(m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 2), 2)",
    "F.max_unpool2d(m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 3, dtype=m.long), 2)",
    "F.max_unpool2d(m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.long), 2, "
    "output_size=(7, 7))",
    "F.max_unpool2d(m.ones(1, 1, 2, 2), m.full((1, 1, 2, 2), 16, dtype=m.long), 2)",
    "F.unfold(m.ones(1, 2, 3, 3), 4)",
    "F.fold(m.ones(1, 12, 5), (4, 4), 2)",
]


@pytest.mark.parametrize("expr", POOL_ERRORS)
def test_pool_errors(expr):
    check(lambda m: eval(expr, {}, dict(m=m, F=F_of(m))), match=True)


def _gc(fn, *arrays):
    ts = [ember.tensor(a, dtype=ember.float64, requires_grad=True) for a in arrays]
    assert ember.autograd.gradcheck(fn, ts, eps=1e-6, atol=1e-5, rtol=1e-4)


GRADCHECK = {
    "conv2d": (lambda x, w, b: EF.conv2d(x, w, b, padding=1), [(1, 2, 4, 4), (2, 2, 3, 3),
                                                              (2,)]),
    "conv2d_strided_groups": (lambda x, w: EF.conv2d(x, w, stride=2, groups=2, dilation=2,
                                                     padding=1), [(1, 2, 5, 5), (2, 1, 2, 2)]),
    "conv2d_cf_layout": (lambda x, w: EF.conv2d(x, w, padding=1), [(1, 1, 3, 9), (3, 1, 2, 2)]),
    "conv1d": (lambda x, w: EF.conv1d(x, w, stride=2, padding=1), [(2, 2, 5), (3, 2, 3)]),
    "conv3d": (lambda x, w: EF.conv3d(x, w), [(1, 1, 3, 3, 3), (2, 1, 2, 2, 2)]),
    "conv_transpose2d": (lambda x, w, b: EF.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                             output_padding=1),
                         [(1, 2, 3, 3), (2, 2, 3, 3), (2,)]),
    "max_pool2d": (lambda x: EF.max_pool2d(x, 2, stride=1, padding=1), [(1, 2, 3, 3)]),
    "avg_pool2d": (lambda x: EF.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True,
                                           count_include_pad=False), [(1, 2, 5, 4)]),
    "adaptive_avg_pool2d": (lambda x: EF.adaptive_avg_pool2d(x, (2, 3)), [(1, 2, 5, 4)]),
    "adaptive_max_pool2d": (lambda x: EF.adaptive_max_pool2d(x, (2, 3)), [(1, 2, 5, 4)]),
    "max_unpool2d": (lambda x: EF.max_unpool2d(*EF.max_pool2d(x, 2, return_indices=True), 2),
                     [(1, 1, 4, 4)]),
    "unfold": (lambda x: EF.unfold(x, 2, padding=1, stride=2), [(1, 2, 3, 3)]),
    "fold": (lambda x: EF.fold(x, (3, 3), 2), [(1, 4, 4)]),
}


@pytest.mark.parametrize("name", list(GRADCHECK))
def test_gradcheck(name):
    fn, shapes = GRADCHECK[name]
    _gc(fn, *[R(*s) for s in shapes])


def test_fold_unfold_double_backward():
    x = ember.tensor(R(1, 2, 3, 3), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda a: EF.unfold(a, 2) * EF.unfold(a, 2), [x])


def test_top_level_names():
    x = ember.randn(1, 2, 6, 6)
    w = ember.randn(3, 2, 3, 3)
    for name in ("conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d"):
        assert hasattr(ember, name)
    np.testing.assert_allclose(ember.conv2d(x, w, None, 1, 1)._data,
                               EF.conv2d(x, w, padding=1)._data)
    np.testing.assert_array_equal(ember.max_pool2d(x, 2)._data, EF.max_pool2d(x, 2)._data)


FRACTIONAL = ["F.fractional_max_pool2d(x, 2, output_size=3, return_indices=True)",
              "F.fractional_max_pool2d(x, 3, output_size=(4, 5))",
              "F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.7), return_indices=True)",
              "F.fractional_max_pool2d(x[0], (2, 3), output_size=(8, 6))",
              "F.fractional_max_pool3d(x.unsqueeze(2).expand(2, 3, 4, 9, 8) * 1, 2, "
              "output_size=(2, 4, 3))",
              "F.fractional_max_pool2d(x, 3, output_size=(7, 2))",
              "F.fractional_max_pool3d(x.unsqueeze(2).expand(2, 3, 3, 9, 8) * 1, 2, "
              "output_size=(2, 4, 3))"]


@pytest.mark.parametrize("expr", FRACTIONAL)
def test_fractional_max_pool_matches_torch_rng(expr):
    def fn(m, x):
        m.manual_seed(3)
        return eval(expr, {}, dict(x=x, F=F_of(m)))
    res = check(fn, grad=True, match=True, x=R(2, 3, 9, 8))
    if res is None:  # an error case, compared by check
        return
    t_out, e_out = res
    t = t_out[0] if isinstance(t_out, tuple) else t_out
    e = e_out[0] if isinstance(e_out, tuple) else e_out
    assert chain(t) == chain(e)


def test_second_derivative_through_conv_raises_instead_of_dropping():
    # conv's backward is once differentiable in ember: a gradient penalty through it must
    # fail loudly, not lose the conv's part of the second derivative
    x = ember.randn(1, 1, 5, 5, dtype=ember.float64, requires_grad=True)
    w = ember.randn(1, 1, 3, 3, dtype=ember.float64, requires_grad=True)
    (gx,) = ember.autograd.grad(EF.conv2d(x, w).pow(2).sum(), x, create_graph=True)
    assert gx.requires_grad
    with pytest.raises(RuntimeError, match="only once"):
        (gx.pow(2).sum() + x.sum()).backward()
    # first derivatives under create_graph keep their values
    t = torch.tensor(x.detach().numpy(), requires_grad=True)
    (tg,) = torch.autograd.grad(TF.conv2d(t, torch.tensor(w.detach().numpy())).pow(2).sum(), t,
                                create_graph=True)
    assert np.allclose(gx.detach().numpy(), tg.detach().numpy())
