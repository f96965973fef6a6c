"""The step axis: long texts pooled to a drawable number of columns, each column labelled with its tokens."""
from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from viz.fit import STEP_AXIS_PX, thin_ticks
from viz.payload import FLOAT

MAX_COLUMNS = 1000  # widest heatmap a browser draws comfortably
MAX_LABEL_CHARS = 12  # a pooled column's label is its tokens, cut to this length


class Pooled(NamedTuple):
    """Steps averaged in consecutive groups so at most ``max_columns`` columns remain."""

    values: np.ndarray  # (..., C) float32, mean of each group
    starts: np.ndarray  # (C,) first step of each group
    width: int  # steps per group (the last group may be shorter)


def pool_steps(values: np.ndarray, *, max_columns: int = MAX_COLUMNS) -> Pooled:
    """Mean over groups of ``ceil(T / max_columns)`` steps along the last axis. (..., T) -> (..., C)."""
    steps = values.shape[-1]
    width = max(1, math.ceil(steps / max_columns))
    starts = np.arange(0, steps, width)
    if width == 1 or steps == 0:
        return Pooled(np.asarray(values, dtype=FLOAT), starts, width)
    sums = np.add.reduceat(np.asarray(values, dtype=np.float64), starts, axis=-1)
    counts = np.diff(np.append(starts, steps))
    return Pooled((sums / counts).astype(FLOAT), starts, width)


class StepAxis(NamedTuple):
    """A numeric step axis labelled with tokens: x values, tick labels and hover labels."""

    x: np.ndarray  # (C,) first step of each column
    width: int  # steps per column
    labels: tuple[str, ...]  # (C,) hover label of each column: its token(s)
    tickvals: tuple[int, ...]
    ticktext: tuple[str, ...]


def step_axis(tokens: Sequence[str], starts: np.ndarray, width: int, *, axis_px: float = STEP_AXIS_PX,
              along: str = "x") -> StepAxis:
    """Token labels for columns starting at ``starts`` (C,), each ``width`` steps wide; as many tick labels as fit
    an axis ``axis_px`` long (viz.fit.thin_ticks). Hover still names every column."""
    labels = []
    for s in starts:
        group = tokens[s : s + width]
        label = ("" if all(len(t) <= 1 for t in group) else " ").join(group)
        if len(label) > MAX_LABEL_CHARS:
            label = label[: MAX_LABEL_CHARS - 1] + "…"
        labels.append(html.escape(label, quote=False))
    ticks = thin_ticks(labels, axis_px, along=along)
    return StepAxis(
        x=np.asarray(starts),
        width=width,
        labels=tuple(labels),
        tickvals=tuple(int(starts[i]) for i in ticks),
        ticktext=tuple(labels[i] for i in ticks),
    )


def axis_layout(axis: StepAxis) -> dict:
    """x-axis settings: numeric positions, token tick labels, and a token in every hover label.

    Hover labels of ticked columns show the tick text; ``labelalias`` maps every other column's
    number to its token, so ``%{x}`` in a hovertemplate is always the token and ``%{x:d}`` the step.
    Tick labels may reach past the chart's edge: plotly's default for a numeric axis ('hide past div')
    measures every label again after each label it draws: for 30 token labels, about a third of the
    Read tab's drawing time in Chromium.
    """
    ticked = set(axis.tickvals)
    alias = {str(int(x)): lab for x, lab in zip(axis.x, axis.labels) if int(x) not in ticked}
    out = dict(
        tickmode="array",
        tickvals=list(axis.tickvals),
        ticktext=list(axis.ticktext),
        exponentformat="none",
        separatethousands=False,
        ticklabeloverflow="allow",
    )
    if alias:
        out["labelalias"] = alias
    return out
