"""Put on PYTHONPATH by `ember run`, so child interpreters (DataLoader workers under
'spawn'/'forkserver', subprocesses) get the torch -> ember alias too.

Python imports only the first ``sitecustomize`` on sys.path, so this one then runs the
one it shadows (a virtualenv's or a distribution's), if any.
"""
import os
import sys


def _install():
    if os.environ.get("EMBER_TORCH_SHIM") != "1":
        return
    try:
        from ember import compat
        compat.install()
    except Exception:  # an interpreter without ember: start as if we were not here
        pass


def _chain():
    import importlib.machinery
    import importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[__name__] = module
    spec.loader.exec_module(module)


_install()
try:
    _chain()
except Exception as e:  # as site.py does: report, never stop start-up
    print(f"Error in sitecustomize; set PYTHONVERBOSE for traceback:\n{type(e).__name__}: {e}",
          file=sys.stderr)
