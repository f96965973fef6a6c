"""Shared pieces of every figure: gate names, colour scales, step pooling, token tick labels, text."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

# Gate names as plain strings: viz must not import models (models imports torch). A test checks
# that they equal the ones in models.trace.
GATE_NAMES: Mapping[str, tuple[str, ...]] = {
    "rnn": (),
    "lstm": ("input", "forget", "candidate", "output"),
    "gru": ("reset", "update", "candidate"),
}
TERM_NAMES: Mapping[str, tuple[str, ...]] = {
    "rnn": ("preactivation",),
    "lstm": (),
    "gru": ("reset_hidden", "input_candidate"),
}
SIGMOID_GATES = frozenset({"input", "forget", "output", "reset", "update"})
UNBOUNDED_STATES = frozenset({"cell", "preactivation", "reset_hidden", "input_candidate"})  # not squashed
OVERVIEW_ROWS: Mapping[str, tuple[str, ...]] = {  # every gate and state, top to bottom
    "lstm": ("input", "forget", "output", "candidate", "cell", "hidden"),
    "gru": ("update", "reset", "candidate", "hidden"),
    "rnn": ("hidden",),
}

MAX_COLUMNS = 1000  # widest heatmap a browser draws comfortably
MAX_TICKS = 40  # tick labels on a step axis; hover still names every column
MAX_LABEL_CHARS = 12  # a pooled column's label is its tokens, cut to this length
FLOAT = np.float32  # plotly 7 sends float32 numpy arrays as typed arrays

GATE_COLOURS = "Viridis"  # sequential, [0, 1]
DIVERGING_COLOURS = "RdBu_r"  # blue < 0 < red
MIN_UNBOUNDED_LIMIT = 1.0  # an unbounded state's colour range is at least [-1, 1]

DEFAULT_LABELS: Mapping[str, str] = {
    # gate and state names
    "input": "input gate i",
    "forget": "forget gate f",
    "candidate": "candidate",
    "output": "output gate o",
    "reset": "reset gate r",
    "update": "update gate z",
    "cell": "cell state c",
    "hidden": "hidden state h",
    "preactivation": "pre-activation a",
    "reset_hidden": "W_hn h + b_hn",
    "input_candidate": "W_in x + b_in",
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn": "RNN",
    # axes and hover
    "token": "token",
    "step": "step",
    "unit": "unit",
    "value": "value",
    "mean": "mean",
    "probability": "probability",
    # colour bars
    "colorbar_gate": "gate: 0 closed → 1 open",
    "colorbar_tanh": "value: blue < 0 < red",
    "colorbar_unbounded": "value (±{limit:.3g}; beyond: end colour): blue < 0 < red",
    "colorbar_unit_minmax": "per-unit min–max: 0 → 1",
    "colorbar_unit_maxabs": "value / per-unit max |value|",
    # title notes
    "pooled": "mean of every {width} tokens",
    "windowed": "steps {start}–{stop} of {total}",
    "no_steps": "No steps to show",
    # figure titles
    "title_heatmap": "{state}{position}",
    "title_overview": "{model}: every gate and state{position}",
    "position": ", layer {layer}, {direction}",  # only for modules with several layers or directions
    "forward": "forward",
    "backward": "backward",
    "compared_steps": " (only the steps both sentences have: {steps})",
    "positive": "positive",
    "negative": "negative",
    "title_animation": "{model}: gates and states at each step",
    "title_prediction": "P({label}) after each token",
    "no_probabilities": "No class probabilities in these traces",
    "title_compare": "{state} of each model on the same tokens",
    "no_state": "No model has a {state}",
    "title_difference": "Two sentences through one model: hidden states",
    "distance_euclidean": "Euclidean distance ‖h_A − h_B‖",
    "distance_cosine": "cosine distance 1 − cos(h_A, h_B)",
    "final_state": "final hidden state",
    "first": "A",
    "second": "B",
    "title_saturation": "Gate saturation over {steps} steps (Karpathy et al. 2015)",
    "no_sigmoid_gates": "The vanilla RNN has no sigmoid gates to saturate",
    "left_saturated": "fraction of steps with gate < {low:g}",
    "right_saturated": "fraction of steps with gate > {high:g}",
    "title_retention": "How much of token s survives at step t: product of the {gate} values",
    "title_retention_units": "units {units}",
    "no_gate_rnn": "The vanilla RNN has no gate to read retention from",
    "written_at": "token written (s)",
    "read_at": "later step (t)",
    "retention": "retention",
    "colorbar_retention": "retention: 0 forgotten → 1 kept",
    "play": "▶ play",
    "pause": "❚❚ pause",
    "convention_pytorch": "PyTorch convention: z is the share of the old state kept",
    "convention_textbook": "Textbook convention: u = 1 − z is the share of the new candidate taken",
}


def text(labels: Mapping[str, str] | None, key: str, **fmt: object) -> str:
    """The display string for ``key``: the caller's override, else the English default."""
    template = (labels or {}).get(key, DEFAULT_LABELS[key])
    return template.format(**fmt) if fmt else template


def state_label(labels: Mapping[str, str] | None, name: str) -> str:
    """Display name of a gate, state or model; unknown names are shown as given."""
    if name in (labels or {}) or name in DEFAULT_LABELS:
        return text(labels, name)
    return name


def position_note(labels: Mapping[str, str] | None, trace, layer: int, direction: int) -> str:
    """", layer 1, backward" for a module with several layers or directions; "" for a single one."""
    if trace.num_layers == 1 and trace.num_directions == 1:
        return ""
    return text(labels, "position", layer=layer, direction=text(labels, "backward" if direction else "forward"))


def escape(token: str) -> str:
    """A token made safe for Plotly's pseudo-HTML labels."""
    return token.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def state_array(trace, name: str) -> np.ndarray:
    """The (L, D, T, H) array of a gate, term, ``cell`` or ``hidden``."""
    if name in trace.gates:
        return trace.gates[name]
    if name in trace.terms:
        return trace.terms[name]
    if name == "cell" and trace.cell is not None:
        return trace.cell
    if name == "hidden":
        return trace.hidden
    raise KeyError(f"a {trace.cell_type} trace has no {name!r}")


def has_state(trace, name: str) -> bool:
    """Whether ``state_array(trace, name)`` exists."""
    try:
        state_array(trace, name)
    except KeyError:
        return False
    return True


def state_kind(trace, name: str) -> str:
    """'gate' (sigmoid, [0, 1]), 'tanh' ([-1, 1]) or 'unbounded' (cell, terms, relu hidden)."""
    if name in SIGMOID_GATES:
        return "gate"
    if name in UNBOUNDED_STATES or (name == "hidden" and trace.nonlinearity == "relu"):
        return "unbounded"
    return "tanh"


class ColourScale(NamedTuple):
    """Everything a heatmap needs to colour values by their meaning."""

    colorscale: str
    zmin: float
    zmax: float
    zmid: float | None
    title: str  # colour bar title: what the colours mean


def colour_scale(kind: str, *, limit: float = 1.0, labels: Mapping[str, str] | None = None) -> ColourScale:
    """The fixed scale for a kind: 'gate', 'tanh', 'unbounded' (±limit), 'unit_minmax', 'unit_maxabs'."""
    if kind == "gate":
        return ColourScale(GATE_COLOURS, 0.0, 1.0, None, text(labels, "colorbar_gate"))
    if kind == "unit_minmax":
        return ColourScale(GATE_COLOURS, 0.0, 1.0, None, text(labels, "colorbar_unit_minmax"))
    if kind == "tanh":
        return ColourScale(DIVERGING_COLOURS, -1.0, 1.0, 0.0, text(labels, "colorbar_tanh"))
    if kind == "unit_maxabs":
        return ColourScale(DIVERGING_COLOURS, -1.0, 1.0, 0.0, text(labels, "colorbar_unit_maxabs"))
    if kind == "unbounded":
        return ColourScale(DIVERGING_COLOURS, -limit, limit, 0.0, text(labels, "colorbar_unbounded", limit=limit))
    raise ValueError(f"unknown colour kind {kind!r}")


UNBOUNDED_PERCENTILE = 99.0


def unbounded_limit(values: np.ndarray) -> float:
    """Symmetric colour limit for an unbounded state (the LSTM cell): the 99th percentile of |value|, at least 1.

    Not the maximum: a handful of large cells on a long text would wash every other value out to
    white. The few values beyond the limit take the end colour; hovering shows their real value,
    and the colour bar's title says the limit.
    """
    if values.size == 0:
        return MIN_UNBOUNDED_LIMIT
    return float(max(MIN_UNBOUNDED_LIMIT, np.nanpercentile(np.abs(values), UNBOUNDED_PERCENTILE)))


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


def step_axis(tokens: Sequence[str], starts: np.ndarray, width: int, *, max_ticks: int = MAX_TICKS) -> StepAxis:
    """Token labels for columns starting at ``starts`` (C,), each ``width`` steps wide."""
    labels = []
    for s in starts:
        group = tokens[s : s + width]
        label = ("" if all(len(t) <= 1 for t in group) else " ").join(group)
        if len(label) > MAX_LABEL_CHARS:
            label = label[: MAX_LABEL_CHARS - 1] + "…"
        labels.append(escape(label))
    every = max(1, math.ceil(len(starts) / max_ticks))
    ticks = range(0, len(starts), every)
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
    """
    ticked = set(axis.tickvals)
    alias = {str(int(x)): lab for x, lab in zip(axis.x, axis.labels) if int(x) not in ticked}
    out = dict(
        tickmode="array",
        tickvals=list(axis.tickvals),
        ticktext=list(axis.ticktext),
        exponentformat="none",
        separatethousands=False,
    )
    if alias:
        out["labelalias"] = alias
    return out


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


def title_notes(labels: Mapping[str, str] | None, *, width: int = 1, window: tuple[int, int, int] | None = None) -> str:
    """' — mean of every k tokens', ' — steps a–b of T': what was pooled or cut, for a title."""
    notes = []
    if width > 1:
        notes.append(text(labels, "pooled", width=width))
    if window is not None and (window[0] > 0 or window[1] < window[2]):
        notes.append(text(labels, "windowed", start=window[0], stop=window[1] - 1, total=window[2]))
    return "".join(f" — {n}" for n in notes)


def empty_figure(title: str, *, uirevision: str = "empty") -> go.Figure:
    """A figure with a title and nothing to draw."""
    fig = go.Figure()
    fig.update_layout(
        title=dict(text=title),
        uirevision=uirevision,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
    )
    return fig


def check_position(trace, layer: int, direction: int) -> None:
    """Raise IndexError for a layer or direction the trace does not have."""
    if not 0 <= layer < trace.num_layers:
        raise IndexError(f"layer {layer} out of range for {trace.num_layers} layers")
    if not 0 <= direction < trace.num_directions:
        raise IndexError(f"direction {direction} out of range for {trace.num_directions} directions")
