"""One step of each recurrent cell, written once: what torch's nn.RNN, nn.LSTM and nn.GRU compute per step.

A step (``cell_step``) is a function of ``x_t``, the previous state and one layer-direction's
weights (``CellWeights``, fetched by ``cell_weights``), returning every gate, term and the new state
in torch's order (the equations are in ``models.trace``):

- LSTM ``i, f, g, o``, the row blocks of ``weight_ih`` as ``chunk(4)`` splits them;
- GRU ``r, z, n``, with ``b_hn`` inside ``r * (W_hn h + b_hn)``;
- RNN ``act(W_ih x + b_ih + W_hh h + b_hh)``, act tanh or relu.

The cell is separate from the loop over time (the pattern of PyTorch's
``benchmarks/fastrnns/custom_lstms.py``): ``models.asking.intervene`` steps it with edits, and
``models.asking.gradients`` differentiates it; the recorder's fast batched path (``models.record``) is held
to it by the tests. Every step takes ``x_t`` (..., F) and states (..., H) with any leading batch
axes, and runs in the caller's grad mode. As in torch's own layers, the input part ``W_ih x_t + b_ih``
can be computed for all steps in one matmul first (``input_part``) and each step taken from it
(``step_from``); the equations of the step are written once, in the ``*_step_from`` functions.

An ``adjust(name, value)`` hook, called right after each quantity is computed, returns the value
the step carries on with: an edit applied there reaches everything computed from it later in the
step. The recorded terms (GRU ``reset_hidden``, ``input_candidate``; RNN ``preactivation``) are
never passed to it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

Adjust = Callable[[str, torch.Tensor], torch.Tensor]  # (quantity name, value (..., H)) -> value (..., H)


def keep(name: str, value: torch.Tensor) -> torch.Tensor:
    """The ``adjust`` that changes nothing."""
    return value


@dataclass(frozen=True)
class CellWeights:
    """The parameters of one layer and direction of a recurrent module, as the module holds them.

    Rows are in torch's gate order, G blocks of H rows (G = 4 LSTM, 3 GRU, 1 RNN). The tensors are
    the module's own (no copies), so autograd reaches them and a trained module's numbers are used.
    """

    cell_type: str  # "rnn", "lstm" or "gru"
    w_ih: torch.Tensor  # (G*H, F) weight_ih_l{k}[_reverse]
    w_hh: torch.Tensor  # (G*H, H) weight_hh_l{k}[_reverse]
    b_ih: torch.Tensor | None  # (G*H,) bias_ih_l{k}[_reverse]; None for a module built with bias=False
    b_hh: torch.Tensor | None  # (G*H,) bias_hh_l{k}[_reverse]; None likewise
    nonlinearity: str = "tanh"  # an RNN's activation, "tanh" or "relu"; "tanh" for LSTM and GRU

    @property
    def hidden_size(self) -> int:
        return self.w_hh.shape[1]

    def tensors(self) -> tuple[torch.Tensor, ...]:
        """The parameters in torch's flat order (w_ih, w_hh[, b_ih, b_hh]), as its fused kernels take them."""
        if self.b_ih is None:
            return (self.w_ih, self.w_hh)
        return (self.w_ih, self.w_hh, self.b_ih, self.b_hh)


def cell_type_of(module: nn.Module) -> str:
    """'lstm', 'gru' or 'rnn' for a torch recurrent module."""
    if isinstance(module, nn.LSTM):
        return "lstm"
    if isinstance(module, nn.GRU):
        return "gru"
    if isinstance(module, nn.RNN):
        return "rnn"
    raise TypeError(f"record() takes nn.RNN, nn.LSTM or nn.GRU, got {type(module).__name__}")


def cell_weights(module: nn.RNNBase, layer: int, direction: int) -> CellWeights:
    """The weights of ``layer`` (from 0) and ``direction`` (0 forward, 1 backward) of an nn.RNN/LSTM/GRU."""
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    biases = (getattr(module, "bias_ih" + suffix), getattr(module, "bias_hh" + suffix)) if module.bias else (None, None)
    return CellWeights(
        cell_type_of(module), getattr(module, "weight_ih" + suffix), getattr(module, "weight_hh" + suffix), *biases,
        nonlinearity=getattr(module, "nonlinearity", "tanh"),
    )


class LSTMStep(NamedTuple):
    """One LSTM step, (..., H) each: the gates in torch's order, then the new state."""

    input: torch.Tensor  # i_t = sigmoid(.)
    forget: torch.Tensor  # f_t = sigmoid(.)
    candidate: torch.Tensor  # g_t = tanh(.)
    output: torch.Tensor  # o_t = sigmoid(.)
    cell: torch.Tensor  # c_t = f_t c_{t-1} + i_t g_t
    hidden: torch.Tensor  # h_t = o_t tanh(c_t)

    @property
    def state(self) -> tuple[torch.Tensor, torch.Tensor]:
        return (self.hidden, self.cell)


class GRUStep(NamedTuple):
    """One GRU step, (..., H) each: the gates in torch's order, the two recorded terms, the new state."""

    reset: torch.Tensor  # r_t = sigmoid(.)
    update: torch.Tensor  # z_t = sigmoid(.), PyTorch's: the share of the old state kept
    candidate: torch.Tensor  # n_t = tanh(input_candidate + r_t * reset_hidden)
    reset_hidden: torch.Tensor  # W_hn h_{t-1} + b_hn
    input_candidate: torch.Tensor  # W_in x_t + b_in
    hidden: torch.Tensor  # h_t = (1 - z_t) n_t + z_t h_{t-1}

    @property
    def state(self) -> tuple[torch.Tensor]:
        return (self.hidden,)


class RNNStep(NamedTuple):
    """One vanilla RNN step, (..., H) each."""

    preactivation: torch.Tensor  # W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    hidden: torch.Tensor  # h_t = act(preactivation)

    @property
    def state(self) -> tuple[torch.Tensor]:
        return (self.hidden,)


Step = LSTMStep | GRUStep | RNNStep


def input_part(x: torch.Tensor, w: CellWeights) -> torch.Tensor:
    """W_ih x_t + b_ih for every gate, (..., G*H) from x (..., F): the part of a step that reads only the input.

    It can be computed for every step at once (one matmul over (T, F), as torch's own layers do) and
    handed to ``step_from``; ``cell_step`` computes it for one step.
    """
    return F.linear(x, w.w_ih, w.b_ih)


def lstm_step_from(xw: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor], w: CellWeights,
                   adjust: Adjust = keep) -> LSTMStep:
    """One LSTM step from the input part xw (..., 4H) and state (h_{t-1}, c_{t-1}), each (..., H)."""
    h, c = state
    i, f, g, o = (F.linear(h, w.w_hh, w.b_hh) + xw).chunk(4, dim=-1)
    i = adjust("input", torch.sigmoid(i))
    f = adjust("forget", torch.sigmoid(f))
    g = adjust("candidate", torch.tanh(g))
    o = adjust("output", torch.sigmoid(o))
    c = adjust("cell", f * c + i * g)
    return LSTMStep(i, f, g, o, c, adjust("hidden", o * torch.tanh(c)))


def gru_step_from(xw: torch.Tensor, state: tuple[torch.Tensor], w: CellWeights, adjust: Adjust = keep) -> GRUStep:
    """One GRU step from the input part xw (..., 3H) and state (h_{t-1},), (..., H)."""
    (h,) = state
    x_r, x_z, x_n = xw.chunk(3, dim=-1)  # x_n = W_in x_t + b_in
    h_r, h_z, h_n = F.linear(h, w.w_hh, w.b_hh).chunk(3, dim=-1)  # h_n = W_hn h_{t-1} + b_hn
    r = adjust("reset", torch.sigmoid(x_r + h_r))
    z = adjust("update", torch.sigmoid(x_z + h_z))
    n = adjust("candidate", torch.tanh(x_n + r * h_n))
    return GRUStep(r, z, n, h_n, x_n, adjust("hidden", (1 - z) * n + z * h))


def rnn_step_from(xw: torch.Tensor, state: tuple[torch.Tensor], w: CellWeights, adjust: Adjust = keep) -> RNNStep:
    """One vanilla RNN step from the input part xw (..., H) and state (h_{t-1},), (..., H)."""
    (h,) = state
    pre = F.linear(h, w.w_hh, w.b_hh) + xw
    act = torch.relu(pre) if w.nonlinearity == "relu" else torch.tanh(pre)
    return RNNStep(pre, adjust("hidden", act))


STEPS: dict[str, Callable[..., Step]] = {"lstm": lstm_step_from, "gru": gru_step_from, "rnn": rnn_step_from}
"""The step of each cell type (every one of ``models.trace.CELL_TYPES``), from the input part."""


def step_from(xw: torch.Tensor, state: tuple[torch.Tensor, ...], w: CellWeights, adjust: Adjust = keep) -> Step:
    """One step of ``w``'s cell from the input part ``input_part(x_t, w)`` (..., G*H) and the state."""
    return STEPS[w.cell_type](xw, state, w, adjust)


def cell_step(x: torch.Tensor, state: tuple[torch.Tensor, ...], w: CellWeights, adjust: Adjust = keep) -> Step:
    """One step of ``w``'s cell from x_t (..., F) and the state: every gate and term, and the new state.

    state: (h_{t-1},), or (h_{t-1}, c_{t-1}) for an LSTM, each (..., H); the result's ``.state`` is
    the next one.
    """
    return step_from(input_part(x, w), state, w, adjust)


def zero_state(w: CellWeights, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The initial state, as ``module(x)`` starts: zeros (..., H) with ``like``'s leading axes and dtype.

    ``like`` is an input x_t (..., F); the state is (h,) or, for an LSTM, (h, c).
    """
    h = like.new_zeros(*like.shape[:-1], w.hidden_size)
    return (h, torch.zeros_like(h)) if w.cell_type == "lstm" else (h,)
