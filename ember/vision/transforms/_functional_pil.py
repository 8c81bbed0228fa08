"""Transforms on PIL images: Pillow does the pixel work exactly where torchvision asks it to,
so the outputs are the same pixels."""
import numbers

from ..._backend import np

try:
    from PIL import Image, ImageEnhance, ImageOps
except ImportError:  # pragma: no cover - Pillow is a dependency; keep import errors lazy
    Image = ImageEnhance = ImageOps = None


def _is_pil_image(img):
    return Image is not None and isinstance(img, Image.Image)


def _check(img):
    if not _is_pil_image(img):
        raise TypeError(f"img should be PIL Image. Got {type(img)}")


def _fromarray(arr, mode):
    # Pillow >= 11.3 infers the mode in fromarray; the raw decoder still reads the bytes
    # *as* ``mode`` (e.g. int32 data as "I", HSV data as "HSV"), which is what is wanted.
    arr = np.ascontiguousarray(arr)
    return Image.frombuffer(mode, (arr.shape[1], arr.shape[0]), arr.tobytes(), "raw", mode, 0,
                            1)


def get_dimensions(img):
    if _is_pil_image(img):
        return [len(img.getbands()), img.size[1], img.size[0]]
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_size(img):
    if _is_pil_image(img):
        return list(img.size)
    raise TypeError(f"Unexpected type {type(img)}")


def get_image_num_channels(img):
    if _is_pil_image(img):
        return len(img.getbands())
    raise TypeError(f"Unexpected type {type(img)}")


def hflip(img):
    _check(img)
    return img.transpose(Image.FLIP_LEFT_RIGHT)


def vflip(img):
    _check(img)
    return img.transpose(Image.FLIP_TOP_BOTTOM)


def _enhance(kind, img, factor):
    _check(img)
    return getattr(ImageEnhance, kind)(img).enhance(factor)


def adjust_brightness(img, brightness_factor):
    return _enhance("Brightness", img, brightness_factor)


def adjust_contrast(img, contrast_factor):
    return _enhance("Contrast", img, contrast_factor)


def adjust_saturation(img, saturation_factor):
    return _enhance("Color", img, saturation_factor)


def adjust_sharpness(img, sharpness_factor):
    return _enhance("Sharpness", img, sharpness_factor)


def adjust_hue(img, hue_factor):
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    _check(img)
    mode = img.mode
    if mode in {"L", "1", "I", "F"}:
        return img
    h, s, v = img.convert("HSV").split()
    hue = np.array(h, dtype=np.uint8)
    # uint8 arithmetic wraps around: a shift on the hue circle.
    hue += np.int32(hue_factor * 255).astype(np.uint8)
    h = _fromarray(hue, "L")
    return Image.merge("HSV", (h, s, v)).convert(mode)


def adjust_gamma(img, gamma, gain=1.0):
    _check(img)
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    mode = img.mode
    table = [int((255 + 1 - 1e-3) * gain * pow(e / 255.0, gamma)) for e in range(256)] * 3
    return img.convert("RGB").point(table).convert(mode)


def _parse_fill(fill, img, name="fillcolor"):
    bands = get_image_num_channels(img)
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)) and bands > 1:
        fill = tuple([fill] * bands)
    if isinstance(fill, (list, tuple)):
        if len(fill) == 1:
            fill = fill * bands
        elif len(fill) != bands:
            raise ValueError("The number of elements in 'fill' does not match the number of "
                             f"channels of the image ({len(fill)} != {bands})")
        fill = tuple(fill)
    if img.mode != "F":
        fill = tuple(int(x) for x in fill) if isinstance(fill, tuple) else int(fill)
    return {name: fill}


def pad(img, padding, fill=0, padding_mode="constant"):
    _check(img)
    if not isinstance(padding, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if fill is not None and not isinstance(fill, (numbers.Number, tuple, list)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, list):
        padding = tuple(padding)
    if isinstance(padding, tuple) and len(padding) not in [1, 2, 4]:
        raise ValueError("Padding must be an int or a 1, 2, or 4 element tuple, not a "
                         f"{len(padding)} element tuple")
    if isinstance(padding, tuple) and len(padding) == 1:
        padding = padding[0]
    if padding_mode not in ["constant", "edge", "reflect", "symmetric"]:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")

    if padding_mode == "constant":
        out = ImageOps.expand(img, border=padding, **_parse_fill(fill, img, name="fill"))
        if img.mode == "P":
            out.putpalette(img.getpalette())
        return out

    if isinstance(padding, int):
        left = top = right = bottom = padding
    elif len(padding) == 2:
        left = right = padding[0]
        top = bottom = padding[1]
    else:
        left, top, right, bottom = padding
    p = [left, top, right, bottom]
    cropping = -np.minimum(p, 0)
    if cropping.any():
        cl, ct, cr, cb = (int(c) for c in cropping)
        img = img.crop((cl, ct, img.width - cr, img.height - cb))
    left, top, right, bottom = (int(v) for v in np.maximum(p, 0))
    widths = ((top, bottom), (left, right))
    if img.mode == "P":
        palette = img.getpalette()
        out = Image.fromarray(np.pad(np.asarray(img), widths, mode=padding_mode))
        out.putpalette(palette)
        return out
    arr = np.asarray(img)
    if arr.ndim == 3:
        widths = widths + ((0, 0),)
    return Image.fromarray(np.pad(arr, widths, padding_mode))


def crop(img, top, left, height, width):
    _check(img)
    return img.crop((left, top, left + width, top + height))


def resize(img, size, interpolation=None):
    _check(img)
    if not (isinstance(size, list) and len(size) == 2):
        raise TypeError(f"Got inappropriate size arg: {size}")
    return img.resize(tuple(size[::-1]), Image.BILINEAR if interpolation is None
                      else interpolation)


def affine(img, matrix, interpolation=None, fill=None):
    _check(img)
    return img.transform(img.size, Image.AFFINE, matrix,
                         Image.NEAREST if interpolation is None else interpolation,
                         **_parse_fill(fill, img))


def rotate(img, angle, interpolation=None, expand=False, center=None, fill=None):
    _check(img)
    return img.rotate(angle, Image.NEAREST if interpolation is None else interpolation, expand,
                      center, **_parse_fill(fill, img))


def perspective(img, perspective_coeffs, interpolation=None, fill=None):
    _check(img)
    return img.transform(img.size, Image.PERSPECTIVE, perspective_coeffs,
                         Image.BICUBIC if interpolation is None else interpolation,
                         **_parse_fill(fill, img))


def to_grayscale(img, num_output_channels):
    _check(img)
    if num_output_channels == 1:
        return img.convert("L")
    if num_output_channels == 3:
        gray = np.array(img.convert("L"), dtype=np.uint8)
        return _fromarray(np.dstack([gray, gray, gray]), "RGB")
    raise ValueError("num_output_channels should be either 1 or 3")


def invert(img):
    _check(img)
    return ImageOps.invert(img)


def posterize(img, bits):
    _check(img)
    return ImageOps.posterize(img, bits)


def solarize(img, threshold):
    _check(img)
    return ImageOps.solarize(img, threshold)


def autocontrast(img):
    _check(img)
    return ImageOps.autocontrast(img)


def equalize(img):
    _check(img)
    return ImageOps.equalize(img)
