"""A light, learnable text classifier (scikit-learn), for any set of string labels.

:class:`TextModel` is TF-IDF over word 1-2 grams and character 2-5 grams (sublinear tf),
optionally with the rule-based sentiment scores appended as three features, feeding a
class-balanced logistic regression.  It trains in seconds on a few thousand posts on one
core.  Saved models carry a version tag; :meth:`TextModel.load` refuses other versions.

Model files are pickles: load only files you wrote yourself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from monitoring.enrich.sentiment import bound_text

__all__ = ["MODEL_VERSION", "TextModel", "cross_val_predict", "preprocess"]

#: Version tag stored with saved models; bump it when the feature pipeline changes.
MODEL_VERSION = "sentinella-textmodel/1"

_URL = re.compile(r"https?://\S{0,2000}|www\.\S{0,2000}")
_USER = re.compile(r"@\w{1,50}")
_DIGITS = re.compile(r"\d+")


def preprocess(text: str) -> str:
    """Bound a text and replace URLs, user names and numbers with placeholders.

    >>> preprocess("@acme 3 hours late! https://x.co/abc")
    '@user 0 hours late! http'
    """
    text = bound_text(text)
    text = _URL.sub("http", text)
    text = _USER.sub("@user", text)
    return _DIGITS.sub("0", text)


class RuleSentimentFeatures(BaseEstimator, TransformerMixin):
    """The rule-based ``compound``, ``pos`` and ``neg`` scores as features (times ``weight``).

    Each text's language is detected to choose the analyzer.
    """

    def __init__(self, weight: float = 1.0):
        self.weight = weight

    def fit(self, texts, labels=None):
        return self

    def transform(self, texts):
        from monitoring.enrich.language import detect_languages
        from monitoring.enrich.sentiment import _analyzer

        texts = list(texts)
        rows = np.zeros((len(texts), 3))
        for i, (text, lang) in enumerate(zip(texts, detect_languages(texts))):
            s = _analyzer("it" if lang == "it" else "en").polarity_scores(text)
            rows[i] = (s["compound"], s["pos"], s["neg"])
        return sp.csr_matrix(rows * self.weight)


class TextModel:
    """Text classifier: TF-IDF words + characters (+ rule sentiment) -> logistic regression.

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    sentiment_features : bool
        Append the rule-based sentiment scores to the text features.
    class_weight : str or None
        ``"balanced"`` (default) weighs classes inversely to their frequency.
    max_features : int
        Cap on the character n-gram vocabulary.

    Examples
    --------
    >>> texts = ["my bill is wrong", "wrong bill again", "thanks, great service",
    ...          "great app, thanks", "where is my bill", "the service was great"]
    >>> labels = ["complaint", "complaint", "praise", "praise", "complaint", "praise"]
    >>> model = TextModel().fit(texts, labels)
    >>> model.predict(["the bill is wrong", "thanks, great"])
    ['complaint', 'praise']
    >>> classes, probs = model.predict_proba(["great"])
    >>> classes, probs.shape
    (['complaint', 'praise'], (1, 2))
    """

    def __init__(
        self,
        C: float = 4.0,
        sentiment_features: bool = True,
        class_weight: str | None = "balanced",
        max_features: int = 300_000,
    ):
        self.C = C
        self.sentiment_features = sentiment_features
        self.class_weight = class_weight
        self.max_features = max_features
        self.pipeline_: Pipeline | None = None

    def _build(self) -> Pipeline:
        parts = [
            ("word", TfidfVectorizer(
                preprocessor=preprocess, ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                token_pattern=r"(?u)\b\w+\b|[^\w\s]", lowercase=True, dtype=np.float32,
            )),
            ("char", TfidfVectorizer(
                preprocessor=preprocess, analyzer="char_wb", ngram_range=(2, 5),
                sublinear_tf=True, min_df=2, max_features=self.max_features, lowercase=True,
                dtype=np.float32,
            )),
        ]
        if self.sentiment_features:
            parts.append(("rules", RuleSentimentFeatures()))
        return Pipeline([
            ("features", FeatureUnion(parts)),
            ("clf", LogisticRegression(C=self.C, max_iter=3000, class_weight=self.class_weight)),
        ])

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextModel:
        """Fit on texts and their labels (any strings; at least two distinct)."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        labels = [str(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if len(set(labels)) < 2:
            raise ValueError("TextModel needs at least two distinct labels to learn from")
        self.pipeline_ = self._build().fit(texts, labels)
        return self

    def _fitted(self) -> Pipeline:
        if self.pipeline_ is None:
            raise RuntimeError("TextModel is not fitted: call fit() or load() first")
        return self.pipeline_

    @property
    def classes(self) -> list[str]:
        """The labels the model knows, in the column order of :meth:`predict_proba`."""
        return [str(c) for c in self._fitted().classes_]

    def predict(self, texts: Sequence[str]) -> list[str]:
        """Most probable label of each text."""
        if not len(texts):
            return []
        return [str(p) for p in self._fitted().predict(list(texts))]

    def predict_proba(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """``(classes, probabilities)`` with one row per text and one column per class."""
        if not len(texts):
            return self.classes, np.zeros((0, len(self.classes)))
        return self.classes, self._fitted().predict_proba(list(texts))

    def save(self, path: Path) -> None:
        """Write the fitted model with its version tag."""
        joblib.dump({"version": MODEL_VERSION, "model": self._fitted(), "params": {
            "C": self.C, "sentiment_features": self.sentiment_features,
            "class_weight": self.class_weight, "max_features": self.max_features,
        }}, Path(path))

    @classmethod
    def load(cls, path: Path) -> TextModel:
        """Read a model written by :meth:`save`; refuse other formats and versions."""
        blob = joblib.load(Path(path))
        version = blob.get("version") if isinstance(blob, dict) else None
        if version != MODEL_VERSION:
            raise ValueError(
                f"{path}: model file version {version!r} is not {MODEL_VERSION!r}; "
                "retrain the model with this version of Sentinella"
            )
        model = cls(**blob["params"])
        model.pipeline_ = blob["model"]
        return model


def cross_val_predict(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    seed: int = 0,
    *,
    extra_texts: Sequence[str] = (),
    extra_labels: Sequence[str] = (),
    **model_params,
) -> list[str]:
    """Out-of-fold predictions: each text is predicted by a model that never saw it.

    ``extra_texts``/``extra_labels`` are added to the training side of every fold.

    >>> texts = ["good", "great", "nice", "fine job", "bad", "awful", "poor", "terrible"]
    >>> labels = ["pos"] * 4 + ["neg"] * 4
    >>> len(cross_val_predict(texts, labels, folds=2, sentiment_features=False))
    8
    """
    texts = list(texts)
    labels = [str(label) for label in labels]
    counts = np.unique(labels, return_counts=True)[1]
    if counts.min() >= folds:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        splits = splitter.split(texts, labels)
    else:
        splits = KFold(n_splits=folds, shuffle=True, random_state=seed).split(texts)
    out: list[str] = [""] * len(texts)
    for train, test in splits:
        model = TextModel(**model_params).fit(
            [texts[i] for i in train] + list(extra_texts),
            [labels[i] for i in train] + [str(x) for x in extra_labels],
        )
        for i, pred in zip(test, model.predict([texts[i] for i in test])):
            out[i] = pred
    return out

