"""Volume spikes: is this bin's mention count surprisingly high for the time of day?

The baseline is a multiplicative model ``expected = level * hour_factor * weekday_factor``
learned online:

- ``level`` blends a fast EWMA (about an hour) with a slow one (about a day) of the
  de-seasonalised counts, so it follows the recent regime without chasing every burst;
- ``hour_factor`` (24 slots) and ``weekday_factor`` (7 slots) are ratios of EWMA sums,
  shrunk towards 1 until enough days have been seen;
- the over-dispersion ``alpha`` of a negative binomial (variance ``mu + alpha * mu**2``)
  is an EWMA of the moment estimate ``((x - mu)**2 - mu) / mu**2``.

The model surprise is the negative-binomial upper-tail surprise of the count; the same
is computed for the total of a trailing window (default one hour) against the sum of
its expected counts.  Each is recalibrated on the stream's own tail by a
:class:`~monitoring.detect.TailCalibrator` (real mention streams are burstier than any
count model) and the score is the larger of the two, corrected for testing twice.  Low-volume streams are naturally noisy under this model, so
0 -> 3 mentions is not a crisis.  Counts are winsorised before they are learned, and a
bin that scores as anomalous is learned with weight ``anomaly_weight`` only, so a long
crisis keeps scoring high instead of becoming the new normal within the hour.

Every update is O(1): nothing re-reads history.
"""

from __future__ import annotations

import math
import time
from collections import deque
from datetime import datetime, timedelta

import numpy as np
from scipy import stats

from monitoring.detect import MAX_SURPRISE, TailCalibrator, nb_surprise, threshold_for

__all__ = ["VolumeSpike", "update_cost"]

_LOG10_2 = math.log10(2.0)
_RAW_CAP = 300.0  # model surprises are recalibrated before the final cap
_PRIOR_COUNT = 0.5  # gamma prior shape of a level (mentions), over one pseudo-bin
_PRIOR_SEASON_COUNT = 10.0  # mentions of evidence before a seasonal factor leaves 1


def _decay(halflife_updates: float) -> float:
    """Per-update decay factor of an EWMA with the given half-life (in updates)."""
    return 0.5 ** (1.0 / max(halflife_updates, 1e-9))


class VolumeSpike:
    """Score per-bin mention counts against a seasonal negative-binomial baseline.

    Parameters
    ----------
    bin_minutes : int
        Width of one bin; ``score_one``/``learn_one`` are called with each bin's start.
    sensitivity : str
        Key of :data:`monitoring.detect.SENSITIVITY_THRESHOLDS`; decides which bins are
        kept out of the baseline (the alert policy decides alerts on its own).
    grace_period : int | None
        Bins learned before scoring starts (score 0 until then); default 12 hours.
    fast_halflife : timedelta
        Half-life of the recent level.
    slow_halflife : timedelta
        Half-life of the slow level (also the reference the hourly profile is learned on).
    season_halflife_days : float
        Half-life, in days, of the hour-of-day profile (weeks for the weekday profile).
    dispersion_halflife : timedelta
        Half-life of the over-dispersion estimate.
    fast_weight : float
        Weight of the fast level in the blended level (the rest is the slow level).
    alpha_prior : float
        Starting over-dispersion, before the data say otherwise.
    clip_sigmas : float
        Counts above ``mean + clip_sigmas * sd`` are learned as that value.
    anomaly_weight : float
        Learning weight of a bin whose score reaches the sensitivity threshold.
    calibration_halflife_days : float
        Half-life of the tail recalibration (:class:`~monitoring.detect.TailCalibrator`).
    window : timedelta | None
        A second scale: the total of the bins in this trailing window is also scored
        against the sum of their expected counts, so a sustained moderate rise is seen
        as early as a sharp spike.  The score is the larger of the two calibrated
        surprises, corrected for testing twice.  ``None`` scores single bins only.

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> rng = np.random.default_rng(0)
    >>> det = VolumeSpike(bin_minutes=5, grace_period=288)
    >>> t0 = datetime(2026, 3, 2)
    >>> for i in range(2 * 288):
    ...     ts = t0 + timedelta(minutes=5 * i)
    ...     det.learn_one(ts, int(rng.poisson(20)))
    >>> ts = t0 + timedelta(days=2)
    >>> det.score_one(ts, 22) < 1.0, det.score_one(ts, 80) > 8
    (True, True)
    >>> mean, low, high = det.expected(ts)
    >>> low < mean < high
    True
    """

    def __init__(
        self,
        bin_minutes: int = 5,
        sensitivity: str = "normal",
        grace_period: int | None = None,
        fast_halflife: timedelta = timedelta(hours=1),
        slow_halflife: timedelta = timedelta(days=1),
        season_halflife_days: float = 7.0,
        dispersion_halflife: timedelta = timedelta(days=1),
        fast_weight: float = 0.5,
        alpha_prior: float = 0.5,
        clip_sigmas: float = 3.0,
        anomaly_weight: float = 0.1,
        calibration_halflife_days: float = 7.0,
        window: timedelta | None = timedelta(hours=1),
    ) -> None:
        if bin_minutes <= 0:
            raise ValueError("bin_minutes must be positive")
        self.bin_minutes = bin_minutes
        self.sensitivity = sensitivity
        self.grace_period = grace_period
        self.fast_halflife = fast_halflife
        self.slow_halflife = slow_halflife
        self.season_halflife_days = season_halflife_days
        self.dispersion_halflife = dispersion_halflife
        self.fast_weight = fast_weight
        self.alpha_prior = alpha_prior
        self.clip_sigmas = clip_sigmas
        self.anomaly_weight = anomaly_weight
        self.calibration_halflife_days = calibration_halflife_days
        self.window = window

        self._threshold = threshold_for(sensitivity)
        bin_td = timedelta(minutes=bin_minutes)
        self._grace = grace_period if grace_period is not None else max(1, (12 * 60) // bin_minutes)
        self._d_fast = _decay(fast_halflife / bin_td)
        self._d_slow = _decay(slow_halflife / bin_td)
        self._d_disp = _decay(dispersion_halflife / bin_td)
        bins_per_hour = max(1.0, 60.0 / bin_minutes)
        self._d_hour = _decay(season_halflife_days * bins_per_hour)
        self._d_wday = _decay(season_halflife_days * 7 * 24 * bins_per_hour)
        self._prior_hour = 2.0 * bins_per_hour  # two hours at factor 1 per hour slot
        self._prior_wday = 24.0 * bins_per_hour  # one day at factor 1 per weekday slot
        self.n_learned = 0
        # Discounted sums (counts, bins) behind the fast and slow levels.
        self._fast = [0.0, 0.0]
        self._slow = [0.0, 0.0]
        self.alpha = alpha_prior
        self._disp_num = 0.0
        self._disp_den = 0.0
        # Ratio-of-sums seasonal factors: observed counts vs. what the level predicted.
        self._hour_obs = np.zeros(24)
        self._hour_ref = np.zeros(24)
        self._wday_obs = np.zeros(7)
        self._wday_ref = np.zeros(7)
        bins_per_day = 24.0 * bins_per_hour
        self.calibrator = TailCalibrator(
            halflife=calibration_halflife_days * bins_per_day, prior_updates=bins_per_day
        )
        self.window_calibrator = TailCalibrator(
            halflife=calibration_halflife_days * bins_per_day, prior_updates=bins_per_day
        )
        n_window = int(window / bin_td) if window is not None else 0
        self._window_bins = n_window if n_window >= 2 else 0
        # Counts and expected counts of the last ``_window_bins - 1`` bins learned.
        self._recent: deque[tuple[float, float]] = deque()
        self._recent_count = 0.0
        self._recent_mean = 0.0
        self._w_disp = [0.0, 0.0]
        self._cache: tuple[datetime, int, tuple[float, float, float]] | None = None

    # -- model ---------------------------------------------------------------------
    @staticmethod
    def _mean(sums: list[float]) -> float:
        # Gamma(0.5, 1) prior: a level is never exactly zero.
        return (sums[0] + _PRIOR_COUNT) / (sums[1] + 1.0)

    @property
    def fast(self) -> float:
        """Recent de-seasonalised level (mentions per bin)."""
        return self._mean(self._fast)

    @property
    def slow(self) -> float:
        """Slow de-seasonalised level (mentions per bin)."""
        return self._mean(self._slow)

    def _factor(self, obs: np.ndarray, ref: np.ndarray, i: int, prior_bins: float) -> float:
        # Shrink towards 1 by pseudo-observations worth ``prior_bins`` bins at the slow
        # level and at least ``_PRIOR_SEASON_COUNT`` mentions.
        prior = prior_bins * self.slow + _PRIOR_SEASON_COUNT
        return float((obs[i] + prior) / (ref[i] + prior))

    def _hour_factor(self, hour: int) -> float:
        return self._factor(self._hour_obs, self._hour_ref, hour, self._prior_hour)

    def _wday_factor(self, wday: int) -> float:
        return self._factor(self._wday_obs, self._wday_ref, wday, self._prior_wday)

    def _season(self, ts: datetime) -> float:
        return max(self._hour_factor(ts.hour) * self._wday_factor(ts.weekday()), 1e-3)

    def _params(self, ts: datetime) -> tuple[float, float, float]:
        """Return ``(mean, alpha, season)`` of the predictive distribution at ``ts``."""
        season = self._season(ts)
        level = self.fast_weight * self.fast + (1.0 - self.fast_weight) * self.slow
        # Over-dispersion of the data plus the uncertainty of a level resting on few
        # mentions (the shape of the fast level's gamma posterior).
        alpha = self.alpha + 1.0 / (_PRIOR_COUNT + self._fast[0])
        return level * season, alpha, season

    # -- public API ----------------------------------------------------------------
    def score_one(self, ts: datetime, count: int) -> float:
        """Surprise of ``count`` mentions in the bin starting at ``ts`` (0 in warm-up)."""
        if self.n_learned < self._grace:
            return 0.0
        return self._scores(ts, count)[2]

    def _window_alpha(self) -> float:
        prior = self._prior_hour
        alpha = (self._w_disp[0] + prior * self.alpha_prior) / (self._w_disp[1] + prior)
        return min(max(alpha, 1e-3), 10.0)

    def _scores(self, ts: datetime, count: int) -> tuple[float, float, float]:
        """Return ``(bin model surprise, window model surprise, final score)``."""
        cache = self._cache
        if cache is not None and cache[0] == ts and cache[1] == count:
            return cache[2]
        mean, alpha, _ = self._params(ts)
        raw = nb_surprise(count, mean, alpha, cap=_RAW_CAP)
        score = self.calibrator.calibrate(raw, cap=_RAW_CAP)
        raw_w = 0.0
        if self._window_bins and len(self._recent) == self._window_bins - 1:
            total = self._recent_count + count
            expected = self._recent_mean + mean
            raw_w = nb_surprise(total, expected, self._window_alpha(), cap=_RAW_CAP)
            score_w = self.window_calibrator.calibrate(raw_w, cap=_RAW_CAP)
            # Bonferroni: the larger of two calibrated surprises, tested twice.
            score = max(0.0, max(score, score_w) - _LOG10_2)
        result = (raw, raw_w, min(score, MAX_SURPRISE))
        self._cache = (ts, count, result)
        return result

    def learn_one(self, ts: datetime, count: int) -> None:
        """Update the baseline with the bin starting at ``ts``."""
        count = max(0, int(count))
        weight = 1.0
        full = self._window_bins and len(self._recent) == self._window_bins - 1
        if self.n_learned > 0:
            raw, raw_w, score = self._scores(ts, count)
            if self.n_learned >= self._grace and score >= self._threshold:
                weight = self.anomaly_weight
            # Anomalous bins stay out of the tail model (as in SPOT), so a crisis does
            # not teach it that crises are normal; ordinary bins' excesses are censored.
            if weight == 1.0:
                self.calibrator.update(raw)
                if full:
                    self.window_calibrator.update(raw_w)
        mean, alpha, season = self._params(ts)
        sd = math.sqrt(mean + alpha * mean * mean)
        x = min(float(count), mean + self.clip_sigmas * sd)
        if self.n_learned == 0:
            x = float(count)
        deseason = x / season
        for sums, decay in ((self._fast, self._d_fast), (self._slow, self._d_slow)):
            sums[0] = decay * sums[0] + weight * deseason
            sums[1] = decay * sums[1] + weight
        if self.n_learned > 0:
            z = ((x - mean) ** 2 - mean) / (mean * mean)
            self._disp_num = self._d_disp * self._disp_num + weight * z
            self._disp_den = self._d_disp * self._disp_den + weight
            prior = self._prior_hour
            alpha = (self._disp_num + prior * self.alpha_prior) / (self._disp_den + prior)
            self.alpha = min(max(alpha, 1e-3), 10.0)
        if self._window_bins:
            self._learn_window(float(count), mean, weight, full)
        self._learn_season(ts, x, weight)
        self.n_learned += 1
        self._cache = None

    def _learn_window(self, count: float, mean: float, weight: float, full: bool) -> None:
        if full:
            total = self._recent_count + count
            expected = self._recent_mean + mean
            alpha = self._window_alpha()
            sd = math.sqrt(expected + alpha * expected * expected)
            total = min(total, expected + self.clip_sigmas * sd)
            z = ((total - expected) ** 2 - expected) / (expected * expected)
            self._w_disp[0] = self._d_disp * self._w_disp[0] + weight * z
            self._w_disp[1] = self._d_disp * self._w_disp[1] + weight
        self._recent.append((count, mean))
        self._recent_count += count
        self._recent_mean += mean
        if len(self._recent) > self._window_bins - 1:
            old_count, old_mean = self._recent.popleft()
            self._recent_count -= old_count
            self._recent_mean -= old_mean

    def _learn_season(self, ts: datetime, x: float, weight: float) -> None:
        h, d = ts.hour, ts.weekday()
        wday = self._wday_factor(d)
        hour = self._hour_factor(h)
        slow = self.slow
        self._hour_obs[h] = self._d_hour * self._hour_obs[h] + weight * x
        self._hour_ref[h] = self._d_hour * self._hour_ref[h] + weight * slow * wday
        self._wday_obs[d] = self._d_wday * self._wday_obs[d] + weight * x
        self._wday_ref[d] = self._d_wday * self._wday_ref[d] + weight * slow * hour

    def expected(self, ts: datetime) -> tuple[float, float, float]:
        """Return ``(mean, low, high)``: the expected count and its normal band at ``ts``.

        The band holds the counts whose surprise (either tail) stays below the
        sensitivity threshold.
        """
        mean, alpha, _ = self._params(ts)
        tail = 10.0 ** -min(self._threshold, MAX_SURPRISE)
        r = 1.0 / max(alpha, 1e-9)
        p = r / (r + mean)
        low = float(stats.nbinom.ppf(tail, r, p))
        high = float(stats.nbinom.isf(tail, r, p))
        return mean, low, high


def update_cost(days: int, bin_minutes: int = 1, repeats: int = 2000) -> float:
    """Seconds per bin update (score + learn) after ``days`` of history.

    >>> update_cost(0, repeats=50) < 0.01
    True
    """
    rng = np.random.default_rng(0)
    det = VolumeSpike(bin_minutes=bin_minutes)
    t0 = datetime(2026, 1, 5)
    step = timedelta(minutes=bin_minutes)
    n_hist = days * 24 * 60 // bin_minutes
    counts = rng.poisson(30, size=n_hist + repeats)
    for i in range(n_hist):
        det.learn_one(t0 + i * step, int(counts[i]))
    start = time.perf_counter()
    for i in range(n_hist, n_hist + repeats):
        ts = t0 + i * step
        det.score_one(ts, int(counts[i]))
        det.learn_one(ts, int(counts[i]))
    return (time.perf_counter() - start) / repeats
