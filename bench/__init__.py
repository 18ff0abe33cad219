"""Benchmarks: each prints its measurement and the ratio to its anchor.

Run one with ``python -m bench.<name>`` (``--quick`` for a smaller run); ``make bench`` runs all.
"""
