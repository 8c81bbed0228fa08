"""Run PyTorch code on ember: ``import torch`` gives ember, ``torchvision`` ember.vision.

``install()`` puts an import hook first on ``sys.meta_path``; it never falls back to a
real torch, even when one is installed.  A torch module ember lacks raises an
ImportError naming it and the file and line of the import.
"""
import importlib
import importlib.abc
import importlib.util
import os
import sys
import traceback

_ALIASES = (("torchvision", "ember.vision"), ("torch", "ember"))
ENV_FLAG = "EMBER_TORCH_SHIM"


def ember_name(fullname):
    """'torch.nn.functional' -> 'ember.nn.functional' (None if not a torch name)."""
    for src, dst in _ALIASES:
        if fullname == src or fullname.startswith(src + "."):
            return dst + fullname[len(src):]
    return None


def _import_site():
    """(file, line) of the user code that asked for the import."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        f = frame.filename
        if "importlib" in f or f.startswith("<frozen") or os.path.dirname(f) == \
                os.path.dirname(__file__):
            continue
        return f, frame.lineno
    return "<unknown>", 0


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass


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
                name=fullname)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(name))


_finder = TorchAliasFinder()


def install():
    """Make ``import torch``/``torchvision`` (and their submodules) import ember."""
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    for name in [n for n in sys.modules if ember_name(n) is not None]:
        mod = sys.modules[name]
        if not getattr(mod, "__name__", "").startswith("ember"):
            del sys.modules[name]  # a real torch imported earlier must not be used
    os.environ[ENV_FLAG] = "1"


def uninstall():
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    os.environ.pop(ENV_FLAG, None)
