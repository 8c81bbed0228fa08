"""ember.autograd.functional against torch.autograd.functional."""
import numpy as np
import pytest

from parity import check, torch

import ember
import ember.autograd.functional  # noqa: F401  (until ember.autograd imports it)

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
X3 = rng.standard_normal(3)
Y3 = rng.standard_normal(3)
V3 = rng.standard_normal(3)
V4 = rng.standard_normal(4)
W = rng.standard_normal((2, 4))
S = np.array(0.7)


def F(m):
    return m.autograd.functional


# functions written once for both libraries
def exp_reducer(x):
    return x.exp().sum(dim=1)


def adder(x, y):
    return 2 * x + 3 * y


def two_out(x, y):
    return (x * y).sin(), (x ** 2).sum() + y.cos().sum()


def cubic(x):
    return x.pow(3).sum()


def pair_scalar(x, y):
    return (2 * x.pow(2) + 3 * y.pow(2) + x * y.exp()).sum()


def linear(x):
    return 3 * x


# ---------------------------------------------------------------- vjp / jvp

@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_single(create_graph):
    check(lambda m, x, v: F(m).vjp(exp_reducer, x, v, create_graph=create_graph),
          x=A, v=V3, grad=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_tuple_inputs(create_graph):
    check(lambda m, x, y, v: F(m).vjp(adder, (x, y), v, create_graph=create_graph),
          x=X3, y=Y3, v=V3, grad=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_vjp_tuple_outputs(create_graph):
    check(lambda m, x, y, v, s: F(m).vjp(two_out, (x, y), (v, s), create_graph=create_graph),
          x=X3, y=Y3, v=V3, s=S, grad=create_graph)


def test_vjp_v_none_scalar_output():
    check(lambda m, x: F(m).vjp(cubic, x), x=A)


def test_vjp_unused_input_gives_zeros():
    check(lambda m, x, y, v: F(m).vjp(lambda a, b: a.sin(), (x, y), v), x=X3, y=A, v=V3)


def test_vjp_list_output_counts_as_one_value():
    # torch only tuples are unpacked; a list is a bad output
    check(lambda m, x: F(m).vjp(lambda a: [a.sin()], x, x), x=X3, match=True)


@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp_single(create_graph):
    check(lambda m, x, v: F(m).jvp(exp_reducer, x, v, create_graph=create_graph),
          x=A, v=V4 * np.ones((3, 1)), grad=create_graph)


@pytest.mark.parametrize("create_graph", [False, True])
def test_jvp_tuple(create_graph):
    check(lambda m, x, y, u, w: F(m).jvp(two_out, (x, y), (u, w), create_graph=create_graph),
          x=X3, y=Y3, u=V3, w=Y3 * 2, grad=create_graph)


def test_jvp_v_none_single_element():
    check(lambda m, x: F(m).jvp(lambda a: (a * a, a.exp()), x), x=S)


def test_jvp_linear_matches_matrix():
    t_out = check(lambda m, x, v: F(m).jvp(lambda a: a @ m.tensor(W).t(), x, v),
                  x=A, v=B)[0]
    np.testing.assert_allclose(t_out[1].numpy(), B @ W.T, rtol=1e-12)


# ---------------------------------------------------------------- vhp / hvp

@pytest.mark.parametrize("name", ["vhp", "hvp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_vhp_hvp_single(name, create_graph):
    check(lambda m, x, v: getattr(F(m), name)(cubic, x, v, create_graph=create_graph),
          x=A, v=B, grad=create_graph)


@pytest.mark.parametrize("name", ["vhp", "hvp"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_vhp_hvp_tuple(name, create_graph):
    check(lambda m, x, y, u, w: getattr(F(m), name)(pair_scalar, (x, y), (u, w),
                                                    create_graph=create_graph),
          x=X3, y=Y3, u=V3, w=X3, grad=create_graph)


@pytest.mark.parametrize("name", ["vhp", "hvp"])
def test_vhp_hvp_errors(name):
    check(lambda m, x, v: getattr(F(m), name)(lambda a: a * 2, x, v), x=X3, v=V3, match=True)
    check(lambda m, x, v: getattr(F(m), name)(lambda a: (a.sum(),), x, v), x=X3, v=V3,
          match=True)
    check(lambda m, x: getattr(F(m), name)(cubic, x), x=X3, match=True)
    check(lambda m, x, v: getattr(F(m), name)(cubic, x, v), x=X3, v=V4, match=True)
    check(lambda m, x, v: getattr(F(m), name)(linear, x, v, strict=True), x=S, v=S,
          match=True)


# ---------------------------------------------------------------- jacobian

@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_single(vectorize, create_graph):
    check(lambda m, x: F(m).jacobian(exp_reducer, x, create_graph=create_graph,
                                     vectorize=vectorize), x=A, grad=create_graph)


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_tuple_in_out(vectorize, create_graph):
    check(lambda m, x, y: F(m).jacobian(two_out, (x, y), create_graph=create_graph,
                                        vectorize=vectorize),
          x=X3, y=Y3, grad=create_graph)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_mixed_structure(vectorize):
    check(lambda m, x, y: F(m).jacobian(adder, (x, y), vectorize=vectorize), x=X3, y=Y3)
    check(lambda m, x: F(m).jacobian(lambda a: (a.sin(), a.sum()), x, vectorize=vectorize),
          x=A)
    check(lambda m, x: F(m).jacobian(lambda a: (a * 2,), (x,), vectorize=vectorize), x=X3)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_unused_input_and_constant_output(vectorize):
    check(lambda m, x, y: F(m).jacobian(lambda a, b: (a.exp(), m.ones(2)), (x, y),
                                        vectorize=vectorize), x=X3, y=A)


@pytest.mark.parametrize("vectorize", [False, True])
def test_jacobian_empty(vectorize):
    check(lambda m, x: F(m).jacobian(lambda a: (a[:0], a * 2), x, vectorize=vectorize), x=X3)
    check(lambda m, x: F(m).jacobian(lambda a: a[:0], x, vectorize=vectorize), x=X3,
          match=True)
    check(lambda m, x: F(m).jacobian(lambda a: a.sum() + 1, x[:0], vectorize=vectorize),
          x=X3)


def test_jacobian_noncontiguous_and_unused():
    check(lambda m, x: F(m).jacobian(lambda a: a.exp(), x.t()), x=A)
    check(lambda m, x: F(m).jacobian(lambda a: a.exp(), x.t(), vectorize=True), x=A)
    check(lambda m, x, y: F(m).jacobian(lambda a, b: a.exp(), (x, y.t()), vectorize=True),
          x=X3, y=A)
    check(lambda m, x, v: F(m).vjp(lambda a: a.exp(), x.t(), v.t()), x=A, v=A)


def test_under_no_grad_and_integer_inputs():
    def under_no_grad(m, x, v):
        with m.no_grad():
            return F(m).vjp(lambda a: a.exp(), x, v)
    check(under_no_grad, x=X3, v=V3, grad=True)
    check(lambda m, x: F(m).vjp(lambda a: a * 2, x.long(), x.long()), x=X3, match=True)


def test_jacobian_float32_and_scalar():
    check(lambda m, x: F(m).jacobian(lambda a: a.sin() * a, x), x=A, dtype="float32")
    check(lambda m, x: F(m).jacobian(lambda a: a.exp(), x), x=S)


def test_jacobian_forward_mode():
    check(lambda m, x: F(m).jacobian(exp_reducer, x, strategy="forward-mode", vectorize=True),
          x=A)
    check(lambda m, x, y: F(m).jacobian(two_out, (x, y), strategy="forward-mode",
                                        vectorize=True), x=X3, y=Y3)
    # tangents of primals that require grad carry history
    check(lambda m, x, y: F(m).jacobian(two_out, (x, y), strategy="forward-mode",
                                        vectorize=True), x=X3, y=Y3, grad=True)


def test_jacobian_forward_mode_errors():
    check(lambda m, x: F(m).jacobian(exp_reducer, x, strategy="forward-mode"), x=A,
          match=True)
    check(lambda m, x: F(m).jacobian(exp_reducer, x, strategy="forward-mode",
                                     create_graph=True), x=A, match=True)
    check(lambda m, x: F(m).jacobian(exp_reducer, x, strategy="forward-mode", strict=True),
          x=A, match=True)
    check(lambda m, x: F(m).jacobian(exp_reducer, x, strategy="sideways"), x=A, match=True)


def test_jacobian_create_graph_second_derivative():
    # d/dx sum(J) where J = diag(3 x^2): 6 x, also checked against the closed form
    for m in (torch, ember):
        x = m.tensor(X3, requires_grad=True)
        J = F(m).jacobian(lambda a: a ** 3, x, create_graph=True)
        assert J.requires_grad
        J.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), 6 * X3, rtol=1e-12)


def test_jacobian_grad_fn_name_with_create_graph():
    x = ember.tensor(X3, requires_grad=True)
    tx = torch.tensor(X3, requires_grad=True)
    J = F(ember).jacobian(lambda a: a.sin(), x, create_graph=True)
    tJ = F(torch).jacobian(lambda a: a.sin(), tx, create_graph=True)
    assert type(J.grad_fn).__name__ == tJ.grad_fn.name()


# ---------------------------------------------------------------- hessian

@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("create_graph", [False, True])
def test_hessian_single(vectorize, create_graph):
    check(lambda m, x: F(m).hessian(cubic, x, create_graph=create_graph, vectorize=vectorize),
          x=A, grad=create_graph)


@pytest.mark.parametrize("vectorize", [False, True])
def test_hessian_tuple(vectorize):
    check(lambda m, x, y: F(m).hessian(pair_scalar, (x, y), vectorize=vectorize), x=X3, y=A)


def test_hessian_outer_forward_mode():
    check(lambda m, x: F(m).hessian(cubic, x, vectorize=True,
                                    outer_jacobian_strategy="forward-mode"), x=X3)
    check(lambda m, x: F(m).hessian(cubic, x, vectorize=True, create_graph=True,
                                    outer_jacobian_strategy="forward-mode"), x=X3, match=True)
    check(lambda m, x: F(m).hessian(cubic, x, outer_jacobian_strategy="forward-mode"), x=X3,
          match=True)
    check(lambda m, x: F(m).hessian(cubic, x, outer_jacobian_strategy="nope"), x=X3,
          match=True)


def test_hessian_matches_closed_form():
    x = ember.tensor(X3)
    H = F(ember).hessian(cubic, x)
    np.testing.assert_allclose(H.numpy(), np.diag(6 * X3), rtol=1e-12)


def test_hessian_errors():
    check(lambda m, x: F(m).hessian(lambda a: a * 2, x), x=X3, match=True)
    check(lambda m, x: F(m).hessian(lambda a: (a.sum(),), x), x=X3, match=True)
    check(lambda m, x: F(m).hessian(lambda a: a.sum(), x, strict=True), x=X3, match=True)
    check(lambda m, x: F(m).hessian(lambda a: m.ones(()), x, strict=True), x=X3, match=True)
    check(lambda m, x, y: F(m).hessian(lambda a, b: (a ** 3).sum(), (x, y), strict=True),
          x=X3, y=Y3, match=True)


# ---------------------------------------------------------------- strict mode

STRICT_CASES = [
    # output that does not require grad
    lambda m, x, v: getattr(F(m), "vjp")(lambda a: m.ones(3), x, v, strict=True),
    # output independent of one input
    lambda m, x, v: F(m).vjp(lambda a, b: a * 2, (x, x * 0), v, strict=True),
    lambda m, x, v: F(m).jvp(lambda a, b: a * 2, (x, x * 0), (v, v), strict=True),
    # linear function: the gradient does not depend on the input (create_graph)
    lambda m, x, v: F(m).vjp(linear, x, v, strict=True, create_graph=True),
    lambda m, x, v: F(m).jacobian(lambda a, b: a * 2, (x, x * 0), strict=True),
    lambda m, x, v: F(m).jacobian(linear, x, strict=True, create_graph=True),
    lambda m, x, v: F(m).jacobian(lambda a: m.ones(2), x, strict=True),
    lambda m, x, v: F(m).jacobian(linear, x, strict=True, vectorize=True),
    lambda m, x, v: F(m).vhp(lambda a, b: (a ** 3).sum(), (x, x), (v, v), strict=True),
    lambda m, x, v: F(m).hvp(lambda a: (a ** 3).sum() + 0 * a.sum(), x, v, strict=True,
                             create_graph=True),
]


@pytest.mark.parametrize("case", range(len(STRICT_CASES)))
def test_strict_errors(case):
    check(STRICT_CASES[case], x=X3, v=V3, match=True)


def test_strict_ok_when_dependent():
    check(lambda m, x, v: F(m).vjp(lambda a: a.sin(), x, v, strict=True), x=X3, v=V3)
    check(lambda m, x, v: F(m).jvp(lambda a: a.sin(), x, v, strict=True), x=X3, v=V3)
    check(lambda m, x: F(m).jacobian(lambda a: a.sin(), x, strict=True, create_graph=True),
          x=X3, grad=True)
    check(lambda m, x, v: F(m).hvp(cubic, x, v, strict=True), x=X3, v=V3)


# ---------------------------------------------------------------- bad input

BAD_INPUT_CASES = [
    lambda m, x, v: F(m).vjp(lambda a: 3.0, x, v),
    lambda m, x, v: F(m).vjp(lambda a: (a, 3.0), x, (v, v)),
    lambda m, x, v: F(m).vjp(lambda a: a, [x], v),
    lambda m, x, v: F(m).vjp(lambda a, b: a, (x, 1.0), v),
    lambda m, x, v: F(m).vjp(lambda a: a, x, [v]),
    lambda m, x, v: F(m).vjp(lambda a: a, x),
    lambda m, x, v: F(m).vjp(lambda a: a, x, (v, v)),
    lambda m, x, v: F(m).vjp(lambda a: (a, a), x, (v,)),
    lambda m, x, v: F(m).vjp(lambda a: (a, a), x, (v, v[:2])),
    lambda m, x, v: F(m).vjp(lambda a: a, x, v[:2]),
    lambda m, x, v: F(m).jvp(lambda a: a, x),
    lambda m, x, v: F(m).jvp(lambda a: a, x, v[:1]),
    lambda m, x, v: F(m).jvp(lambda a: None, x, v),
    lambda m, x, v: F(m).jacobian(lambda a: "x", x),
    lambda m, x, v: F(m).jacobian(lambda a: a, np.ones(3)),
    lambda m, x, v: F(m).hessian(lambda a: a.sum(), [x]),
    lambda m, x, v: F(m).hvp(lambda a: 1, x, v),
]


@pytest.mark.parametrize("case", range(len(BAD_INPUT_CASES)))
def test_bad_input_errors(case):
    check(BAD_INPUT_CASES[case], x=X3, v=V3, match=True)


def test_inputs_not_modified_and_outer_grad_untouched():
    x = ember.tensor(X3, requires_grad=True)
    out, g = F(ember).vjp(lambda a: (a * x).sum(), x)
    # the function's argument and the captured x are different objects: only the first counts
    np.testing.assert_allclose(g.numpy(), X3, rtol=1e-12)
    assert x.grad is None and not out.requires_grad and not g.requires_grad


def test_exported_names():
    assert sorted(ember.autograd.functional.__all__) == sorted(
        torch.autograd.functional.__all__)
