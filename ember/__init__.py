"""ember: a PyTorch you can read, on NumPy.

``import ember as torch`` should just work: the namespace mirrors torch's.
"""
__version__ = "0.1.0"

from . import _dtype
from ._dtype import (dtype, bool, uint8, int8, int16, int32, int64, float16, bfloat16,
                     float32, float64, complex64, complex128, get_default_dtype,
                     set_default_dtype, promote_types, result_type as _result_type, can_cast)
from ._dtype import uint16, uint32, uint64, finfo, iinfo
from ._device import device
from ._tensor import Tensor, Size
from ._storage import UntypedStorage, TypedStorage
from . import _ops
from ._ops.elementwise import *  # noqa: F401,F403
from ._ops.shape import *  # noqa: F401,F403
from ._ops.index import *  # noqa: F401,F403
from ._ops.inplace import *  # noqa: F401,F403
from ._ops.reduce import *  # noqa: F401,F403
from ._ops.linalg import *  # noqa: F401,F403
from ._ops.sort import *  # noqa: F401,F403
from ._ops.shape_extra import *  # noqa: F401,F403
from ._ops.nn_ops import *  # noqa: F401,F403
from ._ops.conv import *  # noqa: F401,F403
from ._ops.random_ops import *  # noqa: F401,F403
from ._ops.shape_more import *  # noqa: F401,F403
from ._ops.linalg_legacy import *  # noqa: F401,F403
from ._ops.complex import *  # noqa: F401,F403
from ._ops.elementwise import abs, round, pow, where  # names star-import hides
from ._ops.reduce import sum, mean
from ._creation import (tensor, as_tensor, asarray, from_numpy, zeros, ones, empty, full,
                        zeros_like, ones_like, empty_like, full_like, arange, linspace,
                        logspace, eye, scalar_tensor, complex, FloatTensor, DoubleTensor,
                        HalfTensor, BFloat16Tensor, LongTensor, IntTensor, ShortTensor,
                        CharTensor, ByteTensor, BoolTensor)
from ._creation import range_ as range  # noqa: A001
from ._creation import empty_strided
from . import autograd
from .autograd import (no_grad, enable_grad, set_grad_enabled, inference_mode,
                       is_grad_enabled, is_inference_mode_enabled)
from .autograd import is_anomaly_enabled, is_anomaly_check_nan_enabled
from ._printing import set_printoptions, get_printoptions
from . import cuda
from . import linalg
from . import fft  # noqa: E402
from . import random
from ._ops.random_ops import Generator, default_generator
from . import nn
from . import utils
from . import optim
from . import hub
from . import distributions

half, float, double, long, int, short = float16, float32, float64, int64, int32, int16
cfloat, cdouble, uint, chalf = complex64, complex128, uint8, complex64

strided = "strided"
contiguous_format = channels_last = preserve_format = "memory_format"


def result_type(tensor1, tensor2):
    return _result_type(tensor1, tensor2)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_storage(obj):
    return isinstance(obj, (UntypedStorage, TypedStorage))


def is_floating_point(input):
    return input.dtype.is_floating_point


def is_complex(input):
    return input.dtype.is_complex


def numel(input):
    return input.numel()


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins_bool(input.item())


import builtins as _builtins  # noqa: E402
builtins_bool = _builtins.bool


def _to_scalar_fn(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    return fn


def clone(input, *, memory_format=None):
    return input.clone()


def detach(input):
    return input.detach()


def t(input):
    return input.t()


def numel(input):
    return input.numel()


def typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__


def set_default_tensor_type(t):
    set_default_dtype(float64 if "Double" in str(t) else float32)


def compile(model=None, **kwargs):
    """No compiler here: the model runs as it is (what torch.compile falls back to)."""
    if model is None:
        return lambda m: m
    return model


def use_deterministic_algorithms(mode, *, warn_only=False):
    """ember is always deterministic."""


def are_deterministic_algorithms_enabled():
    return False


def set_num_threads(n):
    """Threads for ember's own parallel kernels (NumPy's BLAS keeps its own)."""
    from ._backend import parallel
    parallel.set_num_threads(n)


def get_num_threads():
    from ._backend import parallel
    return parallel.get_num_threads()


def set_num_interop_threads(n):
    """Accepted for compatibility."""


def get_num_interop_threads():
    return 1


def set_float32_matmul_precision(precision):
    """Accepted for compatibility: NumPy computes float32 matmuls in float32."""


def get_float32_matmul_precision():
    return "highest"

from . import serialization  # noqa: E402
from .serialization import save, load  # noqa: E402
from . import backends, version, multiprocessing, testing  # noqa: E402
from . import amp  # noqa: E402
from . import special  # noqa: E402
from . import func  # noqa: E402
globals().update(special._TOP_LEVEL)
from .amp import autocast  # noqa: E402
from .amp.autocast_mode import is_autocast_enabled  # noqa: E402
from .cuda import amp as _cuda_amp  # noqa: E402,F401  (makes ember.cuda.amp an attribute)
from ._ops.misc_math import *  # noqa: F401,F403,E402  (after special: it builds on it)
