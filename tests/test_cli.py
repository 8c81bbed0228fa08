"""`ember run script.py` / `python -m ember run` / `ember.compat.install()`.

Every case runs a real interpreter in a subprocess.  Where the script needs no torch,
the expected output is what plain Python prints for the same script, so "runs as
Python would" is checked against Python itself.  The venv has a real torch installed:
the hook must win over it (no fallback).
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ember

EMBER_DIR = Path(ember.__file__).resolve().parent
EMBER_EXE = Path(sys.executable).with_name("ember")


def write(root, files):
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def env():
    e = dict(os.environ)
    e.pop("EMBER_TORCH_SHIM", None)
    e.pop("PYTHONPATH", None)
    # the source tree, not an older installed copy, when run from a checkout
    e["PYTHONPATH"] = str(EMBER_DIR.parent)
    e["PYTHONHASHSEED"] = "0"
    e["OMP_NUM_THREADS"] = "1"
    return e


def run(cwd, *args, via="module", timeout=120):
    if via == "exe":
        cmd = [str(EMBER_EXE), "run", *args]
    elif via == "module":
        cmd = [sys.executable, "-m", "ember", "run", *args]
    else:  # plain Python, the yardstick
        cmd = [sys.executable, *args]
    return subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True,
                          timeout=timeout)


def both(cwd, *args):
    """(ember run, plain python) on the same script and arguments."""
    return run(cwd, *args), run(cwd, *args, via="python")


INFO = textwrap.dedent("""
    import json, os, sys
    print(json.dumps({"argv": sys.argv, "name": __name__, "file": __file__,
                      "path0": sys.path[0], "cwd": os.getcwd(),
                      "main_file": sys.modules["__main__"].__file__}))
""")


def test_argv_name_file_and_path_as_python(tmp_path):
    write(tmp_path, {"proj/info.py": INFO})
    args = ("proj/info.py", "a", "--flag", "two words", "-m", "")
    e, p = both(tmp_path, *args)
    assert e.returncode == p.returncode == 0, e.stderr
    got, want = json.loads(e.stdout), json.loads(p.stdout)
    assert got == want
    assert got["argv"] == list(args) and got["name"] == "__main__"
    assert got["file"] == str(tmp_path / "proj" / "info.py")
    assert got["path0"] == str((tmp_path / "proj").resolve())


@pytest.mark.skipif(not EMBER_EXE.exists(), reason="console script not installed")
def test_console_script_equals_python_m_ember(tmp_path):
    write(tmp_path, {"info.py": INFO + "import torch\nprint(torch.__name__)\n"})
    a = run(tmp_path, "info.py", "x", via="exe")
    b = run(tmp_path, "info.py", "x", via="module")
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and a.stdout.splitlines()[-1] == "ember"


def test_sibling_and_relative_imports(tmp_path):
    write(tmp_path, {
        "proj/main.py": """
            import helper
            from pkg import mod
            from pkg.mod import twice
            import torch
            print(helper.X, mod.Y, twice(21), torch.__name__)
        """,
        "proj/helper.py": "X = 'sibling'\n",
        "proj/pkg/__init__.py": "",
        "proj/pkg/mod.py": """
            from . import sub
            from .sub import Z
            import torch.nn as nn
            Y = sub.Z + Z + nn.__name__
            def twice(x):
                return 2 * x
        """,
        "proj/pkg/sub.py": "Z = 'rel'\n",
    })
    # run from another directory: the script's folder, not the cwd, is on sys.path
    r = run(tmp_path, "proj/main.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["sibling", "relrelember.nn", "42", "ember"]


def test_run_module_flag(tmp_path):
    write(tmp_path, {"app/__init__.py": "", "app/__main__.py": INFO,
                     "app/cli.py": "from . import __name__ as p\nimport torch\n"
                                   "print(p, __name__, torch.__name__)\n"})
    r = run(tmp_path, "-m", "app.cli", "z")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["app", "__main__", "ember"]


def test_missing_torch_module_is_named_with_its_import_site(tmp_path):
    write(tmp_path, {"main.py": """
        import os
        import torch
        import torch.nn
        import torch.no_such_module_in_ember.sub
        print("not reached")
    """})
    r = run(tmp_path, "main.py")
    assert r.returncode == 1 and "not reached" not in r.stdout
    err = r.stderr.strip().splitlines()
    assert err[0] == "Traceback (most recent call last):"
    assert err[1] == f'  File "{tmp_path / "main.py"}", line 5, in <module>'
    assert err[-1].startswith("ModuleNotFoundError: ember has no equivalent of "
                              "'torch.no_such_module_in_ember'")
    assert f"{tmp_path / 'main.py'}:5" in err[-1]
    assert "ember/compat.py" not in r.stderr and "runpy" not in r.stderr


def test_missing_torch_name_in_from_import(tmp_path):
    write(tmp_path, {"lib.py": "from torch.nn import NoSuchLayerInEmber\n",
                     "main.py": "import lib\n"})
    r = run(tmp_path, "main.py")
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: cannot import name 'NoSuchLayerInEmber'")
    assert "ember has no equivalent of 'torch.nn.NoSuchLayerInEmber'" in last
    assert f"{tmp_path / 'lib.py'}:1" in last


def test_exit_codes(tmp_path):
    write(tmp_path, {
        "three.py": "import sys\nprint('before')\nsys.exit(3)\n",
        "msg.py": "import sys\nsys.exit('bad input')\n",
        "ok.py": "import sys\nsys.exit(0)\n",
        "none.py": "x = 1\n",
    })
    for script, code in [("three.py", 3), ("msg.py", 1), ("ok.py", 0), ("none.py", 0)]:
        e, p = both(tmp_path, script)
        assert e.returncode == p.returncode == code, (script, e.stderr)
        assert (e.stdout, e.stderr) == (p.stdout, p.stderr)
    assert run(tmp_path, "msg.py").stderr == "bad input\n"


def test_uncaught_exception_traceback_as_plain_python(tmp_path):
    write(tmp_path, {
        "main.py": """
            import helper

            def outer():
                try:
                    helper.fail(0)
                except ZeroDivisionError as e:
                    raise ValueError("wrapped") from e

            outer()
        """,
        "helper.py": """
            def fail(d):
                return 1 / d
        """,
    })
    e, p = both(tmp_path, "main.py")
    assert e.returncode == p.returncode == 1
    assert e.stderr == p.stderr
    assert "cli.py" not in e.stderr and "runpy" not in e.stderr
    assert e.stderr.splitlines()[1] == f'  File "{tmp_path / "main.py"}", line 6, in outer'


def test_error_inside_ember_keeps_library_frames(tmp_path):
    write(tmp_path, {"main.py": """
        import torch
        a, b = torch.ones(2, 3), torch.ones(4, 5)
        a @ b
    """})
    r = run(tmp_path, "main.py")
    assert r.returncode == 1
    lines = r.stderr.splitlines()
    assert lines[1] == f'  File "{tmp_path / "main.py"}", line 4, in <module>'
    assert lines[-1].startswith("RuntimeError: mat1 and mat2 shapes cannot be multiplied")
    assert "cli.py" not in r.stderr and "runpy" not in r.stderr


def test_syntax_error_as_plain_python(tmp_path):
    write(tmp_path, {"bad.py": "x = 1\ndef (:\n"})
    e, p = both(tmp_path, "bad.py")
    assert e.returncode == p.returncode == 1
    assert e.stderr == p.stderr


def test_bad_invocations(tmp_path):
    r = run(tmp_path, "missing.py")
    assert r.returncode == 2
    assert r.stderr == (f"ember: can't open file '{tmp_path / 'missing.py'}': "
                        "[Errno 2] No such file or directory\n")
    r = subprocess.run([sys.executable, "-m", "ember"], env=env(), capture_output=True,
                       text=True)
    assert r.returncode == 2 and r.stderr.startswith("usage: ember run")
    r = subprocess.run([sys.executable, "-m", "ember", "--version"], env=env(),
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == f"ember {ember.__version__}\n"


DATALOADER = """
    import sys
    import torch
    import torchvision
    from torch.utils.data import DataLoader, Dataset

    class Squares(Dataset):  # defined in __main__: spawn children must re-import it
        def __len__(self):
            return 6

        def __getitem__(self, i):
            import torch as t  # resolved in the worker process
            info = t.utils.data.get_worker_info()
            return t.tensor([float(i * i)]), t.__name__, torchvision.__name__, info.id

    if __name__ == '__main__':
        loader = DataLoader(Squares(), batch_size=2, num_workers=2,
                            multiprocessing_context=sys.argv[1])
        for x, names, vnames, wid in loader:
            print(x.flatten().tolist(), sorted(set(names)), sorted(set(vnames)), wid.tolist())
"""


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_dataloader_workers_under_main_guard(tmp_path, context):
    write(tmp_path, {"train.py": DATALOADER})
    r = run(tmp_path, "train.py", context)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "[0.0, 1.0] ['ember'] ['ember.vision'] [0, 0]",
        "[4.0, 9.0] ['ember'] ['ember.vision'] [1, 1]",
        "[16.0, 25.0] ['ember'] ['ember.vision'] [0, 0]",
    ]


def test_child_python_processes_see_the_alias(tmp_path):
    write(tmp_path, {"main.py": """
        import subprocess, sys
        out = subprocess.run([sys.executable, "-c", "import torch; print(torch.__name__)"],
                             capture_output=True, text=True)
        print(out.stdout.strip(), out.returncode)
    """})
    r = run(tmp_path, "main.py")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ember", "0"]


def test_other_sitecustomize_still_runs(tmp_path):
    write(tmp_path, {"site/sitecustomize.py": "import os\nos.environ['MARK'] = 'ran'\n",
                     "main.py": """
        import os, subprocess, sys
        code = "import os, torch; print(torch.__name__, os.environ.get('MARK'))"
        print(subprocess.run([sys.executable, "-c", code], capture_output=True,
                             text=True).stdout.strip())
    """})
    e = env()
    e["PYTHONPATH"] = str(tmp_path / "site") + os.pathsep + e["PYTHONPATH"]
    r = subprocess.run([sys.executable, "-m", "ember", "run", "main.py"], cwd=tmp_path,
                       env=e, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ember", "ran"]


NO_FALLBACK = """
    import importlib.util, json, sys
    {setup}
    import torch
    import torch.nn.functional as F
    import torchvision
    from torchvision import transforms
    import ember
    out = {{
        "name": torch.__name__, "file": torch.__file__, "is_ember": torch is ember,
        "nn": torch.nn is ember.nn, "F": F.__name__, "vision": torchvision is ember.vision,
        "transforms": transforms.__name__,
        "spec": importlib.util.find_spec("ember").name,
        "real_torch_left": [m for m, v in sys.modules.items()
                            if m.split(".")[0] in ("torch", "torchvision")
                            and not v.__name__.startswith("ember")],
    }}
    try:
        import torch._C  # exists in the real torch, not in ember
        out["_C"] = "imported"
    except ModuleNotFoundError as e:
        out["_C"] = str(e)
    print(json.dumps(out))
"""


@pytest.mark.parametrize("how", ["ember run", "install() after a real torch import"])
def test_no_fallback_to_real_torch(tmp_path, how):
    pytest.importorskip("torch")  # the point is a venv where the real one is present
    if how == "ember run":
        write(tmp_path, {"main.py": NO_FALLBACK.format(setup="")})
        r = run(tmp_path, "main.py")
    else:
        setup = "import torch as real; assert real.__name__ == 'torch'\n    " \
                "import ember.compat; ember.compat.install()"
        write(tmp_path, {"main.py": NO_FALLBACK.format(setup=setup)})
        r = run(tmp_path, "main.py", via="python")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["name"] == "ember" and out["is_ember"] and out["nn"] and out["vision"]
    assert Path(out["file"]).resolve() == EMBER_DIR / "__init__.py"
    assert out["F"] == "ember.nn.functional"
    assert out["transforms"] == "ember.vision.transforms"
    assert out["spec"] == "ember"
    assert out["real_torch_left"] == []
    assert out["_C"].startswith("ember has no equivalent of 'torch._C'")


def test_install_uninstall_in_process():
    import ember.compat as compat
    saved = {k: v for k, v in sys.modules.items() if compat.ember_name(k) is not None}
    try:
        compat.install()
        import torch
        import torchvision.transforms as T
        assert torch is ember and T is ember.vision.transforms
        assert os.environ["EMBER_TORCH_SHIM"] == "1"
        compat.uninstall()
        assert not compat.installed() and "EMBER_TORCH_SHIM" not in os.environ
        assert not any(compat.ember_name(k) for k in sys.modules)
    finally:
        compat.uninstall()
        sys.modules.update(saved)  # the real torch other test files imported
