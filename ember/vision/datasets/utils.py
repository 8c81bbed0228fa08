"""Downloading, verifying and extracting dataset archives.

Downloads go to a temporary file beside the target and are renamed only after
their MD5 matches; archives are extracted into a temporary directory and moved
into place, so a failure never leaves a half-written file or tree behind.
Set ``EMBER_VISION_MIRROR`` (e.g. ``http://127.0.0.1:8000/``) to fetch every
file from that base URL instead of the dataset's own servers.
"""
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import time
import zipfile

USER_AGENT = "ember/vision"
MIRROR_ENV = "EMBER_VISION_MIRROR"


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5):
    return md5 == calculate_md5(fpath)


def check_integrity(fpath, md5=None):
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


def _mirrored(url):
    base = os.environ.get(MIRROR_ENV)
    if not base:
        return url
    return base.rstrip("/") + "/" + url.rsplit("/", 1)[-1]


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3, retries=3,
                 timeout=30):
    """Fetch ``url`` into ``root/filename`` unless a file that passes ``md5`` is there.

    Network failures (refused, reset, a body shorter than its Content-Length) are retried
    ``retries`` times; an MD5 mismatch is not (the server has the wrong bytes). Either way
    the temporary download is removed and a RuntimeError names the URL and the cause.
    """
    from ... import hub
    root = os.path.expanduser(root)
    filename = filename or os.path.basename(url)
    fpath = os.path.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    url = _mirrored(url)
    last = None
    for attempt in range(retries):
        fd, tmp = tempfile.mkstemp(prefix=".download-", dir=root)
        try:
            print(f"Downloading {url} to {fpath}")
            with os.fdopen(fd, "wb") as f:
                hub.fetch(url, f, progress=True, timeout=timeout, user_agent=USER_AGENT)
            if md5 is not None and not check_md5(tmp, md5):
                raise RuntimeError(f"The MD5 checksum of the file downloaded from {url} does "
                                   f"not match: expected {md5}, got {calculate_md5(tmp)}. "
                                   "The download was removed.")
            os.replace(tmp, fpath)
            return fpath
        except RuntimeError:
            raise
        except hub.NETWORK_ERRORS as e:
            last = e
            if attempt + 1 < retries:
                time.sleep(0.2 * (attempt + 1))
        finally:
            _remove(tmp)
    raise RuntimeError(f"Failed to download {url} after {retries} attempts: {last}")


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a .tar(.gz/.xz/.bz2)/.tgz/.zip/.gz file; all or nothing."""
    to_path = to_path or os.path.dirname(from_path)
    os.makedirs(to_path, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".extract-", dir=to_path)
    try:
        name = from_path.lower()
        if name.endswith(".zip"):
            with zipfile.ZipFile(from_path) as z:
                z.extractall(tmp)
        elif any(name.endswith(s) for s in (".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2",
                                             ".tbz")):
            with tarfile.open(from_path) as t:
                t.extractall(tmp, filter="data")
        elif name.endswith(".gz"):
            out = os.path.join(tmp, os.path.basename(from_path)[:-3])
            with gzip.open(from_path, "rb") as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            raise RuntimeError(f"Extraction of {from_path} not supported")
        for entry in os.listdir(tmp):
            target = os.path.join(to_path, entry)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            os.replace(os.path.join(tmp, entry), target)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, gzip.BadGzipFile) as e:
        raise RuntimeError(f"The archive {from_path} is corrupt or truncated and could not be "
                           f"extracted: {e}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if remove_finished:
        os.remove(from_path)
    return to_path


def download_and_extract_archive(url, download_root, extract_root=None, filename=None,
                                 md5=None, remove_finished=False):
    download_root = os.path.expanduser(download_root)
    extract_root = extract_root or download_root
    filename = filename or os.path.basename(url)
    path = download_url(url, download_root, filename, md5)
    print(f"Extracting {path} to {extract_root}")
    extract_archive(path, extract_root, remove_finished)


def iterable_to_str(iterable):
    return "'" + "', '".join([str(item) for item in iterable]) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    if not isinstance(value, str):
        msg = "Expected type str, but got type {type}." if arg is None else \
            "Expected type str for argument {arg}, but got type {type}."
        raise ValueError(msg.format(type=type(value), arg=arg))
    if valid_values is None or value in valid_values:
        return value
    raise ValueError(custom_msg if custom_msg is not None else
                     f"Unknown value '{value}' for argument {arg}. Valid values are "
                     f"{{{iterable_to_str(valid_values)}}}.")
