"""ember.backends / version / multiprocessing / testing against torch's own modules.

The installed torch may be a CUDA build; where a CPU-only build answers differently
(cuDNN/CUDA availability, versions) the CPU-only answer is the expected one, taken from
torch's source for that case, and noted as such.
"""
import math
import multiprocessing
import os
import sys

import numpy as np
import pytest

if multiprocessing.current_process().name == "MainProcess":
    # spawn()'s workers import this module only for _write_rank: spare them torch's import
    torch = pytest.importorskip("torch")
    import torch.testing  # noqa: E402

import ember  # noqa: E402
import ember.backends  # noqa: E402
import ember.backends._flags as _flags  # noqa: E402
import ember.multiprocessing as emp  # noqa: E402
import ember.testing  # noqa: E402
import ember.version  # noqa: E402


# ---------------------------------------------------------------- backends
CUDNN_FLAGS = ["enabled", "benchmark", "deterministic", "allow_tf32", "fp32_precision",
               "depthwise_kernel"]


@pytest.fixture
def restore_flags():
    mods = [ember.backends.cudnn, ember.backends.mkldnn, ember.backends]
    saved = [{k: getattr(m, k) for k in dir(type(m)) if isinstance(getattr(type(m), k),
                                                                  property)} for m in mods]
    matmul = dict(ember.backends.cuda.matmul._values)
    yield
    _flags._frozen[0] = False
    for m, s in zip(mods, saved):
        for k, v in s.items():
            setattr(m, k, v)
    ember.backends.cuda.matmul._values.update(matmul)


@pytest.mark.parametrize("name", CUDNN_FLAGS)
def test_cudnn_defaults(name):
    got, want = getattr(ember.backends.cudnn, name), getattr(torch.backends.cudnn, name)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize("name", ["enabled", "benchmark", "deterministic", "allow_tf32"])
def test_cudnn_bool_flags_assign(name, restore_flags):
    import ember.backends.cudnn as cudnn  # the way scripts reach it
    for value in (not getattr(cudnn, name), getattr(cudnn, name)):
        setattr(cudnn, name, value)
        assert getattr(cudnn, name) is value
        assert getattr(ember.backends.cudnn, name) is value


@pytest.mark.parametrize("name,value", [("benchmark", 1), ("enabled", 0), ("allow_tf32", 1),
                                        ("deterministic", "yes"),
                                        ("depthwise_kernel", 1), ("depthwise_kernel", "foo"),
                                        ("fp32_precision", "foo")])
def test_cudnn_bad_values_match_torch(name, value, restore_flags):
    old = getattr(torch.backends.cudnn, name)
    with pytest.raises(RuntimeError) as want:
        try:
            setattr(torch.backends.cudnn, name, value)
        finally:
            setattr(torch.backends.cudnn, name, old)
    with pytest.raises(RuntimeError) as got:
        setattr(ember.backends.cudnn, name, value)
    assert str(got.value) == str(want.value)
    assert getattr(ember.backends.cudnn, name) == old


def test_cudnn_string_flags_assign(restore_flags):
    c = ember.backends.cudnn
    c.fp32_precision = "tf32"
    c.depthwise_kernel = "native"
    assert (c.fp32_precision, c.depthwise_kernel) == ("tf32", "native")


def test_cudnn_cpu_build_queries():
    c = ember.backends.cudnn
    # a CPU-only torch has no cuDNN: torch._C._has_cudnn is False, version() None, and
    # benchmark_limit stays the plain None class attribute
    assert c.is_available() is False
    assert c.version() is None
    assert c.benchmark_limit is None
    assert c.is_acceptable(ember.zeros(1)) is torch.backends.cudnn.is_acceptable(torch.zeros(1))


def test_cudnn_flags_context(restore_flags):
    c = ember.backends.cudnn
    c.benchmark = True
    with torch.backends.cudnn.flags(deterministic=True):
        want = [getattr(torch.backends.cudnn, k) for k in CUDNN_FLAGS]
    with c.flags(deterministic=True):
        assert [getattr(c, k) for k in CUDNN_FLAGS] == want
    assert c.benchmark is True and c.enabled is True and c.deterministic is False


def test_disable_global_flags(restore_flags):
    ember.backends.disable_global_flags()
    assert ember.backends.flags_frozen()
    with pytest.raises(RuntimeError, match="^not allowed to set ember.backends.cudnn flags "
                       "after disable_global_flags; please use flags\\(\\) context manager "
                       "instead$"):
        ember.backends.cudnn.benchmark = True
    with ember.backends.cudnn.flags(enabled=True, benchmark=True):
        assert ember.backends.cudnn.benchmark is True
    assert ember.backends.cudnn.benchmark is False


def test_backends_generic_and_cpu_libraries(restore_flags):
    b = ember.backends
    assert b.fp32_precision == torch.backends.fp32_precision
    assert b.flags_frozen() is torch.backends.flags_frozen() is False
    with b.flags(fp32_precision="tf32"):
        assert b.fp32_precision == "tf32"
    assert b.fp32_precision == "none"
    for name in ("mkl", "mkldnn", "openmp"):
        assert getattr(b, name).is_available() is getattr(torch.backends, name).is_available()
    for name in ("enabled", "deterministic", "fp32_precision"):
        assert getattr(b.mkldnn, name) == getattr(torch.backends.mkldnn, name)
    b.mkldnn.enabled = False
    assert b.mkldnn.enabled is False


def test_mps():
    m = ember.backends.mps
    assert m.is_available() is torch.backends.mps.is_available() is False
    assert m.is_built() is torch.backends.mps.is_built() is False
    with pytest.raises(RuntimeError) as want:
        torch.backends.mps.is_macos13_or_newer()
    with pytest.raises(RuntimeError) as got:
        m.is_macos13_or_newer()
    assert str(got.value) == str(want.value)


def test_cpu_capability():
    assert ember.backends.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()
    assert ember.backends.cpu.__all__ == torch.backends.cpu.__all__


def test_cuda_backend(restore_flags):
    cu = ember.backends.cuda
    assert cu.is_built() is False  # torch.backends.cuda.is_built() on a CPU-only build
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction", "allow_fp16_accumulation",
                 "fp32_precision"):
        assert getattr(cu.matmul, name) == getattr(torch.backends.cuda.matmul, name)
    for name in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled",
                 "cudnn_sdp_enabled", "fp16_bf16_reduction_math_sdp_allowed"):
        assert getattr(cu, name)() is getattr(torch.backends.cuda, name)()
    cu.matmul.allow_tf32 = True
    assert cu.matmul.allow_tf32 is True
    with pytest.raises(AttributeError, match="^Unknown attribute foo$"):
        cu.matmul.foo
    with pytest.raises(AttributeError, match="^Unknown attribute foo$"):
        cu.matmul.foo = 1
    with pytest.raises(RuntimeError, match="^set_allow_tf32_cublas expects a bool, but got int$"):
        cu.matmul.allow_tf32 = 1
    cu.enable_flash_sdp(False)
    assert cu.flash_sdp_enabled() is False
    cu.enable_flash_sdp(True)


# ---------------------------------------------------------------- version
def test_version():
    v = ember.version
    assert v.__version__ == ember.__version__
    assert v.__all__ == torch.version.__all__
    # a CPU-only torch: cuda None; hip/rocm/xpu None and debug False in every wheel
    assert v.cuda is None
    for name in ("hip", "rocm", "xpu", "debug"):
        assert getattr(v, name) == getattr(torch.version, name)
        assert type(getattr(v, name)) is type(getattr(torch.version, name))
    assert isinstance(v.git_version, str) and isinstance(v.__version__, str)


# ---------------------------------------------------------------- multiprocessing
def test_multiprocessing_namespace():
    import multiprocessing
    tmp = torch.multiprocessing
    assert sorted(emp.__all__) == sorted(tmp.__all__)
    for name in multiprocessing.__all__:
        assert getattr(emp, name) is getattr(multiprocessing, name)
    assert emp.get_all_start_methods() == tmp.get_all_start_methods()
    assert emp.cpu_count() == tmp.cpu_count()
    assert emp.get_sharing_strategy() == tmp.get_sharing_strategy()
    assert emp.get_all_sharing_strategies() == tmp.get_all_sharing_strategies()
    assert type(emp.get_all_sharing_strategies()) is type(tmp.get_all_sharing_strategies())
    for name in ("ProcessRaisedException", "ProcessExitedException", "ProcessException",
                 "ProcessContext", "spawn", "start_processes"):
        assert hasattr(emp, name)


def test_sharing_strategy_round_trip():
    emp.set_sharing_strategy("file_system")
    assert emp.get_sharing_strategy() == "file_system"
    emp.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError) as want:
        torch.multiprocessing.set_sharing_strategy("foo")
    with pytest.raises(AssertionError) as got:
        emp.set_sharing_strategy("foo")
    assert str(got.value) == str(want.value)


def test_exception_classes():
    e = emp.ProcessExitedException("m", 1, 2, 3, "SIGKILL")
    assert isinstance(e, emp.ProcessException) and isinstance(e, Exception)
    import pickle
    back = pickle.loads(pickle.dumps(e))
    assert (back.msg, back.error_index, back.error_pid, back.exit_code, back.signal_name) == \
        ("m", 1, 2, 3, "SIGKILL")


def _write_rank(i, folder, word):
    with open(os.path.join(folder, str(i)), "w") as f:
        f.write(f"{word}{i}")


def test_spawn_runs_fn_with_index(tmp_path):
    assert emp.spawn(_write_rank, args=(str(tmp_path), "rank"), nprocs=2) is None
    assert sorted(os.listdir(tmp_path)) == ["0", "1"]
    assert (tmp_path / "1").read_text() == "rank1"


def test_spawn_child_exception():
    # math.log(i, 2): rank 0 raises ValueError, rank 1 returns
    with pytest.raises(emp.ProcessRaisedException) as info:
        emp.spawn(math.log, args=(2,), nprocs=2)
    msg = str(info.value)
    assert msg.startswith("\n\n-- Process 0 terminated with the following error:\nTraceback")
    assert msg.endswith("ValueError: math domain error\n")
    assert info.value.error_index == 0


def test_spawn_exit_code_and_join_false():
    # sys.exit(i): rank 0 exits cleanly, rank 1 with code 1
    ctx = emp.spawn(sys.exit, nprocs=2, join=False)
    assert len(ctx.pids()) == 2
    with pytest.raises(emp.ProcessExitedException,
                       match="^process 1 terminated with exit code 1$") as info:
        while not ctx.join():
            pass
    assert info.value.exit_code == 1


# ---------------------------------------------------------------- testing.assert_close
def T(values, dtype="float32"):
    """A tensor spec: becomes torch/ember tensors of that dtype."""
    return ("T", values, dtype)


def _build(x, m):
    if isinstance(x, tuple) and len(x) == 3 and x[0] == "T":
        return m.tensor(x[1], dtype=getattr(m, x[2]))
    if isinstance(x, list):
        return [_build(v, m) for v in x]
    if isinstance(x, dict):
        return {k: _build(v, m) for k, v in x.items()}
    return x


def _outcome(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except Exception as e:  # noqa: BLE001
        return type(e), str(e).replace("torch.", "ember.")
    return None


nan, inf = float("nan"), float("inf")
CASES = [
    (T([1., 2., 3.]), T([1., 2.1, 3.]), {}),
    (T([1., 2., 3.]), T([1., 2., 3.], "float64"), {}),
    (T([1, 2, 3], "int64"), T([1, 2, 4], "int64"), {}),
    (T([[1., 2.], [3., 4.]]), T([[1., 2.5], [3., 5.]]), {}),
    (T([1., 2.]), T([1., 2., 3.]), {}),
    (T([1., 2., 3., 4.]), T([[1., 2.], [3., 4.]]), {}),
    (T([1., 2.]), T([1., 2.]), {}),
    (T([1., 2.]), T([1., 2. + 1e-6]), {}),
    (T([1., 2.]), T([1., 2. + 1e-4]), {}),
    (T([1., 2.], "float64"), T([1., 2. + 1e-6], "float64"), {}),
    (T([1., 2.], "float16"), T([1., 2.01], "float16"), {}),
    (T([1., 2.], "bfloat16"), T([1., 2.05], "bfloat16"), {}),
    (T([1., 2.], "bfloat16"), T([1., 2.02], "bfloat16"), {}),
    (T(1.), T(2.), {}),
    (T([1., nan]), T([1., nan]), {}),
    (T([1., nan]), T([1., nan]), {"equal_nan": True}),
    (T([1., inf]), T([1., inf]), {}),
    (T([1., inf]), T([1., -inf]), {}),
    (T([0., 0.]), T([0., 1.]), {}),
    (T([1., 2.]), T([0., 2.5]), {}),
    (T([True, False], "bool"), T([True, True], "bool"), {}),
    (T([True], "bool"), T([1], "int64"), {}),
    (T([1, 2], "int64"), T([1., 2.5]), {"check_dtype": False}),
    (T([1, 2], "int64"), T([1., 2.0000001]), {"check_dtype": False}),
    (T([1], "uint8"), T([3], "uint8"), {}),
    (T([3], "uint8"), T([1], "uint8"), {}),
    (T([1., 2.]), T([1., 2.5]), {"msg": "custom"}),
    (T([1., 2.]), T([1., 3.]), {"msg": lambda m: "X" + m[:12]}),
    (T([1., 2.]), T([1., 2.5]), {"rtol": 0.1}),
    (T([1., 2.]), T([1., 2.5]), {"atol": 0.1}),
    (T([1., 2.]), T([1., 2.1]), {"rtol": 0, "atol": 0}),
    (T([1e-10, 2.]), T([2e-10, 2.]), {"rtol": 1e-3, "atol": 1e-12}),
    (T([1., 2.]), T([1., 2.4]), {"rtol": 0.0, "atol": 0.5}),
    (T([[1., 9.], [5., 3.]]), T([[1., 2.], [3., 4.]]), {}),
    (T([1 + 1j], "complex64"), T([1 + 2j], "complex64"), {}),
    (T([]), T([]), {}),
    (1.0, 1.1, {}),
    (1, 2, {}),
    (1, 1.0, {}),
    (1, 2.0, {"check_dtype": False}),
    (1, 1.0, {"check_dtype": False}),
    (nan, nan, {}),
    (nan, nan, {"equal_nan": True}),
    (1.0, 1.0 + 1e-9, {}),
    (0.0, 1e-9, {}),
    (True, False, {}),
    (True, True, {}),
    (None, None, {}),
    (None, 1, {}),
    ([1., 2.], [1., 2.5], {}),
    ([1., 2.], (1., 2.), {}),
    ((1, 2), (1, 2, 3), {}),
    ({"a": 1}, {"b": 1}, {}),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}, {}),
    ([{"a": [1, 2]}], [{"a": [1, 3]}], {}),
    ({"a": T(1.)}, {"a": T(2.)}, {}),
    ([T(1.), T([1., 2.])], [T(1.), T([1., 3.])], {}),
    ([T(1.), T([1., 2.])], [T(1.), T([1., 3.])], {"msg": lambda m: m.upper()}),
    (T([1., 2.]), [1., 2.], {}),
    (T(1.), 1.0, {}),
    (1.0, T(1.0), {}),
    ("a", "a", {}),
    ([T([1.]), "a"], [T([2.]), "a"], {}),
]


@pytest.mark.parametrize("actual,expected,kw", CASES)
def test_assert_close_matches_torch(actual, expected, kw):
    want = _outcome(torch.testing.assert_close, _build(actual, torch), _build(expected, torch),
                    **kw)
    got = _outcome(ember.testing.assert_close, _build(actual, ember), _build(expected, ember),
                   **kw)
    assert got == want


def test_assert_close_numpy_and_numpy_scalars():
    for a, e in [(np.array([1., 2.]), np.array([1., 2.5])),
                 (np.array([1., 2.], np.float32), np.array([1., 2.], np.float32)),
                 (np.float64(1.0), np.float64(1.5)), (np.int64(3), np.int64(3))]:
        assert _outcome(ember.testing.assert_close, a, e) == \
            _outcome(torch.testing.assert_close, a, e)


def test_assert_close_stride():
    def run(m):
        x = m.tensor([[1., 2.], [3., 4.]])
        y = x.t().contiguous().t()
        return (_outcome(m.testing.assert_close, x, y, check_stride=True),
                _outcome(m.testing.assert_close, x, y))
    assert run(ember) == run(torch)


def test_assert_close_requires_grad_and_views():
    x = ember.tensor([1., 2., 3.], requires_grad=True)
    ember.testing.assert_close(x * 2, ember.tensor([2., 4., 6.]))
    ember.testing.assert_close(ember.arange(6.).view(2, 3)[:, 1], ember.tensor([1., 4.]))


def test_assert_close_large_is_vectorised():
    a = np.random.default_rng(0).standard_normal(1_000_000).astype(np.float32)
    b = a.copy()
    b[123456] += 1
    want = _outcome(torch.testing.assert_close, torch.from_numpy(a), torch.from_numpy(b))
    got = _outcome(ember.testing.assert_close, ember.from_numpy(a), ember.from_numpy(b))
    assert got == want and got[1].startswith("Tensor-likes are not close!")


# ---------------------------------------------------------------- testing.make_tensor
MAKE_DTYPES = ["bool", "uint8", "int8", "int32", "int64", "uint16", "float16", "bfloat16",
               "float32", "float64", "complex64", "complex128"]
MAKE_KWARGS = [{}, {"low": -3, "high": 5}, {"noncontiguous": True}, {"low": 300, "high": 400},
               {"exclude_zero": True, "low": 0, "high": 2}, {"low": -1e30, "high": 1e30},
               {"low": 5, "high": 1}, {"low": float("nan")}, {"requires_grad": True}]


def _made(m, dtype, kw):
    m.manual_seed(3)
    try:
        t = m.testing.make_tensor((2, 3), dtype=getattr(m, dtype), device="cpu", **kw)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).replace("torch.", "ember.")
    values = (t.detach().double() if dtype == "bfloat16" else t.detach()).numpy()
    return values.tolist(), t.shape == (2, 3), t.stride(), str(t.dtype)[6:], t.requires_grad


@pytest.mark.parametrize("dtype", MAKE_DTYPES)
def test_make_tensor_matches_torch(dtype):
    for kw in MAKE_KWARGS:
        if dtype == "uint16" and kw.get("exclude_zero"):
            continue  # torch has no masked_fill for uint16; ember fills it
        assert _made(ember, dtype, kw) == _made(torch, dtype, kw), kw


def test_make_tensor_shapes_and_errors():
    for shape in [(), (4,), ([2, 2],), (2, 0)]:
        assert tuple(ember.testing.make_tensor(*shape, dtype=ember.float32,
                                               device="cpu").shape) == \
            tuple(torch.testing.make_tensor(*shape, dtype=torch.float32, device="cpu").shape)
    with pytest.raises(ValueError, match="mutually exclusive"):
        ember.testing.make_tensor(2, dtype=ember.float32, device="cpu", noncontiguous=True,
                                  memory_format=ember.contiguous_format)
    with pytest.warns(FutureWarning):
        ember.testing.make_tensor(2, dtype=ember.float32, device="cpu", low=1, high=1)
