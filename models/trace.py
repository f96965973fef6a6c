"""The Trace: everything one recurrent model computed on one sequence, as read-only numpy arrays.

Axis order, everywhere: ``(layers, directions, steps, units)``. The layer and direction axes are
kept even when they have size 1, so no downstream code branches on them.

Steps are indexed by token position in both directions. For the backward direction (index 1),
the value at step ``t`` is its state after reading token ``t``, coming from the right.

Gate conventions are PyTorch's, because those are the numbers the model computes:

LSTM (``i, f, g, o`` in PyTorch's packed order)::

    i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)        "input"
    f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)        "forget"
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)           "candidate"
    o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)        "output"
    c_t = f_t * c_{t-1} + i_t * g_t                             cell
    h_t = o_t * tanh(c_t)                                       hidden

GRU (``r, z, n``)::

    r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)        "reset"
    z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)        "update"
    n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))   "candidate"
    h_t = (1 - z_t) * n_t + z_t * h_{t-1}                       hidden

  Two traps. First, in PyTorch ``z_t`` is the share of the *old* state that is kept; many
  textbooks write ``h_t = (1 - z_t) h_{t-1} + z_t h~_t``, where their ``z`` is our ``1 - z``.
  The trace stores PyTorch's ``z``; ``Trace.state("update", convention="textbook")`` gives the
  textbook's ``1 - z``, so every view can show one convention and say which. Second, the reset
  gate multiplies ``(W_hn h_{t-1} + b_hn)``, after the matmul and its bias, not ``h_{t-1}``
  before it. That term is kept in ``terms["reset_hidden"]``, and ``W_in x_t + b_in`` in
  ``terms["input_candidate"]``, so the step equation can be shown, and checked, with real numbers.

RNN::

    h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)            act = tanh or relu

  The argument of ``act`` is kept in ``terms["preactivation"]``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

CELL_TYPES = ("rnn", "lstm", "gru")

GATE_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "rnn": (),
        "lstm": ("input", "forget", "candidate", "output"),
        "gru": ("reset", "update", "candidate"),
    }
)
TERM_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"rnn": ("preactivation",), "lstm": (), "gru": ("reset_hidden", "input_candidate")}
)
SIGMOID_GATES = frozenset({"input", "forget", "output", "reset", "update"})
"""Gates squashed by a sigmoid, so their values lie in [0, 1]."""
UNBOUNDED_STATES = frozenset({"cell", "preactivation", "reset_hidden", "input_candidate"})
"""States and terms no squashing function bounds (a ReLU RNN's hidden state is one too)."""
DISPLAY_ORDER: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {  # every gate and state a view shows, top to bottom: sigmoid gates, candidate, states
        "lstm": ("input", "forget", "output", "candidate", "cell", "hidden"),
        "gru": ("update", "reset", "candidate", "hidden"),
        "rnn": ("hidden",),
    }
)

RETAIN_GATE: Mapping[str, str] = MappingProxyType({"lstm": "forget", "gru": "update"})
"""The gate that scales the old state, whose 1 keeps it: the LSTM's forget gate f, the GRU's update gate in
PyTorch's convention (z, the share of the old state kept; the textbook's 1 - z). A vanilla RNN has none."""

GRU_CONVENTIONS = ("textbook", "torch")
"""How the GRU's update gate z is shown.

"torch": PyTorch's z, the share of the old state kept, h_t = (1 - z_t) n_t + z_t h_{t-1}.
"textbook": the teaching material's z, the share of the new candidate taken,
h_t = (1 - z_t) h_{t-1} + z_t n_t; it is 1 - (PyTorch's z).
"""
DEFAULT_CONVENTION = "textbook"
CONVENTION_GATE = "update"  # the one gate whose number depends on the convention


def _root(array: np.ndarray) -> np.ndarray:
    """The array that owns the memory of ``array``: its ``.base`` followed through every numpy view."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _frozen(array: np.ndarray, name: str, ndim: int) -> np.ndarray:
    """A read-only float32 array: the array itself if nothing can change it, else a read-only copy.

    A read-only view of a writable array could still be changed through that array, so the
    owner at the root of the views is checked, not the view's own flag. ``record`` makes its
    buffers read-only at the root, so its arrays are kept without a copy.
    """
    out = np.asarray(array)
    if out.dtype != np.float32 or out.flags.writeable or _root(out).flags.writeable:
        out = np.array(out, dtype=np.float32, copy=True)
    if out.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {out.shape}")
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Trace:
    """One sequence through one recurrent module.

    hidden: (L, D, T, H) hidden state after each step.
    cell:   (L, D, T, H) LSTM cell state, ``None`` for GRU and RNN.
    gates:  name -> (L, D, T, H); names from ``GATE_NAMES[cell_type]``.
    terms:  name -> (L, D, T, H) intermediate terms used by the step equations
            (``TERM_NAMES[cell_type]``).
    tokens: T strings; step numbers as strings when no tokens were given.
    probabilities: (T, C) class probabilities if the model's head were applied after each step,
            or ``None`` for a bare recurrent module.
    labels: C class names, matching the last axis of ``probabilities``.
    """

    cell_type: str
    tokens: tuple[str, ...]
    hidden: np.ndarray = field(repr=False)
    cell: np.ndarray | None = field(default=None, repr=False)
    gates: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    terms: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    nonlinearity: str = "tanh"  # the RNN's activation, "tanh" or "relu"; "tanh" for LSTM and GRU
    probabilities: np.ndarray | None = field(default=None, repr=False)
    labels: tuple[str, ...] = ()  # class names in probability order; for the sentiment models
    #                               ("negative", "positive")

    def __repr__(self) -> str:
        return (f"Trace({self.cell_type}, {self.num_steps} steps, layers={self.num_layers},"
                f" directions={self.num_directions}, units={self.hidden_size}, tokens={self.tokens[:5]!r}...)")

    def __post_init__(self) -> None:
        if self.cell_type not in CELL_TYPES:
            raise ValueError(f"cell_type must be one of {CELL_TYPES}, got {self.cell_type!r}")
        if self.nonlinearity not in ("tanh", "relu") or (self.nonlinearity == "relu" and self.cell_type != "rnn"):
            raise ValueError(f"nonlinearity must be 'tanh', or 'relu' for an RNN, got {self.nonlinearity!r}")
        hidden = _frozen(self.hidden, "hidden", 4)
        shape = hidden.shape
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "tokens", tuple(map(str, self.tokens)))
        if len(self.tokens) != shape[2]:
            raise ValueError(f"{len(self.tokens)} tokens for {shape[2]} steps")
        if (self.cell is None) != (self.cell_type != "lstm"):
            raise ValueError("cell is required for an LSTM and must be None otherwise")
        if self.cell is not None:
            object.__setattr__(self, "cell", _frozen(self.cell, "cell", 4))
        for attr, names in (("gates", GATE_NAMES), ("terms", TERM_NAMES)):
            given = dict(getattr(self, attr))
            if set(given) != set(names[self.cell_type]):
                raise ValueError(
                    f"{self.cell_type} {attr} must be {names[self.cell_type]}, got {tuple(given)}"
                )
            frozen = {k: _frozen(given[k], f"{attr}[{k!r}]", 4) for k in names[self.cell_type]}
            if any(a.shape != shape for a in frozen.values()):
                raise ValueError(f"every array in {attr} must have the shape of hidden, {shape}")
            object.__setattr__(self, attr, MappingProxyType(frozen))
        if self.cell is not None and self.cell.shape != shape:
            raise ValueError(f"cell must have the shape of hidden, {shape}")
        if self.probabilities is not None:
            probs = _frozen(self.probabilities, "probabilities", 2)
            if probs.shape[0] != shape[2] or probs.shape[1] != len(self.labels):
                raise ValueError(
                    f"probabilities must be (steps, labels) = ({shape[2]}, {len(self.labels)}),"
                    f" got {probs.shape}"
                )
            object.__setattr__(self, "probabilities", probs)
        object.__setattr__(self, "labels", tuple(self.labels))

    @property
    def num_layers(self) -> int:
        return self.hidden.shape[0]

    @property
    def num_directions(self) -> int:
        return self.hidden.shape[1]

    @property
    def num_steps(self) -> int:
        return self.hidden.shape[2]

    @property
    def hidden_size(self) -> int:
        return self.hidden.shape[3]

    def state(self, name: str, *, convention: str = "torch") -> np.ndarray:
        """The (L, D, T, H) array of a gate, term, ``cell`` or ``hidden``; KeyError if this cell has none.

        ``convention`` ("torch" or "textbook", see ``GRU_CONVENTIONS``) changes only the GRU's
        update gate: "textbook" gives ``1 - z``, read-only like the rest.
        """
        if convention not in GRU_CONVENTIONS:
            raise ValueError(f"convention must be one of {GRU_CONVENTIONS}, got {convention!r}")
        if name in self.gates:
            values = self.gates[name]
            if convention == "textbook" and self.cell_type == "gru" and name == CONVENTION_GATE:
                values = 1.0 - values  # float32, like the gate
                values.setflags(write=False)
            return values
        if name in self.terms:
            return self.terms[name]
        if name == "cell" and self.cell is not None:
            return self.cell
        if name == "hidden":
            return self.hidden
        raise KeyError(f"a {self.cell_type} trace has no {name!r}")

    def has_state(self, name: str) -> bool:
        """Whether ``state(name)`` exists for this cell type."""
        try:
            self.state(name)
        except KeyError:
            return False
        return True

    def state_kind(self, name: str) -> str:
        """'gate' (sigmoid, [0, 1]), 'tanh' ([-1, 1]) or 'unbounded' (cell, terms, a ReLU RNN's hidden)."""
        if name in SIGMOID_GATES:
            return "gate"
        if name in UNBOUNDED_STATES or (name == "hidden" and self.nonlinearity == "relu"):
            return "unbounded"
        return "tanh"

    def check_position(self, layer: int, direction: int) -> None:
        """Raise IndexError for a layer or direction this trace does not have."""
        if not 0 <= layer < self.num_layers:
            raise IndexError(f"layer {layer} out of range for {self.num_layers} layers")
        if not 0 <= direction < self.num_directions:
            raise IndexError(f"direction {direction} out of range for {self.num_directions} directions")

    def states(self) -> dict[str, np.ndarray]:
        """Every recorded vector by name: the gates, then ``cell`` (LSTM) and ``hidden``."""
        out = dict(self.gates)
        if self.cell is not None:
            out["cell"] = self.cell
        out["hidden"] = self.hidden
        return out

    def with_probabilities(self, probabilities: np.ndarray, labels: tuple[str, ...]) -> Trace:
        """A copy carrying per-step class probabilities, (T, C)."""
        return dataclasses.replace(self, probabilities=probabilities, labels=tuple(labels))


def trace_from_arrays(
    cell_type: str, tokens: Sequence[str], arrays: Mapping[str, np.ndarray], *, nonlinearity: str = "tanh",
    probabilities: np.ndarray | None = None, labels: Sequence[str] = (),
) -> Trace:
    """A Trace from its arrays by name, each (L, D, T, H): ``hidden``, ``cell`` (LSTM), every gate and term.

    Names the cell type does not have (a GRU's missing ``cell``) are simply absent; extra names are ignored.
    """
    return Trace(
        cell_type=cell_type,
        tokens=tuple(tokens),
        hidden=arrays["hidden"],
        cell=arrays.get("cell"),
        gates={k: arrays[k] for k in GATE_NAMES[cell_type]},
        terms={k: arrays[k] for k in TERM_NAMES[cell_type]},
        nonlinearity=nonlinearity,
        probabilities=probabilities,
        labels=tuple(labels),
    )


def _previous(states: np.ndarray) -> np.ndarray:
    """The state each step starts from, (L, D, T, H): step t-1 forward, t+1 backward, 0 at the ends."""
    prev = np.zeros_like(states, dtype=np.float64)
    prev[:, 0, 1:] = states[:, 0, :-1]
    if states.shape[1] == 2:
        prev[:, 1, :-1] = states[:, 1, 1:]
    return prev


def hidden_from_gates(trace: Trace) -> np.ndarray:
    """Every hidden state recomputed from the recorded gates alone, (L, D, T, H) float64.

    LSTM: c_t = f_t c_{t-1} + i_t g_t (from the recorded f, i, g and the previous recorded cell),
    then h_t = o_t tanh(c_t). GRU: n_t = tanh(input_candidate + r_t * reset_hidden), then
    h_t = (1 - z_t) n_t + z_t h_{t-1}. RNN: act(preactivation). Comparing this with the module's
    own output checks the gates, not only the hidden states copied from the fused kernel.
    """
    g = {k: v.astype(np.float64) for k, v in {**trace.gates, **trace.terms}.items()}
    if trace.cell_type == "lstm":
        cell = g["forget"] * _previous(trace.cell) + g["input"] * g["candidate"]
        return g["output"] * np.tanh(cell)
    if trace.cell_type == "gru":
        candidate = np.tanh(g["input_candidate"] + g["reset"] * g["reset_hidden"])
        return (1 - g["update"]) * candidate + g["update"] * _previous(trace.hidden)
    pre = g["preactivation"]
    return np.maximum(pre, 0.0) if trace.nonlinearity == "relu" else np.tanh(pre)
