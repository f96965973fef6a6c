"""viz.race: the memory-race figures' data (numpy asserts) and figures (the figure objects)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from models.trace import Trace
from viz import race

CHANCE = 0.125


def curve(by_seed, *, gaps=None, shipped=0, train=(1, 3)):
    by_seed = np.asarray(by_seed, dtype=float)
    gaps = np.arange(1, by_seed.shape[1] + 1) if gaps is None else np.asarray(gaps)
    return SimpleNamespace(gaps=gaps, by_seed=by_seed, shipped=by_seed[shipped], train_gaps=train, chance=CHANCE)


def lstm_trace(forget: np.ndarray, inputs: np.ndarray) -> Trace:
    shape = (1, 1, *forget.shape)
    half = np.full(shape, 0.5, np.float32)
    return Trace("lstm", [f"w{t}" for t in range(forget.shape[0])], hidden=np.zeros(shape), cell=np.zeros(shape),
                 gates={"input": inputs.reshape(shape).astype(np.float32), "forget": forget.reshape(shape).astype(
                     np.float32), "candidate": np.zeros(shape, np.float32), "output": half})


def test_first_gap_at_chance_is_where_the_accuracy_stays_at_chance():
    gaps = np.arange(1, 7)
    assert race.first_gap_at_chance(gaps, np.array([1, .9, .1, .5, .15, .12]), CHANCE) == 5  # the 0.1 dip is not it
    assert race.first_gap_at_chance(gaps, np.array([1, 1, 1, 1, 1, .9]), CHANCE) is None
    assert race.first_gap_at_chance(gaps, np.full(6, CHANCE), CHANCE) == 1


def test_curve_data_is_the_seeds_mean_min_max_on_the_gaps_every_card_has():
    rnn = curve([[1.0, 0.5, 0.1, 0.12], [0.8, 0.3, 0.13, 0.11]], shipped=1)
    lstm = curve([[1.0, 1.0, 1.0], [1.0, 0.9, 0.95]], gaps=[1, 2, 4])
    data = race.race_curve_data({"rnn": rnn, "lstm": lstm})
    assert data.cells == ("rnn", "lstm") and data.gaps.tolist() == [1, 2, 4]
    np.testing.assert_allclose(data.mean, [[0.9, 0.4, 0.115], [1.0, 0.95, 0.975]])
    np.testing.assert_allclose(data.low[0], [0.8, 0.3, 0.11])
    np.testing.assert_allclose(data.high[1], [1.0, 1.0, 1.0])
    np.testing.assert_allclose(data.shipped[0], [0.8, 0.3, 0.11])
    assert data.seeds == (2, 2) and data.chance == CHANCE and data.trained == (1, 3)
    assert data.falls_to_chance == {"rnn": 4, "lstm": None}


def test_the_curve_draws_bands_means_shipped_seeds_chance_and_the_trained_range():
    data = race.race_curve_data({"rnn": curve([[1, .5, .1], [.9, .4, .12]]), "gru": curve([[1, 1, 1], [1, 1, .9]])})
    fig = race.race_curve(data, names={"rnn": "RNN", "gru": "GRU"})
    assert len(fig.data) == 6  # per cell: band, mean, shipped seed
    band, mean = fig.data[0], fig.data[1]
    assert band.fill == "toself" and list(band.y) == pytest.approx([1, .5, .12, .1, .4, .9])
    assert list(mean.y) == pytest.approx([.95, .45, .11]) and "RNN" in mean.name
    shapes = fig.layout.shapes
    assert any(s.type == "rect" and (s.x0, s.x1) == (0.5, 3.5) for s in shapes)  # the gaps trained on, shaded
    assert any(s.type == "line" and s.y0 == pytest.approx(CHANCE) for s in shapes)


def test_no_cards_give_an_empty_figure_with_a_title():
    fig = race.race_curve(race.race_curve_data({}))
    assert not fig.data and fig.layout.title.text == race.RACE_LABELS["no_cards"]


def test_answer_bars_mark_the_right_clue():
    data = race.answers_data({"RNN": np.array([.2, .8, 0]), "LSTM": np.array([0, .1, .9])}, ("红", "橙", "黄"), 2)
    assert data.probabilities.shape == (2, 3) and data.right == 2
    fig = race.answer_bars(data)
    assert [bar.name for bar in fig.data] == ["RNN", "LSTM"]
    assert list(fig.data[1].y) == pytest.approx([0, .1, .9])
    assert "✓" in fig.layout.xaxis.ticktext[2] and "✓" not in fig.layout.xaxis.ticktext[0]


def test_holders_heatmap_rows_are_the_ranked_units_with_their_accuracy():
    units = [SimpleNamespace(unit=7, accuracy=0.9, means=(1.0, -1.0)), SimpleNamespace(unit=2, accuracy=0.4,
                                                                                      means=(0.1, 0.2))]
    data = race.holders_data(units, ("红", "橙"))
    assert data.units.tolist() == [7, 2] and data.means.shape == (2, 2)
    fig = race.holders_heatmap(data)
    assert list(fig.data[0].y) == ["7 (90%)", "2 (40%)"] and fig.data[0].zmid == 0


def test_unit_gates_are_the_lstm_forget_and_input_gate_of_that_unit():
    forget, inputs = np.random.default_rng(0).random((2, 5, 3))
    trace = lstm_trace(forget, inputs)
    data = race.unit_gates_data(trace, 1)
    np.testing.assert_allclose(data.forget, forget[:, 1], rtol=1e-6)
    np.testing.assert_allclose(data.input, inputs[:, 1], rtol=1e-6)
    fig = race.unit_gates_figure(data)
    np.testing.assert_allclose([np.asarray(tr.y) for tr in fig.data], [forget[:, 1], inputs[:, 1]], rtol=1e-6)
    zeros = np.zeros((1, 1, 1, 2), np.float32)
    gru = Trace("gru", ["a"], hidden=zeros, gates={k: zeros for k in ("reset", "update", "candidate")},
                terms={k: zeros for k in ("reset_hidden", "input_candidate")})
    with pytest.raises(ValueError):
        race.unit_gates_data(gru, 0)


def test_holding_map_puts_the_holding_units_on_top_marked():
    forget = np.arange(12, dtype=float).reshape(4, 3) / 12
    fig = race.holding_map(lstm_trace(forget, forget), "forget", [2])
    heat = fig.data[0]
    assert list(heat.y) == [race.HOLDER_MARK + "2", "0", "1"]
    np.testing.assert_allclose(np.asarray(heat.z)[0], forget[:, 2], rtol=1e-6)
