"""The d2l book's helper module (``pip install d2l==1.0.3 --no-deps``) on ember.

``from d2l import torch as d2l`` is imported twice in this process: once bound to the
real torch (the yardstick) and once through ``ember.compat`` (bound to ember).  Each
scenario runs on both with the same seed; since ember draws the same random numbers as
torch, losses and accuracies must agree closely, and must fall / rise as torch's do.
Fashion-MNIST is a locally generated fixture in the real idx format, at ``../data`` as
d2l expects.
"""
import gzip
import importlib
import importlib.util
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("d2l") is None,
                       reason="d2l not installed (pip install d2l==1.0.3 --no-deps)"),
    # d2l asks for 4 workers; torch warns about that on a 2-core machine too
    pytest.mark.filterwarnings("ignore:This DataLoader will create"),
    # train_ch6 for one epoch sets xlim=[1, 1], as it would under torch
    pytest.mark.filterwarnings("ignore:Attempting to set identical low and high xlims"),
]

import ember
import ember.compat as compat

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = [Path(os.environ.get("EMBER_SEED_PROGRAMS", ROOT.parent / "shared" / "seed-programs"))
            / "make_fixtures.py", Path("/work/shared/seed-programs/make_fixtures.py")]
HAS_LAZY_CONV = hasattr(ember.nn, "LazyConv2d")


# --------------------------------------------------------------------------- fixtures
def _write_idx(raw, n_train, n_test):
    """Fallback when the seed programs' generator is absent: class-dependent strokes."""
    rs = np.random.RandomState(0)
    for split, n in (("train", n_train), ("t10k", n_test)):
        labels = rs.randint(0, 10, n).astype(np.uint8)
        imgs = rs.randint(0, 60, (n, 28, 28)).astype(np.uint8)
        rows = 3 + 2 * labels
        imgs[np.arange(n), rows] = 250
        imgs[np.arange(n), :, rows] = 200
        for kind, arr, magic in (("images-idx3", imgs, 2051), ("labels-idx1", labels, 2049)):
            head = struct.pack(">II", magic, n) + (struct.pack(">II", 28, 28) if arr.ndim == 3
                                                   else b"")
            (raw / f"{split}-{kind}-ubyte").write_bytes(head + arr.tobytes())
            with gzip.open(raw / f"{split}-{kind}-ubyte.gz", "wb") as f:
                f.write(head + arr.tobytes())


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A tree whose ``../data`` holds FashionMNIST/raw (320 train / 128 test images)."""
    base = tmp_path_factory.mktemp("d2l")
    (base / "work").mkdir()
    gen = next((p for p in FIXTURES if p.exists()), None)
    if gen is not None:
        subprocess.run([sys.executable, str(gen), str(base / "fx"), "fashion_mnist_small"],
                       check=True, capture_output=True)
        (base / "data").mkdir()
        (base / "data" / "FashionMNIST").symlink_to(
            base / "fx" / "fashion_mnist_small" / "FashionMNIST")
    else:
        raw = base / "data" / "FashionMNIST" / "raw"
        raw.mkdir(parents=True)
        _write_idx(raw, 320, 128)
    return base / "work"


@pytest.fixture(autouse=True)
def in_workdir(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def _fresh_d2l():
    for k in [k for k in sys.modules if k == "d2l" or k.startswith("d2l.")]:
        del sys.modules[k]
    return importlib.import_module("d2l.torch")


@pytest.fixture(scope="module")
def libs():
    """{'ember': (d2l bound to ember, ember), 'torch': (d2l bound to torch, torch)}."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    out = {}
    saved = {k: v for k, v in sys.modules.items() if compat.ember_name(k) is not None}
    was_installed = compat.installed()
    try:
        compat.install()
        d2l = _fresh_d2l()
        assert d2l.torch is ember and d2l.nn is ember.nn
        out["ember"] = (d2l, ember)
    finally:
        if not was_installed:
            compat.uninstall()
        sys.modules.update(saved)
    if importlib.util.find_spec("torch") is not None and not was_installed:
        torch = importlib.import_module("torch")
        out["torch"] = (_fresh_d2l(), torch)
    yield out
    for k in [k for k in sys.modules if k == "d2l" or k.startswith("d2l.")]:
        del sys.modules[k]


def on_both(libs, scenario, **kw):
    """scenario(d2l, torch) on ember, and on torch when it is installed."""
    got = scenario(*libs["ember"], **kw)
    want = scenario(*libs["torch"], **kw) if "torch" in libs else None
    return got, want


def close(got, want, rtol, atol=1e-5):
    if want is not None:
        np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float),
                                   rtol=rtol, atol=atol)


def board(model):
    return {k: [float(p.y) for p in v] for k, v in model.board.data.items()}


def quiet(d2l):
    """d2l's loaders default to 4 workers; in-process tests read in the main process."""
    d2l.get_dataloader_workers = lambda: 0


# --------------------------------------------------------------------------- function API
def test_import_under_ember_run(workdir):
    script = workdir / "uses_d2l.py"
    script.write_text(
        "from d2l import torch as d2l\n"
        "import torch\n"
        "train_iter, test_iter = d2l.load_data_fashion_mnist(64)  # 4 worker processes\n"
        "X, y = next(iter(train_iter))\n"
        "print(d2l.torch is torch, torch.__name__, tuple(X.shape), y.dtype, d2l.try_gpu())\n")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], cwd=workdir,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "True ember (64, 1, 28, 28) ember.int64 cpu"


def test_timer_accumulator_try_gpu(libs):
    d2l, torch = libs["ember"]
    t = d2l.Timer()
    assert t.stop() >= 0
    t.start()
    t.stop()
    assert len(t.times) == 2 and t.sum() == pytest.approx(sum(t.times))
    assert t.avg() == pytest.approx(t.sum() / 2) and t.cumsum()[-1] == pytest.approx(t.sum())
    acc = d2l.Accumulator(3)
    acc.add(torch.tensor(1.5), 2, torch.tensor([3]))
    acc.add(0.5, torch.tensor(4), 1)
    assert acc.data == [2.0, 6.0, 4.0] and acc[1] == 6.0
    acc.reset()
    assert acc.data == [0.0, 0.0, 0.0]
    assert d2l.try_gpu() == torch.device("cpu") and str(d2l.try_gpu(3)) == "cpu"
    assert d2l.cpu() == torch.device("cpu") and d2l.num_gpus() == 0
    assert d2l.try_all_gpus() == [] and str(d2l.gpu(1)) == "cuda:1"


def test_animator_agg(libs, tmp_path):
    d2l, torch = libs["ember"]
    an = d2l.Animator(xlabel="epoch", xlim=[1, 3], legend=["loss", "acc"])
    for epoch in range(1, 4):
        an.add(epoch, (torch.tensor(1.0 / epoch).item(), None if epoch == 1 else 0.5 * epoch))
    lines = an.axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[1, 2, 3], [2, 3]]
    np.testing.assert_allclose(lines[0].get_ydata(), [1, 0.5, 1 / 3])
    assert an.axes[0].get_xlabel() == "epoch" and an.axes[0].get_xlim() == (1, 3)
    an.fig.savefig(tmp_path / "animator.png")
    assert (tmp_path / "animator.png").stat().st_size > 1000


def linreg_scratch(d2l, torch):
    torch.manual_seed(0)
    true_w, true_b = torch.tensor([2, -3.4]), 4.2
    features, labels = d2l.synthetic_data(true_w, true_b, 1000)
    w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    losses = []
    for _ in range(3):
        for X, y in d2l.load_array((features, labels), 10):
            d2l.squared_loss(d2l.linreg(X, w, b), y).sum().backward()
            d2l.sgd([w, b], 0.03, 10)
        with torch.no_grad():
            losses.append(float(d2l.squared_loss(d2l.linreg(features, w, b), labels).mean()))
    assert tuple(features.shape) == (1000, 2) and tuple(labels.shape) == (1000, 1)
    return losses + w.detach().reshape(-1).tolist() + [b.item()]


def test_linear_regression_from_scratch(libs):
    got, want = on_both(libs, linreg_scratch)
    assert got[0] > got[1] > got[2] and got[2] < 1e-3
    np.testing.assert_allclose(got[3:], [2, -3.4, 4.2], atol=0.02)
    close(got, want, rtol=1e-3)


def _raw(split):
    raw = Path("../data/FashionMNIST/raw")
    imgs = np.frombuffer((raw / f"{split}-images-idx3-ubyte").read_bytes()[16:], np.uint8)
    labels = np.frombuffer((raw / f"{split}-labels-idx1-ubyte").read_bytes()[8:], np.uint8)
    return imgs.reshape(-1, 28, 28), labels


def test_load_data_fashion_mnist(libs):
    d2l, torch = libs["ember"]
    train_iter, test_iter = d2l.load_data_fashion_mnist(32)  # d2l's 4 worker processes
    assert train_iter.num_workers == 4 and len(train_iter.dataset) == 320
    X, y = next(iter(test_iter))  # not shuffled: the first images of the file
    imgs, labels = _raw("t10k")
    assert X.dtype == torch.float32 and y.dtype == torch.int64 and tuple(X.shape) == (32, 1, 28, 28)
    np.testing.assert_allclose(X.numpy()[:, 0], imgs[:32] / 255, rtol=1e-6)
    np.testing.assert_array_equal(y.numpy(), labels[:32])
    Xs = [X for X, _ in train_iter]
    assert len(Xs) == 10 and all(tuple(x.shape) == (32, 1, 28, 28) for x in Xs)
    assert d2l.get_fashion_mnist_labels(y[:2]) == [d2l.get_fashion_mnist_labels([i])[0]
                                                   for i in labels[:2]]
    quiet(d2l)
    train_iter, _ = d2l.load_data_fashion_mnist(16, resize=32)
    X, _ = next(iter(train_iter))
    assert tuple(X.shape) == (16, 1, 32, 32) and 0 <= X.min().item() <= X.max().item() <= 1


def lenet_seq(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))


def train_ch6(d2l, torch, capsys):
    quiet(d2l)
    torch.manual_seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(32)
    net = lenet_seq(torch.nn)
    before = d2l.evaluate_accuracy_gpu(net, test_iter)
    capsys.readouterr()
    d2l.train_ch6(net, train_iter, test_iter, 1, 0.9, d2l.try_gpu())
    out = capsys.readouterr().out
    assert "training on cpu" in out and "examples/sec on cpu" in out
    loss, train_acc, test_acc = map(float, re.search(
        r"loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+)", out).groups())
    after = d2l.evaluate_accuracy_gpu(net, test_iter, device=d2l.try_gpu())
    assert after == pytest.approx(test_acc, abs=1e-3) and not net.training
    return [before, loss, train_acc, test_acc]


def test_train_ch6_and_evaluate_accuracy(libs, capsys):
    got, want = on_both(libs, train_ch6, capsys=capsys)
    assert 0 <= got[0] <= 1 and 0 < got[1] < 3
    close(got, want, rtol=1e-2, atol=1e-2)


def test_accuracy_helpers(libs):
    d2l, torch = libs["ember"]
    y_hat = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    y = torch.tensor([1, 1, 1])
    assert d2l.accuracy(y_hat, y) == 2.0
    assert d2l.evaluate_accuracy_gpu(lambda X: X, [(y_hat, y), (y_hat[:1], y[:1])]) == 0.75


# --------------------------------------------------------------------------- class API
def synthetic_and_scratch(d2l, torch):
    torch.manual_seed(1)
    data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
    assert isinstance(data, d2l.DataModule) and data.batch_size == 32
    X, y = next(iter(data.train_dataloader()))
    assert tuple(X.shape) == (32, 2) and tuple(y.shape) == (32, 1)
    assert len(data.train_dataloader()) == len(data.val_dataloader()) == 32
    model = d2l.LinearRegressionScratch(2, lr=0.03)
    trainer = d2l.Trainer(max_epochs=3)
    trainer.fit(model, data)
    b = board(model)
    return b["train_loss"] + b["val_loss"] + model.w.detach().reshape(-1).tolist() + \
        [model.b.item()], b


def test_linear_regression_scratch_class(libs):
    (got, b), want = on_both(libs, synthetic_and_scratch)
    assert b["train_loss"][0] > b["train_loss"][-1] and b["val_loss"][0] > b["val_loss"][-1]
    np.testing.assert_allclose(got[-3:], [2, -3.4, 4.2], atol=0.3)
    close(got, want and want[0], rtol=1e-3)


def concise(d2l, torch):
    torch.manual_seed(2)
    data = d2l.SyntheticRegressionData(w=torch.tensor([2, -3.4]), b=4.2)
    model = d2l.LinearRegression(lr=0.03)
    assert isinstance(model, d2l.Module)
    d2l.Trainer(max_epochs=3).fit(model, data)
    w, b = model.get_w_b()
    assert type(model.net) is torch.nn.Linear  # the LazyLinear materialised
    return board(model)["val_loss"] + w.reshape(-1).tolist() + b.tolist()


def test_linear_regression_concise_class(libs):
    got, want = on_both(libs, concise)
    assert got[0] > got[1] > got[2]
    np.testing.assert_allclose(got[3:], [2, -3.4, 4.2], atol=0.05)
    close(got, want, rtol=1e-3)


def softmax_fashion(d2l, torch):
    torch.manual_seed(3)
    data = d2l.FashionMNIST(batch_size=64)
    data.num_workers = 0
    assert len(data.train) == 320 and len(data.val) == 128
    assert data.text_labels([0, 9]) == ["t-shirt", "ankle boot"]
    X, y = next(iter(data.val_dataloader()))
    assert tuple(X.shape) == (64, 1, 28, 28) and y.dtype == torch.int64
    data.visualize((X[:4], y[:4]), ncols=4)
    model = d2l.SoftmaxRegression(num_outputs=10, lr=0.1)
    assert isinstance(model, d2l.Classifier)
    d2l.Trainer(max_epochs=3).fit(model, data)
    acc = model.accuracy(model(X), y).item()
    return board(model), acc


def test_softmax_regression_fashion_mnist(libs):
    (got, acc), want = on_both(libs, softmax_fashion)
    assert got["train_loss"][0] > got["train_loss"][-1]
    assert got["val_loss"][0] > got["val_loss"][-1] and got["val_acc"][-1] > 0.3 and acc > 0.3
    if want is not None:
        for k in got:
            close(got[k], want[0][k], rtol=2e-3, atol=2e-3)
        assert acc == pytest.approx(want[1], abs=1 / 64 + 1e-6)


def lenet_class(d2l, torch, capsys):
    torch.manual_seed(4)
    data = d2l.FashionMNIST(batch_size=32)
    data.num_workers = 0
    model = d2l.LeNet(lr=0.5)
    model.apply_init([next(iter(data.get_dataloader(True)))[0]], d2l.init_cnn)
    capsys.readouterr()
    model.layer_summary((1, 1, 28, 28))
    summary = capsys.readouterr().out
    d2l.Trainer(max_epochs=3).fit(model, data)
    return board(model), summary


@pytest.mark.skipif(not HAS_LAZY_CONV, reason="ember.nn.LazyConv2d is missing (d2l.LeNet uses it)")
def test_lenet_class(libs, capsys):
    (got, summary), want = on_both(libs, lenet_class, capsys=capsys)
    assert summary.splitlines()[0] == "Conv2d output shape:\t ember.Size([1, 6, 28, 28])"
    assert summary.splitlines()[-1] == "Linear output shape:\t ember.Size([1, 10])"
    assert got["train_loss"][0] > got["train_loss"][-1]
    if want is not None:
        assert summary == want[1].replace("torch.", "ember.")
        for k in got:
            close(got[k], want[0][k], rtol=1e-2, atol=1e-2)
