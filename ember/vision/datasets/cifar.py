"""CIFAR-10 / CIFAR-100 from the ``cifar-*-python`` pickle batches."""
import os
import pickle

from ..._backend import np
from .utils import download_and_extract_archive
from .vision import VisionDataset


class CIFAR10(VisionDataset):
    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [["data_batch_1", "c99cafc152244af753f735de768cd75f"],
                  ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
                  ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
                  ["data_batch_4", "634d18415352ddfa80567beed471001a"],
                  ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"]]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names",
            "md5": "5ff9c542aee3614f3951f8cda6e48888"}

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        if not self._check_integrity():
            raise RuntimeError("Dataset not found or corrupted. You can use download=True to "
                               "download it")
        files = self.train_list if self.train else self.test_list
        data, self.targets = [], []
        for name, _ in files:
            path = os.path.join(self.root, self.base_folder, name)
            entry = self._unpickle(path)
            labels = entry.get("labels", entry.get("fine_labels")) \
                if isinstance(entry, dict) else None
            rows = entry.get("data") if isinstance(entry, dict) else None
            rows = np.asarray(rows) if rows is not None else None
            if labels is None or rows is None or rows.ndim != 2 or rows.shape[1] != 3072 or \
                    rows.shape[0] != len(labels):
                raise RuntimeError(f"The dataset file {path} is not a CIFAR batch (expected "
                                   "'data' as N x 3072 uint8 rows and N labels). Delete it and "
                                   "download again.")
            data.append(rows)
            self.targets.extend(labels)
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose((0, 2, 3, 1))
        self._load_meta()

    @staticmethod
    def _unpickle(path):
        try:
            with open(path, "rb") as f:
                return pickle.load(f, encoding="latin1")
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
                ImportError, IndexError, KeyError) as e:
            raise RuntimeError(f"The dataset file {path} is corrupt or truncated ({e}). "
                               "Delete it and download again.") from None

    def _load_meta(self):
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        data = self._unpickle(path)
        if not isinstance(data, dict) or self.meta["key"] not in data:
            raise RuntimeError(f"The dataset metadata file {path} has no '{self.meta['key']}'. "
                               "Delete it and download again.")
        self.classes = data[self.meta["key"]]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def __getitem__(self, index):
        from PIL import Image
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        return self._apply_transforms(img, target)

    def __len__(self):
        return len(self.data)

    def _check_integrity(self):
        # Presence, not MD5: hashing every batch on each construction costs seconds, and
        # a damaged file is reported when it fails to parse.
        folder = os.path.join(self.root, self.base_folder)
        return all(os.path.isfile(os.path.join(folder, name))
                   for name, _ in self.train_list + self.test_list + [[self.meta["filename"],
                                                                       None]])

    def download(self):
        if self._check_integrity():
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename,
                                     md5=self.tgz_md5)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names",
            "md5": "7973b15100ade9c7d40fb424638fde48"}
