"""The what-if and gradient figures: exact data first, then the figure objects."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from models.asking.intervene import Edit
from models.trace import Trace
from viz.gradients import (
    distance_curves,
    distance_data,
    retention_gradient_data,
    retention_gradient_scatter,
    saliency_bars,
    saliency_data,
)
from viz.whatif import _runs, edit_text, hidden_difference_heatmap, whatif_data, whatif_prediction

TOKENS = ("这", "手机", "很", "好", "但是", "贵")


def _trace(hidden: np.ndarray, probabilities: np.ndarray) -> Trace:
    """An RNN trace with hidden (T, H) and probabilities (T, 2)."""
    h = hidden[None, None]
    return Trace(cell_type="rnn", tokens=TOKENS[: len(hidden)], hidden=h, terms={"preactivation": h},
                 probabilities=probabilities, labels=("negative", "positive"))


# --- the edit in words --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("edit", "cell_type", "convention", "formula", "words"),
    [
        (Edit("forget", range(5, 10), set=1.0), "lstm", "textbook", r"f_{t} := 1 \quad t \in [5, 9]",
         "forget gate f set to 1 at tokens 5–9 (all units)"),
        (Edit("input", [1, 4, 5], units=[2, 0], scale=0.5), "lstm", "textbook",
         r"i_{t,j} := 0.5 \, i_{t,j} \quad t \in \{1, 4, 5\}, \; j \in \{2, 0\}",
         "input gate i multiplied by 0.5 at tokens 1, 4, 5 (units 2, 0)"),
        (Edit("update", range(2, 4), set=1.0), "gru", "torch", r"z_{t} := 1 \quad t \in [2, 3]",
         "update gate z (PyTorch: share kept) set to 1 at tokens 2–3 (all units)"),
        (Edit("update", range(2, 4), set=1.0), "gru", "textbook", r"z_{t} := 0 \quad t \in [2, 3]",
         "update gate z (textbook: share of new) set to 0 at tokens 2–3 (all units)"),
        (Edit("update", [2], set=0.25, convention="textbook"), "gru", "torch", r"z_{t} := 0.75 \quad t = 2", None),
        (Edit("update", [2], scale=0.5), "gru", "textbook", r"z_{t} := 1 - 0.5 \, (1 - z_{t}) \quad t = 2", None),
        (Edit("candidate", [4], set=-1.0), "gru", "torch", r"n_{t} := -1 \quad t = 4",
         "candidate set to -1 at token 4 (但是) (all units)"),
        (Edit("hidden", [0], set=np.zeros(3)), "rnn", "torch", r"h_{t} := v_{t} \quad t = 0", None),
    ],
)
def test_an_edit_in_words_and_as_a_formula(edit, cell_type, convention, formula, words):
    found = edit_text(edit, cell_type=cell_type, convention=convention, tokens=TOKENS)
    assert found.formula == formula
    if words is not None:
        assert found.words == words


def test_edit_text_refuses_an_unknown_convention():
    with pytest.raises(ValueError, match="convention"):
        edit_text(Edit("update", [1], set=1.0), cell_type="gru", convention="torch!")


# --- before and after ---------------------------------------------------------------------

def test_whatif_data_is_exact():
    hidden = np.arange(12, dtype=np.float32).reshape(6, 2) / 20
    edited = hidden.copy()
    edited[3:, 1] += 0.25
    before_p = np.tile([0.3, 0.7], (6, 1))
    after_p = before_p.copy()
    after_p[3:] = [0.8, 0.2]
    data = whatif_data(_trace(hidden, before_p), _trace(edited, after_p))
    assert data.label == "positive" and data.tokens == TOKENS
    np.testing.assert_allclose(data.before, 0.7)
    np.testing.assert_allclose(data.after, [0.7, 0.7, 0.7, 0.2, 0.2, 0.2])
    assert (data.final_before, data.final_after, data.changed) == ("positive", "negative", True)
    assert data.difference.shape == (2, 6) and data.first_changed == 3
    np.testing.assert_allclose(data.difference[1], [0, 0, 0, 0.25, 0.25, 0.25], atol=1e-7)
    np.testing.assert_array_equal(data.difference[0], 0.0)
    assert data.limit == pytest.approx(0.25)
    same = whatif_data(_trace(hidden, before_p), _trace(hidden, before_p), label="negative")
    assert same.first_changed is None and not same.changed and same.limit > 0
    np.testing.assert_allclose(same.before, 0.3)


def test_whatif_data_refuses_different_texts():
    hidden, probs = np.zeros((6, 2)), np.full((6, 2), 0.5)
    with pytest.raises(ValueError, match="same tokens"):
        whatif_data(_trace(hidden, probs), _trace(hidden[:5], probs[:5]))


def test_runs_of_edited_steps():
    assert _runs([9, 1, 2, 3, 7, 10]) == [(1, 3), (7, 7), (9, 10)]
    assert _runs([]) == []


def test_whatif_figures():
    hidden = np.linspace(-1, 1, 12, dtype=np.float32).reshape(6, 2)
    probs = np.tile([0.4, 0.6], (6, 1))
    edited = hidden.copy()
    edited[2:] = 0.0
    data = whatif_data(_trace(hidden, probs), _trace(edited, probs[::-1]))
    fig = whatif_prediction(data, edited_steps=[2, 3, 5])
    assert [t.name for t in fig.data] == ["before", "after the edit"]
    np.testing.assert_allclose(fig.data[1].y, data.after)
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert [(r.x0, r.x1) for r in rects] == [(1.5, 3.5), (4.5, 5.5)]
    assert list(fig.layout.xaxis.ticktext) == list(TOKENS)
    heat = hidden_difference_heatmap(data)
    np.testing.assert_allclose(heat.data[0].z, data.difference)
    assert heat.data[0].zmin == -data.limit and heat.data[0].zmax == data.limit and heat.data[0].zmid == 0.0


def test_a_long_difference_map_is_pooled():
    steps = 2500
    tokens = tuple(f"w{i}" for i in range(steps))
    hidden = np.zeros((1, 1, steps, 3), dtype=np.float32)
    probs = np.full((steps, 2), 0.5)
    make = lambda h: Trace(cell_type="rnn", tokens=tokens, hidden=h, terms={"preactivation": h},  # noqa: E731
                           probabilities=probs, labels=("negative", "positive"))
    edited = hidden.copy()
    edited[..., 1000:, :] = 0.5
    fig = hidden_difference_heatmap(whatif_data(make(hidden), make(edited)))
    assert np.asarray(fig.data[0].z).shape[1] <= 1000


# --- gradients ------------------------------------------------------------------------------

def _paths(log10_by_distance: np.ndarray) -> SimpleNamespace:
    steps = len(log10_by_distance)
    curve = SimpleNamespace(distance=np.arange(steps), steps=np.arange(steps)[::-1], log10_norm=log10_by_distance)
    saliency = SimpleNamespace(target=1, norm=np.arange(steps) / 10, grad_times_input=np.linspace(-1, 1, steps))
    return SimpleNamespace(cell_type="gru", tokens=TOKENS[:steps], saliency=saliency, curve=curve)


def test_saliency_data_and_bars():
    paths = _paths(np.zeros(6))
    data = saliency_data(paths, class_labels=("negative", "positive"))
    assert data.label == "positive" and data.tokens == TOKENS
    np.testing.assert_allclose(data.norm, np.arange(6) / 10, rtol=1e-6)
    fig = saliency_bars(data)
    assert len(fig.data) == 2
    np.testing.assert_allclose(fig.data[1].y, np.linspace(-1, 1, 6), rtol=1e-6)
    assert fig.data[1].marker.cmin == -1.0 and "positive" in fig.layout.title.text
    assert saliency_data(paths).label == "1"


def test_distance_data_by_distance_with_gaps_below_range():
    log10 = np.array([0.5, -1.0, -2.0, -400.0, -np.inf, -3.0])
    data = distance_data({"gru": _paths(log10)})
    np.testing.assert_allclose(data.norm[0][:3], [10**0.5, 0.1, 0.01])
    assert np.isnan(data.norm[0][3]) and np.isnan(data.norm[0][4])
    assert data.tokens[0] == tuple(reversed(TOKENS))  # distance 0 is the last token
    fig = distance_curves(data)
    assert fig.layout.yaxis.type == "log" and fig.data[0].name == "GRU"
    np.testing.assert_array_equal(fig.data[0].x, np.arange(6))
    assert distance_curves(distance_data({})).layout.title.text == "No gradient curves"


def test_retention_gradient_data_leaves_out_the_last_token():
    log10_curve = np.array([0.5, -1.0, -2.0, -3.0, -4.0, -5.0])  # by distance
    retention = np.array([-5.0, -4.0, -3.0, -2.0, -1.0, 0.0])  # by token
    data = retention_gradient_data(_paths(log10_curve), retention, rho=0.87)
    assert data.tokens == TOKENS[:-1]
    np.testing.assert_allclose(data.retention, 10.0 ** retention[:-1])
    np.testing.assert_allclose(data.gradient, 10.0 ** log10_curve[::-1][:-1])
    fig = retention_gradient_scatter(data)
    assert "0.87" in fig.layout.title.text and fig.layout.xaxis.type == "log"
    assert "–" in retention_gradient_scatter(data._replace(rho=float("nan"))).layout.title.text
    with pytest.raises(ValueError, match="retention"):
        retention_gradient_data(_paths(log10_curve), retention[:-1], rho=0.0)


def test_the_views_on_a_shipped_model_end_to_end():
    from models.asking.gradients import log10_retention, retention_gradient_correlation, text_gradient_paths
    from models.pretrained import load_pretrained

    model = load_pretrained("lstm")
    text = "这个手机的屏幕很好，但是电池太差了。"
    before = model.analyze(text)
    steps = range(len(before.tokens))
    after = model.analyze(text, edits=[Edit("input", steps, set=0.0)])
    data = whatif_data(before.trace, after.trace)
    assert data.first_changed == 0 and data.final_after == after.label
    paths = text_gradient_paths(model, text)
    rho = retention_gradient_correlation(before.trace, paths.curve)
    scatter = retention_gradient_data(paths, log10_retention(before.trace), rho=rho)
    for fig in (whatif_prediction(data, edited_steps=steps), hidden_difference_heatmap(data),
                saliency_bars(saliency_data(paths, class_labels=model.labels)),
                distance_curves(distance_data({"lstm": paths})), retention_gradient_scatter(scatter)):
        assert fig.data


def test_retention_gradient_data_backward_leaves_out_the_first_token_and_keeps_text_order():
    log10_curve = np.array([0.5, -1.0, -2.0, -3.0, -4.0, -5.0])  # by distance: backward, distance t is token t
    paths = _paths(log10_curve)
    paths.curve.steps = np.arange(6)
    retention = np.array([0.0, -1.0, -2.0, -3.0, -4.0, -5.0])  # by token
    data = retention_gradient_data(paths, retention, rho=0.5)
    assert data.tokens == TOKENS[1:]  # token 0 is read last going backward
    np.testing.assert_array_equal(data.steps, np.arange(1, 6))
    np.testing.assert_allclose(data.gradient, 10.0 ** log10_curve[1:])
    np.testing.assert_allclose(data.retention, 10.0 ** retention[1:])
