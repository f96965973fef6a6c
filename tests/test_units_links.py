"""Units-page links (ui.units_links) and its page path (ui.page_keys): pure, no Streamlit run."""
from __future__ import annotations

import pytest

from models.units import MAX_PATTERN
from ui.page_keys import PAGE_FILES, URL_PATHS, page_address, page_of_path
from ui.units_links import MAX_UNIT, UnitsView, link, parse, to_params

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_a_full_units_link_round_trips():
    params = {"model": "lm_lstm", "property": "custom", "state": "c", "unit": "17", "pattern": "不.{0,3}好",
              "lang": "en"}
    view, notes = parse(params)
    assert not notes
    assert view == UnitsView(model="lm_lstm", property="custom", state="cell", unit=17, pattern="不.{0,3}好", lang="en")
    assert to_params(view) == params
    assert parse(to_params(UnitsView(model="gru", property="in_digits", state="hidden")))[0] == UnitsView(
        model="gru", property="in_digits", state="hidden")


def test_a_pattern_stays_readable_and_its_specials_escaped_in_the_link():
    view = UnitsView(model="lm_gru", pattern="不 好&x")
    assert link("http://h:1/units?old=1#top", view) == "http://h:1/units?model=lm_gru&pattern=不%20好%26x"


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("model", "bert", "not_allowed"), ("property", "in_paris", "not_allowed"), ("state", "cell", "not_allowed"),
    ("unit", str(MAX_UNIT + 1), "out_of_range"), ("unit", "-1", "out_of_range"), ("unit", "x", "out_of_range"),
    ("pattern", "a" * (MAX_PATTERN + 1), "out_of_range"), ("lang", "fr", "not_allowed"),
    ("colour", "red", "unknown_param"),
])
def test_a_bad_value_is_a_note_and_left_out(name, value, reason):
    view, notes = parse({name: value, "model": "lm_rnn"} if name != "model" else {name: value})
    assert [(n.param, n.value, n.reason) for n in notes] == [(name, value, reason)]
    assert getattr(view, name, None) is None


def test_the_other_pages_and_lessons_parameters_pass_without_a_note():
    view, notes = parse({"lesson": "x", "step": "2", "text": "我爱", "tab": "read", "gap": "7", "unit": "3"})
    assert not notes and view == UnitsView(unit=3)


def test_the_units_page_has_its_path_and_file():
    assert URL_PATHS["units"] == "units" and page_of_path("/units/") == "units"
    assert (ROOT / PAGE_FILES["units"]).is_file()
    assert page_address("http://h:8501/?lesson=x", "units") == "http://h:8501/units"
