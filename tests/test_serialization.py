"""ember.save / ember.load against torch's checkpoint format, both ways."""
import collections
import io
import os
import pickle
import stat
import struct
import subprocess
import sys
import time
import warnings
import zipfile

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
from ember import _zip_container  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8",
          "uint8", "bool", "complex64", "complex128"]


def _np(t):
    if isinstance(t, torch.Tensor):
        return (t.float() if t.dtype == torch.bfloat16 else t).detach().numpy()
    return t._data.astype(np.float32) if t.dtype is ember.bfloat16 else t._data


def _sample(m, name, rng):
    arr = rng.standard_normal((3, 4)) * 10
    return m.tensor(arr).to(getattr(m, name))


def _outcome(fn):
    """(exception type, message) of fn(), or ('ok', result)."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e)


def _same_error(fn, path=None):
    """fn(torch) and fn(ember) raise the same type and text (ember may append the file)."""
    t, e = _outcome(lambda: fn(torch)), _outcome(lambda: fn(ember))
    assert t[0] != "ok" and e[0] is t[0], (t, e)
    suffix = f" (while loading {str(path)!r})" if path is not None else ""
    assert e[1] == t[1] + suffix, (t[1], e[1])
    return e[1]


def _archive(records, prefix="archive"):
    """A zip laid out like a checkpoint, from {name: bytes}, written with zipfile."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in records.items():
            z.writestr(f"{prefix}/{name}", data)
    return buf.getvalue()


def _records(path):
    z = zipfile.ZipFile(path)
    prefix = z.namelist()[0].split("/")[0] + "/"
    return {n[len(prefix):]: z.read(n) for n in z.namelist()}


def _data_offset(raw, info):
    n, e = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    return info.header_offset + 30 + n + e


# --- tensors, every dtype, views ----------------------------------------------------------

@pytest.mark.parametrize("name", DTYPES)
def test_ember_file_loads_in_torch(tmp_path, name):
    rng = np.random.default_rng(0)
    t = _sample(ember, name, rng)
    ember.save({"t": t, "view": t[1], "tt": t.t(), "step": t[:, ::2]}, tmp_path / "a.pth")
    r = torch.load(tmp_path / "a.pth")
    assert str(r["t"].dtype) == f"torch.{name}"
    np.testing.assert_array_equal(_np(r["t"]), _np(t))
    np.testing.assert_array_equal(_np(r["view"]), _np(t[1]))
    np.testing.assert_array_equal(_np(r["step"]), _np(t[:, ::2]))
    assert r["tt"].stride() == (1, 4) and r["step"].stride() == (4, 2)
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


@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_unsigned_dtypes_without_storage_class(tmp_path, name):
    ember.save(ember.tensor([1, 2, 70000 % 65536]).to(getattr(ember, name)), tmp_path / "e.pt")
    r = torch.load(tmp_path / "e.pt")
    assert r.dtype == getattr(torch, name) and r.tolist() == [1, 2, 70000 % 65536]
    torch.save(r[1:], tmp_path / "t.pt")
    e = ember.load(tmp_path / "t.pt")
    assert e.dtype is getattr(ember, name) and e.tolist() == [2, 70000 % 65536]


def test_odd_shapes_and_strides_both_ways(tmp_path):
    def objs(m):
        base = m.arange(24.).reshape(2, 3, 4)
        return {"zero_d": m.tensor(2.5), "empty": m.empty(0, 3), "empty_view": base[:, 3:],
                "perm": base.permute(2, 0, 1), "expand": m.tensor([1., 2.]).expand(3, 2),
                "narrow": base[1, 1:, 1:3], "int0d": m.tensor(7)}
    ember.save(objs(ember), tmp_path / "e.pt")
    torch.save(objs(torch), tmp_path / "t.pt")
    for r, ref in ((torch.load(tmp_path / "e.pt"), objs(torch)),
                   (ember.load(tmp_path / "t.pt"), objs(ember))):
        for k, v in ref.items():
            assert tuple(r[k].shape) == tuple(v.shape), k
            # (ember reports contiguous strides for every empty tensor, views included)
            assert r[k].stride() == v.stride() or k == "empty_view", k
            np.testing.assert_array_equal(_np(r[k]), _np(v))
    assert ember.load(tmp_path / "t.pt")["expand"].stride() == (0, 1)


def test_conj_bit_and_tensor_attributes(tmp_path):
    torch.save(torch.tensor([1 + 2j]).conj(), tmp_path / "c.pt")
    assert ember.load(tmp_path / "c.pt").tolist() == [1 - 2j]
    t = torch.ones(2)
    t.note = "hi"
    torch.save(t, tmp_path / "a.pt")
    assert ember.load(tmp_path / "a.pt").note == "hi"
    e = ember.ones(2)
    e.note = "there"
    ember.save(e, tmp_path / "b.pt")
    assert torch.load(tmp_path / "b.pt").note == "there"


@pytest.mark.filterwarnings("ignore:TypedStorage is deprecated")
def test_storages_saved_directly(tmp_path):
    x = ember.arange(4.)
    ember.save([x.untyped_storage(), ember.ones(2).untyped_storage()], tmp_path / "s.pt")
    st, st2 = torch.load(tmp_path / "s.pt")
    assert st.dtype == torch.uint8 and st.size() == 16 and st2.size() == 8
    assert torch.tensor(st.tolist(), dtype=torch.uint8).view(torch.float32).tolist() == \
        [0, 1, 2, 3]
    def mixed(m, how):
        t = m.arange(4.)
        m.save([t, t.view(m.int32)] if how else [t.untyped_storage(), t], io.BytesIO())
    _same_error(lambda m: mixed(m, 0))
    _same_error(lambda m: mixed(m, 1))


# --- Parameters, state_dicts, optimizers ----------------------------------------------------

def test_parameters_both_ways(tmp_path):
    p = ember.nn.Parameter(ember.ones(2, 3))
    q = ember.nn.Parameter(ember.zeros(2), requires_grad=False)
    q.tag = "frozen"
    ember.save([p, q, p.t()], tmp_path / "e.pt")
    rp, rq, rt = torch.load(tmp_path / "e.pt")
    assert type(rp) is torch.nn.Parameter and rp.requires_grad and rp.shape == (2, 3)
    assert type(rq) is torch.nn.Parameter and not rq.requires_grad and rq.tag == "frozen"
    assert type(rt) is torch.Tensor and rt.stride() == (1, 3)
    torch.save([rp, rq], tmp_path / "t.pt")
    ep, eq = ember.load(tmp_path / "t.pt")
    assert type(ep) is ember.nn.Parameter and ep.requires_grad and tuple(ep.shape) == (2, 3)
    assert type(eq) is ember.nn.Parameter and not eq.requires_grad and eq.tag == "frozen"


def _net(m):
    return m.nn.Sequential(m.nn.Conv2d(2, 4, 3), m.nn.BatchNorm2d(4), m.nn.ReLU(),
                           m.nn.Flatten(), m.nn.Linear(4 * 4 * 4, 3))


def test_state_dict_with_metadata_both_ways(tmp_path):
    x = np.random.default_rng(0).standard_normal((2, 2, 6, 6)).astype(np.float32)
    tnet = _net(torch)
    tnet(torch.from_numpy(x))  # running stats move away from their defaults
    tnet.eval()
    torch.save(tnet.state_dict(), tmp_path / "t.pth")
    sd = ember.load(tmp_path / "t.pth", map_location=ember.device("cpu"))
    assert sd._metadata == tnet.state_dict()._metadata
    assert sd["1.num_batches_tracked"].dtype is ember.int64
    enet = _net(ember).eval()
    enet.load_state_dict(sd)
    want = tnet(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(enet(ember.from_numpy(x))._data, want, rtol=1e-5, atol=1e-5)
    ember.save(enet.state_dict(), tmp_path / "e.pth")
    back = _net(torch).eval()
    back.load_state_dict(torch.load(tmp_path / "e.pth"))
    np.testing.assert_allclose(back(torch.from_numpy(x)).detach().numpy(), want, rtol=1e-5,
                               atol=1e-5)


def _adam_run(m, steps, sd=None, opt_sd=None):
    torch.manual_seed(0)
    net = m.nn.Linear(4, 3)
    if sd is not None:
        net.load_state_dict(sd)
    else:
        net.load_state_dict({"weight": m.tensor(np.arange(12.).reshape(3, 4) / 10),
                             "bias": m.tensor([0.1, -0.2, 0.3])})
    opt = m.optim.Adam(net.parameters(), lr=0.1, weight_decay=0.01)
    if opt_sd is not None:
        opt.load_state_dict(opt_sd)
    x = m.tensor(np.linspace(-1, 1, 8).reshape(2, 4))
    for _ in range(steps):
        opt.zero_grad()
        (net(x.float()) ** 2).sum().backward()
        opt.step()
    return net, opt


@pytest.mark.parametrize("first", ["torch", "ember"])
def test_optimizer_state_dict_continues_identically(tmp_path, first):
    a, b = (torch, ember) if first == "torch" else (ember, torch)
    net, opt = _adam_run(a, 2)
    a.save({"model": net.state_dict(), "optim": opt.state_dict()}, tmp_path / "ck.pth")
    ck = b.load(tmp_path / "ck.pth")
    step = ck["optim"]["state"][0]["step"]
    assert isinstance(step, b.Tensor) and step.item() == 2 and step.dim() == 0
    assert ck["optim"]["param_groups"][0]["betas"] == (0.9, 0.999)
    net_b, _ = _adam_run(b, 1, ck["model"], ck["optim"])
    net_a, _ = _adam_run(a, 3)  # the same three steps, all in one library
    for k in ("weight", "bias"):
        np.testing.assert_allclose(_np(getattr(net_b, k)), _np(getattr(net_a, k)),
                                   rtol=1e-6, atol=1e-7)


def test_python_objects_inside_the_pickle(tmp_path):
    def obj(m):
        return {"size": m.Size([2, 3]), "dev": m.device("cpu"), "dt": m.float16,
                "set": {1, 2}, "bytes": b"\x00\xff", "big": 2 ** 70, "neg": -5, "c": 1 + 2j,
                "none": None, "flag": True, "nest": (1, [2.5, {"k": ("v", [])}]),
                "od": collections.OrderedDict(a=1)}
    ember.save(obj(ember), tmp_path / "e.pt")
    torch.save(obj(torch), tmp_path / "t.pt")
    r, e = torch.load(tmp_path / "e.pt"), ember.load(tmp_path / "t.pt")
    assert r == obj(torch) and type(r["size"]) is torch.Size
    assert type(r["dev"]) is torch.device and r["dt"] is torch.float16
    assert e == obj(ember) and type(e["size"]) is ember.Size
    assert type(e["dev"]) is ember.device and e["dt"] is ember.float16


# --- whole modules (weights_only=False) ---------------------------------------------------

class Tudui(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.model1 = ember.nn.Sequential(
            ember.nn.Conv2d(3, 4, 5, padding=2), ember.nn.MaxPool2d(2), ember.nn.ReLU(),
            ember.nn.Flatten(), ember.nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        return self.model1(x)


_TORCH_SIDE = r"""
import numpy as np, torch
from torch import nn
class Tudui(nn.Module):  # the notes' script: the class is defined where the model loads
    def forward(self, x):
        return self.model1(x)
m = torch.load({src!r}, weights_only=False)
y = m(torch.from_numpy(np.load({x!r}))).detach().numpy()
np.testing.assert_allclose(y, np.load({y!r}), rtol=1e-5, atol=1e-5)
torch.save(m, {dst!r})
print(type(m).__module__, type(m.model1[0]).__module__)
"""


def test_whole_model_both_ways(tmp_path, monkeypatch):
    # As in the notes: torch.save(model, "tudui_0.pth"), class defined in the script.
    monkeypatch.setattr(Tudui, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "Tudui", Tudui, raising=False)
    ember.manual_seed(0)
    model = Tudui()
    x = ember.randn(2, 3, 8, 8)
    ember.save(model, tmp_path / "tudui_0.pth")
    r = ember.load(tmp_path / "tudui_0.pth", weights_only=False)
    assert type(r) is Tudui and type(r.model1[0]) is ember.nn.Conv2d
    np.testing.assert_array_equal(r(x)._data, model(x)._data)
    # torch loads ember's whole model (ember.* globals were written as torch.*) ...
    np.save(tmp_path / "x.npy", x._data)
    np.save(tmp_path / "y.npy", model(x).detach()._data)
    script = _TORCH_SIDE.format(src=str(tmp_path / "tudui_0.pth"), x=str(tmp_path / "x.npy"),
                                y=str(tmp_path / "y.npy"), dst=str(tmp_path / "t.pth"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["__main__", "torch.nn.modules.conv"]
    # ... and ember loads the model torch saved back
    back = ember.load(tmp_path / "t.pth", weights_only=False)
    assert type(back) is Tudui
    np.testing.assert_allclose(back(x)._data, model(x)._data, rtol=1e-6, atol=1e-6)
    # weights_only=True (the default) refuses the class, with torch's message
    msg = _same_error(lambda m: m.load(tmp_path / "t.pth"))
    assert "GLOBAL __main__.Tudui was not an allowed global" in msg


def _layers(m):
    F = m.nn.functional
    torch.manual_seed(0)
    ember.manual_seed(0)
    return m.nn.Sequential(
        m.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=F.gelu),
        m.nn.Unflatten(2, (2, 4)), m.nn.ChannelShuffle(2), m.nn.LayerNorm(4)).eval()


@pytest.mark.parametrize("first", ["torch", "ember"])
def test_builtin_modules_pickled_whole_both_ways(tmp_path, first):
    # MultiheadAttention, ChannelShuffle, Fold/Unfold live in other files in ember than in
    # torch, and F.gelu is torch._C._nn.gelu in torch: names still resolve both ways.
    a, b = (torch, ember) if first == "torch" else (ember, torch)
    model = _layers(a)
    a.save(model, tmp_path / "m.pth")
    other = b.load(tmp_path / "m.pth", weights_only=False)
    assert type(other[0].self_attn) is b.nn.MultiheadAttention
    assert other[0].activation is b.nn.functional.gelu
    x = np.random.default_rng(0).standard_normal((3, 2, 8)).astype(np.float32)
    with torch.no_grad(), ember.no_grad():
        np.testing.assert_allclose(_np(other(b.tensor(x))), _np(model(a.tensor(x))),
                                   rtol=1e-5, atol=1e-5)


def test_torchvision_resnet18_state_dict_into_ember(tmp_path):
    tv = pytest.importorskip("torchvision")
    from ember.vision.models import resnet18
    torch.manual_seed(0)
    tmodel = tv.models.resnet18(num_classes=10).eval()
    with torch.no_grad():  # non-trivial running statistics
        for mod in tmodel.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
                mod.running_var.uniform_(0.5, 1.5)
    torch.save(tmodel.state_dict(), tmp_path / "resnet18.pth")
    emodel = resnet18(num_classes=10).eval()
    result = emodel.load_state_dict(ember.load(tmp_path / "resnet18.pth"))
    assert not result.missing_keys and not result.unexpected_keys
    x = np.random.default_rng(0).standard_normal((1, 3, 32, 32)).astype(np.float32)
    with ember.no_grad():
        got = emodel(ember.from_numpy(x))._data
    np.testing.assert_allclose(got, tmodel(torch.from_numpy(x)).detach().numpy(), rtol=1e-4,
                               atol=1e-4)


# --- map_location -------------------------------------------------------------------------

def _cuda_file(tmp_path):
    """A torch checkpoint whose storages say 'cuda:0' (its data.pkl edited)."""
    torch.save({"w": torch.arange(3.)}, tmp_path / "cpu.pth")
    rec = _records(tmp_path / "cpu.pth")
    rec["data.pkl"] = rec["data.pkl"].replace(b"X\x03\x00\x00\x00cpu",
                                              b"X\x06\x00\x00\x00cuda:0")
    (tmp_path / "cuda.pth").write_bytes(_archive(rec, "cuda"))
    return tmp_path / "cuda.pth"


def test_cuda_storages_need_map_location(tmp_path):
    path = _cuda_file(tmp_path)
    msg = _same_error(lambda m: m.load(path))
    assert "torch.cuda.is_available() is False" in msg
    for loc in ("cpu", b"cpu", ember.device("cpu"), {"cuda:0": "cpu"},
                lambda storage, location: storage):
        assert ember.load(path, map_location=loc)["w"].tolist() == [0, 1, 2]
    _same_error(lambda m: m.load(path, map_location=lambda s, loc: None))
    _same_error(lambda m: m.load(path, map_location={"cuda:1": "cpu"}))


@pytest.mark.parametrize("loc", ["cuda", "cuda:1", "xpu", "hpu", "mps", "foo", "cpu:0"])
def test_map_location_errors_match_torch(tmp_path, loc):
    torch.save(torch.ones(2), tmp_path / "a.pth")
    _same_error(lambda m: m.load(tmp_path / "a.pth", map_location=loc))
    if loc != "foo":
        _same_error(lambda m: m.load(tmp_path / "a.pth", map_location=m.device(loc)))


def test_map_location_callable_sees_storage_and_location(tmp_path):
    ember.save({"a": ember.ones(2), "b": ember.zeros(3)}, tmp_path / "a.pth")
    seen = []

    def loc(storage, location):
        seen.append((storage.nbytes(), location))
        return storage
    r = ember.load(tmp_path / "a.pth", map_location=loc)
    assert sorted(seen) == [(8, "cpu"), (12, "cpu")] and r["a"].tolist() == [1, 1]


# --- mmap and memory ----------------------------------------------------------------------

def test_mmap_maps_storages_in_place(tmp_path):
    import mmap
    sd = {f"w{i}": ember.randn(64, 64) for i in range(3)}
    sd["view"] = sd["w0"][1:, ::2]
    ember.save(sd, tmp_path / "m.pth")
    before = (tmp_path / "m.pth").read_bytes()
    r = ember.load(tmp_path / "m.pth", mmap=True)
    for k in sd:
        np.testing.assert_array_equal(r[k]._data, sd[k]._data)
        base = r[k]._data
        while isinstance(base, (np.ndarray, memoryview)):
            base = base.obj if isinstance(base, memoryview) else base.base
        assert isinstance(base, mmap.mmap)  # a view of the mapped file, not a copy
        assert r[k]._data.ctypes.data % 64 == 0 or k == "view"  # storages are aligned
    r["w0"][0, 0] = 123.0  # copy-on-write: the file is untouched, as with torch's mmap
    assert r["view"][0, 0].item() == sd["w0"][1, 0].item()
    assert (tmp_path / "m.pth").read_bytes() == before
    torch.save({"t": torch.arange(5.)}, tmp_path / "t.pth")
    assert ember.load(tmp_path / "t.pth", mmap=True)["t"].tolist() == [0, 1, 2, 3, 4]


def test_load_reads_each_storage_once_into_place(tmp_path):
    ember.save({"a": ember.arange(1000.)}, tmp_path / "a.pth")
    t = ember.load(tmp_path / "a.pth")["a"]
    # the tensor views the one buffer its bytes were read into (no bytes -> bytearray copies)
    assert t._data.base is not None and t._data.base.nbytes == 4000
    assert t._data.flags.writeable


def test_mmap_errors_match_torch(tmp_path):
    torch.save(torch.ones(2), tmp_path / "a.pth")
    with open(tmp_path / "a.pth", "rb") as f:
        _same_error(lambda m: (f.seek(0), m.load(f, mmap=True)))
    torch.save(torch.ones(2), tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    _same_error(lambda m: m.load(str(tmp_path / "old.pth"), mmap=True))


# --- security -----------------------------------------------------------------------------

def _call_pickle(module, name, *args):
    out = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"("
    for a in args:
        out += b"X" + struct.pack("<I", len(a)) + a.encode()
    return out + b"tR."


def test_refuses_code_execution_by_default(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"a": Evil()}, tmp_path / "evil.pth")
    msg = _same_error(lambda m: m.load(tmp_path / "evil.pth"))
    assert msg.startswith("Weights only load failed") and "system" in msg
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [
    ("os", "system"), ("posix", "system"), ("nt", "system"), ("builtins", "eval"),
    ("builtins", "exec"), ("__builtin__", "eval"), ("builtins", "getattr"),
    ("subprocess", "Popen"), ("functools", "partial"), ("importlib", "import_module"),
    ("pickle", "loads"), ("builtins", "__import__")])
def test_dangerous_globals_are_refused(tmp_path, module, name):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(_archive({"data.pkl": _call_pickle(module, name, f"touch {marker}"),
                               "version": b"3\n"}))
    msg = _same_error(lambda m: m.load(path))
    assert "Weights only load failed" in msg
    assert not marker.exists()


ORD = b"ccollections\nOrderedDict\n)R"  # an OrderedDict on the stack
ODD_PICKLES = {
    "setitem_on_list": b"\x80\x02]X\x01\x00\x00\x00aK\x01s.",
    "append_to_dict": b"\x80\x02}K\x01a.",
    "build_on_set": b"\x80\x02cbuiltins\nset\n)R}X\x01\x00\x00\x00aK\x01sb.",
    "size_of_strings": b"\x80\x02ctorch\nSize\nX\x01\x00\x00\x00a\x85\x85R.",
    "reduce_on_dict": b"\x80\x02}K\x01\x85R.",
    "newobj_of_unallowed": b"\x80\x02ccollections\ndefaultdict\n)\x81.",
    "frame_opcode": b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00N.",
    "persid_not_storage": b"\x80\x02X\x06\x00\x00\x00module\x85Q.",
    "stack_underflow": b"\x80\x02t.",
    "truncated": b"\x80\x02X\x10\x00\x00\x00ab",
    "empty_pickle": b"",
}


@pytest.mark.parametrize("case", sorted(ODD_PICKLES))
def test_odd_pickles_fail_cleanly(tmp_path, case):
    path = tmp_path / "odd.pth"
    path.write_bytes(_archive({"data.pkl": ODD_PICKLES[case], "version": b"3\n"}))
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        t, e = _outcome(lambda: torch.load(path)), _outcome(lambda: ember.load(path))
    assert len(seen) == (2 if case == "frame_opcode" else 0)  # "Detected pickle protocol 4"
    assert e[0] != "ok" and issubclass(e[0], Exception)
    if case not in ("stack_underflow", "truncated", "empty_pickle"):
        assert (e[0], e[1]) == t, (t, e)  # torch's own type and text
    else:  # torch leaks IndexError/struct.error/EOFError here; ember says what happened
        assert e[0] in (pickle.UnpicklingError, EOFError)


def test_rebuild_with_out_of_bounds_view_is_refused(tmp_path):
    torch.save(torch.arange(4.), tmp_path / "a.pth")
    rec = _records(tmp_path / "a.pth")
    # size (4,) -> (40,): a view far past the 16-byte storage
    rec["data.pkl"] = rec["data.pkl"].replace(b"K\x04\x85", b"K(\x85", 1)
    (tmp_path / "b.pth").write_bytes(_archive(rec))
    with pytest.raises(RuntimeError, match="out of bounds for storage of size 16"):
        ember.load(tmp_path / "b.pth")


class Custom:
    def __init__(self):
        self.x = 1


def test_unknown_global_names_how_to_allow_it(tmp_path):
    torch.save(Custom(), tmp_path / "c.pth")
    msg = _same_error(lambda m: m.load(tmp_path / "c.pth"))
    assert "add_safe_globals" in msg and "Custom" in msg
    assert ember.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "c.pth") == \
        sorted(torch.serialization.get_unsafe_globals_in_checkpoint(tmp_path / "c.pth"))
    with ember.serialization.safe_globals([Custom]):
        assert ember.load(tmp_path / "c.pth").x == 1
        assert ember.serialization.get_safe_globals() == [Custom]
    assert ember.serialization.get_safe_globals() == []
    ember.serialization.add_safe_globals([(Custom, f"{__name__}.Custom")])
    try:
        assert ember.load(tmp_path / "c.pth").x == 1
    finally:
        ember.serialization.clear_safe_globals()
    assert ember.load(tmp_path / "c.pth", weights_only=False).x == 1
    _same_error(lambda m: m.load(tmp_path / "c.pth", pickle_module=pickle, weights_only=True))


def test_ember_classes_are_allowed_under_their_torch_names(tmp_path):
    ember.save(ember.nn.Linear(2, 2), tmp_path / "lin.pth")
    with pytest.raises(pickle.UnpicklingError, match="torch.nn.modules.linear.Linear"):
        ember.load(tmp_path / "lin.pth")
    with ember.serialization.safe_globals([ember.nn.Linear, set]):
        assert type(ember.load(tmp_path / "lin.pth")) is ember.nn.Linear
    with torch.serialization.safe_globals([torch.nn.Linear, set]):
        assert type(torch.load(tmp_path / "lin.pth")) is torch.nn.Linear


# --- damaged files ------------------------------------------------------------------------

def test_truncated_and_corrupt_archives(tmp_path):
    ember.save({"a": ember.ones(1000)}, tmp_path / "ok.pth")
    raw = (tmp_path / "ok.pth").read_bytes()
    for cut in (len(raw) // 2, 100, len(raw) - 10):
        p = tmp_path / f"trunc{cut}.pth"
        p.write_bytes(raw[:cut])
        with pytest.raises(RuntimeError) as ei:
            ember.load(p)
        assert str(ei.value).startswith("PytorchStreamReader failed reading zip archive: "
                                        "failed finding central directory") and str(p) in str(
                                            ei.value)
        if cut != len(raw) - 10:  # (torch itself says "OSError: Invalid argument" there)
            _same_error(lambda m: m.load(p), p)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint at all")
    _same_error(lambda m: m.load(tmp_path / "junk.pth"))
    (tmp_path / "plain.pth").write_bytes(pickle.dumps({"a": 1}, protocol=2))
    _same_error(lambda m: m.load(tmp_path / "plain.pth"))
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(EOFError, match="empty.pth"):
        ember.load(tmp_path / "empty.pth")
    _same_error(lambda m: m.load(tmp_path / "missing.pth"))


def test_bad_crc_is_caught(tmp_path):
    # data/1 is big enough (> 1 MiB) to be checked on the worker thread
    ember.save({"a": ember.ones(1000), "b": ember.ones(300_000)}, tmp_path / "ok.pth")
    raw = (tmp_path / "ok.pth").read_bytes()
    z = zipfile.ZipFile(tmp_path / "ok.pth")
    for rec in ("data/0", "data/1", "data.pkl"):
        bad = bytearray(raw)
        bad[_data_offset(raw, z.getinfo(f"ok/{rec}")) + 5] ^= 0x55
        p = tmp_path / f"bad_{rec.replace('/', '_')}.pth"
        p.write_bytes(bytes(bad))
        with pytest.raises(RuntimeError) as ei:
            ember.load(p)
        assert str(ei.value) == (f"PytorchStreamReader failed reading file {rec}: CRC-32 check "
                                 f"failed (while loading {str(p)!r})")


def test_missing_and_wrong_size_records(tmp_path):
    torch.save({"a": torch.arange(1000.)}, tmp_path / "ok.pth")
    rec = _records(tmp_path / "ok.pth")
    for name, change in [("nopkl", {"data.pkl": None}), ("nodata", {"data/0": None}),
                         ("short", {"data/0": rec["data/0"][:100]}),
                         ("long", {"data/0": rec["data/0"] + b"1234"})]:
        records = {k: v for k, v in {**rec, **change}.items() if v is not None}
        p = tmp_path / f"{name}.pth"
        p.write_bytes(_archive(records))
        _same_error(lambda m: m.load(p), p)


def test_record_offset_past_the_end(tmp_path):
    ember.save({"a": ember.ones(10)}, tmp_path / "ok.pth")
    raw = bytearray((tmp_path / "ok.pth").read_bytes())
    cd = struct.unpack("<Q", raw[-22 - 20 - 56 + 48:-22 - 20 - 56 + 56])[0]
    raw[cd + 42:cd + 46] = struct.pack("<I", 10 ** 9)  # data.pkl's local header: nowhere
    (tmp_path / "bad.pth").write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="failed reading file data.pkl: invalid header"):
        ember.load(tmp_path / "bad.pth")


def test_legacy_files_both_ways(tmp_path):
    t = torch.arange(6.).reshape(2, 3)
    torch.save({"t": t, "v": t[1], "n": 3}, tmp_path / "old.pt",
               _use_new_zipfile_serialization=False)
    for wo in (True, False):
        r = ember.load(tmp_path / "old.pt", weights_only=wo)
        assert r["t"].tolist() == t.tolist() and r["v"].tolist() == [3, 4, 5] and r["n"] == 3
        assert r["v"].untyped_storage() is r["t"].untyped_storage()
    e = ember.arange(4, dtype=ember.int16)
    ember.save({"e": e, "tail": e[2:]}, tmp_path / "e_old.pt",
               _use_new_zipfile_serialization=False)
    r = torch.load(tmp_path / "e_old.pt")
    assert r["e"].dtype == torch.int16 and r["tail"].tolist() == [2, 3]
    raw = (tmp_path / "old.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(raw[:-10])
    with pytest.raises(RuntimeError, match="cut.pt"):
        ember.load(tmp_path / "cut.pt")
    (tmp_path / "cut2.pt").write_bytes(raw[:50])
    with pytest.raises(EOFError, match="cut2.pt"):
        ember.load(tmp_path / "cut2.pt")


def test_big_endian_file(tmp_path):
    torch.save({"a": torch.arange(300_000.), "b": torch.arange(3, dtype=torch.int16)},
               tmp_path / "le.pth")
    rec = _records(tmp_path / "le.pth")
    rec["byteorder"] = b"big"
    rec["data/0"] = np.frombuffer(rec["data/0"], "<f4").astype(">f4").tobytes()
    rec["data/1"] = np.frombuffer(rec["data/1"], "<i2").astype(">i2").tobytes()
    (tmp_path / "be.pth").write_bytes(_archive(rec))
    r = ember.load(tmp_path / "be.pth")
    assert torch.equal(torch.load(tmp_path / "be.pth")["a"], torch.arange(300_000.))
    np.testing.assert_array_equal(r["a"]._data, np.arange(300_000.))
    assert r["b"].tolist() == [0, 1, 2]
    rec["byteorder"] = b"middle"
    (tmp_path / "odd.pth").write_bytes(_archive(rec))
    _same_error(lambda m: m.load(tmp_path / "odd.pth"))


# --- the archive itself -------------------------------------------------------------------

def test_archive_layout_matches_torch_byte_for_byte(tmp_path):
    (tmp_path / "e").mkdir()
    (tmp_path / "t").mkdir()
    ember.save({"a": ember.arange(10.), "b": ember.ones(3, dtype=ember.int64)},
               tmp_path / "e" / "m.pt")
    torch.save({"a": torch.arange(10.), "b": torch.ones(3, dtype=torch.int64)},
               tmp_path / "t" / "m.pt")
    ours, ref = (tmp_path / "e" / "m.pt").read_bytes(), (tmp_path / "t" / "m.pt").read_bytes()
    z = zipfile.ZipFile(tmp_path / "e" / "m.pt")
    assert len(ours) == len(ref) and z.testzip() is None
    sid = _data_offset(ours, z.getinfo("m/.data/serialization_id"))
    # only the random serialization id (and its CRCs) differ
    assert all(i >= sid for i in range(len(ours)) if ours[i] != ref[i])
    assert all(_data_offset(ours, i) % 64 == 0 for i in z.infolist())


def test_zip64_records(tmp_path, monkeypatch):
    monkeypatch.setattr(_zip_container, "_ZIP64_LIMIT", 100)
    ember.save({"a": ember.arange(100.), "b": ember.ones(3)}, tmp_path / "z.pth")
    assert zipfile.ZipFile(tmp_path / "z.pth").testzip() is None
    assert torch.load(tmp_path / "z.pth")["a"].tolist() == list(range(100))
    assert ember.load(tmp_path / "z.pth", mmap=True)["a"].tolist() == list(range(100))


def test_file_objects_and_offsets():
    buf = io.BytesIO()
    ember.save(ember.ones(2, requires_grad=True), buf)
    buf.seek(0)
    assert torch.load(buf).requires_grad
    for a, b in ((torch, ember), (ember, torch)):  # an archive after other bytes
        buf = io.BytesIO(b"header--")
        buf.seek(8)
        a.save(a.arange(3), buf)
        buf.seek(8)
        assert b.load(buf).tolist() == [0, 1, 2]
    buf = io.BytesIO()
    torch.save(torch.ones(2, requires_grad=True), buf)
    buf.seek(0)
    assert ember.load(buf).requires_grad
    assert zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()[0].startswith("archive/")


def test_save_errors_match_torch(tmp_path):
    _same_error(lambda m: m.save(m.ones(1), 5))
    _same_error(lambda m: m.save(m.ones(1), str(tmp_path / "nodir" / "x.pt")))
    _same_error(lambda m: m.save(m.ones(1), str(tmp_path)))
    f = lambda x: x  # noqa: E731
    _same_error(lambda m: m.save(f, io.BytesIO()))
    _same_error(lambda m: m.load(5))


def test_atomic_save_details(tmp_path):
    path = tmp_path / "ck.pth"
    ember.save({"v": 1}, path)
    os.chmod(path, 0o640)
    ember.save({"v": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640 and ember.load(path) == {"v": 2}
    link = tmp_path / "latest.pth"
    os.symlink(path, link)
    ember.save({"v": 3}, link)  # writes through the link, which stays a link
    assert os.path.islink(link) and ember.load(path) == {"v": 3}
    with pytest.raises((AttributeError, pickle.PicklingError)):
        ember.save({"v": 4, "f": lambda: 0}, path)
    assert ember.load(path) == {"v": 3}
    assert sorted(os.listdir(tmp_path)) == ["ck.pth", "latest.pth"]
    if os.path.exists("/dev/null"):
        ember.save(ember.ones(2), "/dev/null")


def test_plain_pickle_round_trip():
    t = ember.arange(6.).reshape(2, 3).t()
    r = pickle.loads(pickle.dumps(t))
    np.testing.assert_array_equal(r._data, t._data)
    p = pickle.loads(pickle.dumps(ember.nn.Parameter(ember.ones(2))))
    assert type(p) is ember.nn.Parameter and p.requires_grad


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
    proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT.format(root=ROOT, path=path)],
                            stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    caught, deadline = None, time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once its temporary file exists
        tmp = [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
        if tmp:
            caught = tmp[0]
            break
        if proc.poll() is not None:
            break
    proc.kill()
    proc.wait()
    assert caught is not None, "the save finished before it could be killed"
    r = ember.load(path)
    assert r["old"].tolist() == [0, 1, 2, 3, 4]
    leftovers = [n for n in os.listdir(tmp_path) if n != "ckpt.pth"]
    # a killed writer may leave its temporary file, never a damaged target
    assert all(n.startswith(".tmp-") for n in leftovers)
