"""Installed on PYTHONPATH by `ember run`, so worker processes (spawn) see the alias too."""
import os

if os.environ.get("EMBER_TORCH_SHIM") == "1":
    try:
        from ember import compat as _compat
        _compat.install()
    except Exception:  # never break interpreter start-up
        pass
