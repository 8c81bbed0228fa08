"""Summary protobufs (the tensorboard package's own classes) from ember/NumPy values.

Scalars, tensors, histograms, text, PR curves, custom-scalar layouts and meshes;
images, audio and video live in ``_image.py``.
"""
import json

from ..._backend import np
from ... import _dtype as D


def _pb():
    try:
        from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2
    except ImportError as e:
        raise ImportError("ember.utils.tensorboard needs the `tensorboard` package: "
                          "pip install tensorboard") from e
    return summary_pb2, tensor_pb2, tensor_shape_pb2


def _shape(dims):
    _, _, tensor_shape_pb2 = _pb()
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=int(s)) for s in dims])


def _is_tensor(x):
    from ..._tensor import Tensor
    return isinstance(x, Tensor)


def make_np(x):
    """An ember Tensor, NumPy array or Python/NumPy scalar as a NumPy array (no graph)."""
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x):
        return np.array([x])
    if _is_tensor(x):
        arr = x.detach()._data
        # PyTorch hands bfloat16 over as float16, which NumPy can do arithmetic on
        return arr.astype(np.float16) if x.dtype is D.bfloat16 else arr
    raise NotImplementedError(f"Got {type(x)}, but numpy array or ember tensor are expected.")


def _plugin_meta(name, content=None):
    summary_pb2, _, _ = _pb()
    data = summary_pb2.SummaryMetadata.PluginData(plugin_name=name)
    if content is not None:
        data.content = content
    return summary_pb2.SummaryMetadata(plugin_data=data)


def _one(tag, **fields):
    summary_pb2, _, _ = _pb()
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, **fields)])


def scalar(tag, value, new_style=False, double_precision=False):
    _, tensor_pb2, _ = _pb()
    arr = make_np(value).squeeze()
    if arr.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). "
                             f"            Was given size: {arr.size} and {arr.ndim} "
                             f"dimensions.")
    v = float(arr)
    if not new_style:
        return _one(tag, simple_value=v)
    proto = (tensor_pb2.TensorProto(double_val=[v], dtype="DT_DOUBLE") if double_precision
             else tensor_pb2.TensorProto(float_val=[v], dtype="DT_FLOAT"))
    return _one(tag, tensor=proto, metadata=_plugin_meta("scalars"))


def _half_bits(a):
    # PyTorch stores half values as the bit pattern of their float32 value
    return a.astype(np.float32).view(np.int32).reshape(-1).tolist()


def _complex_parts(a):
    return np.stack([a.real, a.imag], -1).reshape(-1).tolist()


_TENSOR_FIELDS = {
    "float16": ("DT_HALF", "half_val", _half_bits),
    "bfloat16": ("DT_BFLOAT16", "half_val", _half_bits),
    "float32": ("DT_FLOAT", "float_val", None),
    "float64": ("DT_DOUBLE", "double_val", None),
    "int8": ("DT_INT8", "int_val", None),
    "uint8": ("DT_UINT8", "uint32_val", None),
    "int16": ("DT_INT16", "int_val", None),
    "int32": ("DT_INT32", "int_val", None),
    "int64": ("DT_INT64", "int64_val", None),
    "complex64": ("DT_COMPLEX64", "scomplex_val", _complex_parts),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", _complex_parts),
    "bool": ("DT_BOOL", "bool_val", None),
}


def tensor_proto(tag, tensor):
    """The whole tensor in a TensorProto, typed as PyTorch types it."""
    _, tensor_pb2, _ = _pb()
    name = tensor.dtype.name
    arr = tensor.detach()._data
    if arr.nbytes >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    if name not in _TENSOR_FIELDS:
        raise ValueError(f"{tag} has unsupported tensor dtype ember.{name}")
    dtype, field, convert = _TENSOR_FIELDS[name]
    values = convert(arr) if convert else arr.reshape(-1).tolist()
    proto = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=_shape(arr.shape),
                                   **{field: values})
    return _one(tag, metadata=_plugin_meta("tensor"), tensor=proto)


def default_bins():
    """TensorFlow's histogram buckets: +-1e-12 growing by 10 % up to 1e20, and 0."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0] + pos


def histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    summary_pb2, _, _ = _pb()
    return _one(tag, histo=summary_pb2.HistogramProto(
        min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
        bucket_limit=bucket_limits, bucket=bucket_counts))


def histogram(tag, values, bins, max_bins=None):
    summary_pb2, _, _ = _pb()
    arr = make_np(values).astype(float).reshape(-1)
    if arr.size == 0:
        raise ValueError("The input has no element.")
    counts, limits = np.histogram(arr, bins=bins)
    n = len(counts)
    if max_bins is not None and n > max_bins:
        sub = n // max_bins
        if n % sub:
            counts = np.pad(counts, (0, sub - n % sub))
        counts = counts.reshape(-1, sub).sum(-1)
        limits = np.concatenate([limits[:-1:sub], limits[-1:]])
    # TensorBoard draws a bucket by its right edge only, so the support is kept
    # together with one empty bucket on its left that carries the leftmost edge.
    occupied = np.cumsum(counts > 0)
    start, end = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1:end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return _one(tag, histo=summary_pb2.HistogramProto(
        min=arr.min(), max=arr.max(), num=len(arr), sum=arr.sum(), sum_squares=arr.dot(arr),
        bucket_limit=limits.tolist(), bucket=counts.tolist()))


def text(tag, text_string):
    from tensorboard.plugins.text import plugin_data_pb2
    _, tensor_pb2, _ = _pb()
    meta = _plugin_meta("text", plugin_data_pb2.TextPluginData(version=0).SerializeToString())
    proto = tensor_pb2.TensorProto(dtype="DT_STRING",
                                   string_val=[text_string.encode("utf_8")],
                                   tensor_shape=_shape([1]))
    return _one(tag + "/text_summary", metadata=meta, tensor=proto)


def _pr_summary(tag, data, num_thresholds):
    from tensorboard.plugins.pr_curve import plugin_data_pb2
    _, tensor_pb2, _ = _pb()
    if num_thresholds > 127:  # larger values break the plugin's protobuf
        num_thresholds = 127
    meta = _plugin_meta("pr_curves", plugin_data_pb2.PrCurvePluginData(
        version=0, num_thresholds=num_thresholds).SerializeToString())
    proto = tensor_pb2.TensorProto(dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
                                   tensor_shape=_shape(data.shape[:2]))
    return _one(tag, metadata=meta, tensor=proto)


def compute_curve(labels, predictions, num_thresholds, weights=None):
    """(tp, fp, tn, fn, precision, recall) at ``num_thresholds`` evenly spaced thresholds."""
    w = 1.0 if weights is None else weights
    labels = np.asarray(labels).astype(np.float64)
    bucket = np.floor(np.asarray(predictions) * (num_thresholds - 1)).astype(np.int32)
    # bucket indices outside [0, num_thresholds - 1] count nowhere, as in np.histogram
    inside = (bucket >= 0) & (bucket <= num_thresholds - 1)
    idx = np.where(inside, bucket, 0).reshape(-1)
    pos = np.broadcast_to(labels * w * inside, inside.shape).reshape(-1)
    neg = np.broadcast_to((1.0 - labels) * w * inside, inside.shape).reshape(-1)
    tp = np.cumsum(np.bincount(idx, pos, num_thresholds)[::-1])[::-1]
    fp = np.cumsum(np.bincount(idx, neg, num_thresholds)[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    num_thresholds = min(num_thresholds, 127)
    return _pr_summary(tag, compute_curve(labels, predictions, num_thresholds, weights),
                       num_thresholds)


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    data = np.stack([make_np(v) for v in (tp, fp, tn, fn, precision, recall)])
    return _pr_summary(tag, data, num_thresholds)


def custom_scalars(layout):
    """layout: {category: {chart title: ['Multiline' | 'Margin', [tags]]}}."""
    from tensorboard.plugins.custom_scalar import layout_pb2
    _, tensor_pb2, tensor_shape_pb2 = _pb()
    categories = []
    for category, charts in layout.items():
        chart_protos = []
        for title, (kind, tags) in charts.items():
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1],
                                                              upper=tags[2])
                chart_protos.append(layout_pb2.Chart(
                    title=title, margin=layout_pb2.MarginChartContent(series=[series])))
            else:
                chart_protos.append(layout_pb2.Chart(
                    title=title, multiline=layout_pb2.MultilineChartContent(tag=tags)))
        categories.append(layout_pb2.Category(title=category, chart=chart_protos))
    proto = tensor_pb2.TensorProto(
        dtype="DT_STRING",
        string_val=[layout_pb2.Layout(category=categories).SerializeToString()],
        tensor_shape=tensor_shape_pb2.TensorShapeProto())
    return _one("custom_scalars__config__", tensor=proto,
                metadata=_plugin_meta("custom_scalars"))


def mesh(tag, vertices, colors, faces, config_dict, display_name=None, description=None):
    """One summary value per given part (vertices, faces, colors) for the mesh plugin."""
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData
    summary_pb2, tensor_pb2, _ = _pb()
    config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(t, kind) for t, kind in ((vertices, MeshPluginData.VERTEX),
                                       (faces, MeshPluginData.FACE),
                                       (colors, MeshPluginData.COLOR)) if t is not None]
    components = metadata.get_components_bitmask([kind for _, kind in parts])
    values = []
    for t, kind in parts:
        arr = make_np(t)
        meta = metadata.create_summary_metadata(tag, display_name, kind, components,
                                                list(arr.shape), description,
                                                json_config=config)
        proto = tensor_pb2.TensorProto(dtype="DT_FLOAT", float_val=arr.reshape(-1).tolist(),
                                       tensor_shape=_shape(arr.shape[:3]))
        values.append(summary_pb2.Summary.Value(
            tag=metadata.get_instance_name(tag, kind), tensor=proto, metadata=meta))
    return summary_pb2.Summary(value=values)
