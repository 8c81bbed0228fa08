"""The `ember` command: `ember run script.py [args...]` runs PyTorch code on ember.

The script runs as Python would run it (``__name__ == '__main__'``, ``sys.argv``,
``sys.path[0]`` = the script's directory, absolute ``__file__``, the same exit codes and
tracebacks) with one difference: ``import torch``/``torchvision`` give ember/ember.vision.
"""
import os
import runpy
import sys
import types

USAGE = """usage: ember run SCRIPT [ARGS...]
       ember run -m MODULE [ARGS...]

Run a PyTorch program on ember: `import torch` gives ember and `import torchvision`
gives ember.vision, with no torch installed.  `ember --version` prints the version."""

_HERE = os.path.dirname(os.path.abspath(__file__))
_SHIM = os.path.join(_HERE, "_shim")
# Frames of the launcher (this file, `python -m ember`, the import hook, runpy) that
# the user never wrote; frames inside the rest of ember stay, as torch's would.
_LAUNCHER = {os.path.join(_HERE, f) for f in ("cli.py", "__main__.py", "compat.py")}
_LAUNCHER.update({runpy.__file__, "<frozen runpy>"})


def _ours(filename):
    return filename in _LAUNCHER or os.path.abspath(filename) in _LAUNCHER


def _user_traceback(tb):
    """`tb` without the launcher's frames, so the report starts at the user's script."""
    kept = []
    while tb is not None:
        if not _ours(tb.tb_frame.f_code.co_filename):
            kept.append(tb)
        tb = tb.tb_next
    out = None
    for t in reversed(kept):
        out = types.TracebackType(out, t.tb_frame, t.tb_lasti, t.tb_lineno)
    return out


def _exec_script(path):
    """Run a file as Python runs `python path`: in a fresh `__main__` module that stays
    in sys.modules (runpy.run_path would rewrite argv[0] and restore the old __main__)."""
    import builtins
    import importlib.machinery
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__builtins__ = builtins
    main.__loader__ = importlib.machinery.SourceFileLoader("__main__", path)
    main.__cached__ = None
    sys.modules["__main__"] = main
    with open(path, "rb") as f:  # bytes: compile() honours a coding cookie
        code = compile(f.read(), path, "exec", dont_inherit=True)
    exec(code, main.__dict__)


def _prepare_environment():
    from . import compat
    compat.install()
    # Child interpreters (multiprocessing 'spawn'/'forkserver', subprocesses running
    # Python) start without the hook: the shim's sitecustomize installs it there.
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _SHIM]
    os.environ["PYTHONPATH"] = os.pathsep.join([_SHIM] + paths)


def _run(target, args, as_module=False):
    if not as_module:
        path = os.path.abspath(target)
        if not os.path.exists(path):
            print(f"ember: can't open file '{path}': [Errno 2] No such file or directory",
                  file=sys.stderr)
            return 2
    _prepare_environment()
    try:
        if as_module:
            # as `python -m`: sys.path[0] is the working directory
            sys.path[0] = os.getcwd()
            sys.argv = [target] + list(args)  # runpy replaces argv[0] with the file
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            # as `python script.py`: sys.path[0] is the script's (resolved) directory
            sys.path[0] = os.path.dirname(os.path.realpath(path))
            sys.argv = [target] + list(args)
            if os.path.isfile(path):
                _exec_script(path)
            else:  # a directory or zip with __main__.py
                runpy.run_path(path, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as e:
        tb = _user_traceback(e.__traceback__)
        if tb is not None and isinstance(e, ImportError):
            from . import compat
            last = tb
            while last.tb_next is not None:
                last = last.tb_next
            compat.explain(e, last.tb_frame.f_code.co_filename, last.tb_lineno)
        e.__traceback__ = tb  # the default hook prints the exception's own traceback
        sys.excepthook(type(e), e, tb)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    if argv[0] == "--version":
        from . import __version__
        print(f"ember {__version__}")
        return 0
    if argv[0] == "run" and len(argv) >= 3 and argv[1] == "-m":
        return _run(argv[2], argv[3:], as_module=True)
    if argv[0] == "run" and len(argv) >= 2 and argv[1] != "-m":
        return _run(argv[1], argv[2:])
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
