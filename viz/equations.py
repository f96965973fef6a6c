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


class _Number(float):
    """A float that formats as ``_n`` with the spec "n" and as ``_v`` with "v", for the LaTeX templates."""

    def __format__(self, spec: str) -> str:
        return _n(self) if spec == "n" else _v(self) if spec == "v" else float.__format__(self, spec)


# The step's updates, general (FORMULAS) and with numbers (FILLED), by cell and variant (the GRU's
# convention, the RNN's activation). {prev} is the previous step's subscript, {t} and {tp} the step
# numbers; every other field is a number of ``StepEquation.values``, or ``<name>_new`` for a recomputed
# one, formatted ":n" (in parentheses when negative) or ":v" (bare).
_CANDIDATE = r"n_t = \tanh(W_{{in}} x_t + b_{{in}} + r_t \, (W_{{hn}} h_{{{prev}}} + b_{{hn}}))"
_CANDIDATE_FILLED = r"n_{{{t}}} = \tanh({input_candidate:n} + {r:n} \cdot {reset_hidden:n}) = {n_new:v}"
_PREACTIVATION = r"a_t = W_{{ih}} x_t + b_{{ih}} + W_{{hh}} h_{{{prev}}} + b_{{hh}}"
_PREACTIVATION_FILLED = r"a_{{{t}}} = {a:v} \quad (h_{{{tp}}} = {h_prev:v})"
FORMULAS: Mapping[str, tuple[str, ...]] = {
    "lstm": (r"c_t = f_t \, c_{{{prev}}} + i_t \, g_t", r"h_t = o_t \, \tanh(c_t)"),
    "gru_textbook": (_CANDIDATE, GRU_UPDATE["textbook"]),
    "gru_torch": (_CANDIDATE, GRU_UPDATE["torch"]),
    "rnn_tanh": (_PREACTIVATION, r"h_t = \tanh(a_t)"),
    "rnn_relu": (_PREACTIVATION, r"h_t = \max(0, a_t)"),
}
FILLED: Mapping[str, tuple[str, ...]] = {
    "lstm": (
        r"c_{{{t}}} = {f:n} \cdot {c_prev:n} + {i:n} \cdot {g:n} = {c_new:v}",
        r"h_{{{t}}} = {o:n} \cdot \tanh({c:v}) = {h_new:v}",
    ),
    "gru_textbook": (_CANDIDATE_FILLED, r"h_{{{t}}} = (1 - {z:n}) \cdot {h_prev:n} + {z:n} \cdot {n:n} = {h_new:v}"),
    "gru_torch": (_CANDIDATE_FILLED, r"h_{{{t}}} = (1 - {z:n}) \cdot {n:n} + {z:n} \cdot {h_prev:n} = {h_new:v}"),
    "rnn_tanh": (_PREACTIVATION_FILLED, r"h_{{{t}}} = \tanh({a:v}) = {h_new:v}"),
    "rnn_relu": (_PREACTIVATION_FILLED, r"h_{{{t}}} = \max(0, {a:v}) = {h_new:v}"),
}


class _Position(NamedTuple):
    """One unit at one step of one layer and direction, and the step read before it (None at the first)."""

    layer: int
    direction: int
    step: int
    unit: int
    previous: int | None

    def now(self, array: np.ndarray) -> float:
        return float(array[self.layer, self.direction, self.step, self.unit])

    def before(self, array: np.ndarray) -> float:
        """The value at the step read before; 0 (the initial state) at the first step read."""
        return 0.0 if self.previous is None else float(array[self.layer, self.direction, self.previous, self.unit])


class _Numbers(NamedTuple):
    """One cell's numbers at one position: no LaTeX."""

    values: dict[str, float]  # every number the equations use, by ``QUANTITY_NAMES`` key
    recorded: dict[str, float]  # left-hand sides as recorded
    recomputed: dict[str, float]  # the same, computed from the right-hand sides


def _lstm_numbers(trace: Trace, at: _Position, convention: str) -> _Numbers:
    """c_t = f c_prev + i g and h_t = o tanh(c_t), from the recorded gates."""
    i, f, g, o = (at.now(trace.gates[k]) for k in GATE_NAMES["lstm"])
    c, c_prev = at.now(trace.cell), at.before(trace.cell)
    values = dict(i=i, f=f, g=g, o=o, c_prev=c_prev, c=c, h=at.now(trace.hidden), h_prev=at.before(trace.hidden))
    return _Numbers(values, dict(c=c, h=values["h"]), dict(c=float(f * c_prev + i * g), h=float(o * np.tanh(c))))


def _gru_numbers(trace: Trace, at: _Position, convention: str) -> _Numbers:
    """n_t = tanh(input_candidate + r reset_hidden), and h_t in ``convention``'s z (the same number either way)."""
    r, n = at.now(trace.gates["reset"]), at.now(trace.gates["candidate"])
    z = at.now(trace.state(CONVENTION_GATE, convention=convention))
    hn, a = at.now(trace.terms["reset_hidden"]), at.now(trace.terms["input_candidate"])
    h, h_prev = at.now(trace.hidden), at.before(trace.hidden)
    kept, taken = (z, 1 - z) if convention == "torch" else (1 - z, z)  # shares of h_prev and of n
    values = dict(r=r, z=z, n=n, reset_hidden=hn, input_candidate=a, h_prev=h_prev, h=h)
    return _Numbers(values, dict(n=n, h=h), dict(n=float(np.tanh(a + r * hn)), h=float(taken * n + kept * h_prev)))


def _rnn_numbers(trace: Trace, at: _Position, convention: str) -> _Numbers:
    """h_t = act(a_t), from the recorded preactivation."""
    a = at.now(trace.terms["preactivation"])
    h_new = max(a, 0.0) if trace.nonlinearity == "relu" else float(np.tanh(a))
    h = at.now(trace.hidden)
    return _Numbers(dict(a=a, h=h, h_prev=at.before(trace.hidden)), dict(h=h), dict(h=float(h_new)))


NUMBERS = {"lstm": _lstm_numbers, "gru": _gru_numbers, "rnn": _rnn_numbers}


def _variant(trace: Trace, convention: str) -> str:
    """The key of ``FORMULAS`` and ``FILLED`` for this trace."""
    if trace.cell_type == "gru":
        return f"gru_{convention}"
    return f"rnn_{trace.nonlinearity}" if trace.cell_type == "rnn" else "lstm"


def _render(variant: str, numbers: _Numbers, at: _Position) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(formulas, filled): the general LaTeX of the step's updates and the same with ``numbers``."""
    prev = "t+1" if at.direction == 1 else "t-1"
    fields = {k: _Number(v) for k, v in numbers.values.items()}
    fields.update({f"{k}_new": _Number(v) for k, v in numbers.recomputed.items()})
    # subscripts count tokens from 1, as a reader does: h_0 is the initial state (h_{T+1} going backward)
    steps = dict(t=at.step + 1, tp=at.step + (2 if at.direction == 1 else 0))
    return (
        tuple(line.format(prev=prev) for line in FORMULAS[variant]),
        tuple(line.format(**steps, **fields) for line in FILLED[variant]),
    )


def _position(trace: Trace, step: int, unit: int, layer: int, direction: int) -> _Position:
    """The checked position; the forward direction reads step t-1 before t, the backward one t+1."""
    trace.check_position(layer, direction)
    if not 0 <= step < trace.num_steps:
        raise IndexError(f"step {step} out of range for {trace.num_steps} steps")
    if not 0 <= unit < trace.hidden_size:
        raise IndexError(f"unit {unit} out of range for {trace.hidden_size} units")
    previous = step + 1 if direction == 1 else step - 1
    return _Position(layer, direction, step, unit, previous if 0 <= previous < trace.num_steps else None)


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
    at = _position(trace, step, unit, layer, direction)
    numbers = NUMBERS[trace.cell_type](trace, at, convention)
    formulas, filled = _render(_variant(trace, convention), numbers, at)
    return StepEquation(
        cell_type=trace.cell_type, step=step, unit=unit, token=trace.tokens[step], convention=convention,
        convention_label=text(labels, f"convention_{convention}") if trace.cell_type == "gru" else "",
        values=numbers.values,
        definitions=_definitions(trace.cell_type, "t+1" if direction == 1 else "t-1", convention),
        formulas=formulas,
        filled=filled,
        recorded=numbers.recorded,
        recomputed=numbers.recomputed,
    )


SHOWN_INPUTS = 8  # values of a layer's input written out in its formula; the table below it holds all


class LayerInput(NamedTuple):
    """What layer ``layer`` (counted from 0, at least 1) reads at ``step``: the layer below's hidden state there."""

    layer: int
    step: int
    token: str
    values: np.ndarray  # (D*H,) float64: layer - 1's h at ``step``, the forward direction's units, then backward's
    sources: tuple[tuple[int, int], ...]  # (D*H,) the (direction, unit) of layer - 1 each value comes from
    formula: str  # LaTeX: x_t^{(l+1)} = h_t^{(l)} = [the first SHOWN_INPUTS values, ...]


def layer_input(trace: Trace, *, layer: int, step: int) -> LayerInput:
    """Layer ``layer``'s input ``x_t`` at ``step``: layer ``layer - 1``'s hidden state at the same step, every
    direction joined as torch joins them (forward units first). Layers are written counted from 1.

    ValueError for layer 0 (its input is the token's embedding, not in the trace); IndexError out of range.
    """
    if layer == 0:
        raise ValueError("layer 0 reads the token's embedding, which the trace does not hold")
    trace.check_position(layer, 0)
    if not 0 <= step < trace.num_steps:
        raise IndexError(f"step {step} out of range for {trace.num_steps} steps")
    below = trace.hidden[layer - 1, :, step].astype(np.float64)  # (D, H)
    values = below.reshape(-1)
    sources = tuple((d, u) for d in range(below.shape[0]) for u in range(below.shape[1]))
    shown = ", ".join(f"{v:.4f}" for v in values[:SHOWN_INPUTS]) + (r", \dots" if values.size > SHOWN_INPUTS else "")
    formula = rf"x_{{{step + 1}}}^{{({layer + 1})}} = h_{{{step + 1}}}^{{({layer})}} = [{shown}]"
    return LayerInput(layer, step, trace.tokens[step], values, sources, formula)
