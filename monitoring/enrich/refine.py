"""Refinement of the rules' labels by models trained on the team's corrections.

``python -m monitoring train`` writes one model file per field next to the database
(:func:`monitoring.labels.train`); :class:`Refiner` applies them during enrichment.
scikit-learn is imported only when a model file exists.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitoring.enrich.learned import TextModel

__all__ = ["MIN_CONFIDENCE", "REFINED_FIELDS", "Refiner"]

_log = logging.getLogger(__name__)
# What reading a truncated, foreign or outdated pickle raises.
_BAD_MODEL_FILE = (OSError, ValueError, EOFError, KeyError, AttributeError, ImportError,
                   TypeError, pickle.UnpicklingError)


#: Fields a learned model can refine, in the order the pipeline applies them.
REFINED_FIELDS = ("sentiment", "category", "department")
#: Probability the learned model needs before its label replaces the rules' one.
MIN_CONFIDENCE = 0.6


class Refiner:
    """Models trained on the team's labels (``python -m monitoring train``), by field.

    Each ``model_<field>.joblib`` in ``models_dir`` is loaded when present and reloaded
    when the file changes; a missing folder or file means the rules alone decide, and an
    unreadable file is logged and ignored (the monitor never stops for it).  A learned
    label replaces the rules' label only with probability ``min_confidence`` or more.

    Parameters
    ----------
    models_dir : Path or None
        Folder of the model files (``None``: no refinement).
    min_confidence : float
        See :data:`MIN_CONFIDENCE`.

    Examples
    --------
    >>> Refiner(None).refine("category", ["any text"], ["request"])
    ['request']
    """

    def __init__(self, models_dir: Path | str | None, min_confidence: float = MIN_CONFIDENCE):
        self.models_dir = Path(models_dir) if models_dir is not None else None
        self.min_confidence = min_confidence
        self._models: dict[str, tuple[float, object]] = {}

    def model(self, field: str) -> TextModel | None:
        """The current model of ``field``, or ``None``."""
        from monitoring.enrich.learned import TextModel

        if self.models_dir is None:
            return None
        path = self.models_dir / f"model_{field}.joblib"
        try:
            mtime = path.stat().st_mtime
        except OSError:
            self._models.pop(field, None)
            return None
        cached = self._models.get(field)
        if cached is None or cached[0] != mtime:
            try:
                cached = (mtime, TextModel.load(path))
            except _BAD_MODEL_FILE as exc:  # a bad file must not stop the monitor
                _log.warning("ignoring the learned model %s: %s", path, exc)
                cached = (mtime, None)
            self._models[field] = cached
        return cached[1]

    def refine(self, field: str, texts: Sequence[str], values: Sequence) -> list:
        """``values`` with the learned label wherever the model is confident enough."""
        model = self.model(field)
        out = list(values)
        if model is None or not len(texts):
            return out
        classes, probs = model.predict_proba(list(texts))
        best = probs.argmax(axis=1)
        for i, (k, p) in enumerate(zip(best, probs.max(axis=1))):
            if p >= self.min_confidence:
                out[i] = classes[k]
        return out
