"""RLHF end to end, small enough for a laptop CPU: the notes' three stages.

  1. pretrain a tiny Transformer language model on reviews tokenized by ember.text's BPE;
  2. train a reward model on preference pairs ("the rater prefers the more positive
     review", see data.py) with the Bradley-Terry loss -log sigmoid(r_chosen - r_rejected);
  3. fine-tune the LM with PPO against reward - beta * KL(policy || initial LM).

An ordinary PyTorch script (only the tokenizer comes from ember.text):

    ember run examples/rlhf/rlhf.py        # on ember
    python examples/rlhf/rlhf.py           # on PyTorch

It prints the reward and the KL to the initial model at each PPO step, and plots them
to rlhf.png (``--out`` directory).
"""
import argparse
import copy
import os
import random
import time

import torch
import torch.nn.functional as F

from ember.text import BPE
from data import corpus, human_score, prompts
from models import RewardModel, TinyLM, generate, token_logprobs

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>"]


def encode_batch(bpe, texts, max_len):
    """Texts -> (ids, lengths): <bos> tokens <eos>, right-padded with <pad>."""
    bos, eos, pad = (bpe.vocab[s] for s in ("<bos>", "<eos>", "<pad>"))
    rows = [[bos] + bpe.encode(t)[:max_len - 2] + [eos] for t in texts]
    n = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad] * (n - len(r)) for r in rows])
    return ids, torch.tensor([len(r) for r in rows])


def pretrain(lm, bpe, texts, steps, batch, lr, log):
    opt = torch.optim.AdamW(lm.parameters(), lr=lr)
    pad = bpe.vocab["<pad>"]
    rng = random.Random(1)
    for step in range(1, steps + 1):
        ids, _ = encode_batch(bpe, rng.sample(texts, batch), 32)
        logits = lm(ids[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1),
                               ignore_index=pad)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % max(1, steps // 5) == 0:
            log(f"  pretrain step {step:4d}  loss {loss.item():.3f}")


def train_reward_model(rm, bpe, texts, steps, batch, lr, log):
    """Pairs of reviews; the labeler (a stand-in for humans) says which one it prefers."""
    opt = torch.optim.AdamW(rm.parameters(), lr=lr)
    rng = random.Random(2)
    for step in range(1, steps + 1):
        chosen, rejected = [], []
        while len(chosen) < batch:
            a, b = rng.sample(texts, 2)
            if human_score(a) == human_score(b):
                continue  # no preference, no label
            if human_score(a) < human_score(b):
                a, b = b, a
            chosen.append(a)
            rejected.append(b)
        ids_c, len_c = encode_batch(bpe, chosen, 32)
        ids_r, len_r = encode_batch(bpe, rejected, 32)
        margin = rm(ids_c, len_c) - rm(ids_r, len_r)
        loss = -F.logsigmoid(margin).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % max(1, steps // 5) == 0:
            acc = (margin > 0).float().mean().item()
            log(f"  reward model step {step:4d}  loss {loss.item():.3f}  pair accuracy {acc:.2f}")


def ppo(policy, ref, rm, bpe, iters, batch, new_tokens, beta, lr, log, epochs=4, clip=0.2):
    """PPO-clip on whole continuations.  Per-token reward: -beta * (log pi - log pi_ref),
    plus the reward model's score at the end; advantages are reward-to-go minus the batch
    mean, normalized."""
    opt = torch.optim.Adam(policy.parameters(), lr=lr)
    eos, pad = bpe.vocab["<eos>"], bpe.vocab["<pad>"]
    rng = random.Random(3)
    history = []
    for it in range(1, iters + 1):
        # a batch of prompts that tokenize to the same length
        ps = prompts(4 * batch, rng)
        enc = {p: len(bpe.encode(p)) for p in ps}
        common = max(set(enc.values()), key=list(enc.values()).count)
        ps = [p for p in ps if enc[p] == common][:batch]
        prompt_ids, _ = encode_batch(bpe, ps, 32)
        prompt_ids = prompt_ids[:, :-1]  # <bos> + prompt, without <eos>
        start = prompt_ids.shape[1]
        policy.eval()
        seq = generate(policy, prompt_ids, new_tokens, eos, pad)
        gen = seq[:, start:]
        # a generated token counts up to and including the first <eos>
        before_eos = torch.cumsum((gen == eos).long(), 1) - (gen == eos).long()
        mask = (before_eos == 0).float()
        lengths = start + mask.sum(1).long()
        with torch.no_grad():
            old_logp = token_logprobs(policy, seq, start)
            ref_logp = token_logprobs(ref, seq, start)
            score = rm(seq, lengths)
        kl_tok = (old_logp - ref_logp) * mask
        rewards = -beta * kl_tok
        last = (lengths - start - 1).clamp(min=0)
        rewards[torch.arange(batch), last] += score
        returns = torch.flip(torch.cumsum(torch.flip(rewards, [1]), 1), [1])
        adv = (returns - (returns * mask).sum(0) / mask.sum(0).clamp(min=1)) * mask
        adv = adv / (adv.pow(2).sum() / mask.sum()).sqrt().clamp(min=1e-6)
        policy.train()
        for _ in range(epochs):
            logp = token_logprobs(policy, seq, start)
            ratio = torch.exp(logp - old_logp)
            obj = torch.min(ratio * adv, ratio.clamp(1 - clip, 1 + clip) * adv)
            loss = -(obj * mask).sum() / mask.sum()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
            opt.step()
        texts = [bpe.decode([int(i) for i in row[1:int(n)] if int(i) not in (eos, pad)])
                 for row, n in zip(seq, lengths)]
        true = sum(human_score(t) for t in texts) / len(texts)
        kl = kl_tok.sum(1).mean().item()
        history.append((it, score.mean().item(), kl, true))
        log(f"  ppo step {it:3d}  reward {score.mean().item():+.3f}  KL {kl:.3f}  "
            f"rater score {true:+.2f}  | {texts[0]}")
    return history


def plot(history, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    it = [h[0] for h in history]
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    a.plot(it, [h[1] for h in history], label="reward model")
    a.plot(it, [h[3] for h in history], label="rater score")
    a.set_xlabel("PPO step")
    a.set_title("reward")
    a.legend()
    b.plot(it, [h[2] for h in history], color="tab:red")
    b.set_xlabel("PPO step")
    b.set_title("KL(policy || initial LM)")
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--pretrain-steps", type=int, default=200)
    ap.add_argument("--rm-steps", type=int, default=80)
    ap.add_argument("--ppo-steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    t0 = time.time()

    def log(msg):
        print(f"[{time.time() - t0:6.1f}s] {msg}", flush=True)

    texts = corpus(4000)
    bpe = BPE.train(texts, vocab_size=160, special_tokens=SPECIALS)
    log(f"stage 0: BPE vocabulary {len(bpe.vocab)} tokens, {len(bpe.merges)} merges; "
        f"'{texts[0]}' -> {bpe.tokenize(texts[0])}")

    log("stage 1: pretraining the language model")
    lm = TinyLM(len(bpe.vocab))
    pretrain(lm, bpe, texts, args.pretrain_steps, args.batch, 3e-3, log)

    log("stage 2: training the reward model on preference pairs")
    rm = RewardModel(lm)
    train_reward_model(rm, bpe, texts, args.rm_steps, args.batch, 1e-3, log)
    rm.eval()
    for p in rm.parameters():
        p.requires_grad_(False)

    log(f"stage 3: PPO against reward - {args.beta} * KL to the initial model")
    ref = copy.deepcopy(lm).eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    history = ppo(lm, ref, rm, bpe, args.ppo_steps, args.batch, 8, args.beta, 1e-4, log)
    first, last = history[:5], history[-5:]
    mean = lambda rows, k: sum(r[k] for r in rows) / len(rows)  # noqa: E731
    log(f"reward {mean(first, 1):+.3f} -> {mean(last, 1):+.3f}, rater score "
        f"{mean(first, 3):+.2f} -> {mean(last, 3):+.2f}, KL {mean(last, 2):.3f}")
    path = plot(history, os.path.join(args.out, "rlhf.png"))
    if path:
        log(f"plot written to {path}")


if __name__ == "__main__":
    main()
