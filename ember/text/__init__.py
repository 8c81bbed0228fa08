"""ember.text: text tokenization (a byte-pair encoder)."""
from .bpe import BPE

__all__ = ["BPE"]
