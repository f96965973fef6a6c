"""The one step of each cell (models.cells): parity with torch's own cells, and the recorder held to it."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

import models.cells as cells
from models.asking.gradients import _chain_back, _first_rows, _oriented, step_jacobians
from models.asking.intervene import run_cell
from models.cells import GRUStep, LSTMStep, RNNStep, cell_step, cell_weights, zero_state
from models.record import record
from models.trace import CELL_TYPES, GATE_NAMES, TERM_NAMES

TOL = 1e-5
IN, HID = 5, 6
LENGTHS = [7, 4, 1]
KINDS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_stepwise", "gru"]
NATIVE = {"lstm": nn.LSTMCell, "gru": nn.GRUCell, "rnn_tanh": nn.RNNCell, "rnn_relu": nn.RNNCell}


def _module(kind: str, layers: int = 1, bidirectional: bool = False, bias: bool = True, seed: int = 0) -> nn.RNNBase:
    torch.manual_seed(seed)
    kind = kind.removesuffix("_stepwise")
    if kind.startswith("rnn"):
        return nn.RNN(IN, HID, layers, nonlinearity=kind[4:], bias=bias, bidirectional=bidirectional,
                      batch_first=True).eval()
    cls = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
    return cls(IN, HID, layers, bias=bias, bidirectional=bidirectional, batch_first=True).eval()


def _native_cell(kind: str, module: nn.RNNBase) -> nn.RNNCellBase:
    """torch's own one-step cell carrying the module's layer-0 forward weights."""
    extra = {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}
    native = NATIVE[kind](IN, HID, bias=module.bias, **extra)
    w = cell_weights(module, 0, 0)
    with torch.no_grad():
        native.weight_ih.copy_(w.w_ih)
        native.weight_hh.copy_(w.w_hh)
        if module.bias:
            native.bias_ih.copy_(w.b_ih)
            native.bias_hh.copy_(w.b_hh)
    return native


@pytest.mark.parametrize(("kind", "bias"), itertools.product(NATIVE, [True, False]))
def test_one_step_is_torchs_own_cell(kind, bias):
    module = _module(kind, bias=bias, seed=1)
    native = _native_cell(kind, module)
    w = cell_weights(module, 0, 0)
    torch.manual_seed(2)
    x, h, c = torch.randn(3, IN) * 2, torch.randn(3, HID), torch.randn(3, HID)
    with torch.no_grad():
        if kind == "lstm":
            step = cell_step(x, (h, c), w)
            want_h, want_c = native(x, (h, c))
            np.testing.assert_allclose(step.cell, want_c, atol=1e-6, rtol=0)
        else:
            step = cell_step(x, (h,), w)
            want_h = native(x, h)
        np.testing.assert_allclose(step.hidden, want_h, atol=1e-6, rtol=0)
        one = cell_step(x[1], tuple(s[1] for s in ((h, c) if kind == "lstm" else (h,))), w)  # unbatched (F,)
    np.testing.assert_allclose(one.hidden, want_h[1], atol=1e-6, rtol=0)


def test_every_step_names_the_traces_gates_terms_and_states_in_torchs_order():
    assert LSTMStep._fields == (*GATE_NAMES["lstm"], "cell", "hidden")
    assert LSTMStep._fields[:4] == ("input", "forget", "candidate", "output")  # chunk(4): i, f, g, o
    assert GRUStep._fields == (*GATE_NAMES["gru"], *TERM_NAMES["gru"], "hidden")
    assert GRUStep._fields[:3] == ("reset", "update", "candidate")  # r, z, n
    assert RNNStep._fields == (*TERM_NAMES["rnn"], "hidden")
    assert set(cells.STEPS) == set(CELL_TYPES)


@pytest.mark.parametrize(("layer", "direction"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_the_weights_are_the_modules_own_tensors(layer, direction):
    module = _module("gru", layers=2, bidirectional=True)
    w = cell_weights(module, layer, direction)
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    assert w.w_ih is getattr(module, "weight_ih" + suffix) and w.w_hh is getattr(module, "weight_hh" + suffix)
    assert w.b_ih is getattr(module, "bias_ih" + suffix) and w.b_hh is getattr(module, "bias_hh" + suffix)
    flat = module._flat_weights[(2 * layer + direction) * 4 : (2 * layer + direction + 1) * 4]  # torch's kernel order
    assert all(a is b for a, b in zip(w.tensors(), flat, strict=True))
    unbiased = _module("lstm", bias=False)
    assert all(a is b for a, b in zip(cell_weights(unbiased, 0, 0).tensors(), unbiased._flat_weights, strict=True))


def _stepped(module: nn.RNNBase, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Every quantity of one sequence x (T, F), (L, D, T, H), by a plain loop over ``cell_step``."""
    out: dict[str, list] = {}
    for layer in range(module.num_layers):
        per_dir = []
        for d in range(2 if module.bidirectional else 1):
            w = cell_weights(module, layer, d)
            state, found = zero_state(w, x[0]), [None] * len(x)
            for t in (reversed(range(len(x))) if d else range(len(x))):
                found[t] = cell_step(x[t], state, w)
                state = found[t].state
            per_dir.append({k: torch.stack([s[i] for s in found]) for i, k in enumerate(found[0]._fields)})
        for k in per_dir[0]:
            out.setdefault(k, []).append(torch.stack([p[k] for p in per_dir]).numpy())
        x = torch.cat([p["hidden"] for p in per_dir], dim=1)
    return {k: np.stack(v) for k, v in out.items()}


def _record_gap(kind: str, layers: int, bidirectional: bool) -> float:
    """Largest |recorded - stepped by cells| over every gate, term and state of a padded batch."""
    module = _module(kind, layers, bidirectional, seed=3)
    torch.manual_seed(4)
    x = torch.randn(len(LENGTHS), max(LENGTHS), IN) * 2.0
    way = "stepwise" if kind == "lstm_stepwise" else None
    with torch.no_grad():
        traces = record(module, x, lengths=LENGTHS, _way=way)
        gap = 0.0
        for b, (trace, n) in enumerate(zip(traces, LENGTHS)):
            want = _stepped(module, x[b, :n])
            got = {**trace.states(), **trace.terms}
            assert set(got) == set(want)
            gap = max(gap, *(float(np.abs(got[k] - want[k]).max()) for k in want))
    return gap


@pytest.mark.parametrize(("kind", "layers", "bidirectional"), itertools.product(KINDS, [1, 2], [False, True]))
def test_the_fast_recorder_is_the_one_cell_step(kind, layers, bidirectional):
    assert _record_gap(kind, layers, bidirectional) < TOL


def _lstm_in_the_wrong_gate_order(xw, state, w, adjust=cells.keep):
    """A plausible mistake: reading the packed rows as i, f, o, g instead of torch's i, f, g, o."""
    hs = w.hidden_size
    order = torch.cat([torch.arange(0, 2 * hs), torch.arange(3 * hs, 4 * hs), torch.arange(2 * hs, 3 * hs)])
    wrong = cells.CellWeights("lstm", w.w_ih[order], w.w_hh[order], w.b_ih[order], w.b_hh[order])
    return cells.lstm_step_from(xw[..., order], state, wrong, adjust)


def _gru_with_reset_before_the_matmul(xw, state, w, adjust=cells.keep):
    """The textbook's GRU: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn), not torch's r * (W_hn h + b_hn)."""
    (h,) = state
    hs = w.hidden_size
    real = cells.gru_step_from(xw, state, w, adjust)
    h_n = torch.nn.functional.linear(real.reset * h, w.w_hh[2 * hs :], w.b_hh[2 * hs :])
    n = torch.tanh(real.input_candidate + h_n)
    return cells.GRUStep(real.reset, real.update, n, h_n, real.input_candidate,
                         (1 - real.update) * n + real.update * h)


@pytest.mark.parametrize(("kind", "wrong"), [
    ("lstm", _lstm_in_the_wrong_gate_order), ("lstm_stepwise", _lstm_in_the_wrong_gate_order),
    ("gru", _gru_with_reset_before_the_matmul),
])
def test_a_wrong_gate_in_the_cell_step_is_caught(kind, wrong, monkeypatch):
    assert _record_gap(kind, 1, True) < TOL
    monkeypatch.setitem(cells.STEPS, kind.removesuffix("_stepwise"), wrong)
    assert _record_gap(kind, 1, True) > 1e-2  # the recorder parity test fails
    module = _module(kind.removesuffix("_stepwise"))
    native = _native_cell(kind.removesuffix("_stepwise"), module)
    x, w = torch.randn(2, IN) * 2, cell_weights(module, 0, 0)
    with torch.no_grad():  # and so does the parity with torch's own cell
        got = cell_step(x, zero_state(w, x), w).hidden
        want = native(x)[0] if kind.startswith("lstm") else native(x)
    assert float((got - want).abs().max()) > 1e-3


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_the_hand_written_step_back_is_the_jacobian_of_the_cell_step(kind):
    """Each step of the gradient chain equals G @ (torch.func's ∂s_t/∂s_{t-1} of models.cells' step)."""
    module = _module(kind, seed=5).double()
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(2.5)
    x = torch.randn(9, IN, dtype=torch.float64, generator=torch.Generator().manual_seed(6)) * 2
    with torch.no_grad():
        states = run_cell(module, x)
    jacobians = step_jacobians(module, x, states)  # (T, S, S)
    back = _chain_back(module, _oriented(states, 0, 0), cell_weights(module, 0, 0).w_hh)  # (T, H) each
    size = jacobians.shape[-1]
    G = _first_rows(HID, size, torch.float64) + torch.randn(HID, size, dtype=torch.float64)
    with torch.no_grad():
        for t in range(1, len(x)):
            np.testing.assert_allclose(back(G, t), G @ jacobians[t], rtol=0, atol=1e-12)
    assert float(jacobians[1:].abs().max()) > 0.1  # the comparison is of something that is not zero
