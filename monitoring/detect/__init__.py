"""Streaming detectors: one number per closed time bin, higher = more anomalous.

Every detector in this package scores in the same unit, a calibrated *surprise*:
``-log10`` of the upper-tail probability of the observation under the detector's
baseline model, capped at :data:`MAX_SURPRISE`.  A surprise of 4 means "an observation
at least this extreme happens once in 10,000 bins when nothing is going on", whatever
the detector.  One alert policy can therefore threshold all of them with
:data:`SENSITIVITY_THRESHOLDS` and :func:`is_anomalous`.

Detectors only score; deciding what is an alert is the alert policy's job.
:class:`EpisodeGate` is the small reusable piece of that policy that turns a stream of
per-bin anomalous/normal flags into one alert per episode.

Examples
--------
>>> round(poisson_surprise(12, 3.0), 2)
4.15
>>> is_anomalous(5.0), is_anomalous(3.5), is_anomalous(3.5, "high")
(True, False, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from scipy import special

__all__ = [
    "MAX_SURPRISE",
    "SENSITIVITY_THRESHOLDS",
    "EpisodeCalibrator",
    "EpisodeGate",
    "betabinom_sf",
    "is_anomalous",
    "nb_surprise",
    "poisson_surprise",
    "surprise",
    "threshold_for",
]

#: Cap of every surprise score (a tail probability of 1e-20).
MAX_SURPRISE = 20.0

#: Surprise needed to call one bin anomalous, per sensitivity.  "normal" = a tail
#: probability of 1e-4, i.e. about one chance false alarm a week per stream at 1-minute
#: bins if the baseline model were exact (real streams are burstier than any model).
SENSITIVITY_THRESHOLDS: dict[str, float] = {"low": 6.0, "normal": 4.0, "high": 3.0}


def threshold_for(sensitivity: str) -> float:
    """Return the surprise threshold of a sensitivity name.

    Raises ``ValueError`` on an unknown name (bad configuration must fail loudly).

    >>> threshold_for("low")
    6.0
    """
    try:
        return SENSITIVITY_THRESHOLDS[sensitivity]
    except KeyError:
        known = ", ".join(SENSITIVITY_THRESHOLDS)
        raise ValueError(f"unknown sensitivity {sensitivity!r}; expected one of {known}") from None


def is_anomalous(score: float, sensitivity: str = "normal") -> bool:
    """Whether a surprise ``score`` is anomalous at ``sensitivity``.

    >>> is_anomalous(4.0), is_anomalous(5.9, "low")
    (True, False)
    """
    return score >= threshold_for(sensitivity)


def surprise(p_value: float, cap: float = MAX_SURPRISE) -> float:
    """Turn a tail probability into a surprise ``-log10(p)``, in ``[0, cap]``.

    >>> surprise(1e-3), surprise(0.0), surprise(1.0), surprise(1e-50, cap=300)
    (3.0, 20.0, 0.0, 50.0)
    """
    if not p_value > 0.0:  # also catches NaN
        return cap
    if p_value >= 1.0:
        return 0.0
    return min(cap, -math.log10(p_value))


def poisson_surprise(x: float, mean: float, cap: float = MAX_SURPRISE) -> float:
    """Surprise of a count ``>= x`` under a Poisson with ``mean``.

    >>> poisson_surprise(0, 5.0), round(poisson_surprise(3, 0.1), 2)
    (0.0, 3.81)
    """
    k = math.ceil(x)
    if k <= 0:
        return 0.0
    if mean <= 0.0:
        return cap
    # P(X >= k) for a Poisson is the regularised lower incomplete gamma P(k, mean).
    return surprise(float(special.gammainc(k, mean)), cap)


def nb_surprise(x: float, mean: float, alpha: float, cap: float = MAX_SURPRISE) -> float:
    """Surprise of a count ``>= x`` under a negative binomial (Poisson-gamma).

    The distribution has the given ``mean`` and variance ``mean + alpha * mean**2``;
    ``alpha = 0`` is the Poisson.

    >>> round(nb_surprise(12, 3.0, 0.0), 2), round(nb_surprise(12, 3.0, 0.5), 2)
    (4.15, 1.9)
    """
    k = math.ceil(x)
    if k <= 0:
        return 0.0
    if mean <= 0.0:
        return cap
    if alpha <= 1e-9:
        return poisson_surprise(k, mean, cap)
    r = 1.0 / alpha
    # P(X >= k) = I_{1-p}(k, r) with p = r / (r + mean).
    return surprise(float(special.betainc(k, r, mean / (r + mean))), cap)


def betabinom_sf(k: int, n: int, a: float, b: float) -> float:
    """``P(X >= k)`` for ``X ~ BetaBinomial(n, a, b)``.

    The probabilities are summed on the shorter side of ``k`` (the upper tail directly
    when it is the shorter one, so a small tail does not vanish in ``1 - cdf``), with
    scipy's log-pmf formula, without the per-call overhead of ``scipy.stats``.

    >>> from scipy import stats
    >>> bool(np.isclose(betabinom_sf(30, 100, 2.0, 8.0), stats.betabinom.sf(29, 100, 2.0, 8.0)))
    True
    >>> betabinom_sf(0, 10, 1.0, 1.0), betabinom_sf(11, 10, 1.0, 1.0)
    (1.0, 0.0)
    """
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    upper = 2 * k > n
    j = np.arange(k, n + 1, dtype=float) if upper else np.arange(0, k, dtype=float)
    logpmf = (-math.log(n + 1.0) - special.betaln(n - j + 1.0, j + 1.0)
              + special.betaln(j + a, n - j + b) - special.betaln(a, b))
    total = float(np.exp(logpmf).sum())
    return min(max(total if upper else 1.0 - total, 0.0), 1.0)


class EpisodeCalibrator:
    """Recalibrate a model's surprise on the peaks of the stream's own past episodes.

    Bursty streams produce surprises in clusters: one event lifts many consecutive bins,
    so counting every bin above a level as an exceedance mistakes one
    ordinary burst for many independent ones.  Extreme-value practice declusters first
    (*runs declustering*): an **episode** is a run of model surprises at or above
    ``level`` that ends after ``run_length`` updates below it, and only its **peak**
    counts.  Peak excesses over ``level`` are modelled as exponential (peaks over
    threshold) with an online, discounted mean excess ``sigma``; episodes start at a
    discounted rate ``lam`` per update.  The calibrated surprise of a model surprise
    ``s >= level`` is

        ``-log10(lam * exp(-(s - level) / sigma))``

    i.e. the ``-log10`` of the per-update rate of episodes at least that extreme, the
    same unit as every other surprise: a calibrated 4 is an episode this unusual once
    in 10,000 bins *for this stream*.  No labels are involved: what is unusual is
    learned from the stream's own history.  Peaks of episodes that reached ``censor``
    are right-censored there, so a crisis does not teach the calibrator that crises are
    normal.  Priors are those of a well-calibrated model (``lam = 10**-level``, mean
    excess ``1 / ln 10``), so with little history the model's own surprise is returned,
    unless ``prior_rate`` says how often episodes start on comparable streams (a new
    stream then starts from what is usual for its kind instead of from the model).
    Every update is O(1).

    Parameters
    ----------
    level : float
        Model surprise at or above which a bin belongs to an episode.
    run_length : int
        Updates below ``level`` that end an episode.
    halflife : float
        Half-life of the estimates, in updates.
    prior_updates : float
        Weight of the prior episode rate, in updates.
    prior_episodes : float
        Weight of the prior mean excess, in episodes.
    censor : float
        Calibrated surprise at which peak excesses are censored.
    prior_rate : float | None
        Prior episode rate per update (``None``: ``10**-level``, a well-calibrated model).

    Examples
    --------
    >>> cal = EpisodeCalibrator(level=2.0, run_length=3, halflife=10_000, prior_updates=100)
    >>> round(cal.calibrate(5.0), 3)   # no history yet: the model is trusted
    5.0
    >>> for i in range(5000):          # a burst to 2..7 every 50 updates, 5 updates long
    ...     cal.update(2.0 + (i // 50 % 6) if i % 50 < 5 else 0.5)
    >>> cal.episodes > 90, cal.calibrate(6.0) < 3.0, cal.calibrate(60.0) > 6.0
    (True, True, True)
    >>> warm = EpisodeCalibrator(level=2.0, prior_updates=100, prior_rate=1e-1)
    >>> round(warm.calibrate(2.0), 3)  # episodes are known to start once in 10 updates
    1.0
    """

    def __init__(
        self,
        level: float = 2.0,
        run_length: int = 12,
        halflife: float = 14 * 288,
        prior_updates: float = 288,
        prior_episodes: float = 3.0,
        censor: float = SENSITIVITY_THRESHOLDS["normal"],
        prior_rate: float | None = None,
    ) -> None:
        if run_length < 1:
            raise ValueError("run_length must be at least 1")
        self.level = level
        self.run_length = run_length
        self.halflife = halflife
        self.prior_updates = prior_updates
        self.prior_episodes = prior_episodes
        self.censor = censor
        self.prior_rate = 10.0**-level if prior_rate is None else prior_rate
        self._decay = 0.5 ** (1.0 / halflife)
        self._n = 0.0  # discounted updates
        self._n_ep = 0.0  # discounted episodes started
        self._n_obs = 0.0  # discounted episodes whose peak excess was observed
        self._excess = 0.0  # discounted sum of (censored) peak excesses
        self.episodes = 0  # episodes started, undiscounted
        self._peak: float | None = None  # peak of the running episode
        self._below = 0  # updates below ``level`` since the running episode's last bin

    def _rate_and_scale(self) -> tuple[float, float]:
        rate = (self._n_ep + self.prior_updates * self.prior_rate) / (
            self._n + self.prior_updates
        )
        sigma = (self._excess + self.prior_episodes / math.log(10.0)) / (
            self._n_obs + self.prior_episodes
        )
        return rate, sigma

    @property
    def peak(self) -> float | None:
        """Highest model surprise of the running episode (``None`` outside one)."""
        return self._peak

    @property
    def in_episode(self) -> bool:
        """Whether an episode is running (it may be in its trailing calm run)."""
        return self._peak is not None

    def calibrate(self, raw: float, cap: float = MAX_SURPRISE) -> float:
        """Return the calibrated surprise of a model surprise ``raw``."""
        rate, sigma = self._rate_and_scale()
        at_level = -math.log10(rate)
        if raw < self.level:
            return raw * at_level / self.level
        return min(cap, at_level + (raw - self.level) / (sigma * math.log(10.0)))

    def update(self, raw: float, weight: float = 1.0) -> None:
        """Learn one model surprise (``weight < 1`` for bins kept out of the baseline)."""
        d = self._decay
        self._n = d * self._n + weight
        self._n_ep *= d
        self._n_obs *= d
        self._excess *= d
        if raw >= self.level:
            if self._peak is None:
                self._peak = raw
                self._n_ep += 1.0
                self.episodes += 1
            else:
                self._peak = max(self._peak, raw)
            self._below = 0
            return
        if self._peak is None:
            return
        self._below += 1
        if self._below >= self.run_length:
            self._end_episode()

    def _end_episode(self) -> None:
        rate, sigma = self._rate_and_scale()
        assert self._peak is not None
        limit = max(0.0, (self.censor + math.log10(rate)) * sigma * math.log(10.0))
        excess = self._peak - self.level
        if excess >= limit:
            self._excess += limit
        else:
            self._excess += excess
            self._n_obs += 1.0
        self._peak = None
        self._below = 0


@dataclass
class EpisodeGate:
    """One alert per episode of anomalous bins.

    An episode opens on an anomalous bin (that bin alerts), stays open while anomalous
    bins keep coming less than ``quiet`` apart, and closes after ``quiet`` without one.
    An anomalous bin within ``cooldown`` of the end of the previous episode re-opens
    that episode instead of alerting again.

    Parameters
    ----------
    quiet : timedelta
        Calm time that ends an episode.
    cooldown : timedelta
        Time after an episode during which no new alert opens.

    Examples
    --------
    >>> gate = EpisodeGate(quiet=timedelta(minutes=10), cooldown=timedelta(minutes=30))
    >>> t0 = datetime(2026, 1, 1)
    >>> flags = [0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0]   # one bin per 5 minutes
    >>> [gate.update(t0 + timedelta(minutes=5 * i), bool(f)) for i, f in enumerate(flags)]
    [False, True, False, False, False, False, False, False, False, False, False]
    >>> gate.update(t0 + timedelta(hours=3), True)
    True
    """

    quiet: timedelta = timedelta(hours=1)
    cooldown: timedelta = timedelta(hours=6)
    in_episode: bool = False
    last_anomalous: datetime | None = None

    def update(self, ts: datetime, anomalous: bool) -> bool:
        """Feed one bin; return True when this bin opens a new episode (alert)."""
        last = self.last_anomalous
        if self.in_episode and last is not None and ts - last >= self.quiet:
            self.in_episode = False
        if not anomalous:
            return False
        opened = not self.in_episode and (last is None or ts - last >= self.quiet + self.cooldown)
        self.in_episode = True
        self.last_anomalous = ts
        return opened

    def reset(self) -> None:
        """Forget every episode."""
        self.in_episode = False
        self.last_anomalous = None
