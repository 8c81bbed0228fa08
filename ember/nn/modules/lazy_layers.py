"""Lazy convolution and batch-norm layers: channel counts come from the first input."""
from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedParameter, UninitializedBuffer
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d
from .lazy import LazyModuleMixin

__all__ = ["LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyBatchNorm1d", "LazyBatchNorm2d",
           "LazyBatchNorm3d"]


def _lazy_conv(conv_cls, n):
    class LazyConv(LazyModuleMixin, conv_cls):
        cls_to_become = conv_cls

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                     groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                             padding_mode, device, dtype)
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            self.out_channels = out_channels
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)

        def reset_parameters(self):
            if not self.has_uninitialized_params() and self.in_channels != 0:
                super().reset_parameters()

        def initialize_parameters(self, input, *args, **kwargs):
            if not self.has_uninitialized_params():
                return
            # an unbatched input has one dimension fewer: channels come first then
            self.in_channels = input.shape[0] if input.dim() == n + 1 else input.shape[1]
            if self.in_channels % self.groups != 0:
                raise ValueError("in_channels must be divisible by groups")
            with no_grad():
                self.weight.materialize((self.out_channels, self.in_channels // self.groups,
                                         *self.kernel_size))
                if self.bias is not None:
                    self.bias.materialize((self.out_channels,))
                self.reset_parameters()

    LazyConv.__name__ = LazyConv.__qualname__ = "Lazy" + conv_cls.__name__
    return LazyConv


def _lazy_bn(bn_cls):
    class LazyBatchNorm(LazyModuleMixin, bn_cls):
        cls_to_become = bn_cls

        def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                     device=None, dtype=None):
            super().__init__(0, eps, momentum, False, False, device, dtype)
            self.affine = affine
            self.track_running_stats = track_running_stats
            if affine:
                self.weight = UninitializedParameter(device=device, dtype=dtype)
                self.bias = UninitializedParameter(device=device, dtype=dtype)
            if track_running_stats:
                from ..._creation import tensor
                from ... import _dtype as D
                self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
                self.running_var = UninitializedBuffer(device=device, dtype=dtype)
                self.num_batches_tracked = tensor(0, dtype=D.int64)

        def reset_parameters(self):
            if not self.has_uninitialized_params() and self.num_features != 0:
                super().reset_parameters()

        def initialize_parameters(self, input):
            if not self.has_uninitialized_params():
                return
            self.num_features = input.shape[1] if input.dim() > 1 else input.shape[0]
            with no_grad():
                if self.affine:
                    self.weight.materialize((self.num_features,))
                    self.bias.materialize((self.num_features,))
                if self.track_running_stats:
                    self.running_mean.materialize((self.num_features,))
                    self.running_var.materialize((self.num_features,))
                self.reset_parameters()

    LazyBatchNorm.__name__ = LazyBatchNorm.__qualname__ = "Lazy" + bn_cls.__name__
    return LazyBatchNorm


LazyConv1d, LazyConv2d, LazyConv3d = (_lazy_conv(c, n) for c, n in ((Conv1d, 1), (Conv2d, 2),
                                                                    (Conv3d, 3)))
LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d = (_lazy_bn(b) for b in (
    BatchNorm1d, BatchNorm2d, BatchNorm3d))
