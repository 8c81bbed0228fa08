"""The toy world of the example: short reviews, and a "human" who likes positive ones.

Sentences look like ``the movie was great but a bit long .``; the pretraining corpus
mixes positive, negative and neutral reviews evenly.  The preference labeler stands in
for human raters: it prefers the text with more positive and fewer negative words, a
property the reward model has to discover from comparisons alone.
"""
import random

SUBJECTS = ["the movie", "the food", "the hotel", "the book", "the game", "the service",
            "the room", "the show"]
VERBS = ["was", "is", "seemed", "felt"]
POSITIVE = ["good", "great", "wonderful", "lovely", "excellent", "fun", "nice"]
NEGATIVE = ["bad", "boring", "awful", "terrible", "dull", "poor", "sad"]
NEUTRAL = ["long", "short", "loud", "quiet", "new", "old", "big"]
ADVERBS = ["", "", "very", "really", "a bit", "quite"]
ENDINGS = [".", ".", "today .", "again .", "overall ."]


def sentence(rng, mood=None):
    """One review; ``mood`` in {'pos', 'neg', 'neu'} (random when None)."""
    mood = mood or rng.choice(["pos", "neg", "neu"])
    pool = {"pos": POSITIVE, "neg": NEGATIVE, "neu": NEUTRAL}[mood]
    words = [rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(ADVERBS), rng.choice(pool)]
    if rng.random() < 0.5:
        second = rng.choice([POSITIVE, NEGATIVE, NEUTRAL]) if rng.random() < 0.3 else pool
        words += [rng.choice(["and", "but"]), rng.choice(ADVERBS), rng.choice(second)]
    words.append(rng.choice(ENDINGS))
    return " ".join(w for w in words if w)


def corpus(n, seed=0):
    rng = random.Random(seed)
    return [sentence(rng) for _ in range(n)]


def prompts(n, rng):
    """Review openings the policy has to complete: 'the food was'."""
    return [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)}" for _ in range(n)]


def human_score(text):
    """The rater's taste: positive words count up, negative words count down."""
    words = text.replace(".", " ").split()
    return sum(w in POSITIVE for w in words) - sum(w in NEGATIVE for w in words)
