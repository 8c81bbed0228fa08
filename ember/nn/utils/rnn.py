"""Variable-length sequences: padding, and PyTorch's packed layout.

A PackedSequence stores the sequences of a batch sorted longest first and
interleaved by time step: ``data`` holds step 0 of every sequence, then step 1 of
those still running, and so on; ``batch_sizes[t]`` says how many sequences are
running at step ``t``.  Seen as a (T, B) grid, the packed rows are exactly the
cells ``t < length[b]`` in row-major order, so packing is a boolean gather and
padding a boolean scatter.
"""
from collections import namedtuple

from ..._backend import np
from ..._tensor import Tensor, _wrap
from ...autograd.op import Op

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


class PackedSequence(namedtuple("PackedSequence_",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """(data, batch_sizes, sorted_indices, unsorted_indices); made by pack_* functions."""

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def __repr__(self):
        return (f"PackedSequence(data={self.data!r}, batch_sizes={self.batch_sizes!r}, "
                f"sorted_indices={self.sorted_indices!r}, "
                f"unsorted_indices={self.unsorted_indices!r})")

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(data.device))
        return type(self)(data, self.batch_sizes, move(self.sorted_indices),
                          move(self.unsorted_indices))

    def cuda(self, *args, **kwargs):
        kwargs.setdefault("device", "cuda")
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        kwargs.setdefault("device", "cpu")
        return self.to(*args, **kwargs)

    def pin_memory(self):
        return self

    def double(self):
        return self._as("float64")

    def float(self):
        return self._as("float32")

    def half(self):
        return self._as("float16")

    def long(self):
        return self._as("int64")

    def int(self):
        return self._as("int32")

    def short(self):
        return self._as("int16")

    def char(self):
        return self._as("int8")

    def byte(self):
        return self._as("uint8")

    def _as(self, name):
        from ... import _dtype
        return self.to(dtype=getattr(_dtype, name))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    if permutation is None:
        return None
    inv = np.empty_like(permutation._data)
    inv[permutation._data] = np.arange(permutation._data.size, dtype=inv.dtype)
    return _wrap(inv)


def _grid_mask(lengths, total):
    """(T, B) bool: which padded cells hold data."""
    return np.arange(total)[:, None] < lengths[None, :]


def _pack_fwd(ctx, x, lengths):
    mask = _grid_mask(lengths, int(lengths[0]))
    if ctx is not None:
        ctx.mask = mask
    return x[:mask.shape[0]][mask]


_pack = Op("PackPaddedSequenceBackward0", _pack_fwd, saves=())


@_pack.backward
def _(ctx, g):
    mask = ctx.mask
    x = ctx.inputs[0]
    out = g.new_zeros(tuple(x.shape))
    out[_wrap(np.pad(mask, ((0, x.shape[0] - mask.shape[0]), (0, 0))))] = g
    return out, None


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        if lengths.is_floating_point() or lengths.dtype.is_complex:
            lengths = lengths.to(dtype=_int64())
        return lengths._data.astype(np.int64)
    return np.asarray(list(lengths), dtype=np.int64).reshape(-1)


def _int64():
    from ..._dtype import int64
    return int64


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded (T, B, *) batch (or (B, T, *)) whose sequences have ``lengths``."""
    lens = _lengths_array(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
        sorted_indices = _wrap(order.astype(np.int64))
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if batch_first:
        input = input.transpose(0, 1)
    batch = input.shape[1]
    if lens.size != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.size} (batch_size={batch})")
    if lens.size and lens.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    if enforce_sorted and np.any(lens[1:] > lens[:-1]):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
            "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
            "pack_sequence to sidestep this requirement if you do not need ONNX "
            "exportability.")
    if lens[0] > input.shape[0]:
        raise RuntimeError(f"pack_padded_sequence: a length ({int(lens[0])}) exceeds the "
                           f"padded sequence length ({input.shape[0]})")
    batch_sizes = _grid_mask(lens, int(lens[0])).sum(1).astype(np.int64)
    data = _pack(input, lens)
    return PackedSequence(data, _wrap(batch_sizes), sorted_indices, None)


def _pad_fwd(ctx, data, batch_sizes, total, value):
    lengths = (np.arange(batch_sizes[0])[None, :] < batch_sizes[:, None]).sum(0)
    mask = _grid_mask(lengths, total)
    if ctx is not None:
        ctx.mask = mask
    out = np.full((total, int(batch_sizes[0])) + data.shape[1:], value, dtype=data.dtype)
    out[mask] = data
    return out


_pad = Op("CopySlices", _pad_fwd, saves=())


@_pad.backward
def _(ctx, g):
    return g[_wrap(ctx.mask)]


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Inverse of pack_padded_sequence: (padded, lengths)."""
    bs = sequence.batch_sizes._data.astype(np.int64)
    max_len = bs.size
    if total_length is not None:
        if total_length < max_len:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{max_len}")
        max_len = total_length
    padded = _pad(sequence.data, bs, total=max_len, value=padding_value)
    lengths = (np.arange(bs[0])[None, :] < bs[:, None]).sum(0).astype(np.int64)
    if batch_first:
        padded = padded.transpose(0, 1)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = lengths[unsorted._data]
    return padded, _wrap(lengths)


def _pad_seq_fwd(ctx, *seqs, batch_first, value, left):
    lens = [s.shape[0] for s in seqs]
    longest = max(lens)
    out = np.full((len(seqs), longest) + seqs[0].shape[1:], value,
                  dtype=np.result_type(*seqs))
    for i, s in enumerate(seqs):  # one copy per sequence: they are separate arrays
        n = s.shape[0]
        if left:
            out[i, longest - n:] = s
        else:
            out[i, :n] = s
    if ctx is not None:
        ctx.lens = lens
    return out if batch_first else np.ascontiguousarray(out.swapaxes(0, 1))


_pad_seq = Op("CopySlices", _pad_seq_fwd, saves=())


@_pad_seq.backward
def _(ctx, g):
    kw = ctx.kw
    if not kw["batch_first"]:
        g = g.transpose(0, 1)
    longest = g.shape[1]
    out = []
    for i, n in enumerate(ctx.lens):
        out.append(g[i, longest - n:] if kw["left"] else g[i, :n])
    return tuple(out)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length (L_i, *) tensors into (L_max, B, *) (or (B, L_max, *))."""
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}") from None
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    return _pad_seq(*sequences, batch_first=bool(batch_first), value=padding_value,
                    left=padding_side == "left")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded batch back into a list of (L_i, *) tensors."""
    if not batch_first:
        padded_sequences.transpose_(0, 1)  # PyTorch transposes the caller's tensor too
    from ... import arange
    idx = arange(padded_sequences.shape[1])
    return [seq[idx < int(n)] for seq, n in zip(padded_sequences, _lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths,
                                enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
