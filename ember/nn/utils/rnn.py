"""Sequence helpers.  pad_sequence only; packing arrives with the recurrent layers."""
from ..._tensor import Tensor

__all__ = ["pad_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length (L_i, *) tensors into (L_max, B, *) (or (B, L_max, *))."""
    from ... import stack, full
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(f"Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    max_len = max(s.size(0) for s in sequences)
    padded = []
    for s in sequences:
        n = s.size(0)
        if n == max_len:
            padded.append(s)
            continue
        from ... import cat
        pad = full((max_len - n,) + tuple(s.shape[1:]), padding_value, dtype=s.dtype)
        padded.append(cat([s, pad] if padding_side == "right" else [pad, s]))
    out = stack(padded, 0)
    return out if batch_first else out.transpose(0, 1)
