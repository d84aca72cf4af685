from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from wall_seed import HOSTILE, SETTINGS_TOML, seed_crisis

from monitoring.alert_queue import alert_detail, alert_queue, escalation_targets, state_counts
from monitoring.config import parse_settings
from monitoring.i18n import Translator
from monitoring.store import Store
from monitoring.ui.charts import negative_share_figure, volume_figure
from monitoring.wall import WALL_QUERIES, wall_snapshot

NOW = datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)


@pytest.fixture
def settings():
    import tomllib

    return parse_settings(tomllib.loads(SETTINGS_TOML))


@pytest.fixture
def seeded(tmp_path):
    store = Store(tmp_path / "wall.duckdb")
    ids = seed_crisis(store, NOW)
    yield store, ids
    store.close()


def test_snapshot_reads_every_panel(seeded, settings):
    store, ids = seeded
    snap = wall_snapshot(store, settings, "lumea", NOW)
    assert len(snap.volume) == 180
    assert snap.volume["n"].iloc[-1] == 42 and snap.volume["expected"].iloc[-1] == 7.0
    assert snap.alerts["id"].tolist() == [ids["crisis"], ids["incident"]]
    assert snap.alerts["top_terms"].iloc[0] == ["boicotta", "vessani", "lumea"]
    assert snap.crisis
    assert snap.rate == pytest.approx(42.0)
    assert snap.negative_share == pytest.approx(20 / 42)
    assert snap.expected_rate == pytest.approx(7.0)
    # weight = severity / rank: boicotta 9, blackout 5, vessani 4.5, lumea 3, milano 2.5
    assert snap.terms == [("boicotta", 9.0), ("blackout", 5.0), ("vessani", 4.5),
                          ("lumea", 3.0), ("milano", 2.5)]
    assert set(snap.markers["kind"]) == {"reputation_crisis", "service_incident"}


def test_snapshot_masks_and_bounds_mentions(seeded, settings):
    store, _ = seeded
    mentions = wall_snapshot(store, settings, "lumea", NOW).mentions
    assert mentions["author"].tolist()[:2] == ["anna_b", "troll"]
    assert "333 123 4567" not in mentions["text"].iloc[0]
    assert "mario.rossi@example.it" not in mentions["text"].iloc[0]
    assert mentions["text"].iloc[1] == HOSTILE  # kept as text; the page renders it as text
    assert mentions["text"].str.len().max() <= 220


@pytest.mark.parametrize("hours_later, department, waiting, first_late, resolution_late, late", [
    (0, "operations", 1, 1, 0, 1),
    (0, "customer-care", 1, 0, 0, 0),
    (3, "operations", 1, 1, 1, 1),     # past both targets: one ticket breached
    (9, "customer-care", 1, 1, 1, 1),
])
def test_queues_per_department(seeded, settings, hours_later, department, waiting, first_late,
                               resolution_late, late):
    store, _ = seeded
    now = NOW + timedelta(hours=hours_later)
    queues = wall_snapshot(store, settings, "lumea", now).queues.set_index("department")
    row = queues.loc[department]
    assert (row.waiting, row.first_response_breached, row.resolution_breached, row.breached) \
        == (waiting, first_late, resolution_late, late)


def test_sources_and_failed_notifications(seeded, settings):
    store, ids = seeded
    snap = wall_snapshot(store, settings, "lumea", NOW)
    assert [(f.source, f.state, f.is_red) for f in snap.sources] == [("rss", "failing", True)]
    assert snap.failed["alert_id"].tolist() == [ids["crisis"]]


@pytest.mark.parametrize("stream, hours_later, expect_volume, expect_crisis", [
    ("lumea", 0, 180, True),
    ("other", 0, 0, True),       # open alerts are global; charts are per stream
    ("lumea", 7, 0, True),       # the window is time-bounded
])
def test_snapshot_is_time_and_stream_bounded(seeded, settings, stream, hours_later,
                                             expect_volume, expect_crisis):
    store, _ = seeded
    snap = wall_snapshot(store, settings, stream, NOW + timedelta(hours=hours_later))
    assert len(snap.volume) == expect_volume
    assert snap.crisis is expect_crisis


def test_snapshot_pickles_for_the_shared_cache(seeded, settings):
    store, _ = seeded
    snap = wall_snapshot(store, settings, "lumea", NOW)
    again = pickle.loads(pickle.dumps(snap))
    assert again.alerts["id"].tolist() == snap.alerts["id"].tolist()
    assert again.sources == snap.sources


def test_wall_queries_are_parameterised_and_bounded():
    for name, sql in WALL_QUERIES.items():
        assert "?" in sql or name == "freshness", name
    for name in ("volume", "alerts", "mentions"):
        assert ">= ?" in WALL_QUERIES[name] and "< ?" in WALL_QUERIES[name], name
    assert "FROM bins" in WALL_QUERIES["volume"] and "mentions" not in WALL_QUERIES["volume"]


@pytest.mark.parametrize("state, expected", [
    ("open", 2), ("acknowledged", 0), ("dismissed", 0),
])
def test_alert_queue_by_state(seeded, state, expected):
    store, _ = seeded
    assert len(alert_queue(store, state, NOW)) == expected
    assert state_counts(store, NOW)[state] == expected


def test_alert_queue_rejects_unknown_state(seeded):
    with pytest.raises(ValueError, match="unknown alert state"):
        alert_queue(seeded[0], "closed; DROP TABLE alerts", NOW)


def test_alert_detail_has_window_samples_and_shares(seeded):
    store, ids = seeded
    detail = alert_detail(store, ids["crisis"], NOW)

    assert detail.volume["bin_start"].min() < pd.Timestamp(detail.context["first_bin"])
    assert len(detail.volume) == 120  # 90 minutes before the first bin to the last bin
    assert [s["author"] for s in detail.context["samples"]] == ["anna_b", "troll"]
    assert "333 123 4567" not in detail.context["samples"][0]["text"]
    assert (detail.request_share, detail.opinion_share) == (0.05, 0.9)


def test_escalation_targets_list_ladders_then_contacts(settings):
    assert escalation_targets(settings) == {
        "ladder:crisis": "Crisis ladder", "contact:duty-manager": "Duty manager",
        "contact:comms-director": "Comms director"}


@pytest.mark.parametrize("lang, names", [
    ("it", ["Fascia normale", "Atteso", "Menzioni/min"]),
    ("en", ["Normal band", "Expected", "Mentions/min"]),
])
def test_volume_figure_band_and_markers(seeded, settings, lang, names):
    store, _ = seeded
    snap = wall_snapshot(store, settings, "lumea", NOW)
    fig = volume_figure(snap.volume, snap.markers, Translator(lang))
    assert [t.name for t in fig.data] == names
    assert len(fig.layout.shapes) == 2 and len(fig.layout.annotations) == 2
    assert negative_share_figure(snap.volume, Translator(lang)).layout.yaxis.range == (0, 1)


def test_charts_show_the_display_zone(seeded, settings):
    store, _ = seeded
    snap = wall_snapshot(store, settings, "lumea", NOW)
    rome = Translator("it", "Europe/Rome")  # UTC+1 in March before the switch
    fig = volume_figure(snap.volume, snap.markers, rome)
    last = pd.Timestamp(fig.data[-1].x[-1])
    assert last == pd.Timestamp(snap.volume["bin_start"].iloc[-1]) + pd.Timedelta(hours=1)
    assert pd.Timestamp(fig.layout.shapes[0].x0) == pd.Timestamp(
        snap.markers["first_bin"].iloc[0]) + pd.Timedelta(hours=1)
    share = negative_share_figure(snap.volume, rome)
    assert pd.Timestamp(share.data[0].x[-1]) == last


def test_empty_store_gives_an_empty_calm_wall(settings, tmp_path):
    store = Store(tmp_path / "empty.duckdb")
    snap = wall_snapshot(store, settings, "lumea", NOW)
    assert (snap.crisis, snap.rate, snap.negative_share, snap.expected_rate) == \
        (False, 0.0, 0.0, None)
    empty = volume_figure(snap.volume, snap.markers, Translator("it"))
    assert len(empty.data) == 1
    assert [a.text for a in empty.layout.annotations] == ["In attesa dei primi dati"]
    assert empty.layout.xaxis.visible is False
    share = negative_share_figure(snap.volume, Translator("en"))
    assert [a.text for a in share.layout.annotations] == ["Waiting for the first data"]
    store.close()
