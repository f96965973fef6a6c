"""The per-step prediction curve: probability of one class (or of every class, for a model with more than
two) after each token, for several models."""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from models.trace import Trace
from viz.fit import wrap_title
from viz.labels import state_label, text
from viz.plotly_helpers import FLOAT, MARGIN, empty_figure
from viz.steps import axis_layout, step_axis

DECISION = 0.5  # the line a binary classifier crosses to change its answer
NOT_COMPUTED_SHADE = "rgba(128, 128, 128, 0.15)"  # steps whose answer was not computed (NaN), e.g. past a
# bidirectional model's prefix limit
ALONE_MARKER = 9  # px: a computed answer between NaNs (the whole text's, after the limit) is drawn as a dot
UIREVISION = "prediction_curve"
HEIGHT = 380
MARKERS_MAX = 200  # longer curves are drawn as plain lines
MODEL_DASHES = ("solid", "dash", "dot", "dashdot")  # every class of several models: one dash per model


class PredictionData(NamedTuple):
    """One probability curve per trace and class shown."""

    label: str  # the class shown; "" when every class is
    names: tuple[str, ...]  # (M,) the trace name of each curve
    curves: tuple[np.ndarray, ...]  # M arrays (T_m,) float32: P(class) after each token
    tokens: tuple[str, ...]  # tokens of the longest curve, for the tick labels
    classes: tuple[str, ...] = ()  # (M,) the class of each curve


def prediction_data(traces: Mapping[str, Trace], *, label: str | None = None) -> PredictionData:
    """P(label) after each token; ``label`` defaults to the last label of the first usable trace, or, when
    that trace has more than two classes, to every class of each trace.

    Traces without probabilities, or without that label, are left out.
    """
    usable = {n: t for n, t in traces.items() if t.probabilities is not None and t.labels}
    every = label is None and any(len(t.labels) > 2 for t in usable.values())
    if label is None and usable and not every:
        label = next(iter(usable.values())).labels[-1]
    names, classes, curves, tokens = [], [], [], ()
    for name, trace in usable.items():
        shown = trace.labels if every else tuple(c for c in trace.labels if c == label)
        for cls in shown:
            names.append(name)
            classes.append(cls)
            curves.append(np.asarray(trace.probabilities[:, trace.labels.index(cls)], dtype=FLOAT))
        if shown and trace.num_steps > len(tokens):
            tokens = trace.tokens
    return PredictionData("" if every else label or "", tuple(names), tuple(curves), tokens, tuple(classes))


def prediction_curve(
    traces: Mapping[str, Trace], *, label: str | None = None, labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Lines of P(label) over numeric steps with token tick labels, y in [0, 1], a 0.5 line.

    For models with more than two classes (and no ``label``): one line per class, a dash per model.
    """
    data = prediction_data(traces, label=label)
    if not data.curves or not data.tokens:
        return empty_figure(text(labels, "no_probabilities"), uirevision=UIREVISION)
    axis = step_axis(data.tokens, np.arange(len(data.tokens)), 1)
    shown = html.escape(state_label(labels, data.label), quote=False)
    models = list(dict.fromkeys(data.names))
    fig = go.Figure()
    for name, cls, curve in zip(data.names, data.classes, data.curves):
        cls_shown = html.escape(state_label(labels, cls), quote=False)
        if data.label:
            fig.add_trace(probability_line(curve, name, shown=cls_shown, labels=labels))
        else:  # every class of every model: one colour per curve, one dash per model
            legend = cls_shown if len(models) == 1 else f"{html.escape(name, quote=False)} · {cls_shown}"
            fig.add_trace(probability_line(curve, name, shown=cls_shown, labels=labels, legend=legend,
                                           dash=MODEL_DASHES[models.index(name) % len(MODEL_DASHES)]))
    _mark_not_computed(fig, data.curves, labels)
    if data.label:  # a binary answer changes where its class crosses one half
        fig.add_hline(y=DECISION, line=dict(dash="dash", color="gray", width=1))
    title = text(labels, "title_prediction", label=shown) if data.label else text(labels, "title_prediction_all")
    fig.update_layout(**probability_layout(title, shown if data.label else None, axis, labels),
                      margin=MARGIN, hovermode="closest", uirevision=UIREVISION)
    return fig


def not_computed_span(curves) -> tuple[int, int] | None:
    """(first, last) step of the longest run of NaN answers in any curve (a bidirectional model's steps past its
    prefix limit), or None when every answer was computed."""
    spans = []
    for curve in curves:
        missing = np.flatnonzero(np.isnan(curve))
        if missing.size:
            spans.append((int(missing[0]), int(missing[-1])))
    return max(spans, key=lambda s: s[1] - s[0]) if spans else None


def _mark_not_computed(fig: go.Figure, curves, labels: Mapping[str, str] | None) -> None:
    """Shade the steps whose answer was not computed, say so, and mark each curve's points standing alone."""
    span = not_computed_span(curves)
    if span is None:
        return
    fig.add_vrect(x0=span[0] - 0.5, x1=span[1] + 0.5, fillcolor=NOT_COMPUTED_SHADE, line_width=0, layer="below",
                  annotation_text=text(labels, "not_computed", count=span[0]), annotation_position="top left")
    for index, curve in enumerate(curves):
        alone = [t for t in range(len(curve)) if not np.isnan(curve[t])
                 and (t == 0 or np.isnan(curve[t - 1])) and (t == len(curve) - 1 or np.isnan(curve[t + 1]))]
        if alone:  # a line needs two points: the whole text's answer after the gap would not show
            sizes = np.zeros(len(curve), dtype=FLOAT)
            sizes[alone] = ALONE_MARKER
            fig.data[index].update(mode="lines+markers", marker=dict(size=sizes))


def probability_line(curve: np.ndarray, name: str, *, shown: str, labels: Mapping[str, str] | None,
                     dash: str = "solid", legend: str | None = None) -> go.Scatter:
    """One model's P(shown) after each token (T,), markers on short curves, token and step on hover.

    ``legend`` names the line in the legend instead of ``name`` (grouped by ``name``).
    """
    return go.Scatter(
        x=np.arange(len(curve)), y=curve, mode="lines+markers" if len(curve) <= MARKERS_MAX else "lines",
        name=legend or name, legendgroup=name if legend else None, line=dict(dash=dash),
        hovertemplate=(
            f"{text(labels, 'token')} %{{x}}<br>{text(labels, 'step')} %{{x:d}}<br>"
            f"P({shown}) %{{y:.3f}}<extra>{html.escape(name, quote=False)}</extra>"
        ),
    )


def probability_layout(title: str, shown: str | None, axis, labels: Mapping[str, str] | None) -> dict:
    """Layout of a probability-per-token figure: token ticks on x, P(shown) (or "probability") in [0, 1] on y."""
    return dict(
        title=dict(text=wrap_title(title)),
        xaxis=dict(title=dict(text=text(labels, "token")), **axis_layout(axis)),
        yaxis=dict(title=dict(text=f"P({shown})" if shown else text(labels, "probability")), range=[0, 1]),
        height=HEIGHT,
    )
