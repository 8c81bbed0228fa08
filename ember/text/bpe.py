"""Byte-pair encoding, as the notes describe it.

Vocabulary building: split every word of the corpus into characters, mark the end
of each word with ``</w>``, then repeatedly merge the most frequent adjacent pair
of symbols into a new symbol until the vocabulary has ``vocab_size`` entries or
no pair occurs ``min_frequency`` times.  Ties go to the pair met first when
reading the corpus (words in order of first appearance, left to right).

Training keeps pair counts up to date incrementally: a merge only revisits the
words that contain the merged pair (an index from pair to words), and a heap
with lazy deletion finds the next best pair, so the corpus is never recounted.

Encoding applies the learned merges to each word in the order they were learned
(``encode``), or, as the notes' second method, matches the longest vocabulary
entries greedily (``encode(..., mode="greedy")``).  ``byte_level=True`` works on
the UTF-8 bytes of the text (shown as printable characters, GPT-2 style), so no
input is ever unknown; otherwise the characters seen in training (Chinese
characters included) are the base alphabet.
"""
import heapq
import json
import re
from collections import Counter

__all__ = ["BPE"]

_WORD_RE = re.compile(r"\w+|[^\w\s]+")
# byte level keeps every character: words carry their leading space, so decoding is exact
_BYTE_WORD_RE = re.compile(r" ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+|_+")
_ON_UNKNOWN = ("unk", "error", "skip")


def _bytes_to_unicode():
    """Printable stand-ins for the 256 byte values (printable bytes stand for themselves)."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars, extra = {}, 0
    for b in range(256):
        if b in keep:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return chars


_B2U = _bytes_to_unicode()
_U2B = {c: b for b, c in _B2U.items()}


class BPE:
    """A trained byte-pair encoder: ``merges`` (list of pairs, in rank order) and ``vocab``
    (token -> id).  Build one with :meth:`BPE.train` or :meth:`BPE.load`."""

    def __init__(self, vocab, merges, end_of_word="</w>", separate_end_of_word=True,
                 byte_level=False, special_tokens=("<unk>",), unk_token="<unk>"):
        self.vocab = dict(vocab)
        self.merges = [tuple(m) for m in merges]
        self.end_of_word = end_of_word or ""
        self.separate_end_of_word = separate_end_of_word
        self.byte_level = byte_level
        self.special_tokens = list(special_tokens)
        self.unk_token = unk_token if unk_token in self.vocab else None
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self._ranks = {m: i for i, m in enumerate(self.merges)}
        self._cache = {}
        self._by_length = None

    # --- training -----------------------------------------------------------------------
    @classmethod
    def train(cls, corpus, vocab_size, min_frequency=2, end_of_word="</w>",
              special_tokens=("<unk>",), separate_end_of_word=True, byte_level=False,
              unk_token="<unk>"):
        """Learn merges from ``corpus``: a text, an iterable of texts, or a mapping
        ``{word: count}`` (a word may be given already split, as in ``'l o w </w>'``).

        ``separate_end_of_word``: ``</w>`` is a symbol of its own (as in the notes); with
        False it is glued to the word's last character (as the ``tokenizers`` package does).
        """
        if vocab_size <= 0:
            raise ValueError(f"vocab_size must be positive, got {vocab_size}")
        self = cls({}, [], end_of_word, separate_end_of_word, byte_level, special_tokens,
                   unk_token)
        word_counts = self._count_words(corpus)
        words, freqs = [], []
        for word, n in word_counts.items():  # dicts keep first-appearance order
            words.append(word)
            freqs.append(n)
        alphabet = sorted({s for w in words for s in w})
        if byte_level:
            alphabet = sorted(set(alphabet) | set(_B2U.values()), key=lambda c: _U2B.get(c, 256))
        vocab = {}
        for tok in list(special_tokens) + alphabet:
            vocab.setdefault(tok, len(vocab))
        symbols = list(vocab)  # symbol id -> string; words become lists of symbol ids
        ids = [[vocab[s] for s in w] for w in words]
        merges = _learn_merges(ids, freqs, symbols, vocab, vocab_size, min_frequency)
        self.__init__(vocab, merges, end_of_word, separate_end_of_word, byte_level,
                      special_tokens, unk_token)
        return self

    def _count_words(self, corpus):
        """{word as a tuple of base symbols: count}, in order of first appearance."""
        if isinstance(corpus, str):
            corpus = [corpus]
        counts = {}
        if isinstance(corpus, dict):
            for word, n in corpus.items():
                key = self._presplit(word)
                counts[key] = counts.get(key, 0) + n
            return counts
        for text in corpus:
            for word, n in Counter(self._pretokenize(text)).items():
                key = self._symbols(word)
                counts[key] = counts.get(key, 0) + n
        return counts

    def _presplit(self, word):
        """A mapping key: 'l o w </w>' (already split) or a plain word."""
        if " " in word.strip():
            parts = word.split()
            if self.end_of_word and not self.separate_end_of_word and \
                    parts[-1] == self.end_of_word:
                parts = parts[:-2] + [parts[-2] + parts[-1]]
            return tuple(parts)
        return self._symbols(word)

    def _pretokenize(self, text):
        if self.byte_level:
            return _BYTE_WORD_RE.findall(text)
        return _WORD_RE.findall(text)

    def _symbols(self, word):
        """A word's base symbols, with the end-of-word mark."""
        chars = [_B2U[b] for b in word.encode("utf-8")] if self.byte_level else list(word)
        eow = self.end_of_word
        if eow:
            if self.separate_end_of_word:
                chars.append(eow)
            else:
                chars[-1] += eow
        return tuple(chars)

    # --- encoding ------------------------------------------------------------------------
    def tokenize(self, text, mode="merges"):
        """The subword strings of ``text``."""
        if mode not in ("merges", "greedy"):
            raise ValueError(f"mode must be 'merges' or 'greedy', got {mode!r}")
        out = []
        split = self._apply_merges if mode == "merges" else self._greedy
        for word in self._pretokenize(text):
            out.extend(split(word))
        return out

    def encode(self, text, mode="merges", on_unknown="unk"):
        """Token ids of ``text``.  ``on_unknown``: 'unk' (use the unk token), 'error' or
        'skip', for symbols outside the vocabulary (never happens with byte_level)."""
        if on_unknown not in _ON_UNKNOWN:
            raise ValueError(f"on_unknown must be one of {', '.join(map(repr, _ON_UNKNOWN))}; "
                             f"got {on_unknown!r}")
        vocab, ids = self.vocab, []
        for tok in self.tokenize(text, mode):
            i = vocab.get(tok)
            if i is not None:
                ids.append(i)
            elif on_unknown == "unk":
                if self.unk_token is None:
                    raise ValueError(f"{tok!r} is not in the vocabulary and this BPE has no "
                                     "unk token; pass on_unknown='skip' or 'error', or train "
                                     "with unk_token set or byte_level=True")
                ids.append(vocab[self.unk_token])
            elif on_unknown == "error":
                raise KeyError(f"{tok!r} is not in the vocabulary (train with byte_level=True "
                               "to encode any text)")
        return ids

    def _apply_merges(self, word):
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        syms = list(self._symbols(word))
        ranks = self._ranks
        while len(syms) > 1:
            best, best_rank = None, None
            for pair in zip(syms, syms[1:]):
                r = ranks.get(pair)
                if r is not None and (best_rank is None or r < best_rank):
                    best, best_rank = pair, r
            if best is None:
                break
            a, b = best
            merged, i, n = [], 0, len(syms)
            while i < n:
                if i < n - 1 and syms[i] == a and syms[i + 1] == b:
                    merged.append(a + b)
                    i += 2
                else:
                    merged.append(syms[i])
                    i += 1
            syms = merged
        if len(self._cache) < 100_000:
            self._cache[word] = syms
        return syms

    def _greedy(self, word):
        """The notes' method: the longest vocabulary entry found in the word is taken,
        and what lies left and right of it is split the same way."""
        if self._by_length is None:
            specials = set(self.special_tokens)
            self._by_length = sorted((t for t in self.vocab if t not in specials),
                                     key=len, reverse=True)
        return self._greedy_split("".join(self._symbols(word)))

    def _greedy_split(self, s):
        if not s:
            return []
        for tok in self._by_length:
            if len(tok) <= len(s):
                i = s.find(tok)
                if i >= 0:
                    return self._greedy_split(s[:i]) + [tok] + \
                        self._greedy_split(s[i + len(tok):])
        return [self.unk_token or s]

    # --- decoding ------------------------------------------------------------------------
    def decode_words(self, tokens):
        """Join subwords up to each end-of-word mark: ['moun', 'tain</w>'] -> ['mountain</w>']."""
        eow, words, cur = self.end_of_word, [], ""
        for t in tokens:
            cur += t
            if eow and cur.endswith(eow):
                words.append(cur)
                cur = ""
        if cur:
            words.append(cur)
        return words

    def decode(self, ids):
        """Text of token ids: words joined by spaces (byte level: the exact text)."""
        specials = set(self.special_tokens)
        tokens = [self.id_to_token[int(i)] for i in ids]
        if self.byte_level:
            text = "".join(t for t in tokens if t not in specials)
            if self.end_of_word:
                text = text.replace(self.end_of_word, "")
            return bytes(_U2B[c] for c in text if c in _U2B).decode("utf-8", errors="replace")
        eow = self.end_of_word
        out = []
        for w in self.decode_words(tokens):
            out.append(w[:-len(eow)] if eow and w.endswith(eow) else w)
        return " ".join(out)

    # --- persistence ----------------------------------------------------------------------
    def to_dict(self):
        return {"type": "BPE", "version": 1, "end_of_word": self.end_of_word,
                "separate_end_of_word": self.separate_end_of_word,
                "byte_level": self.byte_level, "special_tokens": self.special_tokens,
                "unk_token": self.unk_token, "vocab": self.vocab,
                "merges": [list(m) for m in self.merges]}

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_dict(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
        if d.get("type") != "BPE":
            raise ValueError(f"{path} does not hold an ember BPE model")
        return cls(d["vocab"], d["merges"], d["end_of_word"], d["separate_end_of_word"],
                   d["byte_level"], d["special_tokens"], d["unk_token"] or None)

    def __len__(self):
        return len(self.vocab)

    def __repr__(self):
        return (f"BPE(vocab_size={len(self.vocab)}, merges={len(self.merges)}, "
                f"end_of_word={self.end_of_word!r}, byte_level={self.byte_level})")


def _learn_merges(words, freqs, symbols, vocab, vocab_size, min_frequency):
    """Merge loop over words given as lists of symbol ids (modified in place)."""
    counts, where = {}, {}
    for w, (word, f) in enumerate(zip(words, freqs)):
        for p in zip(word, word[1:]):
            counts[p] = counts.get(p, 0) + f
            s = where.get(p)
            if s is None:
                where[p] = s = set()
            s.add(w)
    first = {p: min(s) for p, s in where.items()}
    heap = [(-c, first[p], p) for p, c in counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size and heap:
        pair = _pop_best(heap, counts, first, words)
        if pair is None or counts[pair] < max(min_frequency, 1):
            break
        a, b = pair
        tok = symbols[a] + symbols[b]
        merges.append((symbols[a], symbols[b]))
        new = vocab.get(tok)
        if new is None:
            new = vocab[tok] = len(vocab)
        while len(symbols) <= new:
            symbols.append(None)
        symbols[new] = tok
        touched = set()
        for w in sorted(where.pop(pair)):
            _merge_word(words, w, a, b, new, freqs[w], counts, where, touched)
        counts.pop(pair, None)
        first.pop(pair, None)
        for p in touched:
            c = counts.get(p, 0)
            s = where.get(p)
            if c <= 0 or not s:
                counts.pop(p, None)
                where.pop(p, None)
                first.pop(p, None)
                continue
            f = first.get(p)
            if f is None or f not in s:
                f = min(s)
            first[p] = f
            heapq.heappush(heap, (-c, f, p))
    return merges


def _merge_word(words, w, a, b, new, f, counts, where, touched):
    old = words[w]
    out, i, n = [], 0, len(old)
    while i < n:
        if i < n - 1 and old[i] == a and old[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(old[i])
            i += 1
    words[w] = out
    before = Counter(zip(old, old[1:]))
    after = Counter(zip(out, out[1:]))
    for p, k in before.items():
        if p != (a, b):
            counts[p] -= k * f
            touched.add(p)
            if p not in after:
                s = where.get(p)
                if s is not None:
                    s.discard(w)
    for p, k in after.items():
        counts[p] = counts.get(p, 0) + k * f
        touched.add(p)
        s = where.get(p)
        if s is None:
            where[p] = s = set()
        s.add(w)
    # a word's first occurrence moves only within this word; a new first word is min(...)


def _pop_best(heap, counts, first, words):
    """The most frequent pair; among equals, the one met first in the corpus."""
    while heap:
        negc, f, p = heap[0]
        if counts.get(p) != -negc or first.get(p) != f:
            heapq.heappop(heap)  # stale entry
            continue
        # pairs tied on count and first word: the leftmost in that word wins
        tied = []
        while heap and heap[0][0] == negc and heap[0][1] == f:
            e = heapq.heappop(heap)
            if counts.get(e[2]) == -negc and first.get(e[2]) == f:
                tied.append(e)
        if len(tied) > 1:
            word = words[f]
            pos = {}
            for i, q in enumerate(zip(word, word[1:])):
                pos.setdefault(q, i)
            tied.sort(key=lambda e: pos.get(e[2], len(word)))
        for e in tied[1:]:
            heapq.heappush(heap, e)
        return tied[0][2]
    return None
