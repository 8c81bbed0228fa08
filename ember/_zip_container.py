"""The zip container of a checkpoint, written and read as PyTorch's miniz-based
PyTorchStreamWriter/Reader do.

Writing: every record is stored (no compression), its data starts on a 64-byte boundary
(an 'FB' extra field pads the local header), CRC and sizes follow the data in a data
descriptor, zip64 records are used where sizes or offsets pass 4 GiB, and the archive
ends with zip64 end records.  Reading: zipfile parses the central directory; the data of
a record is read by ember itself from the offset its local header gives, straight into
its final buffer (or mapped, with mmap).
"""
import struct
import zipfile
import zlib

from ._backend import np

_ALIGN = 64
_U32 = 0xFFFFFFFF
_ZIP64_LIMIT = _U32  # tests lower it to exercise the zip64 records
MINIZ_NOTE = (". This is an internal miniz error. If you are seeing this error, there is a "
              "high likelihood that your checkpoint file is corrupted. This can happen if the "
              "checkpoint was not saved properly, was transferred incorrectly, or the file was "
              "modified after saving.")


class ZipWriter:
    """Writes records the way PyTorch's writer (miniz) does; see the module docstring."""

    def __init__(self, f, prefix):
        self.f, self.prefix = f, prefix
        self.pos, self.entries, self.pool = 0, [], None

    def _write(self, data):
        self.f.write(data)
        self.pos += memoryview(data).nbytes

    def record(self, name, data):
        name = f"{self.prefix}/{name}".encode("utf-8")
        size, offset = memoryview(data).nbytes, self.pos
        big_size, big_offset = size >= _ZIP64_LIMIT, offset >= _ZIP64_LIMIT
        zip64 = b""
        if big_size or big_offset:
            fields = (size, size) * big_size + (offset,) * big_offset
            zip64 = struct.pack(f"<HH{len(fields)}Q", 1, 8 * len(fields), *fields)
        start = offset + 30 + len(name) + len(zip64) + 4
        pad = -start % _ALIGN
        extra = zip64 + b"FB" + struct.pack("<H", pad) + b"Z" * pad
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 0, 0x0808, 0, 0, 0,
                                0, 0, 0, len(name), len(extra)) + name + extra)
        if size >= 1 << 20 and self.pool is not None:  # CRC on the worker while we write
            crc = self.pool.submit(zlib.crc32, data)
            self._write(data)
            crc = crc.result()
        else:
            crc = zlib.crc32(data)
            self._write(data)
        if big_size or big_offset:
            self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
        else:
            self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.entries.append((name, crc, size, offset, zip64))

    def finish(self):
        cd_start = self.pos
        for name, crc, size, offset, zip64 in self.entries:
            usize = _U32 if size >= _ZIP64_LIMIT else size
            off = _U32 if offset >= _ZIP64_LIMIT else offset
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 45 if zip64 else 0,
                                    0x0808, 0, 0, 0, crc, usize, usize, len(name), len(zip64),
                                    0, 0, 0, 0, off) + name + zip64)
        n, cd_size, eocd64 = len(self.entries), self.pos - cd_start, self.pos
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 798, 45, 0, 0, n, n, cd_size,
                                cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                min(cd_size, _U32), min(cd_start, _U32), 0))


class ZipReader:
    """Finds records through zipfile's central directory; reads their data itself."""

    def __init__(self, fh, where):
        self.fh, self.where, self.pool, self.pending = fh, where, None, []
        try:
            self.zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error):
            raise self.error("PytorchStreamReader failed reading zip archive: failed finding "
                             "central directory" + MINIZ_NOTE) from None
        names = self.zf.namelist()
        if not names:
            raise self.error("PytorchStreamReader failed reading zip archive: failed finding "
                             "central directory" + MINIZ_NOTE)
        if "/" not in names[0]:
            raise self.error(f"file in archive is not in a subdirectory: {names[0]}")
        self.prefix = names[0].split("/", 1)[0] + "/"
        self.infos = {n[len(self.prefix):]: i for n, i in self.zf.NameToInfo.items()
                      if n.startswith(self.prefix)}

    def error(self, msg):
        return RuntimeError(msg + self.where)

    def has_record(self, name):
        return name in self.infos

    def _info(self, name):
        info = self.infos.get(name)
        if info is None:
            raise self.error(f"PytorchStreamReader failed locating file {name}: file not "
                             "found" + MINIZ_NOTE)
        return info

    def _data_offset(self, name, info):
        try:
            self.fh.seek(info.header_offset)
            head = self.fh.read(30)
        except (OSError, ValueError):  # an offset the central directory got wrong
            head = b""
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise self.error(f"PytorchStreamReader failed reading file {name}: invalid header "
                             "or archive is corrupted")
        n, e = struct.unpack("<HH", head[26:30])
        return info.header_offset + 30 + n + e

    def _crc_failed(self, name):
        return self.error(f"PytorchStreamReader failed reading file {name}: CRC-32 check "
                          "failed")

    def _read_failed(self, name):
        return self.error(f"PytorchStreamReader failed reading file {name}: file read failed")

    def get_record(self, name):
        """A small record's bytes, CRC checked."""
        info = self._info(name)
        if info.compress_type != zipfile.ZIP_STORED:
            try:
                return self.zf.read(info)
            except zipfile.BadZipFile:
                raise self._crc_failed(name) from None
            except (zlib.error, EOFError, NotImplementedError, RuntimeError):
                raise self._read_failed(name) from None
        self.fh.seek(self._data_offset(name, info))
        data = self.fh.read(info.file_size)
        if len(data) != info.file_size:
            raise self._read_failed(name)
        if zlib.crc32(data) != info.CRC:
            raise self._crc_failed(name)
        return data

    def read_storage(self, name, nbytes, mapped=None, crc_now=False):
        """A storage record as a writable uint8 array of ``nbytes`` (``crc_now``: check
        before returning, for a caller that will modify the array at once)."""
        info = self._info(name)
        if info.file_size != nbytes:
            raise self.error(f"record size ({info.file_size} bytes) does not match expected "
                             f"size ({nbytes} bytes = {nbytes} elements * 1 bytes/element) "
                             "for dtype Byte")
        if info.compress_type != zipfile.ZIP_STORED:
            return np.frombuffer(bytearray(self.get_record(name)), np.uint8)
        start = self._data_offset(name, info)
        if mapped is not None:
            if start + nbytes > len(mapped):
                raise self._read_failed(name)
            return np.frombuffer(mapped, np.uint8, nbytes, start)  # copy-on-write pages
        arr = np.empty(nbytes, np.uint8)
        self.fh.seek(start)
        if read_into(self.fh, arr) != nbytes:
            raise self._read_failed(name)
        if nbytes >= 1 << 20 and not crc_now:  # on the worker, while the next is read
            if self.pool is None:
                from concurrent.futures import ThreadPoolExecutor
                self.pool = ThreadPoolExecutor(1)
            self.pending.append((name, info.CRC, self.pool.submit(zlib.crc32, arr)))
        elif zlib.crc32(arr) != info.CRC:
            raise self._crc_failed(name)
        return arr

    def finish(self):
        for name, crc, fut in self.pending:
            if fut.result() != crc:
                raise self._crc_failed(name)

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def read_into(fh, arr):
    view = memoryview(arr)
    got = 0
    readinto = getattr(fh, "readinto", None)
    while got < len(view):
        if readinto is not None:
            n = readinto(view[got:])
        else:
            chunk = fh.read(len(view) - got)
            n = len(chunk)
            view[got:got + n] = chunk
        if not n:
            break
        got += n
    return got
