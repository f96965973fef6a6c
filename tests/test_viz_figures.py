"""The figure builders of viz: assertions on the figure objects, small traces."""
from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
import torch
from torch import nn

from models.record import record
from models.trace import Trace
from ui.i18n import viz_labels
from viz.animation import MAX_FRAMES, step_animation
from viz.compare import model_comparison
from viz.difference import sentence_difference
from viz.equations import step_equation
from viz.fit import (
    LATIN_EM,
    LINE_EM,
    STEP_AXIS_PX,
    TICK_FONT_PX,
    TITLE_FONT_PX,
    TITLE_PX,
    text_px,
    thin_ticks,
    tick_every,
    tick_room,
    title_lines,
    wrap_title,
)
from viz.gradients import (
    DistanceData,
    RetentionGradientData,
    SaliencyData,
    distance_curves,
    retention_gradient_scatter,
    saliency_bars,
)
from viz.heatmap import gate_heatmap
from viz.overview import gate_overview
from viz.plotly_helpers import MARGIN
from viz.prediction import prediction_curve
from viz.retention import Y_AXIS_PX as RETENTION_Y_AXIS_PX
from viz.retention import retention_map
from viz.saturation import gate_saturation
from viz.whatif import hidden_difference_heatmap, whatif_data, whatif_prediction

BUTTON_PX = 34  # height of plotly's play and pause buttons, as Chromium draws them
SLIDER_PX = 90  # height of the slider with its current-step label and its tick labels
TOKENS = ["张三", "打", "了", "李四", "的", "的", "狗"]  # repeated token on purpose
MODULES = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}


def _trace(kind: str, steps: int | None = None, seed: int = 0, **kwargs) -> Trace:
    torch.manual_seed(seed)
    module = MODULES[kind](4, 6, **kwargs).eval()
    tokens = TOKENS if steps is None else [f"w{t % 5}" for t in range(steps)]
    return record(module, torch.randn(len(tokens), 4) * 2.0, tokens=tokens)[0]


def _empty(kind: str) -> Trace:
    z = np.zeros((1, 1, 0, 3), dtype=np.float32)
    names = {
        "RNN": ({}, {"preactivation": z}),
        "LSTM": ({k: z for k in ("input", "forget", "candidate", "output")}, {}),
        "GRU": ({k: z for k in ("reset", "update", "candidate")}, {"reset_hidden": z, "input_candidate": z}),
    }
    gates, terms = names[kind]
    return Trace(kind.lower(), (), hidden=z, cell=z if kind == "LSTM" else None, gates=gates, terms=terms)


def _heatmaps(fig: go.Figure) -> list[go.Heatmap]:
    return [t for t in fig.data if t.type == "heatmap"]


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {kind: _trace(kind) for kind in MODULES}


def test_gate_heatmap_of_a_sigmoid_gate(traces):
    fig = gate_heatmap(traces["LSTM"], "forget")
    (heat,) = fig.data
    assert heat.type == "heatmap" and (heat.zmin, heat.zmax) == (0.0, 1.0)
    assert heat.z.dtype == np.float32 and heat.z.shape == (6, len(TOKENS))
    assert json.loads(fig.to_json())["data"][0]["z"]["dtype"] == "f4"
    assert list(fig.layout.xaxis.tickvals) == list(range(len(TOKENS)))
    assert list(fig.layout.xaxis.ticktext) == TOKENS  # 的 twice, at two positions
    assert list(heat.x) == list(range(len(TOKENS)))
    assert "%{x}" in heat.hovertemplate and "%{z" in heat.hovertemplate and "%{y}" in heat.hovertemplate
    assert heat.text is None and heat.customdata is None
    assert fig.layout.uirevision and heat.colorbar.title.text


def test_read_tab_figures_draw_in_one_pass(traces):
    """Margins given up front, and step-axis tick labels allowed past the edge: what keeps the browser
    from measuring every label once per label and from drawing each chart twice (benchmarks.page_speed)."""
    lstm = traces["LSTM"].with_probabilities(np.full((len(TOKENS), 2), 0.5), ("negative", "positive"))
    heatmap, curve, animation = gate_heatmap(lstm, "cell"), prediction_curve({"LSTM": lstm}), step_animation(lstm)
    for fig in (heatmap, curve):
        assert fig.layout.margin.to_plotly_json() == MARGIN  # the curve's plot lines up with the maps below it
        assert fig.layout.xaxis.ticklabeloverflow == "allow"
    assert set(animation.layout.margin.to_plotly_json()) == {"l", "r", "t", "b"}
    assert retention_map(lstm).layout.yaxis.ticklabeloverflow == "allow"  # every step axis


def test_gate_heatmap_scales_by_meaning(traces):
    candidate = gate_heatmap(traces["LSTM"], "candidate").data[0]
    assert (candidate.zmin, candidate.zmax, candidate.zmid) == (-1.0, 1.0, 0.0)
    assert candidate.colorscale[-1][1] == "rgb(103,0,31)"  # positive is red
    cell = gate_heatmap(traces["LSTM"], "cell").data[0]
    assert cell.zmin == -cell.zmax and cell.zmax >= 1.0
    assert cell.zmax == pytest.approx(max(1.0, float(np.percentile(np.abs(traces["LSTM"].cell), 99))))
    unit = gate_heatmap(traces["GRU"], "update", normalize="unit")
    assert "per-unit" in unit.data[0].colorbar.title.text
    ordered = gate_heatmap(traces["GRU"], "hidden", order="peak").data[0]
    hidden = traces["GRU"].hidden[0, 0]  # (T, H)
    peaks = [max(range(len(TOKENS)), key=lambda step: abs(hidden[step, unit])) for unit in range(6)]
    expected = sorted(range(6), key=lambda unit: (peaks[unit], unit))  # earliest peak first, ties as stored
    assert list(ordered.y) == [str(u) for u in expected] != [str(u) for u in range(6)]
    np.testing.assert_array_equal(ordered.z, hidden[:, expected].T)  # the rows carry their units' values
    assert fig_y_type(gate_heatmap(traces["GRU"], "hidden")) == "category"


def fig_y_type(fig: go.Figure) -> str:
    return fig.layout.yaxis.type


def test_labels_override_english_defaults(traces):
    fig = gate_heatmap(traces["LSTM"], "forget", labels={"token": "词", "forget": "遗忘门"})
    assert fig.layout.xaxis.title.text == "词"
    assert fig.layout.title.text.startswith("遗忘门")
    assert "词" in fig.data[0].hovertemplate


def test_long_trace_is_pooled_to_at_most_1000_columns():
    long = _trace("LSTM", steps=2000)
    fig = gate_heatmap(long, "hidden")
    assert fig.data[0].z.shape[1] <= 1000 and "mean of every 2 tokens" in fig.layout.title.text
    axis = fig.layout.xaxis
    assert len(axis.tickvals) <= 40 and len(axis.labelalias) + len(axis.tickvals) == fig.data[0].z.shape[1]
    overview = gate_overview(long)
    assert all(h.z.shape[1] <= 1000 for h in _heatmaps(overview))


@pytest.mark.parametrize("kind,rows", [("LSTM", 6), ("GRU", 4), ("RNN", 1)])
def test_overview_rows_share_the_token_axis(traces, kind, rows):
    fig = gate_overview(traces[kind])
    heats = _heatmaps(fig)
    assert len(heats) == rows
    assert len({h.colorbar.y for h in heats}) == rows  # one colour bar beside each row
    bottom = f"x{rows}" if rows > 1 else "x"
    assert all(fig.layout[f"xaxis{i if i > 1 else ''}"].matches == bottom for i in range(1, rows))
    assert all(h.z.dtype == np.float32 for h in heats)
    assert list(fig.layout[f"xaxis{rows if rows > 1 else ''}"].ticktext) == TOKENS


def test_step_animation_frames_buttons_and_slider(traces):
    fig = step_animation(traces["LSTM"])
    assert len(fig.frames) == len(TOKENS)
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.args[0] is None and play.args[1]["frame"]["redraw"] is True
    assert list(pause.args[0]) == [None]  # [None], not None: pause, not play
    assert all(step.args[1]["frame"]["redraw"] is True for step in fig.layout.sliders[0].steps)
    assert len(fig.frames[0].data) == 7  # token strip + 6 rows
    strip = fig.frames[3].data[0]
    assert "<b>李四</b>" in strip.text  # the current token, highlighted
    heat = fig.frames[3].data[1]
    np.testing.assert_array_equal(heat.z[0], traces["LSTM"].gates["input"][0, 0, 3])
    # Frames skip plotly's validation while they are built; the whole figure still passes it.
    checked = go.Figure(fig.to_dict())
    assert len(checked.frames) == len(fig.frames) and checked.frames[3].data[1].type == "heatmap"
    with pytest.raises(ValueError):
        go.Figure({**fig.to_dict(), "frames": [{"data": [{"type": "heatmap", "zz": [[1]]}]}]})  # the check bites


@pytest.mark.parametrize("kind", list(MODULES))
def test_play_and_pause_sit_on_their_own_row_above_the_slider(traces, kind):
    """The buttons covered the slider's label and its left end; now the slider starts below them, full width."""
    fig = step_animation(traces[kind])
    (menu,), (slider,) = fig.layout.updatemenus, fig.layout.sliders
    plot_px = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b  # paper units are fractions of this
    buttons_top, slider_top = -menu.y * plot_px, -slider.y * plot_px  # px below the plot
    assert menu.yanchor == slider.yanchor == "top"
    assert slider_top - buttons_top >= BUTTON_PX  # the slider's current-step label starts below the buttons
    assert (slider.x, slider.len) == (0.0, 1.0)
    assert slider_top + SLIDER_PX <= fig.layout.margin.b  # and the slider stays inside the bottom margin


def test_step_animation_is_windowed_on_long_text():
    fig = step_animation(_trace("GRU", steps=MAX_FRAMES + 120), start=100)
    assert len(fig.frames) == MAX_FRAMES
    assert fig.frames[0].name == "100"
    assert f"steps 100–{100 + MAX_FRAMES - 1} of {MAX_FRAMES + 120}" in fig.layout.title.text


def test_prediction_curve(traces):
    probs = np.linspace([0.8, 0.2], [0.3, 0.7], len(TOKENS))
    with_probs = {k: t.with_probabilities(probs, ("negative", "positive")) for k, t in traces.items()}
    fig = prediction_curve(with_probs)
    assert [t.name for t in fig.data] == list(MODULES)
    np.testing.assert_allclose(fig.data[0].y, probs[:, 1], rtol=1e-6)
    assert tuple(fig.layout.yaxis.range) == (0, 1)
    assert any(s.y0 == 0.5 and s.y1 == 0.5 for s in fig.layout.shapes)
    assert list(fig.layout.xaxis.ticktext) == TOKENS
    assert prediction_curve(traces).layout.title.text  # no probabilities: an empty figure with a title


def test_model_comparison_stacks_models(traces):
    fig = model_comparison(traces)
    assert [h.name for h in _heatmaps(fig)] == ["RNN: hidden state h", "LSTM: hidden state h", "GRU: hidden state h"]
    cell = model_comparison(traces, state="cell")
    assert len(_heatmaps(cell)) == 1


def test_sentence_difference(traces):
    torch.manual_seed(0)
    module = nn.LSTM(4, 6).eval()
    x = torch.randn(6, 4)
    a = record(module, x, tokens=list("张三打了李四"))[0]
    b = record(module, x[[4, 5, 2, 3, 0, 1]], tokens=list("李四打了张三"))[0]
    fig = sentence_difference(a, b, metric="cosine")
    assert len(_heatmaps(fig)) == 2
    line = next(t for t in fig.data if t.type == "scatter")
    assert len(line.y) == 6 and "cosine" in line.name
    assert [t.name for t in fig.data if t.type == "bar"] == ["A", "B"]
    assert fig.layout.legend.y >= fig.layout.yaxis4.domain[1] - 1e-9  # names the bars, above them
    short = sentence_difference(a, record(module, x[:1], tokens=["李四"])[0])
    line = next(t for t in short.data if t.type == "scatter")
    assert len(line.y) == 1 and "markers" in line.mode  # one compared step is still drawn
    assert "only the steps both sentences have: 1" in short.layout.annotations[2].text


def test_gate_saturation_scatter(traces):
    fig = gate_saturation([traces["LSTM"], traces["LSTM"]], low=0.2, high=0.8)
    points = [t for t in fig.data if t.mode == "markers"]
    assert [t.name for t in points] == ["input gate i", "forget gate f", "output gate o"]
    assert tuple(fig.layout.xaxis.range) == (0, 1) and tuple(fig.layout.yaxis.range) == (0, 1)
    assert "0.2" in fig.layout.xaxis.title.text and "0.8" in fig.layout.yaxis.title.text
    assert "vanilla RNN" in gate_saturation(traces["RNN"]).layout.title.text


def test_retention_map(traces):
    fig = retention_map(traces["LSTM"])
    (heat,) = fig.data
    z = np.asarray(heat.z)
    assert z.shape == (len(TOKENS), len(TOKENS))
    assert np.isnan(z[np.triu_indices(len(TOKENS), k=1)]).all()
    np.testing.assert_array_equal(np.diag(z), 1.0)
    assert (heat.zmin, heat.zmax) == (0.0, 1.0)
    assert list(fig.layout.xaxis.ticktext) == TOKENS
    rnn = retention_map(traces["RNN"])
    assert not rnn.data and "vanilla RNN has no gate" in rnn.layout.title.text


@pytest.mark.parametrize("kind", list(MODULES))
def test_empty_traces_give_empty_figures_with_titles(kind):
    trace = _empty(kind)
    figs = [gate_heatmap(trace, "hidden"), gate_overview(trace), step_animation(trace), model_comparison({kind: trace}),
            sentence_difference(trace, trace), gate_saturation(trace), retention_map(trace),
            prediction_curve({kind: trace}), gate_saturation([])]
    for fig in figs:
        assert isinstance(fig, go.Figure) and not fig.data and fig.layout.title.text


def test_equation_latex_shows_the_numbers(traces):
    eq = step_equation(traces["LSTM"], step=2, unit=1)
    assert f"{eq.values['f']:.4f}" in eq.filled[0] and eq.filled[0].startswith("c_{3}")  # token 2 from 0
    assert eq.filled[0].endswith(f"{eq.recomputed['c']:.4f}")


def test_titles_name_the_layer_and_direction_only_when_there_are_several(traces):
    assert "layer" not in gate_heatmap(traces["LSTM"], "forget").layout.title.text
    deep = _trace("GRU", num_layers=2, bidirectional=True)
    # layers are counted from 1, as a reader counts them; the backward direction says how it reads
    title = gate_heatmap(deep, "update", layer=1, direction=1).layout.title.text.replace("<br>", " ")
    assert title.endswith(", layer 2, backward ← (read from the text's end)")
    zh = {"title_overview": "{model}：所有门和状态{position}", "position": "，第 {layer} 层，{direction}",
          "forward": "正向"}
    assert gate_overview(deep, labels=zh).layout.title.text == "GRU：所有门和状态，第 1 层，正向"


def test_prediction_curve_translates_the_class_name():
    probs = np.linspace([0.8, 0.2], [0.3, 0.7], len(TOKENS))
    trace = _trace("GRU").with_probabilities(probs, ("negative", "positive"))
    fig = prediction_curve({"GRU": trace}, labels={"positive": "正面"})
    assert fig.layout.yaxis.title.text == "P(正面)" and "P(正面)" in fig.data[0].hovertemplate


def test_prediction_curve_shows_every_class_of_a_multiclass_model(traces):
    probs = np.linspace([0.6, 0.3, 0.1], [0.1, 0.2, 0.7], len(TOKENS))
    three = {k: t.with_probabilities(probs[:, [0, 1, 2]] if k != "GRU" else probs[:, [2, 1, 0]],
                                     ("体育", "科技", "美食"))
             for k, t in traces.items()}
    one = prediction_curve({"LSTM": three["LSTM"]})
    assert [t.name for t in one.data] == ["体育", "科技", "美食"]
    for line, column in zip(one.data, range(3)):
        np.testing.assert_allclose(line.y, probs[:, column], rtol=1e-6)
    assert not one.layout.shapes  # no 0.5 decision line: with three classes the answer is the largest
    assert one.layout.title.text == "Probability of each class after each token"
    every = prediction_curve(three, labels={"title_prediction_all": "每个类别的概率"})
    assert len(every.data) == 9 and every.data[0].name == "RNN · 体育" and every.layout.title.text == "每个类别的概率"
    assert {t.line.dash for t in every.data if t.legendgroup == "GRU"} == {"dot"}
    np.testing.assert_allclose(every.data[6].y, probs[:, 2], rtol=1e-6)  # GRU's 体育 column is the third
    chosen = prediction_curve(three, label="美食")  # one class asked for: one line per model, as for two classes
    assert [t.name for t in chosen.data] == list(MODULES) and chosen.layout.yaxis.title.text == "P(美食)"


def test_sentence_titles_are_cut_before_escaping_and_english_keeps_its_spaces():
    torch.manual_seed(0)
    module = nn.GRU(4, 6).eval()
    tokens = ["的"] * 59 + ["<b>"]  # 62 characters: the cut at 60 falls inside "<b>"
    long = record(module, torch.randn(len(tokens), 4), tokens=tokens)[0]
    english = ["I", "love", "this", "phone", ",", "but", "not", "3", "of", "it", "."]
    short = record(module, torch.randn(len(english), 4), tokens=english)[0]
    titles = [a.text for a in sentence_difference(long, short).layout.annotations[:2]]
    assert titles == ["A: " + "的" * 59 + "&lt;", "B: I love this phone, but not 3 of it."]


@pytest.mark.parametrize("convention,label", [
    ("textbook", "update gate z (textbook: share of new)"), ("torch", "update gate z (PyTorch: share kept)"),
])
def test_every_view_of_the_gru_update_gate_says_its_convention(traces, convention, label):
    gru = traces["GRU"]
    assert gate_heatmap(gru, "update", convention=convention).layout.title.text == label
    assert label in [a.text for a in gate_overview(gru, convention=convention).layout.annotations]
    assert [label] in [list(h.y) for h in _heatmaps(step_animation(gru, convention=convention))]
    assert _heatmaps(model_comparison({"GRU": gru}, state="update", convention=convention))[0].name == f"GRU: {label}"
    assert label in [t.name for t in gate_saturation(gru, convention=convention).data]
    kept = "1 − z (textbook z: share of new)" if convention == "textbook" else label
    assert retention_map(gru, convention=convention).layout.title.text.endswith(f"product of the {kept} values")
    assert label not in gate_heatmap(gru, "reset", convention=convention).layout.title.text


def test_the_default_convention_is_the_textbooks(traces):
    gru = traces["GRU"]
    np.testing.assert_allclose(gate_heatmap(gru, "update").data[0].z, 1 - gru.gates["update"][0, 0].T, atol=1e-7)
    assert "textbook" in gate_heatmap(gru, "update").layout.title.text


# --- what fits: tick labels thinned to their axis, titles wrapped to the chart (viz.fit) --------------------

REVIEW_STEPS = 78  # the long restaurant review, as jieba reads it


def test_tick_every_is_the_smallest_step_that_gives_each_label_its_room():
    for count in (2, 7, 40, 78, 300, 1000):
        for axis_px in (73.0, 320.0, 737.0):
            for room in (6.0, 17.4):
                k = tick_every(count, axis_px, room)
                assert k * axis_px / count >= room  # room enough
                assert k == 1 or (k - 1) * axis_px / count < room  # and no sparser than needed
    assert tick_every(78, STEP_AXIS_PX, LINE_EM * TICK_FONT_PX) == 5
    assert tick_every(1, 10.0, 100.0) == tick_every(0, 10.0, 100.0) == 1


def test_thin_ticks_keeps_every_kth_label_from_the_first():
    words = [f"词{i}" for i in range(REVIEW_STEPS)]
    ticks = thin_ticks(words, STEP_AXIS_PX)
    np.testing.assert_array_equal(ticks, np.arange(0, REVIEW_STEPS, 5))
    assert len(thin_ticks(words, 2 * STEP_AXIS_PX)) > len(ticks)  # a longer axis holds more labels
    digits = [str(i % 10) for i in range(REVIEW_STEPS)]  # narrower than a line: they stand level on x...
    assert len(thin_ticks(digits, STEP_AXIS_PX)) > len(ticks)
    assert len(thin_ticks(digits, STEP_AXIS_PX, along="y")) == len(ticks)  # ...but need a whole line on y
    np.testing.assert_array_equal(thin_ticks(words[:3], STEP_AXIS_PX), [0, 1, 2])
    with pytest.raises(ValueError):
        thin_ticks(words, STEP_AXIS_PX, along="z")


def test_text_px_counts_wide_characters_as_one_em_and_reads_html():
    assert text_px("遗忘门", 10) == 30
    assert text_px("abc", 10) == pytest.approx(30 * LATIN_EM)
    assert text_px("&lt;b&gt;", 10) == pytest.approx(30 * LATIN_EM)  # an entity is the character it stands for
    assert text_px("<b>门</b>", 10) == 10  # tags take no room


@pytest.mark.parametrize("title", [
    "How much of token s survives at step t: product of the 1 − z (textbook z: share of new) values",
    "第 s 个词的内容到第 t 步还剩多少：1 − z（教材的 z：新内容占比）的乘积",
    "GRU: gates and states at each step, layer 1, backward — steps 100–299 of 320",
    "读到每个词时的概率 P(正面)" * 4,
])
def test_wrap_title_fits_each_line_and_keeps_every_word(title):
    wrapped = wrap_title(title)
    lines = title_lines(wrapped)
    assert len(lines) >= 2 and all(text_px(line, TITLE_FONT_PX) <= TITLE_PX for line in lines)
    assert "".join(lines).replace(" ", "") == title.replace(" ", "")  # only spaces were replaced by breaks
    assert not any(line[:1] in "，。：；）" for line in lines)  # no line opens with a closing mark


def test_wrap_title_breaks_between_clauses_and_leaves_short_titles_alone():
    assert wrap_title("GRU: gates and states at each step, layer 1, backward — steps 100–299 of 320") == \
        "GRU: gates and states at each step, layer 1, backward<br>— steps 100–299 of 320"
    assert wrap_title("How much of token s survives at step t: product of the forget gate f values") == \
        "How much of token s survives at step t:<br>product of the forget gate f values"
    assert wrap_title("遗忘门 f") == "遗忘门 f" and wrap_title("a<br>b") == "a<br>b"


def _review_traces() -> dict[str, Trace]:
    """The three models over 78 two-character tokens, with class probabilities."""
    torch.manual_seed(1)
    tokens = [f"餐馆{i % 10}" if i % 3 else "，" for i in range(REVIEW_STEPS)]
    probs = np.linspace([0.8, 0.2], [0.3, 0.7], REVIEW_STEPS)
    return {kind.lower(): record(MODULES[kind](4, 6).eval(), torch.randn(REVIEW_STEPS, 4), tokens=tokens)[0]
            .with_probabilities(probs, ("negative", "positive")) for kind in MODULES}


def test_a_78_token_retention_map_labels_what_fits_on_each_axis():
    fig = retention_map(_review_traces()["lstm"])
    x, y = fig.layout.xaxis, fig.layout.yaxis
    for axis, room_px, along in ((x, STEP_AXIS_PX, "x"), (y, RETENTION_Y_AXIS_PX, "y")):
        ticks = list(axis.tickvals)
        spacing = (ticks[1] - ticks[0]) * room_px / REVIEW_STEPS
        assert spacing >= tick_room(list(axis.ticktext), along=along)  # no two labels share a line's room
        assert len(ticks) >= 10  # thinned, not emptied
    assert len(y.tickvals) < 39  # the old every-second token overlapped on the y axis


def _every_figure(traces: dict[str, Trace], labels, convention: str) -> list[go.Figure]:
    lstm, gru = traces["lstm"], traces["gru"]
    steps = np.arange(REVIEW_STEPS - 1)
    rng = np.random.default_rng(0)
    scatter = RetentionGradientData("gru", lstm.tokens[:-1], steps, rng.random(REVIEW_STEPS - 1),
                                    rng.random(REVIEW_STEPS - 1), 0.98)
    figs = [gate_heatmap(gru, name, convention=convention, labels=labels) for name in ("update", "hidden")]
    figs += [gate_overview(gru, convention=convention, labels=labels), step_animation(lstm, labels=labels),
             model_comparison(traces, state="update", convention=convention, labels=labels),
             sentence_difference(lstm, lstm, labels=labels), gate_saturation(gru, convention=convention, labels=labels),
             prediction_curve(traces, labels=labels), whatif_prediction(whatif_data(lstm, lstm), labels=labels),
             hidden_difference_heatmap(whatif_data(gru, gru), labels=labels),
             saliency_bars(SaliencyData("lstm", "negative", lstm.tokens, np.ones(REVIEW_STEPS, np.float32),
                                        np.zeros(REVIEW_STEPS, np.float32)), labels=labels),
             distance_curves(DistanceData(("rnn",), (np.arange(5),), (np.ones(5),), (lstm.tokens[:5],)), labels=labels),
             retention_gradient_scatter(scatter, labels=labels), gate_saturation([], labels=labels)]
    return figs + [retention_map(t, convention=convention, labels=labels) for t in traces.values()]


@pytest.mark.parametrize("convention", ["textbook", "torch"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_title_fits_a_1000_px_page(lang, convention):
    """English titles were cut off ("…product of the forget gate", "1 − z (textb"): each line now fits."""
    figs = _every_figure(_review_traces(), viz_labels(lang), convention)
    for fig in figs:
        title = fig.layout.title.text
        assert title, fig.layout
        assert all(text_px(line, TITLE_FONT_PX) <= TITLE_PX for line in title_lines(title)), title
    retention = figs[-1].layout.title.text  # the GRU's, whose keep gate has the longest name
    assert len(title_lines(retention)) == 2 and text_px(retention.replace("<br>", " "), TITLE_FONT_PX) > TITLE_PX
