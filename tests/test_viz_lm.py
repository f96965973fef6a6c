"""viz.lm: the data behind each figure of the language-model page, checked with numpy against the reading it came
from (a tiny random language model), then the figures themselves; and the exports (models.files.lm_export)."""
from __future__ import annotations

import csv
import io

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from models.files.lm_export import next_characters_csv, readings_npz
from models.lm import CharLanguageModel, LanguageModel, LanguageModelConfig, lm_characters, lm_vocabulary
from viz import lm as figures

TEXTS = ["这家店的菜很好吃，服务也好。", "不好吃，太贵了！", "《三体》很好看", "手机买了 2 个月就坏了"] * 3
TEXT = "《三体》不好看<b>x</b>，猫也好"


def _model(arch: str, seed: int = 0) -> LanguageModel:
    torch.manual_seed(seed)
    vocab = lm_vocabulary(TEXTS, min_count=2)
    model = CharLanguageModel(LanguageModelConfig(arch=arch, vocab_size=len(vocab), embed_dim=6, hidden_size=8))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)
    return LanguageModel(model, vocab)


@pytest.fixture(scope="module")
def readings():
    return {cell.upper(): _model(cell, i).analyze(TEXT) for i, cell in enumerate(("rnn", "lstm", "gru"))}


def test_the_strip_holds_each_characters_own_surprise_and_what_came_after(readings):
    data = figures.strip_data(readings)
    chars = tuple(lm_characters(TEXT))
    assert data.characters == chars and data.models == ("RNN", "LSTM", "GRU")
    for m, reading in enumerate(readings.values()):
        # character i came after step i: its surprise is the reading's surprise[i], -log2 of its probability
        np.testing.assert_allclose(data.surprise[m], reading.surprise[:len(chars)], rtol=1e-6)
        np.testing.assert_allclose(data.surprise[m], -np.log2(data.came[m]), rtol=1e-5)
        assert data.expected[m][0].startswith(reading.top_tokens[1][0].replace("<", "&lt;").replace(">", "&gt;"))
    assert np.isfinite(data.surprise).all() and data.top >= figures.MIN_SURPRISE_TOP


def test_the_strip_figure_outlines_the_position_escapes_html_and_pans_a_long_text(readings):
    data = figures.strip_data(readings)
    fig = figures.surprise_strip(data, position=3, shown=5)
    go.Figure(fig.to_dict())  # validated again
    heat = fig.data[0]
    np.testing.assert_allclose(np.asarray(heat.z, dtype=float), data.surprise, rtol=1e-6)
    assert "&lt;" in heat.text[0] and "<" not in "".join(heat.text[0])
    assert fig.layout.shapes[0].x0 == 2.5 and tuple(fig.layout.xaxis.range) == (-0.5, 4.5)
    assert fig.layout.dragmode == "pan"
    assert not figures.surprise_strip(figures.strip_data({})).data


def test_the_window_puts_each_models_guesses_under_the_character_they_follow(readings):
    data = figures.window_data(readings, position=5, width=6)
    assert list(data.positions) == [2, 3, 4, 5, 6, 7]
    chars = figures.characters(next(iter(readings.values())))
    for m, reading in enumerate(readings.values()):
        for w, i in enumerate(data.positions):
            assert data.guesses[m][w] == reading.top_tokens[i + 1]
            np.testing.assert_allclose(data.probabilities[m, w], reading.top_probabilities[i + 1], rtol=1e-6)
            assert list(data.hits[m, w]) == [g == chars[i + 1] for g in reading.top_tokens[i + 1]]
        np.testing.assert_allclose(data.came[m], reading.actual[2:8], rtol=1e-6)
    last = figures.window_data(readings, position=len(chars) - 1, width=4)
    assert list(last.positions) == list(range(len(chars) - 4, len(chars))) and not last.hits[:, -1].any()
    fig = figures.next_character_window(data, position=5)
    go.Figure(fig.to_dict())
    assert len(fig.data) == 3 and np.asarray(fig.data[0].z).shape == (6, 6)


def test_the_detail_of_one_position(readings):
    detail = figures.detail_data(readings, 4)
    chars = figures.characters(next(iter(readings.values())))
    assert detail.character == chars[4] and detail.following == chars[5]
    for m, reading in enumerate(readings.values()):
        assert detail.guesses[m] == reading.top_tokens[5]
        np.testing.assert_allclose(detail.next_probability[m], reading.actual[5], rtol=1e-6)
        np.testing.assert_allclose(detail.entropy[m], reading.entropy[5], rtol=1e-6)
    end = figures.detail_data(readings, len(chars) - 1)
    assert end.following == "" and np.isnan(end.next_probability).all()
    with pytest.raises(ValueError):
        figures.detail_data(readings, len(chars))
    fig = figures.detail_bars(detail)
    go.Figure(fig.to_dict())
    assert len(fig.data) == 3 and chars[5] in fig.layout.title.text


@pytest.mark.parametrize("name", ["cell", "hidden"])
def test_the_tint_is_the_units_state_after_each_character_and_escapes_the_text(readings, name):
    trace = readings["LSTM"].trace
    data = figures.tint_data(trace, name, 3)
    np.testing.assert_array_equal(data.values, trace.state(name)[0, 0, 1:, 3])
    assert data.characters == tuple(trace.tokens[1:])
    page = figures.tinted_html(data)
    assert page.count("<span") == len(data.characters) and ">&lt;</span>" in page and "<b>" not in page
    colours = figures.tint_colours(np.array([-data.limit, 0.0, data.limit]), data.limit)
    assert colours[0] != colours[2] and len(set(colours)) == 3
    with pytest.raises(ValueError):
        figures.tint_data(trace, name, trace.hidden_size)


def test_the_writing_animation_grows_from_the_prompt_to_the_whole_text():
    writing = _model("lstm").write("好吃", temperature=1.0, length=30, seed=3)
    data = figures.writing_data(writing.trace, 1 + len(writing.prompt), max_frames=10)
    assert data.names == figures.SHOWN_STATES["lstm"]
    np.testing.assert_array_equal(data.values[1], writing.trace.cell[0, 0].T)
    assert data.ends[0] == len(writing.prompt) and data.ends[-1] == writing.trace.num_steps - 1
    assert len(data.ends) <= 11 and np.all(np.diff(data.ends) > 0)
    fig = figures.writing_animation(data, model="LSTM")
    go.Figure(fig.to_dict())
    assert len(fig.frames) == len(data.ends)
    for frame, end in zip(fig.frames, data.ends):
        assert len(frame.data[0].x) == end + 1  # the text so far
        assert frame.layout.shapes[0].x0 == end + 0.5  # the steps not yet written are masked
    gru = figures.writing_data(_model("gru").write("", length=5, seed=0).trace, 1, ("hidden", "forget"))
    assert gru.names == ("hidden",)


def test_the_npz_names_each_model_and_holds_the_next_character_arrays(readings):
    named = {f"lm_{k.lower()}": v for k, v in readings.items()}
    with np.load(io.BytesIO(readings_npz(named))) as found:
        keys = set(found.files)
        np.testing.assert_array_equal(found["lm_lstm/forget"], named["lm_lstm"].trace.gates["forget"])
        np.testing.assert_array_equal(found["lm_gru/surprise"], named["lm_gru"].surprise)
        assert found["lm_rnn/top_tokens"].shape == (len(named["lm_rnn"].tokens), 5)
        assert found["lm_lstm/unknown"].tolist() == list(named["lm_lstm"].unknown)
    assert not any(key.startswith(("lstm/", "gru/", "rnn/")) for key in keys)


def test_the_csv_has_one_row_per_model_and_step(readings):
    rows = list(csv.DictReader(io.StringIO(next_characters_csv(readings))))
    reading = readings["GRU"]
    assert len(rows) == sum(len(r.tokens) for r in readings.values())
    gru = [r for r in rows if r["model"] == "GRU"]
    assert gru[2]["read"] == reading.tokens[2] and gru[2]["next"] == reading.tokens[3]
    assert float(gru[2]["p_next"]) == pytest.approx(float(reading.actual[2]), rel=1e-6)
    assert gru[2]["top1"] == reading.top_tokens[2][0] and gru[-1]["next"] == "" and gru[-1]["p_next"] == "nan"
