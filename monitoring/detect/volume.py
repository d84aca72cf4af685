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
is computed for the totals of trailing windows (default one, six and 24 hours, and 12
bins when that is shorter) against
the sum of their expected counts at a *slow* reference level (its half-life a few window
lengths, so a busy day is compared with the days before it), so a ramp the fast level
would follow is still seen.  Each scale is recalibrated on the peaks of the stream's own past
episodes by an :class:`~monitoring.detect.EpisodeCalibrator` (real mention streams are
burstier than any count model, and their bursts come in runs) and the score is the
largest calibrated surprise, corrected for testing several scales (Bonferroni).
An event *opens* (:meth:`VolumeSpike.onset_score`) when one bin clears the threshold
with that correction, or when two bins in a row clear it without: a moderate rise that
holds is as telling as a sharp spike, and chance excursions rarely last two bins.
A new stream's calibrators start from how often episodes start on real mention streams
(a population prior, see ``population_prior``) rather than from a perfect model, so
its first days are judged like any other stream's.
Low-volume streams are naturally noisy under this model, so
0 -> 3 mentions is not a crisis.  Counts are winsorised before they are learned, and a
bin that scores as anomalous is learned with weight ``anomaly_weight`` only (and a bin
on the way there with a weight shrinking towards it), so a long crisis keeps scoring
high instead of becoming the new normal within the hour.

Every update is O(1): nothing re-reads history.
"""

from __future__ import annotations

import math
import time
from collections import deque
from datetime import datetime, timedelta

import numpy as np
from scipy import stats

from monitoring.detect import MAX_SURPRISE, EpisodeCalibrator, nb_surprise, threshold_for

__all__ = ["VolumeSpike", "update_cost"]

_RAW_CAP = 300.0  # model surprises are recalibrated before the final cap
_PRIOR_COUNT = 0.5  # gamma prior shape of a level (mentions), over one pseudo-bin
_PRIOR_SEASON_COUNT = 10.0  # mentions of evidence before a seasonal factor leaves 1
# Population prior of the episode calibrators: how often episodes (model surprise >= 3)
# start on real mention streams, measured without labels as the median over six public
# Twitter-volume series (NAB realTweets, 5- and 15-minute bins).  A bin's own count
# starts one about every 200 bins (whatever the bin width); a trailing window of h hours
# about 1/3 a day divided by sqrt(h): an episode of a longer total lasts longer, so fewer
# of them start.  A perfect model would say 1e-3 per bin at every scale.
_PRIOR_BIN_EPISODE_RATE = 10.0**-2.3
_PRIOR_WINDOW_EPISODES_PER_DAY = 1.0 / 3.0
_PRIOR_RATE_LEVEL = 3.0  # the episode level these rates were measured at


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
        Half-life of the episode recalibration (:class:`~monitoring.detect.EpisodeCalibrator`).
    windows : tuple of timedelta
        Further scales: the total of the bins in each trailing window is also scored
        against the sum of their expected counts, so a sustained moderate rise is seen
        as early as a sharp spike.  The score is the largest calibrated surprise,
        corrected for the number of scales.  ``()`` scores single bins only.
    min_window_bins : int
        A window of this many bins is added when it is shorter than every one of
        ``windows`` (with short bins): evidence is gathered over about as many bins
        whatever the bin width, so a sustained rise on a one-minute stream is not left to
        the single bins until the hour-long window notices it.  With five-minute bins
        the default, 12, is the one-hour window.  ``0`` adds none.
    episode_level : float
        Model surprise at which a bin belongs to an episode (see
        :class:`~monitoring.detect.EpisodeCalibrator`).
    window_slow : bool
        Score windows against a slow level (``True``) rather than the blended one.
    learn_down_from : float
        Score from which a bin's learning weight in the long-memory estimates (all but
        the fast level) shrinks, geometrically, from 1 to ``anomaly_weight`` at the
        sensitivity threshold: a mild rise that stays below the threshold is not learned
        at full weight while it lasts, so it cannot mask itself.
    reference_span : float
        Each window is scored against its own reference level, whose half-life is
        this many window lengths (at least ``slow_halflife``): a day is compared with
        the last few days, an hour with the last day.
    dispersion_span : float
        Half-life of each window's over-dispersion estimate, in window lengths (at
        least ``dispersion_halflife``): a day-long total needs weeks of days to know
        how much days vary.
    population_prior : bool
        Start the episode calibrators from the episode rates usual on real mention
        streams (``True``) rather than from those of a perfect model (``False``).

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
        windows: tuple[timedelta, ...] = (
            timedelta(hours=1), timedelta(hours=6), timedelta(hours=24)
        ),
        min_window_bins: int = 12,
        episode_level: float = 3.0,
        window_slow: bool = True,
        learn_down_from: float = 2.0,
        reference_span: float = 4.0,
        dispersion_span: float = 14.0,
        population_prior: bool = True,
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
        self.windows = tuple(windows)
        self.min_window_bins = min_window_bins
        self.episode_level = episode_level
        self.window_slow = window_slow
        self.learn_down_from = learn_down_from
        self.reference_span = reference_span
        self.dispersion_span = dispersion_span
        self.population_prior = population_prior

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
        self._hour_obs = [0.0] * 24
        self._hour_ref = [0.0] * 24
        self._wday_obs = [0.0] * 7
        self._wday_ref = [0.0] * 7
        bins_per_day = 24.0 * bins_per_hour
        halflife = calibration_halflife_days * bins_per_day
        self.calibrator = EpisodeCalibrator(
            level=episode_level, run_length=max(1, round(bins_per_hour)), halflife=halflife,
            prior_updates=bins_per_day, prior_rate=self._prior_rate(1),
        )
        self._scales = [
            _Window(
                n,
                EpisodeCalibrator(level=episode_level, run_length=n, halflife=halflife,
                                  prior_updates=bins_per_day, prior_rate=self._prior_rate(n)),
                level_decay=_decay(max(slow_halflife / bin_td, reference_span * n)),
                disp_decay=_decay(max(dispersion_halflife / bin_td, dispersion_span * n)),
            )
            for n in self._window_bins(bin_td)
        ]
        self._log_tests = math.log10(1 + len(self._scales))
        self._last_rising = 0.0  # uncorrected rising score of the last learned bin
        self._cache: tuple[datetime, int, tuple[list[float], list[float], float]] | None = None

    def _window_bins(self, bin_td: timedelta) -> list[int]:
        """Bins of each window scale, shortest first (windows under two bins dropped)."""
        sizes = {int(w / bin_td) for w in self.windows}
        if self.min_window_bins and sizes and self.min_window_bins < min(sizes):
            sizes.add(self.min_window_bins)
        return sorted(n for n in sizes if n >= 2)

    def _prior_rate(self, n_bins: int) -> float | None:
        """Prior episode rate per bin of the scale of ``n_bins`` bins (``None``: perfect model)."""
        if not self.population_prior:
            return None
        if n_bins == 1:
            rate = _PRIOR_BIN_EPISODE_RATE
        else:
            hours = n_bins * self.bin_minutes / 60.0
            rate = _PRIOR_WINDOW_EPISODES_PER_DAY / math.sqrt(hours) * self.bin_minutes / 1440.0
        # Episodes at a higher level are rarer, as for a well-calibrated model.
        return min(rate * 10.0 ** (_PRIOR_RATE_LEVEL - self.episode_level), 1.0)

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

    def _factor(self, obs: list[float], ref: list[float], i: int, prior_bins: float) -> float:
        # Shrink towards 1 by pseudo-observations worth ``prior_bins`` bins at the slow
        # level and at least ``_PRIOR_SEASON_COUNT`` mentions.
        prior = prior_bins * self.slow + _PRIOR_SEASON_COUNT
        return (obs[i] + prior) / (ref[i] + prior)

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

    def _window_mean(self, scale: _Window, mean: float, season: float) -> float:
        # Windows compare against a slow level (the window's own reference level, at
        # least as slow as ``slow``): the fast level follows a slow ramp, which is
        # exactly what the longer windows are there to see.
        if not self.window_slow:
            return mean
        return self._mean(scale.level) * season

    # -- public API ----------------------------------------------------------------
    def score_one(self, ts: datetime, count: int) -> float:
        """Surprise of ``count`` mentions in the bin starting at ``ts`` (0 in warm-up)."""
        if self.n_learned < self._grace:
            return 0.0
        return self._scores(ts, count)[2]

    def scale_scores(self, ts: datetime, count: int) -> list[float]:
        """Calibrated surprise of each scale (the bin first, then each window), uncorrected.

        The alert policy uses the bin's own score to tell when an event has subsided
        (a long window stays high for hours after a spike).
        """
        if self.n_learned < self._grace:
            return [0.0] * (1 + len(self._scales))
        return self._scores(ts, count)[1]

    def rising_score(self, ts: datetime, count: int) -> float:
        """The score counting only scales with new evidence in this bin.

        A trailing window remembers a spike for as long as the window: its score stays
        high but no longer rises.  A window counts here only while its model surprise
        is at the running maximum of its episode (or starts one), so the aftermath of
        an event does not look like a new one, while a slow ramp (rising) still does.
        """
        if self.n_learned < self._grace:
            return 0.0
        raw, cal, _ = self._scores(ts, count)
        return min(max(0.0, self._rising(raw, cal) - self._log_tests), MAX_SURPRISE)

    def onset_score(self, ts: datetime, count: int) -> float:
        """The score that opens an event: one bin's evidence, or two bins' together.

        The larger of :meth:`rising_score` (this bin's new evidence, corrected for the
        number of scales) and the *sustained* score: the smaller of this bin's and the
        previous bin's rising scores, each uncorrected.  Two ways to keep chance alarms
        rare: clear a higher bar in one bin (Bonferroni over the scales), or hold the
        threshold for two bins in a row (a chance excursion on any one scale rarely
        lasts).  A sharp spike still opens on its first bin; a moderate rise that holds
        opens on its second.  On synthetic streams with no events (seasonal negative
        binomial, 3 levels x 6 seeds x 57 days) it alarms no more often than the
        rising score alone.

        >>> from datetime import datetime, timedelta
        >>> det = VolumeSpike(bin_minutes=60, grace_period=48, windows=())
        >>> t0 = datetime(2026, 3, 2)
        >>> for i in range(24 * 14):
        ...     det.learn_one(t0 + timedelta(hours=i), 100 + (i % 7))
        >>> ts = t0 + timedelta(days=14)
        >>> det.onset_score(ts, 100) < 1.0, det.onset_score(ts, 300) >= 4.0
        (True, True)
        """
        if self.n_learned < self._grace:
            return 0.0
        raw, cal, _ = self._scores(ts, count)
        rising = self._rising(raw, cal)
        sustained = min(self._last_rising, rising)
        return min(max(0.0, rising - self._log_tests, sustained), MAX_SURPRISE)

    def _rising(self, raw: list[float], cal: list[float]) -> float:
        """The largest calibrated surprise of the scales with new evidence (uncorrected)."""
        best = cal[0]
        for scale, r, c in zip(self._scales, raw[1:], cal[1:]):
            peak = scale.calibrator.peak
            if peak is None or r >= peak:
                best = max(best, c)
        return best

    def _scores(self, ts: datetime, count: int) -> tuple[list[float], list[float], float]:
        """Return ``(model surprise per scale, calibrated surprise per scale, score)``."""
        cache = self._cache
        if cache is not None and cache[0] == ts and cache[1] == count:
            return cache[2]
        mean, alpha, season = self._params(ts)
        raw = [nb_surprise(count, mean, alpha, cap=_RAW_CAP)]
        cal = [min(self.calibrator.calibrate(raw[0], cap=_RAW_CAP), MAX_SURPRISE)]
        for scale in self._scales:
            r = scale.surprise(count, self._window_mean(scale, mean, season), self.alpha_prior,
                               self._prior_hour)
            raw.append(r)
            c = scale.calibrator.calibrate(r, cap=_RAW_CAP) if scale.full else 0.0
            cal.append(min(c, MAX_SURPRISE))
        # Bonferroni: the largest of several calibrated surprises.
        final = min(max(0.0, max(cal) - self._log_tests), MAX_SURPRISE)
        result = (raw, cal, final)
        self._cache = (ts, count, result)
        return result

    def learn_one(self, ts: datetime, count: int) -> None:
        """Update the baseline with the bin starting at ``ts``."""
        count = max(0, int(count))
        weight = robust = 1.0  # learning weights of the fast level / of everything else
        self._last_rising = 0.0
        if self.n_learned > 0:
            raw, cal, score = self._scores(ts, count)
            if self.n_learned >= self._grace:
                weight = self.anomaly_weight if score >= self._threshold else 1.0
                robust = self._robust_weight(score)
                self._last_rising = self._rising(raw, cal)  # before the episodes move on
            # Every bin feeds the episode calibrators (an episode is a run of bins); the
            # peaks of anomalous episodes are censored there, so a crisis does not teach
            # them that crises are normal.
            self.calibrator.update(raw[0])
            for scale, r in zip(self._scales, raw[1:]):
                if scale.full:
                    scale.calibrator.update(r)
        mean, alpha, season = self._params(ts)
        sd = math.sqrt(mean + alpha * mean * mean)
        x = min(float(count), mean + self.clip_sigmas * sd)
        if self.n_learned == 0:
            x = float(count)
        deseason = x / season
        levels = [(self._fast, self._d_fast, weight), (self._slow, self._d_slow, robust)]
        levels += [(scale.level, scale.level_decay, robust) for scale in self._scales]
        for sums, decay, w in levels:
            sums[0] = decay * sums[0] + w * deseason
            sums[1] = decay * sums[1] + w
        if self.n_learned > 0:
            z = ((x - mean) ** 2 - mean) / (mean * mean)
            self._disp_num = self._d_disp * self._disp_num + robust * z
            self._disp_den = self._d_disp * self._disp_den + robust
            prior = self._prior_hour
            alpha = (self._disp_num + prior * self.alpha_prior) / (self._disp_den + prior)
            self.alpha = min(max(alpha, 1e-3), 10.0)
        for scale in self._scales:
            scale.learn(float(count), self._window_mean(scale, mean, season), robust,
                        self.clip_sigmas, self.alpha_prior, self._prior_hour)
        self._learn_season(ts, x, robust)
        self.n_learned += 1
        self._cache = None

    def _robust_weight(self, score: float) -> float:
        """Learning weight of a bin for the long-memory estimates (slow and reference
        levels, seasonal profiles, over-dispersions): 1 up to ``learn_down_from``,
        ``anomaly_weight`` from the sensitivity threshold on, geometric in between.

        A mild event that never reaches the threshold is thus not learned at full
        weight either, so it cannot mask itself (the reference levels and the windows'
        dispersion would otherwise absorb a slow rise while it happens).  The fast
        level, whose job is to follow the recent regime, learns such bins in full.
        """
        if score >= self._threshold:
            return self.anomaly_weight
        start = self.learn_down_from
        if score <= start:
            return 1.0
        return float(self.anomaly_weight ** ((score - start) / (self._threshold - start)))

    def _learn_season(self, ts: datetime, x: float, weight: float) -> None:
        h, d = ts.hour, ts.weekday()
        wday = self._wday_factor(d)
        hour = self._hour_factor(h)
        slow = self.slow
        self._hour_obs[h] = self._d_hour * self._hour_obs[h] + weight * x
        self._hour_ref[h] = self._d_hour * self._hour_ref[h] + weight * slow * wday
        self._wday_obs[d] = self._d_wday * self._wday_obs[d] + weight * x
        self._wday_ref[d] = self._d_wday * self._wday_ref[d] + weight * slow * hour

    def expected_mean(self, ts: datetime) -> float:
        """The expected count at ``ts`` (cheaper than :meth:`expected`)."""
        return self._params(ts)[0]

    def expected(self, ts: datetime) -> tuple[float, float, float]:
        """Return ``(mean, low, high)``: the expected count and its normal band at ``ts``.

        The band holds the counts whose surprise (either tail) stays below the
        sensitivity threshold.
        """
        mean, alpha, _ = self._params(ts)
        tail = 10.0 ** -min(self._threshold, MAX_SURPRISE)
        r = 1.0 / max(alpha, 1e-9)
        p = r / (r + mean)
        # the distribution's own quantile functions, without the public wrapper's
        # argument handling (~25x its cost; same values, tests/test_volume.py checks)
        low = float(stats.nbinom._ppf(tail, r, p))
        high = float(stats.nbinom._isf(tail, r, p))
        return mean, low, high


class _Window:
    """The trailing sum of ``n`` bins, scored against the sum of their expected counts.

    Its over-dispersion is learned like the bin's (an EWMA moment estimate) and its
    model surprises are calibrated by their own :class:`EpisodeCalibrator`.
    """

    def __init__(self, n: int, calibrator: EpisodeCalibrator, level_decay: float,
                 disp_decay: float) -> None:
        self.n = n
        self.level = [0.0, 0.0]  # discounted sums (counts, bins) of the reference level
        self.level_decay = level_decay
        self.disp_decay = disp_decay
        self.calibrator = calibrator
        self.recent: deque[tuple[float, float]] = deque()  # the last n - 1 (count, mean)
        self.count = 0.0
        self.mean = 0.0
        self.disp = [0.0, 0.0]

    @property
    def full(self) -> bool:
        return len(self.recent) == self.n - 1

    def alpha(self, alpha_prior: float, prior: float) -> float:
        alpha = (self.disp[0] + prior * alpha_prior) / (self.disp[1] + prior)
        return min(max(alpha, 1e-3), 10.0)

    def surprise(self, count: float, mean: float, alpha_prior: float, prior: float) -> float:
        if not self.full:
            return 0.0
        alpha = self.alpha(alpha_prior, prior)
        return nb_surprise(self.count + count, self.mean + mean, alpha, cap=_RAW_CAP)

    def learn(self, count: float, mean: float, weight: float, clip_sigmas: float,
              alpha_prior: float, prior: float) -> None:
        decay = self.disp_decay
        if self.full:
            expected = self.mean + mean
            alpha = self.alpha(alpha_prior, prior)
            sd = math.sqrt(expected + alpha * expected * expected)
            total = min(self.count + count, expected + clip_sigmas * sd)
            z = ((total - expected) ** 2 - expected) / (expected * expected)
            self.disp[0] = decay * self.disp[0] + weight * z
            self.disp[1] = decay * self.disp[1] + weight
        self.recent.append((count, mean))
        self.count += count
        self.mean += mean
        if len(self.recent) > self.n - 1:
            old_count, old_mean = self.recent.popleft()
            self.count -= old_count
            self.mean -= old_mean


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
