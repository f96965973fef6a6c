"""The lesson player in the page, run by AppTest: every lesson played to the end in zh and en, links, a switch.

At every step: no exception; the narration on the page is the lesson's text filled with the claims
computed from the loaded models; the page's own widgets show the step's view; the step's figure is drawn
in the lesson box, before anything of the tabs; a question shows nothing that answers it (no figure, no
tab content) until Reveal, and then the reveal with its numbers, the figure and the page below.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import streamlit.elements.lib.policies as policies
from streamlit.testing.v1 import AppTest

from lessons import BY_ID, LESSONS
from lessons.lesson import answer, fill, link_params, resolved
from lessons.texts import RESTAURANT
from models.names import parse_name
from models.trace import DISPLAY_ORDER
from ui import lm, race, state, units
from ui.i18n import LANGS, t, viz_labels
from ui.lessons import CHOICE_KEY, MODEL_KEYS, PAGE_VIEWS, POSITION_KEYS, STEP_KEY, STRINGS, _view_at, lesson_models
from ui.page_keys import DEFAULT_PAGE
from ui.read import SHOWN_KEY
from ui.tabs import CONVENTION_KEY, OPEN_KEY, TAB_KEY
from viz.equations import step_equation

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def claims_of(lesson):
    """The claims from the models the lesson names and no other, as the page makes them."""
    return lesson.claims({name: model for name, model in lesson_models().items() if name in lesson.archs})


HEADINGS = {"race": race.heading, "lm": lm.heading, "units": units.heading}  # each other page's (title, intro)


def markdown(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def assert_view(at: AppTest, lesson, index: int, claims, lang: str) -> None:
    view = _view_at(lesson, index)
    where = f"{lesson.id} step {index + 1} ({lang})"
    assert at.session_state[STEP_KEY] == index, where
    if view.page != DEFAULT_PAGE:  # another page: it is the one shown, set as its link would set it; no tabs
        assert at.title[0].value == HEADINGS[view.page](lang)[0], where
        if view.link:  # (a question's step is checked after Reveal)
            parse, _ = PAGE_VIEWS[view.page]
            linked = parse(link_params(view, claims))[0]
            keys = {"lm": {"text": lm.TEXT_KEY, "view": lm.VIEW_KEY, "unit": lm.UNIT_KEY, "state": lm.STATE_KEY},
                    "units": {"property": units.PROPERTY_KEY, "unit": units.UNIT_KEY}}[view.page]
            for name, key in keys.items():
                if getattr(linked, name) is not None:
                    assert at.session_state[key] == getattr(linked, name), (where, name)
        return
    assert at.session_state[OPEN_KEY] == view.tab and at.session_state[TAB_KEY] == t(lang, view.tab), where
    if view.text is not None:
        assert at.text_area(key="text").value == view.text, where
    if view.model is not None and view.tab in MODEL_KEYS:
        assert at.radio(key=MODEL_KEYS[view.tab]).value == parse_name(view.model).cell, where
        assert at.session_state[f"{MODEL_KEYS[view.tab]}_name"] == view.model, where  # its shape too
    for value, name in ((view.layer, "layer"), (view.direction, "direction")):
        if value is not None:  # the tab's layer and direction choice
            assert at.session_state[f"{POSITION_KEYS[view.tab]}_{name}"] == value, where
    if view.token is not None:
        assert at.selectbox(key="step_token").value == resolved(view.token, claims), where
    if view.unit is not None:
        assert at.number_input(key="step_unit").value == resolved(view.unit, claims), where
    if view.convention is not None:
        assert at.session_state[CONVENTION_KEY] == view.convention, where
        assert at.radio(key=f"{CONVENTION_KEY}_{lang}").value == view.convention, where
    if view.pair is not None:
        assert (at.text_input(key="pair_a").value, at.text_input(key="pair_b").value) == view.pair, where
    if view.maps and len(DISPLAY_ORDER[parse_name(view.model).cell]) > 1:  # the Read tab shows the first map named
        assert at.radio(key=f"{SHOWN_KEY}_{lang}").value == view.maps[0], where


def chart_ids(at: AppTest) -> list[str]:
    return [chart.proto.id for chart in at.get("plotly_chart")]


def assert_figure(at: AppTest, lesson, index: int, claims, lang: str) -> None:
    """The step's figure is in the lesson box, above every chart and formula of the tabs."""
    view = lesson.steps[index].view  # what the step itself names; its text and model come from _view_at
    text, model = _view_at(lesson, index).text, _view_at(lesson, index).model
    where = f"{lesson.id} step {index + 1} ({lang})"
    ids = chart_ids(at)
    if view.figure is None:  # a step on another page draws none in the box: the page below is its figure
        assert not any(i for i in ids if "lesson_chart" in i), (where, ids)
        return
    expected = {"curve": ["lesson_chart_curve"], "compare": ["lesson_chart_compare"], "pair": ["lesson_chart_pair"],
                "distance": ["lesson_chart_distance"], "equations": [],
                "maps": [f"lesson_chart_map_{name}" for name in view.maps],
                "retention": ["lesson_chart_retention_lstm", "lesson_chart_retention_gru"]}[view.figure]
    if view.edit:
        expected = ["lesson_edit_curve"]
    assert [any(key in i for i in ids[: len(expected)]) for key in expected] == [True] * len(expected), (where, ids)
    if view.figure == "equations" and not view.edit:
        trace = state.analyze(model, text, "word").analysis.trace
        eq = step_equation(trace, step=at.session_state["step_token"], unit=at.session_state["step_unit"],
                           convention=at.session_state[CONVENTION_KEY], labels=viz_labels(lang))
        assert [latex.value.strip("$\n ") for latex in at.latex][: len(eq.filled)] == list(eq.filled), where


def assert_withheld(at: AppTest, lesson, index: int, claims, lang: str) -> None:
    """Before Reveal: no chart and no formula anywhere, the reveal's numbers not shown, the tab says why."""
    where = f"{lesson.id} step {index + 1} ({lang}), before Reveal"
    assert fill(lesson.steps[index].reveal, lesson, claims, lang) not in markdown(at), where
    assert not at.get("plotly_chart") and not at.latex, (where, chart_ids(at))
    page = lesson.steps[index].view.page
    says = t(lang, "lesson_withheld" if page == DEFAULT_PAGE else "page_withheld")  # the tab's or the page's
    assert says in [info.value for info in at.info], where
    assert STRINGS[lang]["withheld"] in [caption.value for caption in at.caption], where


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
        if step.question is not None:
            assert_withheld(at, lesson, index, claims, lang)
            assert at.button(key="lesson_reveal").disabled, where
            at.radio(key=f"lesson_answer_{lesson.id}_{index}").set_value(answer(step.question, claims)).run()
            assert_withheld(at, lesson, index, claims, lang)  # a guess alone reveals nothing
            at.button(key="lesson_reveal").click().run()
            assert not at.exception, (where, at.exception)
            assert fill(step.reveal, lesson, claims, lang) in markdown(at), where
            assert [s.value for s in at.success] == [t_ for t_ in [("猜对了。" if lang == "zh" else "Right.")]], where
            assert t(lang, "lesson_withheld") not in [info.value for info in at.info], where
        assert_view(at, lesson, index, claims, lang)
        assert_figure(at, lesson, index, claims, lang)
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
    assert "http://localhost:8501/?lesson=forget&step=3" in [code.value for code in at.code]  # a whole address


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
    assert_withheld(at, lesson, 1, claims, "en")
    at.radio(key="lesson_answer_update_1").set_value(answer(lesson.steps[1].question, claims)).run()
    at.button(key="lesson_reveal").click().run()
    assert_view(at, lesson, 1, claims, "en")  # PyTorch's convention, chosen by the step, also in English
    at.selectbox(key=f"{CHOICE_KEY}_en").set_value("").run()
    assert not at.exception and "lesson" not in at.query_params


def test_the_page_counts_tokens_from_one_and_links_stay_from_zero():
    lesson = BY_ID["forget"]
    claims = claims_of(lesson)
    k = claims.connective  # 0-based, as the Python API and the URL
    assert state.analyze("lstm", RESTAURANT, "word").analysis.tokens[k] == "但是"
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lesson"] = "forget"
    at.query_params["step"] = "1"
    at.run()
    assert f"（第 {k + 1} 个词）" in fill(lesson.steps[0].say, lesson, claims, "zh")
    assert fill(lesson.steps[0].say, lesson, claims, "zh") in markdown(at)
    at.button(key="lesson_next").click().run()
    at.radio(key="lesson_answer_forget_1").set_value("down").run()
    at.button(key="lesson_reveal").click().run()
    at.button(key="lesson_next").click().run()  # step 3: the step tab at the connective
    picker = at.selectbox(key="step_token")
    assert picker.value == k and picker.options[k] == f"{k + 1}: 但是" and picker.options[0].startswith("1: ")
    assert at.query_params["token"] == str(k)  # links and exports stay 0-based


@pytest.mark.parametrize(("params", "reason", "place"), [
    ({"lesson": "nope"}, "not_allowed", None),
    ({"lesson": "forget", "step": "9"}, "step_past_end", ("forget", "3")),
    ({"lesson": "forget", "step": "x"}, "not_step", ("forget", "1")),
])
def test_a_lesson_link_the_page_cannot_follow_says_so(params, reason, place):
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    name = "step" if "step" in params else "lesson"
    allowed = {"not_allowed": ", ".join(BY_ID), "step_past_end": "3", "not_step": "1–3"}[reason]
    said = t("zh", f"link_note_{reason}", param=name, value=params[name], allowed=allowed)
    assert [w.value for w in at.warning] == [said]
    if place is None:
        assert at.selectbox(key=f"{CHOICE_KEY}_zh").value == ""
        at.selectbox(key=f"{CHOICE_KEY}_zh").set_value("fading").run()
    else:
        assert (at.query_params["lesson"], at.query_params["step"]) == place
        assert at.session_state[STEP_KEY] == int(place[1]) - 1
        at.button(key="lesson_next" if place[1] == "1" else "lesson_back").click().run()
    assert not at.exception and not at.warning  # a move leaves the link behind, and its note


LOGGER = "streamlit.elements.lib.policies"


@pytest.fixture
def widget_warnings(monkeypatch):
    """Streamlit's "created with a default value but also had its value set via the Session State API" warnings.
    Streamlit checks only under a runtime, and says it once per process: both are lifted here."""
    found: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            found.append(record.getMessage())

    monkeypatch.setattr(policies.runtime, "exists", lambda: True)
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    handler = Collect()
    logging.getLogger(LOGGER).addHandler(handler)
    yield found
    logging.getLogger(LOGGER).removeHandler(handler)


@pytest.mark.parametrize("step", ["1", "3"])  # the Read tab's model radio; the step tab's model, token and unit
def test_a_lesson_link_sets_widgets_without_streamlits_warning(widget_warnings, step, monkeypatch):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["lesson"] = "forget"
    at.query_params["step"] = step
    at.run()
    assert not at.exception
    for _ in range(2):
        at.button(key="lesson_back" if step == "3" else "lesson_next").click().run()
        monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    assert widget_warnings == []
