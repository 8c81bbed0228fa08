"""ember.version: build facts, laid out as torch.version (a CPU-only build: no CUDA/ROCm)."""
from . import __version__

__all__ = ["__version__", "debug", "cuda", "git_version", "hip", "rocm", "xpu"]

debug = False
cuda = None
# torch records the commit it was built from; a source checkout of ember is not "built",
# so this says so the way a torch built outside git does
git_version = "Unknown"
hip = None
rocm = None
xpu = None
