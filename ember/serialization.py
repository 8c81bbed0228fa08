"""ember.save / ember.load in PyTorch's zip checkpoint format, safe by default.

Layout of a checkpoint (a zip of stored, uncompressed records under one prefix):
    <prefix>/data.pkl          pickle (protocol 2) of the object; each tensor is
                               torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
                               and each storage a persistent id
                               ('storage', torch.FloatStorage, key, 'cpu', numel)
    <prefix>/data/<key>        the raw little-endian bytes of storage <key>
    <prefix>/byteorder, version, .format_version, .storage_alignment, .data/serialization_id

Globals are written with PyTorch's names (``ember.nn...`` is saved as ``torch.nn...``)
so files move both ways; loading maps ``torch``/``torchvision`` back to ember.
"""
import collections
import contextlib
import io
import os
import pickle
import random
import sys
import tempfile
import zipfile

from . import _dtype as D
from ._backend import np

DEFAULT_PROTOCOL = 2

_STORAGE_NAMES = {
    "float32": "FloatStorage", "float64": "DoubleStorage", "float16": "HalfStorage",
    "bfloat16": "BFloat16Storage", "int64": "LongStorage", "int32": "IntStorage",
    "int16": "ShortStorage", "int8": "CharStorage", "uint8": "ByteStorage",
    "bool": "BoolStorage", "complex64": "ComplexFloatStorage",
    "complex128": "ComplexDoubleStorage",
}
_STORAGE_DTYPES = {v: D._BY_NAME[k] for k, v in _STORAGE_NAMES.items()}


class _Global:
    """A stand-in that pickles as GLOBAL ``module name`` (e.g. torch._utils ...)."""

    def __init__(self, module, name):
        self.module, self.name = module, name
        self.__name__ = name

    def __call__(self, *args):  # pickle insists that a reduce function is callable
        raise TypeError(f"{self.module}.{self.name} is only a name in a checkpoint")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAM = _Global("torch._utils", "_rebuild_parameter")
_STORAGE_GLOBALS = {name: _Global("torch", sname) for name, sname in _STORAGE_NAMES.items()}


def _torch_module_name(module):
    if module == "ember.vision" or module.startswith("ember.vision."):
        return "torchvision" + module[len("ember.vision"):]
    if module == "ember" or module.startswith("ember."):
        return "torch" + module[len("ember"):]
    return module


def _ember_module_name(module):
    if module == "torchvision" or module.startswith("torchvision."):
        return "ember.vision" + module[len("torchvision"):]
    if module == "torch" or module.startswith("torch."):
        return "ember" + module[len("torch"):]
    return module


class _Pickler(pickle._Pickler):
    """Writes tensors as PyTorch does; storages go out-of-band as persistent ids."""

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = {}  # id(storage) -> (key, storage, dtype)

    def save_global(self, obj, name=None):
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        module = getattr(obj, "__module__", None)
        qual = name or getattr(obj, "__qualname__", None)
        if module and qual and (module.startswith("ember")):
            self.write(pickle.GLOBAL + f"{_torch_module_name(module)}\n{qual}\n".encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[_Global] = save_global

    def persistent_id(self, obj):
        if isinstance(obj, _StorageRef):
            st = obj.storage
            entry = self.storages.get(id(st))
            if entry is None:
                entry = (str(len(self.storages)), st, obj.dtype)
                self.storages[id(st)] = entry
            key, st, dtype = entry
            return ("storage", _STORAGE_GLOBALS[dtype.name], key, "cpu",
                    st._buf.size)
        return None


class _StorageRef:
    def __init__(self, storage, dtype):
        self.storage, self.dtype = storage, dtype


def _is_parameter(t):
    return type(t).__name__ == "Parameter"


def _checkpoint_reduce(t):
    """How a Tensor pickles inside ember.save: the call PyTorch's checkpoints contain."""
    args = (_StorageRef(t._storage(), t.dtype), t.storage_offset(), tuple(t.shape), t.stride())
    if _is_parameter(t):
        data = _CheckpointData(args)
        return (_REBUILD_PARAM, (data, t.requires_grad, collections.OrderedDict()))
    return (_REBUILD_TENSOR, args + (t.requires_grad, collections.OrderedDict()))


class _CheckpointData:
    """The plain tensor inside a saved Parameter."""

    def __init__(self, args):
        self.args = args

    def __reduce__(self):
        return (_REBUILD_TENSOR, self.args + (False, collections.OrderedDict()))


def _reduce_tensor(t):
    """Tensor.__reduce_ex__: checkpoint form inside ember.save, else a plain array."""
    if _saving.active:
        return _checkpoint_reduce(t)
    return (_rebuild_from_array, (np.array(t._data), t.dtype.name, t.requires_grad,
                                  _is_parameter(t)))


class _SavingFlag:
    active = False


_saving = _SavingFlag()


def _rebuild_from_array(arr, dtype_name, requires_grad, is_param=False):
    from ._tensor import _wrap
    t = _wrap(arr)
    if is_param:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t


# --- save ------------------------------------------------------------------------

def _prefix_for(f):
    if isinstance(f, (str, os.PathLike)):
        stem = os.path.splitext(os.path.basename(os.fspath(f)))[0]
        return stem or "archive"
    return "archive"


def _write_zip(obj, fileobj, prefix, protocol):
    buf = io.BytesIO()
    pickler = _Pickler(buf, protocol)
    _saving.active = True
    try:
        pickler.dump(obj)
    finally:
        _saving.active = False
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", buf.getvalue())
        z.writestr(f"{prefix}/.format_version", b"1")
        z.writestr(f"{prefix}/.storage_alignment", b"64")
        z.writestr(f"{prefix}/byteorder", sys.byteorder.encode())
        for key, st, dtype in sorted(pickler.storages.values(), key=lambda e: int(e[0])):
            data = np.ascontiguousarray(st._buf)
            if sys.byteorder != "little":
                data = data.byteswap()
            z.writestr(f"{prefix}/data/{key}", memoryview(data.view(np.uint8)))
        z.writestr(f"{prefix}/version", b"3\n")
        z.writestr(f"{prefix}/.data/serialization_id",
                   "".join(random.choice("0123456789") for _ in range(40)).encode())


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    prefix = _prefix_for(f)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise RuntimeError(f"Parent directory {directory} does not exist.")
        # Write beside the target, then rename: a crash mid-save keeps the old file.
        fd, tmp = tempfile.mkstemp(prefix=".tmp-" + os.path.basename(path), dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_zip(obj, fh, prefix, pickle_protocol)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    else:
        _write_zip(obj, f, prefix, pickle_protocol)


# --- load ------------------------------------------------------------------------

_safe_globals = []


def add_safe_globals(safe_globals):
    _safe_globals.extend(safe_globals)


def get_safe_globals():
    return list(_safe_globals)


def clear_safe_globals():
    _safe_globals.clear()


@contextlib.contextmanager
def safe_globals(globals_list):
    n = len(_safe_globals)
    _safe_globals.extend(globals_list)
    try:
        yield
    finally:
        del _safe_globals[n:]


_WEIGHTS_ONLY_HEAD = (
    "Weights only load failed. This file can still be loaded, to do so you have two options, "
    "\x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n"
    "\t(1) In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if "
    "you got the file from a trusted source.\n"
    "\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps "
    "in the following error message.\n\tWeightsUnpickler error: ")
_WEIGHTS_ONLY_TAIL = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")
_BLOCKED_HEAD = (
    "Weights only load failed. In PyTorch 2.6, we changed the default value of the "
    "`weights_only` argument in `torch.load` from `False` to `True`. Re-running `torch.load` "
    "with `weights_only` set to `False` will likely succeed, but it can result in arbitrary "
    "code execution. Do it only if you got the file from a trusted source.\n\n\n")
_BLOCKED_MODULES = ("os", "posix", "nt", "subprocess", "sys", "builtins", "shutil",
                    "socket", "importlib", "runpy", "pty", "code", "ctypes")
_ALLOWED_BUILTINS = {("collections", "OrderedDict"), ("collections", "defaultdict"),
                     ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"),
                     ("builtins", "slice"), ("builtins", "complex"), ("builtins", "range"),
                     ("_codecs", "encode"), ("torch", "Size"), ("torch", "device"),
                     ("torch._utils", "_rebuild_tensor_v2"),
                     ("torch._utils", "_rebuild_parameter"),
                     ("torch._utils", "_rebuild_parameter_with_state"),
                     ("numpy.core.multiarray", "_reconstruct"), ("numpy", "ndarray"),
                     ("numpy", "dtype")}


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    from ._tensor import _wrap, Tensor
    from ._ops.shape import _strided
    buf, st_obj = storage
    arr = _strided(buf, tuple(size), tuple(stride), storage_offset) if buf.size else \
        np.zeros(tuple(size), buf.dtype)
    t = _wrap(arr)
    t._storage_obj = st_obj
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None, *extra):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad=requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad)
    for k, v in (state or {}).items():
        setattr(p, k, v)
    return p


class _StorageType:
    def __init__(self, dtype):
        self.dtype = dtype


class _Unpickler(pickle.Unpickler):
    def __init__(self, fileobj, zf, prefix, weights_only, map_location):
        super().__init__(fileobj)
        self.zf, self.prefix = zf, prefix
        self.weights_only = weights_only
        self.map_location = map_location
        self.loaded = {}

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch._utils" and name == "_rebuild_parameter_with_state":
            return _rebuild_parameter_with_state
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if self.weights_only:
            allowed = (module, name) in _ALLOWED_BUILTINS or any(
                getattr(g, "__module__", None) in (module, _ember_module_name(module))
                and getattr(g, "__qualname__", getattr(g, "__name__", None)) == name
                for g in _safe_globals)
            if not allowed:
                full = f"{module}.{name}"
                if module in _BLOCKED_MODULES or module.split(".")[0] in _BLOCKED_MODULES:
                    raise pickle.UnpicklingError(
                        _BLOCKED_HEAD + f"Trying to load unsupported GLOBAL {full} whose module "
                        f"{module} is blocked." + _WEIGHTS_ONLY_TAIL)
                raise pickle.UnpicklingError(
                    _WEIGHTS_ONLY_HEAD + f"Unsupported global: GLOBAL {full} was not an allowed "
                    f"global by default. Please use `torch.serialization.add_safe_globals"
                    f"([{full}])` or the `torch.serialization.safe_globals([{full}])` context "
                    f"manager to allowlist this global if you trust this class/function."
                    + _WEIGHTS_ONLY_TAIL)
        return super().find_class(_ember_module_name(module), name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"Unsupported persistent id {pid!r}")
        _, stype, key, location, numel = pid
        if key in self.loaded:
            return self.loaded[key]
        _check_location(location, self.map_location)
        dtype = stype.dtype if isinstance(stype, _StorageType) else D.float32
        try:
            raw = self.zf.read(f"{self.prefix}/data/{key}")
        except KeyError:
            raise RuntimeError(f"PytorchStreamReader failed locating file data/{key}: file "
                               "not found") from None
        buf = np.frombuffer(bytearray(raw), dtype=dtype.np)
        from ._storage import UntypedStorage
        entry = (buf, UntypedStorage(buf))
        self.loaded[key] = entry
        return entry


def _check_location(location, map_location):
    target = location
    if map_location is not None:
        if callable(map_location) and not isinstance(map_location, (str,)) and \
                not hasattr(map_location, "type"):
            target = "cpu"
        elif isinstance(map_location, dict):
            target = map_location.get(location, location)
        else:
            target = str(map_location)
    if str(target).startswith("cuda"):
        raise RuntimeError(
            "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() "
            "is False. If you are running on a CPU-only machine, please use torch.load with "
            "map_location=torch.device('cpu') to map your storages to the CPU.")


_CORRUPT = ("PytorchStreamReader failed reading zip archive: failed finding central "
            "directory. This is an internal miniz error. If you are seeing this error, there "
            "is a high likelihood that your checkpoint file is corrupted. This can happen if "
            "the checkpoint was not saved properly, was transferred incorrectly, or the file "
            "was modified after saving.")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    if weights_only is None:
        weights_only = os.environ.get("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0") in ("0", "")
    if isinstance(f, (str, os.PathLike)):
        with open(os.fspath(f), "rb") as fh:
            return _load_file(fh, map_location, weights_only)
    return _load_file(f, map_location, weights_only)


def _load_file(fh, map_location, weights_only):
    try:
        zf = zipfile.ZipFile(fh)
    except zipfile.BadZipFile:
        fh.seek(0)
        head = fh.read(2)
        if head[:1] == b"\x80":
            raise RuntimeError("Legacy (pre-zip) PyTorch checkpoints are not supported by "
                               "ember; re-save the file with a PyTorch >= 1.6.") from None
        raise RuntimeError(_CORRUPT) from None
    with zf:
        pkl = [n for n in zf.namelist() if n.endswith("data.pkl")]
        if not pkl:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not "
                               "found")
        prefix = pkl[0][:-len("/data.pkl")]
        try:
            data = zf.read(pkl[0])
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise RuntimeError(f"{_CORRUPT} ({e})") from None
        try:
            return _Unpickler(io.BytesIO(data), zf, prefix, weights_only,
                              map_location).load()
        except (zipfile.BadZipFile, EOFError) as e:
            raise RuntimeError(f"{_CORRUPT} ({e})") from None
