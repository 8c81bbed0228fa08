"""PyTorch's error wording, in one place, so every op says the same thing."""


def broadcast_mismatch(a_shape, b_shape):
    """The error for two shapes that do not broadcast (PyTorch's wording)."""
    a, b = tuple(a_shape), tuple(b_shape)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) "
                f"at non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast")


def expand_mismatch(shape, target):
    shape, target = tuple(shape), tuple(target)
    n = len(target)
    pad = (None,) * (n - len(shape)) + shape
    for i in range(n):
        if pad[i] is not None and pad[i] != target[i] and pad[i] != 1 and target[i] != -1:
            return RuntimeError(
                f"The expanded size of the tensor ({target[i]}) must match the existing size "
                f"({pad[i]}) at non-singleton dimension {i}.  Target sizes: {list(target)}.  "
                f"Tensor sizes: {list(shape)}")
    return RuntimeError(f"expand: invalid target sizes {list(target)} for {list(shape)}")


def dim_out_of_range(dim, ndim):
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    return IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                      f"but got {dim})")


def wrap_dim(dim, ndim):
    """Normalise a possibly negative dim, raising PyTorch's IndexError."""
    n = ndim if ndim > 0 else 1
    if not -n <= dim < n:
        raise dim_out_of_range(dim, ndim)
    return dim + n if dim < 0 else dim


def index_out_of_range(index, dim, size):
    return IndexError(f"index {index} is out of bounds for dimension {dim} with size {size}")


def mm_mismatch(a_shape, b_shape, name="mat1 and mat2"):
    return RuntimeError(f"{name} shapes cannot be multiplied "
                        f"({a_shape[0]}x{a_shape[1]} and {b_shape[0]}x{b_shape[1]})")


def view_incompatible():
    return RuntimeError(
        "view size is not compatible with input tensor's size and stride (at least one "
        "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")


def shape_invalid(shape, numel):
    return RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")


def dtype_mismatch(op, expected, found):
    return RuntimeError(f"expected scalar type {expected} but found {found}")


LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"
BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward.")
GRAD_SCALAR_ONLY = "grad can be implicitly created only for scalar outputs"
BOOL_AMBIGUOUS = "Boolean value of Tensor with more than one value is ambiguous"
NO_CUDA = "Torch not compiled with CUDA enabled"


def modified_inplace(node_name, output_nr, shape, dtype_name, found, expected, is_output=False):
    kind = "output" if is_output else "input"
    shape_s = "[" + ", ".join(str(s) for s in shape) + "]"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [torch.{_TYPE_NAMES.get(dtype_name, 'FloatTensor')} {shape_s}], which is {kind} "
        f"{output_nr} of {node_name}, is at version {found}; expected version {expected} "
        "instead. Hint: enable anomaly detection to find the operation that failed to "
        "compute its gradient, with torch.autograd.set_detect_anomaly(True).")


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor", "uint16": "UInt16Tensor",
               "uint32": "UInt32Tensor", "uint64": "UInt64Tensor"}


def version_mismatch(shape, dtype_name, found, expected, producer=None, output_nr=0):
    """A saved tensor was changed in place before backward read it (PyTorch's wording).

    ``producer`` is the name of the node whose output the tensor is (PyTorch prints it
    without the ``Backward0`` suffix); None for leaves and tensors outside the graph.
    """
    import re
    shape_s = "[" + ", ".join(str(s) for s in shape) + "]"
    where = ""
    if producer is not None:
        short = re.sub(r"Backward\d*$", "", producer)
        where = f", which is output {output_nr} of {short},"
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [torch.{_TYPE_NAMES.get(dtype_name, 'FloatTensor')} {shape_s}]"
        f"{where} is at version {found}; expected version {expected} instead. Hint: enable "
        "anomaly detection to find the operation that failed to compute its gradient, with "
        "torch.autograd.set_detect_anomaly(True, check_nan=False).")


NONLEAF_GRAD_ACCESS = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information. (Triggered "
    "internally at /__w/pytorch/pytorch/build/aten/src/ATen/core/TensorBody.h:488.)")

_CPP_TYPE_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
                   "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int",
                   "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
                   "bool": "bool", "complex64": "c10::complex<float>",
                   "complex128": "c10::complex<double>", "uint16": "unsigned short",
                   "uint32": "unsigned int", "uint64": "unsigned long"}


def grad_dtype_mismatch(got, expected):
    return (f"attempting to assign a gradient with dtype '{_CPP_TYPE_NAMES[got.name]}' to a "
            f"tensor with grad_dtype '{expected._cname}'. The gradient must match the tensor's "
            "grad_dtype (defaults to the tensor's dtype). You can set the tensor's grad_dtype "
            "attribute with a specific dtype, or None to allow any dtype. Set grad_dtype with "
            "caution. Diverging the dtypes of a tensor and its gradient may break downstream "
            "systems that assume they match.")

TYPED_STORAGE_DEPRECATED = (
    "TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be "
    "the only storage class. This should only matter to you if you are using storages "
    "directly.  To access UntypedStorage directly, use tensor.untyped_storage() instead of "
    "tensor.storage()")
