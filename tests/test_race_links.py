"""Race links (ui.race_links) and page paths (ui.page_keys): pure, no Streamlit run."""
from __future__ import annotations

import pytest

from ui.page_keys import DEFAULT_PAGE, PAGE_FILES, PAGES, URL_PATHS, page_address, page_of_path
from ui.race_links import MAX_GAP, RaceView, link, parse, to_params

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_a_full_race_link_round_trips():
    params = {"gap": "80", "clue": "2", "seed": "5", "model": "gru", "lang": "en", "gru": "torch"}
    view, notes = parse(params)
    assert not notes
    assert view == RaceView(gap=80, clue=2, seed=5, model="gru", lang="en", gru="torch")
    assert to_params(view) == params


def test_typed_words_replace_the_seed_and_stay_readable_in_the_link():
    view = RaceView(gap=3, clue=0, seed=9, words="房间 很 干净")
    assert "seed" not in to_params(view) and to_params(view)["words"] == "房间 很 干净"
    assert link("http://h:1/race?old=1", view) == "http://h:1/race?gap=3&clue=0&words=房间%20很%20干净"


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("gap", str(MAX_GAP + 1), "out_of_range"), ("gap", "-3", "out_of_range"), ("clue", "8", "out_of_range"),
    ("seed", "x", "out_of_range"), ("model", "bert", "not_allowed"), ("lang", "fr", "not_allowed"),
    ("colour", "red", "unknown_param"),
])
def test_a_bad_value_is_a_note_and_left_out(name, value, reason):
    view, notes = parse({name: value, "gap": "4"} if name != "gap" else {name: value})
    assert [(n.param, n.value, n.reason) for n in notes] == [(name, value, reason)]
    assert getattr(view, name, None) is None


def test_lesson_and_sentiment_parameters_pass_without_a_note():
    view, notes = parse({"lesson": "race", "step": "2", "text": "我爱", "tab": "read", "gap": "7"})
    assert not notes and view == RaceView(gap=7)


def test_the_sentiment_page_is_the_default_at_the_root_and_every_page_has_its_file():
    assert DEFAULT_PAGE == "sentiment" and URL_PATHS[DEFAULT_PAGE] == ""
    assert page_of_path("") == "sentiment" and page_of_path("race") == "race" and page_of_path("/race/") == "race"
    assert page_of_path("nope") == "sentiment"
    assert all((ROOT / PAGE_FILES[page]).is_file() for page in PAGES)
    assert page_address("http://h:8501/?lesson=x", "race") == "http://h:8501/race"
    assert page_address("http://h:8501/race?gap=1", "sentiment") == "http://h:8501/"
