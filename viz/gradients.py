"""Gradient figures: token saliency, the distance curve ‖∂h_T/∂h_t‖ on a log scale, and retention vs gradient."""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from viz.colours import DIVERGING_COLOURS
from viz.fit import wrap_title
from viz.labels import state_label, text
from viz.plotly_helpers import FLOAT, empty_figure
from viz.steps import axis_layout, step_axis

SALIENCY_HEIGHT = 460
CURVE_HEIGHT = 420
SCATTER_HEIGHT = 420
MIN_SCALE = 1e-12  # bar colour range when every value is 0
# Ticks asked of the scatter's log axes. On y (240 px) plotly then labels 1, 2 and 5 of a decade or powers of ten,
# never every digit, whose labels overlapped on two decades; on x (320 px or more) every digit only below about
# 1.8 decades, where level digits still stand apart.
LOG_TICKS_X = 6
LOG_TICKS_Y = 3


class SaliencyData(NamedTuple):
    """Per-token saliency of one model."""

    cell_type: str
    label: str  # the class whose logit was differentiated
    tokens: tuple[str, ...]  # (T,)
    norm: np.ndarray  # (T,) float32 ‖∂ logit / ∂ e_t‖
    grad_times_input: np.ndarray  # (T,) float32, signed


def saliency_data(paths, *, class_labels: tuple[str, ...] = ()) -> SaliencyData:
    """From ``models.asking.gradients.GradientPaths`` (or anything with its fields)."""
    target = paths.saliency.target
    label = class_labels[target] if target < len(class_labels) else str(target)
    return SaliencyData(
        cell_type=paths.cell_type,
        label=label,
        tokens=tuple(paths.tokens),
        norm=np.asarray(paths.saliency.norm, dtype=FLOAT),
        grad_times_input=np.asarray(paths.saliency.grad_times_input, dtype=FLOAT),
    )


def saliency_bars(data: SaliencyData, *, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Two rows over the tokens: the gradient norm (bars), and gradient × input (signed, diverging)."""
    if not data.tokens:
        return empty_figure(text(labels, "no_tokens"), uirevision="saliency")
    steps = np.arange(len(data.tokens))
    axis = step_axis(data.tokens, steps, 1)
    limit = float(max(MIN_SCALE, np.abs(data.grad_times_input).max()))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    hover = (f"{text(labels, 'token')} %{{x}}<br>{text(labels, 'step')} %{{x:d}}<br>%{{y:.4g}}"
             "<extra>%{fullData.name}</extra>")
    fig.add_trace(go.Bar(x=steps, y=data.norm, name=text(labels, "saliency_norm"), marker_color="#636efa",
                         hovertemplate=hover), row=1, col=1)
    fig.add_trace(go.Bar(
        x=steps, y=data.grad_times_input, name=text(labels, "grad_times_input"), hovertemplate=hover,
        marker=dict(color=data.grad_times_input, colorscale=DIVERGING_COLOURS, cmin=-limit, cmax=limit, cmid=0.0),
    ), row=2, col=1)
    fig.update_yaxes(title_text=text(labels, "saliency_norm"), row=1, col=1)
    fig.update_yaxes(title_text=text(labels, "grad_times_input"), row=2, col=1)
    fig.update_xaxes(**axis_layout(axis), row=2, col=1)
    fig.update_xaxes(**axis_layout(axis), showticklabels=False, row=1, col=1)
    model = state_label(labels, data.cell_type)
    title = text(labels, "title_saliency", model=model, label=html.escape(state_label(labels, data.label), quote=False))
    fig.update_layout(title=dict(text=wrap_title(title)),
                      height=SALIENCY_HEIGHT, showlegend=False, uirevision="saliency")
    return fig


class DistanceData(NamedTuple):
    """One distance curve per model, on a shared axis of distance."""

    names: tuple[str, ...]  # (M,)
    distance: tuple[np.ndarray, ...]  # M arrays (T_m,) int: 0, 1, ...
    norm: tuple[np.ndarray, ...]  # M arrays (T_m,) float64; NaN where the norm fell below float64's range
    tokens: tuple[tuple[str, ...], ...]  # M token tuples, by distance (the token at T - d)


def distance_data(paths: Mapping[str, object]) -> DistanceData:
    """From name -> ``GradientPaths``: the curve of each, by distance, with the token at each point."""
    names, distance, norm, tokens = [], [], [], []
    for name, p in paths.items():
        curve = p.curve
        values = np.power(10.0, np.asarray(curve.log10_norm, dtype=np.float64))
        values[~(values > 0)] = np.nan  # a log axis cannot draw 0; a gap says "below range"
        names.append(name)
        distance.append(np.asarray(curve.distance))
        norm.append(values)
        tokens.append(tuple(p.tokens[int(s)] for s in curve.steps))
    return DistanceData(tuple(names), tuple(distance), tuple(norm), tuple(tokens))


def distance_curves(data: DistanceData, *, labels: Mapping[str, str] | None = None) -> go.Figure:
    """‖∂h_T/∂h_t‖ against distance, one line per model, log y: a vanishing gradient is a falling line."""
    if not data.names:
        return empty_figure(text(labels, "no_curves"), uirevision="distance_curve")
    fig = go.Figure()
    for name, d, y, toks in zip(data.names, data.distance, data.norm, data.tokens):
        fig.add_trace(go.Scatter(
            x=d, y=y, mode="lines", name=state_label(labels, name),
            customdata=np.array([html.escape(t, quote=False) for t in toks], dtype=object),
            hovertemplate=f"{text(labels, 'distance')} %{{x}}<br>{text(labels, 'token')} %{{customdata}}"
                          f"<br>{text(labels, 'norm')} %{{y:.3e}}<extra>%{{fullData.name}}</extra>",
        ))
    fig.update_layout(
        title=dict(text=wrap_title(text(labels, "title_curve"))),
        xaxis=dict(title=dict(text=text(labels, "distance"))),
        yaxis=dict(title=dict(text=text(labels, "norm")), type="log", exponentformat="power"),
        height=CURVE_HEIGHT,
        uirevision="distance_curve",
    )
    return fig


class RetentionGradientData(NamedTuple):
    """Per token (the last left out): retention to the end and the gradient norm, and their Spearman ρ."""

    cell_type: str
    tokens: tuple[str, ...]  # (T-1,)
    steps: np.ndarray  # (T-1,) int
    retention: np.ndarray  # (T-1,) float64, NaN below float64's range
    gradient: np.ndarray  # (T-1,) float64, NaN below float64's range
    rho: float


def retention_gradient_data(paths, log10_retention: np.ndarray, *, rho: float) -> RetentionGradientData:
    """From ``GradientPaths``, ``models.asking.gradients.log10_retention(trace)`` (T,) and the correlation.

    Every token but the one read last (the curve's distance 0: the last token forward, the first backward),
    in text order.
    """
    log10_retention = np.asarray(log10_retention, dtype=np.float64)
    steps = len(paths.tokens)
    if log10_retention.shape != (steps,):
        raise ValueError(f"retention has shape {log10_retention.shape} for {steps} tokens")
    order = np.asarray(paths.curve.steps, dtype=int)  # the token at each distance
    by_step = np.empty(steps, dtype=np.float64)
    by_step[order] = np.asarray(paths.curve.log10_norm, dtype=np.float64)
    kept = np.flatnonzero(np.arange(steps) != (order[0] if steps else -1))

    def positive(log10: np.ndarray) -> np.ndarray:
        out = np.power(10.0, log10[kept])
        out[~(out > 0)] = np.nan
        return out

    return RetentionGradientData(
        cell_type=paths.cell_type,
        tokens=tuple(paths.tokens[i] for i in kept),
        steps=kept,
        retention=positive(log10_retention),
        gradient=positive(by_step),
        rho=float(rho),
    )


def retention_gradient_scatter(data: RetentionGradientData, *, labels: Mapping[str, str] | None = None) -> go.Figure:
    """One point per token: retention (x, log) against ‖∂h_T/∂h_t‖ (y, log), ρ in the title."""
    if not data.tokens:
        return empty_figure(text(labels, "no_tokens"), uirevision="retention_gradient")
    rho = "–" if np.isnan(data.rho) else f"{data.rho:.2f}"
    model = state_label(labels, data.cell_type)
    fig = go.Figure(go.Scatter(
        x=data.retention, y=data.gradient, mode="markers", marker=dict(color=data.steps, colorscale="Viridis",
                                                                        colorbar=dict(title=text(labels, "step"))),
        customdata=np.stack([data.steps, np.array([html.escape(t, quote=False) for t in data.tokens], dtype=object)],
                            axis=1),
        hovertemplate=f"{text(labels, 'token')} %{{customdata[1]}} ({text(labels, 'step')} %{{customdata[0]}})"
                      f"<br>{text(labels, 'retention')} %{{x:.3e}}<br>{text(labels, 'norm')} %{{y:.3e}}<extra></extra>",
    ))
    fig.update_layout(
        title=dict(text=wrap_title(text(labels, "title_scatter", model=model, rho=rho))),
        xaxis=dict(title=dict(text=text(labels, "retention_to_end")), type="log", exponentformat="power",
                   nticks=LOG_TICKS_X),
        yaxis=dict(title=dict(text=text(labels, "norm")), type="log", exponentformat="power", nticks=LOG_TICKS_Y),
        height=SCATTER_HEIGHT,
        uirevision="retention_gradient",
    )
    return fig
