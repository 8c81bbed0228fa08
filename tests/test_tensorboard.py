"""ember.utils.tensorboard against torch.utils.tensorboard: the same calls write event
files that TensorBoard reads back to the same values, pixels, buckets and graph scopes;
and the real TensorBoard server serves what ember wrote."""
import glob
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")
import torch.utils.tensorboard  # noqa: E402
from PIL import Image  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa
from tensorboard.backend.event_processing.event_file_loader import RawEventFileLoader  # noqa
from tensorboard.compat.proto.event_pb2 import Event  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

import ember  # noqa: E402
import ember.utils.tensorboard as etb  # noqa: E402

WRITERS = {"torch": (torch, torch.utils.tensorboard.SummaryWriter),
           "ember": (ember, etb.SummaryWriter)}


def both(tmp_path, fn):
    """Run ``fn(writer, module)`` with each framework's SummaryWriter; the two log dirs."""
    dirs = []
    for name, (mod, writer_cls) in WRITERS.items():
        d = str(tmp_path / name)
        with writer_cls(d) as w:
            fn(w, mod)
        dirs.append(d)
    return dirs


def raw_events(path):
    """The events of one file exactly as written (EventFileLoader would migrate them)."""
    return [Event.FromString(r) for r in RawEventFileLoader(path).Load()]


def events(logdir):
    (path,) = glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
    return raw_events(path)


def values(logdir):
    """[(step, Summary.Value)] in the order written."""
    return [(e.step, v) for e in events(logdir) if e.HasField("summary") for v in e.summary.value]


def accumulate(logdir):
    acc = EventAccumulator(logdir, size_guidance={k: 0 for k in
                                                  ("scalars", "images", "histograms",
                                                   "tensors", "audio", "compressedHistograms")})
    return acc.Reload()


def same_values(t_dir, e_dir):
    tv, ev = values(t_dir), values(e_dir)
    assert [s for s, _ in tv] == [s for s, _ in ev]
    for (_, a), (_, b) in zip(tv, ev):
        assert a == b, (a.tag, b.tag)
    return tv


def pixels(encoded):
    return np.asarray(Image.open(io.BytesIO(encoded)))


# --- scalars ---------------------------------------------------------------------------
def test_scalars_old_and_new_style(tmp_path):
    x = np.float32(0.1)

    def log(w, m):
        w.add_scalar("a", 0.1, 0)
        w.add_scalar("a", np.float64(1 / 3), 1)
        w.add_scalar("a", m.tensor(x), 2)
        w.add_scalar("a", m.tensor([[2.5]], dtype=m.float64), np.int64(3))
        w.add_scalar("a", m.tensor(7), 4)
        w.add_scalar("b", 1 / 3, 0, new_style=True)
        w.add_scalar("c", 1 / 3, 0, new_style=True, double_precision=True)
        w.add_scalar("c", m.tensor(1 / 3, dtype=m.float64), 1, new_style=True,
                     double_precision=True)
        w.add_scalar("d", m.tensor(0.3, requires_grad=True) * 2, 5, walltime=123.5)

    t_dir, e_dir = both(tmp_path, log)
    same_values(t_dir, e_dir)
    ta, ea = accumulate(t_dir), accumulate(e_dir)
    for tag in ("a", "d"):
        assert [(s.step, s.value) for s in ta.Scalars(tag)] == \
            [(s.step, s.value) for s in ea.Scalars(tag)]
    assert ea.Scalars("d")[0].wall_time == 123.5
    for tag in ("b", "c"):
        assert [(t.step, tensor_util.make_ndarray(t.tensor_proto).item())
                for t in ta.Tensors(tag)] == \
            [(t.step, tensor_util.make_ndarray(t.tensor_proto).item()) for t in ea.Tensors(tag)]
    assert ea.Tensors("c")[0].tensor_proto.dtype == ta.Tensors("c")[0].tensor_proto.dtype


def test_scalar_errors_match_torch(tmp_path):
    w = etb.SummaryWriter(str(tmp_path))
    tw = torch.utils.tensorboard.SummaryWriter(str(tmp_path / "t"))
    for t_arg, e_arg, exc in ((torch.ones(3), ember.ones(3), AssertionError),
                              ([1.0], [1.0], NotImplementedError)):
        with pytest.raises(exc) as te:
            tw.add_scalar("x", t_arg)
        with pytest.raises(exc) as ee:
            w.add_scalar("x", e_arg)
        assert str(ee.value) == str(te.value).replace("torch", "ember")
    w.close()
    tw.close()


def test_half_bool_and_bfloat16_inputs(tmp_path):
    a = np.random.default_rng(8).random((3, 4, 5))

    def log(w, m):
        w.add_scalar("bf16", m.tensor(3.14159, dtype=m.bfloat16), 0)
        w.add_image("f16", m.tensor(a, dtype=m.float16), 0)
        w.add_image("bool", m.tensor(a > 0.5), 0)
        w.add_histogram("bf16_hist", m.tensor(a, dtype=m.bfloat16), 0, bins="auto")

    same_values(*both(tmp_path, log))


def test_add_scalars_writes_one_run_per_tag(tmp_path):
    def log(w, m):
        for step in range(3):
            w.add_scalars("loss/run", {"train": step * 0.5, "val": m.tensor(step + 0.25)},
                          step)

    t_dir, e_dir = both(tmp_path, log)
    t_runs = sorted(os.path.relpath(p, t_dir) for p in glob.glob(t_dir + "/*/"))
    e_runs = sorted(os.path.relpath(p, e_dir) for p in glob.glob(e_dir + "/*/"))
    assert e_runs == t_runs == ["loss_run_train", "loss_run_val"]
    for run in t_runs:
        same_values(os.path.join(t_dir, run), os.path.join(e_dir, run))
        ts = accumulate(os.path.join(t_dir, run)).Scalars("loss/run")
        es = accumulate(os.path.join(e_dir, run)).Scalars("loss/run")
        assert [(s.step, s.value) for s in es] == [(s.step, s.value) for s in ts]


# --- images ----------------------------------------------------------------------------
IMAGE_CASES = [("CHW", (3, 5, 7)), ("HWC", (5, 7, 3)), ("HW", (5, 7)), ("CHW", (1, 5, 7)),
               ("HWC", (5, 7, 1)), ("WHC", (7, 5, 3)), ("NCHW", (3, 3, 5, 7)),
               ("NHWC", (10, 5, 7, 3)), ("NCHW", (2, 1, 5, 7)), ("hwc", (5, 7, 4))]


def _image_inputs():
    rng = np.random.default_rng(1)
    for fmt, shape in IMAGE_CASES:
        floats = rng.uniform(-0.1, 1.1, shape).astype(np.float32)  # some need clipping
        ints = rng.integers(0, 256, shape).astype(np.uint8)
        for kind, arr in (("f32", floats), ("u8", ints), ("f64", floats.astype(np.float64))):
            yield f"{fmt}_{'x'.join(map(str, shape))}_{kind}", fmt, arr


def test_images_decode_to_torchs_pixels(tmp_path):
    cases = list(_image_inputs())

    def log(w, m):
        for i, (tag, fmt, arr) in enumerate(cases):
            add = w.add_images if len(fmt) == 4 else w.add_image
            add(tag + "_np", arr, i, dataformats=fmt)
            add(tag + "_tensor", m.tensor(arr), i, dataformats=fmt)

    t_dir, e_dir = both(tmp_path, log)
    ta, ea = accumulate(t_dir), accumulate(e_dir)
    assert sorted(ea.Tags()["images"]) == sorted(ta.Tags()["images"])
    assert len(ea.Tags()["images"]) == 2 * len(cases)
    for tag in ta.Tags()["images"]:
        (t,), (e,) = ta.Images(tag), ea.Images(tag)
        assert (e.step, e.width, e.height) == (t.step, t.width, t.height)
        np.testing.assert_array_equal(pixels(e.encoded_image_string),
                                      pixels(t.encoded_image_string), err_msg=tag)
    same_values(t_dir, e_dir)


def test_add_images_grid_of_a_dataloader_batch(tmp_path):
    batch = np.random.default_rng(2).random((13, 3, 8, 6), dtype=np.float32)

    def log(w, m):
        w.add_images("batch", m.tensor(batch), 4)

    t_dir, e_dir = both(tmp_path, log)
    (t,), (e,) = accumulate(t_dir).Images("batch"), accumulate(e_dir).Images("batch")
    got = pixels(e.encoded_image_string)
    assert got.shape == (2 * 8, 8 * 6, 3)  # 8 columns, 2 rows, the last one part empty
    np.testing.assert_array_equal(got, pixels(t.encoded_image_string))
    assert (got[8:, 5 * 6:] == 0).all()


def test_image_errors_match_torch(tmp_path):
    w = etb.SummaryWriter(str(tmp_path))
    tw = torch.utils.tensorboard.SummaryWriter(str(tmp_path / "t"))
    for shape, fmt in (((3, 4, 4), "CCH"), ((3, 4), "CHW"), ((2, 4, 4, 4), "NCHW")):
        with pytest.raises(AssertionError) as te:
            tw.add_image("x", np.zeros(shape), dataformats=fmt)
        with pytest.raises(AssertionError) as ee:
            w.add_image("x", np.zeros(shape), dataformats=fmt)
        assert str(ee.value) == str(te.value)
    w.close()
    tw.close()


def test_image_with_boxes(tmp_path):
    img = np.random.default_rng(3).random((3, 40, 50), dtype=np.float32)
    boxes = np.array([[2, 3, 20, 30], [10, 5, 45, 38]], np.float32)

    def log(w, m):
        w.add_image_with_boxes("boxes", m.tensor(img), m.tensor(boxes), 0, labels=["a", "b"])

    t_dir, e_dir = both(tmp_path, log)
    (t,), (e,) = accumulate(t_dir).Images("boxes"), accumulate(e_dir).Images("boxes")
    np.testing.assert_array_equal(pixels(e.encoded_image_string),
                                  pixels(t.encoded_image_string))


def test_figure(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def fig(k):
        f = plt.figure(figsize=(2, 1.5), dpi=50)
        plt.plot([0, 1, 2], [k, 2 * k, k])
        return f

    def log(w, m):
        w.add_figure("one", fig(1), 0)
        w.add_figure("two", [fig(1), fig(2)], 1)
        w.add_figure("kept", fig(3), 2, close=False)

    t_dir, e_dir = both(tmp_path, log)
    ta, ea = accumulate(t_dir), accumulate(e_dir)
    for tag in ("one", "two", "kept"):
        (t,), (e,) = ta.Images(tag), ea.Images(tag)
        np.testing.assert_array_equal(pixels(e.encoded_image_string),
                                      pixels(t.encoded_image_string))
    assert pixels(ea.Images("two")[0].encoded_image_string).shape == (75, 200, 3)
    plt.close("all")


def test_video_is_an_animated_gif(tmp_path):
    vid = np.random.default_rng(4).random((3, 5, 3, 8, 6), dtype=np.float32)
    with etb.SummaryWriter(str(tmp_path)) as w:
        w.add_video("v", ember.tensor(vid), 1, fps=5)
    (v,) = accumulate(str(tmp_path)).Images("v")
    gif = Image.open(io.BytesIO(v.encoded_image_string))
    # 3 clips tiled on a power-of-two grid: 1 row of 4, frames of 8 x 24
    assert (gif.format, gif.n_frames, gif.size) == ("GIF", 5, (24, 8))
    assert (v.width, v.height) == (24, 8)


# --- histograms ------------------------------------------------------------------------
def _hist_inputs():
    rng = np.random.default_rng(5)
    yield "normal", rng.standard_normal(1000).astype(np.float32)
    yield "ints", rng.integers(-50, 50, (20, 30))
    yield "constant", np.full(17, 2.5)
    yield "positive", rng.exponential(3.0, 500)
    yield "with_zero", np.concatenate([np.zeros(5), rng.uniform(-1e-3, 1e3, 100)])


@pytest.mark.parametrize("bins", ["tensorflow", "auto", 10, "fd", "max_bins"])
def test_histograms_match_torch(tmp_path, bins):
    inputs = list(_hist_inputs())

    def log(w, m):
        for step, (tag, arr) in enumerate(inputs):
            if bins == "max_bins":
                w.add_histogram(tag, m.tensor(arr), step, bins=64, max_bins=7)
            else:
                w.add_histogram(tag, m.tensor(arr), step, bins=bins)
                w.add_histogram(tag + "_np", arr, step, bins=bins)

    t_dir, e_dir = both(tmp_path, log)
    ta, ea = accumulate(t_dir), accumulate(e_dir)
    assert sorted(ea.Tags()["histograms"]) == sorted(ta.Tags()["histograms"])
    for tag in ta.Tags()["histograms"]:
        (t,), (e,) = ta.Histograms(tag), ea.Histograms(tag)
        t, e = t.histogram_value, e.histogram_value
        assert (e.min, e.max, e.num, e.sum, e.sum_squares) == \
            (t.min, t.max, t.num, t.sum, t.sum_squares), tag
        assert list(e.bucket_limit) == list(t.bucket_limit), tag
        assert list(e.bucket) == list(t.bucket), tag
    same_values(t_dir, e_dir)


def test_histogram_raw_and_errors(tmp_path):
    def log(w, m):
        w.add_histogram_raw("raw", -1.0, 3.0, 6, 4.0, 14.0, [0.0, 1.0, 3.0], [1, 2, 3], 2)

    same_values(*both(tmp_path, log))
    with etb.SummaryWriter(str(tmp_path / "e2")) as w:
        with pytest.raises(ValueError, match="The input has no element."):
            w.add_histogram("empty", np.array([]))
        with pytest.raises(ValueError, match=re.escape("len(bucket_limits) != len(")):
            w.add_histogram_raw("raw", 0, 1, 1, 1, 1, [1.0], [1, 2])


# --- text, audio, pr curves, tensors, custom scalars, meshes -----------------------------
def test_text_audio_pr_curve_tensor_custom_scalars_mesh(tmp_path):
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 2, 200)
    preds = rng.random(200).astype(np.float32)
    weights = rng.random(200)
    sound = (0.5 * np.sin(np.linspace(0, 40, 2000))).astype(np.float32)
    verts = rng.random((1, 6, 3)).astype(np.float32)
    colors = rng.integers(0, 256, (1, 6, 3))
    faces = np.array([[[0, 1, 2], [3, 4, 5]]])
    raw = [rng.random(5) for _ in range(6)]

    def log(w, m):
        w.add_text("notes", "héllo *markdown*", 0)
        w.add_text("notes", "second", 1)
        w.add_audio("sine", m.tensor(sound), 0, sample_rate=8000)
        w.add_audio("loud", sound * 3, 1)
        w.add_pr_curve("pr", m.tensor(labels), m.tensor(preds), 0)
        w.add_pr_curve("pr_w", labels, preds, 1, num_thresholds=10, weights=weights)
        w.add_pr_curve("pr_cap", labels, preds, 2, num_thresholds=300)
        w.add_pr_curve_raw("pr_raw", *raw, 3, num_thresholds=5)
        for dtype in ("float32", "float64", "int64", "int32", "uint8", "bool", "float16"):
            w.add_tensor("t_" + dtype, m.tensor(np.arange(6).reshape(2, 3) % 3,
                                                dtype=getattr(m, dtype)), 0)
        w.add_custom_scalars({"cat": {"lines": ["Multiline", ["a", "b"]],
                                      "band": ["Margin", ["m", "lo", "hi"]]}})
        w.add_custom_scalars_multilinechart(["a", "c"], "cat2", "t")
        w.add_custom_scalars_marginchart(["m", "lo", "hi"], "cat3", "u")
        w.add_mesh("mesh", m.tensor(verts), colors=m.tensor(colors), faces=m.tensor(faces),
                   config_dict={"camera": {"fov": 75}}, global_step=4)

    t_dir, e_dir = both(tmp_path, log)
    same_values(t_dir, e_dir)
    ta, ea = accumulate(t_dir), accumulate(e_dir)
    for tag in ("notes/text_summary", "pr", "pr_w", "pr_cap", "pr_raw"):
        for t, e in zip(ta.Tensors(tag), ea.Tensors(tag), strict=True):
            np.testing.assert_array_equal(tensor_util.make_ndarray(e.tensor_proto),
                                          tensor_util.make_ndarray(t.tensor_proto))
    assert tensor_util.make_ndarray(ea.Tensors("pr_cap")[0].tensor_proto).shape == (6, 127)
    assert [a.encoded_audio_string for a in ea.Audio("sine")] == \
        [a.encoded_audio_string for a in ta.Audio("sine")]
    assert ea.Audio("sine")[0].sample_rate == 8000


def test_hparams(tmp_path):
    hp = {"lr": 0.1, "bsize": 32, "opt": "adam", "flag": True, "skip": None,
          "t": ember.tensor([0.5])}
    metrics = {"hparam/accuracy": 0.9, "hparam/loss": 0.25}

    def log(w, m):
        params = dict(hp, t=m.tensor([0.5]))
        w.add_hparams(params, metrics, {"opt": ["adam", "sgd"], "bsize": [16, 32]},
                      run_name="run1", global_step=3)

    t_dir, e_dir = both(tmp_path, log)
    assert os.listdir(e_dir + "/run1") and os.path.isdir(t_dir + "/run1")
    tv = same_values(t_dir + "/run1", e_dir + "/run1")
    assert [v.tag for _, v in tv] == ["_hparams_/experiment", "_hparams_/session_start_info",
                                      "_hparams_/session_end_info", "hparam/accuracy",
                                      "hparam/loss"]
    ea = accumulate(e_dir + "/run1")
    assert [(s.step, s.value) for s in ea.Scalars("hparam/loss")] == [(3, 0.25)]
    content = ea.PluginTagToContent("hparams")
    assert set(content) == {"_hparams_/experiment", "_hparams_/session_start_info",
                            "_hparams_/session_end_info"}
    with etb.SummaryWriter(str(tmp_path / "bad")) as w:
        with pytest.raises(TypeError, match="should be dictionary"):
            w.add_hparams([("lr", 1)], {})
        with pytest.raises(TypeError, match=re.escape("hparam_domain_discrete[lr] should")):
            w.add_hparams({"lr": 0.1}, {}, {"lr": ["x"]})
        with pytest.raises(ValueError, match="value should be one of int, float, str, bool"):
            w.add_hparams({"lr": [0.1]}, {})


# --- embeddings -------------------------------------------------------------------------
def test_embedding_files_match_torch(tmp_path):
    rng = np.random.default_rng(7)
    mat = rng.standard_normal((10, 4)).astype(np.float32)
    imgs = rng.random((10, 3, 6, 6), dtype=np.float32)  # PyTorch's sprite needs H <= W
    labels = [f"n{i}" for i in range(10)]
    table = [[i, i % 2] for i in range(10)]

    def log(w, m):
        w.add_embedding(m.tensor(mat), metadata=labels, label_img=m.tensor(imgs),
                        global_step=2, tag="my/emb")
        w.add_embedding(mat, metadata=table, metadata_header=["id", "parity"])

    t_dir, e_dir = both(tmp_path, log)
    t_files = sorted(os.path.relpath(p, t_dir) for p in glob.glob(t_dir + "/**/*.*",
                                                                   recursive=True))
    e_files = sorted(os.path.relpath(p, e_dir) for p in glob.glob(e_dir + "/**/*.*",
                                                                   recursive=True))
    t_files = [f for f in t_files if "tfevents" not in f]
    assert [f for f in e_files if "tfevents" not in f] == t_files
    assert "00002/my%2femb/sprite.png" in t_files
    for f in t_files:
        with open(os.path.join(t_dir, f), "rb") as a, open(os.path.join(e_dir, f), "rb") as b:
            if f.endswith(".png"):
                np.testing.assert_array_equal(pixels(b.read()), pixels(a.read()))
            else:
                assert b.read() == a.read(), f


# --- the writer itself --------------------------------------------------------------------
def test_purge_step_and_file_events(tmp_path):
    def log(w, m):
        w.add_scalar("x", 1.0, 10)

    dirs = []
    for name, (mod, writer_cls) in WRITERS.items():
        d = str(tmp_path / name)
        with writer_cls(d, purge_step=7, filename_suffix=".sfx") as w:
            log(w, mod)
        dirs.append(d)
    t_ev, e_ev = events(dirs[0]), events(dirs[1])
    strip = [[(e.step, e.WhichOneof("what"), str(getattr(e, e.WhichOneof("what"))))
              for e in evs] for evs in (t_ev, e_ev)]
    assert strip[1] == strip[0]
    assert [e.WhichOneof("what") for e in e_ev] == ["file_version", "file_version",
                                                    "session_log", "summary"]
    assert glob.glob(dirs[1] + "/*.sfx")


def test_default_log_dir_naming(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = etb.SummaryWriter(comment="_lr0.1")
    tw = torch.utils.tensorboard.SummaryWriter(comment="_lr0.1")
    w.close()
    tw.close()
    pattern = r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) \
        + r"_lr0\.1"
    assert re.fullmatch(pattern, w.get_logdir()), w.get_logdir()
    assert re.fullmatch(pattern, tw.get_logdir())
    assert glob.glob(os.path.join(w.get_logdir(), "events.out.tfevents.*"))


def test_flush_close_reopen_and_context_manager(tmp_path):
    d = str(tmp_path / "run")
    w = etb.SummaryWriter(d, flush_secs=10 ** 6, max_queue=1000)
    w.add_scalar("x", 1.0, 0)
    w.flush()
    assert [v.simple_value for _, v in values(d)] == [1.0]
    w.close()
    w.close()  # closing twice is allowed
    w.flush()  # and flushing a closed writer does nothing
    w.add_scalar("x", 2.0, 1)  # a closed writer opens a new event file
    w.close()
    files = glob.glob(d + "/events.out.tfevents.*")
    assert len(files) >= 1
    got = sorted(v.simple_value for f in files for e in raw_events(f)
                 if e.HasField("summary") for v in e.summary.value)
    assert got == [1.0, 2.0]
    with etb.SummaryWriter(str(tmp_path / "ctx")) as w2:
        w2.add_text("t", "x")
    assert w2.all_writers is None
    assert [v.tag for _, v in values(str(tmp_path / "ctx"))] == ["t/text_summary"]


# --- graphs -----------------------------------------------------------------------------
def cifar_model(m):
    """The notes' CIFAR10 model (seed program 003's cifar10_model.MyModel)."""
    class MyModel(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = m.nn.Sequential(
                m.nn.Conv2d(3, 32, 5, padding=2), m.nn.MaxPool2d(2),
                m.nn.Conv2d(32, 32, 5, padding=2), m.nn.MaxPool2d(2),
                m.nn.Conv2d(32, 64, 5, padding=2), m.nn.MaxPool2d(2),
                m.nn.Flatten(), m.nn.Linear(1024, 64), m.nn.Linear(64, 10))

        def forward(self, x):
            return self.model(x)
    return MyModel()


def norm_model(m):
    class Block(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = m.nn.Conv2d(3, 4, 3, padding=1, bias=False)
            self.bn = m.nn.BatchNorm2d(4)
            self.act = m.nn.ReLU(inplace=True)
            self.unused = m.nn.Linear(2, 2)

        def forward(self, x):
            return self.act(self.bn(self.conv(x)))

    class Net(m.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.head = m.nn.Sequential(m.nn.AdaptiveAvgPool2d(1), m.nn.Flatten(),
                                        m.nn.Dropout(0.5), m.nn.Linear(4, 3))

        def forward(self, img, scale):
            return self.head(self.block(img)) * scale
    return Net()


def graph_of(logdir):
    acc = accumulate(logdir)
    return {n.name: n for n in acc.Graph().node}, acc


def _shapes(node):
    return [[d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


@pytest.mark.parametrize("build,inputs", [
    (cifar_model, lambda m: m.ones((2, 3, 32, 32))),
    (norm_model, lambda m: (m.ones((2, 3, 8, 8)), m.tensor(2.0))),
])
def test_graph_scopes_io_and_parameters_match_torch(tmp_path, build, inputs):
    models = {}

    def log(w, m):
        models[m.__name__] = model = build(m)
        w.add_graph(model, inputs(m))

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit.trace is deprecated
        t_dir, e_dir = both(tmp_path, log)
    (tg, _), (eg, e_acc) = graph_of(t_dir), graph_of(e_dir)
    assert e_acc.RunMetadata("step1").step_stats.dev_stats[0].device == "/device:CPU:0"
    assert models["ember"].training  # put back in training mode

    def io(g):
        return {k: (n.op, list(n.input) and "src", _shapes(n)) for k, n in g.items()
                if n.op == "IO Node"}
    assert io(eg) == io(tg)

    def params(g, depth):  # {(module scope, attribute)} of parameter/buffer nodes
        return {(k.rsplit("/", depth)[0], n.attr["attr"].s.decode().split(":")[1].strip(" }"))
                for k, n in g.items() if n.op == "prim::GetAttr"}
    assert params(eg, 1) == params(tg, 2)

    def scopes(g, depth):  # every module scope holding an op
        out = set()
        for k, n in g.items():
            if n.op not in ("IO Node", "prim::GetAttr"):
                parts = k.split("/")[:-1]
                out.update("/".join(parts[:i + 1]) for i in range(len(parts)))
        return out
    assert scopes(tg, 1) <= scopes(eg, 1)

    def shapes_by_scope(g, skip):
        out = {}
        for k, n in g.items():
            if n.op not in skip and _shapes(n):
                out.setdefault(k.rsplit("/", 1)[0], set()).update(map(tuple, _shapes(n)))
        return out
    skip = ("IO Node", "prim::GetAttr", "prim::Constant", "prim::ListConstruct")
    t_shapes, e_shapes = shapes_by_scope(tg, skip), shapes_by_scope(eg, skip)
    for scope, shapes in t_shapes.items():
        assert shapes <= e_shapes[scope], scope
    # every edge points at a node of the graph
    for n in eg.values():
        for src in n.input:
            assert src.split(":")[0] in eg, (n.name, src)


def test_graph_follows_inplace_and_functional_ops(tmp_path):
    class Net(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = ember.nn.Linear(4, 4)

        def forward(self, x):
            x = x.relu()
            x += 1
            return self.fc(x).sigmoid()

    with etb.SummaryWriter(str(tmp_path)) as w:
        w.add_graph(Net(), ember.ones(2, 4))
    g, _ = graph_of(str(tmp_path))
    ops = [n.op for n in g.values()]
    assert ops == ["IO Node", "aten::relu", "aten::add", "prim::GetAttr", "aten::t",
                   "prim::GetAttr", "aten::addmm", "aten::sigmoid", "IO Node"]
    chain, name = [], "output/output.1"
    while g[name].input:
        name = g[name].input[0] if g[name].op != "aten::addmm" else g[name].input[1]
        chain.append(g[name].op)
    assert chain == ["aten::sigmoid", "aten::addmm", "aten::add", "aten::relu", "IO Node"]
    assert "Net/Linear[fc]/weight" in g


def test_graph_error_is_reported_and_raised(tmp_path, capsys):
    class Bad(ember.nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    with etb.SummaryWriter(str(tmp_path)) as w:
        with pytest.raises(RuntimeError, match="boom"):
            w.add_graph(Bad(), ember.ones(1))
    assert "Error occurs, No graph saved" in capsys.readouterr().out
    # nothing is left patched
    from ember.autograd.op import Op
    assert Op.__call__.__name__ == "__call__"


# --- the real TensorBoard server -----------------------------------------------------------
def _get(url, timeout=3):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def test_tensorboard_server_serves_embers_logs(tmp_path):
    """Bounded without plugins: 60 s to come up, each request 3-10 s, the server's whole
    process group killed in ``finally``."""
    logdir = tmp_path / "logs"
    with etb.SummaryWriter(str(logdir / "train")) as w:
        for i in range(5):
            w.add_scalar("y=2x", 2 * i, i)
        w.add_image("img", np.full((3, 4, 4), 0.5, np.float32), 1)
        w.add_graph(cifar_model(ember), ember.ones(1, 3, 32, 32))
    with etb.SummaryWriter(str(logdir / "val")) as w:
        w.add_scalar("loss", 0.25, 3)

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path / "tb.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host",
         "127.0.0.1", "--port", str(port), "--load_fast", "false", "--reload_interval", "1"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        tags = {}
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "tb.log").read_text()
            try:
                tags = json.loads(_get(base + "/data/plugin/scalars/tags"))
                if set(tags) == {"train", "val"}:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert set(tags) == {"train", "val"}, (tmp_path / "tb.log").read_text()
        assert sorted(json.loads(_get(base + "/data/runs"))) == ["train", "val"]
        assert set(tags["train"]) == {"y=2x"} and set(tags["val"]) == {"loss"}

        def scalars(run, tag):
            q = urllib.parse.urlencode({"run": run, "tag": tag})
            return [(step, v) for _, step, v in
                    json.loads(_get(base + "/data/plugin/scalars/scalars?" + q))]
        assert scalars("train", "y=2x") == [(i, 2.0 * i) for i in range(5)]
        assert scalars("val", "loss") == [(3, 0.25)]
        images = json.loads(_get(base + "/data/plugin/images/tags"))
        assert "img" in images["train"]
        q = urllib.parse.urlencode({"run": "train", "conceptual": "false"})
        pbtxt = _get(base + "/data/plugin/graphs/graph?" + q, timeout=10).decode()
        assert 'name: "MyModel/Sequential[model]/Conv2d[0]/weight"' in pbtxt
        assert 'op: "aten::convolution"' in pbtxt and 'name: "input/x"' in pbtxt
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
    assert proc.poll() is not None
