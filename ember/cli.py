"""The `ember` command: `ember run script.py [args...]` runs PyTorch code on ember."""
import os
import runpy
import sys
import traceback

USAGE = """usage: ember run SCRIPT [ARGS...]

Run a PyTorch program on ember: `import torch` gives ember and `import torchvision`
gives ember.vision, with no torch installed.  `ember --version` prints the version."""


def _run(script, args):
    from . import compat
    if not os.path.exists(script):
        print(f"ember: can't open file '{script}': [Errno 2] No such file or directory",
              file=sys.stderr)
        return 2
    compat.install()
    shim = os.path.join(os.path.dirname(__file__), "_shim")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [shim] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    sys.argv = [script] + list(args)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as e:  # show the user's traceback as plain Python would
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != os.path.abspath(script) \
                and tb.tb_frame.f_code.co_filename != script:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb or e.__traceback__)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] == "--version":
        from . import __version__
        print(f"ember {__version__}")
        return 0
    if argv[0] == "run" and len(argv) >= 2:
        return _run(argv[1], argv[2:])
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
