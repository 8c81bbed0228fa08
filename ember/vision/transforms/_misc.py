"""The probability-gated unary transforms (RandomInvert & co.) and LinearTransformation."""
from ... import nn
from . import functional as F


def _rand1():
    from ... import rand
    return rand(1)


class LinearTransformation(nn.Module):
    """Flatten (C, H, W), subtract ``mean_vector``, multiply by the (D, D) matrix (whitening)."""

    def __init__(self, transformation_matrix, mean_vector):
        super().__init__()
        size = tuple(transformation_matrix.size())
        if size[0] != size[1]:
            raise ValueError(f"transformation_matrix should be square. Got {size} rectangular "
                             "matrix.")
        if mean_vector.size(0) != size[0]:
            raise ValueError(f"mean_vector should have the same length {mean_vector.size(0)} "
                             "as any one of the dimensions of the transformation_matrix "
                             f"[{size}]")
        if transformation_matrix.dtype != mean_vector.dtype:
            raise ValueError(f"Input tensors should have the same dtype. Got "
                             f"{transformation_matrix.dtype} and {mean_vector.dtype}")
        self.transformation_matrix = transformation_matrix
        self.mean_vector = mean_vector

    def forward(self, tensor):
        shape = tensor.shape
        n = shape[-3] * shape[-2] * shape[-1]
        if n != self.transformation_matrix.shape[0]:
            raise ValueError("Input tensor and transformation matrix have incompatible shape."
                             f"[{shape[-3]} x {shape[-2]} x {shape[-1]}] != "
                             f"{self.transformation_matrix.shape[0]}")
        flat = tensor.view(-1, n) - self.mean_vector
        return flat.mm(self.transformation_matrix.to(flat.dtype)).view(shape)

    def __repr__(self):
        return (f"{self.__class__.__name__}(transformation_matrix="
                f"{self.transformation_matrix.tolist()}, "
                f"mean_vector={self.mean_vector.tolist()})")


class _RandomApplyOne(nn.Module):
    """A unary transform applied with probability p (the RandomInvert family)."""
    _fn = None

    def __init__(self, p=0.5):
        super().__init__()
        self.p = p

    def forward(self, img):
        return self._apply(img) if _rand1().item() < self.p else img

    def _apply(self, img):
        return type(self)._fn(img)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomInvert(_RandomApplyOne):
    _fn = staticmethod(F.invert)


class RandomAutocontrast(_RandomApplyOne):
    _fn = staticmethod(F.autocontrast)


class RandomEqualize(_RandomApplyOne):
    _fn = staticmethod(F.equalize)


class RandomPosterize(_RandomApplyOne):
    def __init__(self, bits, p=0.5):
        super().__init__(p)
        self.bits = bits

    def _apply(self, img):
        return F.posterize(img, self.bits)

    def __repr__(self):
        return f"{self.__class__.__name__}(bits={self.bits},p={self.p})"


class RandomSolarize(_RandomApplyOne):
    def __init__(self, threshold, p=0.5):
        super().__init__(p)
        self.threshold = threshold

    def _apply(self, img):
        return F.solarize(img, self.threshold)

    def __repr__(self):
        return f"{self.__class__.__name__}(threshold={self.threshold},p={self.p})"


class RandomAdjustSharpness(_RandomApplyOne):
    def __init__(self, sharpness_factor, p=0.5):
        super().__init__(p)
        self.sharpness_factor = sharpness_factor

    def _apply(self, img):
        return F.adjust_sharpness(img, self.sharpness_factor)

    def __repr__(self):
        return (f"{self.__class__.__name__}(sharpness_factor={self.sharpness_factor},"
                f"p={self.p})")
