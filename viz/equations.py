"""The step equations with real numbers: one step and one unit, as values and ready LaTeX (no figure)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from models.trace import CONVENTION_GATE, DEFAULT_CONVENTION, GATE_NAMES, GRU_CONVENTIONS, SIGMOID_GATES, Trace
from viz.labels import text

DECIMALS = 4  # digits shown in the filled-in equations
SYMBOLS = {"input": "i", "forget": "f", "candidate": "g", "output": "o", "reset": "r", "update": "z"}  # LaTeX letters
GRU_UPDATE = {  # the GRU's new state in each convention; {prev} is the previous step's subscript
    "textbook": r"h_t = (1 - z_t) \, h_{{{prev}}} + z_t \, n_t",
    "torch": r"h_t = (1 - z_t) \, n_t + z_t \, h_{{{prev}}}",
}
QUANTITY_NAMES = {  # each of ``StepEquation.values`` as the formulas write it
    "c_prev": "c_{t-1}", "h_prev": "h_{t-1}", "c": "c_t", "h": "h_t", "n": "n_t", "a": "a_t",
    "i": "i_t", "f": "f_t", "g": "g_t", "o": "o_t", "r": "r_t", "z": "z_t",
    "reset_hidden": "W_hn h_{t-1} + b_hn", "input_candidate": "W_in x_t + b_in",
}


class StepEquation(NamedTuple):
    """The update of one unit at one step, with every number and a check of both sides.

    ``values``: every named number (floats) used by the equations, e.g. LSTM i, f, g, o,
    c_prev, c, h. ``recorded``: the left-hand sides as recorded in the trace; ``recomputed``:
    the same quantities computed from the right-hand sides, so the app can show they agree.
    """

    cell_type: str
    step: int
    unit: int
    token: str
    convention: str  # 'textbook' or 'torch' (differs only for the GRU)
    convention_label: str  # which convention is shown, in words; '' when conventions agree
    values: Mapping[str, float]
    definitions: tuple[str, ...]  # general LaTeX of the gates, as computed, one line each
    formulas: tuple[str, ...]  # general LaTeX of the step's updates, one line per equation
    filled: tuple[str, ...]  # the same equations with the numbers, one line each
    recorded: Mapping[str, float]
    recomputed: Mapping[str, float]

    @property
    def max_error(self) -> float:
        """Largest |recomputed - recorded| over the checked quantities."""
        return max(abs(self.recomputed[k] - self.recorded[k]) for k in self.recorded)


def _n(x: float) -> str:
    """A number for LaTeX, in parentheses when negative so products read clearly."""
    s = f"{x:.{DECIMALS}f}"
    return f"({s})" if x < 0 else s


def _v(x: float) -> str:
    """A number for LaTeX where no parentheses are needed: results and function arguments."""
    return f"{x:.{DECIMALS}f}"


def _definitions(cell_type: str, prev_sub: str, convention: str) -> tuple[str, ...]:
    """The gates as PyTorch computes them, from x_t and the previous state; the GRU's candidate n has its own line.

    In the textbook form the GRU's z is 1 - (PyTorch's sigmoid), and is written so.
    """
    lines = []
    for name in GATE_NAMES[cell_type]:
        if cell_type == "gru" and name == "candidate":
            continue
        s = SYMBOLS[name]
        act = r"\sigma" if name in SIGMOID_GATES else r"\tanh"
        flipped = "1 - " if convention == "textbook" and name == CONVENTION_GATE else ""
        lines.append(rf"{s}_t = {flipped}{act}(W_{{i{s}}} x_t + b_{{i{s}}} + W_{{h{s}}} h_{{{prev_sub}}} + b_{{h{s}}})")
    return tuple(lines)


def step_equation(
    trace: Trace, *, step: int, unit: int, layer: int = 0, direction: int = 0,
    convention: str = DEFAULT_CONVENTION, labels: Mapping[str, str] | None = None,
) -> StepEquation:
    """The numbers of ``step`` and ``unit``; the previous state is 0 at the first step read.

    The forward direction reads step t-1 before t; the backward direction (1) reads t+1. For the
    GRU, ``convention`` "textbook" shows z = 1 - (PyTorch's z) and h_t = (1 - z_t) h_prev + z_t n_t;
    "torch" shows PyTorch's z and h_t = (1 - z_t) n_t + z_t h_prev. Both give the same h_t.
    """
    if convention not in GRU_CONVENTIONS:
        raise ValueError(f"convention must be one of {GRU_CONVENTIONS}, got {convention!r}")
    trace.check_position(layer, direction)
    if not 0 <= step < trace.num_steps:
        raise IndexError(f"step {step} out of range for {trace.num_steps} steps")
    if not 0 <= unit < trace.hidden_size:
        raise IndexError(f"unit {unit} out of range for {trace.hidden_size} units")
    prev_step = step + 1 if direction == 1 else step - 1
    has_prev = 0 <= prev_step < trace.num_steps
    prev_sub = "t+1" if direction == 1 else "t-1"

    def at(array: np.ndarray, t: int) -> float:
        return float(array[layer, direction, t, unit])

    def prev(array: np.ndarray) -> float:
        return at(array, prev_step) if has_prev else 0.0

    h, h_prev = at(trace.hidden, step), prev(trace.hidden)
    t, tp = step + 1, prev_step + 1  # subscripts count tokens from 1, as a reader does: h_0 is the initial state
    common = dict(cell_type=trace.cell_type, step=step, unit=unit, token=trace.tokens[step], convention=convention,
                  definitions=_definitions(trace.cell_type, prev_sub, convention))

    if trace.cell_type == "lstm":
        g = {k: at(trace.gates[k], step) for k in GATE_NAMES["lstm"]}
        i, f, c_in, o = g["input"], g["forget"], g["candidate"], g["output"]
        c, c_prev = at(trace.cell, step), prev(trace.cell)
        c_new = f * c_prev + i * c_in
        h_new = o * np.tanh(c)
        return StepEquation(
            **common, convention_label="",
            values=dict(i=i, f=f, g=c_in, o=o, c_prev=c_prev, c=c, h=h, h_prev=h_prev),
            formulas=(
                rf"c_t = f_t \, c_{{{prev_sub}}} + i_t \, g_t",
                r"h_t = o_t \, \tanh(c_t)",
            ),
            filled=(
                rf"c_{{{t}}} = {_n(f)} \cdot {_n(c_prev)} + {_n(i)} \cdot {_n(c_in)} = {_v(c_new)}",
                rf"h_{{{t}}} = {_n(o)} \cdot \tanh({_v(c)}) = {_v(h_new)}",
            ),
            recorded=dict(c=c, h=h),
            recomputed=dict(c=float(c_new), h=float(h_new)),
        )

    if trace.cell_type == "gru":
        r, n = at(trace.gates["reset"], step), at(trace.gates["candidate"], step)
        z = at(trace.state(CONVENTION_GATE, convention=convention), step)
        hn = at(trace.terms["reset_hidden"], step)
        a = at(trace.terms["input_candidate"], step)  # W_in x_t + b_in
        n_new = float(np.tanh(a + r * hn))
        cand = (
            rf"n_t = \tanh(W_{{in}} x_t + b_{{in}} + r_t \, (W_{{hn}} h_{{{prev_sub}}} + b_{{hn}}))",
            rf"n_{{{t}}} = \tanh({_n(a)} + {_n(r)} \cdot {_n(hn)}) = {_v(n_new)}",
        )
        values = dict(r=r, z=z, n=n, reset_hidden=hn, input_candidate=a, h_prev=h_prev, h=h)
        if convention == "torch":
            h_new = (1 - z) * n + z * h_prev
            filled = rf"h_{{{t}}} = (1 - {_n(z)}) \cdot {_n(n)} + {_n(z)} \cdot {_n(h_prev)} = {_v(h_new)}"
        else:
            h_new = (1 - z) * h_prev + z * n
            filled = rf"h_{{{t}}} = (1 - {_n(z)}) \cdot {_n(h_prev)} + {_n(z)} \cdot {_n(n)} = {_v(h_new)}"
        return StepEquation(
            **common, convention_label=text(labels, f"convention_{convention}"),
            values=values,
            formulas=(cand[0], GRU_UPDATE[convention].format(prev=prev_sub)),
            filled=(cand[1], filled),
            recorded=dict(n=n, h=h),
            recomputed=dict(n=n_new, h=float(h_new)),
        )

    a = at(trace.terms["preactivation"], step)
    relu = trace.nonlinearity == "relu"
    h_new = max(a, 0.0) if relu else float(np.tanh(a))
    act = r"\max(0, {})" if relu else r"\tanh({})"
    return StepEquation(
        **common, convention_label="",
        values=dict(a=a, h=h, h_prev=h_prev),
        formulas=(
            rf"a_t = W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{{prev_sub}}} + b_{{hh}}",
            "h_t = " + act.format("a_t"),
        ),
        filled=(
            rf"a_{{{t}}} = {_v(a)} \quad (h_{{{tp}}} = {_v(h_prev)})",
            rf"h_{{{t}}} = " + act.format(_v(a)) + f" = {_v(h_new)}",
        ),
        recorded=dict(h=h),
        recomputed=dict(h=float(h_new)),
    )
