"""Asking the race models (models.asking.race) and the race lesson's claims: answers, parity with torch, holding
units, the gradient curve, what-if edits and the curves from the cards.

The math is tested on tiny race models trained for a few steps here; the parity, the units and the claims also
on the shipped ones (pretrained/, or the folder $RNN_GATES_PRETRAINED names, as tests/test_lessons.py does).
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import torch

from lessons.claims import AT_CHANCE, RACE_CHECKS, RaceClaims, chance_gap, race
from models.asking.gradients import distance_curve
from models.asking.race import (
    RACE_CELLS,
    HoldingUnit,
    ProbeSet,
    fewest_units_to_change,
    holding_units,
    probe_values,
    race_answers,
    race_curve,
    race_curves,
    race_distractors,
    race_gradient_curve,
    race_whatif,
    rank_units,
    typed_distractors,
    unit_accuracy,
    unit_along_gap,
    vocabulary_distractors,
    whatif_edit,
)
from models.pretrained import load_pretrained
from models.training.race import CLUES, QUERY, sequence
from models.training.train_race import RaceSettings, run

WORDS = ("手机", "电池", "服务", "价格", "房间", "书", "快递", "味道")
SHIPPED = os.environ.get("RNN_GATES_PRETRAINED") or None
TINY = RaceSettings(steps=4, train_gaps=(1, 3), embed_dim=4, hidden_size=6, threads=1)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("race")
    run(list(RACE_CELLS), folder, TINY, seeds=2, distractors=WORDS, max_gap=5)
    return folder


@pytest.fixture(scope="module")
def tiny(tiny_folder):
    return {cell: load_pretrained(f"race_{cell}", tiny_folder) for cell in RACE_CELLS}


@pytest.fixture(scope="module")
def shipped():
    return {cell: load_pretrained(f"race_{cell}", SHIPPED) for cell in RACE_CELLS}


def _torch_steps(model, tokens):
    """h_t and c_t (T, H) from torch's own module, fed one step at a time, and the logits at the query."""
    ids = torch.from_numpy(model.vocab.encode(list(tokens)).ids)
    module = model.model.rnn
    hs, cs, state = [], [], None
    with torch.inference_mode():
        x = model.model.embedding(ids)[None]  # (1, T, E)
        for t in range(x.shape[1]):
            out, state = module(x[:, t : t + 1], state)
            hs.append(out[0, 0])
            if isinstance(state, tuple):
                cs.append(state[1][0, 0])
        logits = model.model(ids[None], torch.tensor([len(ids)]))[0]
    return torch.stack(hs).numpy(), (torch.stack(cs).numpy() if cs else None), logits.numpy(), x[0]


def _torch_gates(model, x, hidden):
    """Every gate (T, H) from the module's own weights (torch's packed order), with h_{t-1} from torch's run."""
    module = model.model.rnn
    previous = torch.cat([torch.zeros(1, hidden.shape[1]), torch.from_numpy(hidden[:-1])])
    with torch.inference_mode():
        gi = x @ module.weight_ih_l0.T + module.bias_ih_l0
        gh = previous @ module.weight_hh_l0.T + module.bias_hh_l0
    if model.arch == "lstm":
        i, f, g, o = (gi + gh).chunk(4, dim=1)
        return {"input": torch.sigmoid(i), "forget": torch.sigmoid(f), "candidate": torch.tanh(g),
                "output": torch.sigmoid(o)}
    if model.arch == "gru":
        (ir, iz, in_), (hr, hz, hn) = gi.chunk(3, dim=1), gh.chunk(3, dim=1)
        r = torch.sigmoid(ir + hr)
        return {"reset": r, "update": torch.sigmoid(iz + hz), "candidate": torch.tanh(in_ + r * hn)}
    return {}


@pytest.mark.parametrize("which", ["tiny", "shipped"])
@pytest.mark.parametrize("cell", RACE_CELLS)
def test_recorded_gates_and_states_of_a_race_model_are_torchs_own(request, which, cell):
    model = request.getfixturevalue(which)[cell]
    answer = race_answers({cell: model}, 3, race_distractors(model, 40, seed=1))[cell]
    trace = answer.analysis.trace
    hidden, cells, logits, x = _torch_steps(model, answer.tokens)
    np.testing.assert_allclose(trace.hidden[0, 0], hidden, atol=1e-5)
    if cell == "lstm":
        np.testing.assert_allclose(trace.cell[0, 0], cells, atol=1e-5)
    expected = _torch_gates(model, x, hidden)
    assert set(expected) == set(trace.gates)
    for name, values in expected.items():
        np.testing.assert_allclose(trace.gates[name][0, 0], values.numpy(), atol=1e-5, err_msg=name)
    np.testing.assert_allclose(answer.probabilities, torch.softmax(torch.from_numpy(logits), 0).numpy(), atol=1e-5)
    assert model.recording_error(answer.analysis) < 1e-5


def test_one_sequence_through_each_model_answers_at_the_query_and_names_unknown_words(tiny):
    unknown = "量子力学"
    assert tiny["lstm"].vocab.id_of(unknown) is None
    answers = race_answers(tiny, 4, ["手机", unknown, "书"])
    assert list(answers) == list(RACE_CELLS)
    for cell, answer in answers.items():
        assert answer.cell == cell and answer.tokens == (CLUES[4], "手机", unknown, "书", QUERY)
        assert answer.unknown_words == (unknown,)
        assert answer.probabilities.shape == (len(CLUES),) and not answer.probabilities.flags.writeable
        assert answer.probabilities.sum() == pytest.approx(1, abs=1e-5)
        assert answer.answer == int(answer.analysis.probabilities[-1].argmax())
        assert answer.correct == (answer.answer == 4)
    assert typed_distractors(tiny["gru"], "手机 电池 服务") == ("手机", "电池", "服务")


def test_drawn_distractors_are_the_vocabularys_words_seeded(tiny):
    words = vocabulary_distractors(tiny["rnn"])
    assert set(words) == set(WORDS)
    drawn = race_distractors(tiny["rnn"], 30, seed=5)
    assert len(drawn) == 30 and set(drawn) <= set(WORDS)
    assert drawn == race_distractors(tiny["rnn"], 30, seed=5) != race_distractors(tiny["rnn"], 30, seed=6)


def _probe(values, clues):
    return ProbeSet(np.asarray(clues), {"hidden": np.asarray(values, dtype=np.float64)}, gap=3)


def test_the_unit_that_names_the_clue_ranks_first_with_its_value_per_clue():
    rng = np.random.default_rng(0)
    clues = np.tile(np.arange(len(CLUES)), 16)
    values = np.stack([rng.normal(size=clues.size), clues + 0.01 * rng.normal(size=clues.size),
                       clues % 2], axis=1)  # noise, the clue, its parity
    ranked = rank_units(_probe(values, clues))
    assert [u.unit for u in ranked] == [1, 2, 0]
    assert ranked[0].accuracy == 1.0 and ranked[1].accuracy == 0.25  # ties: the first mean
    np.testing.assert_allclose(ranked[0].means, np.arange(len(CLUES)), atol=0.01)
    assert ranked[0].state == "hidden" and ranked[0].gap == 3
    assert len(rank_units(_probe(values, clues), top=2)) == 2


def test_a_unit_is_scored_on_the_half_it_was_not_fit_on():
    clues = np.tile(np.arange(len(CLUES)), 8)
    half = clues.size // 2
    values = np.where(np.arange(clues.size) < half, clues, len(CLUES) - 1 - clues)[:, None]  # reversed in half 2
    assert unit_accuracy(values.astype(float), clues)[0] == 0.0


def test_probe_values_are_the_recorded_states_at_the_query(tiny):
    model = tiny["lstm"]
    probe = probe_values(model, gap=4, count=16, seed=3)
    assert set(probe.values) == {"hidden", "cell"} and probe.values["cell"].shape == (16, TINY.hidden_size)
    assert set(np.bincount(probe.clues)) == {2}
    from models.training.race import race_items  # the same sequences, one at a time through the recorder
    for row, item in enumerate(race_items(16, [4], vocabulary_distractors(model), seed=3)[:3]):
        trace = model.analyze_tokens(list(item.tokens)).trace
        assert probe.clues[row] == item.clue
        np.testing.assert_allclose(probe.values["hidden"][row], trace.hidden[0, 0, -1], atol=1e-5)
        np.testing.assert_allclose(probe.values["cell"][row], trace.cell[0, 0, -1], atol=1e-5)
    assert set(probe_values(tiny["gru"], gap=2, count=8).values) == {"hidden"}


def test_holding_units_rank_every_unit_and_only_an_lstm_has_a_cell(tiny):
    ranked = holding_units(tiny["gru"], 3, count=64)
    assert sorted(u.unit for u in ranked) == list(range(TINY.hidden_size))
    assert [u.accuracy for u in ranked] == sorted((u.accuracy for u in ranked), reverse=True)
    assert holding_units(tiny["lstm"], 3, state="cell", count=64)[0].state == "cell"
    with pytest.raises(ValueError, match="cell state"):
        holding_units(tiny["gru"], 3, state="cell")


def test_the_lstms_gates_along_the_gap_are_the_recorded_ones(tiny):
    analysis = race_answers({"lstm": tiny["lstm"]}, 1, list(WORDS))["lstm"].analysis
    along = unit_along_gap(analysis, 2)
    forget = analysis.trace.gates["forget"][0, 0, :, 2].astype(np.float64)
    np.testing.assert_array_equal(along.forget, forget)
    np.testing.assert_array_equal(along.input, analysis.trace.gates["input"][0, 0, :, 2])
    np.testing.assert_array_equal(along.cell, analysis.trace.cell[0, 0, :, 2])
    assert along.mean_forget == pytest.approx(forget[1:-1].mean())
    assert along.kept == pytest.approx(np.prod(forget[1:-1]))
    rnn = unit_along_gap(race_answers({"rnn": tiny["rnn"]}, 1, list(WORDS))["rnn"].analysis, 0)
    assert rnn.forget is None and rnn.cell is None and rnn.update is None and np.isnan(rnn.mean_forget)
    gru = race_answers({"gru": tiny["gru"]}, 1, list(WORDS))["gru"].analysis
    np.testing.assert_array_equal(unit_along_gap(gru, 1).update, gru.trace.gates["update"][0, 0, :, 1])
    with pytest.raises(ValueError):
        unit_along_gap(analysis, TINY.hidden_size)


@pytest.mark.parametrize("cell", RACE_CELLS)
def test_the_race_gradient_curve_is_torch_autograds_from_the_query(tiny, cell):
    model = tiny[cell]
    tokens = sequence(0, race_distractors(model, 12, seed=2))
    curve = race_gradient_curve(model, tokens)
    ids = torch.from_numpy(model.vocab.encode(list(tokens)).ids)
    reference = distance_curve(model.model, ids, method="autograd")
    assert len(curve.norm) == len(tokens) and curve.steps[-1] == 0  # the last point is the clue
    assert curve.norm[0] == pytest.approx(np.sqrt(TINY.hidden_size), rel=1e-5)
    finite = np.isfinite(reference.log10_norm) & (reference.norm > 1e-30)
    np.testing.assert_allclose(curve.log10_norm[finite], reference.log10_norm[finite], atol=1e-3)


def test_cutting_a_unit_zeroes_it_from_the_step_on_and_the_answer_follows(tiny):
    model = tiny["lstm"]
    tokens = sequence(5, list(WORDS))
    result = race_whatif(model, tokens, HoldingUnit(3, "cell", 1.0, 1.0, (0.0,) * len(CLUES), 3), mode="cut",
                         start=2)
    before = model.analyze_tokens(list(tokens)).trace
    after = result.analysis.trace
    assert result.edit.target == "cell" and result.edit.steps == tuple(range(2, len(tokens)))
    np.testing.assert_array_equal(after.cell[0, 0, 2:, 3], 0.0)
    np.testing.assert_allclose(after.cell[0, 0, :2], before.cell[0, 0, :2], atol=1e-6)
    np.testing.assert_allclose(result.after, after.probabilities[-1])
    np.testing.assert_allclose(result.before, before.probabilities[-1], atol=1e-5)
    assert result.clue == 5 and result.changed == (result.answer_before != result.answer_after)


def test_cutting_every_hidden_unit_at_the_query_leaves_only_the_heads_bias(tiny):
    model = tiny["rnn"]
    tokens = sequence(0, list(WORDS))
    result = race_whatif(model, tokens, range(TINY.hidden_size), mode="cut", start=len(tokens) - 1)
    with torch.inference_mode():
        expected = torch.softmax(model.model.head.bias, 0).numpy()
    np.testing.assert_allclose(result.after, expected, atol=1e-6)


def test_freezing_holds_the_clue_steps_value(tiny):
    model = tiny["gru"]
    tokens = sequence(6, list(WORDS))
    result = race_whatif(model, tokens, [1, 4], mode="freeze")
    hidden = result.analysis.trace.hidden[0, 0]
    np.testing.assert_allclose(hidden[:, [1, 4]], np.broadcast_to(hidden[0, [1, 4]], (len(tokens), 2)), atol=1e-6)
    with pytest.raises(ValueError, match="no cell"):
        whatif_edit(result.analysis, [1], "cell", "freeze")
    with pytest.raises(ValueError, match="mode"):
        race_whatif(model, tokens, 1, mode="erase")


def test_the_fewest_units_to_change_the_answer_is_the_first_prefix_that_does(tiny):
    model = tiny["gru"]
    tokens = sequence(2, list(WORDS))
    ranked = holding_units(model, len(WORDS), count=64)
    k = fewest_units_to_change(model, tokens, ranked)
    changed = [race_whatif(model, tokens, [u.unit for u in ranked[:n]]).changed for n in range(1, len(ranked) + 1)]
    assert k == (changed.index(True) + 1 if True in changed else 0)


def _card(runs, shipped=1, train=(1, 2)):
    return {"config": {"arch": "gru"}, "task": {"train_gaps": list(train), "chance": 0.125},
            "seeds": {"shipped": shipped, "runs": [{"seed": s, "accuracy_by_gap": a} for s, a in runs]}}


def test_the_curve_is_each_gaps_mean_and_spread_over_seeds_and_the_shipped_seeds_own():
    card = _card([(0, {"1": 1.0, "3": 0.5, "2": 0.75}), (1, {"1": 0.5, "2": 0.25, "3": 0.125}),
                  (2, {"1": 0.75, "2": 0.5, "3": 0.25})])
    curve = race_curve(card)
    assert curve.cell == "gru" and curve.gaps.tolist() == [1, 2, 3] and curve.train_gaps == (1, 2)
    np.testing.assert_allclose(curve.mean, [0.75, 0.5, 0.875 / 3])
    np.testing.assert_allclose(curve.low, [0.5, 0.25, 0.125])
    np.testing.assert_allclose(curve.high, [1.0, 0.75, 0.5])
    np.testing.assert_allclose(curve.shipped, [0.5, 0.25, 0.125])
    assert curve.at(2, "high") == 0.75 and curve.chance == 0.125
    assert chance_gap(curve) == 3 and chance_gap(curve, "high") == -1
    with pytest.raises(ValueError, match="not tested"):
        curve.at(9)


def test_the_page_curve_reads_the_cards_alone(tiny_folder, tmp_path):
    for cell in ("rnn", "gru"):
        shutil.copy(tiny_folder / f"race_{cell}.json", tmp_path)
    curves = race_curves(tmp_path)
    assert list(curves) == ["rnn", "gru"]
    card = json.loads((tiny_folder / "race_rnn.json").read_text(encoding="utf-8"))
    assert curves["rnn"].gaps.tolist() == [1, 2, 3, 4, 5] and curves["rnn"].seeds.tolist() == [0, 1]
    shipped = next(r for r in card["seeds"]["runs"] if r["seed"] == card["seeds"]["shipped"])
    assert curves["rnn"].shipped.tolist() == [shipped["accuracy_by_gap"][str(g)] for g in range(1, 6)]


# --- on the shipped race models ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def claims(shipped) -> RaceClaims:
    return race(shipped)


@pytest.mark.parametrize("check", RACE_CHECKS, ids=[c[0] for c in RACE_CHECKS])
def test_the_race_lessons_premises_hold_on_the_shipped_models(claims, check):
    name, holds, says = check
    assert holds(claims), f"{name}: {says} ({claims})"


def test_the_race_claims_are_the_cards_and_the_models_numbers(claims, shipped):
    curves = race_curves(SHIPPED)
    assert claims.trained == curves["lstm"].train_gaps[1] and claims.tested == int(curves["lstm"].gaps[-1])
    for cell in RACE_CELLS:
        assert getattr(claims, f"{cell}_tested") == curves[cell].at(claims.tested)
        assert getattr(claims, f"{cell}_chance_gap") == chance_gap(curves[cell])
    rnn_low = curves["rnn"].shipped <= curves["rnn"].chance + AT_CHANCE
    assert claims.rnn_falls == ("rnn_falls" if rnn_low.any() else "rnn_never")
    best = holding_units(shipped["lstm"], claims.gap, state="cell", top=1)[0]
    assert (claims.lstm_unit, claims.lstm_unit_accuracy) == (best.unit, best.accuracy)
    tokens = sequence(CLUES.index(claims.clue), race_distractors(shipped["lstm"], claims.gap, seed=0))
    forget = shipped["lstm"].analyze_tokens(list(tokens)).trace.gates["forget"][0, 0, 1:-1, claims.lstm_unit]
    assert claims.lstm_unit_forget == pytest.approx(float(forget.astype(np.float64).mean()), abs=1e-6)


def test_the_shipped_lstm_holds_the_clue_in_a_unit_that_names_it(shipped, claims):
    ranked = holding_units(shipped["lstm"], claims.gap, state="cell")
    assert ranked[0].accuracy > 2 * claims.chance
    means = np.array(ranked[0].means)
    assert np.ptp(means) > 0  # its value at the query differs by clue
