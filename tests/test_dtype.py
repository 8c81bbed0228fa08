"""dtypes and type promotion: every pair of dtypes and scalar kinds against PyTorch."""
import copy
import itertools
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32",
         "float64", "complex64", "complex128", "uint16", "uint32", "uint64"]
PAIRS = list(itertools.product(NAMES, NAMES))
SCALARS = [True, 3, -2, 2.5, 1 + 2j]


def _t(name):
    return getattr(torch, name)


def _e(name):
    return getattr(ember, name)


def _same(t_dtype, e_dtype):
    name = str(t_dtype).replace("torch.", "")
    # ember has no 32-bit complex types: float16/bfloat16 meeting complex give complex64.
    name = {"complex32": "complex64", "bcomplex32": "complex64"}.get(name, name)
    assert name == e_dtype.name


def _outcome(fn):
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - compared between the libraries
        return None, e


def test_promote_types_every_pair():
    for a, b in PAIRS:
        tr, terr = _outcome(lambda: torch.promote_types(_t(a), _t(b)))
        er, eerr = _outcome(lambda: ember.promote_types(_e(a), _e(b)))
        if terr is not None:
            assert type(eerr) is type(terr), (a, b)
            assert str(eerr) == str(terr), (a, b)
        else:
            assert eerr is None, (a, b, eerr)
            _same(tr, er)


def test_can_cast_every_pair():
    for a, b in PAIRS:
        assert torch.can_cast(_t(a), _t(b)) == ember.can_cast(_e(a), _e(b)), (a, b)


def _tensor(m, name, zero_dim):
    shape = () if zero_dim else (2,)
    return m.zeros(shape, dtype=getattr(m, name))


@pytest.mark.parametrize("dims", [(False, False), (False, True), (True, False), (True, True)])
def test_result_type_tensor_pairs(dims):
    for a, b in PAIRS:
        tr, terr = _outcome(lambda: torch.result_type(_tensor(torch, a, dims[0]),
                                                      _tensor(torch, b, dims[1])))
        er, eerr = _outcome(lambda: ember.result_type(_tensor(ember, a, dims[0]),
                                                      _tensor(ember, b, dims[1])))
        if terr is not None:
            assert eerr is not None and type(eerr) is type(terr), (a, b, dims)
        else:
            assert eerr is None, (a, b, dims, eerr)
            _same(tr, er)


@pytest.mark.parametrize("zero_dim", [False, True])
@pytest.mark.parametrize("default", ["float32", "float64"])
def test_result_type_tensor_and_scalar(zero_dim, default):
    torch.set_default_dtype(_t(default))
    ember.set_default_dtype(_e(default))
    try:
        for name, s in itertools.product(NAMES[:12], SCALARS):
            tr = torch.result_type(_tensor(torch, name, zero_dim), s)
            _same(tr, ember.result_type(_tensor(ember, name, zero_dim), s))
            tr = torch.result_type(s, _tensor(torch, name, zero_dim))
            _same(tr, ember.result_type(s, _tensor(ember, name, zero_dim)))
        for s1, s2 in itertools.product(SCALARS, SCALARS):
            _same(torch.result_type(s1, s2), ember.result_type(s1, s2))
    finally:
        torch.set_default_dtype(torch.float32)
        ember.set_default_dtype(ember.float32)


def test_result_type_numpy_scalars_are_plain_numbers():
    for s in (np.float64(2.0), np.int64(2), np.float32(1.5)):
        _same(torch.result_type(torch.zeros(2, dtype=torch.int8), s),
              ember.result_type(ember.zeros(2, dtype=ember.int8), s))


def test_dtype_objects():
    for n in NAMES + ["float", "double", "half", "long", "int", "short", "cfloat", "cdouble"]:
        assert repr(_e(n)) == repr(_t(n)).replace("torch.", "ember.")
        assert str(_e(n)) == str(_t(n)).replace("torch.", "ember.")
    for n in NAMES:
        t, e = _t(n), _e(n)
        assert (e.is_floating_point, e.is_complex, e.is_signed, e.itemsize) == \
            (t.is_floating_point, t.is_complex, t.is_signed, t.itemsize), n
    assert ember.float32 is ember.float and ember.float64 is ember.double
    assert ember.float32 != ember.float64
    assert pickle.loads(pickle.dumps(ember.float64)) is ember.float64
    assert copy.deepcopy(ember.int8) is ember.int8 and copy.copy(ember.int8) is ember.int8
    assert ember.float32.to_complex() is ember.complex64
    assert ember.float64.to_complex() is ember.complex128
    assert ember.complex64.to_real() is ember.float32
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Int"):
        ember.int32.to_complex()
    torch.int32.to_complex  # the same error in torch:
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Int"):
        torch.int32.to_complex()


def test_finfo_iinfo():
    for n in ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]:
        t, e = torch.finfo(_t(n)), ember.finfo(_e(n))
        assert repr(e) == repr(t)
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution",
                     "dtype"):
            assert getattr(e, attr) == getattr(t, attr), (n, attr)
    assert repr(ember.finfo()) == repr(torch.finfo())
    for n in ["uint8", "int8", "int16", "int32", "int64", "uint16", "uint32"]:
        t, e = torch.iinfo(_t(n)), ember.iinfo(_e(n))
        assert repr(e) == repr(t)
        assert (e.bits, e.min, e.max, e.dtype) == (t.bits, t.min, t.max, t.dtype)
    for bad_e, bad_t, fn in ((ember.bool, torch.bool, "iinfo"), (ember.int32, torch.int32,
                                                                 "finfo")):
        with pytest.raises(TypeError) as te:
            getattr(torch, fn)(bad_t)
        with pytest.raises(TypeError) as ee:
            getattr(ember, fn)(bad_e)
        assert str(ee.value) == str(te.value)


def test_default_dtype_switch():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    torch.set_default_dtype(torch.float64)
    try:
        assert ember.get_default_dtype() is ember.float64
        for fn in (lambda m: m.tensor([1.5, 2]), lambda m: m.zeros(2), lambda m: m.ones(1),
                   lambda m: m.arange(0.5, 3), lambda m: m.tensor(1j), lambda m: m.full((1,), 2.),
                   lambda m: m.linspace(0, 1, 3), lambda m: m.tensor([]), lambda m: m.Tensor([2]),
                   lambda m: m.tensor([1, 2]), lambda m: m.empty(0)):
            _same(fn(torch).dtype, fn(ember).dtype)
            assert repr(fn(ember)).replace("ember.", "torch.") == repr(fn(torch))
        assert repr(ember.tensor([1.5], dtype=ember.float32)) == \
            "tensor([1.5000], dtype=ember.float32)"
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="only floating-point types are supported"):
        ember.set_default_dtype(ember.int64)
