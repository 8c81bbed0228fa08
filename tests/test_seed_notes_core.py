"""The study notes' tensor/autograd programs (seed notes 001, 002 and 004's autograd example)
run on ember must print what PyTorch printed (the recorded reference of the seed suite).

Each program runs in a subprocess where ``import torch`` gives ember; its stdout is compared
line by line with the shared runner's own rules (stable lines exactly, up to one unit of
printed precision; RNG-dependent lines with numbers masked).
"""
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SEED = Path("/work/shared/seed-programs")
ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = [
    "002_storage_offset_stride",
    "004_autograd_dot",
    "002_autograd_linear_model",
    "001_loss_grad_fn",
    "001_backprop",
    "001_define_net",
    "001_forward_backward",
    "001_update_weights",
    "002_activation_functions",
    "002_nn_module_three_ways",
    "002_no_grad_validation",
]

pytestmark = pytest.mark.skipif(not (SEED / "run.py").exists(),
                                reason="seed programs not available")

SHIM = textwrap.dedent("""
    import importlib, importlib.abc, importlib.util, sys

    class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                return importlib.util.spec_from_loader(name, self)
            return None

        def create_module(self, spec):
            return importlib.import_module("ember" + spec.name[len("torch"):])

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, _Alias())
""")


def _runner():
    spec = importlib.util.spec_from_file_location("seed_runner", SEED / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def runner():
    return _runner()


@pytest.fixture(scope="module")
def manifest():
    data = json.loads((SEED / "manifest.json").read_text())
    progs = data["programs"]
    if isinstance(progs, list):
        progs = {p["id"]: p for p in progs}
    return progs


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    d = tmp_path_factory.mktemp("site")
    (d / "sitecustomize.py").write_text(SHIM)
    return d


@pytest.mark.parametrize("prog_id", PROGRAMS)
def test_seed_program_output(prog_id, runner, manifest, site, tmp_path):
    prog = manifest[prog_id]
    assert not prog.get("fixtures") and not prog.get("support")
    ref = json.loads((SEED / "reference" / f"{prog_id}.json").read_text())
    env = dict(os.environ, PYTHONPATH=f"{site}{os.pathsep}{ROOT}", PYTHONHASHSEED="0",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MPLBACKEND="Agg")
    for step, ref_step in zip(prog["steps"], ref["steps"]):
        proc = subprocess.run([sys.executable, str(SEED / step["script"])], cwd=tmp_path,
                              env=env, capture_output=True, text=True,
                              timeout=prog.get("timeout_s", 120))
        assert proc.returncode == 0, proc.stderr[-3000:]
        got = runner.normalize(proc.stdout, "ember")
        ref_step = dict(ref_step, stdout=runner.normalize(ref_step["stdout"], None))
        fails, _ = runner.check_stdout(prog, ref_step, got, [])
        assert not fails, "\n".join(fails)
