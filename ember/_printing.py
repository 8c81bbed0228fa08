"""Text rendering of tensors, matching PyTorch's ``repr`` output.

Everything here works on a plain NumPy array plus a dtype name, so the
module has no dependency on the tensor class itself.  The observable
behaviour (column widths, when scientific notation kicks in, how long rows
wrap, where ``...`` goes, which suffixes are shown) mirrors PyTorch 2.x so
that users switching between the two libraries see identical output.
"""

import math

import numpy as np

__all__ = ["set_printoptions", "get_printoptions", "format_tensor"]

_DEFAULTS = {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80}
_PROFILES = {
    "default": _DEFAULTS,
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}

# Key order matters: get_printoptions() must list the keys like torch does.
_opts = dict(_DEFAULTS, sci_mode=None)

_FLOAT_DTYPES = {"float16", "bfloat16", "float32", "float64"}
_COMPLEX_DTYPES = {"complex64", "complex128"}


def set_printoptions(precision=None, threshold=None, edgeitems=None,
                     linewidth=None, profile=None, sci_mode=None):
    """Change how tensors are printed.

    ``profile`` ("default", "short" or "full") resets the four numeric
    options first; explicitly passed options then override it.  Unlike the
    other options, ``sci_mode`` is always assigned, so omitting it returns
    to automatic selection of scientific notation.
    """
    if profile is not None and profile in _PROFILES:
        _opts.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold,
             "edgeitems": edgeitems, "linewidth": linewidth}
    _opts.update({k: v for k, v in given.items() if v is not None})
    _opts["sci_mode"] = sci_mode


def get_printoptions():
    """Return the current options as keyword arguments for set_printoptions."""
    return dict(_opts)


class _ElementFormatter:
    """Renders the elements of one real-valued array at a common width.

    The width and the notation are decided from the values that will be
    visible (the summarised data), then every element is right-aligned to
    that width.  ``texts`` maps a flat array of values to padded strings.
    """

    def __init__(self, values, floating):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        values = values.reshape(-1)
        if not floating:
            if values.size:
                self.width = max(1, max(len(s) for s in self._raw(values)))
            return
        shown = values[np.isfinite(values) & (values != 0)]
        if shown.size == 0:
            # Only zeros, infs and nans: keep the "1." style integer layout.
            return
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        magnitudes = np.abs(shown)
        lo, hi = float(magnitudes.min()), float(magnitudes.max())
        forced = _opts["sci_mode"]
        self.sci_mode = (hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                         if forced is None else forced)
        # Integral floats get a trailing "." which the width must include.
        extra = 1 if self.int_mode and not self.sci_mode else 0
        uniq = np.unique(shown)  # formatting is the slow part; skip repeats
        self.width = max(len(self._spec_text(v)) for v in uniq.tolist()) + extra

    def _spec_text(self, v):
        if self.sci_mode:
            return f"{v:.{_opts['precision']}e}"
        if self.int_mode:
            return f"{v:.0f}"
        return f"{v:.{_opts['precision']}f}"

    def _raw(self, values):
        if not self.floating:
            return [str(v) for v in values.tolist()]
        texts = [self._spec_text(v) for v in values.tolist()]
        if self.int_mode and not self.sci_mode:
            # The dot marks a float even when it is integral; inf/nan have none.
            finite = np.isfinite(values).tolist()
            texts = [t + "." if f else t for t, f in zip(texts, finite)]
        return texts

    def texts(self, values):
        return [t.rjust(self.width) for t in self._raw(values.reshape(-1))]


def _complex_texts(values, real_fmt, imag_fmt):
    flat = values.reshape(-1)
    reals = real_fmt.texts(flat.real)
    # The imaginary part loses its alignment padding so that it hugs the sign.
    imags = [(t + "j").lstrip() for t in imag_fmt.texts(flat.imag)]
    return [r + (i if i[0] in "+-" else "+" + i) for r, i in zip(reals, imags)]


def _edge_indices(n, edge, cut):
    if not cut:
        return np.arange(n)
    return np.concatenate([np.arange(edge), np.arange(n - edge, n)])


def _layout(strs, cut, indent, elem_len):
    """Nest the element strings in brackets, wrapping rows to linewidth.

    ``strs`` holds only visible elements; ``cut[k]`` says whether axis k was
    summarised, in which case an ellipsis goes after its first edgeitems.
    """
    edge = _opts["edgeitems"]
    if strs.ndim == 0:
        return strs.item()
    if strs.ndim == 1:
        items = list(strs)
        if cut[0]:
            # The leading space lines the dots up with right-aligned numbers.
            items = items[:edge] + [" ..."] + items[edge:]
        per_line = max(1, int(math.floor((_opts["linewidth"] - indent) / elem_len)))
        lines = [", ".join(items[i:i + per_line])
                 for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = [_layout(sub, cut[1:], indent + 1, elem_len) for sub in strs]
    if cut[0]:
        parts = parts[:edge] + ["..."] + parts[edge:]
    # Blocks of higher dimensions are separated by more blank lines.
    sep = "," + "\n" * (strs.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _body(data, dtype_name, indent):
    """The bracketed contents of a non-empty tensor."""
    edge = _opts["edgeitems"]
    summarize = data.size > _opts["threshold"]
    if summarize and data.ndim > 0 and not edge:
        return "[...]"
    cut = tuple(summarize and n > 2 * edge for n in data.shape)
    if any(cut):
        index = [_edge_indices(n, edge, c) for n, c in zip(data.shape, cut)]
        data = data[np.ix_(*index)]

    if dtype_name in _COMPLEX_DTYPES:
        data = data.astype(np.complex128)
        real_fmt = _ElementFormatter(data.real, True)
        imag_fmt = _ElementFormatter(data.imag, True)
        flat = _complex_texts(data, real_fmt, imag_fmt)
        # "j" and the ", " separator count towards the element width.
        elem_len = real_fmt.width + imag_fmt.width + 3
    else:
        floating = dtype_name in _FLOAT_DTYPES
        if floating:
            data = data.astype(np.float64)
        elif dtype_name == "bool":
            data = data.astype(bool)
        else:
            data = data.astype(np.int64)
        fmt = _ElementFormatter(data, floating)
        flat = fmt.texts(data)
        elem_len = fmt.width + 2

    strs = np.empty(len(flat), dtype=object)
    strs[:] = flat
    return _layout(strs.reshape(data.shape), cut, indent, elem_len)


def _append_suffixes(text, suffixes, indent):
    """Join ``key=value`` suffixes, moving one to a new line when it would
    overflow linewidth."""
    out = [text]
    # torch's running line length is two more than the real one (it counts
    # from the newline and adds one); keeping the quirk keeps the breaks equal.
    line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > _opts["linewidth"]:
            out.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            out.append(", " + suffix)
            line_len += len(suffix) + 2
    out.append(")")
    return "".join(out)


def format_tensor(data, dtype_name, *, default_dtype_name="float32", device=None,
                  requires_grad=False, grad_fn_name=None, prefix="tensor("):
    """Render a tensor's values as ``repr`` would.

    ``data`` holds the values, already rounded to ``dtype_name``'s precision
    for reduced-precision floats.  ``default_dtype_name`` is the current
    default floating dtype, which decides whether ``dtype=`` is shown.
    """
    data = np.asarray(data)
    indent = len(prefix)
    suffixes = []
    if device not in (None, "cpu"):
        suffixes.append(f"device='{device}'")

    default_complex = "complex128" if default_dtype_name == "float64" else "complex64"
    dtype_suffix = "dtype=ember." + dtype_name
    shape_suffix = "size=" + str(tuple(int(n) for n in data.shape))
    if data.size == 0:
        # No elements to hint at the dtype, so only the default float dtype
        # goes unmentioned; the shape is shown unless it is plainly (0,).
        if data.ndim != 1:
            suffixes.append(shape_suffix)
        if dtype_name != default_dtype_name:
            suffixes.append(dtype_suffix)
        body = "[]"
    else:
        if not _opts["edgeitems"]:
            suffixes.append(shape_suffix)
        if dtype_name not in (default_dtype_name, default_complex, "int64", "bool"):
            suffixes.append(dtype_suffix)
        body = _body(data, dtype_name, indent)

    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _append_suffixes(prefix + body, suffixes, indent)
