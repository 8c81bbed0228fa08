"""Image transforms as functions, on PIL images and on ember tensors (C, H, W) / (N, C, H, W).

PIL images go through Pillow exactly where torchvision uses Pillow, so the pixels
agree; tensors go through NumPy (resampling through Pillow's float filters, which
are the algorithm PyTorch's antialiased resize reproduces).
"""
import math
import numbers
from enum import Enum

from ... import _dtype as D
from ..._backend import np


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _pil_mode(mode):
    from PIL import Image
    return {InterpolationMode.NEAREST: Image.NEAREST, InterpolationMode.NEAREST_EXACT:
            Image.NEAREST, InterpolationMode.BILINEAR: Image.BILINEAR,
            InterpolationMode.BICUBIC: Image.BICUBIC, InterpolationMode.BOX: Image.BOX,
            InterpolationMode.HAMMING: Image.HAMMING,
            InterpolationMode.LANCZOS: Image.LANCZOS}[mode]


def _interp(mode):
    if isinstance(mode, int):
        return {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}[mode]
    return mode


def _is_pil(img):
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover
        return False
    return isinstance(img, Image.Image)


def _is_tensor(img):
    from ..._tensor import Tensor
    return isinstance(img, Tensor)


def get_dimensions(img):
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    shape = img.shape
    return [1 if len(shape) == 2 else shape[-3], shape[-2], shape[-1]]


def get_image_size(img):
    c, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# --- conversions -------------------------------------------------------------------------

def to_tensor(pic):
    from ..._creation import from_numpy
    if not (_is_pil(pic) or isinstance(pic, np.ndarray)):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        arr = np.ascontiguousarray(pic.transpose(2, 0, 1))
        if arr.dtype == np.uint8:
            return from_numpy(arr.astype(D.get_default_dtype().np) / np.float32(255)
                              if D.get_default_dtype() is D.float32 else arr / 255.0)
        return from_numpy(arr)
    mode_dtypes = {"I": np.int32, "I;16": np.int16, "F": np.float32}
    if pic.mode in mode_dtypes:
        arr = np.array(pic, mode_dtypes[pic.mode], copy=True)
    else:
        arr = np.array(pic, np.uint8, copy=True)
    if pic.mode == "1":
        arr = 255 * arr
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands()))
    arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
    if arr.dtype == np.uint8:
        dt = D.get_default_dtype().np
        return from_numpy(np.divide(arr, 255, dtype=dt))
    return from_numpy(arr)


def pil_to_tensor(pic):
    from ..._creation import from_numpy
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, copy=True)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def to_pil_image(pic, mode=None):
    from PIL import Image
    if _is_tensor(pic):
        if pic.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.dim()} dimensions.")
        if pic.dim() == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        if pic.is_floating_point() and mode != "F":
            pic = pic.mul(255).byte()
        arr = np.transpose(pic.detach()._data, (1, 2, 0))
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        if arr.shape[-1] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {arr.shape[-1]} channels.")
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
        expected = {np.dtype(np.uint8): "L", np.dtype(np.int16): "I;16",
                    np.dtype(np.int32): "I", np.dtype(np.float32): "F"}.get(arr.dtype)
        if mode is not None and mode != expected and not (mode == "L" and expected is None):
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. "
                             f"Should be {expected}")
        mode = mode or expected
    elif arr.shape[2] == 2:
        mode = mode or "LA"
    elif arr.shape[2] == 4:
        mode = mode or "RGBA"
    else:
        mode = mode or "RGB"
    if mode is None:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    return Image.fromarray(np.ascontiguousarray(arr), mode=mode)


def convert_image_dtype(image, dtype=D.float32):
    from ..._tensor import _wrap
    if image.dtype is dtype:
        return image
    a = image._data
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype is D.float32 and dtype in (D.int32, D.int64)) or \
                (image.dtype is D.float64 and dtype is D.int64):
            raise RuntimeError(f"The cast from {image.dtype} to {dtype} cannot be performed "
                               "safely.")
        top = np.iinfo(dtype.np).max
        return _wrap((a * (top + 1.0 - 0.001)).astype(dtype.np))
    top_in = np.iinfo(a.dtype).max
    if dtype.is_floating_point:
        return _wrap(a.astype(dtype.np) / dtype.np.type(top_in))
    top_out = np.iinfo(dtype.np).max
    if top_in > top_out:
        factor = (top_in + 1) // (top_out + 1)
        return _wrap((a // factor).astype(dtype.np))
    factor = (top_out + 1) // (top_in + 1)
    return _wrap(a.astype(dtype.np) * factor)


# --- normalisation -------------------------------------------------------------------------

def normalize(tensor, mean, std, inplace=False):
    from ..._creation import as_tensor
    if not _is_tensor(tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}."
                        .replace("ember.", "torch."))
    if tensor.dim() < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.shape}.".replace("ember.", "torch."))
    m = as_tensor(mean, dtype=tensor.dtype)
    s = as_tensor(std, dtype=tensor.dtype)
    if bool((s == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         "to division by zero.".replace("ember.", "torch."))
    if m.dim() == 1:
        m = m.view(-1, 1, 1)
    if s.dim() == 1:
        s = s.view(-1, 1, 1)
    if inplace:
        return tensor.sub_(m).div_(s)
    return tensor.sub(m).div(s)


# --- geometry -------------------------------------------------------------------------------

def _resize_size(h, w, size, max_size):
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return int(size[0]), int(size[1])
    if isinstance(size, (list, tuple)):
        size = size[0]
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    if max_size is not None:
        if max_size <= size:
            raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                             f"requested size for the smaller edge size = {size}")
        if new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_long, new_short) if w <= h else (new_short, new_long)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    interpolation = _interp(interpolation)
    if isinstance(size, numbers.Number):
        size = [int(size)]
    _, h, w = get_dimensions(img)
    oh, ow = _resize_size(h, w, size, max_size)
    if (oh, ow) == (h, w):
        return img
    if _is_pil(img):
        return img.resize((ow, oh), _pil_mode(interpolation))
    return _map_channels(img, lambda ch: ch.resize((ow, oh), _pil_mode(interpolation)))


def _map_channels(img, fn):
    """Apply a PIL operation to every (H, W) plane of a tensor image, in float32."""
    from PIL import Image
    from ..._tensor import _wrap
    a = img.detach()._data
    lead = a.shape[:-2]
    planes = a.reshape((-1,) + a.shape[-2:])
    is_int = a.dtype.kind in "iub"
    out = []
    for p in planes:
        im = Image.fromarray(p.astype(np.float32), mode="F")
        out.append(np.asarray(fn(im), dtype=np.float32))
    res = np.stack(out).reshape(lead + out[0].shape)
    if is_int:
        info = np.iinfo(a.dtype) if a.dtype.kind != "b" else None
        res = np.round(res)
        if info is not None:
            res = res.clip(info.min, info.max)
    return _wrap(res.astype(a.dtype))


def crop(img, top, left, height, width):
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        img = img[..., max(top, 0):bottom, max(left, 0):right]
        return pad(img, pads, fill=0)
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = get_dimensions(img)
    th, tw = output_size
    if tw > w or th > h:
        pads = [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0]
        img = pad(img, pads, fill=0)
        _, h, w = get_dimensions(img)
        if tw == w and th == h:
            return img
    top = int(round((h - th) / 2.0))
    left = int(round((w - tw) / 2.0))
    return crop(img, top, left, th, tw)


def _pad_amounts(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _pad_amounts(padding)
    np_mode = {"constant": "constant", "edge": "edge", "reflect": "reflect",
               "symmetric": "symmetric"}[padding_mode]
    if _is_pil(img):
        from PIL import Image, ImageOps
        if padding_mode == "constant" and min(left, top, right, bottom) >= 0:
            if img.mode == "P":
                out = ImageOps.expand(img, border=(left, top, right, bottom), fill=fill)
                out.putpalette(img.getpalette())
                return out
            return ImageOps.expand(img, border=(left, top, right, bottom), fill=fill)
        arr = np.asarray(img)
        arr = _np_crop_negative(arr, left, top, right, bottom)
        widths = [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
        if arr.ndim == 3:
            widths.append((0, 0))
        kw = {"constant_values": fill} if np_mode == "constant" else {}
        out = Image.fromarray(np.pad(arr, widths, mode=np_mode, **kw))
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out
    from ..._tensor import _wrap
    a = img.detach()._data
    a = _np_crop_negative(a, left, top, right, bottom, chw=True)
    widths = [(0, 0)] * (a.ndim - 2) + [(max(top, 0), max(bottom, 0)),
                                        (max(left, 0), max(right, 0))]
    kw = {"constant_values": fill} if np_mode == "constant" else {}
    return _wrap(np.pad(a, widths, mode=np_mode, **kw))


def _np_crop_negative(a, left, top, right, bottom, chw=False):
    hs, ws = (-2, -1) if chw else (0, 1)
    sl = [slice(None)] * a.ndim
    sl[hs] = slice(max(-top, 0), a.shape[hs] - max(-bottom, 0))
    sl[ws] = slice(max(-left, 0), a.shape[ws] - max(-right, 0))
    return a[tuple(sl)]


def hflip(img):
    if _is_pil(img):
        from PIL import Image
        return img.transpose(Image.FLIP_LEFT_RIGHT)
    return img.flip(-1)


def vflip(img):
    if _is_pil(img):
        from PIL import Image
        return img.transpose(Image.FLIP_TOP_BOTTOM)
    return img.flip(-2)


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def five_crop(img, size):
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, h, w = get_dimensions(img)
    ch, cw = size
    if cw > w or ch > h:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, [ch, cw]))


def ten_crop(img, size, vertical_flip=False):
    first = five_crop(img, size)
    img = vflip(img) if vertical_flip else hflip(img)
    return first + five_crop(img, size)


# --- rotations and affine maps (PIL does the resampling) ------------------------------

def _inverse_affine(center, angle, translate, scale, shear):
    # The map is T * C * R * S * Sh * C^-1; PIL needs its inverse, row-major 2x3.
    rot = math.radians(angle)
    sx, sy = (math.radians(s) for s in shear)
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]
    m = [x / scale for x in m]
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def _fill_for(img, fill):
    if fill is None:
        return None
    bands = len(img.getbands())
    if isinstance(fill, (int, float)):
        return tuple([fill] * bands) if bands > 1 else fill
    fill = tuple(fill)
    return fill if bands > 1 else fill[0]


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    interpolation = _interp(interpolation)
    if _is_pil(img):
        return img.rotate(angle, _pil_mode(interpolation), expand, center,
                          fillcolor=_fill_for(img, fill))
    return _map_channels(img, lambda ch: ch.rotate(angle, _pil_mode(interpolation), expand,
                                                   center, fillcolor=0 if fill is None
                                                   else float(fill if isinstance(fill, (
                                                       int, float)) else fill[0])))


def affine(img, angle, translate, scale, shear, interpolation=InterpolationMode.NEAREST,
           fill=None, center=None):
    from PIL import Image
    interpolation = _interp(interpolation)
    if isinstance(shear, numbers.Number):
        shear = [shear, 0.0]
    shear = list(shear) + [0.0] * (2 - len(shear))
    _, h, w = get_dimensions(img)
    if center is None:
        c = [w * 0.5, h * 0.5]
    else:
        c = list(center)
    matrix = _inverse_affine(c, angle, translate, scale, shear)
    if _is_pil(img):
        return img.transform((w, h), Image.AFFINE, matrix, _pil_mode(interpolation),
                             fillcolor=_fill_for(img, fill))
    return _map_channels(img, lambda ch: ch.transform((w, h), Image.AFFINE, matrix,
                                                      _pil_mode(interpolation)))


def _perspective_coeffs(startpoints, endpoints):
    a = np.zeros((8, 8))
    for i, (p1, p2) in enumerate(zip(endpoints, startpoints)):
        a[2 * i] = [p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]]
        a[2 * i + 1] = [0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]]
    b = np.array(startpoints, dtype=np.float64).reshape(8)
    return np.linalg.lstsq(a, b, rcond=None)[0].tolist()


def perspective(img, startpoints, endpoints, interpolation=InterpolationMode.BILINEAR,
                fill=None):
    from PIL import Image
    coeffs = _perspective_coeffs(startpoints, endpoints)
    interpolation = _interp(interpolation)
    if _is_pil(img):
        return img.transform(img.size, Image.PERSPECTIVE, coeffs, _pil_mode(interpolation),
                             fillcolor=_fill_for(img, fill))
    return _map_channels(img, lambda ch: ch.transform(ch.size, Image.PERSPECTIVE, coeffs,
                                                      _pil_mode(interpolation)))


# --- colour ----------------------------------------------------------------------------------

def _blend(img1, img2, ratio):
    bound = 1.0 if img1.is_floating_point() else 255.0
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    if _is_pil(img):
        out = img.convert("L")
        return out.convert("RGB") if num_output_channels == 3 else out
    r, g, b = img.unbind(dim=-3)
    gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(-3)
    return gray.expand(img.shape) if num_output_channels == 3 else gray


to_grayscale = rgb_to_grayscale


def adjust_brightness(img, brightness_factor):
    if _is_pil(img):
        from PIL import ImageEnhance
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    return _blend(img, img.new_zeros(()), brightness_factor)


def adjust_contrast(img, contrast_factor):
    if _is_pil(img):
        from PIL import ImageEnhance
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    gray = rgb_to_grayscale(img) if img.shape[-3] == 3 else img
    mean = gray.float().mean(dim=(-3, -2, -1), keepdim=True) if img.is_floating_point() \
        else gray.float().mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean.to(img.dtype) if img.is_floating_point() else mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    if _is_pil(img):
        from PIL import ImageEnhance
        return ImageEnhance.Color(img).enhance(saturation_factor)
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_pil(img):
        from PIL import Image
        mode = img.mode
        if mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        hh = np.array(h, dtype=np.uint8)
        with np.errstate(over="ignore", invalid="ignore"):
            hh += np.array(hue_factor * 255).astype(np.uint8)  # wraps around the hue circle
        return Image.merge("HSV", (Image.fromarray(hh, "L"), s, v)).convert(mode)
    raise NotImplementedError("adjust_hue on tensors is not supported yet")


def adjust_gamma(img, gamma, gain=1):
    if _is_pil(img):
        mode = img.mode
        im = img.convert("RGB")
        table = [int((255 + 1 - 1e-3) * gain * pow(e / 255.0, gamma)) for e in range(256)] * 3
        return im.point(table).convert(mode)
    x = img if img.is_floating_point() else convert_image_dtype(img)
    return convert_image_dtype((gain * x.pow(gamma)).clamp(0, 1), img.dtype)


def invert(img):
    if _is_pil(img):
        from PIL import ImageOps
        return ImageOps.invert(img)
    bound = 1.0 if img.is_floating_point() else 255
    return bound - img


def gaussian_blur(img, kernel_size, sigma=None):
    from ..._tensor import _wrap
    if isinstance(kernel_size, int):
        kernel_size = [kernel_size, kernel_size]
    if sigma is None:
        sigma = [ksize * 0.15 + 0.35 for ksize in kernel_size]
    if isinstance(sigma, (int, float)):
        sigma = [float(sigma), float(sigma)]
    was_pil = _is_pil(img)
    t = pil_to_tensor(img) if was_pil else img

    def kernel1d(k, s):
        x = np.linspace(-(k - 1) * 0.5, (k - 1) * 0.5, k, dtype=np.float32)
        pdf = np.exp(-0.5 * (x / np.float32(s)) ** 2)
        return pdf / pdf.sum()

    kx, ky = kernel1d(kernel_size[0], sigma[0]), kernel1d(kernel_size[1], sigma[1])
    a = t._data.astype(np.float32)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    widths = [(0, 0)] * (a.ndim - 2) + [(py, py), (px, px)]
    a = np.pad(a, widths, mode="reflect")
    win = np.lib.stride_tricks.sliding_window_view(a, kernel_size[1], axis=-2)
    a = np.tensordot(win, ky, axes=([-1], [0]))
    win = np.lib.stride_tricks.sliding_window_view(a, kernel_size[0], axis=-1)
    a = np.tensordot(win, kx, axes=([-1], [0])).astype(np.float32)
    if t.dtype is not D.float32:
        a = np.round(a) if not t.is_floating_point() else a
        a = a.astype(t.dtype.np)
    out = _wrap(a)
    return to_pil_image(out, mode=img.mode) if was_pil else out


def erase(img, i, j, h, w, v, inplace=False):
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
