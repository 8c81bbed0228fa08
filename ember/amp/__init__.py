"""torch.amp: mixed precision.  ember has no GPU, so CUDA autocast and gradient
scaling switch themselves off with PyTorch's warnings; ``GradScaler("cpu")`` works."""
from .autocast_mode import autocast, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_available"]
