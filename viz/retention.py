"""The retention map: how much of what was written at token s survives at a later step t.

The numbers are ``models.retention.retention_matrix`` (numpy only); the gate is ``models.trace.RETAIN_GATE``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from models.retention import retention_matrix
from models.trace import DEFAULT_CONVENTION, GRU_CONVENTIONS, RETAIN_GATE, Trace
from viz.colours import GATE_COLOURS
from viz.fit import wrap_title
from viz.labels import DEFAULT_LABELS, position_note, state_label, text, title_notes
from viz.plotly_helpers import FLOAT, empty_figure
from viz.steps import axis_layout, step_axis

MAX_RETENTION_STEPS = 300  # the map is W x W cells; longer texts are shown as a window
UIREVISION = "retention_map"
HEIGHT = 620
Y_AXIS_PX = HEIGHT - 260  # plot-area height left by the title, the upright token labels below and the axis title


class RetentionData(NamedTuple):
    """Retention of each written token at each later step, inside one window of steps."""

    gate: str  # 'forget' (LSTM) or 'update' (GRU, PyTorch's z whatever convention is shown)
    matrix: np.ndarray  # (W, W) float32 [t, s]; NaN where t comes before s in reading order
    steps: np.ndarray  # (W,) step of each row and column
    tokens: tuple[str, ...]  # (W,) token of each step
    units: tuple[int, ...] | None  # averaged units, None for all
    total_steps: int


def retention_data(
    trace: Trace, *, layer: int = 0, direction: int = 0, units: Sequence[int] | None = None, start: int = 0,
    max_steps: int = MAX_RETENTION_STEPS,
) -> RetentionData | None:
    """The retention map of steps ``start .. start + max_steps - 1``; None for a vanilla RNN."""
    if trace.cell_type not in RETAIN_GATE:
        return None
    trace.check_position(layer, direction)
    gate = RETAIN_GATE[trace.cell_type]
    first = int(np.clip(start, 0, max(trace.num_steps - 1, 0)))
    stop = min(trace.num_steps, first + max_steps)
    values = trace.gates[gate][layer, direction, first:stop]  # (W, H)
    if units is not None:
        values = values[:, list(units)]
    return RetentionData(
        gate=gate,
        matrix=retention_matrix(values, reverse=direction == 1).astype(FLOAT),
        steps=np.arange(first, stop),
        tokens=trace.tokens[first:stop],
        units=None if units is None else tuple(int(u) for u in units),
        total_steps=trace.num_steps,
    )


def retention_map(
    trace: Trace, *, layer: int = 0, direction: int = 0, units: Sequence[int] | None = None, start: int = 0,
    max_steps: int = MAX_RETENTION_STEPS, convention: str = DEFAULT_CONVENTION, labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Heatmap of retention: token written (s) on x, later step (t) on y, on [0, 1].

    The numbers never depend on ``convention``: the GRU keeps PyTorch's z of its old state, which the
    textbook writes 1 - z. Only the title's name for that gate follows the convention.
    """
    if convention not in GRU_CONVENTIONS:
        raise ValueError(f"convention must be one of {GRU_CONVENTIONS}, got {convention!r}")
    if trace.cell_type not in RETAIN_GATE:
        return empty_figure(text(labels, "no_gate_rnn"), uirevision=UIREVISION)
    title = text(labels, "title_retention", gate=_kept_label(labels, RETAIN_GATE[trace.cell_type], convention))
    title += position_note(labels, trace, layer, direction)
    if trace.num_steps == 0:
        return empty_figure(f"{title} — {text(labels, 'no_steps')}", uirevision=UIREVISION)
    data = retention_data(trace, layer=layer, direction=direction, units=units, start=start, max_steps=max_steps)
    if data.units is not None:
        title += f" — {text(labels, 'title_retention_units', units=', '.join(map(str, data.units)))}"
    title += title_notes(labels, window=(int(data.steps[0]), int(data.steps[-1]) + 1, data.total_steps))
    # label lookup needs the whole token list indexed by step
    tokens = ("",) * int(data.steps[0]) + data.tokens
    axis = step_axis(tokens, data.steps, 1)
    rows = step_axis(tokens, data.steps, 1, axis_px=Y_AXIS_PX, along="y")  # level labels, one line each
    written, read = text(labels, "written_at"), text(labels, "read_at")
    fig = go.Figure(go.Heatmap(
        z=data.matrix, x=data.steps, y=data.steps,
        colorscale=GATE_COLOURS, zmin=0.0, zmax=1.0,
        colorbar=dict(title=dict(text=text(labels, "colorbar_retention"), side="right")),
        hovertemplate=(
            f"{written}: %{{x}} ({text(labels, 'step')} %{{x:d}})<br>"
            f"{read}: %{{y}} ({text(labels, 'step')} %{{y:d}})<br>"
            f"{text(labels, 'retention')} %{{z:.4f}}<extra></extra>"
        ),
        hoverongaps=False,
    ))
    fig.update_layout(
        title=dict(text=wrap_title(title)),
        xaxis=dict(title=dict(text=written), **axis_layout(axis)),
        yaxis=dict(title=dict(text=read), autorange="reversed", **axis_layout(rows)),
        height=HEIGHT,
        uirevision=UIREVISION,
    )
    return fig


def _kept_label(labels: Mapping[str, str] | None, gate: str, convention: str) -> str:
    """The name of the gate that keeps the old state: 'forget gate f', or for the GRU 'update gate z (PyTorch:
    share kept)' or, in the textbook form, '1 − z (textbook z: share of new)'."""
    key = f"kept_{gate}_{convention}"
    return text(labels, key) if key in DEFAULT_LABELS else state_label(labels, gate, convention=convention)
