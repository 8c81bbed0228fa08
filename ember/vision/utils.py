"""ember.vision.utils: make_grid and save_image (same pixels as torchvision)."""
import math


from .._backend import np


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0, **kwargs):
    """Lay a batch (B, C, H, W) of images out in rows of ``nrow``, ``padding`` apart."""
    from .._ops.shape import stack, cat
    from .._tensor import _wrap
    if isinstance(tensor, (list, tuple)):
        tensor = stack(list(tensor), 0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.shape[0] == 1:
            tensor = cat([tensor] * 3, 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.shape[1] == 1:
        tensor = cat([tensor] * 3, 1)
    a = np.array(tensor.detach()._data)
    if normalize:
        def norm(x, lo, hi):
            np.clip(x, lo, hi, out=x)
            x -= lo
            x /= max(hi - lo, 1e-5)
        if scale_each:
            for img in a:
                norm(img, *(value_range or (float(img.min()), float(img.max()))))
        else:
            norm(a, *(value_range or (float(a.min()), float(a.max()))))
    if a.shape[0] == 1:
        return _wrap(a[0])
    n, c, h, w = a.shape
    xmaps = min(nrow, n)
    ymaps = int(math.ceil(float(n) / xmaps))
    hh, ww = h + padding, w + padding
    grid = np.full((c, hh * ymaps + padding, ww * xmaps + padding), pad_value, a.dtype)
    for k in range(n):
        y, x = divmod(k, xmaps)
        grid[:, y * hh + padding:y * hh + padding + h, x * ww + padding:x * ww + padding + w] \
            = a[k]
    return _wrap(grid)


def save_image(tensor, fp, format=None, **kwargs):
    from PIL import Image
    grid = make_grid(tensor, **kwargs)
    arr = grid._data.astype(np.float32) * 255 + 0.5
    arr = np.clip(arr, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(arr).save(fp, format=format)


