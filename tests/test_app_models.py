"""Which models a session reads, run by AppTest: an upload never reaches another visitor's page through a
process-wide cache, a folder whose files change is read again, and a folder of one model serves every tab
and every lesson that model can carry, saying what is missing.

Two AppTest instances in one process share the process's caches, as two visitors of one server do.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import streamlit as st
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from lessons import BY_ID, LESSONS
from lessons.lesson import fill
from lessons.texts import RESTAURANT
from models.asking.experiments import PRESETS
from models.pretrained import ARCHS, PRETRAINED_DIR, load_pretrained, model_file_names
from ui import state
from ui.common import MODEL_NAMES, model_list
from ui.i18n import LANGS, t
from ui.lessons import CHOICE_KEY
from ui.lessons import STRINGS as LESSON_STRINGS
from ui.tabs import TABS
from ui.whatif import PRESET_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")
KEEP_BIAS = 3.0  # added to the bias of the gate whose 1 keeps the old memory (GRU z, LSTM f) in a modified model


def markdown(at: AppTest) -> list[str]:
    return [element.value for element in at.markdown]


def captions(at: AppTest) -> list[str]:
    return [element.value for element in at.caption]


def infos(at: AppTest) -> list[str]:
    return [element.value for element in (*at.info, *at.warning)]


def modified_files(arch: str, folder: Path) -> Path:
    """``arch``'s shipped files in ``folder``, with KEEP_BIAS added to its keep gate's input bias (torch's packed
    order: LSTM i, f, g, o and GRU r, z, n, so the second quarter or third of the bias)."""
    folder.mkdir()
    vocab, card, weights = model_file_names(arch)
    for name in (vocab, card):
        shutil.copy(PRETRAINED_DIR / name, folder / name)
    tensors = load_file(PRETRAINED_DIR / weights)
    bias = tensors["rnn.bias_ih_l0"].clone()
    size = json.loads((PRETRAINED_DIR / card).read_text(encoding="utf-8"))["config"]["hidden_size"]
    bias[size: 2 * size] += KEEP_BIAS
    save_file({**tensors, "rnn.bias_ih_l0": bias}, folder / weights)
    return folder


def upload(at: AppTest, folder: Path) -> None:
    uploader = at.file_uploader(key="model_files_0")
    for path in sorted(folder.iterdir()):
        uploader.upload(path.name, path.read_bytes())
    uploader.run()
    assert not at.exception and not at.error
    assert state.UPLOAD_KEY in at.session_state


def open_lesson(at: AppTest, lesson_id: str, lang: str = "zh") -> None:
    at.selectbox(key=f"{CHOICE_KEY}_{lang}").set_value(lesson_id).run()
    assert not at.exception


# --- an upload stays in its session -------------------------------------------------------------------

def play_to(at: AppTest, lesson_id: str, index: int) -> None:
    """Open the lesson, go to step ``index``, and answer and reveal its question if it has one."""
    open_lesson(at, lesson_id)
    for _ in range(index):
        at.button(key="lesson_next").click().run()
    question = BY_ID[lesson_id].steps[index].question
    if question is not None:
        at.radio(key=f"lesson_answer_{lesson_id}_{index}").set_value(question.choices[0][0]).run()
        at.button(key="lesson_reveal").click().run()
    assert not at.exception


@pytest.mark.parametrize("lesson_id, index", [("update", 0), ("never_forget", 1)])
def test_an_upload_never_reaches_another_sessions_lesson(tmp_path, lesson_id, index):
    """Session A reads a modified model and opens a lesson step; session B, on the shipped models, then opens
    the same step: B shows the shipped numbers (and, for an edit, its own before/after curve)."""
    lesson = BY_ID[lesson_id]
    step = lesson.steps[index]
    arch = lesson.edit_model if step.view.edit else lesson.archs[0]
    folder = modified_files(arch, tmp_path / "modified")
    said = step.reveal if step.question is not None else step.say  # a text with the claims' numbers
    shipped = fill(said, lesson, lesson.claims({arch: load_pretrained(arch)}), "zh")
    modified = fill(said, lesson, lesson.claims({arch: load_pretrained(arch, folder)}), "zh")
    assert shipped != modified  # the modified model tells another story
    st.cache_resource.clear()  # the first lesson made in this process is A's

    first = AppTest.from_file(APP, default_timeout=120).run()
    upload(first, folder)
    play_to(first, lesson_id, index)
    assert modified in markdown(first) and shipped not in markdown(first)

    second = AppTest.from_file(APP, default_timeout=120).run()
    play_to(second, lesson_id, index)
    assert shipped in markdown(second) and modified not in markdown(second)
    if step.view.edit:
        curves = [[chart.proto.spec for chart in at.get("plotly_chart") if "lesson_edit_curve" in chart.proto.id]
                  for at in (first, second)]
        assert curves[0] and curves[1] and curves[0] != curves[1]


def test_a_folder_whose_model_files_change_is_read_again(tmp_path, monkeypatch):
    """Shared caches are keyed on the files' hashes, not on the folder's name: a changed file never gives the
    old model's numbers."""
    folder = tmp_path / "models"
    folder.mkdir()
    for name in model_file_names("gru"):
        shutil.copy(PRETRAINED_DIR / name, folder / name)
    monkeypatch.setenv(state.DIRECTORY_ENV, str(folder))
    monkeypatch.setattr(state, "STAMP_SECONDS", 0.0)  # look at the files on every call, not once a second
    before = state.analyze("gru", RESTAURANT, "word").analysis
    loaded = state.load_models()["gru"]
    changed = modified_files("gru", tmp_path / "changed")
    shutil.copy(changed / "gru.safetensors", folder / "gru.safetensors")
    after = state.analyze("gru", RESTAURANT, "word").analysis
    assert after.probability != before.probability
    assert after.probability == load_pretrained("gru", changed).analyze(RESTAURANT).probability
    assert state.load_models()["gru"] is not loaded


def test_a_models_fingerprint_is_the_hash_of_its_files(tmp_path):
    shipped = load_pretrained("gru")
    assert load_pretrained("gru").fingerprint == shipped.fingerprint  # equal files, one key
    assert load_pretrained("lstm").fingerprint != shipped.fingerprint
    assert load_pretrained("gru", modified_files("gru", tmp_path / "m")).fingerprint != shipped.fingerprint


# --- a folder of one model --------------------------------------------------------------------------------

@pytest.fixture(scope="module", params=ARCHS)
def one_model(request, tmp_path_factory) -> tuple[str, Path]:
    """A folder holding only the vocabulary and one model's card and weights, copied from pretrained/."""
    arch = request.param
    folder = tmp_path_factory.mktemp(f"only_{arch}")
    for name in model_file_names(arch):
        shutil.copy(PRETRAINED_DIR / name, folder / name)
    return arch, folder


def run_page(folder: Path, monkeypatch, lang: str, **session) -> AppTest:
    monkeypatch.setenv(state.DIRECTORY_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    for key, value in session.items():
        at.session_state[key] = value
    return at.run()


def missing_note(lang: str, arch: str) -> str:
    return t(lang, "models_missing", models=model_list(lang, [a for a in ARCHS if a != arch]))


@pytest.mark.parametrize("lang", LANGS)
def test_every_tab_works_with_one_model_and_names_the_missing_ones(one_model, monkeypatch, lang):
    arch, folder = one_model
    for key in TABS:
        at = run_page(folder, monkeypatch, lang, tab=t(lang, key), text=RESTAURANT)
        assert not at.exception, (arch, key, at.exception)
        assert missing_note(lang, arch) in captions(at), (arch, key)
        assert at.get("plotly_chart") or key in ("tab_step", "tab_about"), (arch, key)  # those two draw no chart


def test_what_if_experiments_say_which_models_are_not_loaded(one_model, monkeypatch):
    arch, folder = one_model
    for lang, preset in zip(LANGS * 2, PRESETS):
        at = run_page(folder, monkeypatch, lang, tab=t(lang, "tab_whatif"), text=RESTAURANT, **{PRESET_KEY: preset})
        assert not at.exception, (arch, preset, at.exception)
        shown = infos(at)
        for other in ARCHS:
            note = t(lang, "whatif_not_loaded", model=MODEL_NAMES[other], file=model_file_names(other)[2])
            assert (note in shown) == (other != arch), (arch, preset, other)


def offered_ids(arch: str) -> list[str]:
    return [lesson.id for lesson in LESSONS if set(lesson.archs) <= {arch}]


def test_only_lessons_whose_models_are_loaded_are_offered_and_play(one_model, monkeypatch):
    arch, folder = one_model
    lang = {"rnn": "zh", "lstm": "en", "gru": "zh"}[arch]
    at = run_page(folder, monkeypatch, lang)
    box = at.selectbox(key=f"{CHOICE_KEY}_{lang}")
    assert list(box.options)[1:] == [
        f"{LESSONS.index(BY_ID[i]) + 1}. {BY_ID[i].title[lang]}" for i in offered_ids(arch)
    ]
    hidden = [lesson for lesson in LESSONS if lesson.id not in offered_ids(arch)]
    (note,) = [c for c in captions(at) if c.startswith(LESSON_STRINGS[lang]["hidden"].split("{")[0])]
    for lesson in hidden:
        assert lesson.title[lang] in note
        assert model_list(lang, [a for a in lesson.archs if a != arch]) in note
    for lesson_id in offered_ids(arch):
        lesson = BY_ID[lesson_id]
        claims = lesson.claims(state.load_models())
        open_lesson(at, lesson_id, lang)
        for index, step in enumerate(lesson.steps):
            assert not at.exception, (lesson_id, index, at.exception)
            assert fill(step.say, lesson, claims, lang) in markdown(at), (lesson_id, index)
            if index + 1 < len(lesson.steps):
                at.button(key="lesson_next").click().run()


def test_a_link_to_a_lesson_whose_models_are_absent_says_why(one_model, monkeypatch):
    arch, folder = one_model
    monkeypatch.setenv(state.DIRECTORY_ENV, str(folder))
    for number, lesson in enumerate(LESSONS):
        if lesson.id in offered_ids(arch):
            continue
        lang = LANGS[number % 2]
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["lang"] = lang
        at.query_params["lesson"] = lesson.id
        at.query_params["step"] = "2"
        at.run()
        assert not at.exception, (arch, lesson.id, at.exception)
        missing = model_list(lang, [a for a in lesson.archs if a != arch])
        says = LESSON_STRINGS[lang]["unavailable"].format(title=lesson.title[lang], models=missing)
        assert says in infos(at), (arch, lesson.id)
        assert at.selectbox(key=f"{CHOICE_KEY}_{lang}").value == ""


def test_an_upload_without_the_open_lessons_model_closes_it_and_says_why(tmp_path):
    folder = tmp_path / "gru_only"
    folder.mkdir()
    for name in model_file_names("gru"):
        shutil.copy(PRETRAINED_DIR / name, folder / name)
    at = AppTest.from_file(APP, default_timeout=120).run()
    open_lesson(at, "forget")
    upload(at, folder)
    lesson = BY_ID["forget"]
    says = LESSON_STRINGS["zh"]["unavailable"].format(title=lesson.title["zh"], models=model_list("zh", ["lstm"]))
    assert says in infos(at)
    assert at.selectbox(key=f"{CHOICE_KEY}_zh").value == "" and "lesson" not in at.query_params
    at.run()
    assert not at.exception and says not in infos(at)  # said once; the page goes on without a lesson
