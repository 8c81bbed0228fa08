"""ember.backends.cuda: CUDA's matmul and attention switches on a build without CUDA.

``is_built()`` is False; ``matmul.allow_tf32`` and the scaled-dot-product-attention
toggles keep torch's defaults and can be set, because scripts set them regardless.
"""
__all__ = ["is_built", "matmul", "flash_sdp_enabled", "enable_flash_sdp",
           "mem_efficient_sdp_enabled", "enable_mem_efficient_sdp", "math_sdp_enabled",
           "enable_math_sdp", "cudnn_sdp_enabled", "enable_cudnn_sdp",
           "fp16_bf16_reduction_math_sdp_allowed", "allow_fp16_bf16_reduction_math_sdp",
           "is_flash_attention_available"]


def is_built():
    return False


class _MatmulFlags:
    """``torch.backends.cuda.matmul``: only the known flags may be read or set."""
    _defaults = {"allow_tf32": False, "allow_fp16_reduced_precision_reduction": True,
                 "allow_bf16_reduced_precision_reduction": True,
                 "allow_fp16_accumulation": False, "fp32_precision": "none"}

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._defaults))

    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError("Unknown attribute " + name)

    def __setattr__(self, name, value):
        if name not in self._defaults:
            raise AttributeError("Unknown attribute " + name)
        if name == "fp32_precision":
            from ._flags import check_precision
            check_precision(value)
        elif not isinstance(value, bool):
            # torch also takes (allow, allow_splitk) for the reduced-precision flags; the
            # first entry is what reads back
            if name.endswith("reduction") and isinstance(value, (tuple, list)) and value \
                    and all(isinstance(v, bool) for v in value[:2]) and len(value) <= 2:
                value = value[0]
            elif name == "allow_tf32":
                raise RuntimeError(f"set_allow_tf32_cublas expects a bool, but got "
                                   f"{type(value).__name__}")
            else:
                raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got "
                                f"{type(value)!r}")
        self._values[name] = value


matmul = _MatmulFlags()

_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True,
        "fp16_bf16_reduction_math": False}


def flash_sdp_enabled():
    return _sdp["flash"]


def enable_flash_sdp(enabled):
    _sdp["flash"] = bool(enabled)


def mem_efficient_sdp_enabled():
    return _sdp["mem_efficient"]


def enable_mem_efficient_sdp(enabled):
    _sdp["mem_efficient"] = bool(enabled)


def math_sdp_enabled():
    return _sdp["math"]


def enable_math_sdp(enabled):
    _sdp["math"] = bool(enabled)


def cudnn_sdp_enabled():
    return _sdp["cudnn"]


def enable_cudnn_sdp(enabled):
    _sdp["cudnn"] = bool(enabled)


def fp16_bf16_reduction_math_sdp_allowed():
    return _sdp["fp16_bf16_reduction_math"]


def allow_fp16_bf16_reduction_math_sdp(enabled):
    _sdp["fp16_bf16_reduction_math"] = bool(enabled)


def is_flash_attention_available():
    return False
