"""flip, roll, rot90, repeat, tile, repeat_interleave, tril/triu, meshgrid, diag... vs torch."""
import warnings

import numpy as np
import pytest

from parity import check, torch, ember

rng = np.random.default_rng(1)


def R(*shape, dtype="float64"):
    return rng.standard_normal(shape).astype(dtype)


def I(*shape, dtype="int64"):
    return rng.integers(-5, 5, shape).astype(dtype)


def gc(fn, *shapes):
    ins = [ember.tensor(R(*s), requires_grad=True) for s in shapes]
    # C-ordered outputs: many linalg results are column-major, which gradcheck's one-hot
    # grad_output writing does not have to handle
    assert ember.autograd.gradcheck(lambda *a: _contiguous(fn(*a)), ins)


def _contiguous(out):
    if isinstance(out, (tuple, list)):
        return tuple(o.contiguous() for o in out)
    return out.contiguous()


def name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


# --- flip / roll / rot90 ---------------------------------------------------------------------

@pytest.mark.parametrize("dims", [(0,), (1,), (-1, 0), (), (0, 1, 2), [2]])
def test_flip(dims):
    check(lambda m, x: m.flip(x, dims), x=R(2, 3, 4), grad=True)
    check(lambda m, x: x.flip(dims), x=I(2, 3, 4))
    check(lambda m, x: x.transpose(0, 2).flip(dims), x=R(2, 3, 4), grad=True)


def test_flip_misc():
    check(lambda m, x: x.flip(0, 1), x=R(2, 3), grad=True)
    check(lambda m, x: m.flip(x, (0,)), x=R(), grad=True)
    check(lambda m, x: m.flip(x, ()), x=R(), grad=True)
    check(lambda m, x: m.flip(x, (1, 1)), x=R(2, 3), match=True)
    check(lambda m, x: m.flip(x, (2,)), x=R(2, 3), match=True)
    check(lambda m, x: m.fliplr(x), x=R(2, 3), grad=True)
    check(lambda m, x: m.flipud(x), x=R(3), grad=True)
    check(lambda m, x: x.fliplr(), x=R(3), match=True)
    check(lambda m, x: x.flipud(), x=R(), match=True)
    check(lambda m, x: m.flip(x, (0,)), x=np.array([True, False]))
    for m in (torch, ember):
        assert name(m.flip(m.ones(2, requires_grad=True), (0,))) == "FlipBackward0"


@pytest.mark.parametrize("shifts,dims", [(1, None), (-7, None), (1, 1), ((1, -1), (0, 1)),
                                         (5, 0), ((2,), (-1,)), (0, None)])
def test_roll(shifts, dims):
    check(lambda m, x: m.roll(x, shifts, dims), x=R(3, 4), grad=True)
    check(lambda m, x: x.roll(shifts, dims), x=I(3, 4))


def test_roll_misc():
    check(lambda m, x: m.roll(x, 1), x=R(), grad=True)
    check(lambda m, x: m.roll(x, 1, 0), x=R(0, 3))
    check(lambda m, x: x.t().roll(1, 0), x=R(3, 4), grad=True)
    check(lambda m, x: m.roll(x, (1, 2), 1), x=R(2, 3), match=True)
    check(lambda m, x: m.roll(x, (1, 2)), x=R(2, 3), match=True)
    check(lambda m, x: m.roll(x, 1, 3), x=R(2, 3), match=True)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, -1, -2, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 0), (0, 2), (-1, -2)])
def test_rot90(k, dims):
    check(lambda m, x: m.rot90(x, k, dims), x=R(2, 3, 4), grad=True)


def test_rot90_errors():
    for fn in [lambda m, x: m.rot90(x, 1, (0, 0)), lambda m, x: m.rot90(x[0], 1),
               lambda m, x: m.rot90(x, 1, (0,)), lambda m, x: m.rot90(x, 1, (0, 5)),
               lambda m, x: m.rot90(x, 1, (0, -3))]:
        check(fn, x=R(2, 3), match=True)


# --- repeat / tile / repeat_interleave --------------------------------------------------------

@pytest.mark.parametrize("reps", [(2, 1), (2, 1, 3), (1, 1), (0, 1), (3, 2)])
def test_repeat(reps):
    check(lambda m, x: x.repeat(*reps), x=R(2, 3), grad=True)
    check(lambda m, x: x.repeat(reps), x=I(2, 3))
    check(lambda m, x: x.t().repeat(reps), x=R(3, 2), grad=True)


def test_repeat_errors_and_scalars():
    check(lambda m, x: x.repeat(2), x=R(2, 3), match=True)
    check(lambda m, x: x.repeat(-1, 1), x=R(2, 3), match=True)
    check(lambda m, x: x.repeat(2, 3), x=R(), grad=True)
    check(lambda m, x: x.repeat(m.Size([2, 2])), x=R(2), grad=True)
    gc(lambda x: x.repeat(2, 3, 1), (2, 3))


@pytest.mark.parametrize("dims", [(2,), (2, 1, 1), (1,), (2, 2), 3])
def test_tile(dims):
    check(lambda m, x: m.tile(x, dims), x=R(2, 3), grad=True)
    check(lambda m, x: x.tile(dims), x=I(2, 3))


def test_repeat_interleave():
    x = R(2, 3)
    check(lambda m, x: m.repeat_interleave(x, 2), x=x, grad=True)
    check(lambda m, x: x.repeat_interleave(2, dim=0), x=x, grad=True)
    check(lambda m, x: x.repeat_interleave(3, dim=-1), x=x, grad=True)
    check(lambda m, x: x.repeat_interleave(0, dim=1), x=x, grad=True)
    check(lambda m, x: m.repeat_interleave(x, m.tensor([1, 2]), dim=0), x=x, grad=True)
    check(lambda m, x: m.repeat_interleave(x, m.tensor([2]), dim=1), x=x, grad=True)
    check(lambda m, x: m.repeat_interleave(x, m.tensor(2), dim=1), x=x, grad=True)
    check(lambda m, x: m.repeat_interleave(x, m.tensor([1, 0, 2])), x=R(3), grad=True)
    check(lambda m, x: m.repeat_interleave(x, m.tensor([1, 2]), dim=0, output_size=3), x=x)
    check(lambda m, r: m.repeat_interleave(r), r=np.array([1, 2, 3]))
    check(lambda m, r: m.repeat_interleave(r), r=np.array([1, 0, 2], dtype="int32"))
    check(lambda m, x: m.repeat_interleave(x, 2), x=I(2, 3))
    for fn in [lambda m, x: m.repeat_interleave(x, m.tensor([1, 2, 3]), dim=0),
               lambda m, x: m.repeat_interleave(x, m.tensor([1, -2]), dim=0),
               lambda m, x: m.repeat_interleave(x, -1),
               lambda m, x: m.repeat_interleave(x, m.tensor([1.0, 2.0]), dim=0),
               lambda m, x: m.repeat_interleave(x, m.tensor([[1, 2]]), dim=0),
               lambda m, x: m.repeat_interleave(x, 2, dim=2)]:
        check(fn, x=x, match=True)
    gc(lambda x: x.repeat_interleave(2, dim=1), (2, 3))


# --- triangles, diagonals -------------------------------------------------------------------

@pytest.mark.parametrize("k", [0, 1, -1, 5, -5])
def test_tril_triu(k):
    for f in ("tril", "triu"):
        check(lambda m, x: getattr(m, f)(x, k), x=R(3, 4), grad=True)
        check(lambda m, x: getattr(x, f)(diagonal=k), x=R(2, 3, 4), grad=True)
        check(lambda m, x: getattr(m, f)(x.mT, k), x=I(2, 3, 4))
        check(lambda m, x: getattr(x.clone(), f + "_")(k), x=R(3, 3), grad=True)
    check(lambda m, x: m.tril(x), x=np.ones((3, 3), bool))
    check(lambda m, x: m.tril(x), x=R(3), match=True)
    check(lambda m, x: m.triu(x), x=R(), match=True)
    gc(lambda x: x.tril(-1), (3, 3))


@pytest.mark.parametrize("args", [(3, 4), (3, 4, 1), (3, 4, -1), (4, 3, -2), (0, 3), (3, 3, 10),
                                  (3, 3, -10), (1, 1)])
def test_tri_indices(args):
    check(lambda m: m.tril_indices(*args))
    check(lambda m: m.triu_indices(*args))
    check(lambda m: m.tril_indices(*args, dtype=m.int32))


def test_tri_indices_errors():
    check(lambda m: m.triu_indices(3, 3, dtype=m.float32), match=True)
    check(lambda m: m.tril_indices(3, 3, dtype=m.float32), match=True)


@pytest.mark.parametrize("off", [0, 1, -2, 4])
def test_diag(off):
    check(lambda m, x: m.diag(x, off), x=R(3), grad=True)
    check(lambda m, x: m.diag(x, off), x=R(3, 4), grad=True)
    check(lambda m, x: x.diag(off), x=R(4, 3), grad=True)
    check(lambda m, x: m.diag(x.t(), off), x=I(3, 4))
    check(lambda m, x: m.diagflat(x, off), x=R(2, 3), grad=True)
    check(lambda m, x: m.diagflat(x.t(), off), x=R(2, 3), grad=True)


def test_diag_errors_and_names():
    check(lambda m, x: m.diag(x), x=R(2, 3, 4), match=True)
    check(lambda m, x: m.diag(x), x=R(), match=True)
    for m in (torch, ember):
        t = m.ones(3, 3, requires_grad=True)
        assert name(m.diag(t)) == "DiagonalBackward0_copy"
        assert name(m.diag(t[0])) == "DiagEmbedBackward0"
    gc(lambda x: ember.diag(x, 1), (3, 4))
    gc(lambda x: ember.diag(x, -1), (3,))


@pytest.mark.parametrize("off,d1,d2", [(0, -2, -1), (1, 0, 2), (-1, -2, -1), (2, 2, 0),
                                       (0, 1, 0), (-2, 0, 1)])
def test_diag_embed(off, d1, d2):
    check(lambda m, x: m.diag_embed(x, off, d1, d2), x=R(2, 3), grad=True)
    check(lambda m, x: x.diag_embed(off, d1, d2), x=I(2, 3))


def test_diag_embed_errors():
    check(lambda m, x: m.diag_embed(x, 0, 1, 1), x=R(2, 3), match=True)
    check(lambda m, x: m.diag_embed(x, 0, 1, 3), x=R(2, 3), match=True)
    gc(lambda x: ember.diag_embed(x, 1, 0, 2), (2, 3))


def test_block_diag():
    check(lambda m, a, b, c, d: m.block_diag(a, b, c, d), a=R(2, 3), b=R(3), c=R(), d=R(1, 1),
          grad=True)
    check(lambda m, a, b: m.block_diag(a, b), a=I(2, 3), b=R(3), grad=True)
    check(lambda m, a: m.block_diag(a), a=R(2, 2), grad=True)
    check(lambda m, a, b: m.block_diag(a, b), a=R(0, 2), b=R(2, 0))
    check(lambda m: m.block_diag())
    check(lambda m, a: m.block_diag(a), a=R(2, 2, 2), match=True)
    gc(lambda a, b: ember.block_diag(a, b), (2, 3), (2,))


# --- grids, combinations ------------------------------------------------------------------

@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    check(lambda m, a, b: m.meshgrid(a, b, indexing=indexing), a=R(2), b=R(3), grad=True)
    check(lambda m, a, b, c: m.meshgrid([a, b, c], indexing=indexing), a=R(2), b=R(3), c=R(4),
          grad=True)
    # ember's expand gives size-1 dims stride 0 where torch keeps the old stride
    check(lambda m, a, b: m.meshgrid(a, b, indexing=indexing), a=R(), b=R(3), grad=True,
          check_stride=False)
    check(lambda m, a: m.meshgrid(a, indexing=indexing), a=R(3), grad=True)
    check(lambda m, a, b: m.meshgrid(a, b, indexing=indexing), a=I(2), b=I(4))


def test_meshgrid_warning_and_errors():
    for m in (torch, ember):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m.meshgrid(m.ones(2), m.ones(3))
        texts = [str(x.message) for x in w]
        assert len(texts) == 1 and texts[0].startswith(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument."), texts
        assert w[0].category is UserWarning
    check(lambda m, a, b: m.meshgrid(a, b, indexing="foo"), a=R(2), b=R(3), match=True)
    check(lambda m, a, b: m.meshgrid(a, b.float(), indexing="ij"), a=R(2), b=R(3), match=True)
    check(lambda m, a, b: m.meshgrid(a, b, indexing="ij"), a=R(2, 2), b=R(3))


def test_cartesian_prod():
    check(lambda m, a, b: m.cartesian_prod(a, b), a=R(2), b=R(3), grad=True)
    check(lambda m, a, b, c: m.cartesian_prod(a, b, c), a=I(2), b=I(3), c=I(2))
    check(lambda m, a: m.cartesian_prod(a), a=R(3), grad=True)
    check(lambda m, a, b: m.cartesian_prod(a, b), a=R(2, 2), b=R(3), match=True)


@pytest.mark.parametrize("r", [0, 1, 2, 3, 5])
@pytest.mark.parametrize("rep", [False, True])
def test_combinations(r, rep):
    check(lambda m, a: m.combinations(a, r, with_replacement=rep), a=R(4), grad=True)
    check(lambda m, a: m.combinations(a, r, rep), a=I(3))


def test_combinations_errors():
    check(lambda m, a: m.combinations(a), a=R(3, 3), match=True)
    check(lambda m, a: m.combinations(a, -1), a=R(3), match=True)


# --- cdist, narrow_copy ---------------------------------------------------------------------

@pytest.mark.parametrize("p", [2.0, 1.0, 0.0, 3.0, float("inf"), 0.5])
def test_cdist(p):
    check(lambda m, a, b: m.cdist(a, b, p=p), a=R(4, 3), b=R(5, 3), grad=True, rtol=1e-6,
          atol=1e-8)
    check(lambda m, a, b: m.cdist(a, b, p=p), a=R(2, 4, 3), b=R(5, 3), grad=True, rtol=1e-6,
          atol=1e-8)
    check(lambda m, a, b: m.cdist(a, b, p=p), a=R(4, 3, dtype="float32"),
          b=R(1, 5, 3, dtype="float32"), rtol=1e-4, atol=1e-5)


def test_cdist_mm_path():
    a, b = R(30, 4), R(27, 4)
    check(lambda m, a, b: m.cdist(a, b), a=a, b=b, grad=True, rtol=1e-6, atol=1e-8)
    check(lambda m, a, b: m.cdist(a, b, compute_mode="use_mm_for_euclid_dist"), a=R(3, 4),
          b=R(5, 4), grad=True, rtol=1e-6, atol=1e-8)
    check(lambda m, a, b: m.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist"), a=a, b=b,
          grad=True, rtol=1e-6, atol=1e-8)
    check(lambda m, a, b: m.cdist(a, b), a=R(2, 30, 4, dtype="float32"),
          b=R(27, 4, dtype="float32"), rtol=1e-3, atol=1e-4)
    for m in (torch, ember):
        x = m.ones(30, 2, requires_grad=True)
        assert name(m.cdist(x, x)) == "ViewBackward0"
        assert name(m.cdist(x[:3], x[:4])) == "CdistBackward0"


def test_cdist_errors_and_gradcheck():
    for fn in [lambda m, a: m.cdist(a, a[:, :2]), lambda m, a: m.cdist(a[0], a),
               lambda m, a: m.cdist(a, a, p=-1), lambda m, a: m.cdist(a.long(), a.long())]:
        check(fn, a=R(4, 3), match=True)
    for p in (1.0, 2.0, 3.0):
        gc(lambda a, b: ember.cdist(a, b, p=p), (3, 2), (4, 2))


def test_narrow_copy():
    check(lambda m, x: m.narrow_copy(x, 0, 1, 2), x=R(4, 3), grad=True)
    check(lambda m, x: x.narrow_copy(1, -2, 2), x=R(4, 3))  # torch's backward fails here
    check(lambda m, x: x.t().narrow_copy(1, 0, 4), x=R(4, 3), grad=True)
    check(lambda m, x: m.narrow_copy(x, 0, 3, 2), x=R(4, 3), match=True)
    gc(lambda x: ember.narrow_copy(x, 1, 1, 1), (2, 3))


def test_torch_level_linalg_aliases():
    a = R(3, 3) + 3 * np.eye(3)
    check(lambda m, a: m.det(a), a=a, grad=True)
    check(lambda m, a: m.inverse(a), a=a, grad=True)
    check(lambda m, a: a.inverse(), a=a, grad=True)
    check(lambda m, a: m.logdet(a @ a.t()), a=a, grad=True)
    check(lambda m, a: m.logdet(-a @ a.t()), a=a)
    check(lambda m, a: m.slogdet(a), a=a, grad=True)
    check(lambda m, a: m.pinverse(a[:2]), a=a, grad=True)
    check(lambda m, a: m.matrix_power(a, 3), a=a, grad=True)
    check(lambda m, a: a.matrix_exp(), a=a, grad=True)
    check(lambda m, a: m.dist(a, a.t(), 3), a=a, grad=True)
    check(lambda m, a: m.norm(a), a=a, grad=True)
    check(lambda m, a: a.norm(1, dim=0), a=a, grad=True)
    check(lambda m, a: m.norm(a, "nuc"), a=a, grad=True)
    check(lambda m, a: m.norm(a, float("inf"), dim=(0, 1), keepdim=True), a=a, grad=True)
    check(lambda m, a: m.qr(a), a=a, match=True)
    check(lambda m, a: a.qr(some=False), a=a, match=True)
    check(lambda m, a: m.cholesky(a), a=a, match=True)
    # singular vectors are unique up to sign, and MKL and OpenBLAS pick signs differently
    t_out, e_out = check(lambda m, a: [t.abs() for t in m.svd(a[:2])], a=a)
    assert type(torch.svd(torch.eye(2))).__name__ == type(ember.svd(ember.eye(2))).__name__
    assert repr(ember.svd(ember.eye(2))).startswith("ember.return_types.svd(\nU=tensor(")
    check(lambda m, a: m.svd(a, compute_uv=False), a=a, grad=True)
    check(lambda m, a: [t.abs() for t in m.svd(a.t()[:2], some=False)], a=a)
