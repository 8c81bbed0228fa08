"""Transforms on ember tensors (..., C, H, W), written with ember ops so float inputs keep
their autograd graph. Geometry goes through grid_sample on the same sampling grid as
torchvision; the antialiased resize reproduces PyTorch's separable AA kernels (weights and
sums in the input's precision, horizontal pass first), which is what ``interpolate(...,
antialias=True)`` computes."""
import warnings

from ... import _dtype as D
from ..._backend import np

_INT_MAX = {"uint8": 255, "int8": 127, "int16": 32767, "uint16": 65535,
            "int32": 2147483647, "int64": 9223372036854775807}


def _E():
    import ember
    return ember


def _is_tensor_a_torch_image(x):
    return x.ndim >= 2


def _assert_image_tensor(img):
    if not _is_tensor_a_torch_image(img):
        raise TypeError("Tensor is not a torch image.")


def get_dimensions(img):
    _assert_image_tensor(img)
    return [1 if img.ndim == 2 else img.shape[-3], img.shape[-2], img.shape[-1]]


def get_image_size(img):
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img):
    _assert_image_tensor(img)
    return 1 if img.ndim == 2 else img.shape[-3]


def _max_value(dtype):
    return _INT_MAX.get(dtype.name, 1)


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but "
                        f"found {c}")


def convert_image_dtype(image, dtype=D.float32):
    if image.dtype is dtype:
        return image
    E = _E()
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype is D.float32 and dtype in (D.int32, D.int64)) or \
                (image.dtype is D.float64 and dtype is D.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        # max + 1 - eps spreads [0, 1] evenly over the integer range; only 1.0 maps to max.
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    in_max = float(_max_value(image.dtype))
    if dtype.is_floating_point:
        return image.to(dtype) / in_max
    out_max = float(_max_value(dtype))
    if in_max > out_max:
        factor = int((in_max + 1) // (out_max + 1))
        return E.div(image, factor, rounding_mode="floor").to(dtype)
    factor = int((out_max + 1) // (in_max + 1))
    return image.to(dtype) * factor


def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def crop(img, top, left, height, width):
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        padding_ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                        max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], padding_ltrb, fill=0)
    return img[..., top:bottom, left:right]


def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if img.shape[-3] == 3:
        r, g, b = img.unbind(dim=-3)
        # ITU-R 601-2 luma, the weights Pillow's "L" conversion uses.
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        gray = img.clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def adjust_brightness(img, brightness_factor):
    if brightness_factor < 0:
        raise ValueError(f"brightness_factor ({brightness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    return _blend(img, _E().zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    if contrast_factor < 0:
        raise ValueError(f"contrast_factor ({contrast_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    dtype = img.dtype if img.is_floating_point() else D.float32
    gray = rgb_to_grayscale(img) if get_dimensions(img)[0] == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if saturation_factor < 0:
        raise ValueError(f"saturation_factor ({saturation_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    E = _E()
    r, g, b = img.unbind(dim=-3)
    maxc = img.max(dim=-3).values
    minc = img.min(dim=-3).values
    # Where max == min hue and saturation are 0; substitute 1 in the divisors to avoid NaN.
    eqc = maxc == minc
    cr = maxc - minc
    ones = E.ones_like(maxc)
    s = cr / E.where(eqc, ones, maxc)
    cr_div = E.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_div, (maxc - g) / cr_div, (maxc - b) / cr_div
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = E.fmod((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return E.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    E = _E()
    h, s, v = img.unbind(dim=-3)
    i = E.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.to(dtype=D.int32)
    p = E.clamp(v * (1.0 - s), 0.0, 1.0)
    q = E.clamp(v * (1.0 - s * f), 0.0, 1.0)
    t = E.clamp(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == E.arange(6).view(-1, 1, 1)
    a1 = E.stack((v, q, p, p, t, v), dim=-3)
    a2 = E.stack((t, v, v, q, p, p), dim=-3)
    a3 = E.stack((p, p, t, v, v, q), dim=-3)
    a4 = E.stack((a1, a2, a3), dim=-4)
    return E.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    orig = img.dtype
    h, s, v = _rgb2hsv(convert_image_dtype(img, D.float32)).unbind(dim=-3)
    h = (h + hue_factor) % 1.0
    return convert_image_dtype(_hsv2rgb(_E().stack((h, s, v), dim=-3)), orig)


def adjust_gamma(img, gamma, gain=1):
    if not _is_tensor(img):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    dtype = img.dtype
    x = img if img.is_floating_point() else convert_image_dtype(img, D.float32)
    return convert_image_dtype((gain * x.pow(gamma)).clamp(0, 1), dtype)


def _is_tensor(x):
    from ..._tensor import Tensor
    return isinstance(x, Tensor)


def _pad_symmetric(img, padding):
    E = _E()
    # padding: left, right, top, bottom; negative entries crop first.
    if min(padding) < 0:
        cl, cr, ct, cb = (-min(x, 0) for x in padding)
        img = img[..., ct:img.shape[-2] - cb, cl:img.shape[-1] - cr]
        padding = [max(x, 0) for x in padding]
    h, w = img.shape[-2], img.shape[-1]
    x_idx = list(range(padding[0] - 1, -1, -1)) + list(range(w)) + \
        [-(i + 1) for i in range(padding[1])]
    y_idx = list(range(padding[2] - 1, -1, -1)) + list(range(h)) + \
        [-(i + 1) for i in range(padding[3])]
    if img.ndim not in (3, 4):
        raise RuntimeError("Symmetric padding of N-D tensors are not supported yet")
    x_idx, y_idx = E.tensor(x_idx), E.tensor(y_idx)
    return img[..., y_idx[:, None], x_idx[None, :]]


def _parse_pad_padding(padding):
    if isinstance(padding, int):
        return [padding] * 4
    if len(padding) == 1:
        return [padding[0]] * 4
    if len(padding) == 2:
        return [padding[0], padding[0], padding[1], padding[1]]
    return [padding[0], padding[2], padding[1], padding[3]]


def pad(img, padding, fill=0, padding_mode="constant"):
    from ...nn import functional as NF
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, tuple):
        padding = list(padding)
    if isinstance(padding, list) and len(padding) not in [1, 2, 4]:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    p = _parse_pad_padding(padding)
    if padding_mode == "symmetric":
        return _pad_symmetric(img, p)
    mode = "replicate" if padding_mode == "edge" else padding_mode
    squeeze = img.ndim < 4
    if squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    cast = mode != "constant" and out_dtype not in (D.float32, D.float64)
    if cast:
        img = img.to(D.float32)
    img = NF.pad(img, p, mode=mode) if mode != "constant" else \
        NF.pad(img, p, mode=mode, value=float(fill))
    if squeeze:
        img = img.squeeze(dim=0)
    return img.to(out_dtype) if cast else img


def _cast_squeeze_in(img, req_dtypes):
    squeeze = img.ndim < 4
    if squeeze:
        img = img.unsqueeze(dim=0)
    out_dtype = img.dtype
    cast = out_dtype not in req_dtypes
    if cast:
        img = img.to(req_dtypes[0])
    return img, cast, squeeze, out_dtype


def _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype):
    if need_squeeze:
        img = img.squeeze(dim=0)
    if need_cast:
        if not out_dtype.is_floating_point and out_dtype is not D.bool:
            img = _E().round(img)
        img = img.to(out_dtype)
    return img


def _aa_taps(in_size, out_size, mode, npdt):
    """Per-output source indices (out, K) and normalised weights, in ``npdt`` arithmetic."""
    one, half = npdt.type(1), npdt.type(0.5)
    scale = npdt.type(in_size) / npdt.type(out_size)
    half_width = npdt.type(1.0 if mode == "bilinear" else 2.0)
    support = half_width * scale if scale >= 1 else half_width
    invscale = one / scale if scale >= 1 else one
    center = scale * (np.arange(out_size, dtype=npdt) + half)
    xmin = np.maximum((center - support + half).astype(np.int64), 0)
    xsize = np.minimum((center + support + half).astype(np.int64), in_size) - xmin
    k = np.arange(int(xsize.max()))
    x = np.abs(((k[None, :] + xmin[:, None]).astype(npdt) - center[:, None] + half) * invscale)
    if mode == "bilinear":
        w = np.where(x < 1, one - x, 0)
    else:  # Keys cubic with a = -0.5, Pillow's choice for antialiased bicubic
        a = npdt.type(-0.5)
        w = np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                     np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0))
    w = np.where(k[None, :] < xsize[:, None], w, 0).astype(npdt)
    total = w[:, 0].copy()
    for j in range(1, w.shape[1]):  # summed tap by tap, in order, like the reference kernel
        total += w[:, j]
    nz = total != 0
    w[nz] /= total[nz, None]
    return np.minimum(k[None, :] + xmin[:, None], in_size - 1), w


def _aa_resize_axis(x, dim, out_size, mode):
    E = _E()
    idx, w = _aa_taps(x.shape[dim], out_size, mode, np.dtype(x.dtype.np))
    view = [1] * x.ndim
    view[dim] = out_size
    out = None
    for j in range(idx.shape[1]):
        term = x.index_select(dim, E.from_numpy(idx[:, j].copy())) * \
            E.from_numpy(w[:, j].reshape(view).copy())
        out = term if out is None else out + term
    return out


def resize(img, size, interpolation="bilinear", antialias=True):
    from ...nn import functional as NF
    _assert_image_tensor(img)
    size = list(size)
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [D.float32, D.float64])
    if antialias:
        if img.shape[-1] != size[1]:
            img = _aa_resize_axis(img, img.ndim - 1, size[1], interpolation)
        if img.shape[-2] != size[0]:
            img = _aa_resize_axis(img, img.ndim - 2, size[0], interpolation)
    else:
        align = False if interpolation in ("bilinear", "bicubic") else None
        img = NF.interpolate(img, size=size, mode=interpolation, align_corners=align)
    if interpolation == "bicubic" and out_dtype is D.uint8:
        img = img.clamp(min=0, max=255)
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


def _assert_grid_transform_inputs(img, matrix, interpolation, fill, supported, coeffs=None):
    if not _is_tensor(img):
        raise TypeError("Input img should be Tensor")
    _assert_image_tensor(img)
    if matrix is not None and not isinstance(matrix, list):
        raise TypeError("Argument matrix should be a list")
    if matrix is not None and len(matrix) != 6:
        raise ValueError("Argument matrix should have 6 float values")
    if coeffs is not None and len(coeffs) != 8:
        raise ValueError("Argument coeffs should have 8 float values")
    if fill is not None and not isinstance(fill, (int, float, tuple, list)):
        warnings.warn("Argument fill should be either int, float, tuple or list")
    c = get_dimensions(img)[0]
    if fill is not None and isinstance(fill, (tuple, list)) and 1 < len(fill) != c:
        raise ValueError("The number of elements in 'fill' cannot broadcast to match the "
                         f"number of channels of the image ({len(fill)} != {c})")
    if interpolation not in supported:
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor "
                         "input")


def _apply_grid_transform(img, grid, mode, fill):
    from ...nn import functional as NF
    E = _E()
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [grid.dtype])
    if img.shape[0] > 1:
        grid = grid.expand(img.shape[0], grid.shape[1], grid.shape[2], grid.shape[3])
    if fill is not None:
        # A ones channel sampled alongside tells how much of each output pixel is inside.
        ones = E.ones((img.shape[0], 1, img.shape[2], img.shape[3]), dtype=img.dtype)
        img = E.cat((img, ones), dim=1)
    img = NF.grid_sample(img, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if fill is not None:
        mask = img[:, -1:, :, :]
        img = img[:, :-1, :, :]
        mask = mask.expand_as(img)
        fill_list = list(fill) if isinstance(fill, (tuple, list)) else [float(fill)]
        fill_img = E.tensor(fill_list, dtype=img.dtype).view(1, len(fill_list), 1, 1) \
            .expand_as(img)
        if mode == "nearest":
            img = E.where(mask < 0.5, fill_img, img)
        else:
            img = img * mask + (1.0 - mask) * fill_img
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


def _grid_xy(ow, oh, x0, y0, npdt):
    # Pixel-centre coordinates x0, x0 + 1, ... and y0, y0 + 1, ... (float32 linspace values).
    return (np.linspace(x0, x0 + ow - 1.0, ow, dtype=npdt)[None, :],
            np.linspace(y0, y0 + oh - 1.0, oh, dtype=npdt)[:, None])


def _rowdot(x, y, r, k):
    # x * r[0, k] + y * r[1, k] + r[2, k], summed left to right as the reference bmm does.
    return x * r[0, k] + y * r[1, k] + r[2, k]


def _gen_affine_grid(theta, w, h, ow, oh):
    # Pixel-centre coordinates relative to the image centre, mapped by theta, then scaled
    # by the *input* size to grid_sample's [-1, 1] (so "expand" can use a larger output).
    npdt = np.dtype(theta.dtype.np)
    r = (theta.transpose(1, 2)._data[0] / np.array([0.5 * w, 0.5 * h], npdt)).astype(npdt)
    x, y = _grid_xy(ow, oh, -ow * 0.5 + 0.5, -oh * 0.5 + 0.5, npdt)
    grid = np.stack(np.broadcast_arrays(_rowdot(x, y, r, 0), _rowdot(x, y, r, 1)), -1)
    return _E().from_numpy(np.ascontiguousarray(grid[None]))


def affine(img, matrix, interpolation="nearest", fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    dtype = img.dtype if img.is_floating_point() else D.float32
    theta = _E().tensor(matrix, dtype=dtype).reshape(1, 2, 3)
    grid = _gen_affine_grid(theta, w=img.shape[-1], h=img.shape[-2], ow=img.shape[-1],
                            oh=img.shape[-2])
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _compute_affine_output_size(matrix, w, h):
    # Corners mapped by the matrix (about the centre); the bounding box, as Pillow does.
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]], np.float32)
    theta = np.array(matrix, np.float32).reshape(2, 3)
    new = pts @ theta.T
    lo = new.min(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    hi = new.max(axis=0) + np.array([w * 0.5, h * 0.5], np.float32)
    tol = np.float32(1e-4)  # so that ceil(x + 1e-15) does not add a pixel
    cmax = np.ceil(np.trunc(hi / tol) * tol)
    cmin = np.floor(np.trunc(lo / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _assert_grid_transform_inputs(img, matrix, interpolation, fill, ["nearest", "bilinear"])
    w, h = img.shape[-1], img.shape[-2]
    ow, oh = _compute_affine_output_size(matrix, w, h) if expand else (w, h)
    dtype = img.dtype if img.is_floating_point() else D.float32
    theta = _E().tensor(matrix, dtype=dtype).reshape(1, 2, 3)
    grid = _gen_affine_grid(theta, w=w, h=h, ow=ow, oh=oh)
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _perspective_grid(coeffs, ow, oh, dtype):
    # x' = (a x + b y + c) / (g x + h y + 1), y' = (d x + e y + f) / (g x + h y + 1),
    # then scaled to grid_sample's [-1, 1].
    npdt = np.dtype(dtype.np)
    c = np.array(coeffs, np.float64).astype(npdt)
    r1 = (np.array([[c[0], c[3]], [c[1], c[4]], [c[2], c[5]]], npdt) /
          np.array([0.5 * ow, 0.5 * oh], npdt)).astype(npdt)
    r2 = np.array([[c[6], c[6]], [c[7], c[7]], [1.0, 1.0]], npdt)
    x, y = _grid_xy(ow, oh, 0.5, 0.5, npdt)
    gx = _rowdot(x, y, r1, 0) / _rowdot(x, y, r2, 0) - npdt.type(1.0)
    gy = _rowdot(x, y, r1, 1) / _rowdot(x, y, r2, 1) - npdt.type(1.0)
    grid = np.stack(np.broadcast_arrays(gx, gy), -1)
    return _E().from_numpy(np.ascontiguousarray(grid[None]))


def perspective(img, perspective_coeffs, interpolation="bilinear", fill=None):
    if not _is_tensor(img):
        raise TypeError("Input img should be Tensor.")
    _assert_image_tensor(img)
    _assert_grid_transform_inputs(img, None, interpolation, fill, ["nearest", "bilinear"],
                                  coeffs=perspective_coeffs)
    dtype = img.dtype if img.is_floating_point() else D.float32
    grid = _perspective_grid(perspective_coeffs, img.shape[-1], img.shape[-2], dtype)
    return _apply_grid_transform(img, grid, interpolation, fill=fill)


def _gaussian_kernel1d(kernel_size, sigma, npdt):
    half = (kernel_size - 1) * 0.5
    x = np.linspace(-half, half, kernel_size, dtype=npdt)
    arg = npdt.type(-0.5) * (x / npdt.type(sigma)) ** 2
    pdf = np.exp(arg.astype(np.float64)).astype(npdt)  # exp rounded once, as close as we get
    total = npdt.type(0)
    for v in pdf:  # a handful of taps, summed in order
        total = npdt.type(total + v)
    return pdf / total


def _fma_taps(padded, kernel, out_h, out_w):
    """Correlate every plane with ``kernel``: taps accumulated row-major, each as a fused
    multiply-add in the input precision, the order PyTorch's depthwise kernel uses."""
    wide = np.float64 if padded.dtype == np.float32 else padded.dtype
    out = None
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            tap = padded[..., i:i + out_h, j:j + out_w]
            if out is None:
                out = tap * kernel[i, j]
            else:  # float32 products are exact in float64: one rounding per tap
                out = (tap.astype(wide) * kernel[i, j] + out).astype(padded.dtype)
    return out


def gaussian_blur(img, kernel_size, sigma):
    from ...nn import functional as NF
    E = _E()
    if not _is_tensor(img):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    dtype = img.dtype if img.is_floating_point() else D.float32
    npdt = np.dtype(dtype.np)
    kernel = np.outer(_gaussian_kernel1d(kernel_size[1], sigma[1], npdt),
                      _gaussian_kernel1d(kernel_size[0], sigma[0], npdt)).astype(npdt)
    img, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [dtype])
    p = [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2, kernel_size[1] // 2]
    padded = NF.pad(img, p, mode="reflect")
    if padded.requires_grad:
        weight = E.from_numpy(kernel).expand(img.shape[-3], 1, *kernel.shape)
        img = NF.conv2d(padded, weight, groups=img.shape[-3])
    else:
        img = E.from_numpy(_fma_taps(padded._data, kernel, img.shape[-2], img.shape[-1]))
    return _cast_squeeze_out(img, need_cast, need_squeeze, out_dtype)


def invert(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    return _max_value(img.dtype) - img


def posterize(img, bits):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    if img.dtype is not D.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    return img & -int(2 ** (8 - bits))  # keeps the top ``bits`` bits


def solarize(img, threshold):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    if threshold > _max_value(img.dtype):
        raise TypeError("Threshold should be less than bound of img.")
    return _E().where(img >= threshold, invert(img), img)


def _blurred_degenerate_image(img):
    from ...nn import functional as NF
    E = _E()
    dtype = img.dtype if img.is_floating_point() else D.float32
    kernel = E.ones((3, 3), dtype=dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    kernel = kernel.expand(img.shape[-3], 1, 3, 3)
    tmp, need_cast, need_squeeze, out_dtype = _cast_squeeze_in(img, [kernel.dtype])
    tmp = _cast_squeeze_out(NF.conv2d(tmp, kernel, groups=tmp.shape[-3]), need_cast,
                            need_squeeze, out_dtype)
    result = img.clone()
    result[..., 1:-1, 1:-1] = tmp
    return result


def adjust_sharpness(img, sharpness_factor):
    if sharpness_factor < 0:
        raise ValueError(f"sharpness_factor ({sharpness_factor}) is not non-negative.")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.size(-1) <= 2 or img.size(-2) <= 2:
        return img
    return _blend(img, _blurred_degenerate_image(img), sharpness_factor)


def autocontrast(img):
    E = _E()
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found "
                        f"{img.ndim}")
    _assert_channels(img, [1, 3])
    bound = _max_value(img.dtype)
    dtype = img.dtype if img.is_floating_point() else D.float32
    minimum = img.amin(dim=(-2, -1), keepdim=True).to(dtype)
    maximum = img.amax(dim=(-2, -1), keepdim=True).to(dtype)
    scale = bound / (maximum - minimum)
    flat = E.isfinite(scale).logical_not()
    minimum = E.where(flat, E.zeros_like(minimum), minimum)
    scale = E.where(flat, E.ones_like(scale), scale)
    return ((img - minimum) * scale).clamp(0, bound).to(img.dtype)


def equalize(img):
    from ..._tensor import _wrap
    _assert_image_tensor(img)
    if not 3 <= img.ndim <= 4:
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found "
                        f"{img.ndim}")
    if img.dtype is not D.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    a = img._data
    planes = a.reshape(-1, a.shape[-2] * a.shape[-1])
    n = planes.shape[0]
    # One histogram per plane, all at once: offset each plane's values by 256 * plane.
    hist = np.bincount((planes + 256 * np.arange(n)[:, None]).ravel(),
                       minlength=256 * n).reshape(n, 256)
    last = 255 - np.argmax(hist[:, ::-1] != 0, axis=1)  # the last non-empty bin
    step = (hist.sum(1) - hist[np.arange(n), last]) // 255
    cdf = np.cumsum(hist, 1)
    safe = np.maximum(step, 1)[:, None]
    lut = (cdf + step[:, None] // 2) // safe
    lut = np.clip(np.concatenate([np.zeros((n, 1), lut.dtype), lut[:, :-1]], 1), 0, 255)
    out = np.take_along_axis(lut, planes.astype(np.int64), 1).astype(np.uint8)
    out = np.where(step[:, None] == 0, planes, out)
    return _wrap(out.reshape(a.shape))


def normalize(tensor, mean, std, inplace=False):
    E = _E()
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError("Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    if not inplace:
        tensor = tensor.clone()
    dtype = tensor.dtype
    mean = E.as_tensor(mean, dtype=dtype)
    std = E.as_tensor(std, dtype=dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to "
                         "division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std)


def erase(img, i, j, h, w, v, inplace=False):
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img

