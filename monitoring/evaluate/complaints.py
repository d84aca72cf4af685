"""``evaluate complaints``: is this post a customer request / complaint?

Reads CSV (``id,text,complaint``; ``complaint`` is 1 or 0), predicts with the rule-based
:func:`monitoring.enrich.classify.is_request` (sentiment from
:func:`monitoring.enrich.sentiment.score` when available, stock VADER otherwise), writes
``id,prediction`` to ``--out`` and prints precision, recall and F1 of the complaint class,
accuracy, and the "VADER negative => complaint" baseline measured in the same run.

With ``--train FILE...`` the labels of those files (same format) fit the learnable
:class:`monitoring.enrich.learned.TextModel`, which then predicts the evaluated file; the
file written holds the model's predictions.  When the evaluated items are among the training
items (same ``id``), predictions come from 5-fold cross-validation, so no item is ever
predicted by a model that saw it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

from monitoring.enrich.classify import is_request
from monitoring.models import MAX_TEXT_CHARS

__all__ = ["Metrics", "add_arguments", "load_labelled", "metrics", "run"]

#: VADER ``compound`` at or below which a post counts as negative (VADER's own convention).
VADER_NEGATIVE = -0.05


@dataclass(frozen=True, slots=True)
class Metrics:
    """Binary classification metrics for the positive (complaint) class.

    >>> m = metrics([1, 0, 1, 1], [1, 0, 0, 1])
    >>> (m.precision, m.recall, round(m.f1, 3), m.accuracy)
    (1.0, 0.6666666666666666, 0.8, 0.75)
    """

    precision: float
    recall: float
    f1: float
    accuracy: float
    n: int
    positives: int
    predicted: int


def metrics(truth: Sequence[int], pred: Sequence[int]) -> Metrics:
    """Precision, recall, F1 (class 1) and accuracy of ``pred`` against ``truth``."""
    tp = sum(1 for t, p in zip(truth, pred) if t == 1 and p == 1)
    fp = sum(1 for t, p in zip(truth, pred) if t != 1 and p == 1)
    fn = sum(1 for t, p in zip(truth, pred) if t == 1 and p != 1)
    correct = sum(1 for t, p in zip(truth, pred) if t == p)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = len(truth)
    return Metrics(precision, recall, f1, correct / n if n else 0.0, n, tp + fn, tp + fp)


def load_labelled(path: Path) -> tuple[list[str], list[str], list[int]]:
    """Read ``id,text,complaint`` rows; returns ids, texts and 0/1 labels.

    Raises
    ------
    ValueError
        When a required column is missing.
    """
    ids: list[str] = []
    texts: list[str] = []
    labels: list[int] = []
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"id", "text", "complaint"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        for row in reader:
            ids.append(str(row["id"]))
            texts.append((row["text"] or "")[:MAX_TEXT_CHARS])
            labels.append(1 if str(row["complaint"]).strip() in ("1", "1.0", "true", "True") else 0)
    return ids, texts, labels


def _sentiment_scorer() -> tuple[str, Callable[[str, str], float]]:
    try:
        from monitoring.enrich import sentiment
    except ImportError:
        sentiment = None
    if sentiment is not None and hasattr(sentiment, "score"):
        return "monitoring.enrich.sentiment", lambda t, lang: float(sentiment.score(t, lang).compound)
    vader = _vader()
    return "vaderSentiment", lambda t, lang: float(vader.polarity_scores(t)["compound"])


def _vader():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _print_metrics(name: str, m: Metrics) -> None:
    print(
        f"{name}: precision={m.precision:.3f} recall={m.recall:.3f} F1={m.f1:.3f} "
        f"accuracy={m.accuracy:.3f} (n={m.n}, complaints={m.positives}, predicted={m.predicted})"
    )


def _train_predict(
    train_files: Sequence[Path], ids: Sequence[str], texts: Sequence[str], folds: int, seed: int
) -> tuple[list[int], str]:
    """Predictions of the learnable model for the evaluated items, and the protocol used.

    Training items are de-duplicated by ``id``.  Evaluated items that are also training items
    get out-of-fold predictions (the other training items are added to every fold's training
    side); the rest are predicted by a model fitted on all training items.
    """
    from monitoring.enrich.learned import TextModel, cross_val_predict

    train: dict[str, tuple[str, int]] = {}
    for path in train_files:
        for i, t, y in zip(*load_labelled(path)):
            train.setdefault(i, (t, y))
    if not train:
        raise ValueError("the training files hold no labelled rows")
    eval_ids = set(ids)
    overlap = [k for k, i in enumerate(ids) if i in train]
    fresh = [k for k, i in enumerate(ids) if i not in train]
    pred: list[int] = [0] * len(ids)
    if fresh:
        model = TextModel().fit([t for t, _ in train.values()], [str(y) for _, y in train.values()])
        for k, p in zip(fresh, model.predict([texts[k] for k in fresh])):
            pred[k] = int(p)
    if not overlap:
        return pred, "fit on the training files, predict the evaluated file"
    extra = [v for i, v in train.items() if i not in eval_ids]
    cv = cross_val_predict(
        [train[ids[k]][0] for k in overlap],
        [str(train[ids[k]][1]) for k in overlap],
        folds=folds,
        seed=seed,
        extra_texts=[t for t, _ in extra],
        extra_labels=[str(y) for _, y in extra],
    )
    for k, p in zip(overlap, cv):
        pred[k] = int(p)
    return pred, f"{folds}-fold cross-validation ({len(overlap)} evaluated items in training)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``evaluate complaints``."""
    parser.add_argument("csv", type=Path, help="labelled CSV: id,text,complaint")
    parser.add_argument("--out", type=Path, required=True, help="predictions CSV: id,prediction")
    parser.add_argument(
        "--train", type=Path, nargs="+", default=None, metavar="TRAIN_FILE",
        help="labelled CSV files to fit the learnable model (cross-validated when they "
        "contain the evaluated items)",
    )
    parser.add_argument("--lang", default="en", help="language of the posts (default: en)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="cross-validation seed")


def run(args: argparse.Namespace) -> int:
    """Evaluate; returns the process exit code."""
    try:
        ids, texts, labels = load_labelled(args.csv)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scorer_name, scorer = _sentiment_scorer()
    vader = _vader()
    rule_pred: list[int] = []
    base_pred: list[int] = []
    for text in tqdm(texts, desc="complaints", unit="post", file=sys.stderr):
        compound = scorer(text, args.lang)
        rule_pred.append(int(is_request(text, args.lang, compound)))
        base_pred.append(int(vader.polarity_scores(text)["compound"] <= VADER_NEGATIVE))
    results: dict[str, object] = {"file": str(args.csv), "sentiment": scorer_name}
    rules = metrics(labels, rule_pred)
    baseline = metrics(labels, base_pred)
    print(f"file: {args.csv} ({len(ids)} posts, {sum(labels)} complaints)")
    print(f"sentiment for the rules: {scorer_name}")
    _print_metrics("rules (is_request)", rules)
    _print_metrics("baseline (VADER negative => complaint)", baseline)
    results["rules"] = asdict(rules)
    results["baseline_vader_negative"] = asdict(baseline)
    predictions = rule_pred
    if args.train:
        try:
            model_pred, how = _train_predict(args.train, ids, texts, args.folds, args.seed)
        except ImportError as exc:
            print(f"error: the learnable model is not available ({exc})", file=sys.stderr)
            return 2
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        learned = metrics(labels, model_pred)
        _print_metrics(f"learned model ({how})", learned)
        results["learned"] = {**asdict(learned), "protocol": how}
        predictions = model_pred
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "prediction"])
        writer.writerows(zip(ids, predictions))
    print(f"predictions written to {args.out}")
    print(json.dumps(results))
    return 0
