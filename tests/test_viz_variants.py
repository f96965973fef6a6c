"""viz on two-layer and bidirectional traces: layer 2's input, answers not computed past the prefix limit, every
layer and direction side by side, the backward direction's final state, and titles naming the position."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from models.classifier import ClassifierConfig, RecurrentClassifier
from tests.variants import tiny_model
from viz.compare import every_position, position_comparison
from viz.difference import difference_data
from viz.equations import SHOWN_INPUTS, layer_input
from viz.prediction import not_computed_span, prediction_curve
from viz.retention import retention_map
from viz.saturation import gate_saturation
from viz.whatif import hidden_difference_heatmap, whatif_data

TOKENS = list("这部电影不好看但是演员很棒")


def trace(arch: str = "lstm", layers: int = 1, bidirectional: bool = False, tokens=TOKENS, hidden: int = 6):
    return tiny_model(arch, layers, bidirectional, hidden=hidden).analyze_tokens(list(tokens)).trace


def test_layer_2_reads_layer_1s_hidden_state_at_the_same_token():
    deep = trace("gru", layers=2)
    found = layer_input(deep, layer=1, step=4)
    np.testing.assert_array_equal(found.values, deep.hidden[0, 0, 4])
    assert found.token == TOKENS[4] and found.sources == tuple((0, u) for u in range(6))
    assert found.formula.startswith("x_{5}^{(2)} = h_{5}^{(1)} = [") and r"\dots" not in found.formula
    with pytest.raises(ValueError, match="embedding"):
        layer_input(deep, layer=0, step=0)
    with pytest.raises(IndexError):
        layer_input(deep, layer=1, step=len(TOKENS))


def test_a_bidirectional_stacks_input_joins_both_directions_and_cuts_the_formula():
    torch.manual_seed(0)
    config = ClassifierConfig(arch="lstm", vocab_size=30, embed_dim=4, hidden_size=5, num_layers=2, bidirectional=True)
    ids = torch.arange(2, 8).unsqueeze(0)
    both = RecurrentClassifier(config).eval().record(ids, torch.tensor([6]))[0]
    found = layer_input(both, layer=1, step=2)
    np.testing.assert_array_equal(found.values, np.concatenate([both.hidden[0, 0, 2], both.hidden[0, 1, 2]]))
    assert found.sources[5] == (1, 0) and found.formula.endswith(r", \dots]")
    assert found.formula.count(",") == SHOWN_INPUTS  # SHOWN_INPUTS numbers, then the dots


def test_answers_past_the_prefix_limit_are_shaded_as_not_computed_and_the_last_is_a_dot():
    probabilities = np.full((10, 2), 0.5)
    probabilities[6:9] = np.nan
    shown = trace("rnn", tokens=TOKENS[:10]).with_probabilities(probabilities, ("negative", "positive"))
    assert not_computed_span([probabilities[:, 1]]) == (6, 8)
    fig = prediction_curve({"bi": shown}, labels={"not_computed": "未计算 {count}"})
    (rect,) = [s for s in fig.layout.shapes if s.type == "rect"]
    assert (rect.x0, rect.x1) == (5.5, 8.5) and fig.layout.annotations[0].text == "未计算 6"
    assert fig.data[0].marker.size[9] > 0 and fig.data[0].marker.size[0] == 0  # the whole text's answer, alone
    plain = prediction_curve({"one": trace("rnn")})
    assert not [s for s in plain.layout.shapes if s.type == "rect"] and plain.data[0].mode == "lines+markers"


def test_every_layer_and_direction_stacked_in_text_order():
    rows = [*every_position("LSTM", trace()), *every_position("2-layer", trace(layers=2)),
            *every_position("bi", trace(bidirectional=True))]
    assert [name for name, *_ in rows] == [
        "LSTM", "2-layer, layer 1, forward →", "2-layer, layer 2, forward →", "bi, layer 1, forward →",
        "bi, layer 1, backward ← (read from the text's end)"]
    fig = position_comparison(rows, state="cell")
    assert len(fig.data) == 5
    np.testing.assert_allclose(np.asarray(fig.data[4].z, dtype=float), rows[4][1].cell[0, 1].T, rtol=1e-5)
    assert position_comparison([r for r in rows if r[0] == "LSTM"], state="nothing").layout.title.text


def test_the_backward_final_state_is_the_one_after_token_0():
    a, b = trace("gru", bidirectional=True), trace("gru", bidirectional=True, tokens=TOKENS[::-1])
    data = difference_data(a, b, direction=1)
    np.testing.assert_allclose(data.final_first, a.hidden[0, 1, 0], rtol=1e-6)
    np.testing.assert_allclose(difference_data(a, b).final_first, a.hidden[0, 0, -1], rtol=1e-6)


def test_titles_say_the_layer_and_direction_of_each_map():
    both = trace("lstm", bidirectional=True)
    assert "backward ←" in retention_map(both, direction=1).layout.title.text.replace("<br>", " ")
    assert "layer 2" in gate_saturation(trace("gru", layers=2), layer=1).layout.title.text.replace("<br>", " ")
    assert "layer" not in retention_map(trace()).layout.title.text
    before = tiny_model("gru", 2).analyze_tokens(TOKENS, stepped=True).trace
    data = whatif_data(before, before, layer=1)
    assert "layer 2, forward" in hidden_difference_heatmap(data).layout.title.text.replace("<br>", " ")
