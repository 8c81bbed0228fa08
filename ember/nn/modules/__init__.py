"""All layer classes, one file per family (as in torch.nn.modules)."""
from .module import Module
from .container import (Container, Sequential, ModuleList, ModuleDict, ParameterList,
                        ParameterDict)
from .linear import Identity, Linear, Bilinear, LazyLinear
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .pooling import (MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
                      AvgPool1d, AvgPool2d, AvgPool3d, FractionalMaxPool2d, LPPool1d, LPPool2d,
                      LPPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d,
                      AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d)
from .activation import (Threshold, ReLU, RReLU, Hardtanh, ReLU6, Sigmoid, Hardsigmoid, Tanh,
                         SiLU, Mish, Hardswish, ELU, CELU, SELU, GLU, GELU, Hardshrink,
                         LeakyReLU, LogSigmoid, Softplus, Softshrink, PReLU, Softsign,
                         Tanhshrink, Softmin, Softmax, Softmax2d, LogSoftmax)
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .normalization import LocalResponseNorm, CrossMapLRN2d, LayerNorm, GroupNorm, RMSNorm
from .dropout import (Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout,
                      FeatureAlphaDropout)
from .sparse import Embedding, EmbeddingBag
from .flatten import Flatten, Unflatten
from .padding import (CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d,
                      ConstantPad2d, ConstantPad3d, ReflectionPad1d, ReflectionPad2d,
                      ReflectionPad3d, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
                      ZeroPad1d, ZeroPad2d, ZeroPad3d)
from .upsampling import Upsample, UpsamplingNearest2d, UpsamplingBilinear2d, Fold, Unfold
from .pixelshuffle import PixelShuffle, PixelUnshuffle, ChannelShuffle
from .distance import PairwiseDistance, CosineSimilarity
from .loss import (L1Loss, NLLLoss, NLLLoss2d, PoissonNLLLoss, GaussianNLLLoss, KLDivLoss,
                   MSELoss, BCELoss, BCEWithLogitsLoss, HingeEmbeddingLoss,
                   MultiLabelMarginLoss, SmoothL1Loss, HuberLoss, SoftMarginLoss,
                   CrossEntropyLoss, MultiLabelSoftMarginLoss, CosineEmbeddingLoss,
                   MarginRankingLoss, MultiMarginLoss, TripletMarginLoss,
                   TripletMarginWithDistanceLoss, CTCLoss)
from .lazy import LazyModuleMixin
from .lazy_layers import (LazyConv1d, LazyConv2d, LazyConv3d, LazyBatchNorm1d,  # noqa: F401
                          LazyBatchNorm2d, LazyBatchNorm3d)
from .rnn import RNNBase, RNN, LSTM, GRU, RNNCellBase, RNNCell, LSTMCell, GRUCell
from .attention import MultiheadAttention
from .transformer import (Transformer, TransformerEncoder, TransformerDecoder,
                          TransformerEncoderLayer, TransformerDecoderLayer)

__all__ = [n for n in dir() if n[:1].isupper()]
