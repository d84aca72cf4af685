"""Alert policy: detector scores per closed bin -> typed, deduplicated, explained alerts.

Detectors score (:mod:`monitoring.detect`); this module decides.  One open alert per
stream and kind, updated while the event lasts and closed after
``close_after_quiet_bins`` calm bins; a closed kind does not reopen during its cooldown.
The kind separates signal from noise:

* ``service_incident``  – a volume spike made mostly of customers reporting a problem
  (requests with a negative tone);
* ``reputation_crisis`` – a volume spike of negative opinion / polemic, few requests;
* ``request_surge``     – more requests than normal with an ordinary tone;
* ``negative_shift``    – the negative share rises significantly at ordinary volume;
* ``emerging_topic``    – a term (word, hashtag, handle) suddenly used by at least
  ``min_topic_authors`` distinct authors in one bin.

A volume event opens on the volume detector's onset score
(:meth:`~monitoring.detect.volume.VolumeSpike.onset_score`): one bin far above normal, or
two bins in a row clearly above it.  It is typed on the mix of *all* its bins so far (not
one noisy bin), and is retyped only when its last ``retype_bins`` bins clearly say
otherwise (an outage turning into a polemic closes the incident and opens the crisis).

Severity scale (1–10)
---------------------
The severity starts from the calibrated surprise ``s`` of the event (``-log10`` of how
often an event this unusual happens per bin on this stream, see
:mod:`monitoring.detect`): ``severity = 1 + round(0.75 * s)``, so the "normal"
sensitivity threshold (``s = 4``, about once a week at 1-minute bins) gives 4.  Then:

* **1–3 info** – noteworthy, no action needed (below the normal threshold, or a
  ``high``-sensitivity stream's early signal);
* **4–7 warning** – an operator should look now: unusual for this stream (once a week
  to once in decades), but not yet proven broad or grave;
* **8–10 critical** – wake a director: ``s >= 9`` (an event this unusual is expected
  less than once in a thousand years of 1-minute bins) **and** at least
  ``critical_min_authors`` distinct authors **and** a reputation crisis or a service
  incident.  A request surge, a negative shift or an emerging topic alone is never
  critical (capped at 7), nor is an event carried by few authors (a handful of accounts
  cannot make a crisis however loud they are).

Auto-escalation rules compare the severity with ``Thresholds.critical_severity``
(8 by default, i.e. "critical").
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from monitoring.config import Stream
from monitoring.detect import threshold_for
from monitoring.detect.negative import NegativeShift
from monitoring.detect.terms import EmergingTerms, tokenize
from monitoring.detect.volume import VolumeSpike
from monitoring.models import BinStats

#: An open alert closes only after bins this unsurprising (p > 5 %), not merely sub-threshold.
CALM_SURPRISE = 1.3

KINDS = ("reputation_crisis", "service_incident", "request_surge", "negative_shift",
         "emerging_topic")
#: Kinds raised by a volume spike (one volume event at a time, typed by its mix).
VOLUME_KINDS = ("reputation_crisis", "service_incident", "request_surge")
#: Kinds that can reach "critical".
GRAVE_KINDS = ("reputation_crisis", "service_incident")
#: Highest severity of a kind that is not grave, or of an event with few authors.
NOT_CRITICAL_MAX = 7
#: Calibrated surprise from which a grave, broad event is critical.
CRITICAL_SURPRISE = 9.0
#: Negative share from which a spike is a problem (incident or crisis), not a surge.
NEGATIVE_SHARE = 0.35


def severity_of(score: float, kind: str = "service_incident", authors: int | None = None,
                critical_min_authors: int = 10) -> int:
    """Map a calibrated surprise (−log10 rate) to a 1–10 severity (see the module doc).

    >>> severity_of(4.0), severity_of(8.0), severity_of(12.0), severity_of(40.0)
    (4, 7, 10, 10)
    >>> severity_of(12.0, "request_surge"), severity_of(12.0, authors=3)
    (7, 7)
    """
    severity = max(1, min(10, 1 + int(0.75 * score + 0.5)))
    if severity > NOT_CRITICAL_MAX and (
        kind not in GRAVE_KINDS or score < CRITICAL_SURPRISE
        or (authors is not None and authors < critical_min_authors)
    ):
        severity = NOT_CRITICAL_MAX
    return severity


def severity_word(severity: int, critical_severity: int = 8) -> str:
    """The word shown beside a severity: ``info`` (1–3), ``warning`` (4–7), ``critical``.

    >>> severity_word(3), severity_word(6), severity_word(9)
    ('info', 'warning', 'critical')
    """
    if severity >= critical_severity:
        return "critical"
    return "warning" if severity >= 4 else "info"


def excess(stats: BinStats, baseline: tuple[float, float, float, float]) -> BinStats:
    """The mentions of ``stats`` above ``baseline`` (expected n, negative, requests, opinions).

    An anomaly is typed by what is abnormal in it, not by the ordinary traffic under it.

    >>> from datetime import datetime
    >>> e = excess(BinStats("s", datetime(2026, 1, 1), n=23, n_negative=17, n_request=7,
    ...                     n_polemic=7), (3.5, 1.0, 1.8, 0.1))
    >>> e.n, e.n_request, e.n_polemic
    (20, 5, 7)
    """
    n, neg, req, pol = (max(0, round(x - b)) for x, b in zip(
        (stats.n, stats.n_negative, stats.n_request, stats.n_polemic), baseline))
    return stats.replace(n=n, n_negative=min(neg, n), n_request=min(req, n),
                         n_polemic=min(pol, n))


def classify_event(stats: BinStats, request_share_incident: float = 0.5) -> str:
    """Type a volume anomaly from the mix of requests, opinions and tone of its mentions.

    ``stats`` may hold one bin, the sum of an event's bins, or their :func:`excess`.

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
    if negative >= NEGATIVE_SHARE:
        if requests >= request_share_incident or requests > polemic:
            return "service_incident"
        return "reputation_crisis"
    if requests >= polemic:
        return "request_surge"
    return "reputation_crisis" if negative >= 0.5 * NEGATIVE_SHARE else "request_surge"


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
    since: datetime | None = None


@dataclass(slots=True)
class _Event:
    """Running totals of one open alert (since its first bin)."""

    kind: str
    since: datetime
    peak: float = 0.0
    quiet: int = 0
    mix: BinStats | None = None  # what was abnormal in it (typing)
    raw: BinStats | None = None  # all its mentions (explanation)
    recent: list[BinStats] = field(default_factory=list)

    def add(self, stats: BinStats, abnormal: BinStats, keep: int) -> None:
        self.mix = abnormal if self.mix is None else _sum([self.mix, abnormal])
        self.raw = stats if self.raw is None else _sum([self.raw, stats])
        self.recent.append(abnormal)
        del self.recent[:-keep]


def _sum(bins: list[BinStats]) -> BinStats:
    return bins[-1].replace(n=sum(b.n for b in bins),
                            n_negative=sum(b.n_negative for b in bins),
                            n_request=sum(b.n_request for b in bins),
                            n_polemic=sum(b.n_polemic for b in bins))


@dataclass(slots=True)
class StreamDetectors:
    """The detectors and alert state of one stream.

    ``step`` scores one closed bin with every detector, learns it, and returns the
    decisions (open / update / close) of the policy described in the module doc.
    ``stats.terms`` maps each term of the bin to the number of *distinct authors* who
    used it (so one account repeating a word cannot make a topic).

    Examples
    --------
    >>> from datetime import datetime, timedelta
    >>> d = StreamDetectors(bin_minutes=1)
    >>> d.step(BinStats("s", datetime(2026, 1, 1), n=3)) == []
    True
    >>> t = datetime(2026, 1, 1)
    >>> for i in range(1, 1441):   # a quiet day of 4 mentions per minute
    ...     _ = d.step(BinStats("s", t + timedelta(minutes=i), n=4, n_request=2))
    >>> [(x.kind, x.action, x.explanation["severity_word"]) for x in d.step(BinStats(
    ...     "s", t + timedelta(minutes=1441), n=60, n_negative=50, n_request=50))]
    [('service_incident', 'open', 'critical')]
    """

    bin_minutes: int = 1
    sensitivity: str = "normal"
    min_bin_mentions: int = 5
    close_after_quiet_bins: int = 5
    request_share_incident: float = 0.5
    cooldown_bins: int = 30
    min_topic_authors: int = 5
    critical_min_authors: int = 10
    critical_severity: int = 8
    retype_bins: int = 10
    volume: VolumeSpike = field(init=False)
    negative: NegativeShift = field(init=False)
    terms: EmergingTerms = field(init=False)
    events: dict[str, _Event] = field(default_factory=dict)  # open kind -> its event
    cooling: dict[str, int] = field(default_factory=dict)  # kind -> bins left before reopening
    threshold: float = field(init=False)
    _mix: list[float] = field(init=False)  # discounted n, negative, requests, opinions
    _mix_decay: float = field(init=False)
    _last_volume: _Event | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._mix = [0.0, 0.0, 0.0, 0.0]
        self._mix_decay = 0.5 ** (self.bin_minutes / (24 * 60))  # one-day half-life
        self.threshold = threshold_for(self.sensitivity)  # fails loudly on a bad name
        self.volume = VolumeSpike(bin_minutes=self.bin_minutes, sensitivity=self.sensitivity)
        self.negative = NegativeShift(bin_minutes=self.bin_minutes, sensitivity=self.sensitivity)
        self.terms = EmergingTerms(bin_minutes=self.bin_minutes)

    @property
    def open_kinds(self) -> dict[str, int]:
        """Open kinds and their calm bins so far."""
        return {kind: e.quiet for kind, e in self.events.items()}

    def baseline(self, expected_n: float) -> tuple[float, float, float, float]:
        """Expected (mentions, negative, requests, opinions) of a bin of ``expected_n``."""
        total = self._mix[0]
        shares = [x / total if total > 0 else 0.0 for x in self._mix[1:]]
        return (expected_n, *(share * expected_n for share in shares))

    def learn(self, stats: BinStats, ordinary: bool = True) -> None:
        """Learn one bin without deciding anything (re-warming after a restart).

        ``ordinary=False`` keeps an anomalous bin out of the baseline mix of the stream.
        """
        if ordinary:
            d = self._mix_decay
            for i, x in enumerate((stats.n, stats.n_negative, stats.n_request,
                                   stats.n_polemic)):
                self._mix[i] = d * self._mix[i] + x
        self.volume.learn_one(stats.bin_start, stats.n)
        self.negative.learn_one(stats.bin_start, stats.n, stats.n_negative)
        self.terms.learn_one(stats.bin_start, stats.terms, n=stats.authors or None)

    def step(self, stats: BinStats) -> list[Decision]:
        """Score one closed bin, learn it, and return the alert decisions."""
        ts, n = stats.bin_start, stats.n
        mean = self.volume.expected_mean(ts)
        v = self.volume.score_one(ts, n)
        v_bin = self.volume.scale_scores(ts, n)[0]
        s = self.negative.score_one(ts, n, stats.n_negative)
        share = self.negative.expected_share(ts)
        emerging = [t for t in self.terms.score_one(stats.terms, k=10, n=stats.authors or None)
                    if t.observed >= self.min_topic_authors]
        base = self.baseline(mean)
        # The bin itself must be above normal: a long window remembers a spike for hours.
        onset = self.volume.onset_score(ts, n)
        volume_firing = v_bin >= CALM_SURPRISE and (
            onset >= self.threshold
            or (v >= self.threshold and any(k in VOLUME_KINDS for k in self.events)))
        band = self._band(ts) if volume_firing else None  # before learning this bin
        self.learn(stats, ordinary=not volume_firing)
        for kind in list(self.cooling):
            self.cooling[kind] -= 1
            if self.cooling[kind] <= 0:
                del self.cooling[kind]

        enough = n >= self.min_bin_mentions
        firing: dict[str, tuple[float, float, float]] = {}  # kind -> score, observed, expected
        if enough and volume_firing:
            kind = self._volume_kind(excess(stats, base))
            firing[kind] = (max(v, onset), n, mean)  # the evidence that opened it, at least
        elif enough and s >= self.threshold:
            firing["negative_shift"] = (s, stats.negative_share, share)
        top = emerging[0] if emerging else None
        if top is not None and top.score >= self.threshold:
            firing["emerging_topic"] = (top.score, top.observed, top.expected)

        decisions: list[Decision] = []
        for kind in [k for k in self.events if k in VOLUME_KINDS and k not in firing]:
            if any(k in VOLUME_KINDS for k in firing):  # retyped: one volume event at a time
                decisions.append(self._close(kind, n, mean))
        for kind, (score, observed, exp) in firing.items():
            event = self.events.get(kind)
            if event is None and self._cooling(kind, v_bin):
                continue  # closed recently: a short lull does not open a second alert
            action = "update" if event is not None else "open"
            if event is None:
                event = self.events[kind] = _Event(kind, ts)
            event.quiet = 0
            event.peak = max(event.peak, score)
            abnormal = excess(stats, base) if kind in VOLUME_KINDS else stats
            event.add(stats, abnormal, self.retype_bins)
            decisions.append(self._decision(kind, action, score, observed, exp, stats,
                                            band, emerging))
        calm = {
            **dict.fromkeys(VOLUME_KINDS, v_bin < CALM_SURPRISE),
            "negative_shift": s < CALM_SURPRISE,
            "emerging_topic": not emerging,
        }
        for kind in list(self.events):
            if kind in firing:
                continue
            event = self.events[kind]
            if not calm[kind]:  # still above normal, only not enough to fire: keep it open
                event.quiet = 0
                if kind in VOLUME_KINDS and enough:
                    event.add(stats, excess(stats, base), self.retype_bins)
                continue
            event.quiet += 1
            if event.quiet >= self.close_after_quiet_bins:
                decisions.append(self._close(kind, n, mean))
        return decisions

    def _cooling(self, kind: str, v_bin: float) -> bool:
        """Whether ``kind`` may not open now.

        A kind does not reopen during its cooldown.  After any volume event the other
        volume kinds cool down too (the trailing windows remember the event for hours),
        unless this bin alone is anomalous: a new event, not the aftermath of the last.
        """
        if kind in self.cooling:
            return True
        if kind in VOLUME_KINDS and any(k in self.cooling for k in VOLUME_KINDS):
            return v_bin < self.threshold
        return False

    def _volume_kind(self, stats: BinStats) -> str:
        """Kind of the running volume event, retyped when its recent bins say otherwise."""
        current = next((e for k, e in self.events.items() if k in VOLUME_KINDS), None)
        if current is None:
            last = self._last_volume
            if last is not None and last.kind in self.cooling and last.mix is not None:
                # A spike in the aftermath of an event is typed with it (and then waits
                # for that kind's cooldown): a polemic's tail is not a request surge.
                return classify_event(_sum([last.mix, stats]), self.request_share_incident)
            return classify_event(stats, self.request_share_incident)
        recent = current.recent + [stats]
        if len(recent) >= self.retype_bins:
            kind = classify_event(_sum(recent[-self.retype_bins:]), self.request_share_incident)
            if kind != current.kind:
                return kind
        return current.kind

    def _band(self, ts: datetime) -> list[float]:
        _, low, high = self.volume.expected(ts)
        return [round(low, 1), round(high, 1)]

    def _close(self, kind: str, n: float, expected: float) -> Decision:
        event = self.events.pop(kind)
        if kind in VOLUME_KINDS:
            self._last_volume = event
        if self.cooldown_bins:
            self.cooling[kind] = self.cooldown_bins
        return Decision(kind, "close", 0.0, 0, n, expected, since=event.since)

    def _decision(self, kind: str, action: str, score: float, observed: float, expected: float,
                  stats: BinStats, band: list[float] | None, emerging: list) -> Decision:
        event = self.events[kind]
        mix = event.raw or stats
        severity = severity_of(event.peak, kind, stats.authors or None,
                               self.critical_min_authors)
        explanation = _explain(stats, mix)
        explanation.update(
            kind=kind, score=round(score, 2), peak_score=round(event.peak, 2), observed=round(float(observed), 3),
            expected=round(float(expected), 3), since=event.since.isoformat(),
            band=band if kind in VOLUME_KINDS else None,
            severity=severity, severity_word=severity_word(severity, self.critical_severity),
            emerging_terms=[{"term": t.term, "authors": t.observed, "expected": t.expected,
                             "score": t.score} for t in emerging[:5]],
        )
        return Decision(kind, action, score, severity, observed, expected, explanation,
                        since=event.since)


def with_authors(decision: Decision, unique_authors: int, reach: int,
                 critical_min_authors: int = 10, critical_severity: int = 8) -> Decision:
    """Complete an open/update decision with the event's exact unique authors and reach.

    The severity is re-rated with them (few authors cannot make a critical event).

    >>> from datetime import datetime
    >>> d = Decision("service_incident", "open", 12.0, 10, 60, 4,
    ...              {"peak_score": 12.0}, since=datetime(2026, 1, 1))
    >>> with_authors(d, 3, 100).severity, with_authors(d, 40, 100).explanation["severity_word"]
    (7, 'critical')
    """
    peak = float(decision.explanation.get("peak_score", decision.score))
    decision.severity = severity_of(peak, decision.kind, unique_authors, critical_min_authors)
    decision.explanation.update(
        unique_authors=int(unique_authors), authors=int(unique_authors), reach=int(reach),
        severity=decision.severity,
        severity_word=severity_word(decision.severity, critical_severity),
    )
    return decision


def _explain(stats: BinStats, mix: BinStats) -> dict:
    """Shares of the event so far (``mix``) and the counts of its latest bin."""
    n = max(mix.n, 1)
    return {
        "bin_start": stats.bin_start.isoformat(),
        "mentions": stats.n,
        "event_mentions": mix.n,
        "negative_share": round(mix.n_negative / n, 3),
        "request_share": round(mix.n_request / n, 3),
        "opinion_share": round(mix.n_polemic / n, 3),
        "unique_authors": stats.authors,
        "authors": stats.authors,
        "reach": stats.reach,
    }


def term_authors(texts: list[str], langs: list[str | None], authors: list[str | None],
                 exclude: frozenset[str] = frozenset()) -> dict[str, int]:
    """Distinct authors per topic term (``#x`` and ``x`` are one term), without the
    terms in ``exclude`` (the stream's own name and handles, see :func:`own_terms`).

    >>> term_authors(["#blackout a Milano", "blackout!", "blackout blackout"],
    ...              ["it", "it", "it"], ["a", "b", "b"])
    {'blackout': 2, 'milano': 1}
    >>> term_authors(["@Lumea blackout", "Lumea, blackout"], ["it", "it"], ["a", "b"],
    ...              exclude=frozenset(["lumea", "@lumea"]))
    {'blackout': 2}
    """
    seen: dict[str, set[str]] = {}
    for i, (text, lang, author) in enumerate(zip(texts, langs, authors)):
        who = author if author else f"#{i}"
        for term in set(tokenize(text or "", lang)):
            term = term.lstrip("#")
            if term not in exclude:
                seen.setdefault(term, set()).add(who)
    return {term: len(who) for term, who in sorted(seen.items())}


def own_terms(*streams: Stream) -> frozenset[str]:
    """Topic tokens of the streams' own names, keywords and handles: they are in the posts
    because people name the brand and the stream matched them, so they never say what an
    alert is about.

    >>> sorted(own_terms(Stream(id="lumea", name="Lumea Energia",
    ...                         keywords=["#LumeaEnergia"], handles=["@LumeaEnergia"])))
    ['@lumeaenergia', 'energia', 'lumea', 'lumeaenergia']
    """
    return frozenset(t.lstrip("#") for s in streams for term in (s.name, *s.terms)
                     for t in tokenize(term))


def top_terms(texts: list[str], langs: list[str | None], k: int = 8,
              exclude: frozenset[str] = frozenset()) -> list[str]:
    """Most frequent topic tokens of a bin's texts, without the terms in ``exclude``.

    >>> top_terms(["#blackout a Milano", "blackout Milano nord"], ["it", "it"], k=2)
    ['blackout', 'milano']
    >>> top_terms(["Lumea blackout"], ["it"], exclude=frozenset(["lumea"]))
    ['blackout']
    """
    counts: Counter[str] = Counter()
    for text, lang in zip(texts, langs):
        counts.update(set(tokenize(text or "", lang)))
    merged: Counter[str] = Counter()
    for term, c in counts.items():
        term = term.lstrip("#")
        if term not in exclude:
            merged[term] += c
    return [t for t, _ in sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
