"""The classic experiments: where each acts, what it edits in each cell, and what the edits do to the real models."""
from __future__ import annotations

import numpy as np
import pytest

from models.asking.experiments import (
    CONNECTIVES,
    NO_CONNECTIVE,
    NO_DE,
    NO_GATE,
    NOTHING_BEFORE,
    experiment,
    preset_steps,
    top_units,
    unit_effects,
)
from models.asking.intervene import Edit
from models.pretrained import load_pretrained

TOKENS = ("我", "的", "手机", "很", "好", "，", "但是", "的", "电池", "差")


def test_where_each_preset_acts():
    assert preset_steps("never_forget", TOKENS, at=4) == (4, 5, 6, 7, 8, 9)
    assert preset_steps("cut_memory", TOKENS, at=3) == (3,)
    assert preset_steps("ignore_de", TOKENS) == (1, 7)
    assert preset_steps("forget_at_connective", TOKENS) == (6,)
    assert preset_steps("forget_at_connective", ("不过", "但是")) == (0,)  # the first one, whichever it is
    assert preset_steps("forget_at_connective", ("很", "好")) == ()
    assert "但是" in CONNECTIVES and not any("…" in c for c in CONNECTIVES)


@pytest.mark.parametrize("at", [-1, len(TOKENS)])
def test_a_chosen_token_outside_the_text_is_refused(at):
    with pytest.raises(ValueError, match="outside the text"):
        preset_steps("cut_memory", TOKENS, at=at)
    with pytest.raises(ValueError, match="preset"):
        preset_steps("forget_everything", TOKENS)


@pytest.mark.parametrize(
    ("preset", "arch", "edits", "missing"),
    [
        ("never_forget", "lstm", [Edit("forget", range(4, 10), set=1.0)], None),
        ("never_forget", "gru", [Edit("update", range(4, 10), set=1.0)], None),  # PyTorch's z = 1: keep the old state
        ("never_forget", "rnn", [], NO_GATE),
        ("forget_at_connective", "lstm", [Edit("forget", [6], set=0.0)], None),
        ("forget_at_connective", "gru", [Edit("update", [6], set=0.0)], None),
        ("forget_at_connective", "rnn", [Edit("hidden", [5], set=0.0)], None),  # step 6 reads only its input
        ("ignore_de", "lstm", [Edit("input", [1, 7], set=0.0)], None),
        ("ignore_de", "gru", [Edit("update", [1, 7], set=1.0)], None),  # nothing new written: the token is skipped
        ("ignore_de", "rnn", [], NO_GATE),
        ("cut_memory", "rnn", [Edit("hidden", [4], set=0.0)], None),
        ("cut_memory", "gru", [Edit("hidden", [4], set=0.0)], None),
        ("cut_memory", "lstm", [Edit("cell", [4], set=0.0), Edit("hidden", [4], set=0.0)], None),
    ],
)
def test_what_each_preset_edits_in_each_cell(preset, arch, edits, missing):
    found = experiment(preset, arch, TOKENS, at=4)
    assert list(found.edits) == edits and found.missing == missing


def test_presets_say_why_they_have_nothing_to_edit():
    plain = ("很", "好")
    assert {experiment("forget_at_connective", a, plain).missing for a in ("rnn", "lstm", "gru")} == {NO_CONNECTIVE}
    assert {experiment("ignore_de", a, plain).missing for a in ("rnn", "lstm", "gru")} == {NO_DE}
    first = experiment("forget_at_connective", "rnn", ("但是", "好"))
    assert first.edits == () and first.missing == NOTHING_BEFORE
    assert experiment("forget_at_connective", "lstm", ("但是", "好")).edits == (Edit("forget", [0], set=0.0),)


def test_top_units_by_size_of_effect():
    assert top_units(np.array([0.1, -0.5, 0.3, 0.5]), 3) == (1, 3, 2)
    with pytest.raises(ValueError, match="k"):
        top_units(np.zeros(3), 0)


@pytest.fixture(scope="module")
def gru():
    return load_pretrained("gru")


def test_unit_effects_are_each_units_edit_alone(gru):
    tokens = gru.tokens("这个手机的屏幕很好，但是电池太差了。")
    edit = Edit("update", range(3, len(tokens)), set=1.0)
    effects = unit_effects(gru, tokens, edit)
    assert effects.shape == (gru.model.rnn.hidden_size,) and not effects.flags.writeable
    base = gru.analyze_tokens(tokens).probabilities[-1, -1]
    for unit in top_units(effects, 2):
        alone = gru.analyze_tokens(tokens, edits=[Edit("update", edit.steps, units=[unit], set=1.0)])
        assert effects[unit] == pytest.approx(alone.probabilities[-1, -1] - base, abs=1e-6)
    listed = unit_effects(gru, tokens, Edit("update", edit.steps, units=[4, 9], set=1.0))
    assert np.count_nonzero(listed[[u for u in range(len(listed)) if u not in (4, 9)]]) == 0
    with pytest.raises(ValueError, match="one value"):
        unit_effects(gru, tokens, Edit("update", [3], set=np.ones(gru.model.rnn.hidden_size)))


def test_the_gru_skips_every_de_exactly(gru):
    tokens = gru.tokens("我的老师的讲课很好")
    run = experiment("ignore_de", "gru", tokens)
    hidden = gru.analyze_tokens(tokens, edits=run.edits).trace.hidden[0, 0]  # (T, H)
    assert run.steps and all(s > 0 for s in run.steps)
    for step in run.steps:
        np.testing.assert_array_equal(hidden[step], hidden[step - 1])


def test_the_rnn_reads_the_connective_afresh():
    rnn = load_pretrained("rnn")
    tokens = rnn.tokens("菜很好吃，但是服务太差")
    run = experiment("forget_at_connective", "rnn", tokens)
    (turn,) = run.steps
    edited = rnn.analyze_tokens(tokens, edits=run.edits).trace.hidden[0, 0]
    fresh = rnn.analyze_tokens(tokens[turn:]).trace.hidden[0, 0]  # the text starting at the connective
    np.testing.assert_allclose(edited[turn:], fresh, atol=1e-6)


def test_presets_act_on_a_chosen_layer_and_on_the_backward_direction():
    """The GRU skips 的 exactly in the layer and direction asked for; backward, the RNN reads 但是 afresh from
    the right: its states from the connective down to token 0 are those of the text cut after the connective."""
    from tests.variants import tiny_model

    tokens = ["我", "的", "电影", "很", "好", "但是", "的", "差", "了"]
    gru = tiny_model("gru", 2, False, scale=2.0)
    run = experiment("ignore_de", "gru", tokens, layer=1)
    assert {(e.layer, e.direction) for e in run.edits} == {(1, 0)}
    plain = gru.analyze_tokens(tokens, stepped=True).trace.hidden
    hidden = gru.analyze_tokens(tokens, edits=run.edits).trace.hidden
    np.testing.assert_array_equal(hidden[0], plain[0])
    for step in run.steps:
        np.testing.assert_array_equal(hidden[1, 0, step], hidden[1, 0, step - 1])
    backward = experiment("ignore_de", "gru", tokens, direction=1)
    bi = tiny_model("gru", 1, True, scale=2.0)
    hidden = bi.analyze_tokens(tokens, edits=backward.edits).trace.hidden
    for step in backward.steps:
        np.testing.assert_array_equal(hidden[0, 1, step], hidden[0, 1, step + 1])  # read right to left
    rnn = tiny_model("rnn", 1, True, scale=2.0)
    run = experiment("forget_at_connective", "rnn", tokens, direction=1)
    assert run.steps == (5,) and run.edits == (Edit("hidden", [6], set=0.0, direction=1),)
    edited = rnn.analyze_tokens(tokens, edits=run.edits).trace.hidden[0, 1]
    cut = rnn.analyze_tokens(tokens[:6]).trace.hidden[0, 1]
    np.testing.assert_allclose(edited[:6], cut, atol=1e-6)
    assert preset_steps("never_forget", tokens, at=3, direction=1) == (3, 2, 1, 0)
    last = experiment("forget_at_connective", "rnn", ["很", "好", "但是"], direction=1)
    assert last.missing == NOTHING_BEFORE
