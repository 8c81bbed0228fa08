"""Image, figure, video and audio summaries: arrays laid out as PyTorch lays them out,
then encoded (PNG, GIF, WAV) with Pillow and the standard library."""
import io

from ..._backend import np
from ._summary import _one, _pb, make_np


def make_grid(images, ncols=8):
    """(N, 1|3, H, W) images row by row on one (3, rows*H, cols*W) canvas."""
    if not isinstance(images, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if images.shape[1] == 1:
        images = np.concatenate([images] * 3, 1)
    if images.ndim != 4 or images.shape[1] != 3:
        raise AssertionError("Input should be a 4D numpy array with 3 channels")
    n, c, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    if nrows * ncols != n:
        images = np.concatenate([images, np.zeros((nrows * ncols - n, c, h, w), images.dtype)])
    return images.reshape(nrows, ncols, c, h, w).transpose(2, 0, 3, 1, 4).reshape(
        c, nrows * h, ncols * w)


def convert_to_hwc(arr, dataformats):
    if len(set(dataformats)) != len(dataformats):
        raise AssertionError(f"You can not use the same dimension shorthand twice.         "
                             f"    input_format: {dataformats}")
    if arr.ndim != len(dataformats):
        raise AssertionError(f"size of input tensor and input format are different.         "
                             f"tensor shape: {arr.shape}, input_format: {dataformats}")
    fmt = dataformats.upper()
    if len(fmt) == 4:
        return make_grid(arr.transpose([fmt.find(c) for c in "NCHW"])).transpose(1, 2, 0)
    if len(fmt) == 3:
        hwc = arr.transpose([fmt.find(c) for c in "HWC"])
        return np.concatenate([hwc] * 3, 2) if hwc.shape[2] == 1 else hwc
    hw = arr.transpose([fmt.find(c) for c in "HW"])
    return np.stack([hw] * 3, 2)


def _to_uint8(arr):
    """Floats are taken to lie in [0, 1], uint8 in [0, 255]; the rest is clipped."""
    scale = 1 if arr.dtype == np.uint8 else 255
    return (arr.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def _draw_box(img, box, label):
    from PIL import ImageDraw, ImageFont
    left, top, right, bottom = box
    draw = ImageDraw.Draw(img)
    draw.line([(left, top), (left, bottom), (right, bottom), (right, top), (left, top)],
              width=2, fill="Red")
    if label:
        font = ImageFont.load_default()
        x0, y0, x1, y1 = font.getbbox(label)
        tw, th = x1 - x0, y1 - y0
        margin = np.ceil(0.05 * th)
        draw.rectangle([(left, bottom - th - 2 * margin), (left + tw, bottom)], fill="Red")
        draw.text((left + margin, bottom - th - margin), label, fill="black", font=font)


def make_image(hwc, rescale=1, rois=None, labels=None):
    """An HWC uint8 array as a PNG-encoded Summary.Image (boxes in xyxy drawn in red)."""
    from PIL import Image
    summary_pb2, _, _ = _pb()
    h, w, c = hwc.shape
    img = Image.fromarray(hwc)
    if rois is not None:
        for i, box in enumerate(rois):
            _draw_box(img, box, None if labels is None else labels[i])
    img = img.resize((int(w * rescale), int(h * rescale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return summary_pb2.Summary.Image(height=h, width=w, colorspace=c,
                                     encoded_image_string=out.getvalue())


def image(tag, img, rescale=1, dataformats="NCHW"):
    hwc = _to_uint8(convert_to_hwc(make_np(img), dataformats))
    return _one(tag, image=make_image(hwc, rescale=rescale))


def image_boxes(tag, img, boxes, rescale=1, dataformats="CHW", labels=None):
    hwc = _to_uint8(convert_to_hwc(make_np(img), dataformats))
    return _one(tag, image=make_image(hwc, rescale=rescale, rois=make_np(boxes),
                                      labels=labels))


def figure_to_image(figures, close=True):
    """Matplotlib figure(s) rendered by Agg as CHW (or NCHW for a list) uint8 arrays."""
    import matplotlib.pyplot as plt
    from matplotlib.backends import backend_agg

    def render(fig):
        canvas = backend_agg.FigureCanvasAgg(fig)
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
        if close:
            plt.close(fig)
        return np.moveaxis(rgb, 2, 0)

    if isinstance(figures, list):
        return np.stack([render(f) for f in figures])
    return render(figures)


def _video_frames(v):
    """(B, T, C, H, W) -> (T, H', W', C): each frame the batch tiled on a power-of-two grid."""
    b, t, c, h, w = v.shape
    if v.dtype == np.uint8:
        v = np.float32(v) / 255.0
    if b & (b - 1):
        v = np.concatenate([v, np.zeros((2 ** b.bit_length() - b, t, c, h, w))])
    rows = 2 ** ((b.bit_length() - 1) // 2)
    cols = v.shape[0] // rows
    return v.reshape(rows, cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3).reshape(
        t, rows * h, cols * w, c)


def video(tag, vid, fps=4):
    """A GIF of the frames.  PyTorch needs moviepy for this; Pillow's GIF writer
    does the same job without it."""
    from PIL import Image
    summary_pb2, _, _ = _pb()
    frames = _to_uint8(_video_frames(make_np(vid)))
    t, h, w, c = frames.shape
    imgs = [Image.fromarray(f[:, :, 0] if c == 1 else f) for f in frames]
    out = io.BytesIO()
    imgs[0].save(out, format="GIF", save_all=True, append_images=imgs[1:],
                 duration=int(round(1000 / fps)), loop=0)
    return _one(tag, image=summary_pb2.Summary.Image(height=h, width=w, colorspace=c,
                                                     encoded_image_string=out.getvalue()))


def audio(tag, samples, sample_rate=44100):
    import wave
    summary_pb2, _, _ = _pb()
    arr = make_np(samples).squeeze()
    if abs(arr).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        arr = arr.clip(-1, 1)
    if arr.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    pcm = (arr * np.iinfo(np.int16).max).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    return _one(tag, audio=summary_pb2.Summary.Audio(
        sample_rate=sample_rate, num_channels=1, length_frames=arr.shape[-1],
        encoded_audio_string=out.getvalue(), content_type="audio/wav"))
