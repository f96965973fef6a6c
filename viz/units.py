"""Units-that-found-a-feature figures: the top units' r for one property beside the shuffled baseline, a text
tinted token by token by one unit with the property marked, and the sentiment unit's value at the end of positive
and negative reviews.

Each figure has a pure data function (numpy, no Plotly) and a thin builder. Rankings come as
``models.units.rankings_to_json`` writes one entry: ``{"top": [[unit, r], ...], "baseline": b, "steps": n}``.
The tinted text is HTML (spans), made here so that its colours are tested with the rest.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from viz.fit import wrap_title
from viz.plotly_helpers import FLOAT, MARGIN, empty_figure

POSITIVE_RGB = (214, 39, 40)  # a unit above 0 (red), as the diverging state colours
NEGATIVE_RGB = (31, 119, 180)  # below 0 (blue)
BASELINE_COLOUR = "#555555"
HIGHLIGHT_COLOUR = "#111111"
MAX_ALPHA = 0.85  # the tint of the largest |value|
MARK_RGB = (0, 0, 0)  # the underline that marks the property
BARS_HEIGHT = 380
HISTOGRAM_HEIGHT = 360
HISTOGRAM_BINS = 40

UNITS_LABELS: Mapping[str, str] = {
    "title_ranking": "{property}: the top units of {state} by |r|",
    "unit": "unit {unit}",
    "units": "unit (best first)",
    "r": "Pearson r with the property",
    "baseline": "shuffled baseline ±{baseline:.3f}",
    "no_ranking": "No ranking",
    "hover_tint": "value {value:+.3f} · property {prop}",
    "title_sentiment": "{model}, {state} unit {unit} after the whole review: positive vs negative test reviews",
    "value": "the unit's value after the last character",
    "reviews": "reviews",
    "positive": "positive",
    "negative": "negative",
    "threshold": "threshold {threshold:+.3f}",
    "no_values": "No reviews read",
}


def _text(labels: Mapping[str, str] | None, key: str, **fmt: object) -> str:
    template = (labels or {}).get(key, UNITS_LABELS[key])
    return template.format(**fmt) if fmt else template


# --- the ranking ---------------------------------------------------------------------------------------------------

class RankingData(NamedTuple):
    """The top units of one ranking, best first."""

    units: np.ndarray  # (K,) int, flattened unit indices
    r: np.ndarray  # (K,) Pearson r of each
    baseline: float  # best |r| of any unit against the shuffled property
    steps: int  # steps the correlations were computed over


def ranking_data(entry: Mapping | None, count: int | None = None) -> RankingData:
    """The first ``count`` units (all if None) of a ranking entry (see the module doc); an empty ranking for None."""
    if not entry:
        return RankingData(np.zeros(0, dtype=int), np.zeros(0), 0.0, 0)
    top = list(entry.get("top", []))[:count]
    return RankingData(np.array([int(u) for u, _ in top], dtype=int), np.array([float(r) for _, r in top]),
                       float(entry.get("baseline", 0.0)), int(entry.get("steps", 0)))


def ranking_rows(data: RankingData) -> list[tuple[int, int, float, float]]:
    """(rank from 1, unit, r, |r| / baseline) per unit: the table and the CSV; the ratio is inf for a 0 baseline."""
    ratio = np.abs(data.r) / data.baseline if data.baseline > 0 else np.full(len(data.r), np.inf)
    return [(i + 1, int(u), float(r), float(q)) for i, (u, r, q) in enumerate(zip(data.units, data.r, ratio))]


def _rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({rgb[0]},{rgb[1]},{rgb[2]},{alpha:.3f})"


def ranking_bars(data: RankingData, *, prop: str = "", state: str = "", highlight: int | None = None,
                 labels: Mapping[str, str] | None = None) -> go.Figure:
    """A bar of r per unit (best first, red above 0, blue below), the unit ``highlight`` outlined, and the shuffled
    baseline as dashed lines at ±baseline (one trace, in the legend): a unit whose bar stays between them tracks
    nothing beyond chance."""
    title = wrap_title(_text(labels, "title_ranking", property=prop, state=state))
    if len(data.units) == 0:
        return empty_figure(_text(labels, "no_ranking"), uirevision="unit_ranking")
    x = np.arange(len(data.units))
    colours = [_rgba(POSITIVE_RGB if r >= 0 else NEGATIVE_RGB, MAX_ALPHA) for r in data.r]
    widths = [3 if int(u) == highlight else 0 for u in data.units]
    fig = go.Figure(go.Bar(
        x=x, y=data.r.astype(FLOAT), marker={"color": colours, "line": {"color": HIGHLIGHT_COLOUR, "width": widths}},
        customdata=data.units,
        hovertemplate=_text(labels, "unit", unit="%{customdata}") + ": r = %{y:+.3f}<extra></extra>",
        showlegend=False))
    ends = [-0.5, len(x) - 0.5]
    fig.add_trace(go.Scatter(  # one legend entry for both lines: +baseline, a break, -baseline
        x=[*ends, None, *ends], y=[data.baseline, data.baseline, None, -data.baseline, -data.baseline],
        mode="lines", line={"color": BASELINE_COLOUR, "dash": "dash", "width": 1.5}, hoverinfo="skip",
        name=_text(labels, "baseline", baseline=data.baseline)))
    limit = max(float(np.abs(data.r).max()), data.baseline) * 1.15 or 1.0
    fig.update_layout(
        title=title, height=BARS_HEIGHT, margin={**MARGIN, "r": 40}, uirevision="unit_ranking",
        xaxis={"title": _text(labels, "units"), "tickvals": x,
               "ticktext": [_text(labels, "unit", unit=int(u)) for u in data.units]},
        yaxis={"title": _text(labels, "r"), "range": [-limit, limit], "zeroline": True},
        legend={"orientation": "h", "y": -0.3}, showlegend=True)
    return fig


# --- a text tinted by one unit -------------------------------------------------------------------------------------

class TintData(NamedTuple):
    """One text's tokens, each with a background colour from the unit's value and a mark from the property."""

    tokens: tuple[str, ...]  # (T,)
    values: np.ndarray  # (T,) the unit's value
    marks: np.ndarray  # (T,) the property scaled to [0, 1] (its largest value in the text is 1)
    prop: np.ndarray  # (T,) the property itself (NaN where a token has none)
    colours: tuple[str, ...]  # (T,) rgba backgrounds
    limit: float  # |value| that gets the strongest tint


def tint_data(tokens: Sequence[str], values: np.ndarray, prop: np.ndarray, limit: float | None = None) -> TintData:
    """Colours for ``values`` (T,) on a diverging scale (red above 0, blue below, transparent at 0) whose end is
    ``limit`` (default: the largest |value| here), and ``prop`` (T,) scaled to [0, 1] for the marks."""
    values = np.asarray(values, dtype=np.float64)
    raw = np.asarray(prop, dtype=np.float64)
    prop = np.nan_to_num(raw, nan=0.0)
    limit = float(limit if limit is not None else np.abs(values).max(initial=0.0)) or 1.0
    strength = np.clip(np.abs(values) / limit, 0.0, 1.0) * MAX_ALPHA
    colours = tuple(_rgba(POSITIVE_RGB if v >= 0 else NEGATIVE_RGB, a) for v, a in zip(values, strength))
    top = prop.max(initial=0.0)
    marks = np.clip(prop / top, 0.0, 1.0) if top > 0 else np.zeros_like(prop)
    return TintData(tuple(tokens), values, marks, raw, colours, limit)


def tinted_html(data: TintData, *, labels: Mapping[str, str] | None = None) -> str:
    """The text as spans: each token's background is its tint; a token where the property holds is underlined
    (as thick and dark as the property's value); hovering shows both numbers."""
    spans = []
    for token, value, mark, prop, colour in zip(data.tokens, data.values, data.marks, data.prop, data.colours):
        underline = (f"border-bottom:3px solid {_rgba(MARK_RGB, 0.25 + 0.75 * float(mark))};" if mark > 0
                     else "border-bottom:3px solid transparent;")
        hover = _text(labels, "hover_tint", value=float(value), prop="—" if np.isnan(prop) else f"{float(prop):.3g}")
        shown = html.escape(token).replace(" ", "&nbsp;")
        spans.append(f'<span title="{html.escape(hover)}" style="background:{colour};{underline}'
                     f'padding:1px 0;">{shown}</span>')
    return f'<div style="line-height:2.1;font-size:1.1em;">{"".join(spans)}</div>'


# --- the sentiment unit --------------------------------------------------------------------------------------------

class SentimentValuesData(NamedTuple):
    """The sentiment unit's value after each test review, split by the review's label."""

    positive: np.ndarray  # (P,)
    negative: np.ndarray  # (N,)
    threshold: float
    accuracy: float  # share of reviews on the side of the threshold their label is on (the unit's rule)


def sentiment_values_data(values: np.ndarray, labels: np.ndarray, threshold: float, above: int) -> SentimentValuesData:
    """``values`` (B,) after each review and its ``labels`` (B,) 0/1; the unit says ``above`` for a value above
    ``threshold`` and the other class otherwise."""
    values, labels = np.asarray(values, dtype=np.float64), np.asarray(labels, dtype=int)
    said = np.where(values > threshold, above, 1 - above)
    accuracy = float((said == labels).mean()) if len(labels) else 0.0
    return SentimentValuesData(values[labels == 1], values[labels == 0], float(threshold), accuracy)


def sentiment_histogram(data: SentimentValuesData, *, model: str = "", state: str = "", unit: int = 0,
                        labels: Mapping[str, str] | None = None) -> go.Figure:
    """Two overlaid histograms (positive, negative) of the unit's final value, and the threshold as a line."""
    if len(data.positive) + len(data.negative) == 0:
        return empty_figure(_text(labels, "no_values"), uirevision="sentiment_unit")
    both = np.concatenate([data.positive, data.negative])
    bins = {"start": float(both.min()), "end": float(both.max()) + 1e-9,
            "size": (float(both.max() - both.min()) or 1.0) / HISTOGRAM_BINS}
    fig = go.Figure()
    for key, values, rgb in (("positive", data.positive, POSITIVE_RGB), ("negative", data.negative, NEGATIVE_RGB)):
        fig.add_trace(go.Histogram(x=values.astype(FLOAT), name=f"{_text(labels, key)} ({len(values)})",
                                   xbins=bins, marker={"color": _rgba(rgb, 0.55)}))
    fig.add_vline(x=data.threshold, line={"color": BASELINE_COLOUR, "dash": "dash"})
    fig.add_annotation(x=data.threshold, y=1, yref="paper", yanchor="bottom", showarrow=False,
                       text=_text(labels, "threshold", threshold=data.threshold))
    fig.update_layout(
        title=wrap_title(_text(labels, "title_sentiment", model=model, state=state, unit=unit)), barmode="overlay",
        height=HISTOGRAM_HEIGHT, margin={**MARGIN, "r": 40}, uirevision="sentiment_unit",
        xaxis={"title": _text(labels, "value")}, yaxis={"title": _text(labels, "reviews")},
        legend={"orientation": "h", "y": -0.25})
    return fig
