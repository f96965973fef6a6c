"""Links that reproduce a view: ui.links alone, then every parameter's round trip through the page (AppTest):
the URL sets the view, the view sets the URL, and a bad value is a note, never an error."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app import APP, chart_specs, lstm_tokens
from ui import links, share
from ui.common import literal
from ui.i18n import t
from ui.links import MAX_LINK_TEXT, Note, ViewState, check_ranges, link, parse, parse_session, session_json, to_params

TEXT = "我爱人工智能"


# ui.links alone ---------------------------------------------------------------------------------------------


def test_parse_takes_every_parameter_and_gives_it_back():
    params = {"text": "a b&c=d", "mode": "char", "tab": "whatif", "model": "gru", "token": "3", "unit": "17",
              "lang": "en", "gru": "torch"}
    view, notes = parse(params)
    assert notes == ()
    assert view == ViewState("a b&c=d", "char", "whatif", "gru", 3, 17, "en", "torch")
    assert to_params(view) == params and list(to_params(view)) == list(links.PARAMS)
    assert parse(to_params(view))[0] == view


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("mode", "words", "not_allowed"), ("tab", "Read", "not_allowed"), ("model", "bert", "not_allowed"),
    ("lang", "fr", "not_allowed"), ("gru", "both", "not_allowed"), ("token", "-1", "not_index"),
    ("unit", "3.5", "not_index"), ("token", "１２", "not_index"), ("unit", "9" * 7, "not_index"),
    ("colour", "red", "unknown_param"),
])
def test_a_bad_value_is_left_out_with_a_note(name, value, reason):
    view, notes = parse({name: value, "text": TEXT})
    assert view == ViewState(text=TEXT)
    assert notes == (Note(name, value, reason, links.CHOICES.get(name, links.PARAMS if reason == "unknown_param"
                                                                  else ())),)


def test_a_repeated_parameter_counts_by_its_last_value_and_streamlit_params_pass():
    view, notes = parse({"model": ["rnn", "gru"], "embed": "true", "embed_options": "dark_theme"})
    assert view.model == "gru" and notes == ()


def test_a_long_text_stays_out_of_the_link_but_not_out_of_the_session_file():
    long = "好" * (MAX_LINK_TEXT + 1)
    view = ViewState(text=long, tab="read", pair=("甲", "乙"))
    assert not links.link_fits(view) and "text" not in to_params(view)
    assert links.link_fits(ViewState(text="好" * MAX_LINK_TEXT))
    restored, notes = parse_session(session_json(view).encode())
    assert restored == view and notes == ()


def test_the_link_is_the_page_address_with_the_view():
    view = ViewState(text="I love 人工智能!", model="gru")
    assert link("http://host:8501/app?x=1#top", view) == "http://host:8501/app?text=I%20love%20人工智能%21&model=gru"
    odd = ViewState(text="a&b=c#d\u3000e\u200bf%")  # specials, an ideographic space, a zero-width space
    assert parse_qs(urlsplit(link("http://h/", odd)).query) == {"text": [odd.text]}


def test_ranges_models_and_tabs_the_page_lacks_are_dropped_with_notes():
    view = ViewState(text=TEXT, tab="whatif", model="rnn", token=6, unit=128)
    kept, notes = check_ranges(view, steps=6, units=128, models=("lstm", "gru"), tabs=("read", "step"))
    assert kept == ViewState(text=TEXT)
    assert [(n.param, n.reason) for n in notes] == [("token", "out_of_range"), ("unit", "out_of_range"),
                                                    ("model", "no_model"), ("tab", "no_tab")]
    ok = ViewState(tab="step", model="gru", token=5, unit=127)
    assert check_ranges(ok, steps=6, units=128, models=("gru",), tabs=("step",)) == (ok, ())


@pytest.mark.parametrize("data", [b"\x80", b"[]", b'{"format": "other"}', b'{"format": "rnn-gates-session/1"}'])
def test_a_file_that_is_not_a_session_gives_one_note(data):
    assert parse_session(data, "x.json") == (ViewState(), (Note("session", "x.json", "not_session"),))


def test_a_session_file_with_odd_values_keeps_the_good_ones():
    payload = {"format": links.SESSION_FORMAT, "view": {"text": TEXT, "model": 3, "lang": "xx"}, "pair": ["a"]}
    view, notes = parse_session(json.dumps(payload).encode())
    assert view == ViewState(text=TEXT)
    assert {(n.param, n.reason) for n in notes} == {("lang", "not_allowed"), ("model", "not_allowed"),
                                                    ("pair", "not_allowed")}


# Through the page ---------------------------------------------------------------------------------------------


def open_link(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()


def notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def test_text_round_trip():
    at = open_link(text=TEXT)
    assert not at.exception and at.text_area(key="text").value == TEXT
    assert chart_specs(at)[0]["layout"]["xaxis"]["ticktext"][0] == lstm_tokens(TEXT)[0]
    assert at.query_params["text"] == TEXT
    at.text_area(key="text").input("这个热水器太费电了").run()
    assert at.query_params["text"] == "这个热水器太费电了"
    assert links.query_string(ViewState(text="这个热水器太费电了")) in at.code[0].value  # the link to copy


def test_mode_round_trip():
    at = open_link(text=TEXT, mode="char")
    assert at.radio(key="mode_zh").value == "char" and at.query_params["mode"] == "char"
    assert chart_specs(at)[0]["layout"]["xaxis"]["ticktext"] == list(TEXT)
    at.radio(key="mode_zh").set_value("word").run()
    assert at.query_params["mode"] == "word"


@pytest.mark.parametrize("tab", ["read", "compare", "step", "pair", "memory", "whatif", "about"])
def test_tab_round_trip(tab):
    at = open_link(tab=tab)
    assert not at.exception and not notes(at)
    heading = {"read": "read_heading", "compare": "compare_heading", "step": "step_heading",
               "pair": "pair_heading", "memory": "memory_heading", "whatif": "whatif_heading",
               "about": "faithfulness_heading"}[tab]
    assert at.subheader[0].value == t("zh", heading, model="LSTM")
    assert at.query_params["tab"] == tab


def test_tab_round_trip_after_a_click():
    at = open_link(tab="compare")
    at.session_state["tab"] = t("zh", "tab_memory")
    at.run()
    assert at.query_params["tab"] == "memory"


def test_model_round_trip():
    at = open_link(model="gru")
    assert at.radio(key="read_model").value == "gru"
    assert at.subheader[0].value == t("zh", "read_heading", model="GRU")
    assert at.query_params["model"] == "gru"
    at.radio(key="read_model").set_value("rnn").run()
    assert at.query_params["model"] == "rnn"
    at.session_state["tab"] = t("zh", "tab_compare")  # a tab without a model choice keeps the last one
    at.run()
    assert at.query_params["model"] == "rnn" and at.query_params["tab"] == "compare"


def test_token_and_unit_round_trip():
    at = open_link(text=TEXT, tab="step", model="gru", token="2", unit="5")
    assert not at.exception and not notes(at)
    assert at.selectbox(key="step_token").value == 2 and at.number_input(key="step_unit").value == 5
    token = lstm_tokens(TEXT)[2]
    assert any(f"“{token}”" in m.value and "5" in m.value for m in at.markdown)  # the filled-in formulas' heading
    assert (at.query_params["token"], at.query_params["unit"]) == ("2", "5")
    at.number_input(key="step_unit").set_value(9).run()
    at.selectbox(key="step_token").set_value(1).run()
    assert (at.query_params["token"], at.query_params["unit"]) == ("1", "9")


def test_lang_round_trip():
    at = open_link(lang="en", tab="compare")
    assert at.radio(key="lang").value == "en" and at.tabs[0].label == "Read"
    assert at.subheader[0].value == t("en", "compare_heading")
    assert at.query_params["lang"] == "en"
    at.radio(key="lang").set_value("zh").run()
    assert at.query_params["lang"] == "zh" and at.subheader[0].value == t("zh", "compare_heading")


def test_gru_convention_round_trip():
    at = open_link(gru="torch", model="gru", tab="step")
    assert at.radio(key="convention_zh").value == "torch"
    assert any(r"h_t = (1 - z_t) \, n_t" in latex.value for latex in at.latex)
    assert at.query_params["gru"] == "torch"
    at.radio(key="convention_zh").set_value("textbook").run()
    assert at.query_params["gru"] == "textbook"


def test_a_whole_link_reproduces_the_view():
    params = {"text": "这个热水器太费电了", "mode": "char", "tab": "step", "model": "rnn", "token": "3", "unit": "4",
              "lang": "en", "gru": "torch"}
    at = open_link(**params)
    assert not at.exception and not notes(at)
    assert at.query_params == params
    assert at.code[0].value == links.link("http://localhost:8501/", ViewState(
        "这个热水器太费电了", "char", "step", "rnn", 3, 4, "en", "torch"))


@pytest.mark.parametrize(("name", "value"), [
    ("mode", "words"), ("tab", "nope"), ("model", "bert"), ("token", "-1"), ("unit", "abc"), ("lang", "fr"),
    ("gru", "both"), ("token", "999"), ("unit", "128"), ("colour", "red"),
])
def test_a_bad_value_in_a_link_is_a_note_never_an_error(name, value):
    at = open_link(**{"text": TEXT, "tab": "step", name: value})
    assert not at.exception and not at.error
    (note,) = notes(at)
    assert literal(value) in note and name in note
    assert chart_specs(at) or at.latex  # the page is drawn with its defaults
    assert at.query_params.get(name) != value


def test_notes_go_once_the_text_is_changed():
    at = open_link(text=TEXT, model="bert")
    assert len(notes(at)) == 1
    at.text_area(key="text").input("这个热水器太费电了").run()
    assert not notes(at)


def test_a_text_too_long_for_a_link_offers_the_session_file():
    long = ("我很喜欢这款手机，它的拍照功能很强大。" * 100)[: MAX_LINK_TEXT + 10]
    at = open_link(text=TEXT)
    at.text_area(key="text").input(long).run()
    assert not at.exception
    assert t("zh", "link_too_long", length=len(long), limit=MAX_LINK_TEXT) in [i.value for i in at.info]
    assert "text" not in at.query_params and at.query_params["tab"] == "read"
    assert "text=" not in at.code[0].value
    assert any(b.label == t("zh", "session_download") for b in at.get("download_button"))


def test_a_session_file_restores_the_text_and_the_view():
    view = ViewState(text="好" * (MAX_LINK_TEXT + 5), mode="char", tab="pair", model="gru", lang="en", gru="torch",
                     pair=("我爱你", "你爱我"))
    at = open_link()
    at.file_uploader(key="session_file").upload("mine.json", session_json(view).encode(), "application/json").run()
    assert not at.exception and not notes(at)
    assert at.text_area(key="text").value == view.text
    assert at.radio(key="mode_en").value == "char" and at.radio(key="pair_model").value == "gru"
    assert (at.text_input(key="pair_a").value, at.text_input(key="pair_b").value) == view.pair
    assert at.query_params == {"mode": "char", "tab": "pair", "model": "gru", "lang": "en", "gru": "torch"}


def test_a_restored_session_file_says_so_until_the_text_changes():
    view = ViewState(text="这个热水器太费电了", tab="read", lang="en")
    at = open_link()
    at.file_uploader(key="session_file").upload("mine.json", session_json(view).encode(), "application/json").run()
    assert not at.exception
    assert [s.value for s in at.success] == [t("en", "session_loaded", name="mine&#46;json")]
    at.radio(key="lang").set_value("zh").run()
    assert [s.value for s in at.success] == [t("zh", "session_loaded", name="mine&#46;json")]
    at.text_area(key="text").input("我爱人工智能").run()
    assert not at.success


def test_a_file_that_is_not_a_session_is_not_said_to_be_restored():
    at = open_link()
    at.file_uploader(key="session_file").upload("notes.json", b"[1, 2]", "application/json").run()
    assert not at.exception and not at.success


def test_the_sidebar_shows_the_link_short_and_the_whole_link_behind_a_copy_button():
    text = "我很喜欢这款手机，它的拍照功能很强大。" * 60  # about 1,100 characters: it fits a link
    at = open_link(text=text)
    whole = at.code[0].value
    assert whole == links.link("http://localhost:8501/", ViewState(text, "word", "read", "lstm", lang="zh",
                                                                    gru="textbook"))
    assert len(whole) > 1000
    shown = [c.value for c in at.sidebar.caption if "localhost" in c.value]
    assert shown == [f":material/link: {literal(whole[: share.SHORT_LINK - 1])}…"]
    assert at.sidebar.get("popover")  # the code block, with its copy button, opens from a popover


def test_a_file_that_is_not_a_session_is_a_note():
    at = open_link()
    at.file_uploader(key="session_file").upload("notes.json", b"[1, 2]", "application/json").run()
    assert not at.exception
    assert notes(at) == [t("zh", "link_note_not_session", param="session", value="notes&#46;json", allowed="—")]
