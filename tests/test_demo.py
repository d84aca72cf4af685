"""Tests for the built-in demo scenario simulator (monitoring/sources/demo.py)."""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from stdnum import iban as std_iban
from stdnum import luhn as std_luhn

from monitoring.models import Mention
from monitoring.sources.base import FetchResult, Source, SourceError
from monitoring.sources.demo import (
    EVENT_SCHEDULE,
    DemoScenario,
    DemoSource,
    ScriptedEvent,
    iban_is_valid,
    luhn_is_valid,
)

# A Tuesday; 08:00 UTC is 09:00 in Rome.
ANCHOR = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
IBAN_RE = re.compile(r"\bIT\d{2}(?: ?[A-Z0-9]){23}\b")
CARD_RE = re.compile(r"(?<!\d)(?:\d{4} \d{4} \d{4} \d{4}|\d{16})(?!\d)")
PHONE_RE = re.compile(r"(?:\+39 )?3\d{2}[ -]?\d{3} ?\d{4}")
EMAIL_RE = re.compile(r"[\w.]+@[\w.-]+\.[a-z]{2,}")


def key(ms: list[Mention]) -> list[tuple]:
    return [(m.source_id, m.ts, m.author, m.author_reach, m.text, m.lang_hint, m.raw)
            for m in ms]


def raw(m: Mention) -> dict:
    return json.loads(m.raw)


@pytest.fixture(scope="module")
def week() -> list[Mention]:
    """A 7-day backfill through the source, as a first start would produce it."""
    src = DemoSource(backfill_days=7, max_chunk_minutes=7 * 1440)
    return src.fetch(None, ANCHOR + timedelta(seconds=30)).mentions


@pytest.fixture(scope="module")
def live_day() -> list[Mention]:
    """The first 24 hours after the anchor (four scripted cycles)."""
    return DemoScenario(anchor=ANCHOR).generate(ANCHOR, ANCHOR + timedelta(hours=24))


# ---- determinism and slicing -----------------------------------------------------------


def test_same_seed_same_output_different_seed_different() -> None:
    start, end = ANCHOR, ANCHOR + timedelta(hours=3)
    a = DemoScenario(seed=7, anchor=ANCHOR).generate(start, end)
    b = DemoScenario(seed=7, anchor=ANCHOR).generate(start, end)
    c = DemoScenario(seed=8, anchor=ANCHOR).generate(start, end)
    assert a and key(a) == key(b)
    assert [m.text for m in a] != [m.text for m in c]


@pytest.mark.parametrize("step", [
    timedelta(minutes=1),
    timedelta(minutes=7),
    timedelta(seconds=37),          # slices that cut minutes in the middle
    timedelta(minutes=61, seconds=13),
])
def test_slicing_independence(step: timedelta) -> None:
    scenario = DemoScenario(anchor=ANCHOR)
    start, end = ANCHOR + timedelta(minutes=10), ANCHOR + timedelta(minutes=130)
    whole = scenario.generate(start, end)
    pieces: list[Mention] = []
    t = start
    while t < end:
        pieces += DemoScenario(anchor=ANCHOR).generate(t, min(end, t + step))
        t += step
    assert key(pieces) == key(whole)
    assert len({m.source_id for m in whole}) == len(whole)


@pytest.mark.parametrize("chunk, ticks", [
    (360, [timedelta(seconds=s) for s in (5, 61, 125, 3600, 3601, 9000)]),
    (17, [timedelta(seconds=s) for s in (0, 59, 60, 600, 4000, 4000, 9000, 9000, 9000)]),
])
def test_fetch_with_cursors_matches_one_call(chunk: int, ticks: list[timedelta]) -> None:
    now0 = ANCHOR + timedelta(seconds=12)
    src = DemoSource(backfill_days=0.05, max_chunk_minutes=chunk)
    cursor, got = None, []
    for tick in ticks:
        result = src.fetch(cursor, now0 + tick)
        got += result.mentions
        cursor = result.cursor
    until = datetime.fromisoformat(json.loads(cursor)["until"])
    expected = DemoScenario(anchor=ANCHOR).generate(ANCHOR - timedelta(minutes=72), until)
    assert key(sorted(got, key=lambda m: (m.ts, m.source_id))) == key(expected)


def test_old_cursor_regenerates_the_same_mentions() -> None:
    src = DemoSource(backfill_days=0.02)
    first = src.fetch(None, ANCHOR)
    second = src.fetch(first.cursor, ANCHOR + timedelta(minutes=40))
    again = DemoSource(backfill_days=0.02).fetch(first.cursor, ANCHOR + timedelta(minutes=40))
    assert second.mentions and key(again.mentions) == key(second.mentions)
    assert again.cursor == second.cursor


# ---- the source protocol ----------------------------------------------------------------


def test_fetch_only_whole_elapsed_minutes_and_progress() -> None:
    src = DemoSource(backfill_days=1, max_chunk_minutes=600)
    assert isinstance(src, Source)
    now = ANCHOR + timedelta(seconds=59)
    first = src.fetch(None, now)
    cur = json.loads(first.cursor)
    assert cur["anchor"] == ANCHOR.isoformat()
    assert cur["until"] == (ANCHOR - timedelta(minutes=1440 - 600)).isoformat()
    assert first.progress == (600, 1440)
    second = src.fetch(first.cursor, now)
    third = src.fetch(second.cursor, now)
    assert third.progress == (1440, 1440)
    assert json.loads(third.cursor)["until"] == ANCHOR.isoformat()
    live = src.fetch(third.cursor, ANCHOR + timedelta(minutes=3, seconds=50))
    assert live.progress is None
    assert all(ANCHOR <= m.ts < ANCHOR + timedelta(minutes=3) for m in live.mentions)


@pytest.mark.parametrize("now", [
    ANCHOR - timedelta(hours=1),   # clock behind the cursor
    ANCHOR + timedelta(seconds=45),  # the current minute has not ended yet
])
def test_fetch_never_goes_past_now(now: datetime) -> None:
    cursor = json.dumps({"anchor": ANCHOR.isoformat(), "until": ANCHOR.isoformat()})
    result = DemoSource().fetch(cursor, now)
    assert isinstance(result, FetchResult)
    assert result.mentions == [] and json.loads(result.cursor)["until"] == ANCHOR.isoformat()


@pytest.mark.parametrize("cursor", ["not json", "{}", '{"anchor": "yesterday", "until": 3}'])
def test_bad_cursor_raises_source_error(cursor: str) -> None:
    with pytest.raises(SourceError):
        DemoSource().fetch(cursor, ANCHOR)


@pytest.mark.parametrize("kwargs", [
    {"cycle_hours": 3.0}, {"backfill_days": -1}, {"max_chunk_minutes": 0}, {"rate_scale": -1},
])
def test_bad_configuration_fails_loudly(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        DemoSource(**kwargs)


# ---- backfill -----------------------------------------------------------------------------


def test_backfill_spans_the_requested_days_without_events(week: list[Mention]) -> None:
    origin = ANCHOR - timedelta(days=7)
    assert 15_000 <= len(week) <= 25_000
    assert all(origin <= m.ts < ANCHOR for m in week)
    assert min(m.ts for m in week) < origin + timedelta(hours=1)
    assert max(m.ts for m in week) > ANCHOR - timedelta(minutes=10)
    assert all(raw(m)["event"] is None for m in week)
    assert DemoScenario(anchor=ANCHOR).events_between(origin, ANCHOR) == []
    assert not any("#boicottaLumea" in m.text for m in week)


def test_backfill_of_a_week_comes_in_one_fetch() -> None:
    src = DemoSource(backfill_days=7, max_chunk_minutes=7 * 1440)
    result = src.fetch(None, ANCHOR)
    assert len(result.mentions) > 15_000
    assert min(m.ts for m in result.mentions) >= ANCHOR - timedelta(days=7)


def test_mentions_are_well_formed(week: list[Mention]) -> None:
    assert [m.ts for m in week] == sorted(m.ts for m in week)
    assert len({m.source_id for m in week}) == len(week)
    for m in week[:: max(1, len(week) // 500)]:
        assert m.ts.utcoffset() == timedelta(0)
        assert m.source == "demo" and m.stream == "lumea"
        assert m.url == f"https://social.example/lumea/{m.source_id}"
        assert m.lang_hint in ("it", "en") and raw(m)["lang"] == m.lang_hint
        assert m.author.startswith("@") and m.author_reach > 0
        assert "lumea" in m.text.lower()


# ---- traffic shape ------------------------------------------------------------------------


def per_minute(ms: list[Mention], start: datetime, minutes: int) -> list[int]:
    counts = Counter(int((m.ts - start).total_seconds() // 60) for m in ms)
    return [counts[i] for i in range(minutes)]


@pytest.mark.parametrize("day", [2, 3, 4])  # Monday 2 March 2026 .. Wednesday
def test_daily_rhythm(day: int) -> None:
    scenario = DemoScenario()
    night = datetime(2026, 3, day, 1, 0, tzinfo=UTC)  # 02:00-05:00 in Rome
    noon = datetime(2026, 3, day, 9, 0, tzinfo=UTC)  # 10:00-13:00 in Rome
    n_night = len(scenario.generate(night, night + timedelta(hours=3))) / 180
    n_noon = len(scenario.generate(noon, noon + timedelta(hours=3))) / 180
    assert 0.1 < n_night < 0.6
    assert 3.0 < n_noon < 6.5
    assert scenario.expected_rate(noon) > 8 * scenario.expected_rate(night)


def test_weekend_is_quieter(week: list[Mention]) -> None:
    by_day = Counter(m.ts.date().weekday() for m in week)
    assert statistics.mean(by_day[d] for d in (5, 6)) < 0.8 * statistics.mean(
        by_day[d] for d in range(5))


def test_intent_mix_and_language_share(week: list[Mention]) -> None:
    intents = Counter(raw(m)["intent"] for m in week)
    share = {k: v / len(week) for k, v in intents.items()}
    assert 0.38 < share["request"] < 0.52
    assert 0.14 < share["opinion"] < 0.26
    assert 0.10 < share["praise"] < 0.20
    assert 0.14 < share["other"] < 0.26
    en = sum(m.lang_hint == "en" for m in week) / len(week)
    assert 0.15 < en < 0.25


def test_text_variety(week: list[Mention], live_day: list[Mention]) -> None:
    one_day = [m for m in week if m.ts >= ANCHOR - timedelta(days=1)]
    assert len({m.text for m in one_day}) / len(one_day) >= 0.8
    assert len({m.text for m in live_day}) / len(live_day) >= 0.8


def test_authors_are_many_with_a_few_frequent_posters(week: list[Mention]) -> None:
    counts = Counter(m.author for m in week)
    assert len(counts) > 2_000
    top = counts.most_common(10)
    assert top[0][1] < 0.03 * len(week)
    assert sum(c for _, c in top) > 10 * 10 * len(week) / len(counts)  # 10x a uniform share
    reach = [m.author_reach for m in week]
    assert 20 <= statistics.median(reach) <= 800
    assert max(reach) >= 10_000


# ---- scripted events -------------------------------------------------------------------


@pytest.mark.parametrize("cycle_hours, hours, expected", [
    (6.0, 7, [("outage", 20, 60), ("polemic", 90, 210), ("outage", 380, 420)]),
    (4.0, 5, [("outage", 20, 60), ("polemic", 90, 210), ("outage", 260, 300)]),
    (8.0, 3, [("outage", 20, 60), ("polemic", 90, 210)]),
])
def test_event_schedule(cycle_hours: float, hours: int, expected: list) -> None:
    scenario = DemoScenario(anchor=ANCHOR + timedelta(seconds=25), cycle_hours=cycle_hours)
    events = scenario.events_between(ANCHOR - timedelta(days=1), ANCHOR + timedelta(hours=hours))
    got = [(e.name, int((e.start - ANCHOR).total_seconds() // 60),
            int((e.end - ANCHOR).total_seconds() // 60)) for e in events]
    assert got == expected
    assert all(isinstance(e, ScriptedEvent) and e.start.tzinfo is not None for e in events)
    assert {e.kind for e in events} <= {kind for _, kind, _, _ in EVENT_SCHEDULE}


def test_no_anchor_means_no_events() -> None:
    scenario = DemoScenario()
    assert scenario.events_between(ANCHOR, ANCHOR + timedelta(days=1)) == []
    ms = scenario.generate(ANCHOR, ANCHOR + timedelta(hours=4))
    assert all(raw(m)["event"] is None for m in ms)


def test_ordinary_traffic_does_not_depend_on_the_anchor() -> None:
    start, end = ANCHOR + timedelta(minutes=30), ANCHOR + timedelta(minutes=50)
    with_event = DemoScenario(anchor=ANCHOR).generate(start, end)
    without = DemoScenario().generate(start, end)
    assert key([m for m in with_event if raw(m)["event"] is None]) == key(without)


@pytest.mark.parametrize("anchor", [ANCHOR, ANCHOR.replace(hour=1), ANCHOR.replace(hour=14)])
def test_outage_is_a_surge_of_many_customers_reporting(anchor: datetime) -> None:
    scenario = DemoScenario(anchor=anchor)
    start = anchor + timedelta(minutes=20)
    ms = scenario.generate(start, start + timedelta(minutes=40))
    counts = per_minute(ms, start, 40)
    base = statistics.mean(scenario.expected_rate(start + timedelta(minutes=i)) for i in range(40))
    assert statistics.mean(counts[3:10]) > 4 * base  # peak within 2-3 minutes
    assert counts[2] > 3 * base
    assert statistics.mean(counts[30:40]) < statistics.mean(counts[3:10]) / 2  # decays
    event = [m for m in ms if raw(m)["event"] == "outage"]
    assert len({m.author for m in event}) >= 0.85 * len(event)
    assert sum(raw(m)["intent"] == "request" for m in event) >= 0.7 * len(event)
    area = scenario.describe(scenario.events_between(start, start + timedelta(minutes=1))[0])
    area = area.split(":")[0].removeprefix("Blackout in ")
    assert sum(area in m.text for m in event) >= 0.9 * len(event)


@pytest.mark.parametrize("anchor", [ANCHOR, ANCHOR.replace(hour=1)])
def test_polemic_is_negative_opinion_with_few_requests(anchor: datetime) -> None:
    scenario = DemoScenario(anchor=anchor)
    start = anchor + timedelta(minutes=90)
    ms = scenario.generate(start, start + timedelta(minutes=120))
    counts = per_minute(ms, start, 120)
    base = statistics.mean(
        scenario.expected_rate(start + timedelta(minutes=i)) for i in range(20, 80))
    assert statistics.mean(counts[20:80]) > 3.5 * base
    event = [m for m in ms if raw(m)["event"] == "polemic"]
    assert sum(raw(m)["intent"] == "request" for m in event) < 0.12 * len(event)
    assert sum(raw(m)["sentiment"] == "negative" for m in event) > 0.85 * len(event)
    assert len({m.author for m in event}) > 0.6 * len(event)
    assert sum(m.author_reach >= 10_000 for m in event) >= 10
    assert sum(m.text.startswith("RT @") for m in event) > 0.05 * len(event)
    assert sum("#boicottaLumea" in m.text for m in event) > 0.15 * len(event)


def test_events_repeat_every_cycle(live_day: list[Mention]) -> None:
    for cycle in range(4):
        start = ANCHOR + timedelta(hours=6 * cycle)
        outage = [m for m in live_day if raw(m)["event"] == "outage"
                  and start <= m.ts < start + timedelta(hours=6)]
        polemic = [m for m in live_day if raw(m)["event"] == "polemic"
                   and start <= m.ts < start + timedelta(hours=6)]
        assert len(outage) > 80 and len(polemic) > 200


# ---- personal data ---------------------------------------------------------------------


def test_personal_data_is_rare_and_valid(week: list[Mention]) -> None:
    requests = [m for m in week if raw(m)["intent"] == "request"]
    with_pii = [m for m in requests if raw(m)["pii"]]
    assert 0.005 < len(with_pii) / len(requests) < 0.02
    kinds = Counter(k for m in with_pii for k in raw(m)["pii"])
    assert all(kinds[k] >= 3 for k in ("phone", "email", "iban", "card"))
    for m in with_pii:
        kind = raw(m)["pii"][0]
        if kind == "iban":
            value = IBAN_RE.search(m.text).group()
            assert iban_is_valid(value) and std_iban.is_valid(value)
        elif kind == "card":
            value = CARD_RE.search(m.text).group()
            assert luhn_is_valid(value) and std_luhn.is_valid(value.replace(" ", ""))
        elif kind == "phone":
            found = PHONE_RE.findall(m.text)
            assert any(phonenumbers.is_valid_number(phonenumbers.parse(v, "IT")) for v in found)
        else:
            assert EMAIL_RE.search(m.text)


@pytest.mark.parametrize("value, valid", [
    ("IT60X0542811101000000123456", True),
    ("IT60 X054 2811 1010 0000 0123 456", True),
    ("IT60X0542811101000000123457", False),
    ("IT60", False),
])
def test_iban_checker(value: str, valid: bool) -> None:
    assert iban_is_valid(value) is valid


@pytest.mark.parametrize("value, valid", [
    ("4539148803436467", True), ("4539 1488 0343 6467", True), ("4539148803436468", False),
    ("1234", False),
])
def test_luhn_checker(value: str, valid: bool) -> None:
    assert luhn_is_valid(value) is valid


def test_lead_minutes_puts_the_live_start_in_the_past():
    now = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    src = DemoSource(backfill_days=0.1, lead_minutes=100)
    first = src.fetch(None, now)
    cursor = json.loads(first.cursor)
    assert cursor["anchor"] == "2026-03-03T10:20:00+00:00"
    assert cursor["until"] == "2026-03-03T12:00:00+00:00"  # caught up to now
    # the outage (+20 min) and the polemic (+90 min) are already in what was fetched
    authors_texts = " ".join(m.text.lower() for m in first.mentions
                             if m.ts >= datetime(2026, 3, 3, 11, 50, tzinfo=UTC))
    assert "vessani" in authors_texts
    with pytest.raises(ValueError, match="lead_minutes"):
        DemoSource(lead_minutes=-1)
