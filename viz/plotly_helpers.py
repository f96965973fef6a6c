"""Plotly building blocks every figure shares: the payload dtype, a steps-by-units heatmap and its hover,
a colour bar beside one subplot row, and an empty figure."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from viz.colours import ColourScale
from viz.fit import wrap_title
from viz.labels import text
from viz.payload import FLOAT
from viz.steps import StepAxis

__all__ = ["FLOAT", "MARGIN", "axis_name", "empty_figure", "heatmap_trace", "hover_template", "row_colorbar"]

# Room around the plot area (px) for the title, the tick labels and axis titles, and a colour bar or legend
# on the right. Given up front, plotly's automargin finds nothing to push and draws a chart once, not
# twice; it still grows a margin for an unusually long label. Charts sharing it line up their step axes.
MARGIN = {"l": 85, "r": 130, "t": 100, "b": 95}


def hover_template(labels: Mapping[str, str] | None, width: int, *, unit_on: str = "y", extra: str = "") -> str:
    """Hover for a step x unit heatmap: token, step, unit and value, no per-cell text."""
    step = f"{text(labels, 'step')} %{{x:d}}" + (f" (+{width - 1}, {text(labels, 'mean')})" if width > 1 else "")
    return (
        f"{text(labels, 'token')} %{{x}}<br>{step}<br>{text(labels, 'unit')} %{{{unit_on}}}"
        f"<br>{text(labels, 'value')} %{{z:.4f}}<extra>{extra}</extra>"
    )


def heatmap_trace(
    values: np.ndarray, axis: StepAxis, rows: Sequence[str], scale: ColourScale, *,
    labels: Mapping[str, str] | None = None, name: str = "", colorbar: dict | None = None,
) -> go.Heatmap:
    """A steps-on-x heatmap: values (R, C) float32, one row per unit (categorical y)."""
    return go.Heatmap(
        z=np.asarray(values, dtype=FLOAT),
        x=axis.x,
        y=list(rows),
        colorscale=scale.colorscale,
        zmin=scale.zmin,
        zmax=scale.zmax,
        zmid=scale.zmid,
        colorbar=dict(title=dict(text=scale.title, side="right"), **(colorbar or {})),
        hovertemplate=hover_template(labels, axis.width, extra=name),
        hoverongaps=False,
        name=name,
    )


def empty_figure(title: str, *, uirevision: str = "empty") -> go.Figure:
    """A figure with a title and nothing to draw."""
    fig = go.Figure()
    fig.update_layout(
        title=dict(text=wrap_title(title)),
        uirevision=uirevision,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
    )
    return fig


def axis_name(axis: str, row: int) -> str:
    """Plotly's layout key of a subplot row's axis: 'yaxis' for row 1, 'yaxis3' for row 3."""
    return axis if row == 1 else f"{axis}{row}"


def row_colorbar(fig: go.Figure, row: int) -> dict:
    """Colour bar settings that put a bar beside subplot ``row`` (1-based), as tall as the row."""
    low, high = fig.layout[axis_name("yaxis", row)].domain
    return dict(y=(low + high) / 2, len=high - low)
