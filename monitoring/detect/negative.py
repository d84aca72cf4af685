"""Negative shift: is the share of negative mentions in this bin surprisingly high?

The baseline share is a ratio of EWMA sums (negative mentions over all mentions) and its
bin-to-bin over-dispersion is an EWMA moment estimate of the intra-bin correlation
``rho`` (``rho = 0`` is the binomial).  A bin of ``n`` mentions with ``k`` negative ones
is scored by the upper tail ``P(K >= k)`` of a beta-binomial with that mean share and a
concentration ``1 / rho - 1`` (further limited by how many mentions the baseline rests
on).  With few mentions nothing is surprising; with many, a few points of share are.
Bins that score as anomalous are learned with ``anomaly_weight`` only.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from monitoring.detect import betabinom_sf, surprise, threshold_for

__all__ = ["NegativeShift"]


class NegativeShift:
    """Score the negative share of each bin against an over-dispersed baseline share.

    Parameters
    ----------
    bin_minutes : int
        Width of one bin.
    sensitivity : str
        Key of :data:`monitoring.detect.SENSITIVITY_THRESHOLDS`, used to keep anomalous
        bins out of the baseline.
    grace_period : int | None
        Bins learned before scoring starts; default: 12 hours of bins.
    halflife : timedelta
        Half-life of the baseline share and of the dispersion estimate.
    prior_share : float
        Share assumed before any data.
    prior_mentions : float
        Weight, in mentions, of ``prior_share``.
    rho_prior : float
        Starting intra-bin correlation (over-dispersion).
    anomaly_weight : float
        Learning weight of a bin whose score reaches the sensitivity threshold.

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> det = NegativeShift(bin_minutes=5, grace_period=10)
    >>> t0 = datetime(2026, 3, 2)
    >>> for i in range(200):
    ...     det.learn_one(t0 + timedelta(minutes=5 * i), 100, 20 + (i % 5) - 2)
    >>> round(det.expected_share(t0), 2)
    0.2
    >>> det.score_one(t0, 100, 22) < 1, det.score_one(t0, 100, 60) > 8
    (True, True)
    >>> det.score_one(t0, 3, 2) < 2     # three mentions prove nothing
    True
    """

    def __init__(
        self,
        bin_minutes: int = 5,
        sensitivity: str = "normal",
        grace_period: int | None = None,
        halflife: timedelta = timedelta(hours=6),
        prior_share: float = 0.2,
        prior_mentions: float = 20.0,
        rho_prior: float = 0.02,
        anomaly_weight: float = 0.1,
    ) -> None:
        if bin_minutes <= 0:
            raise ValueError("bin_minutes must be positive")
        self.bin_minutes = bin_minutes
        self.sensitivity = sensitivity
        self.grace_period = grace_period
        self.halflife = halflife
        self.prior_share = prior_share
        self.prior_mentions = prior_mentions
        self.rho_prior = rho_prior
        self.anomaly_weight = anomaly_weight

        self._threshold = threshold_for(sensitivity)
        self._grace = grace_period if grace_period is not None else max(1, 720 // bin_minutes)
        self._decay = 0.5 ** (timedelta(minutes=bin_minutes) / halflife)
        self.n_learned = 0
        self._neg = 0.0
        self._all = 0.0
        self._rho_num = 0.0
        self._rho_den = 0.0

    def expected_share(self, ts: datetime | None = None) -> float:
        """Baseline negative share (``ts`` is accepted for symmetry; no seasonality)."""
        return (self._neg + self.prior_share * self.prior_mentions) / (
            self._all + self.prior_mentions
        )

    def _rho(self) -> float:
        prior = 10.0  # bins of weight behind rho_prior
        rho = (self._rho_num + prior * self.rho_prior) / (self._rho_den + prior)
        return min(max(rho, 1e-4), 0.5)

    def _concentration(self) -> float:
        # Over-dispersion between bins, and the uncertainty of the share itself.
        kappa_disp = 1.0 / self._rho() - 1.0
        kappa_est = self._all + self.prior_mentions
        return 1.0 / (1.0 / kappa_disp + 1.0 / kappa_est)

    def score_one(self, ts: datetime, n: int, n_negative: int) -> float:
        """Surprise of ``n_negative`` negative mentions out of ``n`` (0 in warm-up)."""
        if self.n_learned < self._grace or n <= 0 or n_negative <= 0:
            return 0.0
        k = min(int(n_negative), int(n))
        share = self.expected_share(ts)
        kappa = self._concentration()
        a, b = share * kappa, (1.0 - share) * kappa
        return surprise(betabinom_sf(k, int(n), a, b))

    def learn_one(self, ts: datetime, n: int, n_negative: int) -> None:
        """Update the baseline with one bin."""
        n = max(0, int(n))
        k = min(max(0, int(n_negative)), n)
        weight = 1.0
        if self.n_learned >= self._grace and self.score_one(ts, n, k) >= self._threshold:
            weight = self.anomaly_weight
        p = self.expected_share(ts)
        var = n * p * (1.0 - p)
        if var > 0:
            # Winsorise at three standard deviations of the beta-binomial, so one
            # extreme bin moves neither the share nor the dispersion much.
            rho = self._rho()
            k_learn = min(float(k), n * p + 3.0 * math.sqrt(var * (1.0 + (n - 1) * rho)))
        else:
            k_learn = float(k)
        if n >= 2 and var > 0:
            # Moment estimate of rho: Var(K) = n p (1 - p) (1 + (n - 1) rho).
            z = ((k_learn - n * p) ** 2 - var) / (var * (n - 1))
            w = weight * (n - 1) / n  # bins of one mention say nothing on rho
            self._rho_num = self._decay * self._rho_num + w * z
            self._rho_den = self._decay * self._rho_den + w
        self._neg = self._decay * self._neg + weight * k_learn
        self._all = self._decay * self._all + weight * n
        self.n_learned += 1
