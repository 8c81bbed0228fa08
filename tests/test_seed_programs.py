"""The acceptance suite: every program of the five study notes, run on ember with
``import torch`` mapped to ``ember``, compared with PyTorch's recorded output.

The runner and programs live in ``../shared/seed-programs`` (the project's spec); a
copy is kept in ``tests/seed_programs`` for machines without that folder.  The suite
takes several minutes; ``EMBER_SKIP_SEEDS=1`` leaves it out of a local run.
"""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared", "seed-programs")
RUNNER = os.path.join(SHARED if os.path.isfile(os.path.join(SHARED, "run.py")) else
                      os.path.join(HERE, "seed_programs"), "run.py")


@pytest.mark.skipif(os.environ.get("EMBER_SKIP_SEEDS") == "1", reason="EMBER_SKIP_SEEDS=1")
def test_every_seed_program_prints_what_pytorch_prints():
    # The timeouts are sized for PyTorch on two cores; a busy CI machine gets three times that.
    proc = subprocess.run(
        [sys.executable, RUNNER, "--python", sys.executable, "--shim", "ember",
         "--timeout-scale", "3"],
        cwd=os.path.dirname(HERE), capture_output=True, text=True, timeout=3000)
    out = proc.stdout + proc.stderr
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    closing = re.search(r"^(\d+) passed, (\d+) failed$", proc.stdout, re.M)
    assert closing is not None, out[-3000:]
    assert proc.returncode == 0 and closing.group(2) == "0", "\n".join(failed) or out[-3000:]
    assert int(closing.group(1)) >= 98
