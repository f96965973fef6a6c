"""Two-layer and bidirectional models on the page, run by AppTest: the shape choice (one layer by default), a
layer and direction choice on every view that draws states, layer 2's input shown with its numbers, the backward
direction labelled, a bidirectional model's prefix answers, Compare's shapes side by side, the faithfulness
badge of every variant, links and session files naming a variant.

The variants have random weights and read the shipped vocabulary (tests.page_variants); the one-layer models are
the shipped ones.
"""
from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lessons import BY_ID
from models.classifier import PREFIX_LIMIT
from models.pretrained import ARCHS, PRETRAINED_DIR, load_pretrained, model_file_names
from tests.page_variants import variant_folder
from ui import links, shapes, state
from ui.common import literal
from ui.i18n import TABS, t
from ui.lessons import CHOICE_KEY
from ui.links import ViewState

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TEXT = "这部电影不好看，但是演员很棒"
VARIANTS = ("lstm_2layer", "lstm_bi", "gru_bi")
MODEL_TABS = ("read", "step", "pair", "memory", "whatif")
UPLOADER = "model_files_0"  # ui.share's uploader (its key carries a version)
LESSON = "forget"  # lessons/l2_forget.py: its first step opens the Read tab on the one-layer LSTM


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return variant_folder(tmp_path_factory.mktemp("variants"), VARIANTS)


def run_page(folder: Path, monkeypatch, *, tab: str = "tab_read", lang: str = "en", params: dict | None = None,
             **session) -> AppTest:
    monkeypatch.setenv(state.DIRECTORY_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=180)
    for name, value in (params or {}).items():
        at.query_params[name] = value
    at.session_state["lang"] = lang
    at.session_state["text"] = TEXT
    at.session_state["tab_open"] = tab
    for key, value in session.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_specs(at: AppTest) -> dict[str, dict]:
    return {chart.proto.id: json.loads(chart.proto.spec) for chart in at.get("plotly_chart")}


def titles(at: AppTest) -> list[str]:
    return [spec["layout"].get("title", {}).get("text", "").replace("<br>", " ") for spec in chart_specs(at).values()]


def formulas(at: AppTest) -> list[str]:
    return [latex.value.strip("$\n ") for latex in at.latex]


def position(name: str, at_layer: int, at_direction: int) -> dict:
    """Session values choosing model ``name`` and one layer and direction on every tab with a model choice."""
    found = {f"{tab}_model": name for tab in MODEL_TABS}
    for tab in MODEL_TABS:
        found[f"{tab}_layer"], found[f"{tab}_direction"] = at_layer, at_direction
    return found


def trace_of(folder: Path, name: str):
    model = load_pretrained(name, folder)
    return model.analyze_tokens(model.tokens(TEXT, "word")).trace


# --- choosing models ----------------------------------------------------------------------------------------

def test_the_page_offers_one_layer_models_first_and_the_variants_one_choice_away(folder, monkeypatch):
    at = run_page(folder, monkeypatch)
    assert at.radio(key="read_model").value == "lstm"
    shape = at.radio(key="read_model_shape_en")
    assert shape.value == "1layer" and shape.options == ["one layer", "two layers", "both ways"]
    assert at.subheader[0].value == t("en", "read_heading", model="LSTM")
    at.radio(key="read_model").set_value("gru").run()  # the GRU has one layer and both ways here, no two layers
    assert at.radio(key="read_model_shape_en").options == ["one layer", "both ways"]
    at.radio(key="read_model_shape_en").set_value("bi").run()
    assert at.subheader[0].value == t("en", "read_heading", model="bidirectional GRU")
    assert at.query_params["model"] == "gru_bi"


def test_no_shape_choice_without_variant_files(tmp_path, monkeypatch):
    at = run_page(variant_folder(tmp_path / "plain", ()), monkeypatch)
    assert "read_model_shape_en" not in [radio.key for radio in at.radio]
    assert "read_layer_en" not in [radio.key for radio in at.radio]


def test_a_link_names_a_variant_and_the_page_keeps_it(folder, monkeypatch):
    at = run_page(folder, monkeypatch, params={"model": "lstm_bi", "tab": "memory"}, tab="tab_memory")
    assert at.radio(key="memory_model").value == "lstm" and at.radio(key="memory_model_shape_en").value == "bi"
    assert at.query_params["model"] == "lstm_bi" and not at.warning
    at = run_page(folder, monkeypatch, params={"model": "rnn_2layer"})  # not in this folder: a note, the default
    assert at.radio(key="read_model_shape_en").value == "1layer"
    assert any(literal("rnn_2layer") in w.value for w in at.warning)


def test_a_session_file_names_the_variant():
    view, notes = links.parse_session(links.session_json(ViewState(text=TEXT, model="gru_bi")).encode())
    assert view.model == "gru_bi" and not notes
    assert links.parse({"model": "lstm_3layer"})[1][0].reason == "not_allowed"


def test_an_upload_holding_a_variant_loads_it(folder, monkeypatch):
    """lstm_bi.json and lstm_bi.safetensors uploaded in the page are read (they were skipped as unknown before)."""
    at = run_page(variant_folder(folder.parent / "plain_for_upload", ()), monkeypatch)
    uploader = at.file_uploader(key=UPLOADER)
    for file in model_file_names("lstm_bi"):
        uploader.upload(file, (folder / file).read_bytes())
    uploader.run()
    assert not at.exception and not at.error
    assert t("en", "own_loaded", archs="bidirectional LSTM") in [c.value for c in at.caption]
    assert at.subheader[0].value == t("en", "read_heading", model="bidirectional LSTM")


def test_a_folder_of_one_variant_alone(folder, tmp_path, monkeypatch):
    """A folder of one bidirectional model alone: its one cell and shape, no choice to make."""
    only = tmp_path / "only_bi"
    only.mkdir()
    for file in model_file_names("lstm_bi"):
        shutil.copy(folder / file, only / file)
    at = run_page(only, monkeypatch)
    assert at.radio(key="read_model").options == ["LSTM"] and "read_model_shape_en" not in [r.key for r in at.radio]
    assert at.subheader[0].value == t("en", "read_heading", model="bidirectional LSTM")


# --- every view on a two-layer and on a bidirectional model ------------------------------------------------------

@pytest.mark.parametrize("name, layer, direction, note", [
    ("lstm_2layer", 1, 0, "layer 2, forward →"),
    ("lstm_bi", 0, 1, "layer 1, backward ← (read from the text's end)"),
])
@pytest.mark.parametrize("tab", TABS)
def test_every_view_runs_on_the_chosen_layer_and_direction(folder, monkeypatch, name, layer, direction, note, tab):
    at = run_page(folder, monkeypatch, tab=tab, **position(name, layer, direction))
    shown = titles(at)
    if tab in ("tab_read", "tab_memory", "tab_pair", "tab_whatif"):
        assert any(note in title for title in shown), (tab, shown)
    if tab == "tab_read":
        radio = at.radio(key="read_layer_en" if layer else "read_direction_en")
        assert radio.value == (layer or direction)
        assert any(shapes.text("en", "backward_note" if direction else "upper_layer_note", number=2, below=1)
                   == caption.value for caption in at.caption)
    if tab == "tab_compare":  # every layer and direction of the cell's shapes, stacked on one token axis
        states = chart_specs(at)
        rows = [a["text"] for spec in states.values() for a in spec["layout"].get("annotations", [])]
        assert any("2-layer LSTM, layer 2" in row for row in rows) and any("bidirectional LSTM, layer 1, backward"
                                                                           in row for row in rows), rows
    if tab == "tab_about":
        badges = [metric.label for metric in at.metric]
        assert "2-layer LSTM (checked: 2 layer(s) × 1 direction(s))" in badges
        assert "bidirectional GRU (checked: 1 layer(s) × 2 direction(s))" in badges
        assert all(metric.value.startswith(t("en", "faithful_ok", error=0.0)[:8]) for metric in at.metric)


def test_inside_one_step_shows_layer_2s_input_as_layer_1s_hidden_state(folder, monkeypatch):
    at = run_page(folder, monkeypatch, tab="tab_step", step_token=3, **position("lstm_2layer", 1, 0))
    hidden = trace_of(folder, "lstm_2layer").hidden[0, 0, 3]  # layer 1's h at token 4
    formula = next(latex for latex in formulas(at) if latex.startswith("x_{4}^{(2)}"))
    assert formula == "x_{4}^{(2)} = h_{4}^{(1)} = [" + ", ".join(f"{v:.4f}" for v in hidden) + "]"  # 8 units
    (table,) = [d.value for d in at.dataframe if shapes.text("en", "layer_input_source") in d.value.columns]
    np.testing.assert_allclose(table.iloc[:, 1].to_numpy(), hidden, rtol=1e-6)
    # the filled-in formulas are layer 2's: its recorded h_t, not layer 1's
    layer_two = trace_of(folder, "lstm_2layer").hidden[1, 0, 3, 0]
    assert any(latex.startswith("h_{4}") and latex.endswith(f"{layer_two:.4f}") for latex in formulas(at))


def test_a_backward_step_reads_the_token_to_its_right(folder, monkeypatch):
    at = run_page(folder, monkeypatch, tab="tab_step", step_token=2, step_unit=1, **position("lstm_bi", 0, 1))
    trace = trace_of(folder, "lstm_bi")
    before = trace.cell[0, 1, 3, 1]  # going backward, token 3 (index) is read before token 2
    assert any(f"{before:.4f}" in latex and latex.startswith("c_{3}") for latex in formulas(at))


def test_a_bidirectional_models_curve_says_it_is_the_answer_on_each_prefix(folder, monkeypatch):
    long_text = "这部电影不好看" * (PREFIX_LIMIT // 4 + 10)  # 4 tokens each: more than the prefix runs cover
    at = run_page(folder, monkeypatch, text=long_text, **position("lstm_bi", 0, 0))
    assert shapes.text("en", "prefix_note", limit=PREFIX_LIMIT) in [c.value for c in at.caption]
    curve = chart_specs(at)[next(k for k in chart_specs(at) if "read_curve" in k)]
    shaded = [shape for shape in curve["layout"]["shapes"] if shape.get("type") == "rect"]
    assert shaded and shaded[0]["x0"] == PREFIX_LIMIT - 0.5
    assert any("not computed" in a["text"] for a in curve["layout"]["annotations"])


def test_one_layer_models_say_nothing_about_prefixes(folder, monkeypatch):
    at = run_page(folder, monkeypatch)
    assert shapes.text("en", "prefix_note", limit=PREFIX_LIMIT) not in [c.value for c in at.caption]


def test_what_if_in_layer_1_draws_the_change_in_layer_2(folder, monkeypatch):
    at = run_page(folder, monkeypatch, tab="tab_whatif", **position("lstm_2layer", 0, 0))
    keys = list(chart_specs(at))
    assert any("whatif_custom_difference_1_0" in key for key in keys), keys
    assert shapes.text("en", "whatif_above", number=1) in [c.value for c in at.caption]


def test_every_string_exists_in_both_languages():
    assert set(shapes.STRINGS["zh"]) == set(shapes.STRINGS["en"])
    for key in shapes.STRINGS["zh"]:
        fields = [sorted(set(__import__("re").findall(r"{(\w+)", shapes.STRINGS[lang][key]))) for lang in ("zh", "en")]
        assert fields[0] == fields[1], key


def test_a_folder_of_the_shipped_archs_still_names_them_plainly():
    assert [shapes.model_name("zh", a) for a in ARCHS] == ["RNN", "LSTM", "GRU"]
    assert shapes.model_name("zh", "gru_2layer") == "两层 GRU" and (PRETRAINED_DIR / "vocab.json").is_file()



def test_a_lesson_step_shows_its_one_layer_model_even_after_a_variant_was_chosen(folder, monkeypatch):
    lesson = BY_ID[LESSON]
    assert (lesson.steps[0].view.tab, lesson.steps[0].view.model) == ("tab_read", "lstm")
    at = run_page(folder, monkeypatch, read_model="lstm_bi")
    assert at.radio(key="read_model_shape_en").value == "bi"
    at.selectbox(key=f"{CHOICE_KEY}_en").set_value(LESSON).run()
    assert not at.exception
    assert at.radio(key="read_model_shape_en").value == "1layer"
    assert t("en", "read_heading", model="LSTM") in [sub.value for sub in at.subheader]


def test_a_classic_experiment_runs_on_the_chosen_shape_and_direction(folder, monkeypatch):
    """Never forget on the bidirectional models, backward: the LSTM's and GRU's (no RNN_bi here, said so)."""
    at = run_page(folder, monkeypatch, tab="tab_whatif", whatif_preset="never_forget", whatif_preset_shape="bi",
                  whatif_preset_direction=1)
    assert at.radio(key="whatif_preset_shape_en").value == "bi"
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert "#### bidirectional LSTM" in headings and "#### bidirectional GRU" in headings
    assert any("rnn_bi.safetensors" in info.value.replace("&#95;", "_").replace("&#46;", ".") for info in at.info)
    assert any("whatif_lstm_difference" in key for key in chart_specs(at))
    assert any("backward" in title for title in titles(at))


def test_memory_draws_the_corpus_saturation_of_the_chosen_layer(folder, tmp_path, monkeypatch):
    """saturation_test.json holds layer 1 forward at the top of a model's entry, the others under "layers"."""
    copy = tmp_path / "with_saturation"
    shutil.copytree(folder, copy)
    gates = ("input", "forget", "output")

    def fractions(offset: float) -> dict:
        return {g: {"left": [offset + i / 100 for i in range(8)], "right": [0.5] * 8} for g in gates}

    entry = {"steps": 99, "gates": fractions(0.0), "layers": [[{"gates": fractions(0.0)}], [{"gates": fractions(0.2)}]]}
    (copy / "saturation_test.json").write_text(json.dumps(
        {"texts": 7, "low": 0.1, "high": 0.9, "models": {"lstm_2layer": entry}}), encoding="utf-8")
    at = run_page(copy, monkeypatch, tab="tab_memory", **position("lstm_2layer", 1, 0))
    (corpus,) = [spec for key, spec in chart_specs(at).items() if key.endswith("memory_corpus_saturation")]
    assert "layer 2" in corpus["layout"]["title"]["text"].replace("<br>", " ")
    forget = next(d for d in corpus["data"] if d.get("name") == "forget gate f")
    left = np.frombuffer(base64.b64decode(forget["x"]["bdata"]), dtype=forget["x"]["dtype"])
    np.testing.assert_allclose(left, [0.2 + i / 100 for i in range(8)], atol=1e-6)
