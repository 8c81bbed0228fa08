"""The restricted unpickler behind ``ember.load(weights_only=True)``.

It interprets the pickle opcodes itself (those PyTorch's checkpoints use, protocol 2)
instead of handing the stream to ``pickle.Unpickler``: globals come only from an
allowlist, only allowlisted functions are called (REDUCE), only allowlisted classes are
instantiated (NEWOBJ) or given state (BUILD), and items go only into real lists and
dicts.  Nothing in a checkpoint can reach ``os.system``, ``eval`` or an import.

Names in checkpoints are PyTorch's (``torch.nn.parameter.Parameter``); the allowlist
maps them to the ember objects that play them.  Error texts are PyTorch's, so that
``ember.load`` can wrap them as ``torch.load`` does.
"""
import _compat_pickle
import collections
import functools
import pickle
import struct
import sys
from _codecs import encode
from pickle import UnpicklingError, decode_long

_BLOCKED_MODULES = ("sys", "os", "posix", "nt")

_user_globals = set()  # what add_safe_globals marked: objects or (object, "full.path")


def _add_safe_globals(globs):
    _user_globals.update(globs)


def _remove_safe_globals(globs):
    _user_globals.difference_update(globs)


def _full_name(obj):
    """The checkpoint name of ``obj``: ``ember.nn.X`` is written as ``torch.nn.X``."""
    from ._utils import checkpoint_name
    found = checkpoint_name(obj)
    return ".".join(found) if found else f"{obj.__module__}.{obj.__qualname__}"


def _user_allowed():
    out = {}
    for g in _user_globals:
        if isinstance(g, tuple):
            if len(g) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(g)}")
            if type(g[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(g[1])}")
            out[g[1]] = g[0]
        else:
            out[_full_name(g)] = g
            out[f"{g.__module__}.{g.__qualname__}"] = g
    return out


@functools.lru_cache(maxsize=1)
def _allowed():
    """PyTorch's default allowlist, as the ember objects that stand for each name."""
    import ember
    from . import _dtype as D
    from . import _utils as U
    from . import serialization as S
    from .nn.parameter import Parameter
    rc = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.serialization._get_layout": S._get_layout,
        "torch.Size": ember.Size, "torch.Tensor": ember.Tensor, "torch.device": ember.device,
        "_codecs.encode": encode, "builtins.bytearray": bytearray, "builtins.set": set,
        "builtins.complex": complex,
        "torch._tensor._rebuild_from_type_v2": U._rebuild_from_type_v2,
        "torch.storage.UntypedStorage": S.StorageType("UntypedStorage"),
    }
    for name in S.STORAGE_DTYPES:
        rc[f"torch.{name}"] = S.StorageType(name)
    for name in D._BY_NAME:
        rc[f"torch.{name}"] = D._BY_NAME[name]
    for name in ("Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char",
                 "Byte", "Bool"):
        cls = getattr(ember, name + "Tensor", None)
        if cls is not None:
            rc[f"torch.{name}Tensor"] = cls
    for fn in U.REBUILD_FUNCTIONS:
        rc[f"torch._utils.{fn}"] = getattr(U, fn)
    return rc


def _read_global(readline):
    module = readline()[:-1].decode("utf-8")
    name = readline()[:-1].decode("utf-8")
    if (module, name) in _compat_pickle.NAME_MAPPING:  # Python 2 names, as pickle maps them
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    elif module in _compat_pickle.IMPORT_MAPPING:
        module = _compat_pickle.IMPORT_MAPPING[module]
    return module, name


def _unsupported_global(module, name):
    full = f"{module}.{name}"
    if module in _BLOCKED_MODULES:
        return UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module "
                               f"{module} is blocked.")
    if full.startswith("builtins"):  # PyTorch names builtins without their module
        full = full[len("builtins"):]
        full = full[1:] if full.startswith(".") else "builtins" + full
    return UnpicklingError(
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{full}])` or the "
        f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this "
        "global if you trust this class/function.")


def _contains(ids, obj):
    # identity, not ==: an equal-comparing stand-in must not pass for an allowed object
    return id(obj) in ids


class Unpickler:
    """``Unpickler(file, persistent_load).load()``; ``file`` has read and readline."""

    def __init__(self, file, persistent_load, encoding="bytes"):
        self.read, self.readline = file.read, file.readline
        self.persistent_load = persistent_load
        self.encoding = encoding
        self.memo = {}

    def load(self):
        self.allowed, self.user = _allowed(), _user_allowed()
        self.user_ids = {id(v) for v in self.user.values()}
        self.allowed_ids = {id(v) for v in self.allowed.values()} | self.user_ids
        self.metastack, self.stack = [], []
        ops = _OPS
        read = self.read
        try:
            while True:
                key = read(1)
                if not key:
                    raise EOFError("Ran out of input")
                op = ops.get(key[0])
                if op is None:
                    raise UnpicklingError(f"Unsupported operand {key[0]}")
                if op is _stop:
                    return self.stack.pop()
                op(self)
        except IndexError:  # a malformed stream popped more than it pushed
            raise UnpicklingError("unpickling stack underflow") from None
        except struct.error:
            raise UnpicklingError("pickle data was truncated") from None

    def pop_mark(self):
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _global(self):
        module, name = _read_global(self.readline)
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise _unsupported_global(module, name)
        if full in self.allowed:
            self.stack.append(self.allowed[full])
        elif full in self.user:
            self.stack.append(self.user[full])
        else:
            raise _unsupported_global(module, name)

    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        from .nn.parameter import Parameter
        if cls is Parameter:
            self.stack.append(Parameter(*args))
        elif _contains(self.allowed_ids, cls) and isinstance(cls, type):
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise UnpicklingError("Can only create new object for nn.Parameter or classes "
                                  f"allowlisted via `add_safe_globals` but got {cls}")

    def _reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not _contains(self.allowed_ids, func):
            msg = f"Trying to call reduce for unrecognized function {func}"
            if hasattr(func, "__self__"):
                msg += f" which belongs to {func.__self__}"
            raise UnpicklingError(msg)
        if not isinstance(args, tuple):
            raise UnpicklingError(f"REDUCE arguments must be a tuple, got {type(args)}")
        self.stack[-1] = func(*args)

    def _build(self):
        from ._tensor import Tensor
        from .nn.parameter import Parameter
        from ._utils import _set_obj_state
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) is Tensor or type(inst) is Parameter:
            _set_obj_state(inst, state)
        elif type(inst) is collections.OrderedDict:
            inst.__dict__.update(state)
        elif _contains(self.allowed_ids, type(inst)):
            if hasattr(inst, "__setstate__"):
                inst.__setstate__(state)
            else:
                slotstate = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slotstate = state
                if state:
                    inst.__dict__.update(state)
                for k, v in (slotstate or {}).items():
                    setattr(inst, k, v)
        else:
            raise UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types "
                                  f"allowlisted via `add_safe_globals`, but got {type(inst)}")

    def _check_list(self, obj):
        if type(obj) is not list and not (isinstance(obj, list) and _contains(
                self.user_ids, type(obj))):
            raise UnpicklingError(f"Can only append to lists, but got {type(obj)}")

    def _check_dict(self, opcode):
        if type(self.stack[-1]) not in (dict, collections.OrderedDict, collections.Counter):
            raise UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, "
                                  f"collections.Counter, but got {type(self.stack[-1])}")

    def _append(self):
        item = self.stack.pop()
        self._check_list(self.stack[-1])
        self.stack[-1].append(item)

    def _appends(self):
        items = self.pop_mark()
        self._check_list(self.stack[-1])
        self.stack[-1].extend(items)

    def _setitem(self):
        v, k = self.stack.pop(), self.stack.pop()
        self._check_dict("SETITEM")
        self.stack[-1][k] = v

    def _setitems(self):
        items = self.pop_mark()
        self._check_dict("SETITEMS")
        d = self.stack[-1]
        for i in range(0, len(items) - 1, 2):
            d[items[i]] = items[i + 1]

    def _mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def _tuple_mark(self):
        items = self.pop_mark()  # before self.stack is read: pop_mark replaces it
        self.stack.append(tuple(items))

    def _tuple_n(self, n):
        if n:
            self.stack[-n:] = [tuple(self.stack[-n:])]
        else:
            self.stack.append(())

    def _binpersid(self):
        pid = self.stack.pop()
        if type(pid) is not tuple and type(pid) is not int:
            raise UnpicklingError(f"persistent_load id must be tuple or int, but got "
                                  f"{type(pid)}")
        if type(pid) is tuple and pid and _ascii(pid[0]) != "storage":
            raise UnpicklingError(f"Only persistent_load of storage is allowed, but got "
                                  f"{type(pid[0])}")
        self.stack.append(self.persistent_load(pid))

    def _get(self, idx):
        if idx not in self.memo:
            raise UnpicklingError(f"Memo value not found at index {idx}")
        self.stack.append(self.memo[idx])

    def _put(self, idx):
        self.memo[idx] = self.stack[-1]

    def _unicode(self):
        n = struct.unpack("<I", self.read(4))[0]
        if n > sys.maxsize:
            raise UnpicklingError("String is too long")
        self.stack.append(str(self.read(n), "utf-8", "surrogatepass"))

    def _short_binstring(self):
        data = self.read(self.read(1)[0])
        self.stack.append(data if self.encoding == "bytes" else
                          data.decode(self.encoding, "strict"))

    def _proto(self):
        proto = self.read(1)[0]
        if proto != 2:
            import warnings
            warnings.warn(f"Detected pickle protocol {proto} in the checkpoint, which was not "
                          "the default pickle protocol used by `torch.load` (2). The "
                          "weights_only Unpickler might not support all instructions "
                          "implemented by this protocol, please file an issue for adding "
                          "support if you encounter this.", stacklevel=4)


def _ascii(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _stop(self):
    pass


def _push(value):
    return lambda self: self.stack.append(value)


def _fixed(fmt):
    size = struct.calcsize(fmt)
    return lambda self: self.stack.append(struct.unpack(fmt, self.read(size))[0])


_OPS = {
    pickle.GLOBAL[0]: Unpickler._global, pickle.NEWOBJ[0]: Unpickler._newobj,
    pickle.REDUCE[0]: Unpickler._reduce, pickle.BUILD[0]: Unpickler._build,
    pickle.APPEND[0]: Unpickler._append, pickle.APPENDS[0]: Unpickler._appends,
    pickle.SETITEM[0]: Unpickler._setitem, pickle.SETITEMS[0]: Unpickler._setitems,
    pickle.MARK[0]: Unpickler._mark,
    pickle.TUPLE[0]: lambda self: self._tuple_mark(),
    pickle.TUPLE1[0]: lambda self: self._tuple_n(1),
    pickle.TUPLE2[0]: lambda self: self._tuple_n(2),
    pickle.TUPLE3[0]: lambda self: self._tuple_n(3),
    pickle.EMPTY_TUPLE[0]: lambda self: self._tuple_n(0),
    pickle.NONE[0]: _push(None), pickle.NEWFALSE[0]: _push(False),
    pickle.NEWTRUE[0]: _push(True),
    pickle.EMPTY_LIST[0]: lambda self: self.stack.append([]),
    pickle.EMPTY_DICT[0]: lambda self: self.stack.append({}),
    pickle.EMPTY_SET[0]: lambda self: self.stack.append(set()),
    pickle.BININT[0]: _fixed("<i"), pickle.BININT1[0]: _fixed("<B"),
    pickle.BININT2[0]: _fixed("<H"), pickle.BINFLOAT[0]: _fixed(">d"),
    pickle.BINUNICODE[0]: Unpickler._unicode,
    pickle.SHORT_BINSTRING[0]: Unpickler._short_binstring,
    pickle.BINPERSID[0]: Unpickler._binpersid,
    pickle.BINGET[0]: lambda self: self._get(self.read(1)[0]),
    pickle.LONG_BINGET[0]: lambda self: self._get(struct.unpack("<I", self.read(4))[0]),
    pickle.BINPUT[0]: lambda self: self._put(self.read(1)[0]),
    pickle.LONG_BINPUT[0]: lambda self: self._put(struct.unpack("<I", self.read(4))[0]),
    pickle.LONG1[0]: lambda self: self.stack.append(decode_long(self.read(self.read(1)[0]))),
    pickle.PROTO[0]: Unpickler._proto,
    pickle.STOP[0]: _stop,
}


def globals_in_pickle(data):
    """Every ``module.name`` a pickle's GLOBAL opcodes name, without running it."""
    import io
    import pickletools
    out = set()
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            if op.name == "GLOBAL":
                module, name = arg.split(" ", 1)
                if (module, name) in _compat_pickle.NAME_MAPPING:
                    module, name = _compat_pickle.NAME_MAPPING[(module, name)]
                elif module in _compat_pickle.IMPORT_MAPPING:
                    module = _compat_pickle.IMPORT_MAPPING[module]
                out.add(f"{module}.{name}")
    except ValueError as e:
        raise UnpicklingError(str(e)) from None
    return out


def unsafe_globals(data):
    safe = set(_allowed()) | set(_user_allowed())
    return sorted(globals_in_pickle(data) - safe)
