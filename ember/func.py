"""torch.func, as far as ember goes: ``functional_call`` (no vmap or function transforms)."""
from .nn.utils.stateless import func_functional_call as functional_call

__all__ = ["functional_call"]
