"""Plotly figures of the dashboard: volume with its expected band, negative share.

The functions take the frames of :mod:`monitoring.wall` (``volume_series``, the markers
of ``alert_panels``) and a :class:`~monitoring.i18n.Translator`, and return figures; they
do not call Streamlit, so the timeline and the exported report reuse them.

Examples
--------
>>> from datetime import datetime
>>> import pandas as pd
>>> from monitoring.i18n import Translator
>>> volume = pd.DataFrame({"bin_start": [datetime(2026, 1, 1, 10, m) for m in range(3)],
...                        "n": [3, 4, 30], "n_negative": [1, 1, 20],
...                        "expected": [3.0, 3.5, 4.0], "low": [1.0, 1.0, 1.5],
...                        "high": [6.0, 6.0, 7.0]})
>>> fig = volume_figure(volume, pd.DataFrame(), Translator("en"))
>>> [t.name for t in fig.data]
['Normal band', 'Expected', 'Mentions/min']
>>> negative_share_figure(volume, Translator("it")).data[0].name
'Quota negativa'
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from monitoring.i18n import Translator

__all__ = ["SEVERITY_COLOURS", "negative_share_figure", "severity_colour", "volume_figure"]

#: Colours by severity band (critical, warning, info).
SEVERITY_COLOURS = {"critical": "#ff4b4b", "warning": "#ffa421", "info": "#29b5e8"}
OBSERVED = "#f0f2f6"
EXPECTED = "#7d8597"
BAND = "rgba(125, 133, 151, 0.25)"
NEGATIVE = "#ff8c69"


def severity_colour(severity: int, critical: int = 8) -> str:
    """Colour of an alert of ``severity`` (critical from ``critical`` up).

    >>> severity_colour(9), severity_colour(5), severity_colour(2)
    ('#ff4b4b', '#ffa421', '#29b5e8')
    """
    if severity >= critical:
        return SEVERITY_COLOURS["critical"]
    return SEVERITY_COLOURS["warning" if severity >= 4 else "info"]


def _local_times(values: object, tr: Translator) -> list | pd.Series:
    """Stored times (naive UTC) as wall-clock times of the display zone, as plotly draws
    them, so the axes agree with every other time on the page.

    >>> from datetime import datetime
    >>> _local_times([datetime(2026, 1, 1, 10)], Translator("it", "Europe/Rome")).tolist()
    [Timestamp('2026-01-01 11:00:00')]
    """
    series = pd.to_datetime(pd.Series(values))
    if not len(series):
        return []
    if series.dt.tz is None:
        series = series.dt.tz_localize("UTC")
    return series.dt.tz_convert(tr.tz).dt.tz_localize(None)


def _empty(fig: go.Figure, tr: Translator, font_size: int) -> None:
    """No data yet (a fresh install still backfilling): say so instead of bare axes."""
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=tr("chart.empty"), showarrow=False, xref="paper", yref="paper",
                       x=0.5, y=0.5, font={"color": EXPECTED, "size": font_size})


def _layout(fig: go.Figure, height: int, font_size: int, y_title: str) -> go.Figure:
    fig.update_layout(
        template="plotly_dark", height=height, paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)", font={"size": font_size},
        margin={"l": 8, "r": 8, "t": 8, "b": 8}, showlegend=True,
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        yaxis={"title": y_title, "rangemode": "tozero"}, hovermode="x unified",
    )
    return fig


def volume_figure(volume: pd.DataFrame, markers: pd.DataFrame, tr: Translator, *,
                  height: int = 380, font_size: int = 14, critical: int = 8) -> go.Figure:
    """Mentions per bin against the detector's expected value and normal band, with the
    alerts of the window as coloured spans labelled by kind."""
    fig = go.Figure()
    if len(volume):  # converted once; the band and the lines share it
        volume = volume.assign(bin_start=_local_times(volume["bin_start"], tr))
    x = volume["bin_start"] if len(volume) else []
    if len(volume) and "expected" in volume and volume["expected"].notna().any():
        band = volume.dropna(subset=["low", "high"])  # the newest bin has no band yet
        fig.add_scatter(x=list(band["bin_start"]) + list(band["bin_start"])[::-1],
                        y=list(band["high"]) + list(band["low"])[::-1],
                        fill="toself", fillcolor=BAND, line={"width": 0}, hoverinfo="skip",
                        name=tr("chart.band"))
        fig.add_scatter(x=x, y=volume["expected"], mode="lines", name=tr("chart.expected"),
                        line={"color": EXPECTED, "dash": "dash", "width": 2})
    fig.add_scatter(x=x, y=volume["n"] if len(volume) else [], mode="lines",
                    name=tr("chart.mentions"), line={"color": OBSERVED, "width": 3})
    for i, m in enumerate(markers.itertuples() if len(markers) else ()):
        colour = severity_colour(int(m.severity), critical)
        first, last = _local_times([m.first_bin, m.last_bin], tr)
        fig.add_vrect(x0=first, x1=max(last, first + pd.Timedelta(minutes=1)),
                      fillcolor=colour, opacity=0.18, line_width=0)
        fig.add_annotation(x=first, y=1 - 0.09 * (i % 4), yref="paper", yanchor="top",
                           xanchor="right",
                           text=f"▲ {tr(f'kind.{m.kind}')}", showarrow=False,
                           font={"color": colour, "size": font_size})
    if not len(volume):
        _empty(fig, tr, font_size)
    return _layout(fig, height, font_size, tr("chart.per_minute"))


def negative_share_figure(volume: pd.DataFrame, tr: Translator, *, height: int = 220,
                          font_size: int = 14, smooth_bins: int = 5) -> go.Figure:
    """Share of negative mentions per bin, smoothed over ``smooth_bins`` bins."""
    fig = go.Figure()
    if len(volume):
        neg = volume["n_negative"].rolling(smooth_bins, min_periods=1).sum()
        total = volume["n"].rolling(smooth_bins, min_periods=1).sum().clip(lower=1)
        share = neg / total
        x = _local_times(volume["bin_start"], tr)
    else:
        share, x = [], []
    fig.add_scatter(x=x, y=share, mode="lines", name=tr("chart.negative_share"),
                    line={"color": NEGATIVE, "width": 3}, fill="tozeroy",
                    fillcolor="rgba(255, 140, 105, 0.15)")
    fig = _layout(fig, height, font_size, "")
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    if not len(volume):
        _empty(fig, tr, font_size)
    return fig
