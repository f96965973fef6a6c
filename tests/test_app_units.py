"""The units page, run by Streamlit's AppTest on tiny language models of its own (a few training steps, in a folder
of the test's) and the shipped sentiment classifiers: a built-in property read from the cache on disk, a missing
cache computed and saved, the person's regular expression ranked (and a bad, a slow and an empty one said in
words), the sentiment unit from the cards, a link, and the CSV."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import models.asking.units
from models.asking.units import rank, store_rankings
from models.lm import load_language_model
from models.pretrained import PRETRAINED_DIR, load_pretrained
from models.training.train_lm import LMSettings, run
from models.units import CUSTOM, RANKINGS_FILE, UnitError, ranking_key, regex_property
from tests.apptest_figures import chart, values
from ui import units
from ui.frame import page_name
from ui.i18n import error_text
from viz.units import UNITS_LABELS, ranking_data

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "app_pages/units.py"
TEXTS = ["这家店的菜很好吃，服务也好。", "不好吃，太贵了！", "《三体》很好看，“真的”不错",
         "手机买了2个月就坏了，花了1999元", "物流很快，包装也好", "质量不好，不推荐。", "iPhone 的屏幕很好",
         "价格便宜，质量好", "没想到这么差，别买",
         "很满意（下次还来）", "a" * 40 + "b", "书很好，123页就散了"]
LABELS = [1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0]
SENTIMENT_UNIT = {"state": "cell", "unit": 1, "threshold": 0.0, "above": 1, "validation_accuracy": 0.625,
                  "test_accuracy": 0.5833}
SLOW = r"(a|aa)+$"  # catastrophic backtracking on "a" * 40 + "b"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Three tiny language models (the LSTM's card with a sentiment unit) and the shipped one-layer classifiers."""
    out = tmp_path_factory.mktemp("units_models")
    parts = {"train": TEXTS * 3, "validation": TEXTS[:4], "test": TEXTS[4:]}
    run(["lstm", "gru", "rnn"], out, LMSettings(steps=2, batch_size=8, hidden_size=16, embed_dim=8, threads=1), parts)
    card = json.loads((out / "lm_lstm.json").read_text(encoding="utf-8"))
    card["units"] = {"sentiment_unit": SENTIMENT_UNIT}
    (out / "lm_lstm.json").write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")
    for cell in ("rnn", "lstm", "gru"):
        for file in (f"{cell}.json", f"{cell}.safetensors"):
            shutil.copy(PRETRAINED_DIR / file, out / file)
    shutil.copy(PRETRAINED_DIR / "vocab.json", out / "vocab.json")
    return out


@pytest.fixture(autouse=True)
def page_folder(folder, monkeypatch):
    """The page reads the test's folder and the test's split; nothing it computed before is kept."""
    monkeypatch.setenv("RNN_GATES_PRETRAINED", str(folder))
    monkeypatch.setattr(models.asking.units, "test_split", lambda: (list(TEXTS), list(LABELS)))
    units._results.clear()
    units._test_split.clear()
    (folder / RANKINGS_FILE).unlink(missing_ok=True)
    yield folder
    units._results.clear()
    units._test_split.clear()


def open_units(**params) -> AppTest:
    """The app, first at / (AppTest must run once before it can switch), then the units page with ``params``."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page(PAGE)
    for name in list(at.query_params):
        del at.query_params[name]  # the sentiment page's own link is not this page's
    for name, value in params.items():
        at.query_params[name] = value
    return at.run()






def bars(at: AppTest) -> np.ndarray:
    return values(chart(at, "units_ranking")["data"][0]["y"])


@pytest.mark.parametrize("cache", ["missing", "stale"])
def test_a_missing_or_stale_cache_is_computed_with_its_note_and_saved(folder, cache):
    if cache == "stale":  # rankings of other model files only
        (folder / RANKINGS_FILE).write_text(json.dumps({"other-weights": {"any": {}}}), encoding="utf-8")
    at = open_units(model="lm_lstm", property="in_brackets", state="c")
    assert not at.exception
    assert at.title[0].value == units.STRINGS["zh"]["title"]
    note = units._t("zh", "computed", texts=len(TEXTS), seconds=0.0).split("：")[0]
    assert any(note in info.value for info in at.info)
    model = load_language_model("lm_lstm", folder)
    expected = rank(model, TEXTS)["in_brackets"]["cell"]
    np.testing.assert_allclose(bars(at), [r for _, r in expected["top"]], atol=1e-6)
    stored = json.loads((folder / RANKINGS_FILE).read_text(encoding="utf-8"))
    assert stored[model.weights_fingerprint][ranking_key(len(TEXTS), models.asking.units.MAX_CHARS)][
        "in_brackets"]["cell"] == expected
    assert chart(at, "units_sentiment") is not None  # the LSTM's card names a sentiment unit


def test_a_built_in_property_is_read_from_the_cache_without_computing(folder, monkeypatch):
    model = load_language_model("lm_gru", folder)
    cached = rank(model, TEXTS)
    cached["in_digits"]["hidden"]["top"][0][1] = 0.987654  # a number only the cache holds
    assert store_rankings(folder, model, ranking_key(len(TEXTS), models.asking.units.MAX_CHARS), cached)

    def not_again(*args, **kwargs):
        raise AssertionError("a cached ranking is not computed again")

    monkeypatch.setattr(models.asking.units, "rank", not_again)
    at = open_units(model="lm_gru", property="in_digits", state="h", lang="en")
    assert not at.exception
    assert units.STRINGS["en"]["from_cache"].split(",")[0] in " ".join(c.value for c in at.caption)
    assert bars(at)[0] == pytest.approx(0.987654, abs=1e-6)
    assert at.selectbox(key=units.UNIT_KEY).value == cached["in_digits"]["hidden"]["top"][0][0]


def test_a_persons_pattern_is_ranked_live_and_kept_in_the_link(folder):
    at = _submit(open_units(model="lm_lstm", state="h"), "不.")
    assert not at.exception and not at.error
    expected = rank(load_language_model("lm_lstm", folder), TEXTS, pattern="不.")[CUSTOM]["hidden"]
    np.testing.assert_allclose(bars(at), [r for _, r in expected["top"]], atol=1e-6)
    assert at.selectbox(key=units.PROPERTY_KEY).value == CUSTOM
    assert at.query_params["pattern"] == "不." and at.query_params["property"] == CUSTOM


def _submit(at: AppTest, pattern: str) -> AppTest:
    at.text_input(key=units.PATTERN_INPUT_KEY).set_value(pattern)
    form_buttons = [b for b in at.get("button") if b.proto.is_form_submitter]
    return form_buttons[0].click().run()


@pytest.mark.parametrize(("pattern", "code"), [("(unclosed", "unit_regex_invalid"), (SLOW, "unit_regex_timeout")])
def test_a_bad_or_slow_pattern_is_said_in_the_pages_language(pattern, code):
    with pytest.raises(UnitError) as raised:
        regex_property(TEXTS[10], pattern)  # the coded error the page must say
    assert raised.value.code == code
    for lang in ("en", "zh"):
        at = _submit(open_units(model="lm_rnn", lang=lang), pattern)
        assert not at.exception and chart(at, "units_ranking") is None
        assert [e.value for e in at.error] == [error_text(lang, code, raised.value.fields)]


def test_a_pattern_that_matches_nothing_says_so():
    at = _submit(open_units(model="lm_gru"), "火星")
    assert not at.exception and chart(at, "units_ranking") is None
    assert [w.value for w in at.warning] == [units.STRINGS["zh"]["no_match"]]


def test_a_word_model_says_how_it_reads_and_the_csv_is_the_ranking_shown(folder):
    at = open_units(model="gru", property="after_negator", lang="en")
    assert not at.exception
    assert units.STRINGS["en"]["word_tokens"] in [i.value for i in at.info]
    assert at.radio(key=units.STATE_KEY).options == ["hidden state h"]  # no cell state in a GRU
    expected = rank(load_pretrained("gru", folder), TEXTS)["after_negator"]["hidden"]  # words: first characters
    np.testing.assert_allclose(bars(at), [r for _, r in expected["top"][:units.SHOWN_UNITS]], atol=1e-6)
    data = ranking_data(expected, units.SHOWN_UNITS)
    csv = units.ranking_csv(data, "gru", "after_negator", "hidden").splitlines()
    assert csv[0] == "model,property,state,rank,unit,r,shuffled_baseline,steps" and len(csv) == len(data.units) + 1
    assert csv[1].startswith(f"gru,\"after_negator\",hidden,1,{int(data.units[0])},")


def test_the_sentiment_units_are_read_from_the_cards_beside_the_full_models():
    at = open_units(model="lm_lstm", lang="en")
    lines = [m.value for m in at.markdown]
    assert any(line.startswith("- LSTM: cell state c unit 1, test accuracy 58.3% (validation 62.5%)")
               for line in lines)
    assert any(line.startswith("- GRU: no sentiment unit") for line in lines)
    full = json.loads((PRETRAINED_DIR / "lstm.json").read_text(encoding="utf-8"))["metrics"]["test"]["accuracy"]
    assert f"LSTM {full:.1%}" in " ".join(c.value for c in at.caption)
    spec = chart(at, "units_sentiment")
    assert sum(len(values(trace["x"])) for trace in spec["data"]) == len(TEXTS)


def test_a_link_sets_the_view_once_and_the_url_follows():
    at = open_units(model="lm_gru", property="in_digits", state="h", lang="en", colour="red")
    assert not at.exception
    assert at.selectbox(key=units.MODEL_KEY).value == "lm_gru" and at.selectbox(key=units.PROPERTY_KEY).value == \
        "in_digits"
    assert len(at.warning) == 1 and "colour" in at.warning[0].value  # the unknown parameter is noted
    unit = at.selectbox(key=units.UNIT_KEY).value
    assert at.query_params["unit"] == str(unit) and at.query_params["state"] == "h"
    at.selectbox(key=units.PROPERTY_KEY).set_value("in_latin_word").run()
    assert at.query_params["property"] == "in_latin_word"


def test_every_string_of_the_units_page_is_in_both_languages():
    assert set(units.STRINGS["zh"]) == set(units.STRINGS["en"])
    assert set(units.FIGURE_LABELS["zh"]) == set(UNITS_LABELS)
    assert page_name("zh", "units") != page_name("en", "units")


def test_without_models_the_page_says_which_file_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_GATES_PRETRAINED", str(tmp_path))
    at = open_units(lang="en")
    assert not at.exception and chart(at, "units_ranking") is None
    assert len(at.error) == 1 and at.error[0].value.startswith("No models to rank:")


def test_a_linked_unit_outside_the_top_is_shown_once_and_another_property_starts_at_its_best(folder):
    top = [int(u) for u, _ in rank(load_language_model("lm_lstm", folder), TEXTS)["in_digits"]["hidden"]["top"]]
    outside = next(u for u in range(16) if u not in top[:units.SHOWN_UNITS])
    at = open_units(model="lm_lstm", property="in_digits", state="h", unit=str(outside), lang="en")
    assert not at.exception
    assert at.selectbox(key=units.UNIT_KEY).value == outside and at.query_params["unit"] == str(outside)
    at.run()  # a rerun keeps it
    assert at.selectbox(key=units.UNIT_KEY).value == outside
    at.selectbox(key=units.PROPERTY_KEY).set_value("in_brackets").run()
    best = rank(load_language_model("lm_lstm", folder), TEXTS)["in_brackets"]["hidden"]["top"][0][0]
    assert at.selectbox(key=units.UNIT_KEY).value == best and at.query_params["unit"] == str(best)
    assert open_units(model="lm_lstm", property="in_digits", state="h", unit="4000").selectbox(
        key=units.UNIT_KEY).value == top[0]  # a unit the model does not have


def test_a_language_switch_keeps_the_choices():
    at = open_units(model="lm_gru", property="in_digits", state="h")
    at.radio(key="lang").set_value("en").run()
    assert not at.exception and at.title[0].value == units.STRINGS["en"]["title"]
    assert at.selectbox(key=units.MODEL_KEY).value == "lm_gru"
    assert at.selectbox(key=units.PROPERTY_KEY).value == "in_digits"
    assert at.query_params["lang"] == "en" and at.query_params["property"] == "in_digits"
