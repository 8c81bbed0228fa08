"""ember.vision.datasets against torchvision 0.29 on small files written here in the real
on-disk formats (CIFAR pickles, idx files plain and gzipped, image folders): lengths, items,
classes, reprs, transforms, and clear errors naming damaged files."""
import gzip
import os
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tvd = pytest.importorskip("torchvision.datasets")
import torchvision.datasets.cifar as tv_cifar  # noqa: E402
import torchvision.transforms as TT  # noqa: E402
from PIL import Image  # noqa: E402

import ember  # noqa: E402
import ember.vision.transforms as ET  # noqa: E402
from ember.vision import datasets as ed  # noqa: E402


@pytest.fixture(autouse=True)
def presence_only_integrity(monkeypatch):
    # Generated CIFAR pickles cannot match the official MD5 sums; torchvision is made to
    # check presence only, as the seed-program runner does when it records.
    monkeypatch.setattr(tv_cifar, "check_integrity",
                        lambda fpath, md5=None: os.path.isfile(fpath))


def write_pickle(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    base = tmp_path_factory.mktemp("vision-data")
    rs = np.random.RandomState(0)
    c10 = base / "cifar-10-batches-py"
    c10.mkdir()
    for i, name in enumerate(["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4",
                              "data_batch_5", "test_batch"]):
        n = 4 + i
        write_pickle(c10 / name, {"batch_label": name, "data": rs.randint(0, 256, (n, 3072),
                                                                            dtype=np.uint8),
                                  "labels": [int(v) for v in rs.randint(0, 10, n)],
                                  "filenames": [f"{j}.png" for j in range(n)]})
    write_pickle(c10 / "batches.meta", {"label_names": ["airplane", "automobile", "bird", "cat",
                                                        "deer", "dog", "frog", "horse", "ship",
                                                        "truck"], "num_vis": 3072})
    c100 = base / "cifar-100-python"
    c100.mkdir()
    for name, n in (("train", 9), ("test", 5)):
        write_pickle(c100 / name, {"data": rs.randint(0, 256, (n, 3072), dtype=np.uint8),
                                   "fine_labels": [int(v) for v in rs.randint(0, 100, n)],
                                   "coarse_labels": [int(v) for v in rs.randint(0, 20, n)]})
    write_pickle(c100 / "meta", {"fine_label_names": [f"f{i}" for i in range(100)],
                                 "coarse_label_names": [f"c{i}" for i in range(20)]})
    for folder in ("MNIST", "FashionMNIST", "KMNIST"):
        raw = base / folder / "raw"
        raw.mkdir(parents=True)
        for split, n in (("train", 11), ("t10k", 6)):
            images = idx(rs.randint(0, 256, (n, 28, 28), dtype=np.uint8), 2051)
            labels = idx(rs.randint(0, 10, n).astype(np.uint8), 2049)
            for kind, data in (("images-idx3", images), ("labels-idx1", labels)):
                name = f"{split}-{kind}-ubyte"
                (raw / name).write_bytes(data)
                (raw / (name + ".gz")).write_bytes(gzip.compress(data, mtime=0))
    raw = base / "EMNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 8), ("test", 3)):
        (raw / f"emnist-letters-{split}-images-idx3-ubyte").write_bytes(
            idx(rs.randint(0, 256, (n, 28, 28), dtype=np.uint8), 2051))
        (raw / f"emnist-letters-{split}-labels-idx1-ubyte").write_bytes(
            idx(rs.randint(1, 27, n).astype(np.uint8), 2049))
    folder = base / "folder"
    for cls, count in (("bees", 3), ("ants", 2), ("wasps", 2)):
        (folder / cls / "nested").mkdir(parents=True)
        for k in range(count):
            arr = rs.randint(0, 256, (10 + k, 12, 3), dtype=np.uint8)
            ext = "png" if k % 2 else "jpg"
            sub = "nested/" if k == 2 else ""
            Image.fromarray(arr).save(folder / cls / f"{sub}img{k}.{ext}")
        (folder / cls / "notes.txt").write_text("not an image")
    Image.fromarray(rs.randint(0, 256, (8, 8), dtype=np.uint8)).save(folder / "ants" / "g.png")
    return base


def idx(arr, magic):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.tobytes()


def same_item(a, b):
    (xa, ya), (xb, yb) = a, b
    assert type(yb) is type(ya) and yb == ya
    if isinstance(xa, Image.Image):
        assert isinstance(xb, Image.Image) and (xa.mode, xa.size) == (xb.mode, xb.size)
        np.testing.assert_array_equal(np.asarray(xb), np.asarray(xa))
    else:
        assert isinstance(xb, ember.Tensor)
        np.testing.assert_array_equal(xb.numpy(), xa.numpy())


@pytest.mark.parametrize("cls", ["CIFAR10", "CIFAR100"])
@pytest.mark.parametrize("train", [True, False])
def test_cifar(root, cls, train):
    t = getattr(tvd, cls)(str(root), train=train)
    e = getattr(ed, cls)(str(root), train=train)
    assert len(e) == len(t)
    assert repr(e) == repr(t)
    assert e.classes == t.classes and e.class_to_idx == t.class_to_idx
    assert e.targets == t.targets and type(e.targets) is list
    assert e.data.dtype == t.data.dtype and e.data.shape == t.data.shape
    np.testing.assert_array_equal(e.data, t.data)
    for i in (0, len(t) - 1):
        same_item(t[i], e[i])
    t = getattr(tvd, cls)(str(root), train=train, transform=TT.ToTensor(),
                          target_transform=lambda y: y + 100)
    e = getattr(ed, cls)(str(root), train=train, transform=ET.ToTensor(),
                         target_transform=lambda y: y + 100)
    same_item(t[2], e[2])
    assert repr(e).splitlines()[:5] == repr(t).splitlines()[:5]
    # download=True with the files present uses them as they are
    e = getattr(ed, cls)(str(root), train=train, download=True)
    assert len(e) == len(t)


@pytest.mark.parametrize("cls", ["MNIST", "FashionMNIST", "KMNIST"])
def test_mnist_family(root, cls):
    for train in (True, False):
        t = getattr(tvd, cls)(str(root), train=train)
        e = getattr(ed, cls)(str(root), train=train)
        assert len(e) == len(t) and repr(e) == repr(t)
        assert e.classes == t.classes and e.class_to_idx == t.class_to_idx
        assert e.data.dtype is ember.uint8 and e.targets.dtype is ember.int64
        np.testing.assert_array_equal(e.data.numpy(), t.data.numpy())
        np.testing.assert_array_equal(e.targets.numpy(), t.targets.numpy())
        for i in (0, 3):
            same_item(t[i], e[i])
    assert e.raw_folder == t.raw_folder and e.processed_folder == t.processed_folder


def test_emnist(root):
    for train in (True, False):
        t = tvd.EMNIST(str(root), split="letters", train=train)
        e = ed.EMNIST(str(root), split="letters", train=train)
        assert len(e) == len(t) and repr(e) == repr(t) and e.classes == t.classes
        np.testing.assert_array_equal(e.targets.numpy(), t.targets.numpy())
        same_item(t[1], e[1])
    with pytest.raises(ValueError) as te:
        tvd.EMNIST(str(root), split="nope")
    with pytest.raises(ValueError) as ee:
        ed.EMNIST(str(root), split="nope")
    assert str(ee.value) == str(te.value)


def test_mnist_reads_gz_only(tmp_path, root):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in os.listdir(root / "MNIST" / "raw"):
        if f.endswith(".gz"):
            (raw / f).write_bytes((root / "MNIST" / "raw" / f).read_bytes())
    e = ed.MNIST(str(tmp_path), train=False)
    t = tvd.MNIST(str(root), train=False)
    np.testing.assert_array_equal(e.data.numpy(), t.data.numpy())


def test_image_folder_and_dataset_folder(root):
    t = tvd.ImageFolder(str(root / "folder"))
    e = ed.ImageFolder(str(root / "folder"))
    assert len(e) == len(t) and repr(e) == repr(t)
    assert e.classes == t.classes and e.class_to_idx == t.class_to_idx
    assert e.samples == t.samples and e.imgs == t.imgs and e.targets == t.targets
    for i in range(len(t)):
        same_item(t[i], e[i])
    tf = [TT.Compose([TT.Resize(8), TT.CenterCrop(8), TT.ToTensor()]),
          ET.Compose([ET.Resize(8), ET.CenterCrop(8), ET.ToTensor()])]
    t = tvd.ImageFolder(str(root / "folder"), transform=tf[0])
    e = ed.ImageFolder(str(root / "folder"), transform=tf[1])
    same_item(t[4], e[4])
    assert repr(e) == repr(t)

    def only_png(path):
        return path.endswith(".png")
    t = tvd.ImageFolder(str(root / "folder"), is_valid_file=only_png)
    e = ed.ImageFolder(str(root / "folder"), is_valid_file=only_png)
    assert e.samples == t.samples
    t = tvd.DatasetFolder(str(root / "folder"), loader=lambda p: os.path.getsize(p),
                          extensions=(".txt",))
    e = ed.DatasetFolder(str(root / "folder"), loader=lambda p: os.path.getsize(p),
                         extensions=(".txt",))
    assert e.samples == t.samples and e[1] == t[1]
    # a class folder without valid files: an error, unless allow_empty
    msgs = []
    for lib in (tvd, ed):
        with pytest.raises(FileNotFoundError) as err:
            lib.DatasetFolder(str(root / "folder"), loader=open, extensions=(".bmp",))
        msgs.append(str(err.value))
    assert msgs[1] == msgs[0]
    e = ed.DatasetFolder(str(root / "folder"), loader=open, extensions=(".bmp",),
                         allow_empty=True)
    assert len(e) == 0 and e.classes == ["ants", "bees", "wasps"]
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder"):
        ed.ImageFolder(str(root / "folder" / "ants" / "nested"))


def test_fake_data_same_draws():
    t = tvd.FakeData(6, (3, 9, 7), num_classes=4, transform=TT.ToTensor(), random_offset=3)
    e = ed.FakeData(6, (3, 9, 7), num_classes=4, transform=ET.ToTensor(), random_offset=3)
    assert len(e) == len(t) and repr(e) == repr(t)
    torch.manual_seed(5)
    ember.manual_seed(5)
    for i in range(6):
        same_item(t[i], e[i])
    # reading an item leaves the global stream where it was
    assert ember.rand(2).tolist() == torch.rand(2).tolist()
    with pytest.raises(IndexError):
        e[6]


def test_missing_data_messages_match(tmp_path):
    for cls in ("CIFAR10", "MNIST"):
        with pytest.raises(RuntimeError) as te:
            getattr(tvd, cls)(str(tmp_path))
        with pytest.raises(RuntimeError) as ee:
            getattr(ed, cls)(str(tmp_path))
        assert str(ee.value) == str(te.value)


def copy_tree(src, dst):
    import shutil
    shutil.copytree(src, dst)
    return dst


def test_damaged_cifar_files_are_named(tmp_path, root):
    base = copy_tree(root / "cifar-10-batches-py", tmp_path / "cifar-10-batches-py")
    victim = base / "data_batch_3"
    good = victim.read_bytes()
    victim.write_bytes(good[:len(good) // 2])
    with pytest.raises(RuntimeError, match="data_batch_3 is corrupt or truncated"):
        ed.CIFAR10(str(tmp_path))
    victim.write_bytes(b"this is not a pickle")
    with pytest.raises(RuntimeError, match="data_batch_3"):
        ed.CIFAR10(str(tmp_path))
    write_pickle(victim, {"data": np.zeros((3, 100), np.uint8), "labels": [0, 1, 2]})
    with pytest.raises(RuntimeError, match="data_batch_3 is not a CIFAR batch"):
        ed.CIFAR10(str(tmp_path))
    victim.write_bytes(good)
    write_pickle(base / "batches.meta", {"nothing": 1})
    with pytest.raises(RuntimeError, match="batches.meta has no 'label_names'"):
        ed.CIFAR10(str(tmp_path))
    os.remove(base / "test_batch")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        ed.CIFAR10(str(tmp_path), train=False)


def test_damaged_idx_files_are_named(tmp_path, root):
    raw = copy_tree(root / "MNIST" / "raw", tmp_path / "MNIST" / "raw")
    images = raw / "train-images-idx3-ubyte"
    data = images.read_bytes()
    images.write_bytes(data[:-100])
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte is truncated"):
        ed.MNIST(str(tmp_path))
    images.write_bytes(b"\x00\x00\x07\x03" + data[4:])
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte is not an idx file"):
        ed.MNIST(str(tmp_path))
    os.remove(images)
    gz = raw / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:40])
    with pytest.raises(RuntimeError, match="train-images-idx3-ubyte.gz"):
        ed.MNIST(str(tmp_path))


def test_dataloader_over_cifar(root):
    from ember.utils.data import DataLoader
    e = ed.CIFAR10(str(root), train=True, transform=ET.ToTensor())
    batches = list(DataLoader(e, batch_size=8, shuffle=False))
    assert [tuple(x.shape) for x, _ in batches] == [(8, 3, 32, 32)] * 3 + [(6, 3, 32, 32)]
    assert batches[0][1].dtype is ember.int64
    assert batches[0][1].tolist() == e.targets[:8]
