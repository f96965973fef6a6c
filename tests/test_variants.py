"""Two-layer and bidirectional classifiers through ``models/``: the faithfulness badge on every layer and
direction, and the per-step answers of a bidirectional model."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from models.asking.experiments import unit_effects
from models.asking.intervene import ALL_UNITS, Edit, edited_answer, edited_trace
from models.classifier import PREFIX_LIMIT
from models.names import all_names
from models.pretrained import load_pretrained
from tests.variants import VARIANTS, tiny_model

TOL = 1e-5
TEXT = "这部电影不好看，但是演员很棒，我喜欢"


def _shifted(trace, layer=slice(None), direction=slice(None)):
    """The trace with every gate and term of one layer or direction moved by one step: a wrong recording."""
    def roll(values):
        out = np.array(values)
        out[layer, direction] = np.roll(out[layer, direction], 1, axis=-2)
        return out

    return dataclasses.replace(trace, gates={k: roll(v) for k, v in trace.gates.items()},
                               terms={k: roll(v) for k, v in trace.terms.items()})


@pytest.mark.parametrize("arch,layers,bidirectional", VARIANTS)
def test_recording_error_covers_every_layer_and_direction(arch, layers, bidirectional):
    model = tiny_model(arch, layers, bidirectional, scale=2.0)
    analysis = model.analyze(TEXT)
    assert analysis.trace.num_layers == layers and analysis.trace.num_directions == (2 if bidirectional else 1)
    assert model.recording_error(analysis) < TOL
    # A wrong gate only in the upper layer, or only in the backward direction, is caught.
    where = {"layer": 1} if layers == 2 else {"direction": 1}
    broken = dataclasses.replace(analysis, trace=_shifted(analysis.trace, **where))
    assert model.recording_error(broken) > 1e-3


@pytest.mark.parametrize("arch", ["lstm", "gru", "rnn"])
def test_recording_error_catches_a_wrong_gate_of_one_step_in_the_upper_layer(arch):
    """One gate value wrong at one step of layer 1: the badge sees it."""
    model = tiny_model(arch, 2, False, seed=3, scale=2.0)
    analysis = model.analyze(TEXT)
    trace = analysis.trace
    name = {"lstm": "forget", "gru": "update", "rnn": "preactivation"}[arch]
    values = np.array(trace.state(name))
    values[1, 0, 4] = values[1, 0, 4] * 0.5 + (0.25 if arch != "rnn" else 1.0)
    field = "terms" if arch == "rnn" else "gates"
    broken = dataclasses.replace(trace, **{field: {**getattr(trace, field), name: values}})
    assert model.recording_error(dataclasses.replace(analysis, trace=broken)) > 1e-3


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_bidirectional_step_answers_are_the_model_on_each_prefix(arch):
    """Row t of ``step_probabilities`` and of ``analyze``: the model run on tokens 0..t alone."""
    model = tiny_model(arch, 1, True, seed=1, scale=2.0)
    tokens = model.tokens(TEXT)
    (steps,) = model.step_probabilities([tokens])
    analysis = model.analyze(TEXT)
    assert steps.shape == analysis.probabilities.shape == (len(tokens), 2)
    ids = model.encode([tokens])[0]
    with torch.inference_mode():
        for t in range(len(tokens)):
            alone = torch.softmax(model.model(ids[:, : t + 1], torch.tensor([t + 1])), dim=-1)[0].numpy()
            np.testing.assert_allclose(steps[t], alone, atol=TOL, rtol=0)
            np.testing.assert_allclose(analysis.probabilities[t], alone, atol=TOL, rtol=0)
    # Not the head on the full run's states at step t: the backward half there has read the whole text.
    with torch.inference_mode():
        states = model.model.top_states(ids, torch.tensor([len(tokens)]))[0]  # (T, 2H)
        head_at_t = torch.softmax(model.model.logits(states), dim=-1).numpy()
    assert np.abs(head_at_t[:-1] - steps[:-1]).max() > 1e-3


def test_bidirectional_step_answers_stop_after_the_prefix_limit_except_the_last():
    model = tiny_model("gru", 1, True, seed=2)
    tokens = list(TEXT * (PREFIX_LIMIT // len(TEXT) + 2))[: PREFIX_LIMIT + 7]
    (steps,) = model.step_probabilities([tokens])
    assert steps.shape == (PREFIX_LIMIT + 7, 2)
    assert np.isfinite(steps[:PREFIX_LIMIT]).all()
    assert np.isnan(steps[PREFIX_LIMIT:-1]).all()
    ids = model.encode([tokens])[0]
    with torch.inference_mode():
        whole = torch.softmax(model.model(ids, torch.tensor([len(tokens)])), dim=-1)[0].numpy()
        alone = torch.softmax(model.model(ids[:, :PREFIX_LIMIT], torch.tensor([PREFIX_LIMIT])), dim=-1)[0].numpy()
    np.testing.assert_allclose(steps[-1], whole, atol=TOL, rtol=0)
    np.testing.assert_allclose(steps[PREFIX_LIMIT - 1], alone, atol=TOL, rtol=0)
    assert np.array_equal(np.isnan(model.analyze_tokens(tokens).probabilities), np.isnan(steps))


def _ids(model, text=TEXT):
    tokens = model.tokens(text)
    return tokens, model.encode([tokens])[0][0]


@pytest.mark.parametrize("arch,layers,bidirectional", [*VARIANTS, ("lstm", 2, True)])
def test_the_stepped_cell_is_the_recorder_on_every_layer_and_direction(arch, layers, bidirectional):
    model = tiny_model(arch, layers, bidirectional, seed=4, scale=2.0)
    tokens, _ = _ids(model)
    recorded = model.analyze_tokens(tokens).trace
    stepped = model.analyze_tokens(tokens, stepped=True).trace
    for name, values in recorded.states().items():
        np.testing.assert_allclose(stepped.state(name), values, atol=TOL, rtol=0)
    np.testing.assert_allclose(stepped.probabilities, recorded.probabilities, atol=TOL, rtol=0)


def test_an_edit_in_layer_0_reaches_layer_1_as_a_hand_step_says():
    """Layer 0's h set to 0 at step s: layer 1 at s is tanh(W_ih1 0 + b_ih1 + W_hh1 h1_{s-1} + b_hh1), by hand."""
    model = tiny_model("rnn", 2, False, seed=5, scale=2.0)
    tokens, _ = _ids(model)
    s = 4
    plain = model.analyze_tokens(tokens, stepped=True).trace
    edited = model.analyze_tokens(tokens, [Edit("hidden", [s], set=0.0, layer=0)]).trace
    rnn = model.model.rnn
    with torch.no_grad():
        by_hand = torch.tanh(rnn.bias_ih_l1 + rnn.weight_hh_l1 @ torch.tensor(plain.hidden[1, 0, s - 1])
                             + rnn.bias_hh_l1).numpy()
    np.testing.assert_allclose(edited.hidden[0, 0, s], 0.0)
    np.testing.assert_allclose(edited.hidden[1, 0, s], by_hand, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(edited.hidden[:, :, :s], plain.hidden[:, :, :s])
    assert np.abs(edited.hidden[1, 0, s:] - plain.hidden[1, 0, s:]).min(axis=1).max() > 0
    assert np.abs(edited.probabilities[s:] - plain.probabilities[s:]).max() > 1e-4


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_an_edit_in_layer_1_changes_layer_1_only(arch):
    model = tiny_model(arch, 2, False, seed=6, scale=2.0)
    tokens, _ = _ids(model)
    gate = {"lstm": "forget", "gru": "update"}[arch]
    plain = model.analyze_tokens(tokens, stepped=True).trace
    edited = model.analyze_tokens(tokens, [Edit(gate, range(2, 6), set=1.0, layer=1)]).trace
    np.testing.assert_array_equal(edited.hidden[0], plain.hidden[0])
    np.testing.assert_allclose(edited.gates[gate][1, 0, 2:6], 1.0)
    np.testing.assert_array_equal(edited.hidden[1, 0, :2], plain.hidden[1, 0, :2])
    assert np.abs(edited.hidden[1, 0, 2:] - plain.hidden[1, 0, 2:]).max() > 1e-3


def test_a_backward_edit_runs_right_to_left_as_a_hand_step_says():
    """Backward h set to 0 at step s: its step s - 1 reads zero as its previous state; the forward half is untouched;
    the final answer is the head on (forward after the last token, edited backward after token 0)."""
    model = tiny_model("rnn", 1, True, seed=7, scale=2.0)
    tokens, ids = _ids(model)
    s = 6
    plain = model.analyze_tokens(tokens, stepped=True).trace
    edited = model.analyze_tokens(tokens, [Edit("hidden", [s], set=0.0, direction=1)]).trace
    rnn, classifier = model.model.rnn, model.model
    with torch.no_grad():
        x = classifier.embedding(ids[s - 1])
        by_hand = torch.tanh(rnn.weight_ih_l0_reverse @ x + rnn.bias_ih_l0_reverse + rnn.bias_hh_l0_reverse).numpy()
        final = torch.cat([torch.tensor(edited.hidden[0, 0, -1]), torch.tensor(edited.hidden[0, 1, 0])])
        answer = torch.softmax(classifier.logits(final), dim=-1).numpy()
    np.testing.assert_allclose(edited.hidden[0, 1, s - 1], by_hand, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(edited.hidden[0, 0], plain.hidden[0, 0])
    np.testing.assert_array_equal(edited.hidden[0, 1, s + 1:], plain.hidden[0, 1, s + 1:])
    np.testing.assert_allclose(edited.probabilities[-1], answer, atol=1e-6, rtol=0)


@pytest.mark.parametrize("arch,layers", [("lstm", 1), ("gru", 1), ("gru", 2)])
def test_edited_prefix_answers_are_the_edited_model_on_each_prefix(arch, layers):
    """A bidirectional what-if: row t is the edited run of tokens 0..t alone; before the edited steps, unchanged
    (a stack of two bidirectional layers, too, whose upper layer reads each prefix's own backward states)."""
    model = tiny_model(arch, layers, True, seed=8, scale=2.0)
    tokens, ids = _ids(model)
    s = 5
    gate = {"lstm": "forget", "gru": "update"}[arch]
    edit = Edit(gate, [s, s + 1], set=0.0, direction=1)
    plain = model.analyze_tokens(tokens, stepped=True).probabilities
    edited = model.analyze_tokens(tokens, [edit]).probabilities
    for t in range(len(tokens)):
        kept = [step for step in edit.steps if step <= t]
        alone = edited_trace(model.model, ids[: t + 1], [dataclasses.replace(edit, steps=kept)] if kept else [])
        np.testing.assert_allclose(edited[t], alone.probabilities[-1], atol=TOL, rtol=0)
    np.testing.assert_allclose(edited[:s], plain[:s], atol=TOL, rtol=0)  # prefixes without the edited steps
    assert np.abs(edited[s + 2:] - plain[s + 2:]).max() > 1e-4


@pytest.mark.parametrize("arch,layers,bidirectional", VARIANTS)
def test_the_edited_answer_is_the_last_row_of_the_edited_trace(arch, layers, bidirectional):
    model = tiny_model(arch, layers, bidirectional, seed=9, scale=2.0)
    tokens, ids = _ids(model)
    edit = Edit("hidden", [3, 4], scale=0.0, layer=layers - 1, direction=1 if bidirectional else 0)
    whole = edited_trace(model.model, ids, [edit]).probabilities[-1]
    np.testing.assert_allclose(edited_answer(model.model, ids, [edit]), whole, atol=1e-6, rtol=0)
    assert np.abs(whole - model.analyze_tokens(tokens).probabilities[-1]).max() > 1e-4
    effects = unit_effects(model, tokens, dataclasses.replace(edit, units=ALL_UNITS))
    one = edited_trace(model.model, ids, [dataclasses.replace(edit, units=[2])]).probabilities[-1, -1]
    assert effects[2] == pytest.approx(one - model.analyze_tokens(tokens).probabilities[-1, -1], abs=1e-5)


@pytest.mark.parametrize("name", [n for n in all_names("sentiment") if "_" in n])
def test_every_shipped_variant_records_what_torch_computes(name):
    from lessons.texts import RESTAURANT

    model = load_pretrained(name)
    assert model.recording_error(model.analyze(RESTAURANT)) < 1e-5  # every layer and direction
