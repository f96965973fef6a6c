"""The "what if" views: an edit in words and as a formula, the prediction before and after, the change in h."""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from models.trace import GRU_CONVENTIONS
from viz.colours import DIVERGING_COLOURS, ColourScale
from viz.fit import wrap_title
from viz.labels import position_text, state_label, text, title_notes
from viz.plotly_helpers import FLOAT, empty_figure, heatmap_trace
from viz.prediction import DECISION, probability_layout, probability_line
from viz.steps import axis_layout, pool_steps, step_axis

MIN_DIFFERENCE_LIMIT = 1e-6  # colour range of the difference map when nothing changed
SIGNIFICANT = 4  # significant digits of a value in a formula
HEIGHT = 380
DIFFERENCE_HEIGHT = 420
EDITED_SHADE = "rgba(255, 165, 0, 0.18)"

SYMBOLS: Mapping[str, str] = {  # LaTeX symbol of each editable quantity, in torch's names
    "input": "i",
    "forget": "f",
    "candidate": "g",  # the LSTM's; the GRU's is n (see edit_text)
    "output": "o",
    "cell": "c",
    "hidden": "h",
    "reset": "r",
    "update": "z",  # in the page's convention: PyTorch's z, or the textbook's (1 − PyTorch's)
}


# --- the edit in words and as a formula ----------------------------------------------------

class EditText(NamedTuple):
    """One edit for a reader, in the page's GRU convention."""

    formula: str  # LaTeX, e.g. "f_t := 1 \quad t \in [5, 9]"
    words: str  # e.g. "forget gate f set to 1 at tokens 5–9 (all units)"


def _steps_latex(steps: Sequence[int]) -> str:
    steps = list(steps)
    if len(steps) == 1:
        return f"t = {steps[0]}"
    if steps == list(range(steps[0], steps[0] + len(steps))):
        return rf"t \in [{steps[0]}, {steps[-1]}]"
    return r"t \in \{" + ", ".join(map(str, steps)) + r"\}"


def _number(x: float) -> str:
    return f"{x + 0.0:.{SIGNIFICANT}g}"  # + 0.0: no "-0"


def edit_text(edit, *, cell_type: str, convention: str = "textbook", tokens: Sequence[str] | None = None,
              labels: Mapping[str, str] | None = None) -> EditText:
    """The edit as LaTeX and words. ``edit``: anything with Edit's fields (``models.asking.intervene.Edit``).

    A GRU update edit is shown in the page's ``convention`` (``models.trace.GRU_CONVENTIONS``), as
    every view writes z: "torch", PyTorch's z (the share of the old state kept); "textbook", the
    teaching material's z (the share of the new candidate, PyTorch's 1 − z), whichever convention
    the edit itself was written in. So PyTorch's z := 1 shows as z := 0 on a textbook page. The
    words are plain text (tokens unescaped): the caller escapes them for where they are shown.
    """
    if convention not in GRU_CONVENTIONS:
        raise ValueError(f"convention must be one of {GRU_CONVENTIONS}, got {convention!r}")
    target = edit.target
    flip = target == "update" and (edit.convention == "textbook") != (convention == "textbook")
    symbol = "n" if (target == "candidate" and cell_type == "gru") else SYMBOLS[target]
    units = edit.units
    sub = "t" if units == "all" else "t,j"
    lhs = f"{symbol}_{{{sub}}}"
    value = edit.set if edit.set is not None else edit.scale
    scalar = np.ndim(value) == 0
    if edit.set is not None:
        if not scalar:
            rhs = r"v_{" + sub + "}"
            value_words = text(labels, "given_values")
        else:
            v = 1.0 - float(value) if flip else float(value)
            rhs, value_words = _number(v), _number(v)
    elif not scalar:
        rhs, value_words = rf"s_{{{sub}}} \, {lhs}", text(labels, "given_values")
    elif flip:  # s scales the other convention's number: x' = 1 - s (1 - x)
        s = _number(float(value))
        rhs, value_words = rf"1 - {s} \, (1 - {lhs})", f"1 − {s}·(1 − {symbol})"
    else:
        rhs = rf"{_number(float(value))} \, {lhs}"
        value_words = _number(float(value))
    where = _steps_latex(edit.steps)
    unit_part = "" if units == "all" else r", \; j \in \{" + ", ".join(map(str, units)) + r"\}"
    formula = rf"{lhs} := {rhs} \quad {where}{unit_part}"
    steps = list(edit.steps)
    if len(steps) == 1:
        token = tokens[steps[0]] if tokens is not None and steps[0] < len(tokens) else ""
        place = text(labels, "token_at", step=steps[0], token=token) if token else f"t = {steps[0]}"
    elif steps == list(range(steps[0], steps[0] + len(steps))):
        place = text(labels, "tokens_between", first=steps[0], last=steps[-1])
    else:
        place = text(labels, "tokens_list", steps=", ".join(map(str, steps)))
    gate = state_label(labels, target, convention=convention)
    unit_words = (
        text(labels, "all_units") if units == "all" else text(labels, "units", units=", ".join(map(str, units)))
    )
    key = "set_words" if edit.set is not None or flip else "scale_words"  # a flipped scale reads as a setting
    words = text(labels, key, gate=gate, value=value_words, where=place, units=unit_words)
    return EditText(formula=formula, words=words)


# --- before and after ---------------------------------------------------------------------

class WhatIfData(NamedTuple):
    """One model's run on one text, before and after an edit."""

    label: str  # class whose probability is drawn
    tokens: tuple[str, ...]  # (T,)
    before: np.ndarray  # (T,) float32 P(label) after each token, unedited
    after: np.ndarray  # (T,) float32 the same, edited
    final_before: str  # predicted class after the last token, unedited
    final_after: str  # the same, edited
    difference: np.ndarray  # (H, T) float32 hidden after − hidden before, one row per unit
    limit: float  # symmetric colour limit: max |difference| (at least MIN_DIFFERENCE_LIMIT)
    first_changed: int | None  # first step where any unit of h changed, None if none did
    cell_type: str
    position: tuple[int, int] = (0, 0)  # (layer, direction) whose hidden state ``difference`` holds
    shape: tuple[int, int] = (1, 1)  # (layers, directions) of the model

    @property
    def changed(self) -> bool:
        """Whether the final prediction changed."""
        return self.final_before != self.final_after


def whatif_data(before, after, *, label: str | None = None, layer: int = 0, direction: int = 0) -> WhatIfData:
    """Curves and the hidden-state difference of two traces of one model on one text (same tokens).

    ``label`` defaults to the last class (for the sentiment models, "positive").
    """
    same_run = before.tokens == after.tokens and before.cell_type == after.cell_type
    if not same_run or before.hidden.shape != after.hidden.shape:
        raise ValueError("before and after must be the same model on the same tokens")
    before.check_position(layer, direction)
    if before.probabilities is None or after.probabilities is None or not before.labels:
        raise ValueError("both traces need class probabilities")
    label = before.labels[-1] if label is None else label
    column = before.labels.index(label)
    diff = (after.hidden[layer, direction].astype(np.float64) - before.hidden[layer, direction]).T  # (H, T)
    moved = np.flatnonzero(np.abs(diff).max(axis=0) > 0) if diff.size else np.array([], dtype=int)
    return WhatIfData(
        label=label,
        tokens=before.tokens,
        before=np.asarray(before.probabilities[:, column], dtype=FLOAT),
        after=np.asarray(after.probabilities[:, column], dtype=FLOAT),
        final_before=before.labels[int(np.argmax(before.probabilities[-1]))],
        final_after=after.labels[int(np.argmax(after.probabilities[-1]))],
        difference=diff.astype(FLOAT),
        limit=float(max(MIN_DIFFERENCE_LIMIT, np.abs(diff).max(initial=0.0))),
        first_changed=int(moved[0]) if moved.size else None,
        cell_type=before.cell_type,
        position=(layer, direction),
        shape=(before.num_layers, before.num_directions),
    )


def _runs(steps: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted steps as (first, last) pairs."""
    out: list[tuple[int, int]] = []
    for s in sorted(set(int(s) for s in steps)):
        if out and s == out[-1][1] + 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


def whatif_prediction(data: WhatIfData, *, edited_steps: Sequence[int] = (),
                      labels: Mapping[str, str] | None = None) -> go.Figure:
    """P(label) after each token, before (dashed) and after (solid); edited tokens shaded."""
    if not data.tokens:
        return empty_figure(text(labels, "no_probabilities"), uirevision="whatif_prediction")
    steps = np.arange(len(data.tokens))
    axis = step_axis(data.tokens, steps, 1)
    shown = html.escape(state_label(labels, data.label), quote=False)
    fig = go.Figure()
    for name, curve, dash in ((text(labels, "before"), data.before, "dash"),
                              (text(labels, "after"), data.after, "solid")):
        fig.add_trace(probability_line(curve, name, shown=shown, labels=labels, dash=dash))
    for first, last in _runs(edited_steps):
        fig.add_vrect(x0=first - 0.5, x1=last + 0.5, fillcolor=EDITED_SHADE, line_width=0, layer="below",
                      annotation_text=text(labels, "edited"), annotation_position="top left")
    fig.add_hline(y=DECISION, line=dict(dash="dot", color="gray", width=1))
    fig.update_layout(**probability_layout(text(labels, "title_whatif_prediction", label=shown), shown, axis, labels),
                      hovermode="x unified", uirevision="whatif_prediction")
    return fig


def hidden_difference_heatmap(data: WhatIfData, *, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Units x steps map of h(after) − h(before), diverging around 0; long texts are pooled."""
    if data.difference.size == 0:
        return empty_figure(text(labels, "no_steps"), uirevision="whatif_difference")
    pooled = pool_steps(data.difference)
    axis = step_axis(data.tokens, pooled.starts, pooled.width)
    scale = ColourScale(DIVERGING_COLOURS, -data.limit, data.limit, 0.0,
                        text(labels, "colorbar_difference", limit=data.limit))
    rows = [str(u) for u in range(data.difference.shape[0])]
    fig = go.Figure(heatmap_trace(pooled.values, axis, rows, scale))
    model = text(labels, data.cell_type)
    fig.update_layout(
        title=dict(text=wrap_title(text(labels, "title_hidden_change", model=model)
                                   + position_text(labels, *data.position, shape=data.shape)
                                   + title_notes(labels, width=pooled.width))),
        xaxis=dict(title=dict(text=text(labels, "token")), **axis_layout(axis)),
        yaxis=dict(title=dict(text=text(labels, "unit")), type="category", showticklabels=len(rows) <= 32),
        height=DIFFERENCE_HEIGHT,
        uirevision="whatif_difference",
    )
    return fig
