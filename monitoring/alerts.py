"""Alert policy: detector scores per closed bin -> typed, deduplicated alerts.

Detectors score (:mod:`monitoring.detect`); this module decides.  One open alert per
stream and kind, updated while the event lasts and closed after
``close_after_quiet_bins`` calm bins.  The kind separates signal from noise:

* ``service_incident``  – a volume spike made mostly of requests / problem reports;
* ``reputation_crisis`` – a negative spike made mostly of opinion / polemic;
* ``request_surge``     – more requests than normal with an ordinary tone;
* ``negative_shift``    – the negative share rises significantly at normal volume.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from monitoring.detect import is_anomalous
from monitoring.detect.negative import NegativeShift
from monitoring.detect.terms import tokenize
from monitoring.detect.volume import VolumeSpike
from monitoring.models import BinStats

#: An open alert closes only after bins this unsurprising (p > 5 %), not merely sub-threshold.
CALM_SURPRISE = 1.3

KINDS = ("reputation_crisis", "service_incident", "request_surge", "negative_shift")


def severity_of(score: float) -> int:
    """Map a surprise score (−log10 p) to a 1–10 severity.

    >>> severity_of(4.0), severity_of(12.0), severity_of(40.0)
    (4, 7, 10)
    """
    return max(1, min(10, round(2 + 0.4 * score)))


def severity_word(severity: int) -> str:
    """The word shown beside a severity.

    >>> severity_word(3), severity_word(6), severity_word(9)
    ('info', 'warning', 'critical')
    """
    return "critical" if severity >= 8 else "warning" if severity >= 5 else "info"


def classify_event(stats: BinStats, request_share_incident: float = 0.5) -> str:
    """Type a volume anomaly from the bin's mix of requests, opinions and tone.

    >>> from datetime import datetime
    >>> classify_event(BinStats("s", datetime(2026, 1, 1), n=20, n_negative=15, n_request=14))
    'service_incident'
    >>> classify_event(BinStats("s", datetime(2026, 1, 1), n=20, n_negative=15, n_polemic=14))
    'reputation_crisis'
    >>> classify_event(BinStats("s", datetime(2026, 1, 1), n=20, n_negative=3, n_request=15))
    'request_surge'
    """
    n = max(stats.n, 1)
    requests, polemic = stats.n_request / n, stats.n_polemic / n
    negative = stats.n_negative / n
    if requests >= request_share_incident and negative >= 0.35:
        return "service_incident"
    if polemic > requests and negative >= 0.35:
        return "reputation_crisis"
    if requests >= polemic and negative < 0.35:
        return "request_surge"
    return "reputation_crisis" if negative >= 0.5 else "request_surge"


@dataclass(slots=True)
class Decision:
    """What the policy wants done for one stream after one bin."""

    kind: str
    action: str  # 'open' | 'update' | 'close'
    score: float
    severity: int
    observed: float
    expected: float
    explanation: dict = field(default_factory=dict)


@dataclass(slots=True)
class StreamDetectors:
    """The detectors and episode state of one stream.

    Examples
    --------
    >>> from datetime import datetime
    >>> d = StreamDetectors(bin_minutes=1)
    >>> d.step(BinStats("s", datetime(2026, 1, 1), n=3)) == []
    True
    """

    bin_minutes: int = 1
    sensitivity: str = "normal"
    min_bin_mentions: int = 5
    close_after_quiet_bins: int = 5
    request_share_incident: float = 0.5
    cooldown_bins: int = 30
    volume: VolumeSpike = field(init=False)
    negative: NegativeShift = field(init=False)
    open_kinds: dict[str, int] = field(default_factory=dict)  # kind -> quiet bins so far
    cooling: dict[str, int] = field(default_factory=dict)  # kind -> bins left before reopening

    def __post_init__(self) -> None:
        self.volume = VolumeSpike(bin_minutes=self.bin_minutes, sensitivity=self.sensitivity)
        self.negative = NegativeShift(bin_minutes=self.bin_minutes, sensitivity=self.sensitivity)

    def step(self, stats: BinStats) -> list[Decision]:
        """Score one closed bin, learn it, and return the alert decisions."""
        ts, n = stats.bin_start, stats.n
        expected = self.volume.expected(ts)[0] if self.open_kinds or n else 0.0
        v = self.volume.score_one(ts, n)
        s = self.negative.score_one(ts, n, stats.n_negative)
        self.volume.learn_one(ts, n)
        self.negative.learn_one(ts, n, stats.n_negative)
        firing: dict[str, tuple[float, float, float]] = {}
        if n >= self.min_bin_mentions and is_anomalous(v, self.sensitivity):
            firing[classify_event(stats, self.request_share_incident)] = (v, n, expected)
        elif n >= self.min_bin_mentions and is_anomalous(s, self.sensitivity):
            share = self.negative.expected_share(ts)
            firing["negative_shift"] = (s, stats.negative_share, share)
        for kind in list(self.cooling):
            self.cooling[kind] -= 1
            if self.cooling[kind] <= 0:
                del self.cooling[kind]
        decisions: list[Decision] = []
        for kind, (score, observed, exp) in firing.items():
            if kind in self.cooling and kind not in self.open_kinds:
                continue  # closed recently: a short lull does not open a second alert
            action = "update" if kind in self.open_kinds else "open"
            self.open_kinds[kind] = 0
            decisions.append(Decision(kind, action, score, severity_of(score), observed, exp,
                                      _explain(stats)))
        calm = v < CALM_SURPRISE and s < CALM_SURPRISE
        for kind in list(self.open_kinds):
            if kind in firing:
                continue
            if not calm:  # still above normal, only not anomalous enough to fire: keep it open
                self.open_kinds[kind] = 0
                continue
            self.open_kinds[kind] += 1
            if self.open_kinds[kind] >= self.close_after_quiet_bins:
                del self.open_kinds[kind]
                if self.cooldown_bins:
                    self.cooling[kind] = self.cooldown_bins
                decisions.append(Decision(kind, "close", 0.0, 0, n, expected))
        return decisions


def _explain(stats: BinStats) -> dict:
    n = max(stats.n, 1)
    return {
        "bin_start": stats.bin_start.isoformat(),
        "mentions": stats.n,
        "negative_share": round(stats.n_negative / n, 3),
        "request_share": round(stats.n_request / n, 3),
        "opinion_share": round(stats.n_polemic / n, 3),
        "authors": stats.authors,
        "reach": stats.reach,
    }


def top_terms(texts: list[str], langs: list[str | None], k: int = 8) -> list[str]:
    """Most frequent topic tokens of a bin's texts.

    >>> top_terms(["#blackout a Milano", "blackout Milano nord"], ["it", "it"], k=2)
    ['blackout', 'milano']
    """
    counts: Counter[str] = Counter()
    for text, lang in zip(texts, langs):
        counts.update(set(tokenize(text or "", lang)))
    merged: Counter[str] = Counter()
    for term, c in counts.items():
        merged[term.lstrip("#")] += c
    return [t for t, _ in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
