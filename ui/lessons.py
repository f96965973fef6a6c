"""The lesson player above the page: pick a lesson, step through it; each step sets the live view below.

A step sets the session-state keys the page's own widgets read (the text, the open tab, that tab's
model, the step tab's token and unit, the page's GRU convention), so the view under the narration is
the real page, which the reader can keep exploring. The lessons and their claims are data
(``lessons/``, ``models/claims.py``); this module only shows them. The URL carries the step
(``?lesson=<id>&step=<n>``, ``ui.lesson_links``), so a teacher can link any step.
"""
from __future__ import annotations

import streamlit as st

from lessons import BY_ID, LESSONS
from lessons.lesson import Lesson, View, answer, fill, resolved
from ui import state
from ui.common import MODEL_NAMES, show
from ui.i18n import DEFAULT_LANG, LANGS, t, viz_labels
from ui.lesson_links import LESSON_PARAM, STEP_PARAM, lesson_query, parse_lesson_query, step_link
from ui.source import LANG_KEY, PAIR_KEYS, TEXT_KEY
from ui.tabs import CONVENTION_KEY, OPEN_KEY, TAB_KEY
from viz.prediction import prediction_curve

LESSON_KEY = "lesson"  # the chosen lesson's id, "" for none, kept across languages
CHOICE_KEY = "lesson_choice"  # the selectbox, one per language (f"{CHOICE_KEY}_{lang}"), as ui.common.translated_radio
STEP_KEY = "lesson_step"  # the step shown, from 0
REVEALED_KEY = "lesson_revealed"  # (lesson id, step) pairs whose answer is shown
URL_KEY = "lesson_url"  # the (lesson id, step) last read from or written to the URL
MODEL_KEYS = {  # the model radio of each tab that has one (ui.read, ui.step, ui.memory, ui.pair)
    "tab_read": "read_model", "tab_step": "step_model", "tab_memory": "memory_model", "tab_pair": "pair_model",
}
TOKEN_KEY, UNIT_KEY = "step_token", "step_unit"  # the Inside-one-step tab's choices (ui.step)
NO_LESSON = ""
CLAIMS_KEPT = 32  # (folder, lesson) claim sets kept per process

STRINGS = {
    "zh": {
        "choose": "课程",
        "none": "（不看课程，自己探索）",
        "step": "第 {number} 步，共 {total} 步",
        "back": "上一步",
        "next": "下一步",
        "your_guess": "先猜一猜",
        "reveal": "揭晓",
        "right": "猜对了。",
        "wrong": "不对，答案是：{answer}",
        "link": "这一步的链接（可以放进幻灯片）：",
        "edit_before": "训练好的 {model}",
        "edit_after": "{model}，已修改",
        "computing": "正在用模型计算这一课的数字……",
        "help": "每一课都会设置下面的页面（文本、标签页、模型、词、单元），讲述里的数字都是刚才从模型算出来的。",
    },
    "en": {
        "choose": "Lesson",
        "none": "(no lesson: explore on your own)",
        "step": "Step {number} of {total}",
        "back": "Back",
        "next": "Next",
        "your_guess": "Your guess first",
        "reveal": "Reveal",
        "right": "Right.",
        "wrong": "Not quite: the answer is {answer}",
        "link": "Link to this step (for a slide):",
        "edit_before": "{model} as trained",
        "edit_after": "{model}, edited",
        "computing": "Computing this lesson's numbers from the models…",
        "help": "Each lesson sets the page below (text, tab, model, token, unit); every number in the narration "
                "was just computed from the models.",
    },
}


def _t(lang: str, key: str, **fmt: object) -> str:
    template = STRINGS.get(lang, STRINGS[DEFAULT_LANG])[key]
    return template.format(**fmt) if fmt else template


def lesson_claims(lesson_id: str):
    """The lesson's claims on the loaded models, computed once per process (they are read-only)."""
    return _claims(str(state.directory()), lesson_id)


@st.cache_resource(max_entries=CLAIMS_KEPT, show_spinner=False)
def _claims(folder: str, lesson_id: str):
    return BY_ID[lesson_id].claims(state.load_models())


@st.cache_resource(max_entries=CLAIMS_KEPT, show_spinner=False)
def _edited(folder: str, lesson_id: str, text: str):
    """The lesson model's Analysis of ``text`` as trained and with the lesson's edit."""
    lesson = BY_ID[lesson_id]
    model = state.load_models()[lesson.edit_model]
    return model.analyze(text), model.analyze(text, edits=[lesson.edit(_claims(folder, lesson_id))])


def _view_at(lesson: Lesson, index: int) -> View:
    """The view of step ``index`` with what earlier steps set and it keeps (text, pair, convention, model),
    so that a step opened from a link shows the same page as one reached by Next."""
    merged: dict = {}
    for step in lesson.steps[: index + 1]:
        for name in ("text", "pair", "convention", "model"):
            value = getattr(step.view, name)
            if value is not None:
                merged[name] = value
    view = lesson.steps[index].view
    return View(text=merged.get("text"), tab=view.tab, model=view.model or merged.get("model"), token=view.token,
                unit=view.unit, convention=merged.get("convention"), pair=merged.get("pair"), edit=view.edit)


def _apply(lesson: Lesson, index: int) -> None:
    """Set the page's widget keys to step ``index``'s view (before those widgets are drawn: call from a
    callback or before the page's widgets), and put the step in the URL."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    claims = lesson_claims(lesson.id)
    view = _view_at(lesson, index)
    st.session_state[STEP_KEY] = index
    if view.text is not None:
        st.session_state[TEXT_KEY] = view.text
    if view.pair is not None:
        for key, sentence in zip(PAIR_KEYS, view.pair):
            st.session_state[key] = sentence
    if view.tab is not None:
        st.session_state[OPEN_KEY] = view.tab
        st.session_state[TAB_KEY] = t(lang, view.tab)
        if view.model is not None and view.tab in MODEL_KEYS:
            st.session_state[MODEL_KEYS[view.tab]] = view.model
    for key, value in ((TOKEN_KEY, view.token), (UNIT_KEY, view.unit)):
        if value is not None:
            st.session_state[key] = resolved(value, claims)
    if view.convention is not None:
        st.session_state[CONVENTION_KEY] = view.convention
        for other in LANGS:  # translated_radio's widgets would keep their old choice
            st.session_state.pop(f"{CONVENTION_KEY}_{other}", None)
    place = (lesson.id, index)
    st.session_state[URL_KEY] = place
    st.query_params.update(lesson_query(*place))


def _forget_choice_widgets() -> None:
    """Drop the selectboxes' own values, so that the next one drawn starts from LESSON_KEY."""
    for lang in LANGS:
        st.session_state.pop(f"{CHOICE_KEY}_{lang}", None)


def _start(lang: str) -> None:
    """The lesson selectbox changed: its first step, or no lesson."""
    chosen = st.session_state.get(f"{CHOICE_KEY}_{lang}", NO_LESSON)
    st.session_state[LESSON_KEY] = chosen
    if chosen in BY_ID:
        _apply(BY_ID[chosen], 0)
    else:
        st.session_state[URL_KEY] = None
        for param in (LESSON_PARAM, STEP_PARAM):
            st.query_params.pop(param, None)


def _move(lesson_id: str, index: int) -> None:
    _apply(BY_ID[lesson_id], index)


def _reveal(lesson_id: str, index: int) -> None:
    st.session_state[REVEALED_KEY] = st.session_state.get(REVEALED_KEY, frozenset()) | {(lesson_id, index)}


def _from_url() -> None:
    """A link opened (or the URL changed): go to its lesson step, once."""
    found = parse_lesson_query(st.query_params.to_dict(), BY_ID)
    if found is None or st.session_state.get(URL_KEY) == found:
        return
    st.session_state[LESSON_KEY] = found[0]
    _forget_choice_widgets()
    _apply(BY_ID[found[0]], found[1])


def lesson_player(lang: str) -> None:
    """The lesson chooser and, when a lesson is chosen, its current step. Call before the page's widgets."""
    _from_url()
    with st.container(border=True):
        ids = (NO_LESSON, *(lesson.id for lesson in LESSONS))
        names = {NO_LESSON: _t(lang, "none"), **{lesson.id: f"{n}. {lesson.title[lang]}" for n, lesson in
                                                 enumerate(LESSONS, start=1)}}
        for other in LANGS:  # the selectbox's option names change with the language: one widget per language
            if other != lang:
                st.session_state.pop(f"{CHOICE_KEY}_{other}", None)
        kept = st.session_state.get(LESSON_KEY, NO_LESSON)
        chosen = st.selectbox(_t(lang, "choose"), ids, index=ids.index(kept) if kept in ids else 0,
                              format_func=names.__getitem__, key=f"{CHOICE_KEY}_{lang}", on_change=_start,
                              args=(lang,), help=_t(lang, "help"))
        if chosen not in BY_ID:
            return
        _step(lang, BY_ID[chosen])


def _step(lang: str, lesson: Lesson) -> None:
    with st.spinner(_t(lang, "computing")):
        claims = lesson_claims(lesson.id)
    index = min(int(st.session_state.get(STEP_KEY, 0)), len(lesson.steps) - 1)
    step = lesson.steps[index]
    st.caption(_t(lang, "step", number=index + 1, total=len(lesson.steps)))
    st.markdown(fill(step.say, lesson, claims, lang))
    if step.view.edit:
        _edit_figure(lang, lesson, _view_at(lesson, index).text)
    if step.question is not None:
        _question(lang, lesson, index, claims)
    back, forward, _ = st.columns([1, 1, 4])
    back.button(_t(lang, "back"), key="lesson_back", disabled=index == 0, on_click=_move,
                args=(lesson.id, index - 1), width="stretch")
    forward.button(_t(lang, "next"), key="lesson_next", type="primary", disabled=index == len(lesson.steps) - 1,
                   on_click=_move, args=(lesson.id, index + 1), width="stretch")
    st.caption(_t(lang, "link"))
    st.code(step_link(lesson.id, index, st.context.url), language=None)


def _question(lang: str, lesson: Lesson, index: int, claims) -> None:
    question = lesson.steps[index].question
    keys = [key for key, _ in question.choices]
    names = {key: fill(text, lesson, claims, lang) for key, text in question.choices}
    st.markdown(f"**{fill(question.ask, lesson, claims, lang)}**")
    guess = st.radio(_t(lang, "your_guess"), keys, index=None, format_func=names.__getitem__,
                     key=f"lesson_answer_{lesson.id}_{index}")
    revealed = (lesson.id, index) in st.session_state.get(REVEALED_KEY, frozenset())
    if not revealed:
        st.button(_t(lang, "reveal"), key="lesson_reveal", disabled=guess is None, on_click=_reveal,
                  args=(lesson.id, index))
        return
    right = answer(question, claims)
    if guess == right:
        st.success(_t(lang, "right"), icon=":material/check:")
    elif guess is not None:
        st.warning(_t(lang, "wrong", answer=names[right]), icon=":material/lightbulb:")
    st.markdown(fill(lesson.steps[index].reveal, lesson, claims, lang))


def _edit_figure(lang: str, lesson: Lesson, text: str) -> None:
    before, after = _edited(str(state.directory()), lesson.id, text)
    model = MODEL_NAMES[lesson.edit_model]
    traces = {_t(lang, "edit_before", model=model): before.trace, _t(lang, "edit_after", model=model): after.trace}
    show(prediction_curve(traces, labels=viz_labels(lang)), key="lesson_edit_curve")
