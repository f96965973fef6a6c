"""The language-model page (/lm), run by Streamlit's AppTest: every view against the models' own numbers, links in
and out, bad input, and the message when the model files are missing."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from models.lm import load_language_model
from models.trace import DISPLAY_ORDER
from tests.apptest_figures import chart, values
from ui import lm, state
from ui.lm_links import MAX_LINK_TEXT
from viz.lm import LM_LABELS

APP = str(Path(__file__).resolve().parent.parent / "app.py")
LM = "app_pages/lm.py"
SENTIMENT = "app_pages/sentiment.py"


@pytest.fixture(scope="module")
def models():
    return {name: load_language_model(name, state.directory()) for name in lm.MODELS}


def open_lm(**params) -> AppTest:
    """The app, first at / (AppTest must run once before it can switch), then the LM page with ``params``."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(LM)
    at.query_params.clear()
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()






def texts(at: AppTest, kind: str) -> list[str]:
    return [element.value for element in getattr(at, kind)]


def test_the_next_character_view_shows_every_models_own_surprise(models):
    at = open_lm()
    assert not at.exception
    assert at.title[0].value == lm.STRINGS["zh"]["title"]
    strip = chart(at, "lm_strip")["data"][0]
    expected = np.stack([m.analyze(lm.DEFAULT_TEXT, lm.MAX_CHARS).surprise[:-1] for m in models.values()])
    np.testing.assert_allclose(values(strip["z"]), expected, rtol=1e-5)
    assert chart(at, "lm_window") is not None and chart(at, "lm_detail_bars") is not None
    assert at.query_params["text"] in (lm.DEFAULT_TEXT, [lm.DEFAULT_TEXT])  # the URL says what is shown


def test_the_gates_view_draws_every_map_and_one_steps_equations(models):
    at = open_lm(text="《三体》不好看", view="gates", model="lm_lstm", pos="4", unit="3")
    assert not at.exception
    at.radio(key=f"{lm.SHOWN_KEY}_zh").set_value("all").run()
    assert not at.exception
    cell = models["lm_lstm"].arch
    assert all(chart(at, f"lm_gate_{name}") is not None for name in DISPLAY_ORDER[cell])
    forget = chart(at, "lm_gate_forget")["data"][0]
    trace = models["lm_lstm"].analyze("《三体》不好看").trace
    np.testing.assert_allclose(values(forget["z"]).reshape(trace.hidden_size, -1),
                               trace.gates["forget"][0, 0].T, rtol=1e-5)
    assert any("不" in h for h in texts(at, "subheader"))  # character 4 is 不
    assert at.number_input(key=lm.UNIT_KEY).value == 3 and at.latex


def test_colour_the_text_by_one_unit(models):
    at = open_lm(text="好<b>坏</b>", view="colour", model="lm_gru", unit="2")
    assert not at.exception
    tinted = next(m for m in texts(at, "markdown") if "<span title=" in m)
    assert tinted.count("<span") == len("好<b>坏</b>") and "&lt;b&gt;" not in tinted and "<b>" not in tinted
    value = models["lm_gru"].analyze("好<b>坏</b>").trace.hidden[0, 0, 1, 2]
    assert f'title="{value:+.3f}"' in tinted


def test_live_writing_from_a_link_writes_what_the_model_writes_and_the_link_says_it_back(models):
    params = {"view": "write", "model": "lm_gru", "prompt": "这家店", "temperature": "0.9", "length": "25",
              "seed": "7", "lang": "en"}
    at = open_lm(**params)
    assert not at.exception and at.title[0].value == lm.STRINGS["en"]["title"]
    written = models["lm_gru"].write("这家店", temperature=0.9, length=25, seed=7)
    shown = next(m for m in texts(at, "markdown") if "crimson" in m)
    assert written.written.replace("<", "&lt;").replace(">", "&gt;") in shown or written.written in shown
    animation = chart(at, "lm_writing")
    assert len(animation["frames"]) >= 2
    assert {k: at.query_params[k][0] if isinstance(at.query_params[k], list) else at.query_params[k]
            for k in params} == params


def test_a_bad_link_value_is_said_and_the_page_still_runs():
    at = open_lm(model="bert", pos="-2", temperature="hot", colour="red")
    assert not at.exception
    assert len(at.warning) == 4 and chart(at, "lm_strip") is not None


def test_a_link_asking_for_a_longer_writing_than_the_page_writes_is_cut_with_a_note():
    at = open_lm(view="write", length=str(lm.MAX_LENGTH + 1), seed="2")
    assert not at.exception and at.number_input(key=lm.LENGTH_KEY).value == lm.MAX_LENGTH
    assert len(at.warning) == 1 and "length" in at.warning[0].value


@pytest.mark.parametrize(("text", "says"), [
    ("", "empty"), ("   \n ", "empty"), ("<script>alert(1)</script>", None), ("😀🙃！！。。", "unknown"),
    ("這家店的東西很好", "traditional"), ("𠀀𠀁好", "unknown"),
])
def test_bad_input_gives_a_result_or_a_clear_message(text, says):
    at = open_lm()
    at.text_area(key=lm.TEXT_KEY).set_value(text).run()
    assert not at.exception
    assert at.text_area(key=lm.TEXT_KEY).value == text  # nothing typed is lost
    if says == "empty":
        assert texts(at, "info") == [lm.STRINGS["zh"]["empty"]] and chart(at, "lm_strip") is None
        return
    assert chart(at, "lm_strip") is not None
    if says == "traditional":
        assert lm.STRINGS["zh"]["traditional"] in texts(at, "caption")
    if says == "unknown":
        assert any(c.startswith(lm.STRINGS["zh"]["unknown"].split("：")[0]) for c in texts(at, "caption"))


def test_a_huge_text_is_cut_with_a_note_and_kept_whole_in_the_box():
    text = "好吃不贵。" * 600
    at = open_lm()
    at.text_area(key=lm.TEXT_KEY).set_value(text).run()
    assert not at.exception
    assert texts(at, "warning") == [lm.STRINGS["zh"]["cut"].format(total=len(text), count=lm.MAX_CHARS)]
    assert len(values(chart(at, "lm_strip")["data"][0]["z"]).reshape(3, -1)[0]) == lm.MAX_CHARS
    assert at.text_area(key=lm.TEXT_KEY).value == text and len(text) > MAX_LINK_TEXT
    assert "text" not in at.query_params  # too long for a link: the link says so
    assert lm.STRINGS["zh"]["link_too_long"].format(limit=MAX_LINK_TEXT) in [c.value for c in at.sidebar.caption]


def test_the_text_survives_a_visit_to_another_page():
    at = open_lm()
    at.text_area(key=lm.TEXT_KEY).set_value("猫也好").run()
    at.switch_page(SENTIMENT).run()
    at.switch_page(LM).run()
    assert not at.exception and at.text_area(key=lm.TEXT_KEY).value == "猫也好"


def test_missing_model_files_are_named_with_the_command_that_makes_them(tmp_path, monkeypatch):
    monkeypatch.setenv(state.DIRECTORY_ENV, str(tmp_path))
    at = open_lm()
    assert not at.exception
    error = texts(at, "error")[-1]
    assert "lm_" in error and str(tmp_path) in error
    assert any(lm.HINT_COMMAND in c for c in texts(at, "caption"))
    assert chart(at, "lm_strip") is None


def test_every_string_of_the_page_is_in_both_languages():
    assert set(lm.STRINGS["zh"]) == set(lm.STRINGS["en"])
    assert set(lm.FIGURE_LABELS["zh"]) == set(LM_LABELS)


def test_the_page_speaks_english_from_its_link_and_the_menu_names_it(models):
    from ui.frame import page_name

    assert page_name("zh", "lm") != page_name("en", "lm")
    at = open_lm(lang="en", text="good food", view="gates", model="rnn")
    assert not at.exception and at.radio(key=lm.MODEL_KEY).value == "lm_rnn"
    assert at.subheader[0].value == lm.STRINGS["en"]["gates_heading"].format(model="RNN")
    assert chart(at, "lm_gate_hidden") is not None  # an RNN has one map: its hidden state


def test_the_warm_up_reads_the_default_text_before_the_first_visitor(models):
    lm.reading_cache().clear()
    lm.warm_up()
    assert len(lm.reading_cache()) == len(models)
    for model in lm.lm_models().values():  # the page's own models: a read now is a hit, not a new reading
        assert lm.read(model, lm.DEFAULT_TEXT) is lm.read(model, lm.DEFAULT_TEXT)
    assert len(lm.reading_cache()) == len(models)


def test_a_link_is_applied_once_so_a_later_choice_stays():
    at = open_lm(view="colour", model="lm_gru", unit="4")
    at.radio(key=lm.MODEL_KEY).set_value("lm_rnn").run()
    at.number_input(key=lm.UNIT_KEY).set_value(6).run()
    assert not at.exception
    assert at.radio(key=lm.MODEL_KEY).value == "lm_rnn" and at.number_input(key=lm.UNIT_KEY).value == 6
    assert at.query_params["model"] in ("lm_rnn", ["lm_rnn"]) and at.query_params["unit"] in ("6", ["6"])


def test_the_units_lesson_sets_the_lm_page_withholds_its_question_and_moves_to_the_units_page():
    """Lesson 12 runs on the real pages: its steps set the text, view and unit through the pages' own link parsers;
    the question hides the page until it is answered; the third step opens /units on the unit the claims name."""
    from lessons import BY_ID
    from models.loading import load_model
    from ui import units
    from ui.i18n import t
    from ui.lessons import CHOICE_KEY

    lesson = BY_ID["units"]
    claims = lesson.claims({name: load_model(name, state.directory()) for name in lesson.archs})
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.selectbox(key=f"{CHOICE_KEY}_zh").set_value(lesson.id).run()
    assert not at.exception
    assert at.title[0].value == lm.STRINGS["zh"]["title"]
    assert at.text_area(key=lm.TEXT_KEY).value == lesson.steps[0].view.link["text"]
    assert at.radio(key=lm.VIEW_KEY).value == "next" and chart(at, "lm_strip") is not None
    at.button(key="lesson_next").click().run()
    assert at.info and at.info[-1].value == t("zh", "page_withheld")  # the colour view would answer it
    assert chart(at, "lm_strip") is None
    at.radio(key="lesson_answer_units_1").set_value("yes").run()
    at.button(key="lesson_reveal").click().run()
    assert at.radio(key=lm.VIEW_KEY).value == "colour" and at.number_input(key=lm.UNIT_KEY).value == claims.clause_unit
    at.button(key="lesson_next").click().run()
    assert not at.exception
    assert at.title[0].value == units.STRINGS["zh"]["title"]
    assert at.session_state[units.UNIT_KEY] == claims.negator_unit
    assert at.session_state[units.PROPERTY_KEY] == "after_negator"
