"""Edited runs: no edit is the recorder, each edit lands where the cell equations say, and bad edits are refused."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from torch import nn

from models.asking.intervene import TARGETS, Edit, edited_trace, run_cell, value_range
from models.classifier import ClassifierConfig, RecurrentClassifier
from models.pretrained import ARCHS, load_pretrained
from models.record import record

TOL = 1e-6
IN, HID, STEPS = 5, 6, 9
TEXT = "这个手机的屏幕很好，但是电池太差了，我不会再买了。"
KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]


def _module(kind: str, layers: int = 1, bidirectional: bool = False, seed: int = 0) -> nn.RNNBase:
    torch.manual_seed(seed)
    if kind.startswith("rnn"):
        return nn.RNN(IN, HID, layers, nonlinearity=kind.split("_")[1], bidirectional=bidirectional).eval()
    return {"lstm": nn.LSTM, "gru": nn.GRU}[kind](IN, HID, layers, bidirectional=bidirectional).eval()


def _inputs(seed: int = 1) -> torch.Tensor:
    torch.manual_seed(seed)
    return torch.randn(STEPS, IN) * 2.0  # (T, F)


def _assert_same(a, b, tol: float = TOL) -> None:
    """Every state, gate and term of two traces, to tol times the quantity's own scale (at least 1).

    Gates and tanh states lie in [-1, 1], so this is tol absolute for them. The unbounded ones (the LSTM
    cell, pre-activations) are sums of up to E + H float32 products, which two summation orders (the
    recorder's batched matmul and the step's own) round differently by a few float32 steps of their size.
    """
    assert a.cell_type == b.cell_type and a.hidden.shape == b.hidden.shape
    for name in set(a.states()) | set(a.terms):
        want = {**a.states(), **a.terms}[name]
        got = {**b.states(), **b.terms}[name]
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, atol=tol * scale, rtol=0, err_msg=name)


@pytest.fixture(scope="module", params=ARCHS)
def shipped(request):
    return load_pretrained(request.param)


def _ids(model, tokens) -> torch.Tensor:
    return model.encode([list(tokens)])[0][0]  # (T,)


# --- no edit is the recorder -------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "layers", "bidirectional"), list(itertools.product(KINDS, [1, 2], [False, True])))
def test_stepping_without_edits_is_the_recorder_on_random_modules(kind, layers, bidirectional):
    module = _module(kind, layers, bidirectional)
    x = _inputs()
    _assert_same(record(module, x)[0], edited_trace(module, x))
    with torch.no_grad():  # and torch's own module: last layer's outputs, both directions
        expected = module(x)[0].view(STEPS, 2 if bidirectional else 1, HID).transpose(0, 1)
    np.testing.assert_allclose(edited_trace(module, x).hidden[-1], expected.numpy(), atol=TOL, rtol=TOL)


def test_no_edit_on_the_shipped_models_is_the_recorder(shipped):
    analysis = shipped.analyze(TEXT)
    trace = edited_trace(shipped.model, _ids(shipped, analysis.tokens), [], tokens=analysis.tokens)
    _assert_same(analysis.trace, trace)
    np.testing.assert_allclose(trace.probabilities, analysis.probabilities, atol=TOL)
    assert trace.tokens == analysis.tokens and trace.labels == analysis.trace.labels


@pytest.mark.parametrize("arch", ARCHS)
def test_a_random_classifier_gives_the_recorders_probabilities(arch):
    torch.manual_seed(3)
    model = RecurrentClassifier(ClassifierConfig(arch=arch, vocab_size=30, embed_dim=IN, hidden_size=HID)).eval()
    ids = torch.tensor([4, 9, 2, 17, 5, 5, 28])
    recorded = model.record(ids[None], torch.tensor([len(ids)]))[0]
    for inputs in (ids, ids[None]):
        trace = edited_trace(model, inputs)
        _assert_same(recorded, trace)
        np.testing.assert_allclose(trace.probabilities, recorded.probabilities, atol=TOL)


def test_analyze_without_edits_stays_the_recorder(monkeypatch):
    model = load_pretrained("gru")
    calls = []
    monkeypatch.setattr("models.pretrained.edited_trace", lambda *a, **k: calls.append(a))
    model.analyze(TEXT)
    model.analyze(TEXT, edits=[])
    assert calls == []


def test_a_stepped_baseline_agrees_exactly_before_the_first_edit():
    model = load_pretrained("lstm")
    tokens = model.tokens(TEXT)
    base = model.analyze_tokens(tokens, stepped=True)
    edited = model.analyze_tokens(tokens, edits=[Edit("forget", range(4, len(tokens)), set=1.0)])
    np.testing.assert_array_equal(edited.trace.hidden[..., :4, :], base.trace.hidden[..., :4, :])
    np.testing.assert_array_equal(edited.probabilities[:4], base.probabilities[:4])
    assert not np.array_equal(edited.probabilities[4:], base.probabilities[4:])
    _assert_same(model.analyze_tokens(tokens).trace, base.trace)  # and it is the recorder's run


def test_the_range_a_set_value_must_lie_in():
    assert value_range("forget") == (0.0, 1.0) and value_range("update") == (0.0, 1.0)
    assert value_range("candidate") == (-1.0, 1.0)
    assert value_range("cell") is None and value_range("hidden") is None


# --- edits land where the equations say -----------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_setting_every_quantity_to_its_recorded_values_reproduces_the_trace(kind):
    module, x = _module(kind), _inputs()
    recorded = record(module, x)[0]
    states = recorded.states()
    for target in TARGETS[kind.split("_")[0]]:
        values = states[target][0, 0]  # (T, H)
        steps = list(range(STEPS))[::-1]  # rows follow the order of steps
        _assert_same(recorded, edited_trace(module, x, [Edit(target, steps, set=values[steps])]))
        # one unit, from one step on: still the same run
        _assert_same(recorded, edited_trace(module, x, [Edit(target, range(4, STEPS), units=[2], set=values[4:, 2:3])]))


@pytest.mark.parametrize("kind", KINDS)
def test_an_edit_changes_its_step_and_what_follows_never_what_precedes(kind):
    module, x = _module(kind), _inputs()
    unedited = edited_trace(module, x)  # the same code without edits, so equal bit for bit before the step
    cell_type = kind.split("_")[0]
    step = 4
    for target in TARGETS[cell_type]:
        edited = edited_trace(module, x, [Edit(target, [step], units=[1, 3], scale=0.5)])
        before, after = unedited.states(), edited.states()
        for name in before:
            np.testing.assert_array_equal(after[name][0, 0, :step], before[name][0, 0, :step], err_msg=name)
        changed = after[target][0, 0, step]
        want = before[target][0, 0, step].copy()
        want[[1, 3]] *= 0.5
        np.testing.assert_allclose(changed, want, atol=TOL, err_msg=target)
        assert np.abs(after["hidden"][0, 0, step + 1 :] - before["hidden"][0, 0, step + 1 :]).max() > 1e-4, target


def test_lstm_that_never_forgets_and_never_writes_keeps_its_cell():
    module, x = _module("lstm"), _inputs()
    recorded = edited_trace(module, x)
    t = 3
    edits = [Edit("forget", range(t, STEPS), set=1.0), Edit("input", range(t, STEPS), set=0.0)]
    trace = edited_trace(module, x, edits)
    cell = trace.cell[0, 0]  # (T, H)
    np.testing.assert_array_equal(cell[t:], np.broadcast_to(recorded.cell[0, 0, t - 1], cell[t:].shape))
    np.testing.assert_array_equal(cell[:t], recorded.cell[0, 0, :t])
    # h still follows o tanh(c) with the recomputed output gate
    np.testing.assert_allclose(trace.hidden[0, 0], trace.gates["output"][0, 0] * np.tanh(cell), atol=TOL)
    assert np.abs(recorded.cell[0, 0, t:] - recorded.cell[0, 0, t - 1]).max() > 1e-2  # unedited, it moves


def test_gru_that_keeps_the_old_state_is_frozen_in_either_convention():
    module, x = _module("gru"), _inputs()
    recorded = edited_trace(module, x)
    t = 3
    torch_form = edited_trace(module, x, [Edit("update", range(t, STEPS), set=1.0)])
    textbook = edited_trace(module, x, [Edit("update", range(t, STEPS), set=0.0, convention="textbook")])
    hidden = torch_form.hidden[0, 0]
    np.testing.assert_array_equal(hidden[t:], np.broadcast_to(recorded.hidden[0, 0, t - 1], hidden[t:].shape))
    np.testing.assert_array_equal(textbook.hidden, torch_form.hidden)
    assert Edit("update", [t], set=1.0, convention="torch") == Edit("update", [t], set=1.0)
    np.testing.assert_array_equal(textbook.gates["update"][0, 0, t:], 1.0)  # the trace stores torch's z
    # the opposite number in the textbook's form means the opposite: take only the new candidate
    fresh = edited_trace(module, x, [Edit("update", range(t, STEPS), set=1.0, convention="textbook")])
    np.testing.assert_allclose(fresh.hidden[0, 0, t:], fresh.gates["candidate"][0, 0, t:], atol=TOL)


def test_gru_textbook_scale_scales_the_share_of_the_new_candidate():
    module, x = _module("gru"), _inputs()
    recorded = record(module, x)[0]
    t, factor = 2, 0.3
    edited = edited_trace(module, x, [Edit("update", [t], scale=factor, convention="textbook")])
    z = recorded.gates["update"][0, 0, t]
    np.testing.assert_allclose(edited.gates["update"][0, 0, t], 1 - factor * (1 - z), atol=TOL)


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu"])
def test_rnn_with_its_memory_cut_reads_only_the_next_input(kind):
    module, x = _module(kind), _inputs()
    t = 4
    trace = edited_trace(module, x, [Edit("hidden", [t], set=0.0)])
    np.testing.assert_array_equal(trace.hidden[0, 0, t], 0.0)
    with torch.no_grad():  # torch's own module on the next token alone, from the zero state
        alone = module(x[t + 1 : t + 2])[0][0].numpy()
        act = torch.relu if kind == "rnn_relu" else torch.tanh
        by_hand = act(module.weight_ih_l0 @ x[t + 1] + module.bias_ih_l0 + module.bias_hh_l0).numpy()
    np.testing.assert_allclose(trace.hidden[0, 0, t + 1], alone, atol=TOL)
    np.testing.assert_allclose(trace.hidden[0, 0, t + 1], by_hand, atol=TOL)
    assert np.abs(record(module, x)[0].hidden[0, 0, t + 1] - alone).max() > 1e-3  # unedited, the past matters


def test_edits_of_one_quantity_compose_in_order():
    module, x = _module("lstm"), _inputs()
    recorded = record(module, x)[0]
    halves = edited_trace(module, x, [Edit("forget", [2], scale=0.5), Edit("forget", [2], scale=0.5)])
    quarter = edited_trace(module, x, [Edit("forget", [2], scale=0.25)])
    _assert_same(quarter, halves)
    _assert_same(quarter, edited_trace(module, x, Edit("forget", [2], scale=0.25)))  # one Edit alone
    set_then_scale = edited_trace(module, x, [Edit("forget", [2], set=0.4), Edit("forget", [2], scale=0.5)])
    np.testing.assert_allclose(set_then_scale.gates["forget"][0, 0, 2], 0.2, atol=TOL)
    scale_then_set = edited_trace(module, x, [Edit("forget", [2], scale=0.5), Edit("forget", [2], set=0.4)])
    np.testing.assert_allclose(scale_then_set.gates["forget"][0, 0, 2], 0.4, atol=TOL)
    assert not np.allclose(halves.gates["forget"], recorded.gates["forget"])


def test_a_backward_edit_reaches_the_tokens_to_its_left_and_the_next_layer():
    module, x = _module("lstm", layers=2, bidirectional=True), _inputs()
    recorded = edited_trace(module, x)
    t = 5
    edited = edited_trace(module, x, [Edit("cell", [t], set=0.0, direction=1)])
    diff = np.abs(edited.hidden - recorded.hidden).max(axis=-1)  # (L, D, T)
    assert diff[0, 0].max() == 0.0  # the forward direction of layer 0 never sees it
    assert diff[0, 1, t + 1 :].max() == 0.0 and diff[0, 1, :t].min() > 0.0  # backward: read right to left
    # layer 1 reads both directions of layer 0: its input changed at steps 0..t, so its forward
    # direction changes everywhere, its backward one at t and to the left only
    assert diff[1, 0].min() > 0.0
    assert diff[1, 1, t + 1 :].max() == 0.0 and diff[1, 1, : t + 1].min() > 0.0


def test_the_edited_analysis_of_a_shipped_lstm_that_never_writes_is_its_bias():
    model = load_pretrained("lstm")
    steps = range(len(model.tokens(TEXT)))
    original = model.analyze(TEXT)
    kept = original.trace.hidden.copy()
    analysis = model.analyze(TEXT, edits=[Edit("input", steps, set=0.0)])
    assert analysis.tokens == original.tokens
    np.testing.assert_array_equal(analysis.trace.cell, 0.0)
    np.testing.assert_array_equal(analysis.trace.hidden, 0.0)
    with torch.no_grad():
        bias_only = torch.softmax(model.model.head.bias, -1).numpy()
    np.testing.assert_allclose(
        analysis.probabilities, np.broadcast_to(bias_only, analysis.probabilities.shape), atol=TOL
    )
    assert analysis.label == model.labels[int(bias_only.argmax())]
    np.testing.assert_allclose(analysis.probability, bias_only.max(), atol=TOL)
    np.testing.assert_array_equal(original.trace.hidden, kept)  # nothing shared was changed
    assert not analysis.trace.hidden.flags.writeable


def test_max_tokens_applies_before_the_edits_are_checked():
    model = load_pretrained("rnn")
    assert model.analyze(TEXT, max_tokens=3, edits=[Edit("hidden", [2], set=0.0)]).trace.num_steps == 3
    with pytest.raises(ValueError, match="step 3 is outside the sequence of 3 tokens"):
        model.analyze(TEXT, max_tokens=3, edits=[Edit("hidden", [3], set=0.0)])


def test_run_cell_follows_the_callers_grad_mode():
    module, x = _module("gru"), _inputs().requires_grad_()
    with torch.enable_grad():
        out = run_cell(module, x)
    assert out["hidden"].shape == (1, 1, STEPS, HID) and out["hidden"].requires_grad


# --- edits that cannot be -----------------------------------------------------------------

def test_an_edit_is_a_hashable_value():
    a = Edit("forget", range(2, 4), units=[3, 1], set=np.array([1.0, 0.5]))
    b = Edit("forget", [2, 3], units=(3, 1), set=[1, 0.5])
    assert a == b and hash(a) == hash(b) and a.steps == (2, 3) and a.set == (1.0, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"target": "forget", "steps": [1], "set": 1.0, "scale": 2.0}, "exactly one of set"),
        ({"target": "forget", "steps": [1]}, "exactly one of set"),
        ({"target": "forget", "steps": range(3, 3), "set": 1.0}, "at least one step"),
        ({"target": "forget", "steps": [-1], "set": 1.0}, "from 0"),
        ({"target": "forget", "steps": [1, 1], "set": 1.0}, "repeat"),
        ({"target": "forget", "steps": [1], "units": [], "set": 1.0}, "at least one unit"),
        ({"target": "forget", "steps": [1], "units": "some", "set": 1.0}, "units must be"),
        ({"target": "forget", "steps": [1], "set": 1.5}, r"\[0, 1\]"),
        ({"target": "candidate", "steps": [1], "set": -2.0}, r"\[-1, 1\]"),
        ({"target": "forget", "steps": [1], "set": float("nan")}, "finite"),
        ({"target": "memory", "steps": [1], "set": 0.0}, "unknown edit target"),
        ({"target": "forget", "steps": [1], "set": 1.0, "convention": "textbook"}, "update gate only"),
        ({"target": "update", "steps": [1], "set": 1.0, "convention": "keras"}, "convention must be"),
        ({"target": "update", "steps": [1], "set": 1.0, "convention": "pytorch"}, "convention must be"),  # one list
    ],
)
def test_a_malformed_edit_is_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Edit(**kwargs)


@pytest.mark.parametrize(
    ("kind", "edit", "message"),
    [
        ("lstm", Edit("reset", [1], set=0.0), "LSTM has no 'reset'"),
        ("gru", Edit("cell", [1], set=0.0), "GRU has no 'cell'"),
        ("gru", Edit("forget", [1], set=0.0), "GRU has no 'forget'"),
        ("rnn_tanh", Edit("forget", [1], set=1.0), "RNN has no 'forget'"),
        ("lstm", Edit("forget", [STEPS], set=1.0), f"step {STEPS} is outside the sequence of {STEPS} tokens"),
        ("lstm", Edit("forget", range(5, 20), set=1.0), "outside the sequence"),
        ("gru", Edit("update", [1], units=[HID], set=1.0), f"unit {HID} does not exist"),
        ("gru", Edit("update", [1], set=1.0, layer=1), "layer 1, direction 0 does not exist"),
        ("gru", Edit("update", [1], set=1.0, direction=1), "does not exist"),
        ("lstm", Edit("forget", [1, 2], set=[0.5, 0.5, 0.5]), "does not fit 2 steps x 6 units"),
    ],
)
def test_an_edit_the_sequence_or_cell_cannot_take_is_a_clear_error(kind, edit, message):
    with pytest.raises(ValueError, match=message):
        edited_trace(_module(kind), _inputs(), [edit])


def test_the_pretrained_path_reports_bad_edits():
    model = load_pretrained("gru")
    with pytest.raises(ValueError, match="GRU has no 'forget'"):
        model.analyze(TEXT, edits=[Edit("forget", [1], set=1.0)])
