"""ember.text.BPE: the notes' example, merges vs the `tokenizers` package, encode/decode."""
import json
import random
import re
from collections import Counter

import pytest

from ember.text import BPE

NOTE_CORPUS = {"l o w </w>": 5, "l o w e r </w>": 2, "n e w e s t </w>": 6,
               "w i d e s t </w>": 3}


def reference_merges(word_counts, n_merges, eow="</w>", separate=True):
    """Textbook BPE: recount every pair after every merge; stop at the first tie at the top
    (returns the merges made before it)."""
    words = {}
    for w, c in word_counts.items():
        syms = list(w) + [eow] if separate else list(w[:-1]) + [w[-1] + eow]
        words[tuple(syms)] = words.get(tuple(syms), 0) + c
    merges = []
    for _ in range(n_merges):
        pairs = Counter()
        for syms, c in words.items():
            for p in zip(syms, syms[1:]):
                pairs[p] += c
        if not pairs:
            break
        ranked = pairs.most_common(2)
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            break
        (a, b), count = ranked[0]
        if count < 2:
            break
        merges.append((a, b))
        new = {}
        for syms, c in words.items():
            out, i = [], 0
            while i < len(syms):
                if i < len(syms) - 1 and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            new[tuple(out)] = new.get(tuple(out), 0) + c
        words = new
    return merges


def test_note_example_merges():
    bpe = BPE.train(NOTE_CORPUS, vocab_size=1000)
    assert bpe.merges[:3] == [("e", "s"), ("es", "t"), ("est", "</w>")]
    assert {"es", "est", "est</w>"} <= set(bpe.vocab)
    # the notes' stopping rule: no pair left that occurs more than once
    assert bpe.merges[-1] == ("lower", "</w>")
    bpe2 = BPE.train(NOTE_CORPUS, vocab_size=1 + 11 + 3)  # <unk>, 10 letters and </w>
    assert bpe2.merges == bpe.merges[:3]


def test_note_encode_decode_examples():
    vocab = ["<unk>", "errrr</w>", "tain</w>", "moun", "est</w>", "high", "the</w>", "a</w>"]
    bpe = BPE({t: i for i, t in enumerate(vocab)}, [])
    assert bpe.tokenize("mountain", mode="greedy") == ["moun", "tain</w>"]
    assert bpe.decode_words(["moun", "tain</w>", "high", "the</w>"]) == \
        ["mountain</w>", "highthe</w>"]
    ids = [bpe.vocab[t] for t in ["moun", "tain</w>", "high", "the</w>"]]
    assert bpe.decode(ids) == "mountain highthe"
    assert bpe.tokenize("xyz", mode="greedy") == ["<unk>"]
    assert bpe.tokenize("mountainx", mode="greedy") == ["moun", "<unk>"]


def _corpus(seed, n_words=300, alphabet="abcdefgh"):
    rng = random.Random(seed)
    words = {}
    while len(words) < n_words:
        w = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 7)))
        words[w] = rng.randint(1, 10_000)  # wide range: top pair counts rarely tie
    return words


def _hf_merges(word_counts, vocab_size, attached):
    tokenizers = pytest.importorskip("tokenizers")
    from tokenizers import models, pre_tokenizers, trainers
    tok = tokenizers.Tokenizer(models.BPE(unk_token="<unk>", end_of_word_suffix="</w>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=2,
                                  special_tokens=["<unk>"], end_of_word_suffix="</w>",
                                  show_progress=False)
    texts = (" ".join([w] * c) for w, c in word_counts.items())
    tok.train_from_iterator(texts, trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_merges_match_tokenizers_package(seed):
    words = _corpus(seed)
    ref = reference_merges(words, 200, separate=False)  # the tie-free prefix
    assert len(ref) >= 20
    alphabet = set("".join(words)) | {w[-1] + "</w>" for w in words}
    vocab_size = 1 + len(alphabet) + len(ref)
    ours = BPE.train(words, vocab_size, separate_end_of_word=False)
    theirs = _hf_merges(words, vocab_size, attached=True)
    assert ours.merges == ref
    assert theirs[:len(ref)] == ref


def test_merges_match_reference_separate_symbol():
    words = _corpus(5)
    ref = reference_merges(words, 200)
    assert len(ref) >= 20
    ours = BPE.train(words, 1 + len(set("".join(words))) + 1 + len(ref))
    assert ours.merges == ref


def test_text_input_and_iterator_and_round_trip(tmp_path):
    text = ("the quick brown fox jumps over the lazy dog. the dog sleeps; the fox runs! "
            "quick quick brown dogs and lazy foxes jump over other dogs") * 3
    bpe = BPE.train(iter(text.split(" ")), vocab_size=80)
    assert BPE.train(text, vocab_size=80).merges == bpe.merges
    ids = bpe.encode(text)
    assert all(isinstance(i, int) for i in ids)
    again = bpe.decode(ids)
    assert again.split() == re.findall(r"\w+|[^\w\s]+", text)
    assert bpe.encode(again) == ids  # encode(decode(x)) == x
    for mode in ("merges", "greedy"):
        toks = bpe.tokenize("the lazy fox", mode=mode)
        assert "".join(toks).replace("</w>", " ").split() == ["the", "lazy", "fox"]
    path = tmp_path / "bpe.json"
    bpe.save(path)
    loaded = BPE.load(path)
    assert loaded.merges == bpe.merges and loaded.vocab == bpe.vocab
    assert loaded.encode(text) == ids


def test_merge_order_is_rank_order():
    # merges learned later must not apply before earlier ones
    bpe = BPE({"<unk>": 0, "a": 1, "b": 2, "c": 3, "</w>": 4, "bc": 5, "ab": 6, "abc": 7},
              [("b", "c"), ("a", "b")])
    assert bpe.tokenize("abc") == ["a", "bc", "</w>"]
    bpe2 = BPE(bpe.vocab, [("a", "b"), ("b", "c")])
    assert bpe2.tokenize("abc") == ["ab", "c", "</w>"]


def test_unknown_policy():
    bpe = BPE.train("aaa bbb aab", vocab_size=20)
    unk = bpe.vocab["<unk>"]
    assert unk in bpe.encode("abz")
    assert bpe.vocab["</w>"] in bpe.encode("abz", on_unknown="skip")
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        bpe.encode("abz", on_unknown="error")
    with pytest.raises(ValueError, match="on_unknown must be one of 'unk', 'error', 'skip'"):
        bpe.encode("ab", on_unknown="ignore")
    with pytest.raises(ValueError, match="mode must be 'merges' or 'greedy'"):
        bpe.encode("ab", mode="fast")
    no_unk = BPE.train("aaa bbb aab", vocab_size=20, special_tokens=[])
    with pytest.raises(ValueError, match="no unk token"):
        no_unk.encode("z")


def test_byte_level_never_unknown_and_exact():
    text = "Hello world, hello there!\n  héllo — 你好,世界 🙂"
    bpe = BPE.train(text, vocab_size=300, byte_level=True)
    assert len(bpe.vocab) >= 257
    other = "zebra ☃ Ωmega 北京"
    ids = bpe.encode(other, on_unknown="error")
    assert bpe.decode(ids) == other
    assert bpe.decode(bpe.encode(text)) == text


def test_chinese_characters_as_alphabet():
    text = "我爱北京天安门 我爱中国 北京欢迎你 我爱北京 天安门上太阳升"
    bpe = BPE.train(text, vocab_size=60)
    assert ("我", "爱") in bpe.merges and ("北", "京") in bpe.merges
    assert ("我爱", "北京") in bpe.merges
    assert bpe.tokenize("我爱北京") == ["我爱北京", "</w>"]
    assert bpe.decode(bpe.encode("北京欢迎你")) == "北京欢迎你"
    assert bpe.tokenize("上海") == ["上", "海", "</w>"]
    assert bpe.encode("上海")[1] == bpe.vocab["<unk>"]


def test_incremental_counts_on_larger_corpus():
    # the incremental trainer agrees with recounting on a corpus with many shared pairs
    words = _corpus(11, n_words=800, alphabet="abcde")
    ref = reference_merges(words, 300)
    ours = BPE.train(words, 1 + 5 + 1 + len(ref))
    assert ours.merges == ref
