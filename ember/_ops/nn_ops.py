"""Neural-network ops (softmax, losses, norms, dropout, embedding, pad...)."""
__all__ = []
