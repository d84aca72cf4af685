"""Evaluation commands (``python -m monitoring evaluate ...``) on data given by path."""
