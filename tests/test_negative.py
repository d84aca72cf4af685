from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from monitoring.detect import SENSITIVITY_THRESHOLDS, is_anomalous
from monitoring.detect.negative import NegativeShift

T0 = datetime(2026, 3, 2)


def feed(det: NegativeShift, ns, ks, start: datetime = T0) -> list[float]:
    scores = []
    for i, (n, k) in enumerate(zip(ns, ks)):
        ts = start + timedelta(minutes=5 * i)
        scores.append(det.score_one(ts, int(n), int(k)))
        det.learn_one(ts, int(n), int(k))
    return scores


def calm(rng, bins: int, volume: float, share: float):
    ns = rng.poisson(volume, bins)
    # Over-dispersed share: varies from bin to bin around `share`.
    shares = rng.beta(share * 200, (1 - share) * 200, bins)
    return ns, rng.binomial(ns, shares)


@pytest.mark.parametrize(
    ("n", "k", "anomalous"),
    [
        (200, 42, False),  # 21 % on a 20 % baseline
        (200, 90, True),  # 45 %
        (10, 6, False),  # 60 % of ten mentions: not enough evidence
        (40, 30, True),  # 75 % of forty mentions
        (0, 0, False),
        (5, 5, False),
    ],
)
def test_share_shift_given_volume(n, k, anomalous):
    rng = np.random.default_rng(0)
    det = NegativeShift(bin_minutes=5)
    feed(det, *calm(rng, 2 * 288, 100, 0.2))
    assert det.expected_share(T0) == pytest.approx(0.2, abs=0.02)
    assert is_anomalous(det.score_one(T0 + timedelta(days=2), n, k)) is anomalous


def test_calm_share_rarely_alarms():
    rng = np.random.default_rng(1)
    det = NegativeShift(bin_minutes=5)
    scores = np.array(feed(det, *calm(rng, 4 * 288, 150, 0.3)))
    assert (scores[288:] >= SENSITIVITY_THRESHOLDS["normal"]).mean() < 0.003


def test_sustained_shift_is_not_learned_quickly():
    rng = np.random.default_rng(2)
    det = NegativeShift(bin_minutes=5)
    feed(det, *calm(rng, 2 * 288, 300, 0.2))
    ns = rng.poisson(300, 36)  # three hours at 50 % negative
    scores = feed(det, ns, rng.binomial(ns, 0.5), start=T0 + timedelta(days=2))
    assert min(scores) >= SENSITIVITY_THRESHOLDS["normal"]
    assert det.expected_share(T0) < 0.3


def test_warm_up_and_arguments():
    det = NegativeShift(bin_minutes=1, grace_period=3, halflife=timedelta(hours=1))
    assert feed(det, [10, 10, 10], [9, 9, 9]) == [0.0, 0.0, 0.0]
    assert det.grace_period == 3 and det.halflife == timedelta(hours=1)
    with pytest.raises(ValueError):
        NegativeShift(sensitivity="extreme")


@pytest.mark.parametrize("k, n, a, b", [
    (1, 1, 0.5, 0.5), (3, 10, 2.0, 8.0), (30, 100, 2.0, 8.0), (90, 100, 2.0, 8.0),
    (60, 200, 40.0, 160.0), (500, 2000, 300.0, 900.0), (7, 7, 1.0, 30.0),
])
def test_betabinom_tail_matches_scipy(k, n, a, b):
    from scipy import stats

    from monitoring.detect import betabinom_sf

    expected = float(stats.betabinom.sf(k - 1, n, a, b))
    assert betabinom_sf(k, n, a, b) == pytest.approx(expected, rel=1e-9, abs=1e-15)


def test_betabinom_tail_stays_exact_where_one_minus_cdf_vanishes():
    from scipy import special

    from monitoring.detect import betabinom_sf

    # P(X = n) alone, in closed form: B(n + a, b) / B(a, b)
    n, a, b = 60, 1.0, 60.0
    exact = float(np.exp(special.betaln(n + a, b) - special.betaln(a, b)))
    assert exact < 1e-20
    assert betabinom_sf(n, n, a, b) == pytest.approx(exact, rel=1e-9)
