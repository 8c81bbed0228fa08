"""ember.save / ember.load against torch's checkpoint format, both ways."""
import collections
import io
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool", "complex64", "complex128"]


def _np(t):
    if isinstance(t, torch.Tensor):
        return (t.float() if t.dtype == torch.bfloat16 else t).numpy()
    return t._data.astype(np.float32) if t.dtype is ember.bfloat16 else t._data


def _sample(m, name, rng):
    arr = rng.standard_normal((3, 4)) * 10
    return m.tensor(arr).to(getattr(m, name))


@pytest.mark.parametrize("name", DTYPES)
def test_ember_file_loads_in_torch(tmp_path, name):
    rng = np.random.default_rng(0)
    t = _sample(ember, name, rng)
    ember.save({"t": t, "view": t[1], "tt": t.t()}, tmp_path / "a.pth")
    r = torch.load(tmp_path / "a.pth")
    assert str(r["t"].dtype) == f"torch.{name}"
    np.testing.assert_array_equal(_np(r["t"]), _np(t))
    np.testing.assert_array_equal(_np(r["view"]), _np(t[1]))
    assert r["tt"].stride() == (1, 4)
    # views still share one storage after the round trip
    assert r["view"].untyped_storage().data_ptr() == r["t"].untyped_storage().data_ptr()
    assert r["view"].storage_offset() == 4


@pytest.mark.parametrize("name", DTYPES)
def test_torch_file_loads_in_ember(tmp_path, name):
    rng = np.random.default_rng(1)
    t = _sample(torch, name, rng)
    torch.save(collections.OrderedDict(t=t, view=t[:, 1], scalar=3, nested=[t[0], (1.5, "s")]),
               tmp_path / "b.pth")
    r = ember.load(tmp_path / "b.pth")
    assert isinstance(r, collections.OrderedDict)
    assert r["t"].dtype.name == name
    np.testing.assert_array_equal(_np(r["t"]), _np(t))
    np.testing.assert_array_equal(_np(r["view"]), _np(t[:, 1]))
    assert r["view"].stride() == t[:, 1].stride()
    assert r["view"].storage_offset() == 1
    assert r["scalar"] == 3 and r["nested"][1] == (1.5, "s")
    r["t"][0, 1] = 0  # shared storage: the view sees the write
    assert r["view"][0].item() == 0


def test_requires_grad_and_file_objects():
    buf = io.BytesIO()
    ember.save(ember.ones(2, requires_grad=True), buf)
    buf.seek(0)
    assert torch.load(buf).requires_grad
    buf = io.BytesIO()
    torch.save(torch.ones(2, requires_grad=True), buf)
    buf.seek(0)
    assert ember.load(buf).requires_grad


def test_archive_layout_matches_torch(tmp_path):
    ember.save(ember.ones(3), tmp_path / "model.pt")
    torch.save(torch.ones(3), tmp_path / "ref.pt")
    names = sorted(n.split("/", 1)[1] for n in zipfile.ZipFile(tmp_path / "model.pt").namelist())
    ref = sorted(n.split("/", 1)[1] for n in zipfile.ZipFile(tmp_path / "ref.pt").namelist())
    assert names == ref
    assert zipfile.ZipFile(tmp_path / "model.pt").namelist()[0].startswith("model/")


def test_refuses_code_execution_by_default(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"a": Evil()}, tmp_path / "evil.pth")
    with pytest.raises(pickle.UnpicklingError) as ei:
        ember.load(tmp_path / "evil.pth")
    assert "Weights only load failed" in str(ei.value)
    assert "system" in str(ei.value)
    assert not marker.exists()


class Custom:
    def __init__(self):
        self.x = 1


def test_unknown_global_names_how_to_allow_it(tmp_path):
    torch.save(Custom(), tmp_path / "c.pth")
    with pytest.raises(pickle.UnpicklingError) as ei:
        ember.load(tmp_path / "c.pth")
    msg = str(ei.value)
    assert "add_safe_globals" in msg and "Custom" in msg
    with ember.serialization.safe_globals([Custom]):
        assert ember.load(tmp_path / "c.pth").x == 1
    assert ember.load(tmp_path / "c.pth", weights_only=False).x == 1


def test_truncated_and_corrupt_files(tmp_path):
    ember.save({"a": ember.ones(1000)}, tmp_path / "ok.pth")
    raw = (tmp_path / "ok.pth").read_bytes()
    (tmp_path / "trunc.pth").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(RuntimeError, match="failed finding central directory"):
        ember.load(tmp_path / "trunc.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint at all")
    with pytest.raises(RuntimeError):
        ember.load(tmp_path / "junk.pth")
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pth")


def test_cuda_location_needs_map_location(tmp_path):
    ember.save(ember.ones(2), tmp_path / "a.pth")
    assert ember.load(tmp_path / "a.pth", map_location="cpu").sum().item() == 2
    assert ember.load(tmp_path / "a.pth", map_location=ember.device("cpu")).numel() == 2


def test_plain_pickle_round_trip():
    t = ember.arange(6.).reshape(2, 3).t()
    r = pickle.loads(pickle.dumps(t))
    np.testing.assert_array_equal(r._data, t._data)


_KILL_SCRIPT = r"""
import os, sys, time
sys.path.insert(0, {root!r})
import ember
big = {{f"w{{i}}": ember.ones(2_000_000) for i in range(20)}}
print("ready", flush=True)
ember.save(big, {path!r})
"""


def test_killed_save_keeps_old_file(tmp_path):
    path = str(tmp_path / "ckpt.pth")
    ember.save({"old": ember.arange(5)}, path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT.format(root=root, path=path)],
                            stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    proc.kill()
    proc.wait()
    r = ember.load(path)
    assert r["old"].tolist() == [0, 1, 2, 3, 4]
    leftovers = [n for n in os.listdir(tmp_path) if n != "ckpt.pth"]
    # a killed writer may leave its temporary file, never a damaged target
    assert all(n.startswith(".tmp-") for n in leftovers)
