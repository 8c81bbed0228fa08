"""ember.device: where a tensor lives ('cpu' now; 'cuda' reserved for the CuPy backend)."""

_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
          "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
          "privateuseone")


def _invalid(text):
    return RuntimeError(f"Invalid device string: '{text}'")


class device:
    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int) and not isinstance(type, bool):
            type, index = "cuda", type
        if not isinstance(type, str) or not (index is None or isinstance(index, int)):
            got = ", ".join(t.__name__ for t in (builtins_type(type), builtins_type(index))
                            if t is not builtins_type(None))
            raise TypeError(f"device() received an invalid combination of arguments - got "
                            f"({got}), but expected one of:\n * (torch.device device)\n * "
                            "(str type, int index = -1)\n")
        text = type
        if ":" in type:
            type, idx = type.split(":", 1)
            if not idx.isdigit() or (len(idx) > 1 and idx[0] == "0"):
                raise _invalid(text)
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index "
                                   f"was passed explicitly: {text}")
            index = int(idx)
        if type not in _TYPES:
            if type.strip() != type or not type:
                raise _invalid(text)
            raise RuntimeError(
                f"Expected one of {', '.join(_TYPES)} device type at start of device "
                f"string: {type}")
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = type, index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


builtins_type = type
CPU = device("cpu")


def as_device(d):
    if d is None or isinstance(d, device):
        return d
    return device(d)
