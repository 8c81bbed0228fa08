"""Sorting and selection: sort, argsort, topk, unique, median, mode, kthvalue, bincount."""
__all__ = []
