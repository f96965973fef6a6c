"""The two-sentence difference: one model on two texts, their hidden states and how far apart they are."""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.trace import Trace
from viz.fit import wrap_title
from viz.heatmap import HeatmapData, heatmap_data
from viz.labels import position_note, sentence, text, title_notes
from viz.overview import STACKED_MAX_COLUMNS, add_heatmap_row
from viz.plotly_helpers import FLOAT, empty_figure
from viz.steps import axis_layout, step_axis

METRICS = ("euclidean", "cosine")
UIREVISION = "sentence_difference"
ROW_HEIGHTS = (0.3, 0.3, 0.2, 0.2)  # hidden A, hidden B, distance, final states
HEIGHT = 900
VERTICAL_SPACING = 0.08
MARKERS_MAX = 60  # up to this many compared steps, each is marked (a single step is then still visible)
TITLE_CHARS = 60  # a sentence's subplot title shows at most this many characters of it


class DifferenceData(NamedTuple):
    """Hidden states of two sequences through one model, compared step by step."""

    first: HeatmapData  # hidden of sequence A
    second: HeatmapData  # hidden of sequence B
    metric: str  # 'euclidean' or 'cosine'
    distance: np.ndarray  # (N,) float32, N = the shorter length: distance of h_A[t] and h_B[t]
    pair_tokens: tuple[str, ...]  # (N,) 'token A / token B' at each compared step
    final_first: np.ndarray  # (H,) float32, the hidden state of A read last (token 0's, backward)
    final_second: np.ndarray  # (H,) float32, last hidden state of B


def step_distance(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """Row-wise distance of (N, H) arrays: Euclidean norm, or cosine distance 1 - cos."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    if metric == "euclidean":
        return np.linalg.norm(a - b, axis=1)
    if metric == "cosine":
        norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
        dots = np.einsum("nh,nh->n", a, b)
        cos = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        both_zero = (np.abs(a).sum(axis=1) == 0) & (np.abs(b).sum(axis=1) == 0)
        return np.where(both_zero, 0.0, 1.0 - cos)
    raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")


def difference_data(
    first: Trace, second: Trace, *, layer: int = 0, direction: int = 0, metric: str = "euclidean",
    max_columns: int = STACKED_MAX_COLUMNS, labels: Mapping[str, str] | None = None,
) -> DifferenceData:
    """Compare two traces of one model; the distance covers the first min(T_A, T_B) steps."""
    first.check_position(layer, direction)
    second.check_position(layer, direction)
    if first.hidden_size != second.hidden_size:
        raise ValueError(f"hidden sizes differ: {first.hidden_size} and {second.hidden_size}")
    ha = first.hidden[layer, direction]  # (T_A, H)
    hb = second.hidden[layer, direction]  # (T_B, H)
    n = min(len(ha), len(hb))
    empty = np.zeros(first.hidden_size, dtype=FLOAT)
    last = 0 if direction == 1 else -1  # the state read last: after token 0 going backward
    return DifferenceData(
        first=heatmap_data(first, "hidden", layer=layer, direction=direction, max_columns=max_columns, labels=labels),
        second=heatmap_data(second, "hidden", layer=layer, direction=direction, max_columns=max_columns, labels=labels),
        metric=metric,
        distance=step_distance(ha[:n], hb[:n], metric).astype(FLOAT),
        pair_tokens=tuple(f"{a} / {b}" for a, b in zip(first.tokens[:n], second.tokens[:n])),
        final_first=np.asarray(ha[last], dtype=FLOAT) if len(ha) else empty,
        final_second=np.asarray(hb[last], dtype=FLOAT) if len(hb) else empty,
    )


def sentence_difference(
    first: Trace, second: Trace, *, layer: int = 0, direction: int = 0, metric: str = "euclidean",
    max_columns: int = STACKED_MAX_COLUMNS, labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Both hidden heatmaps, the step-by-step distance, and the two final states side by side."""
    title = text(labels, "title_difference") + position_note(labels, first, layer, direction)
    if first.num_steps == 0 or second.num_steps == 0:
        return empty_figure(f"{title} — {text(labels, 'no_steps')}", uirevision=UIREVISION)
    data = difference_data(
        first, second, layer=layer, direction=direction, metric=metric, max_columns=max_columns, labels=labels
    )
    name_a, name_b = text(labels, "first"), text(labels, "second")
    hidden = text(labels, "hidden")
    dist_name = text(labels, f"distance_{metric}")
    compared = len(data.distance)
    if compared < max(first.num_steps, second.num_steps):  # the longer sentence's extra steps have no partner
        dist_name += text(labels, "compared_steps", steps=compared)
    fig = make_subplots(
        rows=4, cols=1, row_heights=list(ROW_HEIGHTS), vertical_spacing=VERTICAL_SPACING,
        subplot_titles=[
            f"{name_a}: {_title_text(first.tokens)}",
            f"{name_b}: {_title_text(second.tokens)}",
            dist_name,
            text(labels, "final_state"),
        ],
    )
    for row, heat, name in ((1, data.first, name_a), (2, data.second, name_b)):
        add_heatmap_row(fig, row, heat, name=f"{name}: {hidden}", labels=labels)

    pairs = step_axis(data.pair_tokens, np.arange(len(data.distance)), 1)
    fig.add_trace(go.Scatter(
        x=np.arange(len(data.distance)), y=data.distance, mode="lines+markers" if compared <= MARKERS_MAX else "lines",
        name=dist_name, showlegend=False,
        hovertemplate=f"{text(labels, 'token')} %{{x}}<br>{text(labels, 'step')} %{{x:d}}<br>%{{y:.4f}}<extra></extra>",
    ), row=3, col=1)
    fig.update_xaxes(axis_layout(pairs), row=3, col=1)  # no axis title: it would sit on the next row's title
    fig.update_yaxes(title=dict(text=text(labels, "value")), rangemode="tozero", row=3, col=1)

    units = np.arange(len(data.final_first))
    for name, final in ((name_a, data.final_first), (name_b, data.final_second)):
        fig.add_trace(go.Bar(
            x=units, y=final, name=name,
            hovertemplate=f"{name}<br>{text(labels, 'unit')} %{{x}}<br>{text(labels, 'value')} "
                          f"%{{y:.4f}}<extra></extra>",
        ), row=4, col=1)
    fig.update_xaxes(title=dict(text=text(labels, "unit")), row=4, col=1)
    bars = fig.layout.yaxis4.domain  # the legend names the bars: at their top right, not by a colour bar
    fig.update_layout(
        title=dict(text=wrap_title(title + title_notes(labels, width=max(data.first.axis.width,
                                                                            data.second.axis.width)))),
        height=HEIGHT, barmode="group", uirevision=UIREVISION,
        legend=dict(orientation="h", x=1.0, xanchor="right", y=bars[1], yanchor="bottom"),
    )
    return fig


def _title_text(tokens: tuple[str, ...]) -> str:
    """The sentence for a subplot title: cut to TITLE_CHARS first, then escaped, so no entity is split."""
    return html.escape(sentence(tokens)[:TITLE_CHARS], quote=False)
