"""The model comparison: one state of several models (RNN, LSTM, GRU) stacked on one token axis."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import plotly.graph_objects as go

from models.trace import DEFAULT_CONVENTION, Trace
from viz.heatmap import HeatmapData, heatmap_data
from viz.labels import position_note, state_label, text, title_notes
from viz.overview import STACKED_MAX_COLUMNS, stacked_heatmaps
from viz.plotly_helpers import empty_figure

UIREVISION = "model_comparison"


class ComparisonData(NamedTuple):
    """One row per model that has the state."""

    state: str
    names: tuple[str, ...]  # (M,) model names
    rows: tuple[HeatmapData, ...]  # (M,)


def comparison_data(
    traces: Mapping[str, Trace], *, state: str = "hidden", layer: int = 0, direction: int = 0,
    order: str = "stored", max_columns: int = STACKED_MAX_COLUMNS, convention: str = DEFAULT_CONVENTION,
    labels: Mapping[str, str] | None = None,
) -> ComparisonData:
    """``state`` of each trace that has it (a GRU has no ``cell``), in the mapping's order."""
    names, rows = [], []
    for name, trace in traces.items():
        if not trace.has_state(state) or trace.num_steps == 0:
            continue
        names.append(name)
        rows.append(heatmap_data(
            trace, state, layer=layer, direction=direction, order=order, max_columns=max_columns,
            convention=convention, labels=labels,
        ))
    return ComparisonData(state, tuple(names), tuple(rows))


def model_comparison(
    traces: Mapping[str, Trace], *, state: str = "hidden", layer: int = 0, direction: int = 0,
    order: str = "stored", max_columns: int = STACKED_MAX_COLUMNS, convention: str = DEFAULT_CONVENTION,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Stacked heatmaps of ``state``, one row per model, sharing the token axis."""
    shown = state_label(labels, state, convention=convention)
    data = comparison_data(
        traces, state=state, layer=layer, direction=direction, order=order, max_columns=max_columns,
        convention=convention, labels=labels,
    )
    if not data.rows:
        return empty_figure(text(labels, "no_state", state=shown), uirevision=UIREVISION)
    title = text(labels, "title_compare", state=shown) + title_notes(labels, width=max(r.axis.width for r in data.rows))
    return stacked_heatmaps(
        [(f"{name}: {shown}", row) for name, row in zip(data.names, data.rows)],
        title=title, labels=labels, uirevision=UIREVISION,
    )


def every_position(name: str, trace: Trace,
                   labels: Mapping[str, str] | None = None) -> list[tuple[str, Trace, int, int]]:
    """(row name, trace, layer, direction) of every layer and direction of one model, bottom layer first,
    forward before backward; the row name says the position when there is more than one."""
    return [(name + position_note(labels, trace, layer, direction), trace, layer, direction)
            for layer in range(trace.num_layers) for direction in range(trace.num_directions)]


def position_comparison(
    rows: Sequence[tuple[str, Trace, int, int]], *, state: str = "hidden", order: str = "stored",
    max_columns: int = STACKED_MAX_COLUMNS, convention: str = DEFAULT_CONVENTION,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Stacked heatmaps of ``state``, one row per (name, trace, layer, direction), sharing the token axis: models
    of different shapes (one layer, two layers, both ways) side by side, every direction in the text's order."""
    shown = state_label(labels, state, convention=convention)
    data = [(name, heatmap_data(trace, state, layer=layer, direction=direction, order=order,
                                max_columns=max_columns, convention=convention, labels=labels))
            for name, trace, layer, direction in rows if trace.has_state(state) and trace.num_steps > 0]
    if not data:
        return empty_figure(text(labels, "no_state", state=shown), uirevision=UIREVISION)
    title = text(labels, "title_compare", state=shown) + title_notes(labels, width=max(r.axis.width for _, r in data))
    return stacked_heatmaps([(f"{name}: {shown}", row) for name, row in data], title=title, labels=labels,
                            uirevision=UIREVISION)
