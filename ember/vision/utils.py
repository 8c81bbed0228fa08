"""ember.vision.utils: make_grid and save_image (the same pixels as torchvision)."""
import math

from .._backend import np


def _is_tensor(x):
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Lay out a batch (B, C, H, W) or list of images in rows of ``nrow``, ``padding`` apart.

    Returns a (C, H', W') tensor of the input's dtype; single-channel images become RGB.
    """
    from .. import stack, cat
    from .._tensor import _wrap
    if not _is_tensor(tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not _is_tensor(t):
                    raise TypeError(f"tensor or list of tensors expected, got a list "
                                    f"containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = cat((tensor, tensor, tensor), 1)
    if normalize is True:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max "
                            "are numbers")
        a = np.array(tensor.detach()._data)  # a copy: the caller's tensor stays as it was
        if value_range is not None:
            lo, hi = (np.full((1, 1, 1, 1), float(v)) for v in value_range)
        elif scale_each:
            lo = a.min(axis=(1, 2, 3), keepdims=True).astype(np.float64)
            hi = a.max(axis=(1, 2, 3), keepdims=True).astype(np.float64)
        else:
            lo, hi = np.full((1, 1, 1, 1), float(a.min())), np.full((1, 1, 1, 1), float(a.max()))
        # Bounds and divisor are Python floats per image in torchvision, applied in the
        # tensor's dtype: cast them once and work in place.
        lo_t, hi_t = lo.astype(a.dtype), hi.astype(a.dtype)
        np.clip(a, lo_t, hi_t, out=a)
        a -= lo_t
        a /= np.maximum(hi - lo, 1e-5).astype(a.dtype)
        tensor = _wrap(a)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    a = tensor.detach()._data
    n, c, h, w = a.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(float(n) / xmaps))
    hh, ww = int(h + padding), int(w + padding)
    # Tiles of (hh, ww) with the image in the bottom-right corner, laid out row-major.
    tiles = np.full((ymaps * xmaps, c, hh, ww), pad_value, a.dtype)
    tiles[:n, :, padding:, padding:] = a
    grid = np.full((c, hh * ymaps + padding, ww * xmaps + padding), pad_value, a.dtype)
    grid[:, :hh * ymaps, :ww * xmaps] = tiles.reshape(ymaps, xmaps, c, hh, ww) \
        .transpose(2, 0, 3, 1, 4).reshape(c, ymaps * hh, xmaps * ww)
    return _wrap(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Write ``make_grid(tensor, **kwargs)`` (values in [0, 1]) as an 8-bit image file."""
    from PIL import Image
    from .. import no_grad, uint8
    with no_grad():
        grid = make_grid(tensor, **kwargs)
        ndarr = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu", uint8).numpy()
    Image.fromarray(ndarr).save(fp, format=format)
