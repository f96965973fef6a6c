"""The step animation: every gate and state vector at each step, with the current token highlighted."""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.trace import DEFAULT_CONVENTION, DISPLAY_ORDER, Trace
from viz.colours import colour_scale, unbounded_limit
from viz.fit import wrap_title
from viz.labels import position_note, state_label, text, title_notes
from viz.plotly_helpers import FLOAT, empty_figure

MAX_FRAMES = 200  # frames per figure; longer texts are shown as a window
CONTEXT = 7  # tokens shown on each side of the current one
FRAME_MS = 400  # playback speed
SLIDER_LABEL_MAX = 40  # more steps than this: hide the slider's tick labels, keep the current value
CURRENT_COLOUR = "crimson"
# Frames are built from our own arrays with a fixed shape, so plotly's per-property validation is
# skipped for them (``_validate=False``): it took about 70% of the build time for 200 frames. The
# tests round-trip every figure through a validating ``go.Figure`` to keep them honest.
_FAST = {"_validate": False}
OTHER_COLOUR = "gray"
TOKEN_ROW_SHARE = 0.12  # height share of the token strip
ROW_PX = 95
EXTRA_PX = 300
MARGIN = {"l": 90, "r": 230, "t": 100, "b": 200}  # px, as plotly's automargin found them: see viz.plotly_helpers
# Below the plot (px from its bottom edge): the unit axis, then the play and pause buttons on a row of their own,
# then the slider with its current step above its left end, so that no button covers the slider or its label.
BUTTONS_BELOW_PX = 58
SLIDER_BELOW_PX = 100
UIREVISION = "step_animation"
_KIND_ORDER = {"gate": 0, "tanh": 1, "unbounded": 2}  # rows grouped so rows of one colour scale touch


class AnimationData(NamedTuple):
    """The vectors of every gate and state at each step of a window."""

    names: tuple[str, ...]  # (R,) rows: DISPLAY_ORDER grouped by colour kind (gates, tanh, unbounded)
    kinds: tuple[str, ...]  # (R,) colour kind of each row
    values: np.ndarray  # (F, R, H) float32: frame f shows step steps[f]
    steps: np.ndarray  # (F,) step of each frame
    tokens: tuple[str, ...]  # all T tokens
    limits: tuple[float, ...]  # (R,) colour limit of each row (1 unless unbounded)

    @property
    def window(self) -> tuple[int, int, int]:
        """(first step, one past the last, total steps)."""
        first = int(self.steps[0]) if len(self.steps) else 0
        return first, first + len(self.steps), len(self.tokens)


def animation_data(
    trace: Trace, *, layer: int = 0, direction: int = 0, start: int = 0, max_frames: int = MAX_FRAMES,
    convention: str = DEFAULT_CONVENTION,
) -> AnimationData:
    """Frames for steps ``start .. start + max_frames - 1`` (clipped to the trace); GRU z as ``convention``."""
    trace.check_position(layer, direction)
    names = tuple(sorted(DISPLAY_ORDER[trace.cell_type], key=lambda n: _KIND_ORDER[trace.state_kind(n)]))
    first = int(np.clip(start, 0, max(trace.num_steps - 1, 0)))
    stop = min(trace.num_steps, first + max_frames)
    stacked = np.stack(  # (F, R, H)
        [trace.state(n, convention=convention)[layer, direction, first:stop] for n in names], axis=1,
    )
    kinds = tuple(trace.state_kind(n) for n in names)
    limits = tuple(
        unbounded_limit(stacked[:, r]) if kind == "unbounded" else 1.0 for r, kind in enumerate(kinds)
    )
    return AnimationData(
        names=names,
        kinds=kinds,
        values=stacked.astype(FLOAT),
        steps=np.arange(first, stop),
        tokens=trace.tokens,
        limits=limits,
    )


def _token_strip(tokens: tuple[str, ...], step: int, **options) -> go.Scatter:
    """Tokens around ``step`` as text, the current one coloured."""
    lo, hi = max(0, step - CONTEXT), min(len(tokens), step + CONTEXT + 1)
    offsets = np.arange(lo, hi) - step
    colours = [CURRENT_COLOUR if s == step else OTHER_COLOUR for s in range(lo, hi)]
    shown = [html.escape(tokens[s], quote=False) for s in range(lo, hi)]
    shown[step - lo] = f"<b>{shown[step - lo]}</b>"
    return go.Scatter(
        x=offsets, y=np.zeros(len(offsets), dtype=FLOAT), mode="text", text=shown,
        textfont=dict(color=colours, size=18), hoverinfo="skip", showlegend=False, **options,
    )


def _row_hover(labels: Mapping[str, str] | None, token: str, step: int, row: str) -> str:
    return (
        f"{text(labels, 'token')} {html.escape(token, quote=False)}<br>{text(labels, 'step')} {step}<br>"
        f"{text(labels, 'unit')} %{{x}}<br>{text(labels, 'value')} %{{z:.4f}}<extra>{row}</extra>"
    )


def _frame_traces(data: AnimationData, f: int, names: list[str], labels, **options) -> list:
    step = int(data.steps[f])
    out = [_token_strip(data.tokens, step, **options)]
    for r, name in enumerate(names):
        out.append(go.Heatmap(
            z=data.values[f, r][None, :],
            hovertemplate=_row_hover(labels, data.tokens[step], step, name), **options,
        ))
    return out


def step_animation(
    trace: Trace, *, layer: int = 0, direction: int = 0, start: int = 0, max_frames: int = MAX_FRAMES,
    convention: str = DEFAULT_CONVENTION, labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """Play through the steps: one heatmap row per gate/state (units on x), a token strip on top."""
    title = text(labels, "title_animation", model=state_label(labels, trace.cell_type))
    title += position_note(labels, trace, layer, direction)
    if trace.num_steps == 0:
        return empty_figure(f"{title} — {text(labels, 'no_steps')}", uirevision=UIREVISION)
    data = animation_data(
        trace, layer=layer, direction=direction, start=start, max_frames=max_frames, convention=convention,
    )
    names = [state_label(labels, n, convention=convention) for n in data.names]
    fig = _row_grid(len(names))
    _add_first_frame(fig, data, names, labels)
    traces = list(range(len(names) + 1))
    fig.frames = [
        go.Frame(data=_frame_traces(data, f, names, labels, **_FAST), traces=traces, name=str(int(step)), **_FAST)
        for f, step in enumerate(data.steps)
    ]
    fig.update_layout(
        title=dict(text=wrap_title(title + title_notes(labels, window=data.window))),
        height=ROW_PX * len(names) + EXTRA_PX,
        margin=MARGIN,
        uirevision=UIREVISION,
        **_player(data, labels, len(names)),
    )
    return fig


def _player(data: AnimationData, labels: Mapping[str, str] | None, rows: int) -> dict:
    """The layout's play and pause buttons on a row of their own, and below them its step slider."""
    redraw = {"duration": 0, "redraw": True}
    hide_ticks = len(data.steps) > SLIDER_LABEL_MAX
    plot_px = ROW_PX * rows + EXTRA_PX - MARGIN["t"] - MARGIN["b"]  # paper coordinates are fractions of this
    return dict(
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=-BUTTONS_BELOW_PX / plot_px, xanchor="left", yanchor="top",
            buttons=[
                dict(label=text(labels, "play"), method="animate", args=[None, {
                    "frame": {"duration": FRAME_MS, "redraw": True}, "fromcurrent": True,
                    "transition": {"duration": 0}, "mode": "immediate",
                }]),
                dict(label=text(labels, "pause"), method="animate", args=[[None], {
                    "frame": redraw, "transition": {"duration": 0}, "mode": "immediate",
                }]),
            ],
        )],
        sliders=[dict(
            active=0, x=0.0, len=1.0, y=-SLIDER_BELOW_PX / plot_px, yanchor="top",
            currentvalue=dict(prefix=f"{text(labels, 'step')} ", font=dict(size=13, color=OTHER_COLOUR)),
            font=dict(color="rgba(0,0,0,0)") if hide_ticks else None,
            steps=[
                dict(method="animate", label=f"{int(s)} {html.escape(data.tokens[int(s)], quote=False)}",
                     args=[[str(int(s))], {"frame": redraw, "transition": {"duration": 0}, "mode": "immediate"}])
                for s in data.steps
            ],
        )],
    )


def _row_grid(rows: int) -> go.Figure:
    """An empty figure of the token strip over ``rows`` heatmap rows, one column."""
    return make_subplots(
        rows=rows + 1, cols=1, vertical_spacing=0.04,
        row_heights=[TOKEN_ROW_SHARE] + [(1 - TOKEN_ROW_SHARE) / rows] * rows,
    )


def _add_first_frame(fig: go.Figure, data: AnimationData, names: list[str], labels: Mapping[str, str] | None) -> None:
    """The token strip and one heatmap per row at the first step, with one colour bar per kind of scale."""
    rows = len(names)
    first = _frame_traces(data, 0, names, labels)
    fig.add_trace(first[0], row=1, col=1)
    units = np.arange(data.values.shape[2])
    for r, (name, kind, limit) in enumerate(zip(names, data.kinds, data.limits), start=2):
        scale = colour_scale(kind, limit=limit, labels=labels)
        group = [i + 2 for i, k in enumerate(data.kinds) if k == kind]  # rows sharing this scale
        heat = first[r - 1]
        heat.update(
            x=units, y=[name], colorscale=scale.colorscale, zmin=scale.zmin, zmax=scale.zmax, zmid=scale.zmid,
            showscale=r == group[0], name=name,
        )
        if r == group[0]:
            top = fig.layout[f"yaxis{group[0]}"].domain[1]
            bottom = fig.layout[f"yaxis{group[-1]}"].domain[0]
            heat.update(colorbar=dict(
                title=dict(text=scale.title, side="top", font=dict(size=10)),
                y=(top + bottom) / 2, len=top - bottom, thickness=12, nticks=3,
            ))
        fig.add_trace(heat, row=r, col=1)
        fig.update_yaxes(type="category", row=r, col=1)
        fig.update_xaxes(showticklabels=r == rows + 1, row=r, col=1)
    fig.update_xaxes(title=dict(text=text(labels, "unit")), row=rows + 1, col=1)
    fig.update_xaxes(visible=False, range=[-CONTEXT - 0.5, CONTEXT + 0.5], row=1, col=1)
    fig.update_yaxes(visible=False, row=1, col=1)
