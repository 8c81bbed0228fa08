"""The digits demo (README's first command) and its ember-named twin, end to end.

Each runs in a subprocess for 4 epochs (the README runs 8): test accuracy >= 95 %, the
checkpoint reloads (in ember, and in PyTorch when installed: ember writes PyTorch's
format), the curves PNG is written and the TensorBoard logs open in EventAccumulator.
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ember

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NEEDS = ["sklearn", "matplotlib", "tqdm", "tensorboard"]
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in NEEDS),
    reason="the examples extra is not installed (pip install -e '.[examples]')")

EPOCHS = 4


def run_example(name, out, via_ember_run):
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    env.pop("EMBER_TORCH_SHIM", None)
    script = str(EXAMPLES / name)
    cmd = [sys.executable, "-m", "ember", "run", script] if via_ember_run else \
        [sys.executable, script]
    r = subprocess.run(cmd + ["--epochs", str(EPOCHS), "--out", str(out)], cwd=out.parent,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def load_module(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module", params=["train_digits", "train_digits_ember"])
def result(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param) / "out"
    r = run_example(f"{request.param}.py", out, via_ember_run=request.param == "train_digits")
    return request.param, out, r


def test_trains_to_95_percent(result):
    name, out, r = result
    assert r.stdout.splitlines()[0].startswith("ember 0.")  # torch.__name__ is 'ember'
    epochs = re.findall(r"epoch (\d+): train loss ([\d.]+), test loss ([\d.]+), "
                        r"test accuracy ([\d.]+)%", r.stdout)
    assert [int(e[0]) for e in epochs] == list(range(1, EPOCHS + 1))
    losses = [float(e[1]) for e in epochs]
    assert losses[-1] < losses[0] / 5
    acc = float(re.search(r"test accuracy \(reloaded checkpoint\): ([\d.]+)%",
                          r.stdout).group(1))
    assert acc >= 95.0
    assert acc == float(epochs[-1][3])  # the reloaded model is the trained one
    # tqdm draws one bar per epoch on stderr
    assert all(f"epoch {i}/{EPOCHS}" in r.stderr for i in range(1, EPOCHS + 1))
    assert "45/45" in r.stderr
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_checkpoint_reloads(result):
    name, out, r = result
    acc = float(re.search(r"reloaded checkpoint\): ([\d.]+)%", r.stdout).group(1)) / 100
    state = ember.load(out / "lenet_digits.pt", weights_only=True)
    assert state["epoch"] == EPOCHS and len(state["history"]["test_acc"]) == EPOCHS
    assert set(state["optimizer"]) == {"state", "param_groups"}
    ex = load_module("train_digits_ember")
    model = ex.LeNet()
    model.load_state_dict(state["model"])
    ember.manual_seed(0)
    _, test_set = ex.load_data(0)
    _, got = ex.evaluate(model, ember.utils.data.DataLoader(test_set, batch_size=512))
    assert got == pytest.approx(acc, abs=1e-4)

    torch = pytest.importorskip("torch")  # the same file opens in PyTorch
    t_state = torch.load(out / "lenet_digits.pt", weights_only=True)
    for k, v in state["model"].items():
        np.testing.assert_array_equal(t_state["model"][k].numpy(), v.numpy())
    ex_t = load_module("train_digits")  # bound to the real torch in this process
    assert ex_t.torch is torch
    t_model = ex_t.LeNet()
    t_model.load_state_dict(t_state["model"])
    t_model.eval()
    x, y = (torch.from_numpy(t.numpy()) for t in test_set.tensors)
    with torch.no_grad():
        pred = t_model(x).argmax(1)
    assert (pred == y).float().mean().item() == pytest.approx(acc, abs=1e-4)


def test_tensorboard_logs_open(result):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    name, out, r = result
    (run,) = (out / "tensorboard").iterdir()
    acc = EventAccumulator(str(run), size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()
    assert {"loss/train_batch", "accuracy/test"} <= set(tags["scalars"])
    assert len(acc.Scalars("loss/train_batch")) == 45 * EPOCHS
    test_acc = [e.value for e in acc.Scalars("accuracy/test")]
    assert [e.step for e in acc.Scalars("accuracy/test")] == list(range(1, EPOCHS + 1))
    assert test_acc[-1] >= 0.95
    assert tags["images"] == ["digits"] and acc.Images("digits")[0].width > 16
    assert tags["histograms"] == ["conv1.weight"]
    graph = acc.Graph()
    ops = {n.op for n in graph.node}
    assert any("Conv2d" in n.name for n in graph.node) and len(graph.node) > 10, ops
    for sub in ("loss_train", "loss_test"):  # add_scalars writes one run per curve
        sub_acc = EventAccumulator(str(run / sub))
        sub_acc.Reload()
        assert len(sub_acc.Scalars("loss")) == EPOCHS
