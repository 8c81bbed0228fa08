"""A tiny GPT-style language model and a reward model built from it (plain torch code)."""
import copy

import torch
from torch import nn


class TinyLM(nn.Module):
    """Token + position embeddings, a causal TransformerEncoder, a vocabulary head."""

    def __init__(self, vocab_size, d_model=64, nhead=4, num_layers=2, max_len=32):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, d_model)
        self.pos = nn.Embedding(max_len, d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=4 * d_model,
                                           dropout=0.0, batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def hidden(self, ids):
        """(batch, time) token ids -> (batch, time, d_model); position t sees tokens <= t."""
        T = ids.shape[1]
        pos = torch.arange(T).unsqueeze(0)
        mask = nn.Transformer.generate_square_subsequent_mask(T)
        h = self.body(self.tok(ids) + self.pos(pos), mask=mask, is_causal=True)
        return self.norm(h)

    def forward(self, ids):
        return self.head(self.hidden(ids))  # next-token logits


class RewardModel(nn.Module):
    """The pretrained LM's body with a scalar head read at the last real token."""

    def __init__(self, lm):
        super().__init__()
        self.lm = copy.deepcopy(lm)
        self.score = nn.Linear(self.lm.head.in_features, 1)

    def forward(self, ids, lengths):
        h = self.lm.hidden(ids)
        last = h[torch.arange(ids.shape[0]), lengths - 1]
        return self.score(last).squeeze(-1)


@torch.no_grad()
def generate(lm, prompt_ids, new_tokens, eos_id, pad_id):
    """Sample continuations; everything after an end-of-sequence token becomes padding."""
    ids = prompt_ids
    done = torch.zeros(ids.shape[0], dtype=torch.bool)
    for _ in range(new_tokens):
        logits = lm(ids)[:, -1]
        nxt = torch.multinomial(torch.softmax(logits, -1), 1).squeeze(1)
        nxt = torch.where(done, torch.full_like(nxt, pad_id), nxt)
        done = done | (nxt == eos_id)
        ids = torch.cat([ids, nxt.unsqueeze(1)], 1)
    return ids


def token_logprobs(lm, ids, start):
    """log p(ids[:, t] | ids[:, :t]) for t >= start: (batch, time - start)."""
    logp = torch.log_softmax(lm(ids[:, :-1]), -1)
    taken = logp.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    return taken[:, start - 1:]
