"""The data functions of viz: known arrays in, exact numbers out; real recorded traces for the equations."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from models.record import record
from models.trace import Trace
from viz.animation import animation_data
from viz.compare import comparison_data
from viz.difference import difference_data
from viz.equations import step_equation
from viz.heatmap import heatmap_data, normalized, unit_order
from viz.labels import sentence
from viz.overview import overview_data
from viz.prediction import prediction_data
from viz.retention import MAX_RETENTION_STEPS, retention_data, retention_map, retention_matrix
from viz.saturation import saturation_data, saturation_from_fractions
from viz.steps import MAX_COLUMNS, pool_steps, step_axis

TOL = 1e-5


def lstm_trace(forget: np.ndarray, tokens=None, **gates) -> Trace:
    """An LSTM trace from a forget array (T, H) (or (L, D, T, H)); other gates constant 0.5."""
    forget = np.asarray(forget, dtype=np.float32)
    if forget.ndim == 2:
        forget = forget[None, None]
    shape = forget.shape
    half = np.full(shape, 0.5, dtype=np.float32)
    given = {"input": half, "forget": forget, "candidate": np.zeros(shape, np.float32), "output": half}
    given.update({k: np.asarray(v, np.float32).reshape(shape) for k, v in gates.items()})
    tokens = tokens if tokens is not None else [str(t) for t in range(shape[2])]
    return Trace("lstm", tokens, hidden=np.zeros(shape), cell=np.zeros(shape), gates=given)


def gru_trace(update: np.ndarray) -> Trace:
    update = np.asarray(update, dtype=np.float32)[None, None]
    z = np.zeros_like(update)
    return Trace("gru", [str(t) for t in range(update.shape[2])], hidden=z,
                 gates={"reset": z, "update": update, "candidate": z}, terms={"reset_hidden": z, "input_candidate": z})


def recorded(cls, steps: int = 7, seed: int = 0, **kwargs):
    torch.manual_seed(seed)
    module = cls(5, 6, **kwargs).eval()
    return record(module, torch.randn(steps, 5) * 2.0)[0]


# retention ------------------------------------------------------------------------------------

def test_retention_with_forget_gates_one_is_one_in_the_lower_triangle():
    data = retention_data(lstm_trace(np.ones((6, 3))))
    lower = np.tril_indices(6)
    np.testing.assert_array_equal(data.matrix[lower], 1.0)
    assert np.isnan(data.matrix[np.triu_indices(6, k=1)]).all()


def test_retention_with_forget_gates_half_decays_as_powers():
    matrix = retention_data(lstm_trace(np.full((8, 4), 0.5))).matrix
    t, s = np.tril_indices(8)
    np.testing.assert_allclose(matrix[t, s], 0.5 ** (t - s), rtol=1e-6)


def test_retention_is_the_mean_over_units_of_products_and_survives_a_zero_gate():
    forget = np.array([[0.9, 0.5], [0.0, 1.0], [0.8, 0.5]])  # (T=3, H=2); unit 0 closes at step 1
    matrix = retention_matrix(forget)
    assert matrix[1, 0] == pytest.approx((0.0 + 1.0) / 2)
    assert matrix[2, 0] == pytest.approx((0.0 * 0.8 + 1.0 * 0.5) / 2)
    assert matrix[2, 1] == pytest.approx((0.8 + 0.5) / 2)
    assert np.isfinite(matrix[np.tril_indices(3)]).all()


def test_retention_of_chosen_units_and_of_the_backward_direction():
    forget = np.stack([np.full((5, 2), 0.5), np.full((5, 2), 0.25)])[None]  # (L=1, D=2, T=5, H=2)
    forget[0, 0, :, 1] = 1.0
    trace = lstm_trace(forget)
    only_first = retention_data(trace, units=[0]).matrix
    t, s = np.tril_indices(5)
    np.testing.assert_allclose(only_first[t, s], 0.5 ** (t - s), rtol=1e-6)
    backward = retention_data(trace, direction=1).matrix  # reads right to left: t <= s
    s2, t2 = np.tril_indices(5)
    np.testing.assert_allclose(backward[t2, s2], 0.25 ** (s2 - t2), rtol=1e-6)
    assert np.isnan(backward[np.tril_indices(5, k=-1)]).all()


def test_gru_retention_reads_the_update_gate_and_rnn_has_none():
    data = retention_data(gru_trace(np.full((4, 2), 0.5)))
    assert data.gate == "update"
    assert data.matrix[3, 0] == pytest.approx(0.125)
    assert retention_data(recorded(nn.RNN)) is None


def test_retention_is_windowed_on_long_traces():
    data = retention_data(lstm_trace(np.full((MAX_RETENTION_STEPS + 50, 2), 0.9)), start=40)
    assert data.matrix.shape == (MAX_RETENTION_STEPS, MAX_RETENTION_STEPS)
    assert data.steps[0] == 40 and data.steps[-1] == 40 + MAX_RETENTION_STEPS - 1


# saturation -----------------------------------------------------------------------------------

def test_saturation_fractions_are_exact():
    forget = np.array([[0.05, 0.5], [0.95, 0.5], [0.05, 0.91], [0.5, 0.09]])  # (T=4, H=2)
    data = saturation_data(lstm_trace(forget), low=0.1, high=0.9)
    assert data.gates == ("input", "forget", "output")
    np.testing.assert_array_equal(data.left["forget"], [0.5, 0.25])
    np.testing.assert_array_equal(data.right["forget"], [0.25, 0.25])
    np.testing.assert_array_equal(data.left["input"], [0.0, 0.0])  # constant 0.5
    assert data.steps == 4
    wide = saturation_data(lstm_trace(forget), low=0.6, high=0.92)
    np.testing.assert_array_equal(wide.left["forget"], [0.75, 0.75])
    np.testing.assert_array_equal(wide.right["forget"], [0.25, 0.0])


def test_saturation_pools_steps_across_traces_like_concatenation():
    rng = np.random.default_rng(0)
    parts = [rng.random((n, 3)) for n in (3, 7, 1)]
    pooled = saturation_data([lstm_trace(p) for p in parts])
    whole = saturation_data(lstm_trace(np.concatenate(parts)))
    assert pooled.steps == whole.steps == 11
    for gate in pooled.gates:
        np.testing.assert_allclose(pooled.left[gate], whole.left[gate])
        np.testing.assert_allclose(pooled.right[gate], whole.right[gate])


def test_saturation_of_an_rnn_has_no_gates_and_mixed_types_are_refused():
    assert saturation_data(recorded(nn.RNN)).gates == ()
    with pytest.raises(ValueError):
        saturation_data([recorded(nn.LSTM), recorded(nn.GRU)])


# unit order, normalisation, pooling ---------------------------------------------------------

def test_peak_order_sorts_units_by_the_step_of_their_peak():
    values = np.array([  # (T=4, H=3)
        [0.1, 0.9, -0.2],
        [0.2, 0.1, -0.95],
        [0.8, 0.2, 0.3],
        [0.3, 0.0, 0.4],
    ])
    np.testing.assert_array_equal(unit_order(values, "peak", "tanh"), [1, 2, 0])  # |value|: 0, 1, 2
    np.testing.assert_array_equal(unit_order(values, "peak", "gate"), [1, 0, 2])  # value: 0, 2, 3
    np.testing.assert_array_equal(unit_order(values, "stored", "gate"), [0, 1, 2])
    np.testing.assert_array_equal(unit_order(values, "variance", "tanh"), np.argsort(-values.var(axis=0)))


def test_unit_normalisation():
    values = np.array([[0.2, -2.0, 0.5], [0.6, 1.0, 0.5]])  # (T=2, H=3), unit 2 constant
    scaled, kind = normalized(values, "gate")
    assert kind == "unit_minmax"
    np.testing.assert_allclose(scaled, [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
    scaled, kind = normalized(values, "tanh")
    assert kind == "unit_maxabs"
    np.testing.assert_allclose(scaled, [[1 / 3, -1.0, 1.0], [1.0, 0.5, 1.0]])


def test_pooling_2000_steps_gives_at_most_1000_columns_of_means():
    values = np.arange(2000, dtype=np.float32)[None, :] * np.array([[1.0], [-2.0]], dtype=np.float32)
    pooled = pool_steps(values)
    assert pooled.values.shape == (2, 1000) and pooled.width == 2 and pooled.values.dtype == np.float32
    np.testing.assert_allclose(pooled.values[0, :3], [0.5, 2.5, 4.5])
    np.testing.assert_allclose(pooled.values[1, -1], -2 * 1998.5)
    odd = pool_steps(np.arange(2001, dtype=np.float32))
    assert odd.values.shape[-1] <= MAX_COLUMNS and odd.width == 3
    assert odd.values[-1] == pytest.approx(1999.0)  # the last group: steps 1998, 1999, 2000
    assert pool_steps(np.zeros((3, 0))).values.shape == (3, 0)


def test_pooling_last_group_mean():
    pooled = pool_steps(np.array([1.0, 2.0, 3.0, 4.0, 10.0]), max_columns=2)
    assert pooled.width == 3
    np.testing.assert_allclose(pooled.values, [2.0, 7.0])
    np.testing.assert_array_equal(pooled.starts, [0, 3])


def test_heatmap_data_of_a_long_trace_is_pooled_and_ordered():
    rng = np.random.default_rng(1)
    forget = rng.random((2000, 4))
    data = heatmap_data(lstm_trace(forget), "forget", order="peak")
    assert data.values.shape == (4, 1000) and data.axis.width == 2
    np.testing.assert_array_equal(data.units, np.argsort(forget.argmax(axis=0), kind="stable"))
    np.testing.assert_allclose(data.values[0, 0], forget[:2, data.units[0]].mean(), rtol=1e-6)
    assert (data.scale.zmin, data.scale.zmax) == (0.0, 1.0)


def test_step_axis_keeps_repeated_tokens_apart():
    tokens = ["的", "我", "的", "的", "<b>"]
    axis = step_axis(tokens, np.arange(5), 1)
    assert axis.tickvals == (0, 1, 2, 3, 4)
    assert axis.ticktext == ("的", "我", "的", "的", "&lt;b&gt;")


def test_cell_colour_limit_comes_from_the_data():
    trace = recorded(nn.LSTM, steps=30)
    data = heatmap_data(trace, "cell")
    limit = max(1.0, float(np.percentile(np.abs(trace.cell[0, 0]), 99)))
    assert (data.scale.zmin, data.scale.zmax, data.scale.zmid) == pytest.approx((-limit, limit, 0.0))


def test_a_few_large_cells_do_not_wash_out_the_colour_scale():
    trace = recorded(nn.LSTM, steps=30)
    cell = np.array(trace.cell)
    cell[0, 0, 3, 2] = 500.0  # one outlier
    data = heatmap_data(dataclasses.replace(trace, cell=cell), "cell")
    assert data.scale.zmax < 50 and data.values.max() == pytest.approx(500.0)  # the value itself is kept


# equations ----------------------------------------------------------------------------------

@pytest.mark.parametrize("direction", [0, 1])
def test_lstm_equation_numbers_match_the_recorded_states(direction):
    trace = recorded(nn.LSTM, num_layers=2, bidirectional=True)
    for layer in range(2):
        for step in range(trace.num_steps):
            for unit in (0, 5):
                eq = step_equation(trace, step=step, unit=unit, layer=layer, direction=direction)
                v = eq.values
                assert v["c"] == pytest.approx(v["f"] * v["c_prev"] + v["i"] * v["g"], abs=TOL)
                assert v["h"] == pytest.approx(v["o"] * np.tanh(v["c"]), abs=TOL)
                assert eq.max_error < TOL
    first = step_equation(trace, step=trace.num_steps - 1 if direction else 0, unit=2, direction=direction)
    assert first.values["c_prev"] == 0.0 and first.values["h_prev"] == 0.0
    assert "f_t" in first.formulas[0] and "=" in first.filled[0]


def test_lstm_previous_state_follows_the_direction():
    trace = recorded(nn.LSTM, bidirectional=True)
    assert step_equation(trace, step=3, unit=1).values["c_prev"] == pytest.approx(float(trace.cell[0, 0, 2, 1]))
    back = step_equation(trace, step=3, unit=1, direction=1)
    assert back.values["c_prev"] == pytest.approx(float(trace.cell[0, 1, 4, 1]))


def test_gru_textbook_convention_gives_the_same_hidden_state():
    trace = recorded(nn.GRU, bidirectional=True)
    for direction in (0, 1):
        for step in range(trace.num_steps):
            torch_form = step_equation(trace, step=step, unit=4, direction=direction, convention="torch")
            book = step_equation(trace, step=step, unit=4, direction=direction, convention="textbook")
            assert torch_form.max_error < TOL and book.max_error < TOL
            assert book.recomputed["h"] == pytest.approx(torch_form.recomputed["h"], abs=1e-6)
            assert book.values["z"] == pytest.approx(1 - torch_form.values["z"], abs=1e-7)
            assert torch_form.values["z"] == pytest.approx(float(trace.gates["update"][0, direction, step, 4]))
    assert book.formulas[1] == r"h_t = (1 - z_t) \, h_{t+1} + z_t \, n_t"  # the last one read: backward
    assert torch_form.formulas[1] == r"h_t = (1 - z_t) \, n_t + z_t \, h_{t+1}"
    assert book.definitions[1] == r"z_t = 1 - \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t+1} + b_{hz})"
    assert torch_form.definitions[1] == r"z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t+1} + b_{hz})"
    assert "textbook" in book.convention_label.lower() and "pytorch" in torch_form.convention_label.lower()
    assert step_equation(trace, step=0, unit=0).convention == "textbook"  # the teaching material's, by default
    for wrong in ("keras", "pytorch"):
        with pytest.raises(ValueError):
            step_equation(trace, step=0, unit=0, convention=wrong)


# the GRU convention: exact numbers ----------------------------------------------------------------

UPDATE = np.array([[0.125, 0.75], [0.25, 1.0], [0.5, 0.0], [0.875, 0.5]])  # (T=4, H=2) PyTorch's z, exact in binary
BOOK = 1.0 - UPDATE  # the textbook's z: [[0.875, 0.25], [0.75, 0.0], [0.5, 1.0], [0.125, 0.5]]


def test_heatmap_overview_and_comparison_data_flip_only_the_update_gate():
    trace = gru_trace(UPDATE)
    for convention, expected in (("torch", UPDATE), ("textbook", BOOK)):
        np.testing.assert_array_equal(heatmap_data(trace, "update", convention=convention).values, expected.T)
        rows = {row.name: row for row in overview_data(trace, convention=convention).rows}
        np.testing.assert_array_equal(rows["update"].values, expected.T)
        compared = comparison_data({"GRU": trace}, state="update", convention=convention)
        np.testing.assert_array_equal(compared.rows[0].values, expected.T)
    reset = np.arange(8, dtype=np.float32).reshape(1, 1, 4, 2) / 8
    other = Trace("gru", trace.tokens, hidden=trace.hidden, gates={**trace.gates, "reset": reset}, terms=trace.terms)
    np.testing.assert_array_equal(heatmap_data(other, "reset", convention="textbook").values, reset[0, 0].T)


def test_animation_data_flips_the_update_gate():
    trace = gru_trace(UPDATE)
    book, torch_form = animation_data(trace), animation_data(trace, convention="torch")
    row = book.names.index("update")
    np.testing.assert_array_equal(book.values[:, row], BOOK)
    np.testing.assert_array_equal(torch_form.values[:, row], UPDATE)


def test_saturation_counts_the_shown_update_gate():
    trace = gru_trace(UPDATE[:, :1])  # z = 0.125, 0.25, 0.5, 0.875; textbook 0.875, 0.75, 0.5, 0.125
    torch_form = saturation_data(trace, low=0.3, high=0.7, convention="torch")
    book = saturation_data(trace, low=0.3, high=0.7)
    np.testing.assert_array_equal([torch_form.left["update"][0], torch_form.right["update"][0]], [0.5, 0.25])
    np.testing.assert_array_equal([book.left["update"][0], book.right["update"][0]], [0.25, 0.5])
    np.testing.assert_array_equal(book.left["reset"], torch_form.left["reset"])


def test_precomputed_saturation_swaps_the_update_gates_sides_in_the_textbook_form():
    rows = {"reset": {"left": [0.1, 0.2], "right": [0.3, 0.4]}, "update": {"left": [0.5, 0.0], "right": [0.25, 1.0]}}
    book = saturation_from_fractions(rows, steps=8, low=0.1, high=0.9)
    np.testing.assert_array_equal(book.left["update"], np.float32([0.25, 1.0]))
    np.testing.assert_array_equal(book.right["update"], np.float32([0.5, 0.0]))
    np.testing.assert_array_equal(book.left["reset"], np.float32([0.1, 0.2]))
    torch_form = saturation_from_fractions(rows, steps=8, low=0.1, high=0.9, convention="torch")
    np.testing.assert_array_equal(torch_form.left["update"], np.float32([0.5, 0.0]))
    with pytest.raises(ValueError, match="low \\+ high = 1"):
        saturation_from_fractions(rows, steps=8, low=0.1, high=0.8)
    lstm = {"forget": {"left": [0.5], "right": [0.25]}}  # no update gate: any thresholds
    assert saturation_from_fractions(lstm, steps=8, low=0.1, high=0.8).left["forget"][0] == 0.5


def test_gru_retention_is_the_kept_share_whatever_the_convention():
    trace = gru_trace(UPDATE)
    expected = (UPDATE[1, 0] * UPDATE[2, 0] * UPDATE[3, 0] + UPDATE[1, 1] * UPDATE[2, 1] * UPDATE[3, 1]) / 2
    assert retention_data(trace).matrix[3, 0] == pytest.approx(expected)  # products of PyTorch's z
    book = retention_map(trace, convention="textbook")
    torch_form = retention_map(trace, convention="torch")
    np.testing.assert_array_equal(book.data[0].z, torch_form.data[0].z)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_equation(nonlinearity):
    trace = recorded(nn.RNN, nonlinearity=nonlinearity)
    for step in range(trace.num_steps):
        eq = step_equation(trace, step=step, unit=3)
        act = max(eq.values["a"], 0.0) if nonlinearity == "relu" else np.tanh(eq.values["a"])
        assert eq.values["h"] == pytest.approx(act, abs=TOL)
        assert eq.max_error < TOL
    assert ("max" in eq.formulas[1]) == (nonlinearity == "relu")


# difference and prediction -------------------------------------------------------------------

def test_difference_distances():
    trace = recorded(nn.GRU, steps=6)
    same = difference_data(trace, trace)
    np.testing.assert_array_equal(same.distance, np.zeros(6))
    shorter = recorded(nn.GRU, steps=4, seed=3)
    data = difference_data(trace, shorter, metric="euclidean")
    assert data.distance.shape == (4,)
    np.testing.assert_allclose(
        data.distance, np.linalg.norm(trace.hidden[0, 0, :4] - shorter.hidden[0, 0], axis=1), rtol=1e-5
    )
    flipped = Trace("gru", trace.tokens, hidden=-trace.hidden, gates=dict(trace.gates), terms=dict(trace.terms))
    np.testing.assert_allclose(difference_data(trace, flipped, metric="cosine").distance, 2.0, rtol=1e-5)
    np.testing.assert_array_equal(data.final_second, shorter.hidden[0, 0, -1])


def test_prediction_data_defaults_to_the_last_label():
    trace = recorded(nn.LSTM, steps=3)
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]])
    with_probs = trace.with_probabilities(probs, ("negative", "positive"))
    data = prediction_data({"LSTM": with_probs, "bare": trace})
    assert data.label == "positive" and data.names == ("LSTM",)
    np.testing.assert_allclose(data.curves[0], [0.1, 0.6, 0.8])
    assert prediction_data({"LSTM": with_probs}, label="negative").curves[0][0] == pytest.approx(0.9)


def test_saturation_counter_refuses_bad_thresholds_and_mixed_sizes():
    from models.saturation import SaturationCounts

    with pytest.raises(ValueError):
        saturation_data(gru_trace(np.full((3, 2), 0.5)), low=0.6, high=0.3)
    with pytest.raises(ValueError):
        SaturationCounts(-0.1, 0.5)
    with pytest.raises(ValueError, match="hidden sizes"):
        saturation_data([gru_trace(np.full((3, 2), 0.5)), gru_trace(np.full((3, 4), 0.5))])


def test_sentence_spaces_english_words_only():
    assert sentence(["我", "爱", "人工智能"]) == "我爱人工智能"
    assert sentence(["I", "love", "this", "phone", ",", "but", "3", "的", "GPU", "很", "好", "."]) == (
        "I love this phone, but 3的GPU很好.")
    assert sentence([]) == ""
