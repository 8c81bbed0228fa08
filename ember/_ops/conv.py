"""Convolution and pooling lowered onto matrix products (im2col)."""
__all__ = []
