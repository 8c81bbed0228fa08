"""MultiheadAttention, scaled_dot_product_attention and the Transformer modules vs torch."""
import warnings

import numpy as np
import pytest

from parity import check, same_repr, torch
import ember

RNG = np.random.default_rng(0)


def arr(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _flat(o):
    if isinstance(o, (tuple, list)):
        return [x for y in o for x in _flat(y)]
    return [o]


def both(build, call, inputs, rtol=1e-4, atol=1e-5, grad=True, train=True, seed=0):
    """Build a module under the same seed in torch and ember, run it, compare everything:
    parameters after init, outputs (values, shape, stride, grad_fn name), and the
    gradients of inputs and parameters."""
    res = {}
    for m in (torch, ember):
        m.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod = build(m)
        mod.train(train)
        ins = {k: (m.tensor(v, requires_grad=grad and v.dtype.kind == "f")
                   if isinstance(v, np.ndarray) else v) for k, v in inputs.items()}
        m.manual_seed(seed + 1)
        out = call(m, mod, **ins)
        outs = [o for o in _flat(out) if o is not None]
        if grad:
            sum((o * o).sum() for o in outs if o.requires_grad).backward()
        res[m] = mod, ins, outs
    (tm, tin, tout), (em, ein, eout) = res[torch], res[ember]
    tp, ep = dict(tm.named_parameters()), dict(em.named_parameters())
    assert list(tp) == list(ep)
    assert list(tm.state_dict()) == list(em.state_dict())
    for n in tp:
        np.testing.assert_allclose(ep[n].detach()._data, tp[n].detach().numpy(), rtol=1e-6,
                                   atol=1e-7, err_msg=n)
    assert len(tout) == len(eout)
    for a, b in zip(tout, eout):
        assert tuple(a.shape) == tuple(b.shape)
        assert a.stride() == b.stride(), (a.stride(), b.stride())
        assert (a.grad_fn is None) == (b.grad_fn is None)
        if a.grad_fn is not None:
            assert a.grad_fn.name() == b.grad_fn.name()
        np.testing.assert_allclose(b.detach()._data, a.detach().numpy(), rtol=rtol, atol=atol)
    if grad:
        for k, v in tin.items():
            if isinstance(v, torch.Tensor) and v.requires_grad:
                np.testing.assert_allclose(ein[k].grad._data, v.grad.numpy(), rtol=rtol,
                                           atol=atol, err_msg=k)
        for n in tp:
            if tp[n].grad is None:
                assert ep[n].grad is None, n
                continue
            np.testing.assert_allclose(ep[n].grad._data, tp[n].grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=n)
    return tm, em


def check_err(fn, **inputs):
    """Both raise the same exception type with the same words (``ember.`` for ``torch.``)."""
    errs = []
    for m in (torch, ember):
        with pytest.raises(Exception) as info:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn(m, **{k: m.tensor(v) for k, v in inputs.items()})
        errs.append(info.value)
    assert type(errs[0]).__name__ == type(errs[1]).__name__, errs
    assert str(errs[0]) == str(errs[1]).replace("ember.", "torch."), errs


# --- scaled_dot_product_attention ----------------------------------------------------------

SDPA = lambda m: m.nn.functional.scaled_dot_product_attention  # noqa: E731


@pytest.mark.parametrize("shape_q,shape_k", [((2, 3, 5, 4), (2, 3, 6, 4)), ((3, 5, 4), (3, 6, 4)),
                                             ((5, 4), (6, 4)), ((2, 1, 5, 4), (2, 3, 6, 4))])
def test_sdpa_shapes(shape_q, shape_k):
    check(lambda m, q, k, v: SDPA(m)(q, k, v), q=arr(*shape_q), k=arr(*shape_k),
          v=arr(*shape_k), grad=True, atol=1e-5)
    out = SDPA(ember)(ember.tensor(arr(*shape_q), requires_grad=True),
                      ember.tensor(arr(*shape_k)), ember.tensor(arr(*shape_k)))
    ref = SDPA(torch)(torch.tensor(arr(*shape_q), requires_grad=True),
                      torch.tensor(arr(*shape_k)), torch.tensor(arr(*shape_k)))
    assert out.grad_fn.name() == ref.grad_fn.name()


@pytest.mark.parametrize("kind", ["bool", "float", "causal", "scale", "rowmasked", "bcast"])
def test_sdpa_masks(kind):
    q, k, v = arr(2, 2, 5, 4), arr(2, 2, 6, 4), arr(2, 2, 6, 3)
    if kind == "bool":
        mask = RNG.random((5, 6)) > 0.3
        mask[:, 0] = True
        fn = lambda m, q, k, v, mask: SDPA(m)(q, k, v, attn_mask=mask)  # noqa: E731
        check(fn, q=q, k=k, v=v, mask=mask, grad=True)
    elif kind == "float":
        check(lambda m, q, k, v, mask: SDPA(m)(q, k, v, attn_mask=mask), q=q, k=k, v=v,
              mask=arr(2, 1, 5, 6), grad=True)
    elif kind == "causal":
        check(lambda m, q, k, v: SDPA(m)(q, k, v, is_causal=True), q=q, k=k[:, :, :5],
              v=v[:, :, :5], grad=True)
    elif kind == "scale":
        check(lambda m, q, k, v: SDPA(m)(q, k, v, scale=0.3), q=q, k=k, v=v, grad=True)
    elif kind == "rowmasked":  # a query row that may attend nowhere gives zeros, not NaN
        mask = np.ones((5, 6), bool)
        mask[2] = False
        check(lambda m, q, k, v, mask: SDPA(m)(q, k, v, attn_mask=mask), q=q, k=k, v=v,
              mask=mask, grad=True)
        check(lambda m, q, k, v, mask: SDPA(m)(q, k, v, attn_mask=mask), q=q[0, 0],
              k=k[0, 0], v=v[0, 0], mask=mask, grad=True)
    else:
        check(lambda m, q, k, v, mask: SDPA(m)(q, k, v, attn_mask=mask), q=q, k=k, v=v,
              mask=arr(2, 2, 5, 6) > 0, grad=True)


def test_sdpa_gqa_and_dropout_and_double():
    q, k, v = arr(2, 4, 5, 8), arr(2, 2, 6, 8), arr(2, 2, 6, 8)
    check(lambda m, q, k, v: SDPA(m)(q, k, v, enable_gqa=True), q=q, k=k, v=v, grad=True)
    check(lambda m, q, k, v: SDPA(m)(q, k, v, enable_gqa=True, is_causal=True), q=q[0],
          k=k[0], v=v[0], grad=True)

    def drop(m, q, k, v):
        m.manual_seed(3)
        return SDPA(m)(q, k, v, dropout_p=0.4)
    check(drop, q=q, k=q, v=q, grad=True)
    check(lambda m, q, k, v: SDPA(m)(q, k, v), q=q.astype(np.float64), k=q.astype(np.float64),
          v=q.astype(np.float64), grad=True, rtol=1e-10, atol=1e-12)


def test_sdpa_gradcheck():
    def f(q, k, v):
        return SDPA(ember)(q, k, v, attn_mask=mask)
    mask = ember.tensor(RNG.random((3, 4)) > 0.2)
    ts = [ember.tensor(RNG.standard_normal(s), requires_grad=True)
          for s in ((2, 3, 5), (2, 4, 5), (2, 4, 5))]
    assert ember.autograd.gradcheck(f, ts)
    ts2 = [ember.tensor(RNG.standard_normal((3, 5)), requires_grad=True) for _ in range(3)]
    assert ember.autograd.gradcheck(lambda q, k, v: SDPA(ember)(q, k, v, is_causal=True), ts2)


@pytest.mark.parametrize("case", range(7))
def test_sdpa_errors(case):
    q, k, v = arr(2, 4, 5, 8), arr(2, 4, 6, 8), arr(2, 4, 6, 8)
    fns = [
        lambda m, q, k, v: SDPA(m)(q, k.double(), v),
        lambda m, q, k, v: SDPA(m)(q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]),
        lambda m, q, k, v: SDPA(m)(q, k, v, attn_mask=m.ones(5, 6, dtype=m.int64)),
        lambda m, q, k, v: SDPA(m)(q, k, v, attn_mask=m.ones(5, 6, dtype=m.bool),
                                   is_causal=True),
        lambda m, q, k, v: SDPA(m)(q, k[:, :2], v[:, :2]),
        lambda m, q, k, v: SDPA(m)(q, k[:, :3], v[:, :3], enable_gqa=True),
        lambda m, q, k, v: SDPA(m)(q, k[..., :7], v),
    ]
    check(fns[case], q=q, k=k, v=v, match=True)


# --- MultiheadAttention ----------------------------------------------------------------------

MHA = lambda **kw: (lambda m: m.nn.MultiheadAttention(8, 2, **kw))  # noqa: E731


def test_mha_repr_and_init():
    tm, em = both(MHA(), lambda m, mod, x: mod(x, x, x), {"x": arr(5, 3, 8)})
    same_repr(tm, em)
    both(MHA(kdim=3, vdim=5, add_bias_kv=True), lambda m, mod, q, k, v: mod(q, k, v),
         {"q": arr(5, 3, 8), "k": arr(6, 3, 3), "v": arr(6, 3, 5)})


@pytest.mark.parametrize("kw,call", [
    ({}, "self"), ({}, "self_noweights"), ({}, "self_heads"), ({"batch_first": True}, "self"),
    ({"batch_first": True}, "self_noweights"), ({}, "cross"), ({}, "separate"),
    ({"bias": False}, "self"), ({"add_bias_kv": True}, "self"), ({"add_zero_attn": True}, "self"),
    ({"add_bias_kv": True, "add_zero_attn": True}, "masks"), ({}, "masks"),
    ({}, "masks_noweights"), ({}, "float_masks"), ({}, "mask3d"), ({}, "causal"),
    ({}, "unbatched"), ({"dropout": 0.3}, "dropout"), ({"dropout": 0.3}, "dropout_noweights"),
    ({"kdim": 3, "vdim": 5}, "kv")])
def test_mha(kw, call):
    x, mem = arr(5, 3, 8), arr(6, 3, 8)
    kpm = np.zeros((3, 6), bool)
    kpm[0, 4:] = True
    kpm5 = np.zeros((3, 5), bool)
    kpm5[1, 3:] = True
    am = RNG.random((5, 5)) > 0.7
    np.fill_diagonal(am, False)
    am6 = RNG.random((5, 6)) > 0.7
    am6[:, 5] = False
    calls = {
        "self": (lambda m, mod, x: mod(x, x, x), {"x": x}),
        "self_noweights": (lambda m, mod, x: mod(x, x, x, need_weights=False), {"x": x}),
        "self_heads": (lambda m, mod, x: mod(x, x, x, average_attn_weights=False), {"x": x}),
        "cross": (lambda m, mod, x, y: mod(x, y, y), {"x": x, "y": mem}),
        "separate": (lambda m, mod, x, y, z: mod(x, y, z), {"x": x, "y": mem, "z": arr(6, 3, 8)}),
        "masks": (lambda m, mod, x, y, kpm, am: mod(x, y, y, key_padding_mask=kpm,
                                                    attn_mask=am),
                  {"x": x, "y": mem, "kpm": kpm, "am": am6}),
        "masks_noweights": (lambda m, mod, x, kpm, am: mod(x, x, x, key_padding_mask=kpm,
                                                           attn_mask=am, need_weights=False),
                            {"x": x, "kpm": kpm5, "am": am}),
        "float_masks": (lambda m, mod, x, am: mod(x, x, x, attn_mask=am), {"x": x,
                                                                          "am": arr(5, 5)}),
        "mask3d": (lambda m, mod, x, am: mod(x, x, x, attn_mask=am),
                   {"x": x, "am": RNG.random((6, 5, 5)) > 0.8}),
        "causal": (lambda m, mod, x: mod(
            x, x, x, attn_mask=m.nn.Transformer.generate_square_subsequent_mask(5),
            is_causal=True, need_weights=False), {"x": x}),
        "unbatched": (lambda m, mod, x: mod(x, x, x), {"x": x[:, 0]}),
        "dropout": (lambda m, mod, x: mod(x, x, x), {"x": x}),
        "dropout_noweights": (lambda m, mod, x: mod(x, x, x, need_weights=False), {"x": x}),
        "kv": (lambda m, mod, x, k, v: mod(x, k, v), {"x": x, "k": arr(6, 3, 3),
                                                      "v": arr(6, 3, 5)}),
    }
    fn, ins = calls[call]
    if kw.get("batch_first"):
        ins = {k: v.transpose(1, 0, 2).copy() for k, v in ins.items()}
    both(MHA(**kw), fn, ins)


def test_mha_eval_no_grad_fast_path_layout():
    x = arr(3, 5, 8)
    for m in (torch, ember):
        m.manual_seed(0)
    tm, em = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval(), \
        ember.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    with torch.no_grad(), ember.no_grad():
        xt, xe = torch.tensor(x), ember.tensor(x)
        a, aw = tm(xt, xt, xt)
        b, bw = em(xe, xe, xe)
    assert a.stride() == b.stride() and aw.stride() == bw.stride()
    np.testing.assert_allclose(b._data, a.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", range(6))
def test_mha_errors(case):
    x = arr(5, 3, 8)
    fns = [
        lambda m, x: m.nn.MultiheadAttention(8, 3),
        lambda m, x: m.nn.MultiheadAttention(0, 2),
        lambda m, x: m.nn.MultiheadAttention(8, 2)(x, x[:, :, :4], x),
        lambda m, x: m.nn.MultiheadAttention(8, 2)(x, x, x, attn_mask=m.ones(4, 4)),
        lambda m, x: m.nn.MultiheadAttention(8, 2)(x, x, x, key_padding_mask=m.ones(3, 4)),
        lambda m, x: m.nn.MultiheadAttention(8, 2)(x, x, x, is_causal=True),
    ]
    check_err(fns[case], x=x)


# --- Transformer layers ------------------------------------------------------------------------

ENC = dict(d_model=8, nhead=2, dim_feedforward=16)


@pytest.mark.parametrize("kw", [{}, {"dropout": 0.0}, {"norm_first": True, "dropout": 0.0},
                                {"activation": "gelu", "dropout": 0.0},
                                {"batch_first": True, "dropout": 0.0},
                                {"bias": False, "dropout": 0.0}, {"dropout": 0.2}])
def test_encoder_layer(kw):
    x = arr(5, 3, 8)
    if kw.get("batch_first"):
        x = x.transpose(1, 0, 2).copy()
    tm, em = both(lambda m: m.nn.TransformerEncoderLayer(**ENC, **kw),
                  lambda m, mod, x: mod(x), {"x": x})
    same_repr(tm, em)


@pytest.mark.filterwarnings("ignore:Support for mismatched")
def test_encoder_layer_callable_activation_and_masks():
    x = arr(5, 3, 8)
    kpm = np.zeros((3, 5), bool)
    kpm[2, 3:] = True
    both(lambda m: m.nn.TransformerEncoderLayer(**ENC, dropout=0.0,
                                                activation=m.nn.functional.silu),
         lambda m, mod, x, kpm: mod(x, src_mask=m.nn.Transformer
                                    .generate_square_subsequent_mask(5),
                                    src_key_padding_mask=kpm), {"x": x, "kpm": kpm})
    both(lambda m: m.nn.TransformerEncoderLayer(**ENC, dropout=0.0, activation=m.nn.GELU()),
         lambda m, mod, x: mod(x[:, 0]), {"x": x})


@pytest.mark.parametrize("kw", [{"dropout": 0.0}, {"norm_first": True, "dropout": 0.0},
                                {"batch_first": True, "dropout": 0.0},
                                # dropout on a transposed (non-contiguous) attention output:
                                # the mask must be drawn in memory order, as PyTorch does
                                {"batch_first": True, "dropout": 0.1}])
def test_decoder_layer(kw):
    x, mem = arr(4, 3, 8), arr(6, 3, 8)
    mkpm = np.zeros((3, 6), bool)
    mkpm[1, 4:] = True
    if kw.get("batch_first"):
        x, mem = x.transpose(1, 0, 2).copy(), mem.transpose(1, 0, 2).copy()
    tm, em = both(lambda m: m.nn.TransformerDecoderLayer(**ENC, **kw),
                  lambda m, mod, x, mem, mkpm: mod(
                      x, mem, tgt_mask=m.nn.Transformer.generate_square_subsequent_mask(4),
                      tgt_is_causal=True, memory_key_padding_mask=mkpm),
                  {"x": x, "mem": mem, "mkpm": mkpm})
    same_repr(tm, em)
    both(lambda m: m.nn.TransformerDecoderLayer(**ENC, **kw),
         lambda m, mod, x, mem: mod(x[0], mem[0]), {"x": x, "mem": mem})


def test_encoder_decoder_stacks():
    x, mem = arr(5, 3, 8), arr(6, 3, 8)
    tm, em = both(lambda m: m.nn.TransformerEncoder(
        m.nn.TransformerEncoderLayer(**ENC, dropout=0.0), 2, norm=m.nn.LayerNorm(8),
        enable_nested_tensor=False), lambda m, mod, x: mod(x, mask=m.nn.Transformer
                                                           .generate_square_subsequent_mask(5)),
        {"x": x})
    same_repr(tm, em)
    both(lambda m: m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(**ENC, dropout=0.0), 2),
         lambda m, mod, x, mem: mod(x, mem), {"x": x, "mem": mem})


def test_encoder_nested_tensor_warning():
    for m in (torch, ember):
        with pytest.warns(UserWarning) as rec:
            m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(8, 2), 2)
        msgs = [str(r.message) for r in rec]
        if m is torch:
            expected = msgs
    assert msgs == expected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(8, 2, batch_first=True), 2)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_full():
    src, tgt = arr(6, 2, 8), arr(4, 2, 8)
    tm, em = both(lambda m: m.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2,
                                             num_decoder_layers=1, dim_feedforward=16,
                                             dropout=0.1),
                  lambda m, mod, s, t: mod(s, t, tgt_mask=mod.generate_square_subsequent_mask(4)),
                  {"s": src, "t": tgt})
    same_repr(tm, em)
    check(lambda m: m.nn.Transformer.generate_square_subsequent_mask(4))
    check(lambda m: m.nn.Transformer.generate_square_subsequent_mask(3, dtype=m.float64))
    check(lambda m, s, t: m.nn.Transformer(d_model=8, nhead=2)(s, t[:, :1]), s=src, t=tgt,
          match=True)
    check(lambda m, s, t: m.nn.Transformer(d_model=8, nhead=2)(s, t[..., :4]), s=src, t=tgt,
          match=True)


def test_transformer_train_steps_match():
    """A few SGD steps of a small encoder under the same seed give torch's losses."""
    x, y = arr(6, 4, 8), arr(6, 4, 8)
    losses = {}
    for m in (torch, ember):
        m.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enc = m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(**ENC, dropout=0.1), 2)
        opt = m.optim.SGD(enc.parameters(), lr=0.1)
        xt, yt = m.tensor(x), m.tensor(y)
        out = []
        for _ in range(3):
            opt.zero_grad()
            loss = ((enc(xt) - yt) ** 2).mean()
            loss.backward()
            opt.step()
            out.append(loss.item())
        losses[m] = out
    np.testing.assert_allclose(losses[ember], losses[torch], rtol=1e-5)
