"""The frame and the memory-race page, run by Streamlit's AppTest: the guess before the curve, the curve from the
cards, one sequence and its answers, what-if, links, languages, and what the frame shares across pages."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import ui.lessons
from lessons import BY_ID, LESSONS
from lessons.lesson import Lesson, Step, View
from models.asking import race as asking
from models.pretrained import load_pretrained
from models.training.race import CLUES
from tests.apptest_figures import chart, values
from ui import race, state
from ui.frame import page_name
from ui.i18n import t
from ui.lessons import CHOICE_KEY
from viz.race import MEAN_WIDTH, RACE_LABELS, race_curve_data

APP = str(Path(__file__).resolve().parent.parent / "app.py")
RACE = "app_pages/race.py"
SENTIMENT = "app_pages/sentiment.py"


@pytest.fixture(scope="module")
def models():
    return {cell: load_pretrained(f"race_{cell}", state.directory()) for cell in asking.RACE_CELLS}


def open_race(**params) -> AppTest:
    """The app, first at / (AppTest must run once before it can switch), then the race page with ``params``."""
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page(RACE)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()






def notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_the_curve_is_withheld_until_the_guess_is_revealed_then_drawn_from_the_cards():
    at = open_race()
    assert not at.exception
    assert at.title[0].value == race.STRINGS["zh"]["title"]
    assert chart(at, "race_curve") is None and chart(at, "race_answers") is not None
    assert at.button(key="race_reveal").disabled
    data = race_curve_data(asking.race_curves(state.directory()))
    right = race.right_guess(data)
    at.radio(key=race.GUESS_KEY).set_value(right).run()
    at.button(key="race_reveal").click().run()
    assert not at.exception and at.success  # the right bucket
    spec = chart(at, "race_curve")
    means = [trace for trace in spec["data"] if trace["line"].get("width") == MEAN_WIDTH]
    assert len(means) == len(data.cells)
    for trace, mean in zip(means, data.mean):
        np.testing.assert_allclose(values(trace["y"]), mean, rtol=1e-6)


def test_a_wrong_guess_is_told_the_answer():
    at = open_race()
    data = race_curve_data(asking.race_curves(state.directory()))
    wrong = (race.right_guess(data) + 1) % len(race.guess_choices(data))
    at.radio(key=race.GUESS_KEY).set_value(wrong).run()
    at.button(key="race_reveal").click().run()
    assert not at.success and chart(at, "race_curve") is not None
    names = [race.choice_name("zh", c) for c in race.guess_choices(data)]
    assert any(names[race.right_guess(data)] in info.value for info in at.info)


def test_a_link_runs_its_sequence_and_the_answers_are_the_models(models):
    at = open_race(gap="7", clue="3", seed="11", model="gru")
    assert not at.exception and not notes(at)
    assert at.slider(key=race.GAP_KEY).value == 7 and at.selectbox(key=race.CLUE_KEY).value == 3
    assert at.radio(key=race.CELL_KEY).value == "gru"
    distractors = asking.race_distractors(models["lstm"], 7, 11)
    expected = asking.race_answers(models, 3, distractors)
    bars = chart(at, "race_answers")["data"]
    for bar, cell in zip(bars, asking.RACE_CELLS):
        np.testing.assert_allclose(values(bar["y"]), expected[cell].probabilities, rtol=1e-5, atol=1e-7)
    assert at.query_params["gap"] == "7" and at.query_params["clue"] == "3" and at.query_params["seed"] == "11"
    at.slider(key=race.GAP_KEY).set_value(20).run()
    assert at.query_params["gap"] == "20"


def test_typed_distractors_are_read_as_the_race_model_segments_them(models):
    words = "房间很干净，服务也不错"
    at = open_race(words=words, clue="0")
    assert not at.exception
    assert at.radio(key=race.SOURCE_KEY).value == "typed" and at.text_area(key=race.WORDS_KEY).value == words
    tokens = (CLUES[0], *asking.typed_distractors(models["lstm"], words), "？")
    assert any(t.value.startswith("**") and str(len(tokens)) in t.value for t in at.markdown)
    assert at.query_params["words"] == words and "seed" not in at.query_params


def test_whatif_freeze_and_cut_report_what_the_models_compute(models):
    at = open_race(gap="30", clue="1", seed="3", model="lstm")
    distractors = asking.race_distractors(models["lstm"], 30, 3)
    tokens = asking.race_answer(models["lstm"], 1, distractors).tokens
    holders = asking.holding_units(models["lstm"], 30, state="cell", top=race.TOP_UNITS)
    for mode in ("cut", "freeze"):
        at.radio(key=race.WHATIF_KEY).set_value(mode).run()
        expected = asking.race_whatif(models["lstm"], tokens, [holders[0].unit], mode=mode, state="cell")
        after = values(chart(at, "race_whatif")["data"][1]["y"])
        np.testing.assert_allclose(after, expected.after, rtol=1e-5, atol=1e-7)


def test_why_marks_the_holding_units_and_draws_the_lstm_gates_on_the_first(models):
    at = open_race(gap="12", clue="4", seed="1", model="lstm")
    holders = asking.holding_units(models["lstm"], 12, state="cell", top=race.TOP_UNITS)
    rows = chart(at, "race_map_chart")["data"][0]["y"]
    assert rows[0] == f"★ {holders[0].unit}"
    gates = chart(at, "race_gates")
    assert f"{holders[0].unit}" in gates["layout"]["title"]["text"]
    at.radio(key=race.CELL_KEY).set_value("rnn").run()
    assert chart(at, "race_gates") is None and not at.exception


def test_english_and_a_bad_value_in_a_link():
    at = open_race(lang="en", gap="999")
    assert not at.exception
    assert at.title[0].value == race.STRINGS["en"]["title"]
    assert len(notes(at)) == 1 and "gap" in notes(at)[0]


def test_the_frame_keeps_the_language_and_the_text_across_pages():
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.text_area(key="text").input("我爱人工智能").run()
    at.radio(key="read_model").set_value("gru").run()
    at.radio(key="lang").set_value("en").run()
    at.switch_page(RACE).run()
    assert at.title[0].value == race.STRINGS["en"]["title"] and at.radio(key="lang").value == "en"
    at.switch_page(SENTIMENT).run()
    assert at.text_area(key="text").value == "我爱人工智能" and at.radio(key="read_model").value == "gru"
    assert at.title[0].value == t("en", "title")


def test_the_menu_names_both_pages_in_the_page_language():
    assert page_name("zh", "race") != page_name("en", "race")
    at = open_race(lang="en")
    assert at.radio(key="convention_en") is not None  # the GRU convention is the frame's, on every page


def test_a_lesson_step_that_names_the_race_page_opens_it_and_back_returns(monkeypatch):
    base = BY_ID["fading"]
    lesson = Lesson(id="to_race", title={"zh": "去赛跑", "en": "To the race"}, archs=base.archs, claims=base.claims,
                    steps=(base.steps[0], Step(View(page="race"), say={"zh": "看赛跑。", "en": "See the race."})))
    monkeypatch.setattr(ui.lessons, "BY_ID", {**BY_ID, lesson.id: lesson})
    monkeypatch.setattr(ui.lessons, "LESSONS", (*LESSONS, lesson))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.selectbox(key=f"{CHOICE_KEY}_zh").set_value("to_race").run()
    assert at.title[0].value == t("zh", "title")  # its first step is the sentiment page's
    at.button(key="lesson_next").click().run()
    assert not at.exception
    assert at.title[0].value == race.STRINGS["zh"]["title"] and "看赛跑。" in [m.value for m in at.markdown]
    assert at.query_params["lesson"] == "to_race" and at.query_params["step"] == "2"
    at.button(key="lesson_back").click().run()
    assert at.title[0].value == t("zh", "title") and at.query_params["step"] == "1"


def test_a_view_names_a_page_the_app_has_and_tabs_stay_on_the_sentiment_page():
    assert View().page == "sentiment" and View(page="race").page == "race"
    with pytest.raises(ValueError):
        View(page="nowhere")
    with pytest.raises(ValueError):
        View(page="race", tab="tab_read")


def test_a_question_on_the_race_page_withholds_it_until_reveal(monkeypatch):
    base = BY_ID["fading"]
    question = base.steps[1].question  # its answer is a claim of the lesson's claims
    lesson = Lesson(id="race_question", title={"zh": "赛跑问题", "en": "A race question"}, archs=base.archs,
                    claims=base.claims, steps=(Step(View(page="race"), say={"zh": "猜。", "en": "Guess."},
                                                    question=question, reveal={"zh": "揭晓。", "en": "Revealed."}),))
    monkeypatch.setattr(ui.lessons, "BY_ID", {**BY_ID, lesson.id: lesson})
    monkeypatch.setattr(ui.lessons, "LESSONS", (*LESSONS, lesson))
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.selectbox(key=f"{CHOICE_KEY}_zh").set_value(lesson.id).run()
    assert at.title[0].value == race.STRINGS["zh"]["title"]
    assert chart(at, "race_answers") is None and t("zh", "page_withheld") in [i.value for i in at.info]
    at.radio(key=f"lesson_answer_{lesson.id}_0").set_value(question.choices[0][0]).run()
    at.button(key="lesson_reveal").click().run()
    assert not at.exception and chart(at, "race_answers") is not None


def test_a_question_on_the_sentiment_page_does_not_hide_the_race_page(monkeypatch):
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.selectbox(key=f"{CHOICE_KEY}_zh").set_value("fading").run()
    at.button(key="lesson_next").click().run()  # step 2 asks a question about the sentiment page
    assert at.session_state["lesson_withheld"]
    at.switch_page(RACE).run()
    assert not at.exception and chart(at, "race_answers") is not None


def test_every_string_of_the_race_page_is_in_both_languages():
    assert set(race.STRINGS["zh"]) == set(race.STRINGS["en"])
    assert set(race.FIGURE_LABELS["zh"]) == set(RACE_LABELS)


def test_the_curve_export_holds_every_seed_at_every_gap():
    curves = asking.race_curves(state.directory())
    rows = race.curve_csv(curves).splitlines()
    assert rows[0] == "cell,seed,shipped,gap,accuracy"
    assert len(rows) - 1 == sum(c.by_seed.size for c in curves.values())
    lstm = curves["lstm"]
    first = next(r for r in rows if r.startswith(f"lstm,{int(lstm.seeds[0])},") and r.split(",")[3] == "1")
    assert float(first.split(",")[4]) == pytest.approx(lstm.by_seed[0, 0], abs=5e-5)
    assert sum(r.split(",")[2] == "1" for r in rows[1:]) == sum(len(c.gaps) for c in curves.values())  # one shipped


def test_without_race_models_the_page_says_which_file_is_missing(tmp_path, monkeypatch):
    for name in ("vocab.json", "rnn.json", "rnn.safetensors", "lstm.json", "lstm.safetensors", "gru.json",
                 "gru.safetensors"):
        (tmp_path / name).symlink_to(state.directory() / name)
    monkeypatch.setenv(state.DIRECTORY_ENV, str(tmp_path))
    at = open_race()
    assert not at.exception
    (error,) = at.error
    assert "race_" in error.value and str(tmp_path) in error.value
    assert chart(at, "race_answers") is None


def test_figure_files_are_named_for_the_sequence_not_the_sentiment_text():
    at = open_race(gap="7", clue="3", seed="11")
    names = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.config)["toImageButtonOptions"]["filename"]
             for c in at.get("plotly_chart")}
    assert names["race_answers"].startswith("rnn-gates_race_answers") and names["race_answers"].endswith(
        f"N7-{CLUES[3]}")
    assert "LSTM" in names["race_map_chart"]
    assert not any("手机" in name for name in names.values())  # the sentiment page's default text


def test_the_warm_up_finds_the_default_sequences_holding_units_before_the_first_visitor(monkeypatch):
    st.cache_resource.clear()
    race.warm_up()
    calls = []
    real = asking.holding_units
    monkeypatch.setattr(asking, "holding_units", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    at = open_race()
    assert not at.exception and chart(at, "race_holders") is not None
    assert calls == []  # the default gap's units were found by the warm-up
    at.slider(key=race.GAP_KEY).set_value(race.DEFAULTS[race.GAP_KEY] + 1).run()
    assert calls == [race.DEFAULTS[race.GAP_KEY] + 1]  # a new gap is probed once, for the model looked into
