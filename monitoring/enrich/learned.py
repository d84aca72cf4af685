"""A light, learnable text classifier (scikit-learn), for any set of string labels.

:class:`TextModel` stacks three views of a post, all bilingual (Italian and English):

* words and word pairs (TF-IDF, sublinear tf) after Italian-aware normalisation
  (:func:`words`): accents folded, elongations collapsed (``paroleeeee``), hashtags split,
  user names and URLs replaced by placeholders, emoji kept as tokens, and each word the
  lexicons know tagged with its polarity (``__pos``, ``__neg``; ``__npos``/``__nneg``
  within a negation's reach) so that what is learned on one word carries over to others;
* character 2-5 grams within words (TF-IDF, sublinear tf), robust to spelling;
* the rule-based scorers' judgement as a few dense features (:class:`LexiconFeatures`):
  both analyzers' ``compound``/``pos``/``neg`` and counts of positive, negative and negated
  lexicon words, emoji, ``!`` and ``?``.

They feed a class-balanced linear SVM whose ``C`` is chosen by cross-validation on the
training labels (``C="auto"``) and whose scores are calibrated into probabilities (the
product applies a label only when confident, see :mod:`monitoring.enrich.refine`).  It
trains in seconds on a few thousand posts on one core.  Saved models carry a version tag;
:meth:`TextModel.load` refuses other versions.

Model files are pickles: load only files you wrote yourself.
"""

from __future__ import annotations

import math
import re
import threading
import warnings
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from monitoring.enrich.sentiment import bound_text

__all__ = [
    "C_GRID",
    "MODEL_VERSION",
    "LexiconFeatures",
    "TextModel",
    "choose_c",
    "cross_val_predict",
    "preprocess",
    "words",
]

#: Version tag stored with saved models; bump it when the feature pipeline changes.
MODEL_VERSION = "sentinella-textmodel/2"
#: Values of ``C`` tried when the model chooses it by cross-validation (``C="auto"``).
C_GRID = (0.1, 0.3, 1.0)

_URL = re.compile(r"https?://\S{0,2000}|www\.\S{0,2000}")
_USER = re.compile(r"@\w{1,50}")
_DIGITS = re.compile(r"\d+")
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")
_PUNCT_RUN = re.compile(r"([!?.])\1+")
# Words a negation reaches (as the Italian rules: three content words).
_NEGATION_REACH = 3
# A valence at least this strong (VADER's -4..4 scale) also earns a "strong" tag.
_STRONG = 2.5


def preprocess(text: str) -> str:
    """Bound a text and replace URLs, user names and numbers with placeholders.

    >>> preprocess("@acme 3 hours late! https://x.co/abc")
    '@user 0 hours late! http'
    """
    text = bound_text(text)
    text = _URL.sub("http", text)
    text = _USER.sub("@user", text)
    return _DIGITS.sub("0", text)


def _char_text(text: str) -> str:
    """Text for the character n-grams: placeholders, lower case, accents folded, runs cut."""
    from monitoring.enrich.italian import fold

    text = preprocess(text).lower()
    if not text.isascii():
        text = " ".join(fold(w) for w in text.split())
    text = _LETTER_RUN.sub(r"\1\1", text)
    return _PUNCT_RUN.sub(r"\1", text)


_lexicons: dict[str, object] = {}
_lexicons_lock = threading.Lock()


def _analyzers():
    """The Italian and English rule-based analyzers (built once, shared)."""
    found = _lexicons.get("pair")
    if found is None:
        with _lexicons_lock:
            found = _lexicons.get("pair")
            if found is None:
                from monitoring.enrich.italian import ItalianSentimentAnalyzer
                from monitoring.enrich.sentiment import EnglishSentimentAnalyzer

                found = (ItalianSentimentAnalyzer(), EnglishSentimentAnalyzer())
                _lexicons["pair"] = found
    return found


def _valence(word: str) -> float:
    """A folded word's valence: the Italian lexicon (with inflections), else VADER's."""
    italian, english = _analyzers()
    value = italian.valence(word)[0]
    return value if value else english.lexicon.get(word, 0.0)


_emoji_cache: dict[str, float] = {}


def _emoji_valence(symbol: str) -> float:
    """An emoji's or emoticon's valence: the Italian lexicon's, else that of VADER's
    description of it (the sum of its words' valences, within -3.5..3.5)."""
    found = _emoji_cache.get(symbol)
    if found is None:
        italian, english = _analyzers()
        found = italian.lexicon.get(symbol)
        if found is None:
            described = english.emojis.get(symbol, "").lower().split()
            found = max(-3.5, min(3.5, sum(english.lexicon.get(w, 0.0) for w in described)))
        if len(_emoji_cache) < 10_000:
            _emoji_cache[symbol] = found
    return found


# The word view and the lexicon features tokenize the same batch one after the other.
_token_cache: dict[str, list[tuple[str, str]]] = {}
_TOKEN_CACHE_SIZE = 8_192


def _tokens(text: str) -> list[tuple[str, str]]:
    """``(kind, folded)`` tokens with placeholders for user names and URLs (cached)."""
    found = _token_cache.get(text)
    if found is None:
        from monitoring.enrich.italian import tokenize

        bounded = _USER.sub(" xuserx ", _URL.sub(" xurlx ", bound_text(text)))
        found = [(kind, folded) for kind, _, folded in tokenize(bounded)]
        if len(_token_cache) >= _TOKEN_CACHE_SIZE:
            _token_cache.clear()
        _token_cache[text] = found
    return found


def words(text: str) -> list[str]:
    """Word tokens, word pairs and polarity tags of a text (the word view's analyzer).

    >>> words("Non è BELLISSIMOOO @acme")
    ['non', '__not', 'e', 'bellissimo', '__npos', '__strongnpos', 'xuserx', 'non e', \
'e bellissimo', 'bellissimo xuserx']
    >>> words("Che schifo 😡 https://x.co/a")[:4]
    ['che', 'schifo', '__neg', '__strongneg']
    """
    from monitoring.enrich.italian import NEGATORS

    out: list[str] = []
    plain: list[str] = []
    reach = 0
    for kind, token in _tokens(text):
        out.append(token)
        if kind == "punct":
            if token in ".!?":
                reach = 0
            continue
        if kind != "word":
            plain.append(token)
            value = _emoji_valence(token)
            if value:
                out.append("__emo" + ("pos" if value > 0 else "neg"))
            continue
        plain.append(token)
        if token in NEGATORS:
            out.append("__not")
            reach = _NEGATION_REACH
            continue
        value = _valence(token)
        if value:
            tag = ("n" if reach else "") + ("pos" if value > 0 else "neg")
            out.append("__" + tag)
            if abs(value) >= _STRONG:
                out.append("__strong" + tag)
        if reach:
            reach -= 1
    out.extend(f"{a} {b}" for a, b in pairwise(plain))
    return out


class LexiconFeatures(BaseEstimator, TransformerMixin):
    """The rule-based scorers' judgement of each text as dense features (times ``weight``).

    Columns: Italian and English ``compound``, ``pos``, ``neg``; then ``log1p`` counts of
    positive and negative lexicon words, of negated positive and negative words, of
    positive and negative emoji, of ``!`` and of ``?``; the summed strength of the
    positive and of the negative words not negated.  No language detection: the two
    analyzers each see every text.

    >>> LexiconFeatures().transform(["che disservizio!!", "great, thanks"]).shape
    (2, 16)
    """

    def __init__(self, weight: float = 1.0):
        self.weight = weight

    def fit(self, texts, labels=None):
        return self

    @staticmethod
    def _row(text: str) -> list[float]:
        from monitoring.enrich.italian import NEGATORS

        italian, english = _analyzers()
        bounded = bound_text(text)
        it, en = italian.polarity_scores(bounded), english.polarity_scores(bounded)
        counts = [0] * 8
        strength = [0.0, 0.0]
        reach = 0
        for kind, token in _tokens(text):
            if kind == "punct":
                if token in "!?":
                    counts[6 if token == "!" else 7] += 1
                if token in ".!?":
                    reach = 0
                continue
            if kind != "word":
                value = _emoji_valence(token)
                if value:
                    counts[4 if value > 0 else 5] += 1
                continue
            if token in NEGATORS:
                reach = _NEGATION_REACH
                continue
            value = _valence(token)
            if value:
                counts[(2 if reach else 0) + (0 if value > 0 else 1)] += 1
                if not reach:
                    strength[0 if value > 0 else 1] += abs(value)
            if reach:
                reach -= 1
        return [it["compound"], it["pos"], it["neg"], en["compound"], en["pos"], en["neg"],
                *(math.log1p(c) for c in counts + strength)]

    def transform(self, texts):
        rows = [self._row(t if isinstance(t, str) else "") for t in texts]
        return sp.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(rows), 16)
                             * self.weight)


def _svm(C: float, class_weight: str | None) -> LinearSVC:
    return LinearSVC(C=C, class_weight=class_weight, max_iter=5000)


def choose_c(features, labels: Sequence[str], grid: Sequence[float] = C_GRID,
             class_weight: str | None = "balanced", folds: int = 3, seed: int = 0) -> float:
    """The ``C`` of ``grid`` with the best macro-F1 in ``folds``-fold cross-validation.

    ``features`` is the training matrix (the unsupervised TF-IDF weights were fitted on
    all training texts; no label crosses a fold).  Ties go to the smaller ``C``; with a
    one-value grid or a class too small to split, the grid's middle value is returned.

    >>> x = np.array([[1.0], [0.9], [1.1], [-1.0], [-0.9], [-1.1]])
    >>> choose_c(x, ["a", "a", "a", "b", "b", "b"], grid=(0.01, 1.0))
    0.01
    """
    labels = np.asarray(labels)
    counts = np.unique(labels, return_counts=True)[1]
    if len(grid) == 1 or counts.min() < folds:
        return float(grid[len(grid) // 2])
    splits = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
                  .split(np.zeros(len(labels)), labels))
    best, best_score = float(grid[0]), -1.0
    for c in grid:
        pred = np.empty(len(labels), dtype=labels.dtype)
        for train, test in splits:
            pred[test] = _svm(c, class_weight).fit(features[train], labels[train]) \
                .predict(features[test])
        score = f1_score(labels, pred, average="macro")
        if score > best_score + 1e-9:
            best, best_score = float(c), score
    return best


class TextModel:
    """Text classifier: words + characters + rule-based features -> calibrated linear SVM.

    Parameters
    ----------
    C : float or "auto"
        Inverse regularisation strength of the SVM; ``"auto"`` (default) picks it from
        :data:`C_GRID` by 3-fold cross-validation on the training labels.
    sentiment_features : bool
        Add the rule-based scorers' judgement (:class:`LexiconFeatures`).
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
        C: float | str = "auto",
        sentiment_features: bool = True,
        class_weight: str | None = "balanced",
        max_features: int = 300_000,
    ):
        self.C = C
        self.sentiment_features = sentiment_features
        self.class_weight = class_weight
        self.max_features = max_features
        self.pipeline_: Pipeline | None = None
        self.chosen_C_: float | None = None

    def _features(self) -> FeatureUnion:
        parts = [
            ("word", TfidfVectorizer(analyzer=words, sublinear_tf=True, dtype=np.float32)),
            ("char", TfidfVectorizer(
                preprocessor=_char_text, analyzer="char_wb", ngram_range=(2, 5),
                sublinear_tf=True, min_df=2, max_features=self.max_features, lowercase=False,
                dtype=np.float32,
            )),
        ]
        if self.sentiment_features:
            parts.append(("rules", LexiconFeatures()))
        return FeatureUnion(parts)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TextModel:
        """Fit on texts and their labels (any strings; at least two distinct)."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        labels = [str(label) for label in labels]
        if len(texts) != len(labels):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if len(set(labels)) < 2:
            raise ValueError("TextModel needs at least two distinct labels to learn from")
        features = self._features()
        x = features.fit_transform(texts).tocsr()
        y = np.asarray(labels)
        c = choose_c(x, y, class_weight=self.class_weight) if self.C == "auto" else float(self.C)
        counts = np.unique(y, return_counts=True)[1]
        svm = _svm(c, self.class_weight)
        if counts.min() >= 2:
            clf = CalibratedClassifierCV(svm, method="sigmoid", cv=min(3, int(counts.min())),
                                         ensemble=False)
            clf.fit(x, y)
        else:  # a class with one example: Platt scaling on the fitted SVM's own scores
            clf = CalibratedClassifierCV(FrozenEstimator(svm.fit(x, y)), method="sigmoid")
            with warnings.catch_warnings():  # the split warns of the one-example class
                warnings.simplefilter("ignore", UserWarning)
                clf.fit(x, y)
        self.chosen_C_ = c
        self.pipeline_ = Pipeline([("features", features), ("clf", clf)])
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
        }, "chosen_C": self.chosen_C_}, Path(path))

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
        model.chosen_C_ = blob.get("chosen_C")
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

