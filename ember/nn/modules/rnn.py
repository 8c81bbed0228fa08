"""RNN, LSTM, GRU and their cells.

A recurrent layer runs as one op per (layer, direction): the input projections of
every time step are one matrix product, the loop over time does only the
recurrent product and the gate arithmetic in place, and backward is a hand-written
backpropagation through time on arrays (once differentiable, as PyTorch's fused
kernels are), with the weight gradients again one product each.

Sequences are handled in PyTorch's packed layout: step ``t`` uses rows
``[off_t, off_t + n_t)`` of the (N, features) data and the first ``n_t`` rows of the
running state, so a padded batch is just the case ``n_t = B``.  Rows past ``n_t``
keep their state, which gives each sequence its own final hidden state, in both
directions, without masks.
"""
import math
import numbers
import warnings
from functools import lru_cache

from ..._backend import np
from ..._creation import empty, zeros
from ...autograd.op import Op
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# --- kernels -------------------------------------------------------------------------------

def _sigmoid_(a):
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)


@lru_cache(maxsize=64)
def _lstm_perm(H):
    """PyTorch's gate order (i, f, g, o) -> (i, f, o, g): one sigmoid over 3H columns."""
    return np.concatenate([np.arange(2 * H), np.arange(3 * H, 4 * H), np.arange(2 * H, 3 * H)])


def _prepare(x, w_ih, b_ih, b_hh, perm=None):
    """(N, I) input rows and their projections for every time step, in one product."""
    x2 = x.reshape(-1, x.shape[-1])
    wi = w_ih if perm is None else w_ih[perm]
    pre = x2 @ wi.T
    if b_ih is not None:
        b = b_ih + b_hh if b_hh is not None else b_ih
        pre += b if perm is None else b[perm]
    return x2, pre


def _finish_grads(ctx, dG, x2, hprev, w_ih, dGh=None, perm=None):
    """Weight, bias and input gradients: one product each over all time steps."""
    need = ctx.needs_input_grad
    dGh = dG if dGh is None else dGh

    def unperm(a):
        if perm is None:
            return a
        out = np.empty_like(a)
        out[perm] = a
        return out

    gx = (dG @ (w_ih if perm is None else w_ih[perm])).reshape(ctx.xshape) if need[0] else None
    gwi = unperm(dG.T @ x2) if need[1] else None
    gwh = unperm(dGh.T @ hprev) if need[2] else None
    gbi = unperm(dG.sum(0)) if need[3] else None
    gbh = unperm(dGh.sum(0)) if need[4] else None
    return gx, gwi, gwh, gbi, gbh


def _lstm_fwd(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr, steps):
    H = c0.shape[-1]
    perm = _lstm_perm(H)
    x2, act = _prepare(x, w_ih, b_ih, b_hh, perm)
    B = h0.shape[0]
    whT = w_hh[perm].T
    N, dt = x2.shape[0], act.dtype
    h, c = h0.copy(), c0.copy()
    Hr = h.shape[1]
    y = np.empty((N, Hr), dt)
    rec = ctx is not None
    if rec:
        cprev, hprev, tcs = np.empty((N, H), dt), np.empty((N, Hr), dt), np.empty((N, H), dt)
        ms = np.empty((N, H), dt) if w_hr is not None else None
    tmp, tmp1, tcb = np.empty((B, 4 * H), dt), np.empty((B, H), dt), np.empty((B, H), dt)
    with np.errstate(over="ignore"):
        for o, n in steps:
            seg = slice(o, o + n)
            hp, cp, g, t4 = h[:n], c[:n], act[seg], tmp[:n]
            np.matmul(hp, whT, out=t4)
            g += t4
            _sigmoid_(g[:, :3 * H])
            gg = g[:, 3 * H:]
            np.tanh(gg, out=gg)
            if rec:
                cprev[seg] = cp
                hprev[seg] = hp
            cp *= g[:, H:2 * H]
            t1 = tmp1[:n]
            np.multiply(g[:, :H], gg, out=t1)
            cp += t1
            tc = tcs[seg] if rec else tcb[:n]
            np.tanh(cp, out=tc)
            if w_hr is None:
                np.multiply(g[:, 2 * H:3 * H], tc, out=y[seg])
            else:
                m = ms[seg] if rec else t1
                np.multiply(g[:, 2 * H:3 * H], tc, out=m)
                np.matmul(m, w_hr.T, out=y[seg])
            hp[...] = y[seg]
    if rec:
        ctx.saved = (x2, act, cprev, hprev, tcs, ms)
        ctx.xshape = x.shape
    return y.reshape(x.shape[:-1] + (Hr,)), h, c


def _lstm_bwd(ctx, gy, ghT, gcT):
    x, w_ih, w_hh, b_ih, b_hh, h0, c0, w_hr = (a if a is None else a._data for a in ctx.inputs)
    x2, act, cprev, hprev, tcs, ms = ctx.saved
    steps = ctx.kw["steps"]
    N, H, B, Hr, dt = x2.shape[0], c0.shape[-1], h0.shape[0], h0.shape[-1], act.dtype
    perm = _lstm_perm(H)
    wh = w_hh[perm]
    gy = np.zeros((N, Hr), dt) if gy is None else gy.reshape(N, Hr)
    dh = np.zeros((B, Hr), dt) if ghT is None else ghT.astype(dt, copy=True)
    dc = np.zeros((B, H), dt) if gcT is None else gcT.astype(dt, copy=True)
    # activation derivatives for all steps at once
    fac = np.empty_like(act)
    s = act[:, :3 * H]
    np.multiply(s, s, out=fac[:, :3 * H])
    np.subtract(s, fac[:, :3 * H], out=fac[:, :3 * H])
    gg = act[:, 3 * H:]
    np.multiply(gg, gg, out=fac[:, 3 * H:])
    np.subtract(1, fac[:, 3 * H:], out=fac[:, 3 * H:])
    K = act[:, 2 * H:3 * H] * (1 - tcs * tcs)  # d c / d (projected-out) h through tanh(c)
    dG = np.empty_like(act)
    dhs = np.empty((N, Hr), dt) if w_hr is not None else None
    tmp, tmp1, tmpm = np.empty((B, Hr), dt), np.empty((B, H), dt), np.empty((B, H), dt)
    for o, n in reversed(steps):
        seg = slice(o, o + n)
        dht = tmp[:n]
        np.add(dh[:n], gy[seg], out=dht)
        if w_hr is not None:
            dhs[seg] = dht
            dm = tmpm[:n]
            np.matmul(dht, w_hr, out=dm)
        else:
            dm = dht
        dct, t1, D, A = dc[:n], tmp1[:n], dG[seg], act[seg]
        np.multiply(dm, K[seg], out=t1)
        dct += t1
        np.multiply(dct, A[:, 3 * H:], out=D[:, :H])
        np.multiply(dct, cprev[seg], out=D[:, H:2 * H])
        np.multiply(dm, tcs[seg], out=D[:, 2 * H:3 * H])
        np.multiply(dct, A[:, :H], out=D[:, 3 * H:])
        D *= fac[seg]
        np.matmul(D, wh, out=dh[:n])
        dct *= A[:, H:2 * H]
    gx, gwi, gwh, gbi, gbh = _finish_grads(ctx, dG, x2, hprev, w_ih, perm=perm)
    ghr = dhs.T @ ms if w_hr is not None and ctx.needs_input_grad[7] else None
    return gx, gwi, gwh, gbi, gbh, dh, dc, ghr


def _gru_fwd(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, steps):
    H = h0.shape[-1]
    x2, act = _prepare(x, w_ih, b_ih, None)  # b_hh stays inside r * (.)
    B = h0.shape[0]
    whT = w_hh.T
    N, dt = x2.shape[0], act.dtype
    h = h0.copy()
    y = np.empty((N, H), dt)
    rec = ctx is not None
    if rec:
        hprev, ghn = np.empty((N, H), dt), np.empty((N, H), dt)
    tmp, tmp1 = np.empty((B, 3 * H), dt), np.empty((B, H), dt)
    with np.errstate(over="ignore"):
        for o, n in steps:
            seg = slice(o, o + n)
            hp, g, gh = h[:n], act[seg], tmp[:n]
            np.matmul(hp, whT, out=gh)
            if b_hh is not None:
                gh += b_hh
            rz = g[:, :2 * H]
            rz += gh[:, :2 * H]
            _sigmoid_(rz)
            hn = gh[:, 2 * H:]
            if rec:
                hprev[seg] = hp
                ghn[seg] = hn
            hn *= g[:, :H]
            nn = g[:, 2 * H:]
            nn += hn
            np.tanh(nn, out=nn)
            t1 = tmp1[:n]
            np.subtract(hp, nn, out=t1)
            t1 *= g[:, H:2 * H]
            np.add(t1, nn, out=hp)
            y[seg] = hp
    if rec:
        ctx.saved = (x2, act, hprev, ghn)
        ctx.xshape = x.shape
    return y.reshape(x.shape[:-1] + (H,)), h


def _gru_bwd(ctx, gy, ghT):
    x, w_ih, w_hh, b_ih, b_hh, h0 = (a if a is None else a._data for a in ctx.inputs)
    x2, act, hprev, ghn = ctx.saved
    steps = ctx.kw["steps"]
    N, H, B, dt = x2.shape[0], h0.shape[-1], h0.shape[0], act.dtype
    gy = np.zeros((N, H), dt) if gy is None else gy.reshape(N, H)
    dh = np.zeros((B, H), dt) if ghT is None else ghT.astype(dt, copy=True)
    r, z, nn = act[:, :H], act[:, H:2 * H], act[:, 2 * H:]
    # per-step factors, for all steps at once
    fn = (1 - z) * (1 - nn * nn)           # dh -> d(pre-activation of n)
    fz = z * (1 - z) * (hprev - nn)        # dh -> d(pre-activation of z)
    fr = r * (1 - r) * ghn                 # d(pre n) -> d(pre-activation of r)
    dGi, dGh = np.empty_like(act), np.empty_like(act)
    tmp, tmp1 = np.empty((B, H), dt), np.empty((B, H), dt)
    for o, n in reversed(steps):
        seg = slice(o, o + n)
        dht = tmp[:n]
        np.add(dh[:n], gy[seg], out=dht)
        Di, Dh = dGi[seg], dGh[seg]
        dn = Di[:, 2 * H:]
        np.multiply(dht, fn[seg], out=dn)
        np.multiply(dht, fz[seg], out=Dh[:, H:2 * H])
        np.multiply(dn, fr[seg], out=Dh[:, :H])
        np.multiply(dn, r[seg], out=Dh[:, 2 * H:])
        np.multiply(dht, z[seg], out=dh[:n])
        t1 = tmp1[:n]
        np.matmul(Dh, w_hh, out=t1)
        dh[:n] += t1
    dGi[:, :2 * H] = dGh[:, :2 * H]
    gx, gwi, gwh, gbi, gbh = _finish_grads(ctx, dGi, x2, hprev, w_ih, dGh)
    return gx, gwi, gwh, gbi, gbh, dh


def _rnn_fwd(ctx, x, w_ih, w_hh, b_ih, b_hh, h0, steps, relu):
    x2, y = _prepare(x, w_ih, b_ih, b_hh)  # y: pre-activations, then outputs
    B = h0.shape[0]
    whT = w_hh.T
    N, H, dt = x2.shape[0], h0.shape[-1], y.dtype
    h = h0.copy()
    rec = ctx is not None
    hprev = np.empty((N, H), dt) if rec else None
    tmp = np.empty((B, H), dt)
    for o, n in steps:
        seg = slice(o, o + n)
        hp, s, t = h[:n], y[seg], tmp[:n]
        if rec:
            hprev[seg] = hp
        np.matmul(hp, whT, out=t)
        s += t
        if relu:
            np.maximum(s, 0, out=s)
        else:
            np.tanh(s, out=s)
        hp[...] = s
    if rec:
        ctx.saved = (x2, y, hprev)
        ctx.xshape = x.shape
    return y.reshape(x.shape[:-1] + (H,)), h


def _rnn_bwd(ctx, gy, ghT):
    x, w_ih, w_hh, b_ih, b_hh, h0 = (a if a is None else a._data for a in ctx.inputs)
    x2, y, hprev = ctx.saved
    steps = ctx.kw["steps"]
    N, H, B, dt = x2.shape[0], h0.shape[-1], h0.shape[0], y.dtype
    gy = np.zeros((N, H), dt) if gy is None else gy.reshape(N, H)
    dh = np.zeros((B, H), dt) if ghT is None else ghT.astype(dt, copy=True)
    fac = (y > 0).astype(dt) if ctx.kw["relu"] else 1 - y * y
    dG = np.empty_like(y)
    for o, n in reversed(steps):
        seg = slice(o, o + n)
        D = dG[seg]
        np.add(dh[:n], gy[seg], out=D)
        D *= fac[seg]
        np.matmul(D, w_hh, out=dh[:n])
    gx, gwi, gwh, gbi, gbh = _finish_grads(ctx, dG, x2, hprev, w_ih)
    return gx, gwi, gwh, gbi, gbh, dh


@lru_cache(maxsize=None)
def _layer_op(kind, name):
    """The per-layer op, under the grad_fn name PyTorch's CPU path shows for that case."""
    fwd, bwd, n = {"LSTM": (_lstm_fwd, _lstm_bwd, 3), "GRU": (_gru_fwd, _gru_bwd, 2),
                   "RNN": (_rnn_fwd, _rnn_bwd, 2)}[kind]
    op = Op(name, fwd, raw_backward=True, n_outputs=n)
    op.backward(bwd)
    return op


def _time_steps(T, B, batch_sizes, reverse):
    """(row offset, active rows) per time step, in processing order."""
    if batch_sizes is None:
        steps = [(t * B, B) for t in range(T)]
    else:
        offs = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
        steps = [(int(o), int(n)) for o, n in zip(offs, batch_sizes)]
    return tuple(reversed(steps)) if reverse else tuple(steps)


# --- modules -------------------------------------------------------------------------------

class RNNBase(Module):
    """Parameters, checks and the layer/direction loop shared by RNN, LSTM and GRU."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first",
                     "dropout", "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        for name, val, typ in (("bias", bias, bool), ("batch_first", batch_first, bool),
                               ("input_size", input_size, int),
                               ("hidden_size", hidden_size, int)):
            if not isinstance(val, typ):
                raise TypeError(f"{name} should be of type {typ.__name__}, got: "
                                f"{type(val).__name__}")
            if typ is int and val <= 0:
                raise ValueError(f"{name} must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        gates = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}.get(mode)
        if gates is None:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = gates * hidden_size
        kw = {"device": device, "dtype": dtype}
        real_hidden = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(dirs):
                in_size = input_size if layer == 0 else real_hidden * dirs
                shapes = [(gate_size, in_size), (gate_size, real_hidden)]
                templates = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    shapes += [(gate_size,), (gate_size,)]
                    templates += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    shapes.append((proj_size, hidden_size))
                    templates.append("weight_hr_l{}{}")
                suffix = "_reverse" if direction == 1 else ""
                names = [t.format(layer, suffix) for t in templates]
                for name, shape in zip(names, shapes):
                    setattr(self, name, Parameter(empty(shape, **kw)))
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, w) for w in ws] for ws in self._all_weights]

    def flatten_parameters(self):
        """A no-op: there is no cuDNN weight buffer to compact."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # --- checks, as PyTorch words them -------------------------------------------------------
    def check_input(self, input, batch_sizes):
        wdt = self._flat_weights[0].dtype
        if input.dtype != wdt:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({wdt}). Convert input: input.to({wdt}), or convert model: "
                             f"model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes):
        dirs = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * dirs, self._mini_batch(input, batch_sizes), size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx.index_select(1, permutation)

    # --- the run over layers and directions ---------------------------------------------------
    def _zeros(self, input, batch, size):
        dirs = 2 if self.bidirectional else 1
        return zeros(self.num_layers * dirs, batch, size, dtype=input.dtype)

    def _layer_name(self, input, packed):
        if packed:
            return "CatBackward0"
        if self.mode == "LSTM" and self.proj_size == 0 and input.dtype.name == "float32":
            return "MkldnnRnnLayerBackward0"
        return "StackBackward0"

    def _run(self, input, hx, cx, batch_sizes):
        """input: (T, B, I) or packed (N, I); hx, cx: (L*D, B, H).  -> output, h_n, c_n."""
        packed = batch_sizes is not None
        kind = "LSTM" if self.mode == "LSTM" else "GRU" if self.mode == "GRU" else "RNN"
        op = _layer_op(kind, self._layer_name(input, packed))
        if packed:
            bs = batch_sizes._data.astype(np.int64)
            T = B = None
        else:
            T, B = input.shape[0], input.shape[1]
            bs = None
        steps = [_time_steps(T, B, bs, False), _time_steps(T, B, bs, True)]
        dirs = 2 if self.bidirectional else 1
        weights = self.all_weights
        hs, cs = [], []
        layer_in = input
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                idx = layer * dirs + d
                w = weights[idx]
                w_ih, w_hh = w[0], w[1]
                b_ih, b_hh = (w[2], w[3]) if self.bias else (None, None)
                if kind == "LSTM":
                    w_hr = w[-1] if self.proj_size > 0 else None
                    y, h, c = op(layer_in, w_ih, w_hh, b_ih, b_hh, hx[idx], cx[idx], w_hr,
                                 steps=steps[d])
                    cs.append(c)
                elif kind == "GRU":
                    y, h = op(layer_in, w_ih, w_hh, b_ih, b_hh, hx[idx], steps=steps[d])
                else:
                    y, h = op(layer_in, w_ih, w_hh, b_ih, b_hh, hx[idx], steps=steps[d],
                              relu=self.mode == "RNN_RELU")
                outs.append(y)
                hs.append(h)
            layer_in = outs[0] if dirs == 1 else _cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        from ... import stack
        return layer_in, stack(hs, 0), (stack(cs, 0) if cs else None)

    def _forward_common(self, input, hx):
        """Unpack/unbatch, check, run.  Returns output and the hidden state(s)."""
        is_lstm = self.mode == "LSTM"
        name = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        orig = input
        is_batched = True
        batch_dim = 0 if self.batch_first else 1
        if isinstance(orig, PackedSequence):
            input, batch_sizes, sorted_indices, unsorted_indices = orig
            batch = int(batch_sizes[0])
            if hx is not None:
                hx = self.permute_hidden(hx, sorted_indices)
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                tail = " instead" if is_lstm else " tensor instead"
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got "
                                 f"{input.dim()}D{tail}")
            is_batched = input.dim() == 3
            if not is_batched:
                input = input.unsqueeze(batch_dim)
            if hx is not None:
                hx = self._check_hx_dims(hx, is_batched)
            batch = input.size(0) if self.batch_first else input.size(1)
        if hx is None:
            hx = self._zeros(input, batch, real_hidden)
            if is_lstm:
                hx = (hx, self._zeros(input, batch, self.hidden_size))
        self.check_forward_args(input, hx, batch_sizes)
        h, c = (hx if is_lstm else (hx, None))
        if batch_sizes is None and self.batch_first:
            input = input.transpose(0, 1)
        output, hn, cn = self._run(input, h, c, batch_sizes)
        hidden = (hn, cn) if is_lstm else hn
        if isinstance(orig, PackedSequence):
            return (PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden(hidden, unsorted_indices))
        if self.batch_first:
            output = output.transpose(0, 1) if is_lstm else output.transpose_(0, 1)
        if not is_batched:
            output = output.squeeze(batch_dim)
            hidden = (hn.squeeze(1), cn.squeeze(1)) if is_lstm else hn.squeeze(1)
        return output, self.permute_hidden(hidden, unsorted_indices)

    def _check_hx_dims(self, hx, is_batched):
        if is_batched and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got "
                               f"{hx.dim()}-D tensor")
        if not is_batched:
            if hx.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got "
                                   f"{hx.dim()}-D tensor")
            hx = hx.unsqueeze(1)
        return hx


def _cat(tensors, dim):
    from ... import cat
    return cat(tensors, dim)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or ReLU)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             "or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def __setattr__(self, name, value):
        if name == "nonlinearity" and "_parameters" not in self.__dict__:
            self.__dict__[name] = value  # set before Module.__init__, as PyTorch does
            return
        super().__setattr__(name, value)

    def forward(self, input, hx=None):
        return self._forward_common(input, hx)


class LSTM(RNNBase):
    """Long short-term memory; gates (i, f, g, o); optional projection ``proj_size``."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        dirs = 2 if self.bidirectional else 1
        return (self.num_layers * dirs, self._mini_batch(input, batch_sizes), self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return hx[0].index_select(1, permutation), hx[1].index_select(1, permutation)

    def _check_hx_dims(self, hx, is_batched):
        h, c = hx
        if is_batched and (h.dim() != 3 or c.dim() != 3):
            raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but got "
                               f"({h.dim()}-D, {c.dim()}-D) tensors")
        if not is_batched:
            if h.dim() != 2 or c.dim() != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D but "
                                   f"got ({h.dim()}-D, {c.dim()}-D) tensors")
            return h.unsqueeze(1), c.unsqueeze(1)
        return hx

    def forward(self, input, hx=None):
        return self._forward_common(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit; gates (r, z, n)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward_common(input, hx)


# --- cells: one step, written with ordinary differentiable ops ------------------------------

class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prep(self, name, input, hx, n_states):
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             "instead")
        states = hx if n_states == 2 else (hx,)
        if hx is not None:
            for i, v in enumerate(states):
                if v.dim() not in (1, 2):
                    what = f"hx[{i}]" if n_states == 2 else "hidden"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {v.dim()}D "
                                     "instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            z = zeros(input.size(0), self.hidden_size, dtype=input.dtype)
            states = (z,) * n_states
        elif not batched:
            states = tuple(v.unsqueeze(0) for v in states)
        if input.size(1) != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} "
                               f"expected {self.input_size}")
        for i, v in enumerate(states):
            if input.size(0) != v.size(0):
                raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} "
                                   f"batch size {v.size(0)}")
            if v.size(1) != self.hidden_size:
                raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {v.size(1)}, "
                                   f"expected {self.hidden_size}")
        return input, states, batched


class RNNCell(RNNCellBase):
    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, (h,), batched = self._prep("RNNCell", input, hx, 1)
        pre = F.linear(input, self.weight_ih, self.bias_ih) + \
            F.linear(h, self.weight_hh, self.bias_hh)
        if self.nonlinearity == "tanh":
            ret = pre.tanh()
        elif self.nonlinearity == "relu":
            ret = pre.relu()
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return ret if batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, (h, c), batched = self._prep("LSTMCell", input, hx, 2)
        gates = F.linear(input, self.weight_ih, self.bias_ih) + \
            F.linear(h, self.weight_hh, self.bias_hh)
        i, f, g, o = gates.chunk(4, 1)
        cy = f.sigmoid() * c + i.sigmoid() * g.tanh()
        hy = o.sigmoid() * cy.tanh()
        return (hy, cy) if batched else (hy.squeeze(0), cy.squeeze(0))


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._prep("GRUCell", input, hx, 1)
        ir, iz, in_ = F.linear(input, self.weight_ih, self.bias_ih).chunk(3, 1)
        hr, hz, hn = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, 1)
        r = (ir + hr).sigmoid()
        z = (iz + hz).sigmoid()
        n = (in_ + r * hn).tanh()
        hy = (h - n) * z + n
        return hy if batched else hy.squeeze(0)
