"""nn.init against torch.nn.init: same draws after the same seed, gains, fans, errors."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402

LIBS = [torch, ember]


def run_both(fn, shape, seed=0, dtype="float32"):
    """fn(m, tensor) after manual_seed(seed) with each library; the filled arrays."""
    res = []
    for m in LIBS:
        m.manual_seed(seed)
        t = m.empty(shape, dtype=getattr(m, dtype))
        out = fn(m, t)
        assert out is t
        res.append(t.numpy().copy())
    return res


RANDOM_INITS = [
    ("uniform", lambda m, t: m.nn.init.uniform_(t)),
    ("uniform_ab", lambda m, t: m.nn.init.uniform_(t, -0.3, 0.7)),
    ("normal", lambda m, t: m.nn.init.normal_(t)),
    ("normal_ms", lambda m, t: m.nn.init.normal_(t, 2.0, 0.5)),
    ("xavier_uniform", lambda m, t: m.nn.init.xavier_uniform_(t)),
    ("xavier_uniform_gain", lambda m, t: m.nn.init.xavier_uniform_(
        t, gain=m.nn.init.calculate_gain("relu"))),
    ("xavier_normal", lambda m, t: m.nn.init.xavier_normal_(t, 0.5)),
    ("kaiming_uniform", lambda m, t: m.nn.init.kaiming_uniform_(t)),
    ("kaiming_uniform_sqrt5", lambda m, t: m.nn.init.kaiming_uniform_(t, a=math.sqrt(5))),
    ("kaiming_uniform_fan_out", lambda m, t: m.nn.init.kaiming_uniform_(
        t, mode="fan_out", nonlinearity="relu")),
    ("kaiming_normal", lambda m, t: m.nn.init.kaiming_normal_(t)),
    ("kaiming_normal_fan_out", lambda m, t: m.nn.init.kaiming_normal_(
        t, 0.1, "fan_out", "leaky_relu")),
    ("trunc_normal", lambda m, t: m.nn.init.trunc_normal_(t)),
    ("trunc_normal_std", lambda m, t: m.nn.init.trunc_normal_(t, std=0.02)),
    ("trunc_normal_wide", lambda m, t: m.nn.init.trunc_normal_(t, 0.5, 1.0, -1.0, 1.0)),
    ("trunc_normal_narrow", lambda m, t: m.nn.init.trunc_normal_(t, 0.0, 1.0, 2.0, 3.0)),
    ("trunc_normal_narrow2", lambda m, t: m.nn.init.trunc_normal_(t, 0.0, 1.0, -0.1, 0.2)),
]


@pytest.mark.parametrize("shape", [(3, 5), (20, 16), (4, 3, 3, 3), (64, 17)])
@pytest.mark.parametrize("name,fn", RANDOM_INITS, ids=[n for n, _ in RANDOM_INITS])
def test_random_inits_bit_identical(name, fn, shape):
    t, e = run_both(fn, shape, seed=len(name))
    np.testing.assert_array_equal(e, t)
    # the generator continues identically afterwards
    np.testing.assert_array_equal(ember.rand(3).numpy(), torch.rand(3).numpy())


@pytest.mark.parametrize("dtype", ["float64", "float16"])
def test_random_inits_other_dtypes(dtype):
    for name, fn in RANDOM_INITS[:12]:
        t, e = run_both(fn, (6, 7), seed=1, dtype=dtype)
        np.testing.assert_array_equal(e, t, err_msg=name)


def test_inits_run_without_grad_on_leaves():
    for m in LIBS:
        w = m.nn.Parameter(m.empty(3, 4))
        for fn in (m.nn.init.uniform_, m.nn.init.normal_, m.nn.init.xavier_uniform_,
                   m.nn.init.kaiming_normal_, m.nn.init.zeros_, m.nn.init.ones_,
                   m.nn.init.eye_, m.nn.init.trunc_normal_):
            assert fn(w) is w
            assert w.grad_fn is None and w.requires_grad and w.is_leaf
        assert m.nn.init.constant_(w, 0.5) is w and w.grad_fn is None


@pytest.mark.parametrize("fn", [
    lambda m, t: m.nn.init.constant_(t, 0.3),
    lambda m, t: m.nn.init.ones_(t),
    lambda m, t: m.nn.init.zeros_(t),
    lambda m, t: m.nn.init.eye_(t[0] if t.dim() == 3 else t),
])
@pytest.mark.parametrize("shape", [(3, 5), (5, 3)])
def test_deterministic_inits(fn, shape):
    t, e = run_both(fn, shape)
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 3, 2, 3), 2),
                                          ((2, 5, 3, 3), 1)])
def test_dirac(shape, groups):
    t, e = run_both(lambda m, x: m.nn.init.dirac_(x, groups), shape)
    np.testing.assert_array_equal(e, t)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3), (6, 6)])
def test_orthogonal(shape):
    t, e = run_both(lambda m, x: m.nn.init.orthogonal_(x, gain=1.5), shape, seed=4)
    np.testing.assert_allclose(e, t, rtol=1e-4, atol=1e-5)
    flat = e.reshape(shape[0], -1)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-4)


def test_sparse():
    if not hasattr(ember, "randperm"):
        pytest.skip("ember.randperm missing")
    t, e = run_both(lambda m, x: m.nn.init.sparse_(x, 0.3, std=0.5), (10, 4), seed=2)
    np.testing.assert_array_equal(e, t)


def test_calculate_gain_and_fans():
    cases = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
             "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    for c in cases:
        assert ember.nn.init.calculate_gain(c) == torch.nn.init.calculate_gain(c)
    for p in (0.2, 1, 0):
        assert ember.nn.init.calculate_gain("leaky_relu", p) == \
            torch.nn.init.calculate_gain("leaky_relu", p)
    for shape in [(3, 4), (6, 2, 5), (8, 3, 3, 3), (2, 2, 2, 2, 2)]:
        assert ember.nn.init._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("bad", [
    lambda m: m.nn.init.calculate_gain("swish"),
    lambda m: m.nn.init.calculate_gain("leaky_relu", True),
    lambda m: m.nn.init.calculate_gain("leaky_relu", "a"),
    lambda m: m.nn.init.xavier_uniform_(m.empty(3)),
    lambda m: m.nn.init.kaiming_normal_(m.empty(3, 3), mode="fan_avg"),
    lambda m: m.nn.init.eye_(m.empty(3, 3, 3)),
    lambda m: m.nn.init.dirac_(m.empty(3, 3)),
    lambda m: m.nn.init.dirac_(m.empty(3, 3, 3), groups=2),
    lambda m: m.nn.init.orthogonal_(m.empty(3)),
    lambda m: m.nn.init.sparse_(m.empty(3, 3, 3), 0.1),
])
def test_errors_match_torch(bad):
    errs = []
    for m in LIBS:
        with pytest.raises(Exception) as info:
            bad(m)
        errs.append(info.value)
    assert type(errs[0]) is type(errs[1]) and str(errs[0]) == str(errs[1])


def test_warnings_match_torch():
    for m in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.nn.init.kaiming_uniform_(m.empty(0, 3))
            m.nn.init.trunc_normal_(m.empty(3), mean=10.0)
            m.nn.init.uniform(m.empty(2))
        m.out = [(x.category.__name__, str(x.message)) for x in w]
    assert torch.out == ember.out
    del torch.out, ember.out
