"""Downloads against a local http.server on 127.0.0.1 (no network): dataset archives checked
by MD5 and extracted all-or-nothing, retries on a connection dropped mid-file, and
ember.hub's checkpoint cache with torch.hub's layout and hash check."""
import contextlib
import gzip
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading
import warnings

import numpy as np
import pytest

import ember
import ember.hub
from ember.vision import datasets
from ember.vision.datasets import utils as dutils

torch = pytest.importorskip("torch")


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves ``server.root``; paths under /drop/ send half the body, then hang up."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.hits.append(self.path)
        if self.path.startswith("/drop/"):
            data = open(os.path.join(self.server.root, self.path[len("/drop/"):]), "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()

    def translate_path(self, path):
        return os.path.join(self.server.root, path.lstrip("/").split("?")[0])


@contextlib.contextmanager
def serve(root):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.root = str(root)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def cifar_archive(path, n=7):
    rs = np.random.RandomState(0)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        def add(name, obj):
            data = pickle.dumps(obj, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                     "data_batch_5", "test_batch"]:
            add(name, {"data": rs.randint(0, 256, (n, 3072), dtype=np.uint8),
                       "labels": [int(v) for v in rs.randint(0, 10, n)]})
        add("batches.meta", {"label_names": [f"c{i}" for i in range(10)]})
    path.write_bytes(buf.getvalue())
    return path


def listing(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def test_cifar10_download_verify_extract(tmp_path, monkeypatch):
    srv = tmp_path / "srv"
    srv.mkdir()
    archive = cifar_archive(srv / "cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", md5(archive))
    root = tmp_path / "data"
    with serve(srv) as (server, url):
        monkeypatch.setenv("EMBER_VISION_MIRROR", url)
        ds = datasets.CIFAR10(str(root), train=True, download=True)
        assert server.hits == ["/cifar-10-python.tar.gz"]
        assert len(ds) == 35 and ds.classes == [f"c{i}" for i in range(10)]
        # present files are used as they are: no second request, no re-hash
        datasets.CIFAR10(str(root), train=False, download=True)
        assert len(server.hits) == 1
    assert "cifar-10-python.tar.gz" in os.listdir(root)
    assert not [f for f in listing(root) if ".download-" in f or ".extract-" in f]


def test_corrupt_archive_md5_mismatch_leaves_nothing(tmp_path, monkeypatch):
    srv = tmp_path / "srv"
    srv.mkdir()
    cifar_archive(srv / "cifar-10-python.tar.gz")
    root = tmp_path / "data"
    with serve(srv) as (server, url):
        monkeypatch.setenv("EMBER_VISION_MIRROR", url)
        with pytest.raises(RuntimeError, match="MD5 checksum .* does not match"):
            datasets.CIFAR10(str(root), download=True)
        assert len(server.hits) == 1  # a checksum mismatch is not retried
    assert listing(root) == []


def test_connection_dropped_mid_file_is_retried_then_reported(tmp_path, monkeypatch):
    srv = tmp_path / "srv"
    srv.mkdir()
    archive = cifar_archive(srv / "cifar-10-python.tar.gz")
    root = tmp_path / "data"
    with serve(srv) as (server, url):
        with pytest.raises(RuntimeError, match="Failed to download .* after 3 attempts"):
            dutils.download_url(url + "/drop/cifar-10-python.tar.gz", str(root),
                                md5=md5(archive))
        assert len(server.hits) == 3
    assert listing(root) == []


def test_unreachable_server_and_truncated_archive(tmp_path, monkeypatch):
    with serve(tmp_path) as (_, url):
        dead = url  # the port is closed once the server stops
    with pytest.raises(RuntimeError, match="Failed to download"):
        dutils.download_url(dead + "/x.tar.gz", str(tmp_path / "d"), retries=2)
    assert listing(tmp_path / "d") == []
    # an archive that passes no checksum (md5=None) but is cut short: clear error, no tree
    srv = tmp_path / "srv"
    srv.mkdir()
    good = cifar_archive(tmp_path / "good.tar.gz").read_bytes()
    (srv / "cut.tar.gz").write_bytes(good[:len(good) // 2])
    out = tmp_path / "out"
    with serve(srv) as (_, url):
        with pytest.raises(RuntimeError, match="cut.tar.gz is corrupt or truncated"):
            dutils.download_and_extract_archive(url + "/cut.tar.gz", str(out))
    assert listing(out) == ["cut.tar.gz"]


def idx_bytes(arr, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.tobytes()


def test_mnist_download_gz_and_fallback_mirror(tmp_path, monkeypatch):
    srv = tmp_path / "srv"
    srv.mkdir()
    rs = np.random.RandomState(0)
    resources = []
    for split, n in (("train", 12), ("t10k", 5)):
        for kind, arr, magic in (("images-idx3", rs.randint(0, 256, (n, 28, 28), np.uint8), 2051),
                                 ("labels-idx1", rs.randint(0, 10, n).astype(np.uint8), 2049)):
            name = f"{split}-{kind}-ubyte.gz"
            (srv / name).write_bytes(gzip.compress(idx_bytes(arr, magic), mtime=0))
            resources.append((name, md5(srv / name)))
    monkeypatch.setattr(datasets.FashionMNIST, "resources", resources)
    with serve(srv) as (server, url):
        # the first mirror answers 404, the second has the files
        monkeypatch.setattr(datasets.FashionMNIST, "mirrors", [url + "/missing/", url + "/"])
        ds = datasets.FashionMNIST(str(tmp_path / "d"), train=True, download=True)
        assert len(ds) == 12 and ds[0][0].size == (28, 28)
        assert len(datasets.FashionMNIST(str(tmp_path / "d"), train=False)) == 5
    raw = tmp_path / "d" / "FashionMNIST" / "raw"
    assert "train-images-idx3-ubyte" in os.listdir(raw)


def test_hub_cache_layout_hash_check_and_torch_compat(tmp_path, monkeypatch):
    sd = {"w": ember.arange(6.0).reshape(2, 3), "b": ember.zeros(3, dtype=ember.int64)}
    srv = tmp_path / "srv"
    srv.mkdir()
    ember.save(sd, str(srv / "tmp.pth"))
    digest = hashlib.sha256((srv / "tmp.pth").read_bytes()).hexdigest()
    good = f"model-{digest[:8]}.pth"
    os.replace(srv / "tmp.pth", srv / good)
    (srv / "model-deadbeef.pth").write_bytes((srv / good).read_bytes())
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    assert ember.hub.get_dir() == str(tmp_path / "home" / "hub")
    with serve(srv) as (server, url):
        out = ember.hub.load_state_dict_from_url(f"{url}/{good}", check_hash=True,
                                                 progress=False)
        assert out["w"].tolist() == sd["w"].tolist() and out["b"].dtype is ember.int64
        cached = tmp_path / "home" / "hub" / "checkpoints" / good
        assert cached.exists()
        ember.hub.load_state_dict_from_url(f"{url}/{good}", check_hash=True)
        assert len(server.hits) == 1  # served from the cache the second time
        # torch.hub finds the same file in the same place
        t = torch.hub.load_state_dict_from_url(f"{url}/{good}", check_hash=True)
        assert len(server.hits) == 1 and t["w"].tolist() == sd["w"].tolist()
        with pytest.raises(RuntimeError) as e_err:
            ember.hub.load_state_dict_from_url(f"{url}/model-deadbeef.pth", check_hash=True,
                                               progress=False)
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
        with pytest.raises(RuntimeError) as t_err:
            torch.hub.load_state_dict_from_url(f"{url}/model-deadbeef.pth", check_hash=True,
                                               progress=False)
        assert str(e_err.value) == str(t_err.value)
        # without check_hash the name is not a promise
        monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
        ember.hub.load_state_dict_from_url(f"{url}/model-deadbeef.pth", progress=False,
                                           file_name="other.pth")
    assert sorted(os.listdir(tmp_path / "home" / "hub" / "checkpoints")) == [good, "other.pth"]
    # a connection dropped mid-file leaves no partial checkpoint behind
    with serve(srv) as (_, url):
        with pytest.raises(Exception):
            ember.hub.download_url_to_file(f"{url}/drop/{good}", str(tmp_path / "x.pth"),
                                           progress=False)
    assert not [f for f in os.listdir(tmp_path) if f.startswith("x.pth")]


def test_pretrained_weights_through_the_enum(tmp_path, monkeypatch):
    import torchvision.models as tvm
    import ember.vision.models as evm
    with torch.device("meta"):
        t = tvm.squeezenet1_1()
    t = t.to_empty(device="cpu")
    rs = np.random.default_rng(0)
    with torch.no_grad():
        for p in t.state_dict().values():
            scale = 1.0 / np.sqrt(np.prod(p.shape[1:])) if p.dim() > 1 else 0.1
            p.copy_(torch.from_numpy(rs.standard_normal(tuple(p.shape), np.float32)) * scale)
    srv = tmp_path / "srv"
    srv.mkdir()
    torch.save(t.state_dict(), srv / "tmp.pth")  # a torchvision-side checkpoint
    digest = hashlib.sha256((srv / "tmp.pth").read_bytes()).hexdigest()[:10]
    name = f"squeezenet1_1-{digest}.pth"
    os.replace(srv / "tmp.pth", srv / name)
    weights = evm.SqueezeNet1_1_Weights.IMAGENET1K_V1
    monkeypatch.setattr(weights.value, "url", f"https://download.pytorch.org/models/{name}")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    with serve(srv) as (server, url):
        monkeypatch.setenv("EMBER_VISION_MIRROR", url)
        e = evm.squeezenet1_1(weights=weights, progress=False)
        assert server.hits == ["/" + name]
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            e2 = evm.squeezenet1_1(pretrained=True)
        msgs = [str(w.message) for w in rec]
        assert len(msgs) == 2 and msgs[0].startswith("The parameter 'pretrained' is deprecated")
        assert msgs[1].startswith("Arguments other than a weight enum or `None`")
        assert len(server.hits) == 1
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(e.state_dict()[k].numpy(), v.numpy(), err_msg=k)
        np.testing.assert_array_equal(e2.state_dict()[k].numpy(), v.numpy(), err_msg=k)
    x = rs.random((1, 3, 40, 40), dtype=np.float32)
    t.eval()
    e.eval()
    with torch.no_grad():
        np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(),
                                   t(torch.from_numpy(x)).numpy(), rtol=1e-4, atol=1e-5)


def test_densenet_checkpoint_with_old_key_names(tmp_path, monkeypatch):
    import ember.vision.models as evm
    from ember.vision.models import densenet as dn
    model = dn.DenseNet(8, (2, 2, 2, 2), 16, num_classes=5)
    def old_name(k):  # checkpoints from before the rename said 'norm.1', 'conv.2'
        if k.endswith("num_batches_tracked"):
            return k
        return k.replace("norm1.", "norm.1.").replace("conv2.", "conv.2.")
    old = {old_name(k): v + 1 for k, v in model.state_dict().items()}
    assert any(".norm.1." in k for k in old)

    class FakeWeights:
        meta = {"categories": list(range(5))}

        @staticmethod
        def get_state_dict(progress, check_hash):
            return dict(old)
    dn._load_state_dict(model, FakeWeights, progress=False)
    for k, v in model.state_dict().items():
        assert v.tolist() == old[old_name(k)].tolist()
    assert evm.densenet121 is dn.densenet121
