"""Internals of the DataLoader: collation and the worker loop."""
