"""Summary protobufs (the tensorboard package's own classes) from ember/NumPy values."""
import io

from ..._backend import np


def _pb():
    try:
        from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2
    except ImportError as e:  # pragma: no cover - tensorboard is a test dependency
        raise ImportError("ember.utils.tensorboard needs the `tensorboard` package: "
                          "pip install tensorboard") from e
    return summary_pb2, tensor_pb2, tensor_shape_pb2


def to_numpy(x):
    """Tensors, arrays, numbers and lists as a NumPy array (no autograd attached)."""
    if hasattr(x, "_data") and hasattr(x, "detach"):
        arr = x.detach()._data
        return arr.astype(np.float32) if arr.dtype.name == "bfloat16" else arr
    if isinstance(x, np.ndarray):
        return x
    if np.isscalar(x) or isinstance(x, (list, tuple)):
        return np.array(x)
    raise NotImplementedError(f"Got {type(x)}, but numpy array or torch tensor are expected.")


def scalar(tag, value, new_style=False, double_precision=False):
    summary_pb2, tensor_pb2, _ = _pb()
    arr = to_numpy(value).squeeze()
    if arr.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given "
                             f"size: {arr.size} and {arr.ndim} dimensions.")
    v = float(arr)
    if not new_style:
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=v)])
    proto = (tensor_pb2.TensorProto(double_val=[v], dtype="DT_DOUBLE") if double_precision
             else tensor_pb2.TensorProto(float_val=[v], dtype="DT_FLOAT"))
    meta = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, tensor=proto,
                                                                metadata=meta)])


def _default_bins():
    """TensorFlow's histogram buckets: +-1e-12 growing by 10 % up to 1e20."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    pos.append(float("inf"))
    return [-x for x in reversed(pos)] + [0] + pos


def histogram(tag, values, bins="tensorflow", max_bins=None):
    summary_pb2, _, _ = _pb()
    arr = to_numpy(values).astype(np.float64).reshape(-1)
    if arr.size == 0:
        raise ValueError("The input has no element.")
    if isinstance(bins, str) and bins == "tensorflow":
        bins = _default_bins()
    counts, limits = np.histogram(arr, bins=bins)
    n = len(counts)
    if max_bins is not None and n > max_bins:
        sub = n // max_bins
        pad = (sub - n % sub) % sub
        counts = np.pad(counts, (0, pad)).reshape(-1, sub).sum(-1)
        limits = np.concatenate([limits[:-1:sub], limits[-1:]])
    nonzero = np.flatnonzero(counts)
    first, last = int(nonzero[0]), int(nonzero[-1])
    # keep the occupied buckets plus one empty bucket below them; each bucket is
    # reported by its upper edge
    if first > 0:
        kept = counts[first - 1:last + 1]
    else:
        kept = np.concatenate([[0], counts[:last + 1]])
    upper = limits[first:last + 2]
    hist = summary_pb2.HistogramProto(
        min=float(arr.min()), max=float(arr.max()), num=int(arr.size),
        sum=float(arr.sum()), sum_squares=float(arr.dot(arr)),
        bucket_limit=upper.tolist(), bucket=kept.tolist())
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=hist)])


def grid_nchw(images, ncols=8):
    """N images (N, C, H, W) laid out row by row on one canvas, C forced to 3."""
    if images.shape[1] == 1:
        images = np.repeat(images, 3, 1)
    n, c, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    padded = np.zeros((nrows * ncols, c, h, w), images.dtype)
    padded[:n] = images
    return padded.reshape(nrows, ncols, c, h, w).transpose(2, 0, 3, 1, 4).reshape(
        c, nrows * h, ncols * w)


def to_hwc(arr, dataformats):
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise AssertionError(f"You can not use the same dimension shordhand twice. "
                             f"input_format: {dataformats}")
    if arr.ndim != len(fmt):
        raise AssertionError(f"size of input tensor and input format are different. "
                             f"tensor shape: {arr.shape}, input_format: {dataformats}")
    if len(fmt) == 4:
        nchw = arr.transpose([fmt.find(c) for c in "NCHW"])
        return grid_nchw(nchw).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = arr.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    hw = arr.transpose([fmt.find(c) for c in "HW"])
    return np.stack([hw] * 3, 2)


def image(tag, img, rescale=1, dataformats="CHW"):
    from PIL import Image
    summary_pb2, _, _ = _pb()
    arr = to_numpy(img)
    arr = to_hwc(arr, dataformats)
    scale = 1 if arr.dtype == np.uint8 else 255
    arr = (arr.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    h, w, c = arr.shape
    pil = Image.fromarray(arr)
    if rescale != 1:
        pil = pil.resize((int(w * rescale), int(h * rescale)), Image.LANCZOS)
    out = io.BytesIO()
    pil.save(out, format="PNG")
    proto = summary_pb2.Summary.Image(height=h, width=w, colorspace=c,
                                      encoded_image_string=out.getvalue())
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=proto)])


def text(tag, text_string):
    from tensorboard.plugins.text import plugin_data_pb2
    summary_pb2, tensor_pb2, tensor_shape_pb2 = _pb()
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="text",
        content=plugin_data_pb2.TextPluginData(version=0).SerializeToString()))
    proto = tensor_pb2.TensorProto(
        dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(
        tag=tag + "/text_summary", metadata=meta, tensor=proto)])


def figure_to_image(figures, close=True):
    """Render matplotlib figure(s) to CHW uint8 arrays."""
    import matplotlib.pyplot as plt
    from matplotlib.backends import backend_agg

    def render(fig):
        canvas = backend_agg.FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        if close:
            plt.close(fig)
        return rgba[:, :, :3].transpose(2, 0, 1).copy()

    if isinstance(figures, list):
        return np.stack([render(f) for f in figures])
    return render(figures)


def audio(tag, samples, sample_rate=44100):
    import wave
    summary_pb2, _, _ = _pb()
    arr = to_numpy(samples).squeeze()
    if abs(arr).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        arr = arr.clip(-1, 1)
    if arr.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    pcm = (arr * np.iinfo(np.int16).max).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    proto = summary_pb2.Summary.Audio(sample_rate=sample_rate, num_channels=1,
                                      length_frames=arr.shape[-1],
                                      encoded_audio_string=out.getvalue(),
                                      content_type="audio/wav")
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, audio=proto)])


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    from tensorboard.plugins.pr_curve import plugin_data_pb2
    summary_pb2, tensor_pb2, tensor_shape_pb2 = _pb()
    num_thresholds = min(num_thresholds, 127)
    labels = to_numpy(labels).astype(bool).reshape(-1)
    preds = to_numpy(predictions).astype(np.float64).reshape(-1)
    w = 1.0 if weights is None else to_numpy(weights).reshape(-1)
    buckets = np.floor(preds * (num_thresholds - 1)).astype(np.int64)
    tp = np.bincount(buckets, weights=labels * w, minlength=num_thresholds)
    fp = np.bincount(buckets, weights=(~labels) * w, minlength=num_thresholds)
    tp = np.cumsum(tp[::-1])[::-1]
    fp = np.cumsum(fp[::-1])[::-1]
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    data = np.stack([tp, fp, tn, fn, precision, recall]).astype(np.float32)
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="pr_curves", content=plugin_data_pb2.PrCurvePluginData(
            version=0, num_thresholds=num_thresholds).SerializeToString()))
    proto = tensor_pb2.TensorProto(
        dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(),
        tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[
            tensor_shape_pb2.TensorShapeProto.Dim(size=data.shape[0]),
            tensor_shape_pb2.TensorShapeProto.Dim(size=data.shape[1])]))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, metadata=meta,
                                                                tensor=proto)])
