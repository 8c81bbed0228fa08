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
        import importlib.util
        if importlib.util.find_spec("ember") is None:
            # ember imported from a source tree (not installed): the parent left it
            # on its sys.path, which a fresh interpreter does not inherit
            sys.path.append(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))))
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
