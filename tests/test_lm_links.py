"""Links to the language-model page (ui.lm_links) and its place among the pages: pure, no Streamlit run."""
from __future__ import annotations

import pytest

from ui.lm_links import MAX_LINK_TEXT, MAX_TEMPERATURE, LmView, link, parse, to_params
from ui.page_keys import PAGES, URL_PATHS, page_address, page_of_path


def test_a_full_link_round_trips():
    params = {"text": "《三体》不好看", "view": "write", "model": "lm_gru", "pos": "3", "unit": "17", "state": "cell",
              "prompt": "这家店", "temperature": "0.75", "length": "120", "seed": "42", "lang": "en", "gru": "torch"}
    view, notes = parse(params)
    assert not notes
    assert view == LmView(text="《三体》不好看", view="write", model="lm_gru", pos=3, unit=17, state="cell",
                          prompt="这家店", temperature=0.75, length=120, seed=42, lang="en", gru="torch")
    assert to_params(view) == params
    assert parse(to_params(view)) == (view, ())


def test_the_link_keeps_chinese_readable_and_drops_the_old_query():
    view = LmView(text="好 吃", model="lm_lstm", pos=0)
    assert link("http://h:1/lm?old=1#x", view) == "http://h:1/lm?text=好%20吃&model=lm_lstm&pos=0"


def test_a_bare_cell_names_its_language_model():
    assert parse({"model": "rnn"}) == (LmView(model="lm_rnn"), ())


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("pos", "-1", "out_of_range"), ("unit", "x", "out_of_range"), ("length", "0", "out_of_range"),
    ("length", "2001", "out_of_range"), ("seed", "1e3", "out_of_range"), ("temperature", "nan", "out_of_range"),
    ("temperature", str(MAX_TEMPERATURE + 0.5), "out_of_range"), ("temperature", "warm", "out_of_range"),
    ("model", "lm_bert", "not_allowed"), ("view", "gates2", "not_allowed"), ("state", "c", "not_allowed"),
    ("lang", "fr", "not_allowed"), ("text", "字" * (MAX_LINK_TEXT + 1), "out_of_range"), ("colour", "red",
                                                                                           "unknown_param"),
])
def test_a_bad_value_is_a_note_and_left_out(name, value, reason):
    view, notes = parse({name: value, "pos": "4"} if name != "pos" else {name: value})
    assert [(n.param, n.value, n.reason) for n in notes] == [(name, value, reason)]
    assert getattr(view, name, None) is None


def test_other_pages_and_lesson_parameters_pass_without_a_note():
    view, notes = parse({"lesson": "x", "step": "2", "tab": "read", "mode": "char", "gap": "7", "clue": "1",
                         "embed": "true", "unit": "5"})
    assert not notes and view == LmView(unit=5)


def test_a_text_too_long_for_a_link_is_left_out_of_it():
    params = to_params(LmView(text="字" * (MAX_LINK_TEXT + 1), model="lm_rnn"))
    assert params == {"model": "lm_rnn"}


def test_the_page_lives_at_lm():
    assert "lm" in PAGES and URL_PATHS["lm"] == "lm" and page_of_path("/lm/") == "lm"
    assert page_address("http://h:8501/race?gap=1", "lm") == "http://h:8501/lm"
