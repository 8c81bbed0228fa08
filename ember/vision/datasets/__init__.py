"""ember.vision.datasets: datasets in torchvision's on-disk formats."""
from .vision import VisionDataset, StandardTransform
from .cifar import CIFAR10, CIFAR100
from .mnist import MNIST, FashionMNIST, KMNIST, EMNIST
from .folder import ImageFolder, DatasetFolder, IMG_EXTENSIONS, default_loader, pil_loader
from .fakedata import FakeData
from . import utils

__all__ = ["VisionDataset", "StandardTransform", "CIFAR10", "CIFAR100", "MNIST",
           "FashionMNIST", "KMNIST", "EMNIST", "ImageFolder", "DatasetFolder", "FakeData",
           "IMG_EXTENSIONS", "default_loader", "pil_loader", "utils"]
