"""Sequence models and BPE, ember against torch / tokenizers side by side.

    .venv/bin/python bench/bench_seq.py [--repeat N] [--single-thread] [--mb 5] [--skip-bpe]

Cases (ratio = ember / reference, lower is better; targets from issue 10):
  LSTM      2 layers, input and hidden 256, seq 35, batch 20: forward + backward   (<= 2x)
  Encoder   TransformerEncoder, 2 layers, d_model 256, 4 heads, seq 64, batch 16:
            one SGD train step (forward, backward, step)                           (<= 1.5x)
  BPE       training on a synthetic ~5 MB English-like text, vocab 8000, against the
            `tokenizers` package's BpeTrainer (Rust)                               (<= 20x)
Best of N runs.  ``--single-thread`` pins both libraries to one thread and measures
process CPU time, which stays meaningful on a machine shared with other work.
"""
import argparse
import os
import random
import sys
import time

SINGLE = "--single-thread" in sys.argv
if SINGLE:  # must be set before NumPy loads OpenBLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "RAYON_NUM_THREADS"):
        os.environ[var] = "1"


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402
import ember  # noqa: E402
from ember.text import BPE  # noqa: E402

if SINGLE:
    torch.set_num_threads(1)


def best_of(fn, repeat):
    clock = time.process_time if SINGLE else time.perf_counter
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def once(fn):
    clock = time.process_time if SINGLE else time.perf_counter
    t0 = clock()
    fn()
    return clock() - t0


def lstm_case(m):
    m.manual_seed(0)
    lstm = m.nn.LSTM(256, 256, num_layers=2)
    x = m.randn(35, 20, 256, requires_grad=True)

    def run():
        out, (h, c) = lstm(x)
        (out.sum() + h.sum() + c.sum()).backward()
    return run


def encoder_case(m):
    import warnings
    m.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        enc = m.nn.TransformerEncoder(m.nn.TransformerEncoderLayer(256, 4), num_layers=2)
    opt = m.optim.SGD(enc.parameters(), lr=0.01)
    x = m.randn(64, 16, 256)
    target = m.randn(64, 16, 256)

    def run():
        opt.zero_grad()
        loss = ((enc(x) - target) ** 2).mean()
        loss.backward()
        opt.step()
    return run


def synthetic_text(mb, seed=0):
    """English-like text: pseudo-words from syllables, Zipf-distributed, with punctuation."""
    rng = random.Random(seed)
    onsets = ["", "b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "th", "st",
              "ch", "sh", "tr", "pl", "gr", "w"]
    vowels = ["a", "e", "i", "o", "u", "ea", "ou", "ai", "ee"]
    codas = ["", "n", "s", "t", "r", "l", "nd", "ng", "st", "ck", "ed", "ing", "er"]
    words = set()
    while len(words) < 30000:
        words.add("".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                          for _ in range(rng.choice((1, 1, 2, 2, 3)))))
    words = sorted(words)
    rng.shuffle(words)
    weights = [1.0 / (i + 1) ** 1.05 for i in range(len(words))]
    out, size = [], 0
    while size < mb * 1_000_000:
        sent = rng.choices(words, weights, k=rng.randint(5, 20))
        s = " ".join(sent).capitalize() + rng.choice([".", ".", ",", "?", "!"]) + " "
        out.append(s)
        size += len(s)
    return "".join(out)


def bpe_case(text, vocab_size):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    lines = text.split(". ")

    def ours():
        BPE.train(lines, vocab_size, min_frequency=2, separate_end_of_word=False)

    def theirs():
        tok = Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        tr = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2,
                                 special_tokens=["<unk>"], end_of_word_suffix="</w>",
                                 show_progress=False)
        tok.train_from_iterator(lines, tr)
    return ours, theirs


def report(name, t_ref, t_ours, target, ref="torch"):
    ratio = t_ours / t_ref
    flag = "ok" if ratio <= target else "SLOW"
    print(f"{name:<44} {ref} {t_ref * 1e3:9.1f} ms   ember {t_ours * 1e3:9.1f} ms   "
          f"ratio {ratio:5.2f}  (target <= {target}) {flag}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--single-thread", action="store_true")
    ap.add_argument("--mb", type=float, default=5.0)
    ap.add_argument("--vocab", type=int, default=8000)
    ap.add_argument("--skip-bpe", action="store_true")
    args = ap.parse_args()
    print(f"threads: torch {torch.get_num_threads()}, "
          f"{'single-thread CPU time' if SINGLE else 'wall clock'}; best of {args.repeat}")
    for name, case, target in (("LSTM 2x256, seq 35, batch 20: fwd+bwd", lstm_case, 2.0),
                               ("TransformerEncoder 2x256/4h, seq 64, b 16: step",
                                encoder_case, 1.5)):
        t = best_of(case(torch), args.repeat)
        e = best_of(case(ember), args.repeat)
        report(name, t, e, target)
    if not args.skip_bpe:
        text = synthetic_text(args.mb)
        ours, theirs = bpe_case(text, args.vocab)
        t = once(theirs)
        e = once(ours)
        report(f"BPE train {len(text) / 1e6:.1f} MB, vocab {args.vocab}", t, e, 20,
               ref="tokenizers")


if __name__ == "__main__":
    main()
