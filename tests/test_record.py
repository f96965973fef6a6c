"""Parity of the recorder with torch's own modules, and the trace invariants."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import models.record
from models.record import LSTM_STEPWISE_BATCH, WAYS, record, recording_way
from models.trace import GATE_NAMES, SIGMOID_GATES, hidden_from_gates

TOL = 1e-5
IN, HID = 5, 6
LENGTHS = [7, 4, 1]


def _way(kind: str) -> str:
    """Kind "lstm_stepwise" records an LSTM stepwise whatever the batch; plain "lstm" always fused."""
    return "stepwise" if kind == "lstm_stepwise" else WAYS[kind.split("_")[0]][0]


def _record(kind: str, module: nn.RNNBase, x: torch.Tensor, **kwargs) -> list:
    """``record`` the way ``kind`` names."""
    return record(module, x, **kwargs, _way=_way(kind))


def _module(kind: str, layers: int, bidirectional: bool, batch_first: bool, seed: int = 0) -> nn.RNNBase:
    torch.manual_seed(seed)
    kind = kind.removesuffix("_stepwise")
    if kind.startswith("rnn"):
        nonlin = kind.split("_")[1]
        return nn.RNN(IN, HID, layers, nonlinearity=nonlin, bidirectional=bidirectional, batch_first=batch_first).eval()
    cls = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
    return cls(IN, HID, layers, bidirectional=bidirectional, batch_first=batch_first).eval()


def _batch(batch_first: bool) -> torch.Tensor:
    torch.manual_seed(1)
    x = torch.randn(len(LENGTHS), max(LENGTHS), IN) * 2.0  # (B, T, F)
    return x if batch_first else x.transpose(0, 1).contiguous()


KINDS = ["rnn_tanh", "rnn_relu", "lstm", "lstm_stepwise", "gru"]
CASES = list(itertools.product(KINDS, [1, 2], [False, True], [False, True]))


def test_shipped_way_choice():
    assert recording_way("gru", 1) == "stepwise" and recording_way("rnn", 10**6) == "fused"
    assert recording_way("lstm", LSTM_STEPWISE_BATCH - 1) == "fused"
    assert recording_way("lstm", LSTM_STEPWISE_BATCH) == "stepwise"
    module = _module("lstm", 1, True, True)
    torch.manual_seed(2)
    x = torch.randn(LSTM_STEPWISE_BATCH, 5, IN)
    with torch.no_grad():
        expected = module(x)[0].view(LSTM_STEPWISE_BATCH, 5, 2, HID)
    traces = record(module, x)
    np.testing.assert_allclose(traces[-1].hidden[0], expected[-1].permute(1, 0, 2).numpy(), atol=TOL, rtol=0)


@pytest.mark.parametrize("way", ["fused", "stepwise"])
def test_the_way_asked_for_is_the_way_taken(way, monkeypatch):
    """So that the "lstm" and "lstm_stepwise" cases below really test two ways."""
    taken = []
    for name in ("_record_fused", "_record_stepwise"):
        real = getattr(models.record, name)
        monkeypatch.setattr(models.record, name, lambda *args, real=real, name=name: taken.append(name) or real(*args))
    record(_module("lstm", 1, False, True), torch.zeros(1, 3, IN), _way=way)
    assert taken == [f"_record_{way}"]


def test_a_way_a_cell_cannot_take_is_refused():
    x = torch.zeros(1, 3, IN)
    with pytest.raises(ValueError, match="gru is recorded stepwise"):
        record(_module("gru", 1, False, True), x, _way="fused")
    with pytest.raises(ValueError, match="rnn is recorded fused"):
        record(_module("rnn_tanh", 1, False, True), x, _way="stepwise")


@pytest.mark.parametrize("kind,layers,bidirectional,batch_first", CASES)
@pytest.mark.parametrize("padded", [False, True])
def test_parity_with_torch(kind, layers, bidirectional, batch_first, padded):
    module = _module(kind, layers, bidirectional, batch_first)
    x = _batch(batch_first)
    lengths = LENGTHS if padded else [max(LENGTHS)] * len(LENGTHS)
    with torch.no_grad():
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=batch_first, enforce_sorted=False)
        out, state = module(packed)
        out = pad_packed_sequence(out, batch_first=True)[0]  # (B, T, D*H)
    h_n, c_n = state if kind.startswith("lstm") else (state, None)
    dirs = 2 if bidirectional else 1
    h_n = h_n.view(layers, dirs, len(lengths), HID)
    c_n = None if c_n is None else c_n.view(layers, dirs, len(lengths), HID)

    traces = _record(kind, module, x, lengths=lengths if padded else None)
    assert len(traces) == len(lengths)
    for b, (trace, n) in enumerate(zip(traces, lengths)):
        assert trace.hidden.shape == (layers, dirs, n, HID)
        expected = out[b, :n].view(n, dirs, HID).permute(1, 0, 2).numpy()
        np.testing.assert_allclose(trace.hidden[-1], expected, atol=TOL, rtol=0)
        # Every layer's and direction's gates rebuild torch's hidden states on their own.
        np.testing.assert_allclose(hidden_from_gates(trace)[-1], expected, atol=TOL, rtol=0)
        np.testing.assert_allclose(hidden_from_gates(trace), trace.hidden, atol=TOL, rtol=0)
        # Final state: forward after the last token, backward after the first.
        final = np.stack([trace.hidden[:, 0, n - 1]] + ([trace.hidden[:, 1, 0]] if bidirectional else []), axis=1)
        np.testing.assert_allclose(final, h_n[:, :, b].numpy(), atol=TOL, rtol=0)
        if c_n is not None:
            final_c = np.stack([trace.cell[:, 0, n - 1]] + ([trace.cell[:, 1, 0]] if bidirectional else []), axis=1)
            np.testing.assert_allclose(final_c, c_n[:, :, b].numpy(), atol=TOL, rtol=0)


def _reference_steps(module: nn.RNNBase, kind: str, x: torch.Tensor) -> dict[str, np.ndarray]:
    """A plain step loop over one unbatched (T, F) sequence, layer 0 forward, written from the formulas."""
    w_ih, w_hh = module.weight_ih_l0.detach(), module.weight_hh_l0.detach()
    b_ih, b_hh = module.bias_ih_l0.detach(), module.bias_hh_l0.detach()
    h = torch.zeros(HID)
    c = torch.zeros(HID)
    rows: dict[str, list] = {}
    for x_t in x:
        a = w_ih @ x_t + b_ih
        b = w_hh @ h + b_hh
        if kind == "lstm":
            i, f, g, o = (a + b).chunk(4)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
            step = {"input": i, "forget": f, "candidate": g, "output": o, "cell": c}
        else:
            (ar, az, an), (br, bz, bn) = a.chunk(3), b.chunk(3)
            r, z = (ar + br).sigmoid(), (az + bz).sigmoid()
            n = (an + r * bn).tanh()
            h = (1 - z) * n + z * h
            step = {"reset": r, "update": z, "candidate": n, "reset_hidden": bn, "input_candidate": an}
        step["hidden"] = h
        for k, v in step.items():
            rows.setdefault(k, []).append(v.numpy())
    return {k: np.stack(v) for k, v in rows.items()}


@pytest.mark.parametrize("kind", ["lstm", "lstm_stepwise", "gru"])
def test_gates_match_a_plain_step_loop(kind):
    module = _module(kind, 1, False, True, seed=3)
    x = _batch(True)[0]  # (T, F)
    trace = _record(kind, module, x.unsqueeze(0))[0]
    ref = _reference_steps(module, kind.removesuffix("_stepwise"), x)
    for name, values in trace.states().items():
        np.testing.assert_allclose(values[0, 0], ref[name], atol=TOL, rtol=0, err_msg=name)
    for name, values in trace.terms.items():
        np.testing.assert_allclose(values[0, 0], ref[name], atol=TOL, rtol=0, err_msg=name)


@pytest.mark.parametrize("kind", ["lstm", "lstm_stepwise", "gru", "rnn_tanh"])
def test_invariants(kind):
    module = _module(kind, 2, True, True, seed=4)
    for trace in _record(kind, module, _batch(True) * 3, lengths=LENGTHS):
        assert set(trace.gates) == set(GATE_NAMES[trace.cell_type])
        for name, values in trace.gates.items():
            assert values.dtype == np.float32
            if name in SIGMOID_GATES:
                assert values.min() >= 0.0 and values.max() <= 1.0, name
            else:
                assert values.min() >= -1.0 and values.max() <= 1.0, name
        if trace.cell_type == "lstm":
            np.testing.assert_allclose(
                trace.hidden, trace.gates["output"] * np.tanh(trace.cell), atol=TOL, rtol=0
            )
        else:
            assert trace.cell is None
        for values in (trace.hidden, *trace.gates.values(), *trace.terms.values()):
            assert not values.flags.writeable
            with pytest.raises(ValueError):
                values[0, 0, 0, 0] = 1.0
            with pytest.raises(ValueError):
                values.setflags(write=True)
        with pytest.raises(TypeError):
            trace.gates["input"] = trace.hidden  # the mapping itself is read-only
        with pytest.raises(AttributeError):
            trace.tokens = ("x",)


def test_gru_convention_is_pytorchs():
    """h_t = (1 - z) * n + z * h_{t-1}: z keeps the old state. The textbook form would fail here."""
    module = _module("gru", 1, False, True, seed=5)
    trace = record(module, _batch(True)[:1])[0]
    z, n, h = trace.gates["update"][0, 0], trace.gates["candidate"][0, 0], trace.hidden[0, 0]
    prev = np.vstack([np.zeros((1, HID), np.float32), h[:-1]])
    np.testing.assert_allclose(h, (1 - z) * n + z * prev, atol=TOL, rtol=0)
    assert np.abs(h - (z * n + (1 - z) * prev)).max() > 1e-3


@pytest.mark.parametrize("kind", ["lstm", "lstm_stepwise", "gru"])
def test_padding_never_leaks(kind):
    """A sequence recorded alone equals the same sequence recorded inside a padded batch."""
    module = _module(kind, 2, True, True, seed=6)
    x = _batch(True)
    x_noisy = x.clone()
    x_noisy[1, LENGTHS[1]:] = 1e3  # garbage in the padding
    batch = _record(kind, module, x_noisy, lengths=LENGTHS)[1]
    alone = _record(kind, module, x[1:2, : LENGTHS[1]])[0]
    for name, values in alone.states().items():
        np.testing.assert_allclose(batch.states()[name], values, atol=TOL, rtol=0, err_msg=name)


def test_tokens_and_step_names():
    module = _module("gru", 1, False, False)
    x = _batch(False)  # (T, B, F)
    traces = record(module, x, lengths=LENGTHS, tokens=[list("abcdefg"), list("abcd"), ["z"]])
    assert traces[1].tokens == ("a", "b", "c", "d")
    assert record(module, x[:3, :1])[0].tokens == ("0", "1", "2")
    with pytest.raises(ValueError, match="tokens"):
        record(module, x, lengths=LENGTHS, tokens=[list("abc"), list("abcd"), ["z"]])


def test_bad_arguments_are_clear():
    module = _module("lstm", 1, False, True)
    with pytest.raises(TypeError, match="nn.RNN, nn.LSTM or nn.GRU"):
        record(nn.Linear(3, 3), torch.zeros(1, 2, 3))
    with pytest.raises(ValueError, match="lengths"):
        record(module, torch.zeros(2, 3, IN), lengths=[3, 0])
    with pytest.raises(ValueError, match="x must be"):
        record(module, torch.zeros(2, 3, IN + 1))
    with pytest.raises(ValueError, match="nothing to record"):
        record(module, torch.zeros(1, 0, IN))


@pytest.mark.parametrize("kind", ["lstm", "lstm_stepwise", "gru", "rnn_tanh", "rnn_relu"])
def test_a_wrong_gate_is_caught_by_the_rebuild(kind):
    """hidden_from_gates really depends on the gates: shifting one step breaks it."""
    import dataclasses

    trace = _record(kind, _module(kind, 1, True, True, seed=7), _batch(True) * 2)[0]
    assert np.abs(hidden_from_gates(trace) - trace.hidden).max() < TOL
    name = {"lstm": "forget", "lstm_stepwise": "forget", "gru": "update"}.get(kind)
    if name is None:
        terms = {"preactivation": np.roll(trace.terms["preactivation"], 1, axis=2)}
        broken = dataclasses.replace(trace, terms=terms)
    else:
        broken = dataclasses.replace(trace, gates={**trace.gates, name: np.roll(trace.gates[name], 1, axis=2)})
    assert np.abs(hidden_from_gates(broken) - trace.hidden).max() > 1e-3


@pytest.mark.parametrize("kind", ["lstm", "lstm_stepwise", "gru"])
def test_parity_on_long_padded_sequences(kind):
    """Hundreds of steps (the cell recurrence runs in blocks), saturating inputs, both directions."""
    module = _module(kind, 1, True, True, seed=8)
    torch.manual_seed(9)
    lengths = [503, 361, 2]
    x = torch.randn(len(lengths), max(lengths), IN) * 4.0
    with torch.no_grad():
        packed = pack_padded_sequence(x, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
        out, state = module(packed)
        out = pad_packed_sequence(out, batch_first=True)[0]
    for b, (trace, n) in enumerate(zip(_record(kind, module, x, lengths=lengths), lengths)):
        expected = out[b, :n].view(n, 2, HID).permute(1, 0, 2).numpy()
        np.testing.assert_allclose(trace.hidden[0], expected, atol=TOL, rtol=0)
        np.testing.assert_allclose(hidden_from_gates(trace)[0], expected, atol=TOL, rtol=0)
        if trace.cell is not None:
            c_n = state[1][:, b].numpy()
            np.testing.assert_allclose(np.stack([trace.cell[0, 0, n - 1], trace.cell[0, 1, 0]]), c_n, atol=TOL, rtol=0)


@pytest.mark.parametrize("kind", ["lstm", "lstm_stepwise", "gru", "rnn_tanh"])
def test_nan_in_the_padding_never_reaches_a_real_step(kind):
    module = _module(kind, 2, True, True, seed=10)
    x = _batch(True)
    for b, n in enumerate(LENGTHS):
        x[b, n:] = float("nan")
    with torch.no_grad():
        packed = pack_padded_sequence(x, torch.tensor(LENGTHS), batch_first=True, enforce_sorted=False)
        out = pad_packed_sequence(module(packed)[0], batch_first=True)[0]
    for b, (trace, n) in enumerate(zip(_record(kind, module, x, lengths=LENGTHS), LENGTHS)):
        for name, values in {**trace.states(), **trace.terms}.items():
            assert np.isfinite(values).all(), name
        np.testing.assert_allclose(
            trace.hidden[-1], out[b, :n].view(n, 2, HID).permute(1, 0, 2).numpy(), atol=TOL, rtol=0
        )


@pytest.mark.parametrize("kind", ["lstm", "lstm_stepwise"])
def test_large_cell_states_match_torch(kind):
    """A forget gate near 1 lets |c| grow to hundreds; the cell still matches torch's to float32 rounding."""
    module = _module(kind, 1, False, True, seed=11)
    with torch.no_grad():
        module.bias_ih_l0[HID : 2 * HID] = 7.0  # forget bias: f close to 1
    torch.manual_seed(12)
    x = torch.randn(1, 1500, IN)
    with torch.no_grad():
        out, (_, c_n) = module(x)
    trace = _record(kind, module, x)[0]
    assert np.abs(trace.cell).max() > 100
    np.testing.assert_allclose(trace.cell[0, 0, -1], c_n[0, 0].numpy(), rtol=1e-5, atol=TOL)
    np.testing.assert_allclose(trace.hidden[0, 0], out[0].numpy(), atol=TOL, rtol=0)
