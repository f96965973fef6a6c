"""The lesson player in the page, run by AppTest: every lesson played to the end in zh and en, links, a switch.

At every step: no exception; the narration on the page is the lesson's text filled with the claims
computed from the loaded models; the page's own widgets show the step's view; a question, answered
right, shows the reveal with its numbers.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lessons import BY_ID, LESSONS
from lessons.lesson import answer, fill, resolved
from ui import state
from ui.i18n import LANGS, t
from ui.lessons import CHOICE_KEY, MODEL_KEYS, STEP_KEY, _view_at
from ui.tabs import CONVENTION_KEY, OPEN_KEY, TAB_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def claims_of(lesson):
    return lesson.claims(state.load_models())


def markdown(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def assert_view(at: AppTest, lesson, index: int, claims, lang: str) -> None:
    view = _view_at(lesson, index)
    where = f"{lesson.id} step {index + 1} ({lang})"
    assert at.session_state[STEP_KEY] == index, where
    assert at.session_state[OPEN_KEY] == view.tab and at.session_state[TAB_KEY] == t(lang, view.tab), where
    if view.text is not None:
        assert at.text_area(key="text").value == view.text, where
    if view.model is not None and view.tab in MODEL_KEYS:
        assert at.radio(key=MODEL_KEYS[view.tab]).value == view.model, where
    if view.token is not None:
        assert at.selectbox(key="step_token").value == resolved(view.token, claims), where
    if view.unit is not None:
        assert at.number_input(key="step_unit").value == resolved(view.unit, claims), where
    if view.convention is not None:
        assert at.session_state[CONVENTION_KEY] == view.convention, where
        assert at.radio(key=f"{CONVENTION_KEY}_{lang}").value == view.convention, where
    if view.pair is not None:
        assert (at.text_input(key="pair_a").value, at.text_input(key="pair_b").value) == view.pair, where
    if view.edit:
        assert at.get("plotly_chart")[0].proto.id  # the before/after curve comes first, in the player
        assert any("lesson_edit_curve" in chart.proto.id for chart in at.get("plotly_chart")), where


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_lesson_plays_to_the_end(lesson, lang):
    claims = claims_of(lesson)
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    at.selectbox(key=f"{CHOICE_KEY}_{lang}").set_value(lesson.id).run()
    for index, step in enumerate(lesson.steps):
        where = f"{lesson.id} step {index + 1} ({lang})"
        assert not at.exception, (where, at.exception)
        assert fill(step.say, lesson, claims, lang) in markdown(at), where
        assert (at.query_params["lesson"], at.query_params["step"]) == (lesson.id, str(index + 1)), where
        assert_view(at, lesson, index, claims, lang)
        if step.question is not None:
            assert fill(step.reveal, lesson, claims, lang) not in markdown(at), f"{where}: revealed before asked"
            assert at.button(key="lesson_reveal").disabled, where
            at.radio(key=f"lesson_answer_{lesson.id}_{index}").set_value(answer(step.question, claims)).run()
            at.button(key="lesson_reveal").click().run()
            assert not at.exception, (where, at.exception)
            assert fill(step.reveal, lesson, claims, lang) in markdown(at), where
            assert [s.value for s in at.success] == [t_ for t_ in [("猜对了。" if lang == "zh" else "Right.")]], where
        assert at.button(key="lesson_back").disabled == (index == 0), where
        last = index == len(lesson.steps) - 1
        assert at.button(key="lesson_next").disabled == last, where
        if not last:
            at.button(key="lesson_next").click().run()
    at.button(key="lesson_back").click().run()
    assert not at.exception and at.session_state[STEP_KEY] == len(lesson.steps) - 2


def test_a_step_link_opens_that_step_and_its_view():
    lesson = BY_ID["forget"]
    claims = claims_of(lesson)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lesson"] = "forget"
    at.query_params["step"] = "3"
    at.run()
    assert not at.exception
    assert at.selectbox(key=f"{CHOICE_KEY}_zh").value == "forget"
    assert fill(lesson.steps[2].say, lesson, claims, "zh") in markdown(at)
    assert_view(at, lesson, 2, claims, "zh")
    assert "?lesson=forget&step=3" in [code.value for code in at.code]


def test_a_bad_link_is_ignored_and_a_wrong_guess_is_told():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lesson"] = "no_such_lesson"
    at.run()
    assert not at.exception and at.selectbox(key=f"{CHOICE_KEY}_zh").value == ""
    lesson = BY_ID["order"]
    claims = claims_of(lesson)
    at.selectbox(key=f"{CHOICE_KEY}_zh").set_value("order").run()
    wrong = next(k for k, _ in lesson.steps[0].question.choices if k != answer(lesson.steps[0].question, claims))
    at.radio(key="lesson_answer_order_0").set_value(wrong).run()
    at.button(key="lesson_reveal").click().run()
    assert not at.exception and at.warning and not at.success
    assert fill(lesson.steps[0].reveal, lesson, claims, "zh") in markdown(at)


def test_a_language_switch_keeps_the_lesson_and_the_step():
    lesson = BY_ID["update"]
    claims = claims_of(lesson)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key=f"{CHOICE_KEY}_zh").set_value("update").run()
    at.button(key="lesson_next").click().run()
    at.radio(key="lang").set_value("en").run()
    assert not at.exception
    assert at.selectbox(key=f"{CHOICE_KEY}_en").value == "update" and at.session_state[STEP_KEY] == 1
    assert fill(lesson.steps[1].say, lesson, claims, "en") in markdown(at)
    assert_view(at, lesson, 1, claims, "en")  # PyTorch's convention, chosen by the step, also in English
    at.selectbox(key=f"{CHOICE_KEY}_en").set_value("").run()
    assert not at.exception and "lesson" not in at.query_params
