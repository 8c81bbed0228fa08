"""Worker -> main process transport: pickle protocol 5 over a pipe, arrays out of band.

A message is ``<header length, buffer count>``, the buffer sizes, the pickle
stream, then the raw bytes of every large array.  The worker writes the
arrays straight from their memory (no pickled copy) from a writer thread, so
it can prepare the next batch meanwhile; the main process reads each array's
bytes straight into a fresh NumPy buffer that becomes the tensor's storage.
So a batch is copied once into the pipe and once out of it, nothing more.
"""
import io
import os
import pickle
import queue
import struct
import threading

from ...._backend import np
from ...._tensor import Tensor, _wrap

_INLINE = 1 << 15  # smaller arrays ride inside the pickle: cheaper than a write of their own
_HEAD = struct.Struct("<QQ")
_PIPE_BYTES = 1 << 20  # a CIFAR-sized batch fits, so the writer rarely waits for the reader


def _rebuild_tensor(arr, requires_grad):
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if type(obj) is not Tensor:
            return NotImplemented
        if obj._requires_grad and obj.grad_fn is not None:
            raise RuntimeError(
                "Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
                "autograd does not support crossing process boundaries.  If you just want to "
                "transfer the data, call detach() on the tensor before serializing (e.g., "
                "putting it on the queue).")
        arr = obj._data
        if not arr.flags.c_contiguous:
            arr = arr.copy()
        return _rebuild_tensor, (arr, obj._requires_grad)


def dumps(obj):
    """``obj`` as a list of byte chunks to write in order (arrays by reference)."""
    bufs = []

    def out_of_band(pb):
        raw = pb.raw()
        if raw.nbytes < _INLINE:
            return True
        bufs.append(raw)
        return False

    f = io.BytesIO()
    _Pickler(f, protocol=5, buffer_callback=out_of_band).dump(obj)
    header = f.getbuffer()
    sizes = [b.nbytes for b in bufs]
    meta = _HEAD.pack(header.nbytes, len(bufs)) + struct.pack(f"<{len(bufs)}Q", *sizes)
    return [meta + header] + bufs


def _write_all(fd, data):
    view = memoryview(data).cast("B")
    while view.nbytes:
        view = view[os.write(fd, view):]


def _read_into(fd, view):
    while view.nbytes:
        n = os.readv(fd, [view])
        if n == 0:
            raise EOFError
        view = view[n:]


def recv(fd):
    """One message from ``fd``; EOFError when the writer is gone."""
    head = bytearray(_HEAD.size)
    _read_into(fd, memoryview(head))
    hlen, nbuf = _HEAD.unpack(head)
    meta = bytearray(8 * nbuf + hlen)
    _read_into(fd, memoryview(meta))
    sizes = struct.unpack_from(f"<{nbuf}Q", meta)
    bufs = []
    for size in sizes:
        b = np.empty(size, np.uint8)
        _read_into(fd, memoryview(b))
        bufs.append(b)
    return pickle.loads(memoryview(meta)[8 * nbuf:], buffers=bufs)


def widen_pipe(fd):
    try:
        import fcntl
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), _PIPE_BYTES)
    except (ImportError, OSError):
        pass  # a narrower pipe only means more, smaller writes


class Sender:
    """Serialises in the caller's thread (so errors surface there); writes in its own."""

    def __init__(self, fd):
        self._fd = fd
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="ember_dataloader_sender")
        self._thread.start()

    def send(self, obj):
        self._queue.put(dumps(obj))

    def _run(self):
        while True:
            chunks = self._queue.get()
            if chunks is None:
                return
            try:
                for c in chunks:
                    _write_all(self._fd, c)
            except OSError:  # the main process closed its end: nobody is listening
                return
            del chunks

    def close(self, flush=False):
        self._queue.put(None)
        if flush:
            self._thread.join()
