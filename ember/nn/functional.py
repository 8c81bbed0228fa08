"""ember.nn.functional (being built)."""
from .._ops.conv import (conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d,  # noqa
                         conv_transpose3d, unfold, fold)
from .._ops.pooling import *  # noqa
from .._ops.pooling import (max_unpool1d, max_unpool2d, max_unpool3d, lp_pool1d, lp_pool2d,  # noqa
                            avg_pool2d, avg_pool3d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                            adaptive_max_pool2d, adaptive_max_pool3d)
