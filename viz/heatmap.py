"""The gate heatmap: one gate or state of one layer and direction, units by steps."""
from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from models.trace import DEFAULT_CONVENTION, Trace
from viz.colours import ColourScale, colour_scale, unbounded_limit
from viz.fit import wrap_title
from viz.labels import position_note, state_label, text, title_notes
from viz.plotly_helpers import MARGIN, empty_figure, heatmap_trace
from viz.steps import MAX_COLUMNS, StepAxis, axis_layout, pool_steps, step_axis

ORDERS = ("stored", "variance", "peak")
NORMALIZATIONS = ("fixed", "unit")
UIREVISION = "gate_heatmap"
PX_PER_UNIT = 4  # figure height per unit row
MIN_HEIGHT, MAX_HEIGHT = 320, 900


def unit_order(values: np.ndarray, order: str, kind: str) -> np.ndarray:
    """Unit indices in display order, top row first. values (T, H) -> (H,).

    'stored': as recorded. 'variance': most variable over steps first. 'peak': by the step at
    which each unit is most active (argmax of the value for gates, of |value| otherwise), so
    units that fire early come first and the heatmap reads as a diagonal.
    """
    units = values.shape[1]
    if order == "stored" or values.shape[0] == 0:
        return np.arange(units)
    if order == "variance":
        return np.argsort(-values.astype(np.float64).var(axis=0), kind="stable")
    if order == "peak":
        activity = values if kind == "gate" else np.abs(values)
        return np.argsort(np.argmax(activity, axis=0), kind="stable")
    raise ValueError(f"order must be one of {ORDERS}, got {order!r}")


def normalized(values: np.ndarray, kind: str) -> tuple[np.ndarray, str]:
    """Per-unit scaling, values (T, H) -> same shape and the colour kind it now has.

    Gates go through per-unit min-max onto [0, 1]; everything else is divided by its
    per-unit max |value| onto [-1, 1], keeping the sign. Constant units map to 0.
    """
    v = values.astype(np.float64)
    if kind == "gate":
        low, high = v.min(axis=0, initial=np.inf), v.max(axis=0, initial=-np.inf)
        span = high - low
        out = np.divide(v - low, span, out=np.zeros_like(v), where=span > 0)
        return out, "unit_minmax"
    peak = np.abs(v).max(axis=0, initial=0.0)
    return np.divide(v, peak, out=np.zeros_like(v), where=peak > 0), "unit_maxabs"


class HeatmapData(NamedTuple):
    """One gate or state of one layer and direction, ready to draw."""

    name: str  # gate or state name
    values: np.ndarray  # (H, C) float32: rows in display order, steps pooled to C columns
    units: np.ndarray  # (H,) unit index of each row
    axis: StepAxis  # columns and their token labels
    scale: ColourScale
    total_steps: int


def heatmap_data(
    trace: Trace, name: str, *, layer: int = 0, direction: int = 0, order: str = "stored",
    normalize: str = "fixed", units: np.ndarray | None = None, max_columns: int = MAX_COLUMNS,
    convention: str = DEFAULT_CONVENTION, labels: Mapping[str, str] | None = None,
) -> HeatmapData:
    """Rows (units) and columns (pooled steps) of ``name``; ``units`` (H,) overrides ``order``.

    ``convention`` ("textbook" or "torch") sets which GRU update gate z is shown: see ``Trace.state``.
    """
    trace.check_position(layer, direction)
    if normalize not in NORMALIZATIONS:
        raise ValueError(f"normalize must be one of {NORMALIZATIONS}, got {normalize!r}")
    values = trace.state(name, convention=convention)[layer, direction]  # (T, H)
    kind = trace.state_kind(name)
    rows = np.asarray(units) if units is not None else unit_order(values, order, kind)
    if normalize == "unit":
        values, kind = normalized(values, kind)
    limit = unbounded_limit(values) if kind == "unbounded" else 1.0
    pooled = pool_steps(values[:, rows].T, max_columns=max_columns)  # (H, C)
    return HeatmapData(
        name=name,
        values=pooled.values,
        units=rows,
        axis=step_axis(trace.tokens, pooled.starts, pooled.width),
        scale=colour_scale(kind, limit=limit, labels=labels),
        total_steps=trace.num_steps,
    )


def unit_labels(units: np.ndarray) -> list[str]:
    """Category labels of heatmap rows, unique by construction."""
    return [str(int(u)) for u in units]


def gate_heatmap(
    trace: Trace, name: str, *, layer: int = 0, direction: int = 0, order: str = "stored",
    normalize: str = "fixed", max_columns: int = MAX_COLUMNS, convention: str = DEFAULT_CONVENTION,
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Heatmap of one gate or state: units on y, steps on x with token tick labels."""
    state = state_label(labels, name, convention=convention)
    title = text(labels, "title_heatmap", state=state, position=position_note(labels, trace, layer, direction))
    if trace.num_steps == 0:
        return empty_figure(f"{title} — {text(labels, 'no_steps')}", uirevision=UIREVISION)
    data = heatmap_data(
        trace, name, layer=layer, direction=direction, order=order, normalize=normalize,
        max_columns=max_columns, convention=convention, labels=labels,
    )
    fig = go.Figure(
        heatmap_trace(data.values, data.axis, unit_labels(data.units), data.scale, labels=labels, name=state)
    )
    height = int(np.clip(PX_PER_UNIT * len(data.units) + 160, MIN_HEIGHT, MAX_HEIGHT))
    fig.update_layout(
        title=dict(text=wrap_title(title + title_notes(labels, width=data.axis.width))),
        xaxis=dict(title=dict(text=text(labels, "token")), **axis_layout(data.axis)),
        yaxis=dict(title=dict(text=text(labels, "unit")), type="category", autorange="reversed"),
        height=height,
        margin=MARGIN,
        uirevision=UIREVISION,
    )
    return fig

