"""Builder plumbing shared by the zoo: the legacy ``pretrained=`` keyword, positional
arguments, and parameters that pretrained weights pin down."""
import functools
import inspect
import warnings

from ._api import WeightsEnum


def _make_divisible(v, divisor, min_value=None):
    # Round a channel count to the nearest multiple of divisor, never dropping below 90%.
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _sequence_to_str(seq, separate_last=""):
    if not seq:
        return ""
    if len(seq) == 1:
        return f"'{seq[0]}'"
    head = "'" + "', '".join([str(item) for item in seq[:-1]]) + "'"
    tail = f"{'' if separate_last and len(seq) == 2 else ','} {separate_last}'{seq[-1]}'"
    return head + tail


def kwonly_to_pos_or_kw(fn):
    """Accept keyword-only parameters positionally again, with torchvision's warning."""
    params = inspect.signature(fn).parameters
    try:
        first = next(i for i, p in enumerate(params.values())
                     if p.kind == p.KEYWORD_ONLY)
    except StopIteration:
        raise TypeError(f"Found no keyword-only parameter on function '{fn.__name__}'") \
            from None
    kwonly = tuple(params)[first:]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args, extra = args[:first], args[first:]
        if extra:
            moved = dict(zip(kwonly, extra))
            warnings.warn(
                f"Using {_sequence_to_str(tuple(moved.keys()), separate_last='and ')} as "
                "positional parameter(s) is deprecated since 0.13 and may be removed in the "
                "future. Please use keyword parameter(s) instead.")
            kwargs.update(moved)
        return fn(*args, **kwargs)

    return wrapper


def handle_legacy_interface(**weights):
    """Map ``pretrained=True/False`` (keyword or positional) onto ``weights=``, warning
    exactly as torchvision does. ``weights`` maps the new parameter name to
    ``(legacy name, default enum member or callable(kwargs) -> member)``."""

    def outer(builder):
        @kwonly_to_pos_or_kw
        @functools.wraps(builder)
        def inner(*args, **kwargs):
            for weights_param, (pretrained_param, default) in weights.items():
                sentinel = object()
                weights_arg = kwargs.get(weights_param, sentinel)
                if ((weights_param not in kwargs and pretrained_param not in kwargs)
                        or isinstance(weights_arg, WeightsEnum)
                        or (isinstance(weights_arg, str) and weights_arg != "legacy")
                        or weights_arg is None):
                    continue
                # A positional ``pretrained`` arrives under the new name.
                positional = weights_arg is not sentinel
                if positional:
                    kwargs[pretrained_param] = pretrained_arg = kwargs.pop(weights_param)
                else:
                    pretrained_arg = kwargs[pretrained_param]
                if pretrained_arg:
                    default_arg = default(kwargs) if callable(default) else default
                    if not isinstance(default_arg, WeightsEnum):
                        raise ValueError(f"No weights available for model {builder.__name__}")
                else:
                    default_arg = None
                if not positional:
                    warnings.warn(
                        f"The parameter '{pretrained_param}' is deprecated since 0.13 and may "
                        f"be removed in the future, please use '{weights_param}' instead.")
                msg = (f"Arguments other than a weight enum or `None` for '{weights_param}' are "
                       "deprecated since 0.13 and may be removed in the future. The current "
                       f"behavior is equivalent to passing `{weights_param}={default_arg}`.")
                if pretrained_arg:
                    msg = (f"{msg} You can also use `{weights_param}="
                           f"{type(default_arg).__name__}.DEFAULT` to get the most up-to-date "
                           "weights.")
                warnings.warn(msg)
                del kwargs[pretrained_param]
                kwargs[weights_param] = default_arg
            return builder(*args, **kwargs)

        return inner

    return outer


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got "
                             f"{kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _ovewrite_value_param(param, actual, expected):
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} "
                         "instead.")
    return expected


def _imagenet_weights(url, num_params, min_size, recipe, acc1, acc5, ops, file_size,
                      resize_size=None, categories="imagenet", **transform_kw):
    """A ``Weights`` record for an ImageNet-1K classifier checkpoint."""
    from functools import partial
    from ..transforms._presets import ImageClassification
    from ._api import Weights
    from ._meta import _IMAGENET_CATEGORIES
    if categories == "imagenet":
        categories = _IMAGENET_CATEGORIES
    if resize_size is not None:
        transform_kw["resize_size"] = resize_size
    return Weights(url=url, transforms=partial(ImageClassification, crop_size=224,
                                               **transform_kw),
                   meta={"categories": categories, "num_params": num_params,
                         "min_size": min_size, "recipe": recipe,
                         "_metrics": {"ImageNet-1K": {"acc@1": acc1, "acc@5": acc5}},
                         "_ops": ops, "_file_size": file_size})


def _load_weights(model, weights, progress):
    model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
