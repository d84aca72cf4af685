"""``evaluate nab``: run the volume detector online on NAB-format series and score it.

For every ``*.csv`` (``timestamp,value``) in DATA_DIR the :class:`VolumeSpike` detector
scores each bin *before* learning it, :func:`is_anomalous` at the product's default
sensitivity flags it and an :class:`EpisodeGate` turns the flags into alerts: decisions
are made bin by bin, with no look-ahead and no threshold fitted to the labels.  The flag
is raised on the detector's *onset* score (:meth:`VolumeSpike.onset_score`), as the
product's alert policy opens on it: the score of the scales with new evidence in this
bin, corrected for the number of scales, or, when larger, the same evidence held for two
bins in a row without that correction.  A trailing window that only remembers an
earlier burst neither opens an alert nor keeps the earlier episode open past its end
(which would silence the next event).  With
``--policy alerts`` the product's own alert policy (:class:`StreamDetectors`, fed the
counts alone) decides instead: an alert is a volume alert it opens.
``OUT_DIR/<file name>`` gets ``timestamp,value,anomaly_score,alert`` where
``anomaly_score`` is the onset score divided by ``MAX_SURPRISE`` (NAB expects [0, 1]).

When DATA_DIR holds ``combined_windows.json`` the alerts are scored with the NAB rules,
reimplemented here (see :func:`score_detections`), for each profile of ``profiles.json``
(the three standard NAB profiles when the file is absent).
For each file it also prints where the first alert of every window falls
(:func:`window_hits`) and every false alarm with its observed and expected count and its
score (:func:`false_alarms`), so misses and false alarms can be read off the output.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from monitoring.alerts import VOLUME_KINDS, StreamDetectors
from monitoring.detect import MAX_SURPRISE, EpisodeGate, is_anomalous
from monitoring.detect.volume import VolumeSpike
from monitoring.models import BinStats

__all__ = [
    "DEFAULT_PROFILES",
    "POLICIES",
    "FileScore",
    "WindowHit",
    "add_arguments",
    "detect_series",
    "false_alarms",
    "probation_length",
    "run",
    "scaled_sigmoid",
    "score_detections",
    "window_hits",
]

#: NAB's three application profiles (cost matrices).
DEFAULT_PROFILES: dict[str, dict[str, float]] = {
    "standard": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11},
    "reward_low_FP_rate": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22},
    "reward_low_FN_rate": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11},
}


#: How scores become alerts: the episode gate, or the product's alert policy.
POLICIES = ("gate", "alerts")


def scaled_sigmoid(position: float) -> float:
    """NAB's reward by relative position: ~+1 at a window's start, 0 at its end, -> -1 after.

    >>> round(scaled_sigmoid(-1.0), 5), scaled_sigmoid(0.0), scaled_sigmoid(3.0)
    (0.98661, 0.0, -1.0)
    """
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(n_rows: int, fraction: float = 0.15) -> float:
    """Rows at the start of a file that NAB does not score.

    >>> probation_length(1000), probation_length(20000)
    (150, 750.0)
    """
    return min(math.floor(fraction * n_rows), fraction * 5000)


@dataclass
class FileScore:
    """NAB score of one file under one profile (raw, and the null/perfect references)."""

    raw: float
    null: float
    perfect: float
    tp: int
    fp: int
    fn: int

    @property
    def normalized(self) -> float:
        span = self.perfect - self.null
        return 100.0 * (self.raw - self.null) / span if span else 0.0


def score_detections(
    timestamps: Sequence[datetime],
    detections: Sequence[bool],
    windows: Sequence[tuple[datetime, datetime]],
    profile: dict[str, float],
) -> FileScore:
    """Score binary detections with NAB's rules.

    Rows in the probation period are ignored.  A window earns the best reward of the
    detections inside it, ``tp * scaled_sigmoid(-(right - i + 1) / width) /
    scaled_sigmoid(-1)``, or ``-fn`` without one.  A detection outside every window
    costs ``fp * scaled_sigmoid(|i - prev_right| / (prev_width - 1))`` after a window
    and ``fp`` before the first one.

    Examples
    --------
    1,000 rows (150 in probation), one window of 10 rows at 500..509, a detection on its
    first row and one false positive before it:

    >>> from datetime import timedelta
    >>> ts = [datetime(2026, 1, 1) + timedelta(minutes=5 * i) for i in range(1000)]
    >>> det = [i in (300, 500) for i in range(1000)]
    >>> s = score_detections(ts, det, [(ts[500], ts[509])], DEFAULT_PROFILES["standard"])
    >>> round(s.raw, 4), s.null, s.perfect, (s.tp, s.fp, s.fn)
    (0.89, -1.0, 1.0, (1, 1, 0))
    """
    tp_w, fp_w, fn_w = profile["tpWeight"], profile["fpWeight"], profile["fnWeight"]
    n = len(timestamps)
    probation = probation_length(n)
    max_tp = scaled_sigmoid(-1.0)
    spans = []  # (left, right) row indices of each window, in time order
    for start, end in sorted(windows):
        left = bisect.bisect_left(timestamps, start)
        right = bisect.bisect_right(timestamps, end) - 1
        if left <= right:
            spans.append((left, right))
    scored = [k for k, (_, right) in enumerate(spans) if right >= probation]
    best = {k: -fn_w for k in scored}
    fp_total = 0.0
    tp = fp = 0
    k = 0  # index of the next window not yet passed
    prev: tuple[int, int] | None = None
    for i, hit in enumerate(detections):
        while k < len(spans) and i > spans[k][1]:
            prev = spans[k]
            k += 1
        if not hit or i < probation:
            continue
        if k < len(spans) and spans[k][0] <= i:
            left, right = spans[k]
            width = right - left + 1
            reward = scaled_sigmoid(-(right - i + 1) / width) * tp_w / max_tp
            best[k] = max(best[k], reward)
            tp += 1
        else:
            if prev is None:
                position = 3.0
            else:
                prev_width = prev[1] - prev[0] + 1
                position = abs(prev[1] - i) / max(prev_width - 1, 1)
            fp_total += scaled_sigmoid(position) * fp_w
            fp += 1
    detected = sum(1 for key in scored if best[key] > -fn_w)
    raw = sum(best.values()) + fp_total
    return FileScore(
        raw=raw,
        null=-fn_w * len(scored),
        perfect=tp_w * len(scored),
        tp=tp,
        fp=fp,
        fn=len(scored) - detected,
    )


@dataclass
class WindowHit:
    """Where the first detection fell in one scored window.

    ``first`` is the row of the window's first detection (``None``: missed),
    ``position`` its relative place in the window (0 = first row, 1 = after the last)
    and ``reward`` what NAB pays for it with ``tpWeight`` 1 (the sigmoid favours early
    detections: about 1 at the start, 0.86 in the middle, 0 at the end).
    """

    left: int
    right: int
    first: int | None
    position: float | None
    reward: float | None


def window_hits(
    timestamps: Sequence[datetime],
    detections: Sequence[bool],
    windows: Sequence[tuple[datetime, datetime]],
) -> list[WindowHit]:
    """The first detection of each window that ends after the probation period.

    Detections in the probation period are ignored, as NAB does.

    >>> from datetime import timedelta
    >>> ts = [datetime(2026, 1, 1) + timedelta(minutes=5 * i) for i in range(1000)]
    >>> det = [i in (550, 560) for i in range(1000)]
    >>> hits = window_hits(ts, det, [(ts[500], ts[599]), (ts[700], ts[709])])
    >>> [(h.first, h.position, round(h.reward, 3)) for h in hits[:1]], hits[1].first
    ([(550, 0.5, 0.86)], None)
    """
    n = len(timestamps)
    probation = probation_length(n)
    max_tp = scaled_sigmoid(-1.0)
    hits = []
    for start, end in sorted(windows):
        left = bisect.bisect_left(timestamps, start)
        right = bisect.bisect_right(timestamps, end) - 1
        if left > right or right < probation:
            continue
        first = next(
            (i for i in range(max(left, math.ceil(probation)), right + 1) if detections[i]),
            None,
        )
        if first is None:
            hits.append(WindowHit(left, right, None, None, None))
            continue
        width = right - left + 1
        reward = scaled_sigmoid(-(right - first + 1) / width) / max_tp
        hits.append(WindowHit(left, right, first, (first - left) / width, reward))
    return hits


def false_alarms(
    timestamps: Sequence[datetime],
    detections: Sequence[bool],
    windows: Sequence[tuple[datetime, datetime]],
) -> list[int]:
    """Rows of the detections NAB counts as false positives (outside every window).

    Detections in the probation period are ignored, as NAB does.

    >>> from datetime import timedelta
    >>> ts = [datetime(2026, 1, 1) + timedelta(minutes=5 * i) for i in range(1000)]
    >>> det = [i in (100, 300, 550, 650) for i in range(1000)]
    >>> false_alarms(ts, det, [(ts[500], ts[599])])
    [300, 650]
    """
    probation = probation_length(len(timestamps))
    spans = sorted(windows)
    return [
        i for i, hit in enumerate(detections)
        if hit and i >= probation and not any(a <= timestamps[i] <= b for a, b in spans)
    ]


def detect_series(
    timestamps: Sequence[datetime],
    values: Sequence[int],
    bin_minutes: int = 5,
    sensitivity: str = "normal",
    policy: str = "gate",
    expected: list[float] | None = None,
) -> tuple[list[float], list[bool]]:
    """Run the detector and the alert gate online; return per-row scores and alerts.

    ``policy="alerts"`` lets the product's alert policy decide (a row alerts when it
    opens a volume alert); the scores are the same.  When ``expected`` is given, the
    detector's expected count of each row (before it learns the row) is appended to it.

    >>> from datetime import timedelta
    >>> ts = [datetime(2026, 1, 1) + timedelta(minutes=5 * i) for i in range(400)]
    >>> values = [20 + (i % 3) for i in range(400)]
    >>> values[350] = 200
    >>> scores, alerts = detect_series(ts, values)
    >>> [i for i, a in enumerate(alerts) if a]
    [350]
    >>> [i for i, a in enumerate(detect_series(ts, values, policy="alerts")[1]) if a]
    [350]
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; expected one of {', '.join(POLICIES)}")
    if policy == "alerts":
        return _detect_with_policy(timestamps, values, bin_minutes, sensitivity, expected)
    detector = VolumeSpike(bin_minutes=bin_minutes, sensitivity=sensitivity)
    gate = EpisodeGate()
    scores: list[float] = []
    alerts: list[bool] = []
    for ts, value in zip(timestamps, values):
        onset = detector.onset_score(ts, value)
        alerts.append(gate.update(ts, is_anomalous(onset, sensitivity)))
        scores.append(onset)
        if expected is not None:
            expected.append(detector.expected_mean(ts))
        detector.learn_one(ts, value)
    return scores, alerts


def _detect_with_policy(
    timestamps: Sequence[datetime], values: Sequence[int], bin_minutes: int, sensitivity: str,
    expected: list[float] | None,
) -> tuple[list[float], list[bool]]:
    policy = StreamDetectors(bin_minutes=bin_minutes, sensitivity=sensitivity)
    scores: list[float] = []
    alerts: list[bool] = []
    for ts, value in zip(timestamps, values):
        scores.append(policy.volume.onset_score(ts, value))
        if expected is not None:
            expected.append(policy.volume.expected_mean(ts))
        decisions = policy.step(BinStats("nab", ts, n=value))
        alerts.append(any(d.action == "open" and d.kind in VOLUME_KINDS for d in decisions))
    return scores, alerts


def _parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.strip())


def _read_series(path: Path) -> tuple[list[str], list[datetime], list[int]]:
    raw_ts: list[str] = []
    values: list[int] = []
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            raw_ts.append(row["timestamp"])
            values.append(round(float(row["value"])))
    return raw_ts, [_parse_ts(t) for t in raw_ts], values


def _load_profiles(data_dir: Path) -> dict[str, dict[str, float]]:
    path = data_dir / "profiles.json"
    if not path.exists():
        return DEFAULT_PROFILES
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return {name: spec["CostMatrix"] for name, spec in loaded.items()}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to ``parser``."""
    parser.add_argument("data_dir", type=Path, help="folder of NAB-format *.csv files")
    parser.add_argument("--out", type=Path, required=True, help="folder for the scored files")
    parser.add_argument("--bin-minutes", type=int, default=5, help="bin width (default 5)")
    parser.add_argument(
        "--sensitivity", default="normal", help="low, normal or high (default normal)"
    )
    parser.add_argument(
        "--policy", choices=POLICIES, default="gate",
        help="gate: one alert per episode of anomalous bins (default); alerts: the "
        "product's alert policy decides",
    )


def run(args: argparse.Namespace) -> int:
    """Run the evaluation; return the exit code."""
    data_dir: Path = args.data_dir
    files = sorted(data_dir.glob("*.csv"))
    if not files:
        print(f"no *.csv files in {data_dir}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    labels_path = data_dir / "combined_windows.json"
    labels: dict[str, list[tuple[datetime, datetime]]] | None = None
    if labels_path.exists():
        raw_labels = json.loads(labels_path.read_text(encoding="utf-8"))
        labels = {
            Path(key).name: [(_parse_ts(a), _parse_ts(b)) for a, b in spans]
            for key, spans in raw_labels.items()
        }
    profiles = _load_profiles(data_dir)
    results: dict[str, dict[str, FileScore]] = {}
    for path in tqdm(files, desc="nab", unit="file", file=sys.stderr):
        raw_ts, timestamps, values = _read_series(path)
        expected: list[float] = []
        scores, alerts = detect_series(timestamps, values, args.bin_minutes, args.sensitivity,
                                       args.policy, expected)
        with (args.out / path.name).open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["timestamp", "value", "anomaly_score", "alert"])
            for t, v, s, a in zip(raw_ts, values, scores, alerts):
                writer.writerow([t, v, f"{s / MAX_SURPRISE:.4f}", int(a)])
        print(f"{path.name}: {len(values)} rows, {sum(alerts)} alerts")
        if labels is not None and path.name in labels:
            results[path.name] = {
                name: score_detections(timestamps, alerts, labels[path.name], profile)
                for name, profile in profiles.items()
            }
            for hit in window_hits(timestamps, alerts, labels[path.name]):
                print(f"  window {raw_ts[hit.left]} .. {raw_ts[hit.right]}: " + (
                    "missed" if hit.first is None else
                    f"first alert {raw_ts[hit.first]} at {hit.position:.2f} of the window, "
                    f"reward {hit.reward:.3f}, score {scores[hit.first]:.1f}"
                ))
            for i in false_alarms(timestamps, alerts, labels[path.name]):
                print(f"  false alarm {raw_ts[i]}: {values[i]} observed, "
                      f"{expected[i]:.1f} expected, score {scores[i]:.1f}")
    if not results:
        print(json.dumps({"files": len(files), "scored": False}))
        return 0
    summary: dict[str, dict[str, object]] = {}
    for name in profiles:
        print(f"\nprofile {name}")
        per_file = {}
        for fname, by_profile in results.items():
            s = by_profile[name]
            per_file[fname] = round(s.normalized, 2)
            print(
                f"  {fname:32s} score {s.normalized:7.2f}  raw {s.raw:7.3f}  "
                f"tp {s.tp:3d} fp {s.fp:3d} fn {s.fn:2d}"
            )
        raw = sum(r[name].raw for r in results.values())
        null = sum(r[name].null for r in results.values())
        perfect = sum(r[name].perfect for r in results.values())
        overall = FileScore(raw, null, perfect, 0, 0, 0).normalized
        print(f"  {'OVERALL':32s} score {overall:7.2f}")
        summary[name] = {"overall": round(overall, 2), "files": per_file}
    fps = {f: asdict(r["standard"]) for f, r in results.items() if "standard" in r}
    print(json.dumps({"nab": summary, "standard_detail": fps}))
    return 0
