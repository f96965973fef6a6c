"""Interventions: the real cell equations, stepped with edits to a gate or state, giving a new Trace.

    from models.asking.intervene import Edit, edited_trace
    never_forget = Edit("forget", range(5, 10), set=1.0)        # f_t := 1 for t in [5, 9]
    trace = edited_trace(classifier, ids, [never_forget], tokens=tokens)

The cell is stepped by ``models.cells``, the one definition of each step, in PyTorch's own order
with the module's own parameters (the equations are in ``models.trace``): LSTM ``i, f, g, o`` (the
row blocks of ``weight_ih``, as ``chunk(4)`` splits them); GRU ``r, z, n`` with
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``; RNN tanh or relu. Each edit is applied inside
the step, right after the edited quantity is computed, so everything computed from it later in
that step and at every later step carries the consequence:

    LSTM: i -> f -> g -> o -> c = f c_prev + i g -> h = o tanh(c)
    GRU:  r -> z -> n = tanh(x_n + r * (W_hn h_prev + b_hn)) -> h = (1 - z) n + z h_prev
    RNN:  h = act(W_ih x + b_ih + W_hh h_prev + b_hh)

The recorded terms (GRU ``reset_hidden``, ``input_candidate``; RNN ``preactivation``) are never
edited; they are what the step computed from the (possibly edited) previous state. With no edits
the result is the recorder's trace to float32 rounding (the tests hold it to 1e-6).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from functools import partial
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from models.cells import CellWeights, cell_type_of, cell_weights, input_part, keep, step_from, zero_state
from models.classifier import PREFIX_LIMIT
from models.trace import GATE_NAMES, GRU_CONVENTIONS, SIGMOID_GATES, Trace, trace_from_arrays

TARGETS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "lstm": (*GATE_NAMES["lstm"], "cell", "hidden"),
        "gru": (*GATE_NAMES["gru"], "hidden"),
        "rnn": ("hidden",),
    }
)
"""What an edit can change, per cell type, in the order a step computes it."""
ALL_UNITS = "all"
TANH_GATES = frozenset({"candidate"})
"""Gates squashed by tanh: a value set there must lie in [-1, 1] (sigmoid gates: [0, 1])."""

def value_range(target: str) -> tuple[float, float] | None:
    """The range a value set on ``target`` must lie in: [0, 1] on a sigmoid gate, [-1, 1] on the
    candidate; None for a state (free)."""
    if target in SIGMOID_GATES:
        return (0.0, 1.0)
    return (-1.0, 1.0) if target in TANH_GATES else None


Adjust = Callable[[int, str, torch.Tensor], torch.Tensor]  # (step, quantity name, value (H,)) -> value (H,)


def _as_value(value, name: str) -> float | tuple:
    """A scalar as float, an array (up to 2 axes) as nested tuples, so that an Edit stays hashable."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 2 or arr.size == 0:
        raise ValueError(
            f"{name} must be a number, one value per unit, or (steps, units) values; got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    if arr.ndim == 0:
        return float(arr)
    return tuple(tuple(row) for row in arr.tolist()) if arr.ndim == 2 else tuple(arr.tolist())


@dataclass(frozen=True)
class Edit:
    """Set or scale one gate or state over some steps and units.

    target: a name from ``TARGETS[cell_type]``: LSTM input, forget, candidate, output, cell, hidden;
        GRU reset, update, candidate, hidden; RNN hidden.
    steps: token indices (a range or a list, 0-based, no repeats). In a backward direction, too,
        step t is the state after reading token t.
    units: ``"all"`` or a list of unit indices.
    set / scale: exactly one. A number, one value per unit, or a (len(steps), units) array of
        values (rows follow the order of ``steps``). ``set`` replaces the value; ``scale``
        multiplies it. A value set on a sigmoid gate must lie in [0, 1], on the candidate in
        [-1, 1]; states are free. Scaling is not clipped: it can take a gate beyond its range.
    convention: only for the GRU's "update" gate, which means opposite things in two books.
        "torch" (default): the number is PyTorch's z, the share of the *old* state kept,
        ``h = (1 - z) n + z h_prev``; z = 1 freezes the state. "textbook": the number is 1 - z,
        the share of the *new* candidate, ``h = (1 - u) h_prev + u n`` with u = 1 - z; u = 0
        freezes the state. It is applied in torch's z: set u gives z = 1 - u, and scale s of u
        gives z = 1 - s (1 - z). The trace always stores torch's z. The names are
        ``models.trace.GRU_CONVENTIONS``, as everywhere.
    layer, direction: which recurrent layer and direction (0 forward, 1 backward).
    """

    target: str
    steps: Sequence[int]
    _: KW_ONLY
    units: str | Sequence[int] = ALL_UNITS
    set: float | Sequence | None = None
    scale: float | Sequence | None = None
    convention: str = "torch"
    layer: int = 0
    direction: int = 0

    def __post_init__(self) -> None:
        known = sorted({t for names in TARGETS.values() for t in names})
        if self.target not in known:
            raise ValueError(f"unknown edit target {self.target!r}; targets are {known}")
        steps = tuple(int(s) for s in self.steps)
        if not steps:
            raise ValueError("an edit needs at least one step (the range is empty)")
        if min(steps) < 0:
            raise ValueError(f"steps are token indices from 0, got {min(steps)}")
        if len(frozenset(steps)) != len(steps):
            raise ValueError(f"steps repeat: {list(steps)}")
        object.__setattr__(self, "steps", steps)
        if isinstance(self.units, str):
            if self.units != ALL_UNITS:
                raise ValueError(f"units must be {ALL_UNITS!r} or a list of unit indices, got {self.units!r}")
        else:
            units = tuple(int(u) for u in self.units)
            if not units:
                raise ValueError("an edit needs at least one unit (the list is empty)")
            if min(units) < 0 or len(frozenset(units)) != len(units):
                raise ValueError(f"units must be distinct indices from 0, got {list(units)}")
            object.__setattr__(self, "units", units)
        if (self.set is None) == (self.scale is None):
            raise ValueError("give exactly one of set= (a value) or scale= (a factor)")
        if self.convention not in GRU_CONVENTIONS:
            raise ValueError(f"convention must be one of {GRU_CONVENTIONS}, got {self.convention!r}")
        if self.convention != "torch" and self.target != "update":
            raise ValueError("convention= is for the GRU's update gate only")
        if self.layer < 0 or self.direction not in (0, 1):
            raise ValueError(f"layer must be >= 0 and direction 0 or 1, got {self.layer}, {self.direction}")
        if self.set is not None:
            value = _as_value(self.set, "set")
            bounds = value_range(self.target)
            if bounds and not np.all((np.asarray(value) >= bounds[0]) & (np.asarray(value) <= bounds[1])):
                raise ValueError(f"a {self.target} value must lie in [{bounds[0]:g}, {bounds[1]:g}], got {self.set!r}")
            object.__setattr__(self, "set", value)
        else:
            object.__setattr__(self, "scale", _as_value(self.scale, "scale"))

    def affine(self, num_units: int) -> tuple[np.ndarray, np.ndarray, list[int] | slice]:
        """(a, b) with ``new = a * old + b`` in torch's convention, each (len(steps), n), and the units.

        n is the number of edited units. Raises ValueError if a value array does not fit.
        """
        units = slice(None) if self.units == ALL_UNITS else list(self.units)
        n = num_units if self.units == ALL_UNITS else len(self.units)
        shape = (len(self.steps), n)
        value = np.asarray(self.set if self.set is not None else self.scale, dtype=np.float64)
        try:
            value = np.broadcast_to(value, shape)
        except ValueError:
            raise ValueError(
                f"the {'set' if self.set is not None else 'scale'} values have shape {value.shape}, which does not"
                f" fit {len(self.steps)} steps x {n} units"
            ) from None
        textbook = self.convention == "textbook"
        if self.set is not None:  # new = 0 * old + v  (textbook u = v: z = 1 - v)
            return np.zeros(shape), (1.0 - value if textbook else value.copy()), units
        # new = s * old  (textbook: 1 - z' = s (1 - z), so z' = s z + (1 - s))
        return value.copy(), (1.0 - value if textbook else np.zeros(shape)), units


def _check_edits(edits: Iterable[Edit], cell_type: str, layers: int, dirs: int, steps: int, hs: int) -> list[Edit]:
    out = [edits] if isinstance(edits, Edit) else list(edits)  # one Edit alone is fine too
    for edit in out:
        if not isinstance(edit, Edit):
            raise TypeError(f"edits must be Edit objects, got {type(edit).__name__}")
        if edit.target not in TARGETS[cell_type]:
            raise ValueError(f"a {cell_type.upper()} has no {edit.target!r}; it has {', '.join(TARGETS[cell_type])}")
        outside = [s for s in edit.steps if s >= steps]
        if outside:
            raise ValueError(f"step {outside[0]} is outside the sequence of {steps} tokens (steps 0..{steps - 1})")
        if edit.units != ALL_UNITS and max(edit.units) >= hs:
            raise ValueError(f"unit {max(edit.units)} does not exist: the layer has {hs} units (0..{hs - 1})")
        if edit.layer >= layers or edit.direction >= dirs:
            raise ValueError(
                f"layer {edit.layer}, direction {edit.direction} does not exist: the module has {layers} layer(s)"
                f" and {dirs} direction(s)"
            )
    return out


def _plan(edits: list[Edit], hs: int, dtype: torch.dtype) -> dict[tuple, tuple[torch.Tensor, torch.Tensor]]:
    """(layer, direction, step, target) -> (a, b), each (H,): the step's value becomes a * value + b.

    Several edits of one quantity at one step compose in list order: a2 (a1 x + b1) + b2.
    """
    plan: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    for edit in edits:
        a_rows, b_rows, units = edit.affine(hs)
        for row, step in enumerate(edit.steps):
            key = (edit.layer, edit.direction, step, edit.target)
            a, b = plan.get(key, (np.ones(hs), np.zeros(hs)))
            a, b = a.copy(), b.copy()
            a[units] *= a_rows[row]
            b[units] = b[units] * a_rows[row] + b_rows[row]
            plan[key] = (a, b)
    return {k: (torch.tensor(a, dtype=dtype), torch.tensor(b, dtype=dtype)) for k, (a, b) in plan.items()}


def _direction(x: torch.Tensor, w: CellWeights, reverse: bool, adjust: Adjust | None) -> dict[str, torch.Tensor]:
    """One direction over x (T, F) by ``models.cells``' step: every quantity of the step, name -> (T, H).

    ``adjust(step, name, value)``, or None to keep every value, is passed into each step.
    """
    steps = len(x)
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    state = zero_state(w, x[0])
    xw = input_part(x, w)  # (T, G*H), one matmul for every step, as torch's layers do
    found: list = [None] * steps
    for t in order:
        step_adjust = keep if adjust is None else partial(adjust, t)
        found[t] = step_from(xw[t], state, w, step_adjust)
        state = found[t].state
    return {name: torch.stack([s[k] for s in found]) for k, name in enumerate(found[0]._fields)}


LayerAdjust = Callable[[int, int, int, str, torch.Tensor], torch.Tensor]  # (layer, direction, step, name, value)


def run_cell(module: nn.RNNBase, x: torch.Tensor, adjust: LayerAdjust | None = None) -> dict[str, torch.Tensor]:
    """Step ``module``'s cell over one sequence x (T, F): every quantity, name -> (L, D, T, H) tensor.

    Layer l > 0 reads layer l - 1's hidden states (both halves joined, forward first), as torch's layers do.
    ``adjust(layer, direction, step, name, value)`` returns the value to carry on with, called right
    after each gate or state is computed (see the module docstring for the order); None keeps all. An
    edited hidden state of layer l is what layer l + 1 reads. In the backward direction (1) ``step`` is the
    token index, as everywhere: its state at step t is the one after reading token t from the right.
    Runs in the caller's grad mode, so it serves autograd too. Dropout between layers is off.
    """
    cell_type_of(module)
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTMs with proj_size > 0 are not supported")
    inp = x.to(module.weight_ih_l0.dtype)
    per_layer = []
    for layer in range(module.num_layers):
        per_dir = [
            _direction(inp, cell_weights(module, layer, d), d == 1,
                       None if adjust is None else partial(adjust, layer, d))
            for d in range(2 if module.bidirectional else 1)
        ]
        per_layer.append(per_dir)
        inp = torch.cat([found["hidden"] for found in per_dir], dim=1)  # (T, D*H), the next layer's input
    return {k: torch.stack([torch.stack([pd[k] for pd in pl]) for pl in per_layer]) for k in per_layer[0][0]}


def _prefix_direction(x: torch.Tensor, w: CellWeights, reverse: bool, adjust: Adjust | None, ends: torch.Tensor,
                      final: bool, same_rows: bool) -> torch.Tensor:
    """One direction over a batch of prefixes x (B, T, F), row b cut after token ``ends[b] = b``: the hidden states
    (B, T, H), or with ``final`` only each row's last one (B, H): forward after token b, backward after token 0.

    Only hidden states are kept (a batch of T prefixes of T steps is large). A forward run never reads past its
    own prefix's end, so where every row holds the same inputs (``same_rows``: layer 0, the tokens) it is
    stepped once and shared by every row.
    """
    if not reverse and same_rows:
        hidden = _direction(x[-1], w, False, adjust)["hidden"]  # (T, H): row b's state after token t <= b
        return hidden if final else hidden.expand(len(x), *hidden.shape)
    steps = x.shape[-2]
    state = zero_state(w, x[:, 0, :])
    xw = input_part(x, w)  # (B, T, G*H)
    found: list = [None] * steps
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        step = step_from(xw[:, t, :], state, w, keep if adjust is None else partial(adjust, t))
        if reverse:  # rows whose prefix holds token t step on; the others stay at the zero state
            inside = (ends >= t).unsqueeze(-1)  # (B, 1)
            state = tuple(torch.where(inside, new, old) for new, old in zip(step.state, state))
        else:  # past a row's end its values are never read
            state = step.state
        found[t] = state[0]
    if not final:
        return torch.stack(found, dim=1)  # (B, T, H)
    return state[0] if reverse else torch.stack(found, dim=1)[ends, ends]


def prefix_logits(classifier: nn.Module, x: torch.Tensor, adjust: LayerAdjust | None = None,
                  limit: int = PREFIX_LIMIT) -> torch.Tensor:
    """(T, C) for a bidirectional classifier on one sequence x (T, F) of embeddings, stepped with ``adjust``: row
    t is its answer had the text ended after token t (one batched stepped run of every prefix, O(T^2)), as
    ``RecurrentClassifier.prefix_logits`` gives it unedited. Rows from ``limit`` on, except the last, are NaN."""
    module, steps = classifier.rnn, len(x)
    shown = min(steps, limit)
    ends = torch.arange(shown)
    inp = x[:shown].to(module.weight_ih_l0.dtype).expand(shown, shown, x.shape[-1])  # row b: tokens 0..b count
    for layer in range(module.num_layers):
        top = layer == module.num_layers - 1
        halves = [_prefix_direction(inp, cell_weights(module, layer, d), d == 1,
                                    None if adjust is None else partial(adjust, layer, d), ends, top, layer == 0)
                  for d in range(2)]
        inp = torch.cat(halves, dim=-1)  # (B, T, 2H), the next layer's input; (B, 2H) after the top layer
    out = torch.full((steps, classifier.config.num_classes), float("nan"))
    out[:shown] = head_logits(classifier, inp)
    if steps > shown:
        whole = run_cell(module, x, adjust)["hidden"][-1]  # (D, T, H)
        out[-1] = head_logits(classifier, torch.cat([whole[0, -1], whole[1, 0]]))
    return out


def head_logits(classifier: nn.Module, hidden: torch.Tensor) -> torch.Tensor:
    """(..., H) -> (..., C) through the classifier's head: its ``logits`` method if it has one."""
    logits = getattr(classifier, "logits", None)
    return logits(hidden) if callable(logits) else classifier.head(hidden)


def _sequence(model: nn.Module, inputs: torch.Tensor) -> tuple[nn.RNNBase, torch.Tensor, nn.Module | None]:
    """(recurrent module, x (T, F), classifier or None) from a classifier and ids, or a module and inputs."""
    classifier = None if isinstance(model, nn.RNNBase) else model
    module = model if classifier is None else classifier.rnn
    inputs = torch.as_tensor(inputs)
    if classifier is not None and not inputs.is_floating_point():
        ids = inputs.reshape(-1) if inputs.dim() == 2 and inputs.shape[0] == 1 else inputs
        if ids.dim() != 1:
            raise ValueError(f"give the token ids of one sequence, (T,) or (1, T); got shape {tuple(inputs.shape)}")
        return module, classifier.embedding(ids), classifier
    x = inputs
    if x.dim() == 3:
        if x.shape[0 if module.batch_first else 1] != 1:
            raise ValueError(f"one sequence at a time: got a batch of shape {tuple(inputs.shape)}")
        x = x[0] if module.batch_first else x[:, 0]
    if x.dim() != 2 or x.shape[-1] != module.input_size:
        raise ValueError(f"inputs must be (T, {module.input_size}) for one sequence, got {tuple(inputs.shape)}")
    return module, x, classifier


def edited_answer(classifier: nn.Module, ids: torch.Tensor, edits: Iterable[Edit] = ()) -> np.ndarray:
    """(C,) a classifier's class probabilities on the whole text, stepped with ``edits``: one run, no prefixes.

    The last row of ``edited_trace(...).probabilities``, without the per-prefix runs a bidirectional model's
    other rows cost. ids (T,) or (1, T).
    """
    with torch.inference_mode():
        module, x, _ = _sequence(classifier, ids)
        plan = _plan(_check_edits(edits, cell_type_of(module), module.num_layers, 2 if module.bidirectional else 1,
                                  len(x), module.hidden_size), module.hidden_size, module.weight_ih_l0.dtype)
        top = run_cell(module, x, _adjust(plan) if plan else None)["hidden"][-1]  # (D, T, H)
        final = torch.cat([top[0, -1], top[1, 0]]) if module.bidirectional else top[0, -1]
        return torch.softmax(head_logits(classifier, final), dim=-1).numpy()


def _adjust(plan: dict[tuple, tuple[torch.Tensor, torch.Tensor]]) -> LayerAdjust:
    """The ``run_cell`` hook that applies a ``_plan``: value -> a * value + b where the plan has an entry."""

    def adjust(layer: int, direction: int, step: int, name: str, value: torch.Tensor) -> torch.Tensor:
        found = plan.get((layer, direction, step, name))
        return value if found is None else torch.addcmul(found[1], value, found[0])  # a * value + b

    return adjust


def edited_trace(
    model: nn.Module, inputs: torch.Tensor, edits: Iterable[Edit] = (), *, tokens: Sequence[str] | None = None,
) -> Trace:
    """The Trace of one sequence with ``edits`` applied inside the steps, and all their consequences.

    model: a ``RecurrentClassifier`` (anything with ``embedding``, ``rnn`` and ``head``) or a bare
        nn.RNN/LSTM/GRU (any layers and directions; not an LSTM with proj_size).
    inputs: token ids (T,) or (1, T) for a classifier; embeddings (T, F), or one sequence in the
        module's batch layout, for either.
    tokens: T strings for the trace; step numbers when omitted.
    A classifier's trace carries per-step probabilities from its head on the (edited) top layer's
    hidden state; for a bidirectional one, its answer on each (edited) prefix (``prefix_logits``: first
    ``PREFIX_LIMIT`` tokens, NaN after them but the last row, the whole text).
    Raises ValueError for an edit the sequence or the cell cannot take.
    """
    with torch.inference_mode():
        module, x, classifier = _sequence(model, inputs)
        cell_type = cell_type_of(module)
        steps, hs = len(x), module.hidden_size
        if steps == 0:
            raise ValueError("nothing to run: the sequence is empty")
        names = tuple(map(str, range(steps))) if tokens is None else tuple(tokens)
        if len(names) != steps:
            raise ValueError(f"{len(names)} tokens for {steps} steps")
        dirs = 2 if module.bidirectional else 1
        plan = _plan(_check_edits(edits, cell_type, module.num_layers, dirs, steps, hs), hs, module.weight_ih_l0.dtype)

        adjust = _adjust(plan)
        arrays = run_cell(module, x, adjust if plan else None)
        probabilities = labels = None
        if classifier is not None:
            if module.bidirectional:  # what it would say had the text ended at t: a stepped run of each prefix
                logits = prefix_logits(classifier, x, adjust if plan else None)
            else:
                logits = head_logits(classifier, arrays["hidden"][-1, 0])
            probabilities = torch.softmax(logits, dim=-1).numpy()
            labels = tuple(classifier.config.labels)
        numpy = {k: v.numpy() for k, v in arrays.items()}
    return trace_from_arrays(cell_type, names, numpy, nonlinearity=getattr(module, "nonlinearity", "tanh"),
                             probabilities=probabilities, labels=labels or ())
