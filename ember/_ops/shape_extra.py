"""More shape ops: flip, roll, repeat, tile, repeat_interleave, tril/triu, meshgrid, diag."""
__all__ = []
