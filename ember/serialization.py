"""ember.save / ember.load in PyTorch's checkpoint format, safe by default.

A checkpoint is a zip of stored (uncompressed) records under one prefix, laid out byte
for byte as PyTorch's writer (miniz) lays it out:
    <prefix>/data.pkl      pickle (protocol 2); a tensor is
                           torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)
                           and a storage the persistent id ('storage', torch.FloatStorage,
                           key, 'cpu', numel)
    <prefix>/data/<key>    the storage's raw little-endian bytes
    <prefix>/byteorder, version, .format_version, .storage_alignment, .data/serialization_id
Every record's data starts on a 64-byte boundary (an 'FB' padding extra field), CRC and
sizes follow it in a data descriptor, and the archive ends with zip64 end records.
Globals are written under PyTorch's names (``ember.nn.X`` as ``torch.nn.X``), so files move
both ways; loading maps ``torch``/``torchvision`` back to ``ember``/``ember.vision``.

Decisions:
- Saving to a path writes a temporary file beside the target and renames it over the
  target, so a crash or kill mid-save leaves the old file whole.  There is no fsync
  (PyTorch does none either): data written before a *process* dies is in the page cache
  and survives; only a power loss could lose it, and an fsync of every checkpoint would
  cost as much as the write itself.
- Loading reads each storage straight into its final buffer (one copy, from the page
  cache); ``mmap=True`` maps the file copy-on-write and reads nothing up front.
- PyTorch does not check CRCs when loading; ember does (data.pkl and the small records
  always, storages on a worker thread that overlaps the next read), except with mmap,
  where checking would read the whole file.
- Errors about a damaged file carry PyTorch's text followed by the file's name.
"""
import collections
import contextlib
import errno
import io
import mmap as _mmap
import os
import pickle
import random
import re
import stat
import struct
import sys

from . import _dtype as D
from . import _utils as _U
from . import _weights_only_unpickler as _wo
from . import _zip_container as _Z
from ._backend import np
from ._device import device as _device
from ._storage import TypedStorage, UntypedStorage
from ._tensor import Size, Tensor

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # first pickle of a legacy (pre-zip) checkpoint
PROTOCOL_VERSION = 1001

STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool", "ComplexFloatStorage": "complex64",
    "ComplexDoubleStorage": "complex128", "UntypedStorage": "uint8",
}
_STORAGE_OF = {v: k for k, v in STORAGE_DTYPES.items() if k != "UntypedStorage"}
UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only "
    "if you got the file from a trusted source.")
_NO_CPU_HINT = ("If you are running on a CPU-only machine, please use torch.load with "
                "map_location=torch.device('cpu') to map your storages to the CPU.")


class _Global:
    """Pickles as GLOBAL ``module name``: a PyTorch name ember has no object for."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle insists that a reduce function is callable
        raise TypeError(f"{self.module}.{self.name} is only a name in a checkpoint")


_G = {n: _Global("torch._utils", n) for n in _U.REBUILD_FUNCTIONS}
_G["_rebuild_from_type_v2"] = _Global("torch._tensor", "_rebuild_from_type_v2")
_G["device"] = _Global("torch", "device")
_G["Size"] = _Global("torch", "Size")
_G["UntypedStorage"] = _Global("torch.storage", "UntypedStorage")
_G.update({n: _Global("torch", n) for n in _STORAGE_OF.values()})


def _checkpoint_global(obj, name):
    """(module, name) to write for an ember object, or None for anyone else's."""
    if isinstance(obj, _Global):
        return obj.module, obj.name
    if type(obj) is D.dtype:
        return "torch", obj.name
    return _U.checkpoint_name(obj, name)


# --- save: the pickle ------------------------------------------------------------------------

class _StorageRef:
    """A storage as one tensor sees it: PyTorch's TypedStorage at pickling time."""

    def __init__(self, untyped, dtype, typed=True):
        self.untyped, self.dtype, self.typed = untyped, dtype, typed


def _user_state(t):
    """A tensor's Python attributes, which PyTorch pickles; ember's own are left out."""
    return {k: v for k, v in t.__dict__.items() if not _U.is_tensor_internal(k)}


def _tensor_args(t):
    """(storage, offset, size, stride) of ``t`` as PyTorch pickles them."""
    st, arr, dtype = t._storage(), t._data, t.dtype
    stride = t.stride()
    offset = t.storage_offset()
    buf = st._buf
    its = arr.itemsize
    inside = arr.size == 0 or (
        min(stride, default=0) >= 0 and arr.__array_interface__["data"][0] - st.data_ptr()
        == offset * its and (offset + 1 + sum((n - 1) * s for n, s in zip(arr.shape, stride)))
        * its <= buf.nbytes)
    if not inside:  # a view its storage cannot express (negative strides...): save a copy
        copy = np.ascontiguousarray(arr)
        st, offset, stride = UntypedStorage(copy.reshape(-1)), 0, tuple(
            s // its for s in copy.strides)
    return _StorageRef(st, dtype, dtype.name in _STORAGE_OF), offset, tuple(arr.shape), stride


def _checkpoint_reduce(t):
    """How a Tensor pickles inside ember.save: the call PyTorch's checkpoints contain."""
    from .nn.parameter import Parameter
    state = _user_state(t)
    if isinstance(t, Parameter):
        hooks = collections.OrderedDict()
        if state:
            return _G["_rebuild_parameter_with_state"], (t.detach(), t.requires_grad, hooks,
                                                         state)
        return _G["_rebuild_parameter"], (t.detach(), t.requires_grad, hooks)
    ref, offset, size, stride = _tensor_args(t)
    args = (ref, offset, size, stride, t.requires_grad, collections.OrderedDict())
    func = _G["_rebuild_tensor_v2"]
    if not ref.typed:  # uint16 & co have no storage class: untyped storage plus dtype
        func, args = _G["_rebuild_tensor_v3"], args + (t.dtype,)
    if type(t).__name__ == "Tensor" and not state:
        return func, args
    return _G["_rebuild_from_type_v2"], (func, type(t), args, state)


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, so that ember globals can be written under torch names."""

    def __init__(self, file, protocol, legacy=False):
        super().__init__(file, protocol)
        self.legacy = legacy
        self.storages = {}  # id(untyped storage) -> (key, storage, dtype)

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return _checkpoint_reduce(obj)
        t = type(obj)
        if t is D.dtype:
            return obj.name
        if t is _device:
            return _G["device"], ((obj.type,) if obj.index is None else (obj.type, obj.index))
        if t is Size:
            return _G["Size"], (tuple(obj),)
        return NotImplemented

    def save_global(self, obj, name=None):
        target = _checkpoint_global(obj, name)
        if target is None:
            _U.check_global(obj, name)
            return super().save_global(obj, name)
        module, qual = target
        if self.proto >= 4:
            self.save(module)
            self.save(qual)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{qual}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch = dict(pickle._Pickler.dispatch)
    dispatch[_Global] = save_global
    dispatch[type(_checkpoint_global)] = lambda self, obj: self.save_global(obj)

    def persistent_id(self, obj):
        t = type(obj)
        if t is _StorageRef:
            st, dtype, typed = obj.untyped, obj.dtype, obj.typed
        elif t is TypedStorage:
            st, dtype, typed = obj._untyped_storage, obj.dtype, obj.dtype.name in _STORAGE_OF
        elif t is UntypedStorage:
            st, dtype, typed = obj, D.uint8, False
        else:
            return None
        entry = self.storages.get(id(st))
        if entry is None:
            entry = self.storages[id(st)] = (str(len(self.storages)), st, dtype)
        elif entry[2] is not dtype and st._buf.size:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same "
                               "data as different types")
        stype = _G[_STORAGE_OF[dtype.name]] if typed else _G["UntypedStorage"]
        numel = st._buf.nbytes // dtype.itemsize if typed else st._buf.nbytes
        pid = ("storage", stype, entry[0], _location(st.device), numel)
        return pid + (None,) if self.legacy else pid


def _location(dev):
    return "cpu" if dev is None or dev.type == "cpu" else str(dev)


def _pickle(obj, protocol, legacy=False):
    buf = io.BytesIO()
    pickler = _Pickler(buf, protocol, legacy)
    pickler.dump(obj)
    return buf.getvalue(), list(pickler.storages.values())


def _storage_bytes(st):
    data = st._buf if st._buf.flags.c_contiguous else np.ascontiguousarray(st._buf)
    if sys.byteorder != "little" and data.itemsize > 1:
        data = data.byteswap()
    return data.reshape(-1).view(np.uint8)


# --- save: the zip -----------------------------------------------------------------------

def _write_zip(fh, prefix, data, storages):
    from concurrent.futures import ThreadPoolExecutor
    z = _Z.ZipWriter(fh, prefix)
    big = any(st._buf.nbytes >= 1 << 20 for _, st, _ in storages)
    with ThreadPoolExecutor(1) if big else contextlib.nullcontext() as z.pool:
        z.record("data.pkl", data)
        z.record(".format_version", b"1")
        z.record(".storage_alignment", str(_Z._ALIGN).encode())
        z.record("byteorder", b"little")
        for key, st, _ in storages:
            z.record(f"data/{key}", _storage_bytes(st))
        z.record("version", b"3\n")
        z.record(".data/serialization_id",
                 "".join(random.choice("0123456789") for _ in range(40)).encode())
    z.finish()


def _write_legacy(fh, data, storages, protocol):
    head = [MAGIC_NUMBER, PROTOCOL_VERSION, {
        "protocol_version": PROTOCOL_VERSION, "little_endian": True,
        "type_sizes": {"short": 2, "int": 4, "long": 4}}]
    for obj in head:
        fh.write(pickle.dumps(obj, protocol))
    fh.write(data)
    by_key = sorted(storages, key=lambda e: e[0])  # PyTorch orders them as sorted strings
    fh.write(pickle.dumps([k for k, _, _ in by_key], protocol))
    for _, st, dtype in by_key:
        raw = _storage_bytes(st)
        fh.write(struct.pack("<q", raw.nbytes // dtype.itemsize))
        fh.write(raw)


def _prefix_for(path):
    return os.path.splitext(os.path.basename(path))[0] or "archive"


def _open_failed(err):
    return RuntimeError("[enforce fail at inline_container.cc:747] . open file failed with "
                        f"strerror: {os.strerror(err)}")


def _preallocate(fd, nbytes):
    """Reserve the temporary file's blocks up front (Linux fallocate, never emulated).

    On ext4, renaming over an existing file forces the new file's delayed allocation and
    starts its writeback inside rename(); with the blocks already reserved there is nothing
    to allocate, and the save costs what PyTorch's in-place overwrite costs.
    """
    if nbytes < 1 << 20 or not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fn = getattr(libc, "fallocate64", None) or libc.fallocate
        fn.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
        return fn(fd, 0, 0, nbytes) == 0
    except (OSError, AttributeError, ImportError):
        return False


def _save_to_path(path, write, size_hint):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    target = os.path.realpath(path)  # through a symlink, replace the file it names
    try:
        st = os.stat(target)
    except OSError:
        st = None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise _open_failed(errno.EISDIR)
    if st is not None and not stat.S_ISREG(st.st_mode):  # /dev/null, a pipe: write to it
        with open(target, "wb") as fh:
            return write(fh)
    tmp = os.path.join(os.path.dirname(target), f".tmp-{os.path.basename(target)}-"
                       f"{os.getpid()}-{random.getrandbits(32):08x}")
    try:  # mode 0o666 so the umask applies, as for a file opened by open()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except PermissionError:
        if st is None or not os.access(target, os.W_OK):
            raise _open_failed(errno.EACCES) from None
        with open(target, "wb") as fh:  # a read-only directory: overwrite in place
            return write(fh)
    except OSError as e:
        raise _open_failed(e.errno) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            if _preallocate(fd, size_hint):
                write(fh)
                os.ftruncate(fd, fh.tell())  # give back what the estimate over-reserved
            else:
                write(fh)
        if st is not None:
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization=True, _disable_byteorder_record=False):
    """Save ``obj`` to a path or binary file in PyTorch's format (``pickle_module`` is
    accepted for compatibility; ember always uses its own pickler)."""
    is_path = isinstance(f, (str, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a "
                             "'write' attribute")
    if not is_path and not callable(f.write):
        raise TypeError(f"Buffer of {str(type(f)).strip('<>')} has no callable attribute "
                        "'write'")
    legacy = not _use_new_zipfile_serialization
    # Pickle first: an object that cannot be pickled leaves the file system untouched.
    data, storages = _pickle(obj, pickle_protocol, legacy)
    path = os.fspath(f) if is_path else None
    prefix = _prefix_for(path) if is_path else "archive"

    def write(fh):
        if legacy:
            _write_legacy(fh, data, storages, pickle_protocol)
        else:
            _write_zip(fh, prefix, data, storages)
        fh.flush()

    if is_path:
        size = len(data) + sum(st._buf.nbytes for _, st, _ in storages) + 512 * (
            len(storages) + 8)
        _save_to_path(path, write, size)
    else:
        write(f)


# --- safe globals -------------------------------------------------------------------------

def add_safe_globals(safe_globals):
    """Mark classes/functions (or ``(obj, "full.path")`` pairs) as loadable with
    ``weights_only=True``."""
    _wo._add_safe_globals(safe_globals)


def get_safe_globals():
    return list(_wo._user_globals)


def clear_safe_globals():
    _wo._user_globals.clear()


class safe_globals:
    """Context manager: ``with safe_globals([MyClass]): ember.load(...)``."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        _wo._add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _wo._remove_safe_globals(self.safe_globals)


def _weights_only_message(message):
    """PyTorch's framing of an error from the restricted unpickler."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        out = ("Weights only load failed. This file can still be loaded, to do so you have two "
               "options, \033[1mdo those steps only if you trust the source of the "
               f"checkpoint\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
               "`weights_only=True` please check the recommended steps in the following error "
               "message.\n\tWeightsUnpickler error: " + message)
    elif re.search(r"(\S+) must be (\S+) to load", message):
        return f"Weights only load failed. {message}\n {UNSAFE_MESSAGE}\n"
    else:
        out = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
        if not re.search(r"whose module (\S+) is blocked", message):
            out += ("Please file an issue with the following so that we can make "
                    "`weights_only=True` compatible with your use case: WeightsUnpickler "
                    "error: ")
        out += "\n\n" + message
    return out + ("\n\nCheck the documentation of torch.load to learn more about types "
                  "accepted by default with weights_only "
                  "https://pytorch.org/docs/stable/generated/torch.load.html.")


# --- load: rebuilding tensors ---------------------------------------------------------------

class StorageType:
    """What a checkpoint's ``torch.FloatStorage`` & co stand for while loading: a dtype."""

    def __init__(self, name):
        self._dtype = D._BY_NAME[STORAGE_DTYPES[name]]

    @property
    def dtype(self):
        return self._dtype

    def __str__(self):
        return f"StorageType(dtype={self.dtype})"


def _get_layout(name):
    if name != "torch.strided":
        raise RuntimeError(f"ember supports only the strided layout, not {name}")
    import ember
    return ember.strided


# --- load: where storages go ---------------------------------------------------------------

def default_restore_location(storage, location):
    """Place a loaded storage on ``location`` ('cpu' is the only device ember has)."""
    if location == "cpu":
        return storage
    for backend in ("cuda", "xpu", "hpu", "privateuseone"):
        if location == backend or re.match(f"{backend}(:|[0-9]+)", location):
            if backend in ("hpu", "privateuseone"):
                raise RuntimeError(f"The {backend.upper()} device module is not registered. "
                                   + _NO_CPU_HINT)
            raise RuntimeError(f"Attempting to deserialize object on a {backend.upper()} "
                               f"device but torch.{backend}.is_available() is False. "
                               + _NO_CPU_HINT)
    if location.startswith("mtia"):
        raise RuntimeError("Cannot execute getCurrentDevice() without MTIA backend.")
    if location.startswith("mps"):
        raise RuntimeError("torch.UntypedStorage(): Storage device not recognized: mps")
    if location == "meta":
        raise RuntimeError("ember has no meta device; load with map_location='cpu'")
    raise RuntimeError("don't know how to restore data location of "
                       f"torch.storage.UntypedStorage (tagged with {location})")


def _restore_location(map_location):
    if map_location is None:
        return default_restore_location
    if isinstance(map_location, dict):
        return lambda s, loc: default_restore_location(s, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes, _device)):
        target = str(map_location) if isinstance(map_location, _device) else \
            _ascii(map_location)
        return lambda s, loc: default_restore_location(s, target)

    def restore(storage, location):
        result = map_location(storage, location)
        return default_restore_location(storage, location) if result is None else result
    return restore


def _ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _as_untyped(result):
    if isinstance(result, TypedStorage):
        return result._untyped_storage
    if isinstance(result, UntypedStorage):
        return result
    raise TypeError("TypedStorage.__init__ received an invalid combination of arguments. "
                    "Argument 'wrap_storage' must be UntypedStorage, but got "
                    f"{type(result)}")


# --- load: reading the zip ---------------------------------------------------------------

class _Loader:
    """Turns a checkpoint's persistent ids into storages: one loader per ember.load."""

    def __init__(self, read, map_location, swap):
        self.read, self.swap = read, swap  # read(key, nbytes) -> uint8 array
        self.restore = _restore_location(map_location)
        self.loaded = {}

    def storage(self, stype, key, location, numel):
        if key in self.loaded:
            return self.loaded[key]
        dtype = stype.dtype
        if type(numel) is not int or numel < 0:
            raise RuntimeError(f"invalid storage size {numel!r} for storage {key!r}")
        buf = self.read(key, numel * dtype.itemsize).view(dtype.np)
        if self.swap and dtype.itemsize > 1:
            buf.byteswap(inplace=True)
        untyped = _as_untyped(self.restore(UntypedStorage(buf), _ascii(location)))
        typed = self.loaded[key] = TypedStorage(untyped, dtype)
        return typed

    def zip_persistent_load(self, saved_id):
        if not isinstance(saved_id, tuple):
            raise AssertionError(f"saved_id must be a tuple, got {type(saved_id).__name__}")
        typename = _ascii(saved_id[0])
        if typename != "storage":
            raise AssertionError("Unknown typename for persistent_load, expected 'storage' but "
                                 f"got '{typename}'")
        stype, key, location, numel = saved_id[1:]
        return self.storage(stype, key, location, numel)


def _python_unpickler(pickle_module, file, persistent_load, **kwargs):
    """``pickle_module.Unpickler`` that maps torch names to ember (weights_only=False)."""

    class Unpickler(pickle_module.Unpickler):
        def find_class(self, module, name):
            if type(name) is str and "Storage" in name:
                with contextlib.suppress(KeyError):
                    return StorageType(name)
            return _U.find_ember(module, name, super().find_class)

    u = Unpickler(file, **kwargs)
    if persistent_load is not None:
        u.persistent_load = persistent_load
    return u


def _unpickle(data_file, persistent_load, pickle_module, weights_only, pickle_load_args):
    if weights_only:
        return _wo.Unpickler(data_file, persistent_load,
                             pickle_load_args.get("encoding", "bytes")).load()
    return _python_unpickler(pickle_module, data_file, persistent_load,
                             **pickle_load_args).load()


def _load_zip(reader, map_location, pickle_module, weights_only, mapped, pickle_load_args):
    if reader.has_record("constants.pkl"):
        if weights_only:
            raise RuntimeError("Cannot use ``weights_only=True`` with TorchScript archives "
                               "passed to ``torch.load``. " + UNSAFE_MESSAGE)
        raise reader.error("ember cannot load TorchScript archives (torch.jit.save)")
    order = b"little"
    if reader.has_record("byteorder"):
        order = reader.get_record("byteorder")
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode())
    swap = order.decode() != sys.byteorder  # swapped in place: CRC checked before that
    loader = _Loader(lambda key, n: reader.read_storage(f"data/{key}", n, mapped, swap),
                     map_location, swap)
    data = reader.get_record("data.pkl")
    result = _unpickle(io.BytesIO(data), loader.zip_persistent_load, pickle_module,
                       weights_only, pickle_load_args)
    reader.finish()
    return result


def _load_legacy(fh, where, map_location, pickle_module, weights_only, pickle_load_args):
    start = fh.tell()
    fh.seek(start + 257)
    if fh.read(5) == b"ustar":  # the .tar checkpoints of PyTorch < 0.4
        if weights_only:
            raise RuntimeError("Cannot use ``weights_only=True`` with files saved in the "
                               "legacy .tar format. " + UNSAFE_MESSAGE)
        raise RuntimeError("ember cannot load the legacy .tar checkpoint format" + where)
    fh.seek(start)
    roots, views, fills = {}, {}, {}

    def read(key, nbytes):  # storages come after the pickle: filled in below
        arr = fills[key] = np.empty(nbytes, np.uint8)
        return arr

    loader = _Loader(read, map_location, False)

    def one():
        return _unpickle(fh, None, pickle_module, weights_only, pickle_load_args)

    def persistent_load(saved_id):
        if not isinstance(saved_id, tuple):
            raise AssertionError(f"saved_id must be a tuple, got {type(saved_id).__name__}")
        typename = _ascii(saved_id[0])
        if typename == "module":
            return saved_id[1]
        if typename != "storage":
            raise RuntimeError(f"Unknown saved id type: {saved_id[0]}")
        stype, key, location, numel, view = saved_id[1:]
        if key not in roots:
            roots[key] = loader.storage(stype, key, location, numel)
        root = roots[key]
        if view is None:
            return root
        vkey, off, size = view
        if vkey not in views:
            its = root.dtype.itemsize
            views[vkey] = TypedStorage(UntypedStorage(
                root._untyped_storage._bytes()[off * its:(off + size) * its]
                .view(root.dtype.np)), root.dtype)
        return views[vkey]

    if one() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = one()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    one()  # sys_info: sizes of C types on the saving machine
    result = _unpickle(fh, persistent_load, pickle_module, weights_only, pickle_load_args)
    for key in one():
        if key not in fills:
            raise RuntimeError(f"storage key {key!r} not found in deserialized_objects")
        arr, its = fills[key], roots[key].dtype.itemsize
        head = fh.read(8)
        if len(head) != 8 or struct.unpack("<q", head)[0] * its != arr.nbytes or \
                _Z.read_into(fh, arr) != arr.nbytes:
            raise RuntimeError(f"legacy checkpoint truncated in storage {key}{where}")
    return result


# --- load ------------------------------------------------------------------------------

def _is_zipfile(fh):
    start = fh.tell()
    head = fh.read(4)
    fh.seek(start)
    return head == b"PK\x03\x04"


def _check_seekable(f):
    try:
        f.seek(f.tell())
    except (io.UnsupportedOperation, AttributeError) as e:
        if "seek" in str(e) or "tell" in str(e):
            raise type(e)(str(e) + ". You can only torch.load from a file that is seekable. "
                          "Please pre-load the data into a buffer like io.BytesIO and try to "
                          "load from it instead.") from None
        raise


def _default_weights_only(weights_only, pickle_module):
    true = ("1", "y", "yes", "true")
    force = os.getenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "0").lower() in true
    force_no = os.getenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "0").lower() in true
    if force and force_no:
        raise RuntimeError("Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or "
                           "`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should be set, but both were set.")
    if force:
        return True
    if weights_only is None:
        if force_no:
            import warnings
            warnings.warn("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since "
                          "the`weights_only` argument was not explicitly passed to `torch.load`, "
                          "forcing weights_only=False.", UserWarning, stacklevel=3)
            return False
        return pickle_module is None
    return weights_only


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``ember.save`` or ``torch.save`` (zip or legacy format)."""
    weights_only = _default_weights_only(weights_only, pickle_module)
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")
        if pickle_load_args:
            import warnings
            warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    elif pickle_module is None:
        pickle_module = pickle
    pickle_load_args.setdefault("encoding", "utf-8")
    is_path = isinstance(f, (str, os.PathLike))
    with (open(f, "rb") if is_path else contextlib.nullcontext(f)) as fh:
        name = os.fspath(f) if is_path else getattr(fh, "name", None)
        where = f" (while loading {name!r})" if isinstance(name, (str, bytes)) else ""
        _check_seekable(fh)
        try:
            if _is_zipfile(fh):
                return _load_zip_file(fh, f, is_path, where, map_location, pickle_module,
                                      weights_only, mmap, pickle_load_args)
            if mmap:
                fname = f"{f}, " if isinstance(f, str) else ""
                raise RuntimeError("mmap can only be used with files saved with "
                                   f"`torch.save({fname}_use_new_zipfile_serialization=True), "
                                   "please torch.save your checkpoint with this option in "
                                   "order to use mmap.")
            return _load_legacy(fh, where, map_location, pickle_module, weights_only,
                                pickle_load_args)
        except pickle.UnpicklingError as e:
            if weights_only:
                raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
            raise
        except EOFError as e:
            raise EOFError(f"{str(e) or 'Ran out of input'}: the file is empty or "
                           f"truncated{where}") from None


def _load_zip_file(fh, f, is_path, where, map_location, pickle_module, weights_only, mmap,
                   pickle_load_args):
    reader = _Z.ZipReader(fh, where)
    try:
        mapped = None
        if mmap:
            if not is_path:
                raise ValueError("f must be a file path in order to use the mmap argument")
            mapped = _mmap.mmap(fh.fileno(), 0, access=_mmap.ACCESS_COPY)
        return _load_zip(reader, map_location, pickle_module, weights_only, mapped,
                         pickle_load_args)
    finally:
        reader.close()


def get_unsafe_globals_in_checkpoint(f):
    """The globals in a checkpoint's pickle that ``weights_only=True`` would refuse."""
    is_path = isinstance(f, (str, os.PathLike))
    with (open(f, "rb") if is_path else contextlib.nullcontext(f)) as fh:
        if not _is_zipfile(fh):
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        reader = _Z.ZipReader(fh, "")
        if reader.has_record("constants.pkl"):
            raise ValueError("Expected input to be a checkpoint returned by torch.save but got "
                             "a torchscript checkpoint")
        return _wo.unsafe_globals(reader.get_record("data.pkl"))


# --- plain pickling (pickle.dumps, DataLoader workers): no checkpoint machinery ----------

def _reduce_tensor(t):
    """Tensor.__reduce_ex__ outside ember.save: the tensor's values as a NumPy array."""
    return (_rebuild_from_array, (np.array(t._data), t.dtype.name, t.requires_grad,
                                  type(t).__name__ == "Parameter"))


def _rebuild_from_array(arr, dtype_name, requires_grad, is_param=False):
    from ._tensor import _wrap
    t = _wrap(arr)
    if is_param:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad=requires_grad)
    if requires_grad:
        t.requires_grad_(True)
    return t
