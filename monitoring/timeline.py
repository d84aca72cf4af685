"""Post-crisis review: what happened, when, who did what, and how fast.

A :class:`Review` covers one stream over a time range (an alert's episode with a margin
before and after, or any range): the per-minute volume and sentiment, every alert
event, escalation, acknowledgement, ticket first response and note as **events**, the
**phases** (before, during, after the alerts), the top posts and terms of each phase,
and the **key numbers**: time to detect, to escalate, to acknowledge, to the first
response, and the share of requests answered within their SLA.

Exports: :func:`export_csv` (the events) and :func:`export_html` (a self-contained
report, plotly's JavaScript embedded so it opens offline).  Personal data (post texts,
authors) is masked in both unless an admin explicitly chooses otherwise;
:func:`export_review` checks that and writes the audit row.

Examples
--------
>>> from datetime import datetime
>>> from monitoring.store import Store
>>> review = review_range(Store(), "lumea", datetime(2026, 3, 2, 9), datetime(2026, 3, 2, 11))
>>> review.events.empty, [p.name for p in review.phases]
(True, ['range'])
>>> export_csv(review).splitlines()[0]
'ts,event,actor,alert_id,detail'
"""

from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from monitoring.alerts import top_terms
from monitoring.auth import User, require
from monitoring.enrich.pii import mask_pii
from monitoring.i18n import Translator
from monitoring.models import utc
from monitoring.store import SQL_BINS_RANGE, Store, naive_utc

__all__ = [
    "Phase",
    "Review",
    "TimelineError",
    "add_annotation",
    "export_csv",
    "export_html",
    "export_review",
    "phase_posts",
    "review_for_alert",
    "review_range",
]

#: Longest annotation kept, and longest post text shown in a review.
MAX_ANNOTATION_CHARS = 2_000
SHOWN_CHARS = 280
#: Time shown before and after an alert's episode.
ALERT_MARGIN = timedelta(hours=2)
#: Bins over which the net sentiment line is averaged.
SENTIMENT_WINDOW = 15
#: Posts listed per phase.
TOP_POSTS = 5

SQL_ALERT_FOR_REVIEW = """
SELECT id, stream, kind, state, severity, opened_at, first_bin, last_bin, closed_at
FROM alerts WHERE id = ?
"""
SQL_ALERTS_IN_RANGE = """
SELECT id, stream, kind, state, severity, opened_at, first_bin, last_bin, closed_at
FROM alerts WHERE stream = ? AND first_bin < ? AND coalesce(closed_at, last_bin) >= ?
ORDER BY first_bin
"""
SQL_REVIEW_EVENTS = """
SELECT e.ts, e.event, e.actor, e.alert_id, e.detail
FROM alert_events e JOIN alerts a ON a.id = e.alert_id
WHERE a.stream = ? AND e.ts >= ? AND e.ts < ? AND e.event <> 'update'
UNION ALL
SELECT x.created_at, 'escalation', x.created_by, x.alert_id,
       json_object('contact', x.contact, 'level', x.level)::VARCHAR
FROM escalations x JOIN alerts a ON a.id = x.alert_id
WHERE a.stream = ? AND x.created_at >= ? AND x.created_at < ?
UNION ALL
SELECT x.acknowledged_at, 'escalation_ack', coalesce(x.acknowledged_by, x.contact), x.alert_id,
       json_object('contact', x.contact, 'level', x.level)::VARCHAR
FROM escalations x JOIN alerts a ON a.id = x.alert_id
WHERE a.stream = ? AND x.acknowledged_at >= ? AND x.acknowledged_at < ?
UNION ALL
SELECT t.first_response_at, 'first_response', coalesce(t.assignee, ''), NULL,
       json_object('ticket', t.id, 'department', t.department)::VARCHAR
FROM tickets t WHERE t.stream = ? AND t.first_response_at >= ? AND t.first_response_at < ?
UNION ALL
SELECT n.ts, 'annotation', n.actor, NULL, json_object('note', n.text)::VARCHAR
FROM annotations n WHERE (n.stream = ? OR n.stream IS NULL) AND n.ts >= ? AND n.ts < ?
ORDER BY 1, 2
"""
SQL_REVIEW_TICKETS = """
SELECT id, created_at, first_response_at, first_response_due, resolved_at, resolution_due
FROM tickets WHERE stream = ? AND created_at >= ? AND created_at < ?
"""
SQL_PHASE_POSTS = """
SELECT ts, source, author, text, lang, sentiment_label, category, priority
FROM mentions WHERE stream = ? AND ts >= ? AND ts < ?
ORDER BY priority DESC NULLS LAST, author_reach DESC, ts LIMIT ?
"""
SQL_PHASE_TEXTS = """
SELECT text, lang FROM mentions WHERE stream = ? AND ts >= ? AND ts < ? LIMIT ?
"""
SQL_INSERT_ANNOTATION = """
INSERT INTO annotations (stream, ts, text, actor, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id
"""
#: Texts read per phase to find its terms.
PHASE_TEXTS = 5_000


class TimelineError(ValueError):
    """The review cannot be made (unknown alert, empty range, empty annotation...)."""


@dataclass(slots=True)
class Phase:
    """A part of the reviewed range, with its top posts and terms.

    ``posts`` holds the stored texts and authors: show them through :func:`phase_posts`.
    """

    name: str
    start: datetime
    end: datetime
    posts: pd.DataFrame = field(default_factory=pd.DataFrame)
    terms: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Review:
    """Everything the timeline page and the exports show for one stream and range.

    ``series``: ``bin_start, n, n_negative, n_positive, negative_share, net_sentiment``;
    ``events``: ``ts, event, actor, alert_id, detail``; ``numbers``: seconds (or
    ``None`` when the step did not happen) and ``within_sla`` (share, or ``None``).
    """

    stream: str
    start: datetime
    end: datetime
    alert_id: int | None
    series: pd.DataFrame
    events: pd.DataFrame
    phases: list[Phase]
    numbers: dict[str, float | None]
    masked: bool = True


# ----------------------------------------------------------------------------- building
def review_for_alert(store: Store, alert_id: int, *, margin: timedelta = ALERT_MARGIN,
                     now: datetime | None = None,
                     exclude: frozenset[str] = frozenset()) -> Review:
    """The review of one alert's episode, ``margin`` before and after (``exclude``: as in
    :func:`review_range`)."""
    cur = store.reader()
    row = cur.execute(SQL_ALERT_FOR_REVIEW, [int(alert_id)]).fetchone()
    if row is None:
        raise TimelineError(f"alert {alert_id} does not exist")
    first_bin, last_bin, closed_at = row[6], row[7], row[8]
    end = (closed_at or max(last_bin, row[5])) + margin
    if now is not None:
        end = min(end, naive_utc(now))
    return review_range(store, row[1], first_bin - margin, max(end, row[5]),
                        alert_id=int(alert_id), exclude=exclude)


def review_range(store: Store, stream: str, start: datetime, end: datetime, *,
                 alert_id: int | None = None, exclude: frozenset[str] = frozenset()) -> Review:
    """The review of ``stream`` over ``[start, end)``; the phases' terms leave out those in
    ``exclude`` (the streams' own names, see :func:`monitoring.alerts.own_terms`)."""
    start, end = naive_utc(start), naive_utc(end)
    if end <= start:
        raise TimelineError("the end of the range must be after its start")
    cur = store.reader()
    series = cur.execute(SQL_BINS_RANGE, [stream, start, end]).df()
    n = series["n"].clip(lower=1)
    # Net sentiment over a rolling window, weighted by volume: a quiet minute with one
    # post must not swing the line from -1 to +1.
    window = series[["n", "n_positive", "n_negative"]].rolling(SENTIMENT_WINDOW,
                                                               min_periods=1).sum()
    series = series.assign(negative_share=series["n_negative"] / n,
                           net_sentiment=(window["n_positive"] - window["n_negative"])
                           / window["n"].clip(lower=1))
    args = [stream, start, end]
    events = cur.execute(SQL_REVIEW_EVENTS, args * 5).df()
    alerts = cur.execute(SQL_ALERTS_IN_RANGE, [stream, end, start]).df()
    if alert_id is not None:
        alerts = alerts[alerts["id"] == alert_id]
    phases = [_fill_phase(cur, stream, p, exclude) for p in _phases(alerts, start, end)]
    numbers = _key_numbers(cur, stream, alerts, events, start, end)
    return Review(stream, start, end, alert_id, series, events, phases, numbers)


def _phases(alerts: pd.DataFrame, start: datetime, end: datetime) -> list[Phase]:
    """Before / during / after the alerts of the range (one phase when there are none)."""
    if alerts.empty:
        return [Phase("range", start, end)]
    begin = max(start, pd.Timestamp(alerts["first_bin"].min()).to_pydatetime())
    if alerts["closed_at"].isna().any():      # still open: the crisis lasts to the end
        finish = end
    else:
        finish = min(end, pd.Timestamp(alerts["closed_at"].max()).to_pydatetime()
                     + timedelta(minutes=1))
    out = []
    if begin > start:
        out.append(Phase("before", start, begin))
    out.append(Phase("during", begin, max(finish, begin + timedelta(minutes=1))))
    if finish < end:
        out.append(Phase("after", finish, end))
    return out


def _fill_phase(cur: Any, stream: str, phase: Phase, exclude: frozenset[str]) -> Phase:
    args = [stream, phase.start, phase.end]
    posts = cur.execute(SQL_PHASE_POSTS, [*args, TOP_POSTS]).df()
    posts["text"] = posts["text"].map(lambda t: str(t or "")[:SHOWN_CHARS * 2])
    texts = cur.execute(SQL_PHASE_TEXTS, [*args, PHASE_TEXTS]).df()
    phase.posts = posts
    # Terms come from masked texts, so an e-mail or a phone number never becomes a "term".
    phase.terms = top_terms([mask_pii(str(t or "")) for t in texts["text"]],
                            list(texts["lang"]), exclude=exclude) if len(texts) else []
    return phase


def _seconds(later: Any, earlier: Any) -> float | None:
    if later is None or earlier is None or pd.isna(later) or pd.isna(earlier):
        return None
    return (pd.Timestamp(later) - pd.Timestamp(earlier)).total_seconds()


def _key_numbers(cur: Any, stream: str, alerts: pd.DataFrame, events: pd.DataFrame,
                 start: datetime, end: datetime) -> dict[str, float | None]:
    """Times from the first alert (seconds) and the share of requests answered in time."""
    numbers: dict[str, float | None] = dict.fromkeys(
        ("time_to_detect", "time_to_escalate", "time_to_acknowledge", "time_to_first_response",
         "median_first_response"))
    tickets = cur.execute(SQL_REVIEW_TICKETS, [stream, start, end]).df()
    if not alerts.empty:
        first = alerts.iloc[0]
        opened = first["opened_at"]
        numbers["time_to_detect"] = _seconds(opened, first["first_bin"])
        mine = events[(events["alert_id"] == first["id"]) & (events["ts"] >= opened)]

        def first_of(*kinds: str) -> Any:
            hits = mine[mine["event"].isin(kinds)]["ts"]
            return hits.min() if len(hits) else None

        numbers["time_to_escalate"] = _seconds(first_of("escalated", "escalation"), opened)
        numbers["time_to_acknowledge"] = _seconds(
            first_of("acknowledged", "escalation_ack"), opened)
        answered = tickets[(tickets["created_at"] >= first["first_bin"])
                           & tickets["first_response_at"].notna()]
        if len(answered):
            numbers["time_to_first_response"] = max(
                0.0, _seconds(answered["first_response_at"].min(), opened) or 0.0)
    answered = tickets[tickets["first_response_at"].notna()]
    if len(answered):
        numbers["median_first_response"] = float(
            (answered["first_response_at"] - answered["created_at"]).dt.total_seconds().median())
    numbers["within_sla"] = _within_sla(tickets, end)
    numbers["requests"] = float(len(tickets))
    numbers["resolved"] = float(tickets["resolved_at"].notna().sum())
    return numbers


def _within_sla(tickets: pd.DataFrame, end: datetime) -> float | None:
    """Share of requests answered by their first-response due time.

    A request still unanswered counts as missed once it is overdue, and is left out
    while it is still within its time.
    """
    if tickets.empty:
        return None
    due = tickets["first_response_due"]
    done = tickets["first_response_at"]
    met = done.notna() & due.notna() & (done <= due)
    missed = (done.notna() & due.notna() & (done > due)) | (done.isna() & due.notna()
                                                             & (due < pd.Timestamp(end)))
    decided = int(met.sum() + missed.sum())
    return float(met.sum() / decided) if decided else None


# ----------------------------------------------------------------------------- notes
def add_annotation(store: Store, user: User, ts: datetime, text: str, *, now: datetime,
                   stream: str | None = None) -> int:
    """Put a note on the timeline at ``ts`` (``stream=None``: on every stream); returns its id."""
    require(user, "operator")
    note = (text or "").strip()[:MAX_ANNOTATION_CHARS]
    if not note:
        raise TimelineError("an annotation must not be empty")
    with store.transaction() as cur:
        note_id = int(cur.execute(SQL_INSERT_ANNOTATION, [
            stream, naive_utc(ts), note, user.username, naive_utc(now)]).fetchone()[0])
        store.audit(cur, user.username, "timeline.annotate", "annotation", note_id,
                    {"stream": stream, "ts": naive_utc(ts).isoformat()}, now)
    return note_id


# ----------------------------------------------------------------------------- exports
def _detail_text(detail: Any, masked: bool) -> str:
    """An event's detail as short readable text (notes masked unless told otherwise)."""
    try:
        data = json.loads(detail) if isinstance(detail, str) and detail else {}
    except ValueError:
        data = {"detail": str(detail)}
    if not isinstance(data, dict):
        data = {"detail": data}
    keep = {k: v for k, v in data.items()
            if k in ("note", "reason", "target", "contact", "level", "ticket", "department",
                     "detail", "severity", "kind") and v not in (None, "", [])}
    text = "; ".join(f"{k}={v}" for k, v in keep.items())[:SHOWN_CHARS]
    return mask_pii(text) if masked else text


def _mask_author(author: Any) -> str:
    """``@mario_rossi`` -> ``@m•••``: enough to tell posts apart, not to identify anyone."""
    name = str(author or "")
    at = "@" if name.startswith("@") else ""
    core = name.lstrip("@")
    return f"{at}{core[:1]}•••" if core else ""


def phase_posts(phase: Phase, masked: bool = True) -> pd.DataFrame:
    """The top posts of a phase for display: text bounded, text and author masked."""
    posts = phase.posts.copy()
    if masked:
        posts["author"] = posts["author"].map(_mask_author)
        posts["text"] = posts["text"].map(lambda t: mask_pii(str(t))[:SHOWN_CHARS])
    else:
        posts["author"] = posts["author"].astype(str)
        posts["text"] = posts["text"].map(lambda t: str(t)[:SHOWN_CHARS])
    return posts


def events_table(review: Review, masked: bool = True) -> pd.DataFrame:
    """The events with a readable ``detail`` column (what the CSV and report list)."""
    events = review.events.copy()
    events["detail"] = [_detail_text(d, masked) for d in events["detail"]]
    events["alert_id"] = events["alert_id"].astype("Int64")
    return events[["ts", "event", "actor", "alert_id", "detail"]]


def export_csv(review: Review, masked: bool = True) -> str:
    """The events of the review as CSV text (UTC times, ISO 8601)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ts", "event", "actor", "alert_id", "detail"])
    for row in events_table(review, masked).itertuples(index=False):
        writer.writerow([pd.Timestamp(row.ts).isoformat(), row.event, row.actor,
                         "" if pd.isna(row.alert_id) else int(row.alert_id), row.detail])
    return out.getvalue()


def review_figure(review: Review, tr: Translator) -> go.Figure:
    """Volume and net sentiment with every event as a marker line."""
    s = review.series
    x = [tr.local(pd.Timestamp(t).to_pydatetime()) for t in s["bin_start"]]
    fig = go.Figure()
    fig.add_bar(x=x, y=s["n"], name=tr("timeline.volume"), marker_color="#4c78a8")
    fig.add_scatter(x=x, y=s["net_sentiment"], name=tr("timeline.sentiment"), yaxis="y2",
                    mode="lines", line={"color": "#e45756"})
    colours = {"open": "#d62728", "escalated": "#ff7f0e", "escalation": "#ff7f0e",
               "acknowledged": "#2ca02c", "escalation_ack": "#2ca02c",
               "first_response": "#17becf", "annotation": "#9467bd", "note": "#9467bd"}
    top = float(s["n"].max()) if len(s) else 1.0
    events = review.events
    for kind in dict.fromkeys(events["event"]):    # one trace per kind of event
        xs: list[Any] = []
        ys: list[Any] = []
        for ts in events.loc[events["event"] == kind, "ts"]:
            t = tr.local(pd.Timestamp(ts).to_pydatetime())
            xs += [t, t, None]
            ys += [0, top, None]
        fig.add_scatter(x=xs, y=ys, mode="lines", name=tr(f"timeline.event.{kind}"),
                        line={"color": colours.get(kind, "#7f7f7f"), "width": 1.5,
                              "dash": "dot"})
    fig.update_layout(height=420, margin={"l": 40, "r": 40, "t": 30, "b": 60},
                      yaxis={"title": tr("timeline.volume")},
                      yaxis2={"overlaying": "y", "side": "right", "range": [-1, 1],
                              "dtick": 0.5, "title": tr("timeline.sentiment")},
                      legend={"orientation": "h"}, template="plotly_white")
    return fig


def format_seconds(value: float | None, tr: Translator) -> str:
    """A key number for display (``—`` when it did not happen)."""
    if value is None or pd.isna(value):
        return "—"
    return tr.duration(timedelta(seconds=float(value)))


def key_numbers_text(review: Review, tr: Translator) -> list[tuple[str, str]]:
    """The key numbers as ``(label, value)`` pairs in the reader's language."""
    n = review.numbers
    pairs = [(tr(f"timeline.kpi.{k}"), format_seconds(n.get(k), tr))
             for k in ("time_to_detect", "time_to_escalate", "time_to_acknowledge",
                       "time_to_first_response", "median_first_response")]
    share = n.get("within_sla")
    pairs.append((tr("timeline.kpi.within_sla"),
                  "—" if share is None else tr.percent(float(share))))
    pairs.append((tr("timeline.kpi.requests"), tr.number(float(n.get("requests") or 0))))
    pairs.append((tr("timeline.kpi.resolved"), tr.number(float(n.get("resolved") or 0))))
    return pairs


def _table(frame: pd.DataFrame, columns: list[str], headers: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v if v is not None else ''))}</td>"
                         for v in row) + "</tr>"
        for row in frame[columns].itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
h1{margin-bottom:0}.sub{color:#666}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px;vertical-align:top}
th{background:#f4f4f4}.kpis{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.kpi{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:150px}
.kpi b{display:block;font-size:1.4rem}.terms{color:#444}
"""


def export_html(review: Review, tr: Translator, *, title: str = "Sentinella",
                masked: bool = True) -> str:
    """A self-contained HTML report: key numbers, chart (plotly embedded), phases, events.

    Every text from posts, notes and authors is HTML-escaped (and masked when ``masked``).
    """
    fig = review_figure(review, tr)
    chart = fig.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})
    kpis = "".join(f'<div class="kpi">{html.escape(k)}<b>{html.escape(v)}</b></div>'
                   for k, v in key_numbers_text(review, tr))
    phases = []
    for phase in review.phases:
        posts = phase_posts(phase, masked)
        posts["when"] = [tr.datetime(pd.Timestamp(t).to_pydatetime()) for t in posts["ts"]]
        posts["category"] = [tr(f"category.{c}") for c in posts["category"].fillna("other")]
        phases.append(
            f"<h3>{html.escape(tr(f'timeline.phase.{phase.name}'))}: "
            f"{html.escape(tr.datetime(phase.start))} – {html.escape(tr.datetime(phase.end))}"
            f"</h3><p class='terms'>{html.escape(tr('timeline.terms'))}: "
            f"{html.escape(', '.join(phase.terms) or '—')}</p>"
            + _table(posts, ["when", "author", "text", "category"],
                     [tr("timeline.col.when"), tr("timeline.col.author"),
                      tr("timeline.col.text"), tr("timeline.col.category")]))
    events = events_table(review, masked)
    events["when"] = [tr.datetime(pd.Timestamp(t).to_pydatetime(), "medium")
                      for t in events["ts"]]
    events["what"] = [tr(f"timeline.event.{e}") for e in events["event"]]
    rng = f"{tr.datetime(review.start)} – {tr.datetime(review.end)}"
    note = tr("timeline.masked_note") if masked else tr("timeline.unmasked_note")
    return (
        f"<!doctype html><html lang='{tr.lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)} — {html.escape(tr('timeline.title'))}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)} — {html.escape(tr('timeline.title'))}</h1>"
        f"<p class='sub'>{html.escape(review.stream)} · {html.escape(rng)} · "
        f"{html.escape(note)}</p>"
        f"<div class='kpis'>{kpis}</div>{chart}"
        f"<h2>{html.escape(tr('timeline.phases'))}</h2>{''.join(phases)}"
        f"<h2>{html.escape(tr('timeline.events'))}</h2>"
        + (_table(events, ["when", "what", "actor", "detail"],
                  [tr("timeline.col.when"), tr("timeline.col.event"), tr("timeline.col.actor"),
                   tr("timeline.col.detail")]) if len(events)
           else f"<p>{html.escape(tr('timeline.no_events'))}</p>")
        + "</body></html>"
    )


def export_review(store: Store, user: User, review: Review, fmt: str, tr: Translator, *,
                  now: datetime, unmasked: bool = False, title: str = "Sentinella") -> str:
    """Export a review as ``"html"`` or ``"csv"``, audited; unmasked exports need an admin."""
    require(user, "admin" if unmasked else "operator")
    if fmt not in ("html", "csv"):
        raise TimelineError(f"unknown export format {fmt!r} (html, csv)")
    body = (export_html(review, tr, title=title, masked=not unmasked) if fmt == "html"
            else export_csv(review, masked=not unmasked))
    with store.transaction() as cur:
        store.audit(cur, user.username, "timeline.export", "stream", review.stream,
                    {"format": fmt, "masked": not unmasked, "alert_id": review.alert_id,
                     "start": review.start.isoformat(), "end": review.end.isoformat()}, now)
    return body


def default_range(now: datetime, hours: float = 6) -> tuple[datetime, datetime]:
    """The last ``hours`` up to ``now`` (naive UTC), the page's default range.

    >>> default_range(datetime(2026, 3, 2, 12), 2)
    (datetime.datetime(2026, 3, 2, 10, 0), datetime.datetime(2026, 3, 2, 12, 0))
    """
    end = naive_utc(utc(now))
    return end - timedelta(hours=hours), end
