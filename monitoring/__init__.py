"""Sentinella: real-time crisis monitoring for social customer care teams."""

from __future__ import annotations

__version__ = "0.1.0"
