"""Benchmarks behind ``python -m monitoring bench``: one module per benchmark.

Each benchmark prints one JSON line per result with ``name``, ``value``, ``unit`` and the
comparison measured in the same run (a target, a baseline, or both), so results can be
collected by machines and compared between runs.

Examples
--------
>>> import io
>>> out = io.StringIO()
>>> Reporter(out).emit("refresh_p95", 12.3456, "ms", target=50)
>>> out.getvalue()
'{"name": "refresh_p95", "value": 12.346, "unit": "ms", "target": 50}\\n'
>>> percentile([1, 2, 3, 4, 100], 50), round(percentile([1, 2, 3, 4, 100], 95), 1)
(3.0, 80.8)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["Reporter", "percentile"]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (linear interpolation, as ``numpy.percentile``)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


class Reporter:
    """Print benchmark results as JSON lines (and keep them, for tests and callers).

    Parameters
    ----------
    out : TextIO
        Where the lines go (default standard output).
    """

    def __init__(self, out: TextIO | None = None):
        self.out = out or sys.stdout
        self.results: list[dict[str, Any]] = []

    def emit(self, name: str, value: float, unit: str, **extra: Any) -> None:
        row = {"name": name, "value": round(value, 3) if isinstance(value, float) else value,
               "unit": unit, **extra}
        self.results.append(row)
        print(json.dumps(row, default=str), file=self.out, flush=True)
