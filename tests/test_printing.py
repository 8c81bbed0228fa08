"""repr/str of real ember tensors against PyTorch's (``ember.`` read as ``torch.``)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402

RNG = np.random.default_rng(0)
BIG = RNG.normal(size=(40, 40)).astype(np.float32)
WIDE = (RNG.normal(size=(3, 30)) * 1000).astype(np.float32)


def same_text(make):
    t, e = make(torch), make(ember)
    assert repr(e).replace("ember.", "torch.") == repr(t)
    assert str(e).replace("ember.", "torch.") == str(t)


CASES = {
    "requires_grad": lambda m: m.tensor([1.5, -2.25, 3.0], requires_grad=True),
    "grad_fn": lambda m: m.tensor([1.5, -2.25, 3.0], requires_grad=True) * 2,
    "grad_fn sum": lambda m: (m.tensor([1.5, -2.25], requires_grad=True) * 2).sum(),
    "grad_fn mean": lambda m: (m.tensor([1.5, -2.25], requires_grad=True) * 2).mean(),
    "grad_fn view": lambda m: (m.tensor([1.5, -2.25, 3.0], requires_grad=True) * 1)[1:],
    "grad_fn cast": lambda m: (m.tensor([1.5], requires_grad=True) * 2).double(),
    "grad_fn int": lambda m: (m.tensor([1.5], requires_grad=True) * 2).long(),
    "detached": lambda m: (m.tensor([1.5], requires_grad=True) * 2).detach(),
    "rg float64": lambda m: m.tensor([1.0], dtype=m.float64, requires_grad=True),
    "grad float64": lambda m: m.tensor([1.0], dtype=m.float64, requires_grad=True) * 2,
    "0-d": lambda m: m.tensor(3.5), "0-d int": lambda m: m.tensor(3),
    "0-d bool": lambda m: m.tensor(True), "0-d f64": lambda m: m.tensor(3.5, dtype=m.float64),
    "0-d rg": lambda m: m.tensor(3.5, requires_grad=True),
    "empty": lambda m: m.tensor([]), "empty 2d": lambda m: m.zeros(2, 0),
    "empty int": lambda m: m.zeros(0, dtype=m.int64),
    "empty rg": lambda m: m.zeros(0, requires_grad=True),
    "big": lambda m: m.tensor(BIG), "big 1d": lambda m: m.arange(2000.),
    "big int": lambda m: m.arange(3000).reshape(30, 100), "wide": lambda m: m.tensor(WIDE),
    "sci": lambda m: m.tensor([1e-8, 1.0, 1e8]), "3d": lambda m: m.arange(24.).reshape(2, 3, 4),
    "3d rg": lambda m: m.arange(24.).reshape(2, 3, 4).requires_grad_(),
    "transposed": lambda m: m.arange(6.).reshape(2, 3).t(),
    "nan inf": lambda m: m.tensor([float("nan"), float("inf"), -float("inf"), 1.0]),
    "f16": lambda m: m.tensor([0.1, 1000.5, 3.14159], dtype=m.float16),
    "bf16": lambda m: m.tensor([0.1, 1000.5, 3.14159], dtype=m.bfloat16),
    "complex": lambda m: m.tensor([1 + 2j, -0.5j]), "neg zero": lambda m: m.tensor([-0.0, 0.0]),
    "large floats": lambda m: m.tensor([1e10, 1.0]), "wrapping": lambda m: m.arange(30.) * 1.123,
    "legacy": lambda m: m.FloatTensor([1, 2]),
    "linspace": lambda m: m.linspace(0, 1, 11),
}
for _d in ["float16", "bfloat16", "float64", "int8", "uint8", "int16", "int32", "int64", "bool",
           "complex64", "complex128", "uint16", "uint32", "uint64"]:
    CASES["dtype " + _d] = (lambda d: lambda m: m.tensor([1, 0, 3], dtype=getattr(m, d)))(_d)


@pytest.mark.parametrize("name", list(CASES))
def test_repr_matches(name):
    same_text(CASES[name])


def test_containers_and_formatting():
    for make in (lambda m: [m.tensor([1.0]), m.tensor(2)], lambda m: {"a": m.tensor([1.0, 2.0])},
                 lambda m: (m.zeros(2, 3).shape, m.float16, m.device("cpu"))):
        same_text(make)
    t, e = torch.tensor([1, 2]), ember.tensor([1, 2])
    assert f"{ember.tensor(2.5)} and {e}" == f"{torch.tensor(2.5)} and {t}"


def test_subclass_prefix():
    class Sub(ember.Tensor):
        pass

    class TSub(torch.Tensor):
        pass
    for data in ([1.0, 2.0], [[1.0, 2.0], [3, 4]]):
        assert repr(Sub(data)).replace("Sub(", "TSub(").replace("\n     ", "\n      ") == \
            repr(TSub(data))


@pytest.mark.parametrize("opts", [dict(precision=2), dict(threshold=5), dict(profile="full"),
                                  dict(sci_mode=True), dict(linewidth=40),
                                  dict(edgeitems=1, threshold=3), dict(profile="short")])
def test_set_printoptions(opts):
    torch.set_printoptions(**opts)
    ember.set_printoptions(**opts)
    try:
        for make in (lambda m: m.tensor([1.23456, 2.0]), lambda m: m.arange(10.),
                     lambda m: m.arange(1200.), lambda m: m.arange(20.).reshape(4, 5),
                     lambda m: m.tensor([1.5, 2.0], requires_grad=True) * 3):
            same_text(make)
    finally:
        torch.set_printoptions(profile="default", sci_mode=None)
        ember.set_printoptions(profile="default", sci_mode=None)
    same_text(lambda m: m.tensor([1.23456]))


def test_parameter_repr():
    for make in (lambda m: m.nn.Parameter(m.tensor([1.5, -2.0])),
                 lambda m: m.nn.Parameter(m.arange(6.).reshape(2, 3), requires_grad=False),
                 lambda m: m.nn.Parameter(m.tensor(2.5, dtype=m.float64))):
        same_text(make)
