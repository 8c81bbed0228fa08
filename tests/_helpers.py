"""Helpers shared by the test files that compare whole results between torch and ember."""
import warnings

import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402


def make_same(norm):
    """Build ``same(fn, match=True)``: ``fn(torch)`` and ``fn(ember)`` give equal ``norm``-alized
    results, or raise the same exception type (and, with ``match``, the same message).

    Each test file brings its own ``norm(value, module)`` because each compares different things
    (bytes, rounded floats, printed addresses...)."""
    def outcome(fn, m):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return norm(fn(m), m), None
            except Exception as e:  # noqa: BLE001 - compared between the libraries
                return None, e

    def same(fn, match=True):
        t, terr = outcome(fn, torch)
        e, eerr = outcome(fn, ember)
        if terr is not None:
            assert eerr is not None, f"torch raised {terr!r}, ember returned {e!r}"
            assert type(eerr).__name__ == type(terr).__name__, (terr, eerr)
            if match:
                assert str(eerr).replace("ember", "torch") == str(terr)
            return
        if eerr is not None:
            raise eerr
        assert e == t
    return same
