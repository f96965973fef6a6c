"""The gate saturation scatter (Karpathy et al. 2015): how often each unit's gate is near 0 or near 1."""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from models.saturation import HIGH, LOW, SaturationCounts
from models.trace import CONVENTION_GATE, DEFAULT_CONVENTION, GRU_CONVENTIONS, SIGMOID_GATES, Trace
from viz.fit import wrap_title
from viz.labels import position_note, state_label, text
from viz.plotly_helpers import FLOAT, empty_figure

UIREVISION = "gate_saturation"
HEIGHT = 520
MARKER_SIZE = 7


class SaturationData(NamedTuple):
    """Per gate, per unit: the fraction of steps below ``low`` and above ``high``."""

    gates: tuple[str, ...]  # sigmoid gates of the cell type
    left: Mapping[str, np.ndarray]  # gate -> (H,) float32 fraction of steps with value < low
    right: Mapping[str, np.ndarray]  # gate -> (H,) float32 fraction of steps with value > high
    steps: int  # steps pooled over all traces
    low: float
    high: float


def saturation_data(
    traces: Trace | Iterable[Trace], *, low: float = LOW, high: float = HIGH, layer: int = 0, direction: int = 0,
    convention: str = DEFAULT_CONVENTION,
) -> SaturationData:
    """Fractions over the steps of one trace or of many, pooled as if concatenated along steps.

    Counts are summed trace by trace, so a corpus of thousands of traces needs no copy. The GRU's
    update gate is counted as ``convention`` shows it (``Trace.state``).
    """
    counts = SaturationCounts(low, high)
    traces = _as_list(traces)
    cell_types = {t.cell_type for t in traces}
    if len(cell_types) > 1:
        raise ValueError(f"traces mix cell types {sorted(cell_types)}")
    for trace in traces:
        counts.add(trace, layer=layer, direction=direction, convention=convention)
    fractions = counts.fractions()
    return SaturationData(
        gates=tuple(fractions),
        left={g: left.astype(FLOAT) for g, (left, _) in fractions.items()},
        right={g: right.astype(FLOAT) for g, (_, right) in fractions.items()},
        steps=counts.steps,
        low=low,
        high=high,
    )


def gate_saturation(
    traces: Trace | Iterable[Trace], *, low: float = LOW, high: float = HIGH, layer: int = 0, direction: int = 0,
    convention: str = DEFAULT_CONVENTION, labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """One point per unit and gate: x = fraction of steps < low, y = fraction > high."""
    traces = _as_list(traces)
    if not traces:
        return empty_figure(text(labels, "no_steps"), uirevision=UIREVISION)
    data = saturation_data(traces, low=low, high=high, layer=layer, direction=direction, convention=convention)
    title = text(labels, "title_saturation", steps=data.steps) + position_note(labels, traces[0], layer, direction)
    return saturation_figure(data, title=title, convention=convention, labels=labels)


def saturation_from_fractions(rows: Mapping[str, Mapping[str, list[float]]], *, steps: int, low: float,
                              high: float, convention: str = DEFAULT_CONVENTION) -> SaturationData:
    """SaturationData from precomputed fractions, e.g. a corpus run of ``models.files.batch``.

    rows: gate -> {"left": (H,) fractions below ``low``, "right": (H,) fractions above ``high``}, counted
    on PyTorch's gates. In the textbook form the GRU's z is 1 - z, so its two sides swap: z < low
    exactly where PyTorch's z > 1 - low. That needs thresholds symmetric about 1/2.
    """
    if convention not in GRU_CONVENTIONS:
        raise ValueError(f"convention must be one of {GRU_CONVENTIONS}, got {convention!r}")
    gates = tuple(g for g in rows if g in SIGMOID_GATES)
    flip = convention == "textbook" and CONVENTION_GATE in gates
    if flip and not math.isclose(low + high, 1.0):
        raise ValueError(f"the textbook z needs thresholds with low + high = 1, got low={low}, high={high}")
    sides = {g: ("right", "left") if flip and g == CONVENTION_GATE else ("left", "right") for g in gates}
    return SaturationData(
        gates=gates,
        left={g: np.asarray(rows[g][sides[g][0]], dtype=FLOAT) for g in gates},
        right={g: np.asarray(rows[g][sides[g][1]], dtype=FLOAT) for g in gates},
        steps=int(steps), low=float(low), high=float(high),
    )


def saturation_figure(data: SaturationData, *, title: str | None = None, convention: str = DEFAULT_CONVENTION,
                      labels: Mapping[str, str] | None = None) -> go.Figure:
    """The scatter for already counted fractions (one trace, many, or a precomputed corpus)."""
    low, high = data.low, data.high
    if not data.gates:
        return empty_figure(text(labels, "no_sigmoid_gates"), uirevision=UIREVISION)
    title = title or text(labels, "title_saturation", steps=data.steps)
    if data.steps == 0:
        return empty_figure(f"{title} — {text(labels, 'no_steps')}", uirevision=UIREVISION)
    x_title = text(labels, "left_saturated", low=low)
    y_title = text(labels, "right_saturated", high=high)
    fig = go.Figure()
    for gate in data.gates:
        name = state_label(labels, gate, convention=convention)
        units = np.arange(len(data.left[gate]))
        fig.add_trace(go.Scatter(
            x=data.left[gate], y=data.right[gate], customdata=units, mode="markers", name=name,
            marker=dict(size=MARKER_SIZE, opacity=0.7),
            hovertemplate=(
                f"{text(labels, 'unit')} %{{customdata}}<br>&lt; {low:g}: %{{x:.3f}}<br>"
                f"&gt; {high:g}: %{{y:.3f}}<extra>{name}</extra>"
            ),
        ))
    fig.add_trace(go.Scatter(  # x + y <= 1: no point can lie beyond this line
        x=[0, 1], y=[1, 0], mode="lines", line=dict(color="lightgray", dash="dot"), hoverinfo="skip", showlegend=False,
    ))
    fig.update_layout(
        title=dict(text=wrap_title(title)),
        xaxis=dict(title=dict(text=x_title), range=[0, 1], constrain="domain"),
        yaxis=dict(title=dict(text=y_title), range=[0, 1], scaleanchor="x", scaleratio=1),
        height=HEIGHT,
        uirevision=UIREVISION,
    )
    return fig


def _as_list(traces: Trace | Iterable[Trace]) -> list[Trace]:
    """One trace or an iterable of traces, as a list."""
    return [traces] if isinstance(traces, Trace) else list(traces)
