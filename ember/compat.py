"""Run PyTorch code on ember: ``import torch`` gives ember, ``torchvision`` ember.vision.

``install()`` puts an import hook first on ``sys.meta_path``; it never falls back to a
real torch, even when one is installed.  ``torch.X.Y`` is the very module object
``ember.X.Y`` (so ``torch.nn is ember.nn`` and ``torch.__name__ == 'ember'``).  A torch
module ember lacks raises a ModuleNotFoundError naming it and the file and line of
the import, instead of a bare "No module named".
"""
import importlib
import importlib.abc
import importlib.util
import os
import sys

_ALIASES = (("torchvision", "ember.vision"), ("torch", "ember"))
ENV_FLAG = "EMBER_TORCH_SHIM"
_HERE = os.path.dirname(os.path.abspath(__file__))


def ember_name(fullname):
    """'torch.nn.functional' -> 'ember.nn.functional' (None if not a torch name)."""
    for src, dst in _ALIASES:
        if fullname == src or fullname.startswith(src + "."):
            return dst + fullname[len(src):]
    return None


def _is_machinery(filename):
    # Import-system frames and ember's own top-level modules (this hook, the cli) are
    # never the place a user wrote ``import torch.x``.
    return (filename.startswith("<frozen") or "importlib" in filename
            or os.path.dirname(os.path.abspath(filename)) == _HERE)


def _import_site():
    """(file, line) of the innermost user code that asked for the import."""
    frame = sys._getframe(1)
    while frame is not None:
        if not _is_machinery(frame.f_code.co_filename):
            return frame.f_code.co_filename, frame.f_lineno
        frame = frame.f_back
    return "<unknown>", 0


def torch_name(name):
    """'ember.nn' -> 'torch.nn', 'ember.vision.io' -> 'torchvision.io' (None otherwise)."""
    for dst, src in _ALIASES:
        if name == src or name.startswith(src + "."):
            return dst + name[len(src):]
    return None


def explain(exc, file, line):
    """Reword ``from torch.x import y`` failing on a name ember lacks, which Python reports
    as "cannot import name 'y' from 'ember.x'", to name the torch API and the import site."""
    if type(exc) is not ImportError or not str(exc).startswith("cannot import name"):
        return
    parent = torch_name(exc.name or "")
    missing = str(exc).split("'")[1] if str(exc).count("'") >= 2 else None
    import linecache
    if parent is None or missing is None or "torch" not in linecache.getline(file, line):
        return
    exc.msg = (f"{exc}: ember has no equivalent of '{parent}.{missing}', imported at "
               f"{file}:{line}. This part of the PyTorch API is not implemented in ember yet.")
    exc.args = (exc.msg,)


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already-imported ember module instead of executing anything."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        # The import system stamped the alias spec on the shared module; give ember
        # its own back so importlib.util.find_spec('ember') and reload() stay right.
        module.__spec__ = self._own_spec


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        name = ember_name(fullname)
        if name is None:
            return None
        try:
            found = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            found = None
        if found is None:
            file, line = _import_site()
            raise ModuleNotFoundError(
                f"ember has no equivalent of '{fullname}' (looked for '{name}'), imported at "
                f"{file}:{line}. This part of the PyTorch API is not implemented in ember yet.",
                # not `fullname`: `from torch.x import y` would then swallow this error
                # and report a vague "cannot import name 'y' from 'ember.x'"
                name=name)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(name))


_finder = TorchAliasFinder()


def _aliased(mod):
    return getattr(mod, "__name__", "").startswith("ember")


def install():
    """Make ``import torch``/``torchvision`` (and their submodules) import ember.

    Also sets ``EMBER_TORCH_SHIM=1`` so that ``ember/_shim/sitecustomize.py`` (when it is
    on PYTHONPATH, as ``ember run`` arranges) installs the hook in child processes."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name in [n for n in sys.modules if ember_name(n) is not None]:
        if not _aliased(sys.modules[name]):
            del sys.modules[name]  # a real torch imported earlier must not be used
    os.environ[ENV_FLAG] = "1"


def uninstall():
    """Remove the hook and the ``torch*`` aliases it put into ``sys.modules``."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name in [n for n in sys.modules if ember_name(n) is not None]:
        if _aliased(sys.modules[name]):
            del sys.modules[name]
    os.environ.pop(ENV_FLAG, None)


def installed():
    return _finder in sys.meta_path
