from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta

import numpy as np
import pytest

from monitoring.detect import (
    SENSITIVITY_THRESHOLDS,
    EpisodeGate,
    is_anomalous,
    nb_surprise,
    poisson_surprise,
    surprise,
)
from monitoring.detect.volume import VolumeSpike, update_cost

T0 = datetime(2026, 3, 2)  # a Monday


def seasonal_rate(ts: datetime, base: float) -> float:
    """Daily rhythm (night low, evening high) and quieter weekends."""
    daily = 1.0 + 0.8 * math.sin(2 * math.pi * (ts.hour + ts.minute / 60 - 9) / 24)
    weekly = 0.6 if ts.weekday() >= 5 else 1.0
    return base * daily * weekly


def run(det: VolumeSpike, counts, bin_minutes: int, start: datetime = T0) -> list[float]:
    scores = []
    for i, c in enumerate(counts):
        ts = start + timedelta(minutes=bin_minutes * i)
        scores.append(det.score_one(ts, int(c)))
        det.learn_one(ts, int(c))
    return scores


@pytest.mark.parametrize(
    ("x", "mean", "alpha", "low", "high"),
    [
        (0, 5.0, 0.0, 0.0, 0.0),  # zero is never surprising
        (3, 0.1, 0.0, 3.7, 3.9),  # P(Poisson(0.1) >= 3) = 1.5e-4
        (12, 3.0, 0.0, 4.1, 4.2),
        (12, 3.0, 0.5, 1.8, 2.0),  # over-dispersion makes the same count less surprising
        (5, 0.0, 0.0, 20.0, 20.0),  # impossible under the model: capped
        (10_000, 10.0, 0.1, 20.0, 20.0),
    ],
)
def test_nb_surprise(x, mean, alpha, low, high):
    assert low <= nb_surprise(x, mean, alpha) <= high


@pytest.mark.parametrize("mean", [0.3, 4.0, 60.0])
def test_nb_surprise_is_calibrated_against_scipy(mean):
    from scipy import stats

    alpha = 0.3
    r = 1 / alpha
    for x in (1, 3, 10, 40):
        expected = -math.log10(stats.nbinom.sf(x - 1, r, r / (r + mean)))
        assert nb_surprise(x, mean, alpha) == pytest.approx(min(expected, 20.0), rel=1e-6)
    assert poisson_surprise(4, mean) == pytest.approx(-math.log10(stats.poisson.sf(3, mean)))


@pytest.mark.parametrize(
    ("p", "expected"), [(1e-3, 3.0), (1.0, 0.0), (0.0, 20.0), (float("nan"), 20.0)]
)
def test_surprise(p, expected):
    assert surprise(p) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("score", "sensitivity", "expected"),
    [(4.0, "normal", True), (3.9, "normal", False), (3.0, "high", True), (5.0, "low", False)],
)
def test_is_anomalous(score, sensitivity, expected):
    assert is_anomalous(score, sensitivity) is expected


def test_thresholds_are_ordered_and_unknown_sensitivity_fails():
    t = SENSITIVITY_THRESHOLDS
    assert t["high"] < t["normal"] < t["low"]
    with pytest.raises(ValueError, match="sensitivity"):
        VolumeSpike(sensitivity="paranoid")


@pytest.mark.parametrize(
    ("flags", "alerts"),
    [
        ([1, 1, 1, 0, 0, 0, 0], [0]),  # one episode, one alert
        ([0, 1, 0, 0, 0, 0, 1], [1]),  # re-opened within quiet + cooldown: no new alert
        ([1] + [0] * 30 + [1], [0, 31]),  # far apart: two alerts
    ],
)
def test_episode_gate(flags, alerts):
    gate = EpisodeGate(quiet=timedelta(minutes=10), cooldown=timedelta(minutes=30))
    out = [gate.update(T0 + timedelta(minutes=5 * i), bool(f)) for i, f in enumerate(flags)]
    assert [i for i, a in enumerate(out) if a] == alerts


@pytest.mark.parametrize(("bin_minutes", "base"), [(5, 40.0), (1, 8.0)])
def test_seasonal_poisson_with_spikes(bin_minutes, base):
    rng = np.random.default_rng(1)
    per_day = 1440 // bin_minutes
    n = 6 * per_day
    ts = [T0 + timedelta(minutes=bin_minutes * i) for i in range(n)]
    counts = np.array([rng.poisson(seasonal_rate(t, base)) for t in ts])
    spikes = [4 * per_day + per_day // 3, 5 * per_day + per_day // 2]
    for i in spikes:
        counts[i] = int(seasonal_rate(ts[i], base) * 4 + 20)
    det = VolumeSpike(bin_minutes=bin_minutes)
    scores = np.array(run(det, counts, bin_minutes))
    assert all(scores[i] >= SENSITIVITY_THRESHOLDS["normal"] for i in spikes)
    scored = np.ones(n, bool)
    scored[: 2 * per_day] = False
    scored[spikes] = False
    # Calibration: ordinary bins rarely reach the threshold.
    assert (scores[scored] >= SENSITIVITY_THRESHOLDS["normal"]).mean() < 0.002
    assert np.median(scores[scored]) < 0.7


def test_zero_inflated_blip_does_not_alarm():
    rng = np.random.default_rng(2)
    n = 3 * 288
    counts = rng.poisson(0.3, n) * (rng.random(n) < 0.5)
    counts[-1] = 3
    det = VolumeSpike(bin_minutes=5)
    scores = run(det, counts, 5)
    assert not is_anomalous(scores[-1])
    assert max(scores[288:]) < SENSITIVITY_THRESHOLDS["normal"]


def _moderate(det: VolumeSpike, ts: datetime, threshold: float) -> int:
    """The smallest count whose evidence reaches ``threshold`` before, not after, the
    correction for the number of scales."""
    tests = math.log10(len(det.scale_scores(ts, 0)))
    for count in range(1, 10_000):
        if det.rising_score(ts, count) + tests >= threshold:
            assert det.rising_score(ts, count) < threshold
            return count
    raise AssertionError("no moderate count")


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_rise_held_for_two_bins_opens_on_its_second_bin(seed):
    rng = np.random.default_rng(seed)
    det = VolumeSpike(bin_minutes=5)
    thr = SENSITIVITY_THRESHOLDS["normal"]
    run(det, rng.poisson(20, 3 * 288), 5)
    t1 = T0 + timedelta(days=3)
    t2 = t1 + timedelta(minutes=5)
    first = _moderate(det, t1, thr)
    # One moderate bin is not enough: it would need the corrected score.
    assert det.onset_score(t1, first) < thr
    calm = copy.deepcopy(det)
    det.learn_one(t1, first)
    second = _moderate(det, t2, thr)
    assert det.rising_score(t2, second) < thr <= det.onset_score(t2, second)
    # Moderate evidence after an ordinary bin opens nothing.
    calm.learn_one(t1, 20)
    assert calm.onset_score(t2, _moderate(calm, t2, thr)) < thr
    # A sharp spike still opens on its own first bin.
    assert det.onset_score(t2, 200) >= det.rising_score(t2, 200) >= thr


@pytest.mark.parametrize("base, alpha", [(2.0, 0.1), (30.0, 0.05), (200.0, 0.03)])
def test_onset_stays_quiet_on_streams_without_events(base, alpha):
    # Ten days of a seasonal negative binomial after three days of warm-up: no bin opens.
    rng = np.random.default_rng(7)
    det = VolumeSpike(bin_minutes=5)
    onsets = []
    for i in range(13 * 288):
        ts = T0 + timedelta(minutes=5 * i)
        count = int(rng.poisson(rng.gamma(1 / alpha, seasonal_rate(ts, base) * alpha)))
        if i >= 3 * 288:
            onsets.append(det.onset_score(ts, count))
            assert onsets[-1] >= det.rising_score(ts, count)
        det.learn_one(ts, count)
    assert max(onsets) < SENSITIVITY_THRESHOLDS["normal"]


def test_long_crisis_plateau_keeps_scoring_high():
    rng = np.random.default_rng(3)
    per_day = 288
    calm = rng.poisson(20, 3 * per_day)
    crisis = rng.poisson(100, 6 * 12)  # six hours at five times the usual volume
    det = VolumeSpike(bin_minutes=5)
    run(det, calm, 5)
    scores = run(det, crisis, 5, start=T0 + timedelta(days=3))
    assert min(scores) >= SENSITIVITY_THRESHOLDS["normal"]
    mean, _, high = det.expected(T0 + timedelta(days=3, hours=6))
    assert mean < 40 and high < 100


def _busy_day(seed: int, rise: float, days: int = 15) -> tuple[list[datetime], list[int]]:
    """Days with a daily rhythm and +-10 % day-to-day level, the last one ``rise`` times busier.

    The rise is spread over the whole day: no single bin or hour is extreme.
    """
    rng = np.random.default_rng(seed)
    per_day = 288
    day_level = np.exp(rng.normal(0.0, 0.1, days))
    day_level[-1] *= rise
    ts = [T0 + timedelta(minutes=5 * i) for i in range(days * per_day)]
    counts = []
    for i, t in enumerate(ts):
        mu = seasonal_rate(t.replace(day=T0.day), 20.0) * day_level[i // per_day]
        counts.append(int(rng.negative_binomial(10, 10 / (10 + mu))))
    return ts, counts


@pytest.mark.parametrize("seed", [5, 6, 7, 9])
def test_a_day_long_rise_is_seen_by_the_day_window_and_not_learned_as_normal(seed):
    ts, counts = _busy_day(seed, rise=2.5)
    rise_start = len(ts) - 288
    maxima = {}
    for name, kwargs in {
        "default": {},
        "no day window": {"windows": (timedelta(hours=1), timedelta(hours=6))},
        "rise learned in full": {"learn_down_from": SENSITIVITY_THRESHOLDS["normal"]},
    }.items():
        det = VolumeSpike(bin_minutes=5, **kwargs)
        scores = run(det, counts, 5)
        # Ordinary days (after the first two) stay below the threshold...
        assert max(scores[2 * 288:rise_start]) < SENSITIVITY_THRESHOLDS["normal"]
        maxima[name] = max(scores[rise_start:])
    # ...the busy day reaches it, and only with the day window and the robust learning.
    assert maxima["default"] >= SENSITIVITY_THRESHOLDS["normal"]
    assert maxima["default"] > maxima["no day window"]
    assert maxima["default"] > maxima["rise learned in full"]


@pytest.mark.parametrize(("bin_minutes", "windows", "scales"), [
    (5, None, 4),   # 12 five-minute bins are the one-hour window: nothing added
    (1, None, 5),   # a 12-minute window joins the hour, six hours and day
    (1, (), 1),     # single bins only
])
def test_short_bins_get_a_window_of_a_dozen_bins(bin_minutes, windows, scales):
    kwargs = {} if windows is None else {"windows": windows}
    det = VolumeSpike(bin_minutes=bin_minutes, grace_period=0, **kwargs)
    assert len(det.scale_scores(T0, 0)) == scales


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_sustained_rise_on_a_minute_stream_is_seen_within_minutes(seed):
    """An evening blackout on a one-minute stream: four times the usual two or three
    mentions a minute for a quarter of an hour.  Few single minutes are extreme; the
    12-minute window sees the whole of it."""
    rng = np.random.default_rng(seed)
    calm = 4 * 1440 + 19 * 60  # Friday, 19:00
    ts = [T0 + timedelta(minutes=i) for i in range(calm + 15)]
    counts = [int(rng.poisson(seasonal_rate(t, 2.0) * (4.0 if i >= calm else 1.0)))
              for i, t in enumerate(ts)]
    maxima = {}
    for name, bins in {"default": 12, "no short window": 0}.items():
        scores = run(VolumeSpike(bin_minutes=1, min_window_bins=bins), counts, 1)
        assert max(scores[1440:calm]) < SENSITIVITY_THRESHOLDS["normal"]
        maxima[name] = max(scores[calm:])
    assert maxima["default"] >= SENSITIVITY_THRESHOLDS["normal"] + 2
    assert maxima["default"] > maxima["no short window"] + 1


def test_grace_period_scores_zero():
    det = VolumeSpike(bin_minutes=5, grace_period=10)
    scores = run(det, [5] * 9 + [500], 5)
    assert scores == [0.0] * 10
    assert det.grace_period == 10 and det.bin_minutes == 5


def test_expected_band_follows_daily_rhythm():
    rng = np.random.default_rng(4)
    bin_minutes = 5
    n = 5 * 288
    ts = [T0 + timedelta(minutes=bin_minutes * i) for i in range(n)]
    counts = [rng.poisson(seasonal_rate(t, 50.0)) for t in ts]
    det = VolumeSpike(bin_minutes=bin_minutes)
    run(det, counts, bin_minutes)
    day = T0 + timedelta(days=5)
    night_mean, _, _ = det.expected(day.replace(hour=3))
    peak_mean, low, high = det.expected(day.replace(hour=15))
    assert peak_mean > 2 * night_mean
    assert low < peak_mean < high
    # the band uses scipy's quantile functions directly: the public API agrees
    from scipy import stats

    _, alpha, _ = det._params(day.replace(hour=15))
    tail = 10.0 ** -det._threshold
    r = 1.0 / max(alpha, 1e-9)
    p = r / (r + peak_mean)
    assert (low, high) == (stats.nbinom.ppf(tail, r, p), stats.nbinom.isf(tail, r, p))


def test_update_cost_is_constant():
    short = update_cost(0, bin_minutes=60, repeats=300)
    longer = update_cost(20, bin_minutes=60, repeats=300)
    assert longer < 5 * short + 1e-4


# -- episode calibration -------------------------------------------------------------
def _bursts(cal, n_updates: int, peak_cycle: tuple[float, ...], every: int = 50, length: int = 5):
    for i in range(n_updates):
        burst = i % every < length
        cal.update(peak_cycle[i // every % len(peak_cycle)] if burst else 0.5)


@pytest.mark.parametrize(("raw", "low", "high"), [
    (2.0, 0.0, 2.5),  # an ordinary burst is unremarkable once declustered
    (6.0, 0.0, 3.5),  # as high as the stream's usual peaks: not a crisis
    (30.0, 6.0, 20.0),  # far beyond every past peak
])
def test_episode_calibrator_learns_the_streams_own_peaks(raw, low, high):
    from monitoring.detect import EpisodeCalibrator

    cal = EpisodeCalibrator(level=2.0, run_length=3, halflife=10_000, prior_updates=100)
    _bursts(cal, 5000, (2.5, 3.5, 4.5, 5.5, 6.5))
    assert cal.episodes == 100  # one episode per burst, not one per bin
    assert low <= cal.calibrate(raw) <= high


@pytest.mark.parametrize(("censor", "low", "high"), [
    (4.0, 6.0, 20.0),  # censored: ten crises leave a surprise of 40 far beyond normal
    (1e9, 0.0, 4.0),  # uncensored: the crises would teach it that 40 is ordinary
])
def test_episode_calibrator_censors_crises(censor, low, high):
    from monitoring.detect import EpisodeCalibrator

    cal = EpisodeCalibrator(level=2.0, run_length=3, halflife=10_000, prior_updates=100,
                            censor=censor)
    _bursts(cal, 5000, (3.0, 4.0, 3.0, 4.0, 3.0, 4.0, 3.0, 4.0, 3.0, 200.0))
    assert low <= cal.calibrate(40.0) <= high


@pytest.mark.parametrize(("prior_rate", "at_level"), [
    (None, 2.0),  # a perfect model: episodes at level 2 start once in 100 updates
    (1e-1, 1.0),  # comparable streams have them once in 10: level 2 is less surprising
    (1e-3, 3.0),
])
def test_episode_calibrator_starts_from_its_prior_rate(prior_rate, at_level):
    from monitoring.detect import EpisodeCalibrator

    cal = EpisodeCalibrator(level=2.0, prior_updates=100, prior_rate=prior_rate)
    assert cal.calibrate(2.0) == pytest.approx(at_level)
    # The prior is forgotten as the stream's own history comes in.
    _bursts(cal, 5000, (2.5, 3.5, 4.5, 5.5, 6.5))
    plain = EpisodeCalibrator(level=2.0, prior_updates=100)
    _bursts(plain, 5000, (2.5, 3.5, 4.5, 5.5, 6.5))
    assert cal.calibrate(2.0) == pytest.approx(plain.calibrate(2.0), abs=0.1)


@pytest.mark.parametrize("bin_minutes", [1, 5, 15])
def test_population_prior_rates(bin_minutes):
    det = VolumeSpike(bin_minutes=bin_minutes)
    perfect = VolumeSpike(bin_minutes=bin_minutes, population_prior=False)
    rates = [det.calibrator.prior_rate] + [s.calibrator.prior_rate for s in det._scales]
    assert rates[0] == pytest.approx(10**-2.3)
    # Longer windows start fewer episodes per bin, and a one-hour total about one
    # every three days.
    assert rates == sorted(rates, reverse=True)
    [hour] = [s for s in det._scales if s.n * bin_minutes == 60]
    assert hour.calibrator.prior_rate * 1440 / bin_minutes == pytest.approx(1 / 3)
    assert [perfect.calibrator.prior_rate] + [
        s.calibrator.prior_rate for s in perfect._scales
    ] == [pytest.approx(1e-3)] * (1 + len(perfect._scales))


def test_population_prior_follows_the_episode_level():
    low = VolumeSpike(bin_minutes=5, episode_level=3.0)
    high = VolumeSpike(bin_minutes=5, episode_level=4.0)
    assert high.calibrator.prior_rate == pytest.approx(low.calibrator.prior_rate / 10)


@pytest.mark.parametrize(("burst", "judged_lower"), [
    (60, True),  # an ordinary burst on a young stream: bursts are usual on real streams
    (400, False),  # far beyond any burst: anomalous either way
])
def test_population_prior_on_a_young_stream(burst, judged_lower):
    rng = np.random.default_rng(3)
    counts = rng.poisson(20, 288)
    ts = T0 + timedelta(minutes=5 * 288)
    scores = {}
    for prior in (True, False):
        det = VolumeSpike(bin_minutes=5, grace_period=144, population_prior=prior)
        run(det, counts, 5)
        scores[prior] = det.score_one(ts, burst)
    assert (scores[True] < scores[False] - 0.3) is judged_lower
    if not judged_lower:
        assert min(scores.values()) >= SENSITIVITY_THRESHOLDS["normal"]
