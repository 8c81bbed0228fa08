"""ember.vision.transforms: torchvision.transforms' role."""
from .transforms import (Compose, ToTensor, PILToTensor, ConvertImageDtype, ToPILImage,
                         Normalize, Resize, CenterCrop, Pad, Lambda, RandomApply, RandomOrder,
                         RandomChoice, RandomCrop, RandomHorizontalFlip, RandomVerticalFlip,
                         RandomResizedCrop, FiveCrop, TenCrop, RandomRotation, RandomAffine,
                         RandomPerspective, ColorJitter, Grayscale, RandomGrayscale,
                         GaussianBlur, RandomErasing)
from .functional import InterpolationMode
from . import functional

__all__ = ["Compose", "ToTensor", "PILToTensor", "ConvertImageDtype", "ToPILImage",
           "Normalize", "Resize", "CenterCrop", "Pad", "Lambda", "RandomApply", "RandomOrder",
           "RandomChoice", "RandomCrop", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomResizedCrop", "FiveCrop", "TenCrop", "RandomRotation", "RandomAffine",
           "RandomPerspective", "ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur",
           "RandomErasing", "InterpolationMode", "functional"]
