"""ember.hub: torch.hub's download cache for checkpoints (load_state_dict_from_url).

The cache has torch.hub's layout: ``get_dir()`` is ``$TORCH_HOME/hub`` (``$TORCH_HOME``
defaults to ``$XDG_CACHE_HOME/torch``, that to ``~/.cache``), and checkpoints live in
``<hub_dir>/checkpoints/<file name of the URL>``, so a cache filled by PyTorch serves ember
and the other way round. A download goes to ``<dst>.<uuid>.partial`` and is renamed only
when complete (and, with ``check_hash``, when the SHA-256 of its bytes starts with the
hex digits after the last ``-`` of the file name, as torch.hub checks); on any failure the
partial file is removed, so the cache never holds a torn checkpoint.

``fetch`` is the one streaming loop that ember.vision's dataset downloads share.
"""
import errno
import hashlib
import http.client
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
import warnings
import zipfile
from urllib.parse import urlparse

__all__ = ["download_url_to_file", "get_dir", "set_dir", "load_state_dict_from_url"]

HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
READ_DATA_CHUNK = 128 * 1024

_hub_dir = None

# What a dropped connection, a refused one or a short body raises somewhere in urllib.
NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError,
                  TimeoutError, OSError)


def _get_torch_home():
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, os.path.join(
        os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")))


def get_dir():
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    global _hub_dir
    _hub_dir = os.path.expanduser(d)


def _progress_bar(total, enabled, desc=None):
    if not enabled:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
                file=sys.stderr)


def fetch(url, fileobj, progress=True, hasher=None, timeout=None, user_agent="ember.hub"):
    """Stream ``url`` into ``fileobj``; raise if the body ends before Content-Length."""
    req = urllib.request.Request(url, headers={"User-Agent": user_agent})
    kw = {} if timeout is None else {"timeout": timeout}
    with urllib.request.urlopen(req, **kw) as resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length else None
        bar = _progress_bar(total, progress)
        got = 0
        try:
            while True:
                chunk = resp.read(READ_DATA_CHUNK)
                if not chunk:
                    break
                fileobj.write(chunk)
                if hasher is not None:
                    hasher.update(chunk)
                got += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    if total is not None and got != total:
        raise urllib.error.ContentTooShortError(
            f"retrieval incomplete: got only {got} out of {total} bytes", None)
    return got


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    dst = os.path.expanduser(dst)
    for _ in range(tempfile.TMP_MAX):
        tmp_dst = dst + "." + uuid.uuid4().hex + ".partial"
        try:
            f = open(tmp_dst, "x+b")
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    try:
        sha256 = hashlib.sha256() if hash_prefix is not None else None
        with f:
            fetch(url, f, progress=progress, hasher=sha256)
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        shutil.move(tmp_dst, dst)
    finally:
        if os.path.exists(tmp_dst):
            os.remove(tmp_dst)


def _is_legacy_zip_format(filename):
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as zf:
            infolist = zf.infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    from . import serialization
    warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in "
                  "favor of default zipfile format introduced in 1.6. Please redo torch.save() "
                  "to save it in the new zipfile format.", FutureWarning)
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        name = members[0].filename
        target = os.path.realpath(os.path.join(model_dir, name))
        if not target.startswith(os.path.realpath(model_dir) + os.sep):
            raise ValueError(f"Attempted path traversal in zip file {filename}")
        f.extract(members[0], model_dir)
    return serialization.load(target, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    from . import serialization
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead",
                      stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stdout.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)
    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    return serialization.load(cached_file, map_location=map_location, weights_only=weights_only)
