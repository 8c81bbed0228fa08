"""ember.vision against torchvision side by side (same data, same weights, same threads).

    .venv/bin/python bench/bench_vision.py [--repeat N] [--single-thread] [--images N]

1. ResNet-18 forward + backward (train mode, cross-entropy) at batch 32 on 96x96 inputs,
   target ember/torch <= 2.5.
2. Compose(Resize(112) + RandomCrop(96) + ToTensor + Normalize) over 1,000 PIL images
   (128x160 RGB), target ember/torchvision <= 1.2.

Best of N runs, ratio ember/torch printed (lower is better). ``--single-thread`` pins both to
one thread and measures process CPU time, meaningful on a shared machine.
"""
import argparse
import os
import sys
import time

SINGLE = "--single-thread" in sys.argv
if SINGLE:  # must be set before NumPy loads OpenBLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402

import ember  # noqa: E402
import ember.vision  # noqa: E402


def best_of(fn, repeat):
    clock = time.process_time if SINGLE else time.perf_counter
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def resnet_step(m, vision, weights, x, y):
    with (torch.device("meta") if m is torch else _nullcontext()):
        model = vision.models.resnet18(num_classes=10)
    if m is torch:
        model = model.to_empty(device="cpu")
    model.load_state_dict({k: m.tensor(v) for k, v in weights.items()})
    model.train()
    xt, yt = m.tensor(x), m.tensor(y)

    def run():
        model.zero_grad()
        loss = m.nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
    return run


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def resnet_weights():
    """resnet18(num_classes=10) weights in torchvision's layout (built on the meta device)."""
    with torch.device("meta"):
        shapes = {k: (tuple(v.shape), v.dtype) for k, v in
                  torchvision.models.resnet18(num_classes=10).state_dict().items()}
    rs = np.random.default_rng(0)
    out = {}
    for k, (shape, dtype) in shapes.items():
        if dtype == torch.int64:
            out[k] = np.array(0, np.int64)
        elif k.endswith("running_var") or (len(shape) == 1 and k.endswith("weight")):
            out[k] = np.ones(shape, np.float32)
        elif len(shape) == 1:
            out[k] = np.zeros(shape, np.float32)
        else:
            out[k] = rs.standard_normal(shape, np.float32) * \
                np.float32(np.sqrt(2.0 / np.prod(shape[1:])))
    return out


def pipeline_case(m, vision, images):
    T = vision.transforms
    tf = T.Compose([T.Resize(112), T.RandomCrop(96), T.ToTensor(),
                    T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])

    def run():
        m.manual_seed(0)
        for img in images:
            tf(img)
    return run


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--single-thread", action="store_true")
    args = p.parse_args()
    if SINGLE:
        torch.set_num_threads(1)
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}, threads "
          f"{torch.get_num_threads()}, timing {'CPU' if SINGLE else 'wall'}")

    weights = resnet_weights()
    rs = np.random.default_rng(1)
    x = rs.random((32, 3, 96, 96), dtype=np.float32)
    y = rs.integers(0, 10, 32)
    t = best_of(resnet_step(torch, torchvision, weights, x, y), args.repeat)
    e = best_of(resnet_step(ember, ember.vision, weights, x, y), args.repeat)
    print(f"{'resnet18 fwd+bwd b32 96x96':42s} torch {t * 1e3:9.1f} ms  ember "
          f"{e * 1e3:9.1f} ms  ratio {e / t:5.2f}  (target <= 2.5)")

    images = [Image.fromarray(rs.integers(0, 256, (128, 160, 3), dtype=np.uint8))
              for _ in range(args.images)]
    t = best_of(pipeline_case(torch, torchvision, images), args.repeat)
    e = best_of(pipeline_case(ember, ember.vision, images), args.repeat)
    print(f"{f'Resize+RandomCrop+ToTensor+Normalize x{args.images}':42s} torch "
          f"{t * 1e3:9.1f} ms  ember {e * 1e3:9.1f} ms  ratio {e / t:5.2f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
