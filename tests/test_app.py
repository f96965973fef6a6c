"""The page, run by Streamlit's AppTest (no browser): every example, the language switch, bad input."""
from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ui import shapes, state
from ui.i18n import STRINGS, VIZ_LABELS, class_name, t
from ui.source import EXAMPLES, MOSTLY_UNKNOWN, SOME_UNKNOWN
from viz.labels import DEFAULT_LABELS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
NUMBER = re.compile(r"-?\d+\.\d{4}")  # a filled-in number in the step equations


def escape(token: str) -> str:
    """A token as the figures write it in Plotly's pseudo-HTML."""
    return html.escape(token, quote=False)


def tab(key: str, lang: str = "zh") -> str:
    """The session value that opens the tab ``key`` (only the open tab runs)."""
    return t(lang, key)


def run_app(**session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in session.items():
        at.session_state[key] = value
    return at.run()


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def lstm_tokens(text: str, mode: str = "word") -> list[str]:
    return state.load_models()["lstm"].tokens(text[: state.MAX_CHARS], mode)[: state.MAX_TOKENS]


def messages(at: AppTest) -> str:
    return "\n".join(e.value for kind in (at.info, at.warning, at.error) for e in kind)


def test_default_page_draws_the_example():
    at = run_app()
    assert not at.exception
    assert at.text_area(key="text").value == EXAMPLES[0].text
    curve, heatmap = chart_specs(at)  # one gate at a time, and the animation only once it is switched on
    assert curve["layout"]["xaxis"]["ticktext"] == [escape(tok) for tok in lstm_tokens(EXAMPLES[0].text)]
    assert len(curve["data"]) == 1  # the Read tab's curve: one model
    assert heatmap["data"][0]["type"] == "heatmap"
    assert heatmap["layout"]["title"]["text"] == VIZ_LABELS["zh"]["input"]  # the LSTM's first gate
    assert [tab.label for tab in at.tabs] == [t("zh", k) for k in ("tab_read", "tab_compare", "tab_step", "tab_pair",
                                                                  "tab_memory", "tab_whatif", "tab_about")]


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.key for e in EXAMPLES])
def test_each_example_button_draws_its_tokens(example):
    at = run_app(text="", read_shown="all")  # start empty: the button must fill the box
    assert not chart_specs(at)
    at.button(key=f"example_{example.key}").click().run()
    assert not at.exception
    assert at.text_area(key="text").value == example.text
    assert t("zh", f"{example.key}_desc") in messages(at)
    figures = chart_specs(at)
    tokens = [escape(tok) for tok in lstm_tokens(example.text)]
    curve = figures[0]
    ticks = curve["layout"]["xaxis"]["ticktext"]
    assert ticks[0] == tokens[0] and set(ticks) <= set(tokens)
    heatmaps = [f for f in figures if f["data"][0]["type"] == "heatmap"]
    assert len(heatmaps) == 6  # the LSTM's four gates, cell and hidden
    assert all(f["layout"]["xaxis"]["ticktext"][0] == tokens[0] for f in heatmaps)
    if example.pair is not None:
        assert (at.session_state["pair_a"], at.session_state["pair_b"]) == example.pair


def test_read_tab_draws_the_chosen_gate_every_gate_or_the_animation():
    at = run_app()
    at.radio(key="read_shown_zh").set_value("forget").run()
    assert [fig["layout"]["title"]["text"] for fig in chart_specs(at)[1:]] == [VIZ_LABELS["zh"]["forget"]]
    at.radio(key="read_shown_zh").set_value("all").run()
    titles = [fig["layout"]["title"]["text"] for fig in chart_specs(at)[1:]]
    assert titles == [VIZ_LABELS["zh"][n] for n in ("input", "forget", "output", "candidate", "cell", "hidden")]
    assert not any(fig.get("frames") for fig in chart_specs(at))
    at.toggle(key="read_animation").set_value(True).run()
    assert not at.exception
    (animation,) = [fig for fig in chart_specs(at) if fig.get("frames")]
    assert len(animation["frames"]) == len(lstm_tokens(EXAMPLES[0].text))
    at.radio(key="read_model").set_value("rnn").run()  # one state only: no choice to make
    assert not at.exception and not [r for r in at.radio if r.key == "read_shown_zh"]
    assert [fig["layout"]["title"]["text"] for fig in chart_specs(at) if not fig.get("frames")][1:] == \
        [VIZ_LABELS["zh"]["hidden"]]


def test_compare_tab_draws_all_three_models():
    at = run_app(tab=tab("tab_compare"))
    assert not at.exception
    curve, states, shapes_curve, shapes_states = chart_specs(at)  # the cells, then the LSTM's shapes (variants)
    assert [d["name"] for d in curve["data"]] == ["RNN", "LSTM", "GRU"]
    assert len([d for d in states["data"] if d["type"] == "heatmap"]) == 3
    shapes_names = [shapes.model_name("zh", n) for n in ("lstm", "lstm_2layer", "lstm_bi")]
    assert [d["name"] for d in shapes_curve["data"] if d.get("name") in shapes_names] == shapes_names
    assert [m.label for m in at.metric][:3] == ["RNN", "LSTM", "GRU"]
    captions = [c.value for c in at.caption if t("zh", "parameters") in c.value][:3]
    assert len(captions) == len(state.ARCHS)  # one per model, in the metrics' order
    for caption, model in zip(captions, (state.load_models()[arch] for arch in state.ARCHS)):
        accuracy = model.card["metrics"]["test"]["accuracy"]
        assert f"{model.parameter_count:,}" in caption and f"{accuracy:.1%}" in caption, caption
        assert t("zh", "test_accuracy") in caption


def test_pair_tab_compares_the_two_sentences():
    at = run_app(tab=tab("tab_pair"))
    assert not at.exception
    (figure,) = chart_specs(at)
    titles = [a["text"] for a in figure["layout"]["annotations"]]
    assert any("张三非常生气" in title for title in titles) and any("李四非常生气" in title for title in titles)
    at.text_input(key="pair_b").input("   ").run()
    assert t("zh", "pair_empty") in messages(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pair_tab_shows_each_sentences_prediction_by_its_model(lang):
    at = run_app(tab=tab("tab_pair", lang), lang=lang, pair_model="gru")
    assert not at.exception
    model = state.load_models()["gru"]
    expected = []
    for key in ("pair_a", "pair_b"):
        analysis = model.analyze(at.text_input(key=key).value)
        expected.append(
            (
                t(lang, "pair_prediction", model="GRU", sentence=t(lang, key)),
                t(lang, "prediction_value", label=class_name(lang, analysis.label), prob=analysis.probability),
            )
        )
    assert [(m.label, m.value) for m in at.metric] == expected


def test_language_switch_changes_labels_and_figures():
    at = run_app()
    zh_title = chart_specs(at)[0]["layout"]["xaxis"]["title"]["text"]
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.tabs[0].label == "Read" and at.tabs[-1].label == "About the models"
    assert at.text_area(key="text").label == "Your text"
    en_title = chart_specs(at)[0]["layout"]["xaxis"]["title"]["text"]
    assert (zh_title, en_title) == (VIZ_LABELS["zh"]["token"], DEFAULT_LABELS["token"])
    assert at.text_area(key="text").value == EXAMPLES[0].text  # the text survives the switch


def test_language_switch_keeps_the_open_tab():
    at = run_app(tab=tab("tab_compare"))
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.subheader[0].value == t("en", "compare_heading")


@pytest.mark.parametrize("text", ["", "   \n\t "], ids=["empty", "whitespace"])
def test_text_without_tokens_says_so(text):
    at = run_app()
    at.text_area(key="text").input(text).run()
    assert not at.exception
    assert t("zh", "empty_text") in messages(at)
    assert not chart_specs(at)
    assert at.text_area(key="text").value == text


SCRIPT = "<script>alert(1)</script><img src=x onerror=alert(2)>"
MARKDOWN = "$x^2$ **bold** [link](javascript:alert(1)) `code`"


@pytest.mark.parametrize(
    "text",
    [SCRIPT, MARKDOWN, "😀😂🎉👍", "！！！，。？", "這個熱水器太費電了，千萬不能買。",
     "The quick brown fox jumps over the lazy dog"],
    ids=["html", "markdown", "emoji", "punctuation", "traditional", "english"],
)
def test_odd_text_is_analysed_and_explained(text):
    at = run_app()
    at.text_area(key="text").input(text).run()
    assert not at.exception
    assert at.text_area(key="text").value == text
    assert chart_specs(at)
    share = state.analyze("lstm", text, "word").analysis.unknown_share
    notes = [t("zh", key, share=share) for key in ("reads_chinese", "mostly_unknown", "some_unknown")]
    if share > SOME_UNKNOWN:  # English says plainly that the models read Chinese; else how much is unknown
        assert any(note in messages(at) for note in notes)
    for element in at.markdown:  # nothing the user typed reaches the page as live HTML or Markdown
        if element.proto.allow_html:
            for raw in ("<script", "<img", "$", "**", "[", "`"):
                assert raw not in element.value


def test_traditional_characters_are_read_as_simplified_with_a_note():
    text = "這個熱水器太費電了，千萬不能買。"
    at = run_app()
    at.text_area(key="text").input(text).run()
    assert not at.exception and at.text_area(key="text").value == text  # the box keeps what was typed
    assert t("zh", "traditional_note") in messages(at)
    read = state.analyze("lstm", text, "word").analysis
    assert "热水器" in read.tokens and read.label == "negative"  # read like the simplified sentence
    at.text_area(key="text").input("这个热水器太费电了").run()
    assert t("zh", "traditional_note") not in messages(at)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_english_example_says_plainly_that_the_models_read_chinese_and_why(lang):
    english = next(e for e in EXAMPLES if e.key == "ex_english")
    at = run_app(text=english.text, lang=lang)
    share = state.analyze("lstm", english.text, "word").analysis.unknown_share
    assert SOME_UNKNOWN < share < MOSTLY_UNKNOWN  # once only the mild note
    warning = t(lang, "reads_chinese", share=share)
    assert warning in [w.value for w in at.warning]
    words = ("中文", "训练") if lang == "zh" else ("read Chinese", "trained")
    assert all(word in warning for word in words)
    assert t(lang, "some_unknown", share=share) not in messages(at)


def test_emoji_only_warns_that_the_models_do_not_know_it():
    at = run_app(text="😀😂🎉👍")
    assert t("zh", "mostly_unknown", share=1.0) in messages(at)


def test_a_pasted_document_is_cut_with_a_note():
    text = ("我很喜欢这款手机，它的拍照功能很强大。" * 6000)[:100_000]
    at = run_app(text=text)
    assert not at.exception
    assert at.text_area(key="text").value == text
    notes = messages(at)
    assert t("zh", "cut_chars", read=state.MAX_CHARS, total=len(text)) in notes
    assert f"{state.MAX_TOKENS:,}" in notes
    assert chart_specs(at)[0]["layout"]["xaxis"]["ticktext"][0] == "我"


def test_inside_one_step_shows_the_equations_with_numbers():
    at = run_app(tab=tab("tab_step"), step_model="lstm", step_token=2, step_unit=5)
    assert not at.exception
    formulas = [latex.value for latex in at.latex]
    assert any(r"c_t = f_t" in f for f in formulas)
    filled = [f for f in formulas if NUMBER.search(f)]
    assert any(f.strip("$\n ").startswith("c_{3}") for f in filled)  # step_token=2 is the third token
    assert any(f.strip("$\n ").startswith("h_{3}") for f in filled)


def test_gru_convention_switch_changes_what_is_shown():
    at = run_app(tab=tab("tab_step"), step_model="gru")
    torch_form = VIZ_LABELS["zh"]["convention_torch"]
    textbook = VIZ_LABELS["zh"]["convention_textbook"]
    assert at.radio(key="convention_zh").value == "textbook"  # the teaching material's form by default
    assert t("zh", "convention_shown", label=textbook) in messages(at)
    before = [latex.value for latex in at.latex]
    at.radio(key="convention_zh").set_value("torch").run()
    assert not at.exception
    assert t("zh", "convention_shown", label=torch_form) in messages(at)
    after = [latex.value for latex in at.latex]
    assert any(r"z_t = 1 - \sigma" in f for f in before) and not any(r"z_t = 1 - \sigma" in f for f in after)
    torch_form = r"h_t = (1 - z_t) \, n_t"
    assert any(torch_form in f for f in after) and not any(torch_form in f for f in before)
    quantities = list(at.dataframe[0].value.iloc[:, 0])  # named as the formulas write them
    assert "W_hn h_{t-1} + b_hn" in quantities and "h_{t-1}" in quantities and "reset_hidden" not in quantities


def test_one_convention_governs_every_tab():
    at = run_app(read_model="gru", memory_model="gru", read_animation=True)
    titles = [fig["layout"]["title"]["text"] for fig in chart_specs(at)]
    assert any(title.startswith(VIZ_LABELS["zh"]["update_textbook"]) for title in titles)
    at.radio(key="convention_zh").set_value("torch").run()
    assert not at.exception
    titles = [fig["layout"]["title"]["text"] for fig in chart_specs(at)]
    assert any(title.startswith(VIZ_LABELS["zh"]["update_torch"]) for title in titles)
    assert not any(VIZ_LABELS["zh"]["update_textbook"] in title for title in titles)
    animation = next(fig for fig in chart_specs(at) if fig.get("frames"))
    assert [VIZ_LABELS["zh"]["update_torch"]] in [d.get("y") for d in animation["data"]]
    at.session_state["tab"] = tab("tab_memory")
    at.run()
    retention, saturation, corpus = chart_specs(at)[:3]  # then the gradient figures
    assert VIZ_LABELS["zh"]["update_torch"] in retention["layout"]["title"]["text"]
    assert VIZ_LABELS["zh"]["update_torch"] in {d.get("name") for d in saturation["data"]}
    assert VIZ_LABELS["zh"]["update_torch"] in {d.get("name") for d in corpus["data"]}


def test_translated_choices_survive_a_language_switch():
    at = run_app(tab=tab("tab_step"), step_model="gru")
    at.radio(key="convention_zh").set_value("torch").run()
    at.radio(key="mode_zh").set_value("char").run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.radio(key="convention_en").value == "torch" and at.radio(key="mode_en").value == "char"
    assert any(r"h_t = (1 - z_t) \, n_t" in latex.value for latex in at.latex)
    at.radio(key="lang").set_value("zh").run()
    assert at.radio(key="convention_zh").value == "torch" and at.radio(key="mode_zh").value == "char"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_about_tab_explains_the_two_gru_conventions(lang):
    at = run_app(tab=tab("tab_about", lang), lang=lang)
    assert not at.exception
    assert t(lang, "convention_about", choice=t(lang, "convention")) in [m.value for m in at.markdown]
    formulas = [latex.value.strip("$\n ") for latex in at.latex]
    assert r"h_t = (1 - z_t) \, h_{t-1} + z_t \, n_t" in formulas
    assert r"h_t = (1 - z_t) \, n_t + z_t \, h_{t-1}" in formulas


def test_rnn_memory_tab_explains_there_is_no_gate():
    at = run_app(tab=tab("tab_memory"), memory_model="rnn")
    assert not at.exception
    assert t("zh", "no_retention_rnn") in messages(at)
    assert not at.slider  # no gate thresholds to set for the RNN


def test_about_tab_numbers_read_like_the_rest_of_the_page():
    at = run_app(tab=tab("tab_about"))
    table = at.dataframe[0].value
    assert table.iloc[0, 0] == "TF-IDF" and table.iloc[0, 3] == "—"  # no parameter count, not "None"
    assert all(re.fullmatch(r"\d{2}\.\d%", v) for v in table.iloc[:, 1])  # 85.8%, as on the Compare tab
    assert all(re.fullmatch(r"0\.\d{3}", v) for v in table.iloc[:, 2])


def test_about_and_compare_tabs_show_suite_scores_with_their_spread():
    cards = {arch: model.card for arch, model in state.load_models().items()}
    at = run_app(tab=tab("tab_about"))
    suites = next(d.value for d in at.dataframe if t("zh", "col_turn") in d.value.columns)
    assert list(suites[t("zh", "col_model")]) == [shapes.model_name("zh", name) for name in cards]
    assert list(cards)[:3] == ["rnn", "lstm", "gru"] and len(cards) > 3  # the variants follow, one seed each
    for row, name in zip(suites.itertuples(index=False), cards):
        turn = cards[name]["seeds"]["summary"]["contrast_turn_rate"]
        spread = f" ± {100 * turn['std']:.1f}" if turn["seeds"] > 1 else ""
        assert row[list(suites.columns).index(t("zh", "col_turn"))] == f"{turn['mean']:.1%}{spread}"
    one_layer = suites.iloc[:3, 1:].to_numpy().ravel()
    assert all(re.fullmatch(r"\d{1,3}\.\d% ± \d+\.\d", v) for v in one_layer)  # three seeds: mean ± sd
    assert all(re.fullmatch(r"\d{1,3}\.\d%", v) for v in suites.iloc[3:, 1:].to_numpy().ravel())  # one seed
    at = run_app(tab=tab("tab_compare"))
    captions = [c.value for c in at.caption if t("zh", "parameters") in c.value]
    # one per cell, then the LSTM's shapes side by side: one layer (three seeds), two layers and both ways (one)
    assert len(captions) == 6
    assert all(t("zh", "col_turn") in c and re.search(r"\d% ± \d+\.\d", c) for c in captions[:3])
    assert re.search(r"\d% ± \d+\.\d", captions[3]) and not any("±" in c for c in captions[4:])
    for caption, name in zip(captions[4:], ("lstm_2layer", "lstm_bi")):
        assert f"{cards[name]['suites']['contrast']['accuracy']:.1%}" in caption


def test_memory_tab_draws_retention_and_saturation():
    at = run_app(tab=tab("tab_memory"))
    assert not at.exception
    retention, saturation, corpus = chart_specs(at)[:3]  # then the gradient figures
    assert retention["data"][0]["type"] == "heatmap"
    gates = {VIZ_LABELS["zh"][g] for g in ("input", "forget", "output")}
    assert {d["name"] for d in saturation["data"] if d.get("name")} == gates
    # The corpus scatter is the precomputed test split: one point per unit and gate.
    assert {d["name"] for d in corpus["data"] if d.get("name")} == gates
    summary = json.loads((state.directory() / "saturation_test.json").read_text(encoding="utf-8"))
    assert str(summary["texts"]) in corpus["layout"]["title"]["text"]
    points = [d for d in corpus["data"] if d.get("name") == VIZ_LABELS["zh"]["forget"]][0]
    left = np.frombuffer(base64.b64decode(points["x"]["bdata"]), dtype=points["x"]["dtype"])
    np.testing.assert_allclose(left, summary["models"]["lstm"]["gates"]["forget"]["left"], atol=1e-6)


def test_about_tab_shows_a_faithfulness_badge_per_model():
    at = run_app(tab=tab("tab_about"))
    badges = [m.value for m in at.metric if "|Δh|" in m.value]
    assert len(badges) == len(state.names()) >= 3 and all(b.endswith("✓") for b in badges)  # variants too, once shipped


def test_a_broken_pretrained_folder_gives_an_error_page(tmp_path, monkeypatch):
    (tmp_path / "lstm.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(state.DIRECTORY_ENV, str(tmp_path))
    at = run_app()
    assert not at.exception
    assert len(at.error) == 1 and str(tmp_path) in at.error[0].value
    assert not chart_specs(at)


def test_every_string_exists_in_both_languages():
    assert set(STRINGS["zh"]) == set(STRINGS["en"])
    for key in STRINGS["zh"]:
        fields = [set(re.findall(r"{(\w+)", STRINGS[lang][key])) for lang in ("zh", "en")]
        assert fields[0] == fields[1], key
    for key, label in VIZ_LABELS["zh"].items():
        assert key in DEFAULT_LABELS
        assert set(re.findall(r"{(\w+)", label)) == set(re.findall(r"{(\w+)", DEFAULT_LABELS[key])), key
