"""The What-if tab and the Memory tab's gradient paths, run by AppTest: the numbers read back from the charts."""
from __future__ import annotations

import numpy as np
import pytest

from models.asking.experiments import CONNECTIVES
from tests.apptest_figures import values
from tests.test_app import chart_specs, messages, run_app, tab
from ui import state
from ui.i18n import VIZ_LABELS, t
from ui.source import EXAMPLES
from viz.fit import wrap_title
from viz.labels import DEFAULT_LABELS

RESTAURANT = next(e.text for e in EXAMPLES if e.key == "ex_restaurant")  # has 但是
NO_DE = "这个热水器太费电了，千万不能买。"
CHANGED = 1e-4  # a probability that moved by more than this moved because of the edit




def viz(lang: str, key: str, **fmt) -> str:
    template = VIZ_LABELS[lang].get(key, DEFAULT_LABELS[key])
    return template.format(**fmt) if fmt else template


def curves(at, lang: str) -> list[tuple[np.ndarray, np.ndarray, dict]]:
    """(before, after, layout) of every before/after chart on the page, in page order."""
    found = []
    for spec in chart_specs(at):
        names = [d.get("name") for d in spec["data"]]
        if names == [viz(lang, "before"), viz(lang, "after")]:
            found.append((values(spec["data"][0]["y"]), values(spec["data"][1]["y"]), spec["layout"]))
    return found


def latex(at) -> list[str]:
    return [element.value.strip("$\n ") for element in at.latex]


def tokens_of(arch: str, text: str) -> tuple[str, ...]:
    return state.analyze_edited(arch, text, "word").analysis.tokens


def assert_changed_from(before: np.ndarray, after: np.ndarray, step: int) -> None:
    """The same curve before ``step``, to the bit; a different one from ``step`` on."""
    np.testing.assert_array_equal(after[:step], before[:step])
    assert np.abs(after[step:] - before[step:]).max() > CHANGED


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_never_forget_changes_the_curves_only_from_the_chosen_token(lang):
    tokens = tokens_of("lstm", EXAMPLES[0].text)
    start = 6
    at = run_app(tab=tab("tab_whatif", lang), lang=lang, whatif_preset="never_forget", whatif_at_kept=start)
    assert not at.exception
    assert at.subheader[0].value == t(lang, "whatif_heading")
    assert t(lang, "whatif_missing_no_gate") in messages(at)  # the RNN has no gate to hold on with
    (lstm_before, lstm_after, layout), (gru_before, gru_after, _) = curves(at, lang)
    assert_changed_from(lstm_before, lstm_after, start)
    assert_changed_from(gru_before, gru_after, start)
    assert layout["title"]["text"] == viz(lang, "title_whatif_prediction", label=t(lang, "positive"))
    (shade,) = [s for s in layout["shapes"] if s["type"] == "rect"]
    assert (shade["x0"], shade["x1"]) == (start - 0.5, len(tokens) - 0.5)
    formulas = latex(at)
    where = rf"\quad t \in [{start}, {len(tokens) - 1}]"
    assert rf"f_{{t}} := 1 {where}" in formulas
    assert rf"z_{{t}} := 0 {where}" in formulas  # the GRU keeps its old state: the textbook's z = 0
    assert t(lang, "whatif_first_changed", step=start, token=tokens[start]) in [c.value for c in at.caption]
    shown = [m.value for m in at.markdown]
    for before, after in ((lstm_before, lstm_after), (gru_before, gru_after)):
        assert final_label(lang, before, after) in shown


def final_label(lang: str, before: np.ndarray, after: np.ndarray) -> str:
    """The sentence saying whether the final label changed, from the two curves of P(positive)."""
    names = [t(lang, "positive") if p > 0.5 else t(lang, "negative") for p in (before[-1], after[-1])]
    numbers = dict(label=t(lang, "positive"), before=float(before[-1]), after=float(after[-1]))
    if names[0] != names[1]:
        return t(lang, "whatif_label_changed", old=names[0], new=names[1], **numbers)
    return t(lang, "whatif_label_same", final=names[1], **numbers)


def test_forget_at_the_connective_acts_at_the_first_one_in_each_model():
    tokens = tokens_of("lstm", RESTAURANT)
    turn = next(i for i, tok in enumerate(tokens) if tok in CONNECTIVES)
    at = run_app(text=RESTAURANT, tab=tab("tab_whatif"), whatif_preset="forget_at_connective")
    assert not at.exception
    (rnn_before, rnn_after, _), (lstm_before, lstm_after, _), (gru_before, gru_after, _) = curves(at, "zh")
    assert_changed_from(rnn_before, rnn_after, turn - 1)  # the RNN's memory is cut just before the connective
    assert_changed_from(lstm_before, lstm_after, turn)
    assert_changed_from(gru_before, gru_after, turn)
    formulas = latex(at)
    assert rf"f_{{t}} := 0 \quad t = {turn}" in formulas and rf"h_{{t}} := 0 \quad t = {turn - 1}" in formulas
    assert rf"z_{{t}} := 1 \quad t = {turn}" in formulas  # textbook form: take only the new candidate
    assert any(f"“{tokens[turn]}”" in m.value for m in at.markdown)  # what maps to what names the connective
    at.radio(key="convention_zh").set_value("torch").run()
    assert rf"z_{{t}} := 0 \quad t = {turn}" in latex(at)  # the same edit in PyTorch's form


@pytest.mark.parametrize(("preset", "text", "missing"), [
    ("ignore_de", NO_DE, "whatif_missing_no_de"),
    ("forget_at_connective", NO_DE, "whatif_missing_no_connective"),
])
def test_a_preset_with_nothing_to_act_on_says_so(preset, text, missing):
    at = run_app(text=text, tab=tab("tab_whatif"), whatif_preset=preset)
    assert not at.exception
    assert t("zh", missing, connectives=" / ".join(CONNECTIVES)) in messages(at)
    assert not chart_specs(at)
    assert at.text_area(key="text").value == text  # the text is kept


def test_ignore_de_skips_every_de_in_the_gru():
    text = next(e.text for e in EXAMPLES if e.key == "ex_de")
    tokens = tokens_of("gru", text)
    first = tokens.index("的")
    at = run_app(text=text, tab=tab("tab_whatif"), whatif_preset="ignore_de")
    (lstm_before, lstm_after, _), (gru_before, gru_after, _) = curves(at, "zh")
    assert_changed_from(lstm_before, lstm_after, first)
    np.testing.assert_array_equal(gru_after[first], gru_after[first - 1])  # 的 skipped: the state did not move


def test_cut_the_memory_sets_every_models_memory_to_zero_at_the_token():
    at = run_app(tab=tab("tab_whatif"), whatif_preset="cut_memory", whatif_at_kept=5)
    assert not at.exception
    found = curves(at, "zh")
    assert len(found) == 3
    for before, after, _ in found:
        assert_changed_from(before, after, 5)
    formulas = latex(at)
    assert formulas.count(r"h_{t} := 0 \quad t = 5") == 3 and r"c_{t} := 0 \quad t = 5" in formulas


def test_your_own_edit_on_the_top_units_by_effect():
    tokens = tokens_of("gru", EXAMPLES[0].text)
    at = run_app(tab=tab("tab_whatif"), whatif_preset="custom", whatif_model="gru", whatif_target_gru="update",
                 whatif_range_kept=(4, len(tokens) - 1), whatif_units="top", whatif_k=3)
    assert not at.exception
    heading = t("zh", "whatif_top_units", k=3, label=t("zh", "positive"), units="")  # the units come last
    caption = next(c.value for c in at.caption if c.value.startswith(heading))
    units = [int(part.split(" ")[0]) for part in caption.split("：")[-1].split(", ")]
    assert len(units) == 3
    formula = rf"z_{{t,j}} := 0 \quad t \in [4, {len(tokens) - 1}], \; j \in \{{{', '.join(map(str, units))}\}}"
    assert formula in latex(at)
    (before, after, _), = curves(at, "zh")
    assert_changed_from(before, after, 4)


def test_bad_choices_give_a_message_and_keep_the_text():
    at = run_app(tab=tab("tab_whatif"), whatif_preset="custom", whatif_units="list")
    assert not at.exception
    assert t("zh", "whatif_no_units") in messages(at) and not chart_specs(at)
    at = run_app(tab=tab("tab_whatif"), whatif_preset="custom", whatif_range_kept=(40, 60))
    count = len(tokens_of("lstm", EXAMPLES[0].text))
    assert not at.exception
    assert t("zh", "whatif_range_reset", count=count) in messages(at)
    assert at.select_slider(key="whatif_range").value == (count // 2, count - 1) and curves(at, "zh")
    at.text_area(key="text").input("很好").run()  # a shorter text: the kept range no longer fits
    assert not at.exception
    assert t("zh", "whatif_range_reset", count=2) in messages(at)
    assert at.text_area(key="text").value == "很好"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_memory_tab_shows_the_gradient_paths_of_all_three_models(lang):
    at = run_app(tab=tab("tab_memory", lang), lang=lang)
    assert not at.exception
    figures = chart_specs(at)
    titles = [f["layout"]["title"]["text"] for f in figures]
    for model in ("RNN", "LSTM", "GRU"):
        assert wrap_title(viz(lang, "title_saliency", model=model, label=t(lang, "positive"))) in titles
    (curve,) = [f for f in figures if f["layout"]["title"]["text"] == wrap_title(viz(lang, "title_curve"))]
    assert [d["name"] for d in curve["data"]] == ["RNN", "LSTM", "GRU"] and curve["layout"]["yaxis"]["type"] == "log"
    tokens = tokens_of("lstm", EXAMPLES[0].text)
    for trace, arch in zip(curve["data"], state.ARCHS):
        norms = values(trace["y"])  # by distance: the identity's norm first
        assert len(norms) == len(tokens)
        assert norms[0] == pytest.approx(np.sqrt(state.load_models()[arch].model.rnn.hidden_size), rel=1e-6)
    scatters = [f for f in figures if f["layout"]["xaxis"].get("type") == "log"]
    assert [f["layout"]["title"]["text"].split("：" if lang == "zh" else ":")[0] for f in scatters] == ["LSTM", "GRU"]
    lines = [m.value for m in at.markdown if m.value.startswith(("LSTM", "GRU"))]
    assert len(lines) == 2 and all("ρ = " in line for line in lines)


def test_a_long_text_computes_gradients_for_the_first_tokens_with_a_note():
    text = "我很喜欢这款手机，它的拍照功能很强大。" * 60
    at = run_app(text=text, tab=tab("tab_memory"))
    assert not at.exception
    total = len(state.load_models()["lstm"].tokens(text))
    assert t("zh", "gradients_cut", kept=state.ASK_MAX_TOKENS, total=total) in [c.value for c in at.caption]
    curve = next(f for f in chart_specs(at) if f["layout"]["title"]["text"] == viz("zh", "title_curve"))
    assert all(len(values(d["x"])) == state.ASK_MAX_TOKENS for d in curve["data"])
