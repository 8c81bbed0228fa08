import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture
def rng():
    return np.random.default_rng(0)

# the notes' programs run through their own runner (test_seed_programs.py), not pytest
collect_ignore = ["seed_programs"]
