"""Every lesson's claims hold on the shipped models, every narration fills in both languages, every view fits.

A retrain that breaks what a lesson takes for granted fails here with the lesson and the check's name.
RNN_GATES_PRETRAINED=<folder> checks that folder's models instead (as the page would load them);
RNN_GATES_LESSON_PROBE=<folder> tries the LSTM lessons' checks on that folder's LSTM (e.g. a candidate
retrain). Without it they are tried on the shipped LSTM with its hidden units renumbered: the same
function under other unit numbers, as a retrain would number them.
"""
from __future__ import annotations

import copy
import dataclasses
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import lessons as lessons_package
from lessons import BY_ID, LESSONS
from lessons.claims import CLOSED, POSITIVE, memory_span
from lessons.lesson import LANGS, TABS, WORDS, View, fill, link_params, placeholders, resolved
from lessons.texts import DE, ORDER, RESTAURANT
from models.loading import load_model
from models.pretrained import PRETRAINED_DIR, load_pretrained
from ui.lesson_links import lesson_query, parse_lesson_query, step_link
from ui.page_keys import DEFAULT_PAGE

PROBE = os.environ.get("RNN_GATES_LESSON_PROBE")  # a folder holding a candidate lstm.safetensors (and its card)
SHIPPED = os.environ.get("RNN_GATES_PRETRAINED") or None  # the page's own override (ui/state.py), else pretrained/
LSTM_LESSONS = [lesson for lesson in LESSONS if "lstm" in lesson.archs]
PINNED_OPEN = 100.0  # a forget gate's bias that makes sigmoid exactly 1.0 in float32


@pytest.fixture(scope="module")
def models():
    """Every model a lesson names, by name: the one-layer models, the variants, the race models."""
    return {name: load_model(name, SHIPPED) for name in sorted({n for lesson in LESSONS for n in lesson.archs})}


@pytest.fixture(scope="module")
def claims(models):
    """Each lesson's claims from the models it names (``Lesson.archs``) and no other: the page offers a lesson
    when those are loaded (a folder of one model), so a claim that reads another model fails here."""
    return {lesson.id: lesson.claims({arch: models[arch] for arch in lesson.archs}) for lesson in LESSONS}


def _texts(lesson):
    """Every narration template of a lesson: (where, {lang: template})."""
    for number, step in enumerate(lesson.steps, start=1):
        yield f"step {number} say", step.say
        if step.question is not None:
            yield f"step {number} question", step.question.ask
            for key, names in step.question.choices:
                yield f"step {number} choice {key}", names
            yield f"step {number} reveal", step.reveal


def test_the_lesson_texts_are_the_page_examples():
    from ui.source import EXAMPLES, PAIR
    texts = {e.key: e.text for e in EXAMPLES}
    assert (texts["ex_restaurant"], texts["ex_de"], PAIR) == (RESTAURANT, DE, ORDER)


def test_lessons_and_claims_import_no_streamlit_or_plotly():
    code = ("import sys, lessons, lessons.claims, ui.lesson_links; "
            "bad = [m for m in ('streamlit', 'plotly') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


def test_the_lessons_open_tabs_the_page_has():
    from ui.tabs import TABS as PAGE_TABS
    assert set(TABS) <= set(PAGE_TABS)


def _lesson_files() -> list[Path]:
    """lessons/l<number>_<name>.py, by number (l10 after l9)."""
    files = Path(lessons_package.__file__).parent.glob("l[0-9]*_*.py")
    return sorted(files, key=lambda path: int(path.stem[1:].split("_")[0]))


def test_every_lesson_file_is_offered_once_in_file_order_with_a_unique_id():
    files = _lesson_files()
    offered = [importlib.import_module(f"lessons.{path.stem}").LESSON for path in files]
    assert files and [id(lesson) for lesson in LESSONS] == [id(lesson) for lesson in offered], \
        f"LESSONS must list every lessons/l*_*.py once, in file order: {[path.name for path in files]}"
    assert len({lesson.id for lesson in LESSONS}) == len(LESSONS) and list(BY_ID) == [lesson.id for lesson in LESSONS]


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_the_lesson_checks_hold_on_the_shipped_models(lesson, claims):
    found = claims[lesson.id]
    failed = [f"{check.name}: {check.says}" for check in lesson.checks if not check.holds(found)]
    assert not failed, f"lesson {lesson.id!r} no longer holds on the shipped models: {failed}; claims {found}"


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_narration_fills_from_the_claims_in_both_languages(lesson, claims, models):
    found = claims[lesson.id]
    fields = {f.name for f in dataclasses.fields(found)}
    words = {**WORDS, **lesson.words}
    tokens = {tok for step in lesson.steps if step.view.text for tok in models["lstm"].tokens(step.view.text)}
    for where, text in _texts(lesson):
        for lang in LANGS:
            assert text.get(lang), f"{lesson.id} {where} has no {lang} text"
            used = placeholders(text[lang])
            assert used <= fields, f"{lesson.id} {where} ({lang}) names no claim {used - fields}"
            assert used == placeholders(text["zh"]), f"{lesson.id} {where}: zh and {lang} say different numbers"
            fill(text, lesson, found, lang)  # every format spec fits its value
            for name in used:  # a string is a token of the text, or a word said in the reader's language
                raw = getattr(found, name)
                if isinstance(raw, str):
                    assert raw in words or raw in tokens, f"{lesson.id} {where}: {name} = {raw!r} is untranslated"


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_every_view_fits_the_text_and_the_model(lesson, claims, models):
    found = claims[lesson.id]
    text = None
    for number, step in enumerate(lesson.steps, start=1):
        view = step.view
        text = view.text or text
        if view.page != DEFAULT_PAGE:  # another page's step (the race): it shows that page, no text or tab
            assert view.tab is None and view.model is None and not view.maps, f"{lesson.id} step {number}"
            continue
        assert text, f"{lesson.id} step {number}: the first step must set the text"
        assert view.tab in TABS, f"{lesson.id} step {number}: every step opens a tab"
        tokens = models[view.model or "lstm"].tokens(text)
        token, unit = resolved(view.token, found), resolved(view.unit, found)
        if token is not None:
            assert 0 <= token < len(tokens), f"{lesson.id} step {number}: token {token} outside {len(tokens)}"
        if unit is not None:
            assert 0 <= unit < models[view.model].model.config.hidden_size
        if step.question is not None:
            keys = [k for k, _ in step.question.choices]
            assert 2 <= len(keys) <= 4 and getattr(found, step.question.answer) in keys, (lesson.id, number)
        if view.edit:
            edit = lesson.edit(found)
            models[lesson.edit_model].analyze(text, edits=[edit])  # fits the text and the cell


def test_a_step_link_round_trips():
    for lesson in LESSONS:
        for step in range(len(lesson.steps)):
            assert parse_lesson_query(lesson_query(lesson.id, step), BY_ID) == (lesson.id, step)
    assert parse_lesson_query({"lesson": "nope", "step": "1"}, BY_ID) is None
    assert parse_lesson_query({"lesson": "forget", "step": "99"}, BY_ID) == ("forget", len(BY_ID["forget"].steps) - 1)
    assert parse_lesson_query({"lesson": "forget", "step": "x"}, BY_ID) == ("forget", 0)
    assert parse_lesson_query({}, BY_ID) is None


def test_a_step_link_is_a_whole_address():
    assert step_link("forget", 1, "http://class.example:8501/?text=x&lesson=old#top") == (
        "http://class.example:8501/?lesson=forget&step=2")
    assert step_link("forget", 0, "http://127.0.0.1:8501") == "http://127.0.0.1:8501/?lesson=forget&step=1"
    assert step_link("forget", 0, None) == "http://localhost:8501/?lesson=forget&step=1"  # no address told (AppTest)
    assert step_link("forget", 0, "") == "http://localhost:8501/?lesson=forget&step=1"


# --- the claims against a second computation ----------------------------------------------------

def test_the_forget_unit_is_the_one_that_drops_most_against_its_mean(claims, models):
    c = claims["forget"]
    analysis = models["lstm"].analyze(RESTAURANT)
    forget = analysis.trace.gates["forget"][0, 0].astype(np.float64)
    k = analysis.tokens.index("但是")
    drops = [forget[:, u].mean() - forget[k, u] for u in range(forget.shape[1])]
    assert c.unit == max(range(len(drops)), key=drops.__getitem__)
    assert c.connective == k and c.forget_rank == 1 + sorted(forget.mean(axis=1)).index(forget.mean(axis=1)[k])
    assert c.closed_at == int((forget[k] < CLOSED).sum())


def test_the_memory_span_is_the_shortest_window(models):
    rnn = models["rnn"]
    tokens = rnn.tokens(RESTAURANT)
    span = memory_span(rnn, tokens)
    whole = rnn.analyze_tokens(tokens).trace.hidden[0, 0, -1]
    cos = [float(np.dot(a, whole) / np.linalg.norm(a) / np.linalg.norm(whole))
           for a in (rnn.analyze_tokens(tokens[-n:]).trace.hidden[0, 0, -1] for n in (span - 1, span))]
    assert cos[1] >= 0.9 and (span == 1 or cos[0] < 0.9)


def _never_forgetting_positive(model, tokens: list[str], start: int) -> np.ndarray:
    """P(positive) after each token from ``start`` on, by torch's own nn.LSTM and no edit code: the tokens before
    ``start`` read as trained, the rest by a copy whose forget gate is pinned open (f = sigmoid(100) = 1.0)."""
    lstm, hidden = model.model.rnn, model.model.config.hidden_size
    forget = slice(hidden, 2 * hidden)  # PyTorch's packed order: i, f, g, o
    pinned = copy.deepcopy(lstm)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_hh_l0"):
            getattr(pinned, name)[forget] = 0.0
        pinned.bias_ih_l0[forget] = PINNED_OPEN
    ids, _, _ = model.encode([tokens])
    with torch.inference_mode():
        emb = model.model.embedding(ids)  # (1, T, E)
        _, state = lstm(emb[:, :start])
        out, _ = pinned(emb[:, start:], state)  # (1, T - start, H)
        probabilities = torch.softmax(model.model.head(out[0]), dim=-1)
    return probabilities[:, model.labels.index(POSITIVE)].numpy().astype(np.float64)


def test_the_never_forget_edit_raises_the_curve(claims, models):
    c = claims["never_forget"]
    edit = BY_ID["never_forget"].edit(c)
    after = models["lstm"].analyze(RESTAURANT, edits=[edit])
    assert np.allclose(after.trace.gates["forget"][0, 0, c.connective:], 1.0)
    expected = _never_forgetting_positive(models["lstm"], list(after.tokens), c.connective)
    assert c.after_mean == pytest.approx(expected.mean(), abs=1e-5)
    assert c.end_after == pytest.approx(expected[-1], abs=1e-5)


def _renumbered_lstm_folder(folder: Path, order: np.ndarray) -> Path:
    """A copy of the shipped folder whose LSTM has hidden unit ``order[j]`` as unit j: every gate's rows, the
    recurrent weights' columns and the head's columns follow, so it computes what the shipped one does."""
    shutil.copytree(Path(SHIPPED or PRETRAINED_DIR), folder)
    tensors = load_file(str(folder / "lstm.safetensors"))
    hidden = len(order)
    rows = torch.from_numpy(np.concatenate([order + gate * hidden for gate in range(4)]))
    columns = torch.from_numpy(order)
    for name in ("rnn.weight_ih_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"):
        tensors[name] = tensors[name][rows].contiguous()
    tensors["rnn.weight_hh_l0"] = tensors["rnn.weight_hh_l0"][rows][:, columns].contiguous()
    tensors["head.weight"] = tensors["head.weight"][:, columns].contiguous()
    save_file(tensors, str(folder / "lstm.safetensors"))
    return folder


@pytest.fixture(scope="module")
def renumbering(models) -> np.ndarray:
    """order[j]: the shipped unit that the renumbered LSTM calls j."""
    return np.random.default_rng(18).permutation(models["lstm"].model.config.hidden_size)


@pytest.fixture(scope="module")
def renumbered_lstm(renumbering, tmp_path_factory):
    return load_pretrained("lstm", _renumbered_lstm_folder(tmp_path_factory.mktemp("renumbered") / "lstm", renumbering))


@pytest.fixture(scope="module")
def candidate_lstm(renumbered_lstm):
    """The LSTM a lesson is tried on as a retrain: $RNN_GATES_LESSON_PROBE's, else the shipped one renumbered."""
    return load_pretrained("lstm", PROBE) if PROBE else renumbered_lstm


@pytest.mark.parametrize("lesson", LSTM_LESSONS, ids=[lesson.id for lesson in LSTM_LESSONS])
def test_the_lstm_claims_hold_on_a_candidate_retrain(lesson, models, candidate_lstm):
    found = lesson.claims({**{name: models[name] for name in lesson.archs}, "lstm": candidate_lstm})
    failed = [f"{check.name}: {check.says}" for check in lesson.checks if not check.holds(found)]
    assert not failed, f"lesson {lesson.id!r} on {PROBE or 'the renumbered'} LSTM: {failed}; claims {found}"


@pytest.mark.parametrize("lesson", LSTM_LESSONS, ids=[lesson.id for lesson in LSTM_LESSONS])
def test_renumbering_the_lstm_units_renumbers_the_claims_and_changes_nothing_else(lesson, models, claims,
                                                                                   renumbering, renumbered_lstm):
    shipped = dataclasses.asdict(claims[lesson.id])
    own = {name: models[name] for name in lesson.archs}
    found = dataclasses.asdict(lesson.claims({**own, "lstm": renumbered_lstm}))
    new_number = np.argsort(renumbering)  # new_number[u]: what the renumbered LSTM calls shipped unit u
    if lesson.archs == ("lstm",) and "unit" in shipped:
        shipped["unit"] = int(new_number[shipped["unit"]])
    assert found == pytest.approx(shipped, rel=1e-4, abs=1e-5), lesson.id


# --- what the page reads: positions from 1, words for statistics, the maps a step talks about ----------------------

def test_token_positions_are_shown_counted_from_one(claims):
    from lessons.claims import TOKEN_POSITION
    from lessons.lesson import values
    marked = 0
    for lesson in LESSONS:
        found = claims[lesson.id]
        shown = values(lesson, found, "en")
        for f in dataclasses.fields(found):
            if f.metadata.get(TOKEN_POSITION):
                marked += 1
                assert shown[f.name] == getattr(found, f.name) + 1, (lesson.id, f.name)
    assert marked >= 7  # fading, forget (2), input, output (2), update, never_forget
    forget = claims["forget"]
    assert f"(token {forget.connective + 1})" in fill(BY_ID["forget"].steps[1].reveal, BY_ID["forget"], forget, "en")


def test_a_claim_about_the_token_before_the_connective_needs_one(models):
    from lessons.claims import fading_memory, forget_at_connective, gru_update
    text = "但是服务员态度太恶劣了"
    with pytest.raises(ValueError, match="starts with"):
        forget_at_connective(models["lstm"], text, "但是")
    with pytest.raises(ValueError, match="starts with"):
        fading_memory(models, text, "但是")
    found = gru_update(models["gru"], text, "但是")  # the zero initial state comes before the first token
    assert found.step == 0 and found.previous == 0.0 and abs(found.mix - found.hidden) < 1e-4


def test_lesson_5_shows_a_unit_that_mixes_and_checks_it_against_the_weights(claims, models):
    from lessons.claims import MIXED
    c = claims["update"]
    assert MIXED <= c.z_textbook <= 1 - MIXED
    trace = models["gru"].analyze(RESTAURANT).trace
    recorded = float(trace.gates["update"][0, 0, c.step, c.unit])  # the recorder's PyTorch z
    assert c.z_torch == pytest.approx(recorded, abs=1e-5) and c.z_torch + c.z_textbook == pytest.approx(1, abs=1e-5)
    h = trace.hidden[0, 0].astype(np.float64)
    assert c.previous == pytest.approx(h[c.step - 1, c.unit]) and c.hidden == pytest.approx(h[c.step, c.unit])
    names = [fill(text, BY_ID["update"], c, "en") for _, text in BY_ID["update"].steps[1].question.choices]
    assert not any("1.000" in name or "0.000" in name for name in names), names


def test_lesson_5_check_fails_when_the_page_shows_pytorchs_z_as_the_textbooks(models, monkeypatch):
    from lessons import claims as claims_module
    from models.trace import Trace
    monkeypatch.setattr(Trace, "state", lambda self, name, convention="torch": self.gates[name])  # a wrong page
    found = claims_module.gru_update(models["gru"], RESTAURANT, "但是")
    failed = [check.name for check in BY_ID["update"].checks if not check.holds(found)]
    assert "conventions_add_to_one" in failed and "mix_is_the_state" in failed


def test_statistics_are_said_in_plain_words(claims):
    from models.asking.gradients import rho_relation
    assert [rho_relation(r) for r in (0.98, 0.4, -0.11, -0.4, -0.9, float("nan"))] == [
        "together", "partly", "unrelated", "partly_opposed", "opposed", "none"]
    lesson, c = BY_ID["gradients"], claims["gradients"]
    for lang in LANGS:
        said = fill(lesson.steps[1].say, lesson, c, lang) + fill(lesson.steps[0].reveal, lesson, c, lang)
        assert lesson.words[c.lstm_relation][lang] in said and lesson.words[c.gru_relation][lang] in said
        assert "means never" not in said and "表示整段都没有" not in said  # was "LSTM 78, GRU 78 (78 means never)"
        for arch in ("rnn", "lstm", "gru"):
            fade = getattr(c, f"{arch}_fade")
            words = lesson.words[f"{arch}_faded" if fade < c.steps else f"{arch}_never"][lang]
            assert words.format(**{f"{arch}_fade": fade}) in said, (lang, arch)
    if abs(c.lstm_rho) < 0.3:
        assert "hardly related" in fill(lesson.steps[1].say, lesson, c, "en")


MAP_WORDS = {  # how a narration names a Read-tab map -> the map
    "forget-gate map": "forget", "update-gate map": "update", "output-gate and hidden-state maps": "output",
    "遗忘门热图": "forget", "更新门热图": "update", "输出门和隐状态的热图": "output",
    "maps of the input gate": "input", "输入门 i 和候选值 g 的热图": "input", "the map below draws h": "hidden",
    "下面的热图画出 h": "hidden", "the memory c, then what is shown, h": "cell", "上图是记忆 c": "cell",
}


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_a_step_that_speaks_of_a_map_shows_it(lesson):
    for number, step in enumerate(lesson.steps, start=1):
        for lang in LANGS:
            said = step.say[lang] + (step.reveal[lang] if step.reveal else "")
            for words, name in MAP_WORDS.items():
                if words in said:
                    assert name in step.view.maps, (lesson.id, number, lang, words)
            if step.view.maps:
                assert any(words in said for words in MAP_WORDS), (lesson.id, number, lang, "names no map it shows")


def test_a_view_names_only_maps_the_read_tab_has():
    from lessons.lesson import View
    with pytest.raises(ValueError, match="tab_read"):
        View(tab="tab_step", model="lstm", maps=("forget",))
    with pytest.raises(ValueError, match="among"):
        View(tab="tab_read", model="gru", maps=("forget",))
    assert View(tab="tab_read", model="lstm", maps=("forget",)).figure == "maps"
    assert View(tab="tab_step", model="lstm").figure == "equations"


def test_a_lesson_link_the_page_cannot_follow_gets_a_note():
    from ui.links import lesson_notes
    steps = {lesson.id: len(lesson.steps) for lesson in LESSONS}
    assert [n.reason for n in lesson_notes({"lesson": "nope"}, steps)] == ["not_allowed"]
    assert [(n.reason, n.allowed) for n in lesson_notes({"lesson": "forget", "step": "9"}, steps)] == [
        ("step_past_end", ("3",))]
    assert [n.reason for n in lesson_notes({"lesson": "forget", "step": "0"}, steps)] == ["not_step"]
    assert lesson_notes({"lesson": "forget", "step": "3"}, steps) == () == lesson_notes({}, steps)


def test_the_memory_tab_says_a_correlation_near_zero_is_no_agreement():
    from models.asking.gradients import Agreement
    from ui.i18n import t
    from ui.memory import _agreement
    found = Agreement(rho=-0.11, tokens=77, apart=5, retention_rank=3, gradient_rank=70)
    said = _agreement("en", "lstm", found, tuple("abcdefgh"))
    assert said == t("en", "agreement_unrelated", model="LSTM", rho=-0.11, token="f", step=6, retention_rank=3,
                     gradient_rank=70, count=77)  # token 5 from 0 is the sixth
    assert "in part" not in said


@pytest.mark.parametrize("lesson", [lesson for lesson in LESSONS if any(s.view.link for s in lesson.steps)],
                         ids=lambda lesson: lesson.id)
def test_a_step_that_sets_another_page_asks_only_what_that_page_has(lesson, claims):
    """A View.link is read by the page's own link parser, as a visitor's link is: every parameter, with the
    claims filled in, must be one the page takes (a note would mean the step silently shows less)."""
    from ui.lessons import PAGE_VIEWS

    for number, step in enumerate(lesson.steps, start=1):
        if step.view.link:
            parse = PAGE_VIEWS[step.view.page][0]
            params = link_params(step.view, claims[lesson.id])
            view, notes = parse(params)
            assert notes == (), f"{lesson.id} step {number}: {notes}"
            assert "{" not in "".join(params.values())
            if "unit" in params:
                assert view.unit == int(params["unit"])


def test_a_link_belongs_to_the_pages_that_take_one_and_only_there():
    with pytest.raises(ValueError, match="link"):
        View(link={"text": "好"})
    with pytest.raises(ValueError, match="link"):
        View(page="race", link={"gap": "5"})
    with pytest.raises(ValueError, match="link="):
        View(page="lm", text="好", link={"view": "next"})


def test_a_link_value_is_a_claim_only_when_it_is_one_whole_placeholder():
    @dataclasses.dataclass(frozen=True)
    class Claims:
        unit: int

    view = View(page="units", link={"pattern": "不.{0,3}好", "unit": "{unit}", "property": "in_brackets"})
    assert link_params(view, Claims(unit=7)) == {"pattern": "不.{0,3}好", "unit": "7", "property": "in_brackets"}
