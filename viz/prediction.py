"""The per-step prediction curve: probability of one class after each token, for several models."""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from models.trace import Trace
from viz.labels import state_label, text
from viz.plotly_helpers import FLOAT, MARGIN, empty_figure
from viz.steps import axis_layout, step_axis

DECISION = 0.5  # the line a binary classifier crosses to change its answer
UIREVISION = "prediction_curve"
HEIGHT = 380
MARKERS_MAX = 200  # longer curves are drawn as plain lines


class PredictionData(NamedTuple):
    """One probability curve per trace that has probabilities and the class."""

    label: str  # the class shown
    names: tuple[str, ...]  # (M,) curve names
    curves: tuple[np.ndarray, ...]  # M arrays (T_m,) float32: P(label) after each token
    tokens: tuple[str, ...]  # tokens of the longest curve, for the tick labels


def prediction_data(traces: Mapping[str, Trace], *, label: str | None = None) -> PredictionData:
    """P(label) after each token; ``label`` defaults to the last label of the first usable trace.

    Traces without probabilities, or without that label, are left out.
    """
    usable = {n: t for n, t in traces.items() if t.probabilities is not None and t.labels}
    if label is None and usable:
        label = next(iter(usable.values())).labels[-1]
    names, curves, tokens = [], [], ()
    for name, trace in usable.items():
        if label not in trace.labels:
            continue
        names.append(name)
        curves.append(np.asarray(trace.probabilities[:, trace.labels.index(label)], dtype=FLOAT))
        if trace.num_steps > len(tokens):
            tokens = trace.tokens
    return PredictionData(label or "", tuple(names), tuple(curves), tokens)


def prediction_curve(
    traces: Mapping[str, Trace], *, label: str | None = None, labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Lines of P(label) over numeric steps with token tick labels, y in [0, 1], a 0.5 line."""
    data = prediction_data(traces, label=label)
    if not data.curves or not data.tokens:
        return empty_figure(text(labels, "no_probabilities"), uirevision=UIREVISION)
    axis = step_axis(data.tokens, np.arange(len(data.tokens)), 1)
    shown = html.escape(state_label(labels, data.label), quote=False)
    fig = go.Figure()
    for name, curve in zip(data.names, data.curves):
        fig.add_trace(go.Scatter(
            x=np.arange(len(curve)), y=curve, mode="lines+markers" if len(curve) <= MARKERS_MAX else "lines", name=name,
            hovertemplate=(
                f"{text(labels, 'token')} %{{x}}<br>{text(labels, 'step')} %{{x:d}}<br>"
                f"P({shown}) %{{y:.3f}}<extra>{html.escape(name, quote=False)}</extra>"
            ),
        ))
    fig.add_hline(y=DECISION, line=dict(dash="dash", color="gray", width=1))
    fig.update_layout(
        title=dict(text=text(labels, "title_prediction", label=shown)),
        xaxis=dict(title=dict(text=text(labels, "token")), **axis_layout(axis)),
        yaxis=dict(title=dict(text=f"P({shown})"), range=[0, 1]),
        height=HEIGHT,
        margin=MARGIN,
        hovermode="closest",
        uirevision=UIREVISION,
    )
    return fig
