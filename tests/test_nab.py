from __future__ import annotations

import argparse
import csv
import json
import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from monitoring.detect import EpisodeGate
from monitoring.detect.volume import VolumeSpike
from monitoring.evaluate import nab
from monitoring.evaluate.nab import (
    DEFAULT_PROFILES,
    probation_length,
    scaled_sigmoid,
    score_detections,
    window_hits,
)

T0 = datetime(2026, 1, 1)
STD = DEFAULT_PROFILES["standard"]
LOW_FP = DEFAULT_PROFILES["reward_low_FP_rate"]
LOW_FN = DEFAULT_PROFILES["reward_low_FN_rate"]


def stamps(n: int) -> list[datetime]:
    return [T0 + timedelta(minutes=5 * i) for i in range(n)]


def sig(x: float) -> float:
    """scaled sigmoid, written out independently: 2 / (1 + e^(5x)) - 1."""
    return 2 / (1 + math.exp(5 * x)) - 1


MAX_TP = sig(-1.0)

# 1,000 rows: probation = 150 rows; windows at rows 400..499 (width 100) and 700..719 (20).
WINDOWS = [(400, 499), (700, 719)]
CASES = [
    # (detected rows, profile, expected raw score, computed by hand)
    ([], STD, -2.0),  # null detector: two missed windows
    ([400, 700], STD, 2.0),  # perfect: first row of each window
    ([450], STD, sig(-50 / 100) / MAX_TP - 1.0),  # middle of window 1, window 2 missed
    ([499], LOW_FN, sig(-1 / 100) / MAX_TP - 2.0),  # last row of window 1
    ([420, 450, 700], STD, sig(-80 / 100) / MAX_TP + 1.0),  # only the best detection counts
    ([100], STD, -2.0),  # inside probation: ignored
    ([200], STD, -2.0 - 0.11),  # before any window: full FP weight
    ([200], LOW_FP, -2.0 - 0.22),
    ([509], STD, -2.0 + 0.11 * sig(10 / 99)),  # ten rows after window 1: cheap FP
    ([650], STD, -2.0 + 0.11 * sig(151 / 99)),
    ([900], STD, -2.0 + 0.11 * sig(181 / 19)),  # far after window 2: position >= 3 -> -1
]


@pytest.mark.parametrize(("rows", "profile", "expected"), CASES)
def test_score_detections_by_hand(rows, profile, expected):
    ts = stamps(1000)
    windows = [(ts[a], ts[b]) for a, b in WINDOWS]
    det = [i in rows for i in range(1000)]
    score = score_detections(ts, det, windows, profile)
    assert score.raw == pytest.approx(expected, abs=1e-9)
    assert score.null == -2 * profile["fnWeight"] and score.perfect == 2 * profile["tpWeight"]


@pytest.mark.parametrize(
    ("n", "expected"), [(100, 15), (1000, 150), (4999, 749), (5000, 750), (16000, 750)]
)
def test_probation_length(n, expected):
    assert probation_length(n) == expected


@pytest.mark.parametrize(
    ("x", "expected"), [(-1.0, 0.9866142981514305), (0.0, 0.0), (3.0, -1.0), (5.0, -1.0)]
)
def test_scaled_sigmoid(x, expected):
    assert scaled_sigmoid(x) == pytest.approx(expected)


HIT_CASES = [
    # (detected rows, expected (first row, position, reward) per window; None = missed)
    ([], [None, None]),
    ([400, 700], [(400, 0.0, 1.0), (700, 0.0, 1.0)]),
    ([450, 420], [(420, 0.2, sig(-80 / 100) / MAX_TP), None]),  # the earliest counts
    ([499, 719], [(499, 0.99, sig(-1 / 100) / MAX_TP), (719, 0.95, sig(-1 / 20) / MAX_TP)]),
    ([100, 399, 500, 650], [None, None]),  # probation, just before, just after, between
]


@pytest.mark.parametrize(("rows", "expected"), HIT_CASES)
def test_window_hits_first_detection(rows, expected):
    ts = stamps(1000)
    windows = [(ts[a], ts[b]) for a, b in WINDOWS]
    hits = nab.window_hits(ts, [i in rows for i in range(1000)], windows)
    assert [(h.left, h.right) for h in hits] == WINDOWS
    for hit, want in zip(hits, expected, strict=True):
        if want is None:
            assert (hit.first, hit.position, hit.reward) == (None, None, None)
        else:
            assert hit.first == want[0]
            assert hit.position == pytest.approx(want[1])
            assert hit.reward == pytest.approx(want[2])


def test_window_hits_skip_windows_in_probation():
    ts = stamps(1000)
    hits = window_hits(ts, [True] * 1000, [(ts[10], ts[100]), (ts[140], ts[200])])
    # The first window ends in probation (150 rows); the second is hit on row 150.
    assert [(h.left, h.first) for h in hits] == [(140, 150)]


FALSE_ALARM_CASES = [
    # (detected rows, rows NAB counts as false positives)
    ([], []),
    ([100, 149], []),  # probation
    ([150, 399, 400, 499, 500], [150, 399, 500]),  # the window's edges are inside it
    ([450, 650, 710, 900], [650, 900]),
]


@pytest.mark.parametrize(("rows", "expected"), FALSE_ALARM_CASES)
def test_false_alarms_are_the_scored_detections_outside_windows(rows, expected):
    ts = stamps(1000)
    windows = [(ts[a], ts[b]) for a, b in WINDOWS]
    detections = [i in rows for i in range(1000)]
    assert nab.false_alarms(ts, detections, windows) == expected
    # The same count as the scorer's.
    assert score_detections(ts, detections, windows, STD).fp == len(expected)


@pytest.mark.parametrize("policy", nab.POLICIES)
def test_detect_series_reports_the_expected_count_of_each_row(policy):
    rng = np.random.default_rng(2)
    n = 3 * 288
    values = [int(v) for v in rng.poisson(40, n)]
    expected: list[float] = []
    scores, _ = nab.detect_series(stamps(n), values, policy=policy, expected=expected)
    assert len(expected) == len(scores) == n
    assert all(e > 0 for e in expected)
    # Once warm, the baseline expects about the true rate of 40 per bin.
    assert float(np.mean(expected[-288:])) == pytest.approx(40, rel=0.15)


def test_window_in_probation_is_not_scored():
    ts = stamps(1000)
    score = score_detections(ts, [False] * 1000, [(ts[10], ts[100])], STD)
    assert (score.raw, score.null, score.perfect) == (0.0, 0.0, 0.0)


def test_normalized_score():
    s = nab.FileScore(raw=0.0, null=-2.0, perfect=2.0, tp=0, fp=0, fn=0)
    assert s.normalized == 50.0


def write_series(path, ts, values):
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["timestamp", "value"])
        for t, v in zip(ts, values):
            w.writerow([t.strftime("%Y-%m-%d %H:%M:%S"), int(v)])


@pytest.mark.parametrize("policy", nab.POLICIES)
def test_command_end_to_end(tmp_path, capsys, policy):
    rng = np.random.default_rng(0)
    n = 6 * 288
    ts = stamps(n)
    data = tmp_path / "data"
    data.mkdir()
    labels = {}
    for name, base in (("quiet.csv", 3.0), ("busy.csv", 60.0)):
        values = rng.poisson(base, n)
        spike = 4 * 288
        values[spike : spike + 3] = base * 8 + 30
        write_series(data / name, ts, values)
        labels[f"synthetic/{name}"] = [
            [str(ts[spike - 100]) + ".000000", str(ts[spike + 100]) + ".000000"]
        ]
    (data / "combined_windows.json").write_text(json.dumps(labels))
    out = tmp_path / "out"
    parser = argparse.ArgumentParser()
    nab.add_arguments(parser)
    assert nab.run(parser.parse_args([str(data), "--out", str(out), "--policy", policy])) == 0
    printed = capsys.readouterr().out
    result = json.loads(printed.strip().splitlines()[-1])
    window_lines = [line for line in printed.splitlines() if line.startswith("  window ")]
    assert len(window_lines) == 2
    assert all("first alert" in line and "reward" in line for line in window_lines)
    for line in printed.splitlines():
        if line.startswith("  false alarm "):
            assert " observed, " in line and " expected, score " in line
    for name in ("quiet.csv", "busy.csv"):
        with (out / name).open() as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0]) == ["timestamp", "value", "anomaly_score", "alert"]
        assert len(rows) == n
        assert all(0.0 <= float(r["anomaly_score"]) <= 1.0 for r in rows)
        assert rows[4 * 288]["alert"] == "1"
        # The spike is detected mid-window and few false alarms are raised.
        assert result["nab"]["standard"]["files"][name] > 50
    assert set(result["nab"]) == {"standard", "reward_low_FP_rate", "reward_low_FN_rate"}


def test_unknown_policy_fails_loudly():
    with pytest.raises(ValueError, match="unknown policy"):
        nab.detect_series(stamps(3), [1, 2, 3], policy="vote")


def test_command_without_labels_and_empty_dir(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    parser = argparse.ArgumentParser()
    nab.add_arguments(parser)
    args = parser.parse_args([str(data), "--out", str(tmp_path / "out")])
    assert nab.run(args) == 2
    write_series(data / "a.csv", stamps(50), [1] * 50)
    assert nab.run(args) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["scored"] is False


def test_aftermath_of_a_burst_does_not_silence_the_next_one():
    # An hour-long burst, then eight calm hours, then a short second burst.  The six-hour
    # and day windows remember the first burst for hours (the score stays anomalous), but
    # only the rising score opens and extends episodes, so the second burst alerts.
    rng = np.random.default_rng(1)
    n = 5 * 288
    ts = stamps(n)
    values = rng.poisson(20, n)
    first, second = 3 * 288, 3 * 288 + 12 + 8 * 12
    values[first : first + 24] = 120
    values[second : second + 3] = 200
    _, alerts = nab.detect_series(ts, [int(v) for v in values])
    assert [i for i, a in enumerate(alerts) if a] == [first, second]
    # Fed the plain score, the gate would have kept the first episode open.
    detector, gate, plain = VolumeSpike(bin_minutes=5), EpisodeGate(), []
    for t, v in zip(ts, values):
        plain.append(gate.update(t, detector.score_one(t, int(v)) >= 4.0))
        detector.learn_one(t, int(v))
    assert [i for i, a in enumerate(plain) if a] == [first]
