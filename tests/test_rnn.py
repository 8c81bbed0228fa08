"""RNN, LSTM, GRU, their cells and nn.utils.rnn (packing) against torch."""
import warnings

import numpy as np
import pytest

from parity import check, same_repr, torch
import ember

pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections is not supported")
RNG = np.random.default_rng(0)
TR = torch.nn.utils.rnn
ER = ember.nn.utils.rnn


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def make_pair(name, *args, dtype=None, **kw):
    mods = []
    for m in (torch, ember):
        m.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = getattr(m.nn, name)(*args, **kw)
        if dtype == "float64":
            mod = mod.double()
        mods.append(mod)
    return mods


def assert_params_equal(tm, em, grads=False, rtol=1e-4, atol=1e-5):
    tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(tp) == list(ep)
    assert list(tm.state_dict()) == list(em.state_dict())
    for n in tp:
        if grads:
            np.testing.assert_allclose(ep[n].grad._data, tp[n].grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=n)
        else:
            np.testing.assert_array_equal(ep[n].detach()._data, tp[n].detach().numpy(), n)


def _states(h):
    return list(h) if isinstance(h, tuple) else [h]


def _t(m, a, grad=True):
    return m.tensor(a, requires_grad=grad)


def run_both(name, ctor_kw, x, hx=None, dtype=None, rtol=1e-5, atol=1e-6, train=False):
    """Same seed, same input: outputs, states, strides, grad_fn names and all gradients."""
    tm, em = make_pair(name, 3, 5, dtype=dtype, **ctor_kw)
    tm.train(train)
    em.train(train)
    assert_params_equal(tm, em)
    res = []
    for m, mod in ((torch, tm), (ember, em)):
        xin = _t(m, x)
        args = [xin]
        if hx is not None:
            args.append(tuple(_t(m, h) for h in hx) if isinstance(hx, tuple) else _t(m, hx))
        m.manual_seed(7)
        out, h = mod(*args)
        states = _states(h)
        (out.pow(2).sum() + sum((s * s.sin()).sum() for s in states)).backward()
        res.append((out, states, args))
    (to, ts, targs), (eo, es, eargs) = res
    for a, b in zip([to] + ts, [eo] + es):
        assert tuple(a.shape) == tuple(b.shape) and a.stride() == b.stride()
        assert a.grad_fn.name() == b.grad_fn.name(), (a.grad_fn.name(), b.grad_fn.name())
        np.testing.assert_allclose(b.detach()._data, a.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(eargs[0].grad._data, targs[0].grad.numpy(), rtol=10 * rtol,
                               atol=10 * atol)
    if hx is not None:
        for a, b in zip(_states(targs[1]), _states(eargs[1])):
            np.testing.assert_allclose(b.grad._data, a.grad.numpy(), rtol=10 * rtol,
                                       atol=10 * atol)
    assert_params_equal(tm, em, grads=True, rtol=10 * rtol, atol=10 * atol)
    return tm, em


CONFIGS = [{}, {"num_layers": 2}, {"bidirectional": True}, {"batch_first": True},
           {"bias": False}, {"num_layers": 2, "bidirectional": True, "batch_first": True}]


@pytest.mark.parametrize("kw", CONFIGS + [{"proj_size": 2},
                                          {"proj_size": 3, "num_layers": 2,
                                           "bidirectional": True}])
def test_lstm(kw):
    run_both("LSTM", kw, arr(6, 4, 3))


@pytest.mark.parametrize("kw", CONFIGS)
def test_gru(kw):
    run_both("GRU", kw, arr(6, 4, 3))


@pytest.mark.parametrize("kw", CONFIGS + [{"nonlinearity": "relu", "num_layers": 2}])
def test_rnn(kw):
    run_both("RNN", kw, arr(6, 4, 3))


def test_initial_states_and_unbatched():
    h = arr(2, 4, 5)
    run_both("LSTM", {"bidirectional": True}, arr(6, 4, 3), (h, arr(2, 4, 5)))
    run_both("LSTM", {"proj_size": 2}, arr(6, 4, 3), (arr(1, 4, 2), arr(1, 4, 5)))
    run_both("GRU", {"num_layers": 2}, arr(6, 4, 3), h)
    run_both("RNN", {"batch_first": True}, arr(4, 6, 3), arr(1, 4, 5))
    run_both("LSTM", {}, arr(6, 3), (arr(1, 5), arr(1, 5)))
    run_both("GRU", {"batch_first": True}, arr(6, 3))
    run_both("RNN", {"num_layers": 2}, arr(6, 3), arr(2, 5))


def test_float64_and_dropout_between_layers():
    run_both("LSTM", {"num_layers": 2}, arr(5, 2, 3, dtype=np.float64), dtype="float64",
             rtol=1e-10, atol=1e-12)
    run_both("GRU", {"bidirectional": True}, arr(5, 2, 3, dtype=np.float64), dtype="float64",
             rtol=1e-10, atol=1e-12)
    for name in ("LSTM", "GRU", "RNN"):  # the same seed gives the same dropout masks
        run_both(name, {"num_layers": 3, "dropout": 0.4}, arr(5, 2, 3), train=True)


def test_default_init_and_reprs():
    cases = [("RNN", (10, 20), {"num_layers": 2}),
             ("RNN", (10, 20, 2, "relu", False, True, 0.0, True), {}),
             ("LSTM", (10, 20), {"proj_size": 5, "num_layers": 2, "bidirectional": True}),
             ("LSTM", (10, 20), {"dropout": 0.5, "num_layers": 2, "batch_first": True}),
             ("GRU", (10, 20), {"bias": False, "bidirectional": True}),
             ("RNNCell", (10, 20), {"nonlinearity": "relu"}), ("RNNCell", (10, 20), {}),
             ("LSTMCell", (10, 20), {"bias": False}), ("GRUCell", (10, 20), {})]
    for name, args, kw in cases:
        tm, em = make_pair(name, *args, **kw)
        assert_params_equal(tm, em)
        same_repr(tm, em)
        if hasattr(tm, "all_weights"):
            assert [[tuple(p.shape) for p in ws] for ws in tm.all_weights] == \
                [[tuple(p.shape) for p in ws] for ws in em.all_weights]
            em.flatten_parameters()


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("sorted_", [True, False])
def test_packed_input(name, sorted_):
    lengths = [6, 4, 3, 1] if sorted_ else [3, 6, 1, 4]
    x = arr(6, 4, 3)
    kw = {"num_layers": 2, "bidirectional": True}
    tm, em = make_pair(name, 3, 5, **kw)
    res = []
    for m, R, mod in ((torch, TR, tm), (ember, ER, em)):
        xin = _t(m, x)
        packed = R.pack_padded_sequence(xin, lengths, enforce_sorted=sorted_)
        out, h = mod(packed)
        assert isinstance(out, R.PackedSequence)
        padded, lens = R.pad_packed_sequence(out, batch_first=True)
        (padded.pow(2).sum() + sum(s.pow(3).sum() for s in _states(h))).backward()
        res.append((out, padded, lens, _states(h), xin))
    (to, tp, tl, th, tx), (eo, ep, el, eh, ex) = res
    assert eo.data.grad_fn.name() == to.data.grad_fn.name()
    np.testing.assert_array_equal(eo.batch_sizes._data, to.batch_sizes.numpy())
    np.testing.assert_array_equal(el._data, tl.numpy())
    for a, b in zip([to.data, tp] + th, [eo.data, ep] + eh):
        assert a.stride() == b.stride()
        np.testing.assert_allclose(b.detach()._data, a.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ex.grad._data, tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert_params_equal(tm, em, grads=True)


def test_packed_with_initial_state():
    lengths = [2, 5, 3]
    x, h0, c0 = arr(5, 3, 3), arr(1, 3, 5), arr(1, 3, 5)
    tm, em = make_pair("LSTM", 3, 5)
    outs = []
    for m, R, mod in ((torch, TR, tm), (ember, ER, em)):
        p = R.pack_padded_sequence(m.tensor(x), lengths, enforce_sorted=False)
        out, (h, c) = mod(p, (m.tensor(h0), m.tensor(c0)))
        outs.append([out.data, h, c])
    for a, b in zip(*outs):
        np.testing.assert_allclose(b.detach()._data, a.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_gradcheck_layers():
    ember.manual_seed(0)
    x = ember.tensor(RNG.standard_normal((4, 2, 3)), requires_grad=True)
    for name, kw in (("LSTM", {"proj_size": 2, "bidirectional": True}), ("GRU", {}),
                     ("RNN", {"nonlinearity": "tanh", "num_layers": 2})):
        mod = getattr(ember.nn, name)(3, 4, **kw).double()
        params = list(mod.parameters())

        def f(x, *ps):
            out, h = mod(x)
            return (out,) + tuple(_states(h))
        assert ember.autograd.gradcheck(f, (x, *params))
    gru = ember.nn.GRU(3, 4).double()
    xs = ember.tensor(RNG.standard_normal((6, 3)), requires_grad=True)

    def g(xs):
        out, h = gru(ER.pack_sequence([xs[:3], xs[3:5], xs[5:]]))
        return out.data, h
    assert ember.autograd.gradcheck(g, (xs,))


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells(name):
    tm, em = make_pair(name, 3, 5)
    x, h = arr(4, 3), arr(4, 5)
    for batched in (True, False):
        outs = []
        for m, mod in ((torch, tm), (ember, em)):
            xi = _t(m, x if batched else x[0])
            hi = h if batched else h[0]
            state = (_t(m, hi), _t(m, hi * 0.5)) if name == "LSTMCell" else _t(m, hi)
            r = _states(mod(xi, state))
            sum((s * s.cos()).sum() for s in r).backward()
            outs.append((r, xi))
        for a, b in zip(outs[0][0], outs[1][0]):
            assert a.grad_fn.name() == b.grad_fn.name()
            np.testing.assert_allclose(b.detach()._data, a.detach().numpy(), rtol=1e-5,
                                       atol=1e-6)
        np.testing.assert_allclose(outs[1][1].grad._data, outs[0][1].grad.numpy(), rtol=1e-4,
                                   atol=1e-5)
        assert_params_equal(tm, em, grads=True)
        for mod in (tm, em):
            mod.zero_grad()
    check(lambda m, x: _states(getattr(m.nn, name)(3, 5)(x)), x=x)  # zero initial state


ERRORS = [
    lambda m, x: m.nn.LSTM(10, 20)(x),
    lambda m, x: m.nn.LSTM(5, 20)(x, (m.zeros(1, 3, 20), m.zeros(1, 4, 20))),
    lambda m, x: m.nn.GRU(5, 20)(x, m.zeros(2, 3, 20)),
    lambda m, x: m.nn.RNN(5, 20)(x.unsqueeze(0)),
    lambda m, x: m.nn.LSTM(5, 20)(x[0], (m.zeros(1, 3, 20), m.zeros(1, 3, 20))),
    lambda m, x: m.nn.GRU(5, 20)(x, m.zeros(3, 20)),
    lambda m, x: m.nn.RNN(5, 20, nonlinearity="sigmoid"),
    lambda m, x: m.nn.GRU(5, 20, proj_size=3),
    lambda m, x: m.nn.LSTM(5, 20, proj_size=20),
    lambda m, x: m.nn.LSTM(5, 20, dropout=1.5),
    lambda m, x: m.nn.LSTM(5, 0),
    lambda m, x: m.nn.LSTM(5, 20, num_layers=0),
    lambda m, x: m.nn.LSTM(5.0, 20),
    lambda m, x: m.nn.LSTMCell(10, 20)(x[0]),
    lambda m, x: m.nn.GRUCell(5, 20)(x[0], m.zeros(4, 20)),
    lambda m, x: m.nn.RNNCell(5, 20)(x[0], m.zeros(3, 21)),
    lambda m, x: m.nn.RNNCell(5, 20, nonlinearity="gelu")(x[0]),
    lambda m, x: m.nn.LSTMCell(5, 20)(x),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors(case):
    check(ERRORS[case], x=arr(4, 3, 5), match=True)


def test_dtype_error_message():
    msgs = []
    for m in (torch, ember):
        with pytest.raises(ValueError) as info:
            m.nn.LSTM(5, 20)(m.zeros(4, 3, 5, dtype=m.float64))
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1].replace("ember.", "torch.")


def test_dropout_single_layer_warning():
    for m in (torch, ember):
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater"):
            m.nn.GRU(3, 4, dropout=0.5)


# --- nn.utils.rnn -----------------------------------------------------------------------------

def test_pack_pad_round_trip():
    x = arr(5, 3, 2)
    for kw in ({"lengths": [5, 3, 1]}, {"lengths": [2, 5, 4], "enforce_sorted": False},
               {"lengths": [5, 5, 5]}):
        check(lambda m, x: tuple(m.nn.utils.rnn.pack_padded_sequence(x, **kw)), x=x, grad=True)
        check(lambda m, x: m.nn.utils.rnn.pad_packed_sequence(
            m.nn.utils.rnn.pack_padded_sequence(x, **kw)), x=x, grad=True)
        check(lambda m, x: m.nn.utils.rnn.pad_packed_sequence(
            m.nn.utils.rnn.pack_padded_sequence(x.transpose(0, 1), batch_first=True, **kw),
            batch_first=True, padding_value=-1.0, total_length=7), x=x, grad=True)
    for m, R in ((torch, TR), (ember, ER)):
        p = R.pack_padded_sequence(m.tensor(x), m.tensor([3, 5, 1]), enforce_sorted=False)
        assert p.is_cuda is False
        assert p.to(m.float64).data.dtype == m.float64
        assert p.double().float().data.dtype == m.float32
    same_repr(TR.pack_sequence([torch.ones(3), torch.ones(2)]),
              ER.pack_sequence([ember.ones(3), ember.ones(2)]))


def test_pack_sequence_and_unpack():
    seqs = [arr(4, 2), arr(2, 2), arr(3, 2)]
    check(lambda m, a, b, c: tuple(m.nn.utils.rnn.pack_sequence([a, b, c],
                                                                enforce_sorted=False)),
          a=seqs[0], b=seqs[1], c=seqs[2], grad=True)
    check(lambda m, a, b, c: m.nn.utils.rnn.unpack_sequence(
        m.nn.utils.rnn.pack_sequence([a, b, c], enforce_sorted=False)),
        a=seqs[0], b=seqs[1], c=seqs[2], grad=True)
    for side in ("right", "left"):
        for bf in (False, True):
            check(lambda m, a, b, c: m.nn.utils.rnn.pad_sequence(
                [a, b, c], batch_first=bf, padding_value=2.5, padding_side=side),
                a=seqs[0], b=seqs[1], c=seqs[2], grad=True)
    check(lambda m, x: m.nn.utils.rnn.unpad_sequence(x, m.tensor([4, 1, 3])), x=arr(4, 3, 2),
          grad=True)
    check(lambda m, x: m.nn.utils.rnn.invert_permutation(m.tensor([2, 0, 1])), x=arr(1))


@pytest.mark.parametrize("case", range(5))
def test_pack_errors(case):
    fns = [
        lambda m, x: m.nn.utils.rnn.pack_padded_sequence(x, [2, 4, 1]),
        lambda m, x: m.nn.utils.rnn.pack_padded_sequence(x, [4, 2]),
        lambda m, x: m.nn.utils.rnn.pack_padded_sequence(x, [4, 2, 0]),
        lambda m, x: m.nn.utils.rnn.pad_packed_sequence(
            m.nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1]), total_length=2),
        lambda m, x: m.nn.utils.rnn.pad_sequence([x[0], x[1]], padding_side="middle"),
    ]
    check(fns[case], x=arr(4, 3, 2), match=True)
