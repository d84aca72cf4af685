"""``evaluate sentiment``: score labelled posts and compare with stock VADER.

Formats:

* ``--format airline CSV`` - columns ``tweet_id, airline_sentiment, text, ...`` (labels
  negative/neutral/positive; the id is ``tweet_id``);
* ``--format umsab TEXT_FILE LABELS_FILE`` - one post per line, labels 0 = negative,
  1 = neutral, 2 = positive (the id is the line number from 0; predictions are written
  as 0/1/2 too).

By default the rule-based scorer (:func:`monitoring.enrich.sentiment.score`) labels each
post.  With ``--train FILE...`` (airline: CSV files; umsab: TEXT LABELS pairs) a
:class:`~monitoring.enrich.learned.TextModel` is fitted on them instead; when a training
file is the evaluated file itself its items are predicted by 5-fold cross-validation (never
trained and tested on the same items).  Put ``--train`` after the evaluated files.

Prints accuracy, macro-F1, per-class precision/recall/F1 and stock VADER's macro-F1 on the
same posts, then one JSON line.  ``--out PRED.csv`` writes ``id,prediction``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from tqdm import tqdm

from monitoring.enrich.language import detect_languages
from monitoring.enrich.learned import TextModel, cross_val_predict
from monitoring.enrich.sentiment import bound_text, score_batch
from monitoring.models import SENTIMENT_LABELS

__all__ = ["Dataset", "add_arguments", "load_airline", "load_umsab", "metrics", "run"]

UMSAB_LABELS = {"0": "negative", "1": "neutral", "2": "positive"}
_UMSAB_CODES = {v: k for k, v in UMSAB_LABELS.items()}
_DEFAULT_LANG = {"airline": "en", "umsab": "it"}


@dataclass
class Dataset:
    """Labelled posts; ``labels`` use :data:`SENTIMENT_LABELS`."""

    ids: list[str]
    texts: list[str]
    labels: list[str]
    source: Path


def load_airline(path: Path) -> Dataset:
    """Read an airline-format CSV (``tweet_id``, ``airline_sentiment``, ``text``)."""
    ids, texts, labels = [], [], []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"tweet_id", "airline_sentiment", "text"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing columns {sorted(missing)}")
        for row in reader:
            label = (row["airline_sentiment"] or "").strip()
            if label not in SENTIMENT_LABELS:
                raise ValueError(f"{path}: unknown label {label!r} for tweet {row['tweet_id']}")
            ids.append(row["tweet_id"])
            texts.append(row["text"] or "")
            labels.append(label)
    return Dataset(ids, texts, labels, Path(path))


def load_umsab(text_path: Path, labels_path: Path) -> Dataset:
    """Read a UMSAB text file and its labels file (0/1/2, one per line)."""
    with open(text_path, encoding="utf-8") as f:
        texts = f.read().split("\n")
    with open(labels_path, encoding="utf-8") as f:
        raw = [line.strip() for line in f.read().split("\n")]
    while raw and not raw[-1]:
        raw.pop()
    texts = texts[: len(raw)] if len(texts) > len(raw) and not any(texts[len(raw):]) else texts
    if len(texts) != len(raw):
        raise ValueError(f"{text_path}: {len(texts)} lines but {labels_path}: {len(raw)} labels")
    bad = sorted({x for x in raw if x not in UMSAB_LABELS})
    if bad:
        raise ValueError(f"{labels_path}: unknown labels {bad[:5]} (expected 0, 1, 2)")
    return Dataset([str(i) for i in range(len(texts))], texts,
                   [UMSAB_LABELS[x] for x in raw], Path(text_path))


def metrics(gold: list[str], pred: list[str]) -> dict:
    """Accuracy, macro-F1 and per-class P/R/F1 over :data:`SENTIMENT_LABELS`.

    >>> m = metrics(["negative", "positive", "neutral"], ["negative", "neutral", "neutral"])
    >>> m["accuracy"], m["per_class"]["neutral"]["precision"]
    (0.6667, 0.5)
    """
    p, r, f, support = precision_recall_fscore_support(
        gold, pred, labels=list(SENTIMENT_LABELS), zero_division=0
    )
    return {
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "macro_f1": round(float(f1_score(gold, pred, labels=list(SENTIMENT_LABELS),
                                         average="macro", zero_division=0)), 4),
        "per_class": {
            label: {"precision": round(float(p[k]), 4), "recall": round(float(r[k]), 4),
                    "f1": round(float(f[k]), 4), "support": int(support[k])}
            for k, label in enumerate(SENTIMENT_LABELS)
        },
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's arguments."""
    parser.add_argument("--format", required=True, choices=("airline", "umsab"),
                        help="input format")
    parser.add_argument("files", nargs="+", type=Path,
                        help="airline: CSV; umsab: TEXT_FILE LABELS_FILE")
    parser.add_argument("--train", nargs="+", type=Path, default=[], metavar="FILE",
                        help="fit a TextModel on these (airline: CSVs; umsab: TEXT LABELS pairs)")
    parser.add_argument("--out", type=Path, help="write id,prediction to this CSV")
    parser.add_argument("--lang", default=None,
                        help="language of the posts (default: en for airline, it for umsab; "
                             "'auto' = detect)")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument("--seed", type=int, default=0)


def _load(fmt: str, files: list[Path]) -> list[Dataset]:
    if fmt == "airline":
        return [load_airline(p) for p in files]
    if len(files) % 2:
        raise ValueError("umsab files come in pairs: TEXT_FILE LABELS_FILE")
    return [load_umsab(files[k], files[k + 1]) for k in range(0, len(files), 2)]


def _stock_vader(texts: list[str]) -> list[str]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    out = []
    for text in tqdm(texts, desc="stock VADER", file=sys.stderr, leave=False):
        c = vader.polarity_scores(bound_text(text))["compound"]
        out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def run(args: argparse.Namespace) -> int:
    """Run the evaluation; return the exit code."""
    expected = 1 if args.format == "airline" else 2
    try:
        if len(args.files) != expected:
            raise ValueError("evaluate one file (airline) or one TEXT_FILE LABELS_FILE pair (umsab)")
        (data,) = _load(args.format, list(args.files))
        train_sets = _load(args.format, list(args.train)) if args.train else []
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    lang = args.lang or _DEFAULT_LANG[args.format]
    start = time.perf_counter()
    if lang == "auto":
        langs = detect_languages(data.texts)
    else:
        langs = [lang] * len(data.texts)
    rules = [
        s.label
        for s in score_batch(
            list(tqdm(data.texts, desc="scoring", file=sys.stderr, leave=False)), langs
        )
    ]
    rules_seconds = time.perf_counter() - start

    model_name = "rules"
    pred = rules
    if train_sets:
        same = [t for t in train_sets if _same_file(t.source, data.source)]
        others = [t for t in train_sets if not _same_file(t.source, data.source)]
        extra_texts = [x for t in others for x in t.texts]
        extra_labels = [x for t in others for x in t.labels]
        print(f"training TextModel on {len(extra_texts)} posts"
              + (f" + {args.folds}-fold cross-validation on the evaluated file" if same else ""),
              file=sys.stderr)
        if same:
            model_name = f"learned (cross-validated, {args.folds} folds)"
            pred = cross_val_predict(data.texts, data.labels, folds=args.folds, seed=args.seed,
                                     extra_texts=extra_texts, extra_labels=extra_labels)
        else:
            model_name = "learned"
            pred = TextModel().fit(extra_texts, extra_labels).predict(data.texts)

    result = metrics(data.labels, pred)
    vader = metrics(data.labels, _stock_vader(data.texts))
    rules_metrics = metrics(data.labels, rules)

    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "prediction"])
            for item_id, p in zip(data.ids, pred):
                writer.writerow([item_id, _UMSAB_CODES[p] if args.format == "umsab" else p])

    print(f"data: {data.source} ({args.format}, {len(data.texts)} posts, language {lang})")
    print(f"model: {model_name}")
    print(f"accuracy: {result['accuracy']:.4f}")
    print(f"macro-F1: {result['macro_f1']:.4f}")
    for label, m in result["per_class"].items():
        print(f"  {label:<9} P {m['precision']:.3f}  R {m['recall']:.3f}  "
              f"F1 {m['f1']:.3f}  n {m['support']}")
    if train_sets:
        print(f"rules (no training) macro-F1: {rules_metrics['macro_f1']:.4f}")
    print(f"stock VADER macro-F1: {vader['macro_f1']:.4f} (accuracy {vader['accuracy']:.4f})")
    print(f"rule scoring: {len(data.texts) / max(rules_seconds, 1e-9):.0f} posts/s")
    print(json.dumps({
        "format": args.format, "n": len(data.texts), "model": model_name, **result,
        "rules_macro_f1": rules_metrics["macro_f1"], "vader_macro_f1": vader["macro_f1"],
        "vader_accuracy": vader["accuracy"],
    }))
    return 0
