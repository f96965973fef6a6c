"""The overview: every gate and state of one model as aligned rows sharing one token axis."""
from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.trace import DEFAULT_CONVENTION, DISPLAY_ORDER, Trace
from viz.fit import wrap_title
from viz.heatmap import HeatmapData, heatmap_data, unit_labels, unit_order
from viz.labels import position_note, state_label, text, title_notes
from viz.plotly_helpers import empty_figure, heatmap_trace, row_colorbar
from viz.steps import axis_layout

UIREVISION = "gate_overview"
STACKED_MAX_COLUMNS = 500  # several rows share the payload, so each row gets half the columns of one heatmap
ROW_PX = 170  # height of one row
EXTRA_PX = 140  # title and axis
ROW_GAP_PX = 36  # between rows: room for the next row's title above its heatmap


class OverviewData(NamedTuple):
    """One HeatmapData per row, all with the same unit order and columns."""

    cell_type: str
    rows: tuple[HeatmapData, ...]


def overview_data(
    trace: Trace, *, layer: int = 0, direction: int = 0, order: str = "stored", normalize: str = "fixed",
    max_columns: int = STACKED_MAX_COLUMNS, convention: str = DEFAULT_CONVENTION,
    labels: Mapping[str, str] | None = None,
) -> OverviewData:
    """Rows of ``DISPLAY_ORDER[cell_type]``; the unit order is taken from the hidden state."""
    trace.check_position(layer, direction)
    units = unit_order(trace.hidden[layer, direction], order, "tanh")
    rows = tuple(
        heatmap_data(
            trace, name, layer=layer, direction=direction, normalize=normalize, units=units,
            max_columns=max_columns, convention=convention, labels=labels,
        )
        for name in DISPLAY_ORDER[trace.cell_type]
    )
    return OverviewData(trace.cell_type, rows)


def gate_overview(
    trace: Trace, *, layer: int = 0, direction: int = 0, order: str = "stored", normalize: str = "fixed",
    max_columns: int = STACKED_MAX_COLUMNS, convention: str = DEFAULT_CONVENTION,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """All gates and states of one model, one heatmap row each with its own colour bar."""
    title = text(labels, "title_overview", model=state_label(labels, trace.cell_type),
                 position=position_note(labels, trace, layer, direction))
    if trace.num_steps == 0:
        return empty_figure(f"{title} — {text(labels, 'no_steps')}", uirevision=UIREVISION)
    data = overview_data(
        trace, layer=layer, direction=direction, order=order, normalize=normalize,
        max_columns=max_columns, convention=convention, labels=labels,
    )
    return stacked_heatmaps(
        [(state_label(labels, row.name, convention=convention), row) for row in data.rows],
        title=title + title_notes(labels, width=data.rows[0].axis.width),
        labels=labels,
        uirevision=UIREVISION,
    )


def stacked_heatmaps(
    rows: list[tuple[str, HeatmapData]], *, title: str, labels: Mapping[str, str] | None, uirevision: str,
    shared_x: bool = True,
) -> go.Figure:
    """Heatmap rows (name, data) stacked top to bottom, each with a colour bar beside it."""
    height = ROW_PX * len(rows) + EXTRA_PX
    fig = make_subplots(
        rows=len(rows), cols=1, shared_xaxes=shared_x, vertical_spacing=ROW_GAP_PX / height,
        subplot_titles=[name for name, _ in rows],
    )
    for i, (name, row) in enumerate(rows, start=1):
        add_heatmap_row(fig, i, row, name=name, labels=labels)
    fig.update_xaxes(title=dict(text=text(labels, "token")), row=len(rows), col=1)
    fig.update_layout(
        title=dict(text=wrap_title(title)),
        height=height,
        uirevision=uirevision,
    )
    return fig


def add_heatmap_row(fig: go.Figure, row: int, data: HeatmapData, *, name: str,
                    labels: Mapping[str, str] | None) -> None:
    """Draw ``data`` in subplot ``row`` (1-based) of a one-column figure, its colour bar beside that row."""
    fig.add_trace(
        heatmap_trace(data.values, data.axis, unit_labels(data.units), data.scale, labels=labels, name=name,
                      colorbar=row_colorbar(fig, row)),
        row=row, col=1,
    )
    fig.update_xaxes(axis_layout(data.axis), row=row, col=1)
    fig.update_yaxes(type="category", autorange="reversed", title=dict(text=text(labels, "unit")), row=row, col=1)
