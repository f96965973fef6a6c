"""The lesson player above the page: pick a lesson, step through it; each step sets the live view below.

A step sets the session-state keys the page's own widgets read (the text, the open tab, that tab's
model, the Read tab's map, the step tab's token and unit, the page's GRU convention), so the page under
the lesson box is the real page, which the reader can keep exploring. The figure the step talks about is
drawn in the box itself, under the narration (``ui.lesson_figures``), where the reader is. A question's
answer stays off the screen until Reveal: the figure, and the open tab's content below, are withheld
(``ui.tabs.WITHHELD_KEY``). The lessons and their claims are data (``lessons/``, ``lessons/claims.py``);
this module only shows them. The URL carries the step (``?lesson=<id>&step=<n>``, ``ui.lesson_links``),
so a teacher can link any step; a lesson or step the page does not have is said in a note.
"""
from __future__ import annotations

import streamlit as st

from lessons import BY_ID, LESSONS
from lessons.lesson import Lesson, View, answer, fill, link_params, resolved
from models.pretrained import PretrainedError
from models.trace import GRU_CONVENTIONS
from ui import links, lm, lm_links, race, state, units, units_links
from ui.common import MODEL_NAMES, literal, model_list, show
from ui.i18n import DEFAULT_LANG, LANGS, t, viz_labels
from ui.lesson_figures import step_figure
from ui.lesson_links import LESSON_PARAM, STEP_PARAM, lesson_query, parse_lesson_query, step_link
from ui.page_keys import DEFAULT_PAGE, PAGE_FILES
from ui.read import SHOWN_KEY
from ui.shapes import shape_of
from ui.source import LANG_KEY, PAIR_KEYS, TEXT_KEY
from ui.tabs import CONVENTION_KEY, OPEN_KEY, STEP_PAGE_KEY, TAB_KEY, WITHHELD_KEY
from viz.prediction import prediction_curve

LESSON_KEY = "lesson"  # the chosen lesson's id, "" for none, kept across languages
CHOICE_KEY = "lesson_choice"  # the selectbox, one per language (f"{CHOICE_KEY}_{lang}"), as ui.common.translated_radio
STEP_KEY = "lesson_step"  # the step shown, from 0
REVEALED_KEY = "lesson_revealed"  # (lesson id, step) pairs whose answer is shown
URL_KEY = "lesson_url"  # the (lesson id, step) last read from or written to the URL
MOVED_KEY = "lesson_moved"  # Next/Back was just clicked (their count): the step drawn next is scrolled into view
MOVES_KEY = "lesson_moves"  # how many times Next/Back was clicked in this session
BOX_KEY = "lesson_box"  # the lesson box: the chooser, then the step (CSS class .st-key-lesson_box)
NOTES_KEY = "lesson_link_notes"  # what a lesson link asked that the page does not have (ui.links.Note), until a move
MODEL_KEYS = {  # the model radio of each tab that has one (ui.read, ui.step, ui.memory, ui.pair)
    "tab_read": "read_model", "tab_step": "step_model", "tab_memory": "memory_model", "tab_pair": "pair_model",
}
POSITION_KEYS = {"tab_read": "read", "tab_step": "step", "tab_memory": "memory", "tab_pair": "pair"}
TOKEN_KEY, UNIT_KEY = "step_token", "step_unit"  # the Inside-one-step tab's choices (ui.step)
PAGE_KEY = "lesson_page"  # the page a step just applied opens (ui.page_keys): the player moves there once
NO_LESSON = ""
PAGE_VIEWS = {  # how a step's View.link sets another page: that page's link parser and what applies its view
    "lm": (lm_links.parse, lm.apply_view), "units": (units_links.parse, units.apply_view),
}
CLAIMS_KEPT = 32  # (models, lesson) claim sets kept per process

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
        "unavailable": "课程“{title}”需要 {models}，这里没有加载这些模型，所以没有打开。",
        "hidden": "需要未加载模型的课程没有列出：{lessons}。",
        "needs": "{name}（需要 {models}）",
        "help": "每一课都会设置下面的页面（文本、标签页、模型、词、单元），讲述里的数字都是刚才从模型算出来的。",
        "withheld": "先猜再看：揭晓之前，这一步的图和下面标签页的内容都先藏起来。",
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
        "unavailable": "The lesson “{title}” needs {models}, which are not loaded here, so it is not opened.",
        "hidden": "Lessons that need models not loaded here are not listed: {lessons}.",
        "needs": "{name} (needs {models})",
        "help": "Each lesson sets the page below (text, tab, model, token, unit); every number in the narration "
                "was just computed from the models.",
        "withheld": "Guess first: until you reveal the answer, this step's chart and the tab below stay hidden.",
    },
}


def _t(lang: str, key: str, **fmt: object) -> str:
    template = STRINGS.get(lang, STRINGS[DEFAULT_LANG])[key]
    return template.format(**fmt) if fmt else template


def lesson_models() -> dict:
    """Every model a lesson may need, by name: this session's sentiment models (variants too), the race models
    of the page's folder (race_rnn, race_lstm, race_gru) and its language models (lm_rnn, lm_lstm, lm_gru), where
    their files are there and sound."""
    models = dict(state.load_models())
    try:
        models.update({f"race_{cell}": model for cell, model in race.race_models().items()})
    except PretrainedError:
        pass  # the race lesson is then not offered
    try:
        models.update(lm.lm_models())
    except PretrainedError:
        pass  # the language models' lessons are then not offered
    return models


def lesson_claims(lesson_id: str):
    """The lesson's claims on this session's models (read-only). Made once per process for the models every
    visitor shares, keyed on their files' hashes; an upload's are made and kept in its session only."""
    models = {name: model for name, model in lesson_models().items() if name in BY_ID[lesson_id].archs}  # its own
    upload = state.uploaded()
    if upload is not None:
        return upload.kept(("lesson_claims", lesson_id), lambda: BY_ID[lesson_id].claims(models))
    return _claims(state.fingerprints(models), lesson_id, models)


@st.cache_resource(max_entries=CLAIMS_KEPT, show_spinner=False)
def _claims(fingerprints: tuple, lesson_id: str, _models: dict):
    return BY_ID[lesson_id].claims(_models)


def _edited(lesson_id: str, text: str):
    """The lesson model's Analysis of ``text`` as trained and with the lesson's edit, kept as the claims are."""
    lesson = BY_ID[lesson_id]
    models, claims = state.load_models(), lesson_claims(lesson_id)
    upload = state.uploaded()
    if upload is not None:
        return upload.kept(("lesson_edited", lesson_id, text), lambda: _edited_runs(lesson, text, models, claims))
    return _shared_edited(state.fingerprints(models), lesson_id, text, models, claims)


@st.cache_resource(max_entries=CLAIMS_KEPT, show_spinner=False)
def _shared_edited(fingerprints: tuple, lesson_id: str, text: str, _models: dict, _claims: object):
    return _edited_runs(BY_ID[lesson_id], text, _models, _claims)


def _edited_runs(lesson: Lesson, text: str, models: dict, claims):
    model = models[lesson.edit_model]
    return model.analyze(text), model.analyze(text, edits=[lesson.edit(claims)])


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
    model = view.model or merged.get("model")
    same = model == view.model  # a layer or direction belongs to the step's own model
    return View(text=merged.get("text"), tab=view.tab, model=model, token=view.token,
                unit=view.unit, convention=merged.get("convention"), pair=merged.get("pair"), edit=view.edit,
                maps=view.maps, chart=view.chart, page=view.page, layer=view.layer if same else None,
                direction=view.direction if same else None, link=view.link)


def _apply(lesson: Lesson, index: int) -> None:
    """Set the page's widget keys to step ``index``'s view (before those widgets are drawn: call from a
    callback or before the page's widgets), and put the step in the URL."""
    _set_view(lesson, index)
    place = (lesson.id, index)
    st.session_state[URL_KEY] = place
    st.query_params.update(lesson_query(*place))


def _set_view(lesson: Lesson, index: int) -> None:
    """The page's widget keys for step ``index``'s view."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    claims = lesson_claims(lesson.id)
    view = _view_at(lesson, index)
    st.session_state[STEP_KEY] = index
    st.session_state[PAGE_KEY] = view.page
    if view.page in PAGE_VIEWS:
        parse, apply_view = PAGE_VIEWS[view.page]
        apply_view(parse(link_params(view, claims))[0])
        return
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
            _set_translated(f"{MODEL_KEYS[view.tab]}_shape", shape_of(view.model))  # the lesson model's shape
        for value, name in ((view.layer, "layer"), (view.direction, "direction")):
            if view.tab in POSITION_KEYS:  # the tab's layer and direction choice (ui.common.position_selector)
                _set_translated(f"{POSITION_KEYS[view.tab]}_{name}", value or 0)
    if view.maps:
        _set_translated(SHOWN_KEY, view.maps[0])  # the Read tab draws one map at a time: the first named
    for key, value in ((TOKEN_KEY, view.token), (UNIT_KEY, view.unit)):
        if value is not None:
            st.session_state[key] = resolved(value, claims)
    if view.convention is not None:
        _set_translated(CONVENTION_KEY, view.convention)


def _set_translated(key: str, value: str) -> None:
    """Set a ui.common.translated_radio's kept choice; its per-language widgets would keep their old one."""
    st.session_state[key] = value
    for other in LANGS:
        st.session_state.pop(f"{key}_{other}", None)


def _forget_choice_widgets() -> None:
    """Drop the selectboxes' own values, so that the next one drawn starts from LESSON_KEY."""
    for lang in LANGS:
        st.session_state.pop(f"{CHOICE_KEY}_{lang}", None)


def _start(lang: str) -> None:
    """The lesson selectbox changed: its first step, or no lesson."""
    chosen = st.session_state.get(f"{CHOICE_KEY}_{lang}", NO_LESSON)
    st.session_state[LESSON_KEY] = chosen
    st.session_state.pop(NOTES_KEY, None)
    if chosen in BY_ID:
        _apply(BY_ID[chosen], 0)
    else:
        st.session_state[URL_KEY] = None
        for param in (LESSON_PARAM, STEP_PARAM):
            st.query_params.pop(param, None)


def _move(lesson_id: str, index: int) -> None:
    st.session_state.pop(NOTES_KEY, None)
    st.session_state[MOVES_KEY] = st.session_state[MOVED_KEY] = st.session_state.get(MOVES_KEY, 0) + 1
    _apply(BY_ID[lesson_id], index)


# Streamlit's tabs scroll their newly selected tab into view (block "nearest"): when a step opens another tab, the
# page jumped down to the tab bar, past the step's narration and figure, and left the lesson chooser out of view (a
# click on it while the page scrolls back closed it again: "two clicks to open"). The lesson box is brought back once
# the tabs have moved: for a few seconds, a scroll that takes the box out of view is undone, until the reader scrolls,
# types or clicks (their own scrolling is left alone). "Out of view" includes under the header, which holds the pages'
# menu (ui.frame): a chooser under it took the click's own scroll, and closed again.
_SCROLL_BACK = """<script>
(() => {{
  let user = false;
  const events = ["wheel", "touchmove", "keydown", "mousedown"];
  const stop = () => {{ user = true; }};
  const settle = () => {{
    const box = document.querySelector(".st-key-{box}");
    if (user || !box) return;
    const header = document.querySelector("[data-testid=stHeader]");  // the pages' menu: the box goes under it
    const below = header ? Math.max(0, header.getBoundingClientRect().bottom) : 0;
    const top = box.getBoundingClientRect().top;
    if (top < below || top > window.innerHeight / 2) {{
      box.style.scrollMarginTop = `${{below}}px`;
      box.scrollIntoView({{block: "start", behavior: "instant"}});
    }}
  }};
  events.forEach(e => window.addEventListener(e, stop, true));
  document.addEventListener("scroll", settle, true);
  settle();
  setTimeout(() => {{
    document.removeEventListener("scroll", settle, true);
    events.forEach(e => window.removeEventListener(e, stop, true));
  }}, {watch_ms});
}})();  /* move {moved} */
</script>"""
SCROLL_WATCH_MS = 4000  # how long after Next/Back a scroll that moves the lesson box out of view is undone


def _scroll_back() -> None:
    """After Next or Back, bring the lesson box (chooser, buttons, narration, figure) into view (see _SCROLL_BACK)."""
    moved = st.session_state.pop(MOVED_KEY, None)
    if moved:
        st.html(_SCROLL_BACK.format(box=BOX_KEY, moved=moved, watch_ms=SCROLL_WATCH_MS), unsafe_allow_javascript=True)


def _reveal(lesson_id: str, index: int) -> None:
    """Show the answer, and the page below again: its widgets were not drawn while it was withheld, so the
    step's view is set once more."""
    st.session_state[REVEALED_KEY] = st.session_state.get(REVEALED_KEY, frozenset()) | {(lesson_id, index)}
    _set_view(BY_ID[lesson_id], index)


def _from_url(archs: tuple[str, ...]) -> Lesson | None:
    """A link opened (or the URL changed): go to its lesson step, once; say what it asked that is not here.
    Returns the linked lesson, not opened, if its models are not all loaded (it is asked again while the link is
    in the URL)."""
    params = st.query_params.to_dict()
    notes = links.lesson_notes(params, {lesson.id: len(lesson.steps) for lesson in LESSONS})
    if notes:
        st.session_state[NOTES_KEY] = notes
    found = parse_lesson_query(params, BY_ID)
    if found is None or st.session_state.get(URL_KEY) == found:
        return None
    if BY_ID[found[0]] not in offered(archs):
        return BY_ID[found[0]]
    st.session_state[LESSON_KEY] = found[0]
    _forget_choice_widgets()
    _apply(BY_ID[found[0]], found[1])
    return None


def offered(archs: tuple[str, ...]) -> tuple[Lesson, ...]:
    """The lessons whose models (``Lesson.archs``) are all among ``archs``, in LESSONS order."""
    return tuple(lesson for lesson in LESSONS if set(lesson.archs) <= set(archs))


def _missing_models(lang: str, lesson: Lesson, archs: tuple[str, ...]) -> str:
    return model_list(lang, tuple(arch for arch in lesson.archs if arch not in archs))


def _leave(lang: str, lesson: Lesson, archs: tuple[str, ...]) -> None:
    """The chosen lesson needs a model this session no longer has (another upload): say so, and show none."""
    st.warning(_t(lang, "unavailable", title=lesson.title[lang], models=_missing_models(lang, lesson, archs)),
               icon=":material/block:")
    st.session_state[LESSON_KEY], st.session_state[URL_KEY] = NO_LESSON, None
    _forget_choice_widgets()
    for param in (LESSON_PARAM, STEP_PARAM):
        st.query_params.pop(param, None)


def _go_to_step_page(page: str) -> None:
    """A step just applied names another page than ``page``, the one shown: open it, with the step in the URL (a
    move to another page clears the URL's query)."""
    wanted = st.session_state.pop(PAGE_KEY, None)
    place = st.session_state.get(URL_KEY)
    if wanted is None or wanted == page or place is None:
        return
    st.switch_page(PAGE_FILES[wanted], query_params=lesson_query(*place))


def lesson_player(lang: str, page: str = DEFAULT_PAGE) -> None:
    """The lesson chooser and, when a lesson is chosen, its current step, on every page (``page``: the one
    shown, ui.page_keys). Call before the page's widgets. A step that names another page opens that page.

    Only lessons whose models are all loaded are offered; the others are named under the box with the
    models they need, and a link to one says why it is not opened.
    """
    archs = tuple(lesson_models())  # every model a lesson may need that this session has
    linked = _from_url(archs)
    _go_to_step_page(page)
    st.session_state[WITHHELD_KEY] = False
    with st.container(border=True, key=BOX_KEY):
        shown = offered(archs)
        ids = (NO_LESSON, *(lesson.id for lesson in shown))
        names = {NO_LESSON: _t(lang, "none"), **{lesson.id: f"{n}. {lesson.title[lang]}" for n, lesson in
                                                 enumerate(LESSONS, start=1)}}
        for other in LANGS:  # the selectbox's option names change with the language: one widget per language
            if other != lang:
                st.session_state.pop(f"{CHOICE_KEY}_{other}", None)
        if linked is not None:
            st.warning(_t(lang, "unavailable", title=linked.title[lang], models=_missing_models(lang, linked, archs)),
                       icon=":material/block:")
        kept = st.session_state.get(LESSON_KEY, NO_LESSON)
        if kept in BY_ID and kept not in ids:
            _leave(lang, BY_ID[kept], archs)
            kept = NO_LESSON
        chosen = st.selectbox(_t(lang, "choose"), ids, index=ids.index(kept) if kept in ids else 0,
                              format_func=names.__getitem__, key=f"{CHOICE_KEY}_{lang}", on_change=_start,
                              args=(lang,), help=_t(lang, "help"))
        _show_notes(lang)
        if chosen not in BY_ID:
            hidden = [_t(lang, "needs", name=names[lesson.id], models=_missing_models(lang, lesson, archs))
                      for lesson in LESSONS if lesson not in shown]
            if hidden:
                st.caption(_t(lang, "hidden", lessons="; ".join(hidden)))
            return
        _step(lang, BY_ID[chosen])


def _show_notes(lang: str) -> None:
    for note in st.session_state.get(NOTES_KEY, ()):
        st.warning(t(lang, f"link_note_{note.reason}", param=literal(note.param), value=literal(note.value[:80]),
                     allowed=", ".join(note.allowed) or "—"), icon=":material/link_off:")


def _step(lang: str, lesson: Lesson) -> None:
    """The step's place and buttons first (Next stays where it is from step to step), then its narration and
    the figure it talks about; a question withholds the figure and the tab below until Reveal."""
    with st.spinner(_t(lang, "computing")):
        claims = lesson_claims(lesson.id)
    index = min(int(st.session_state.get(STEP_KEY, 0)), len(lesson.steps) - 1)
    _step_box(lang, lesson, index, claims)
    _scroll_back()


def _step_box(lang: str, lesson: Lesson, index: int, claims) -> None:
    step = lesson.steps[index]
    place, back, forward = st.columns([4, 1, 1], vertical_alignment="center")
    place.caption(_t(lang, "step", number=index + 1, total=len(lesson.steps)))
    back.button(_t(lang, "back"), key="lesson_back", disabled=index == 0, on_click=_move,
                args=(lesson.id, index - 1), width="stretch")
    forward.button(_t(lang, "next"), key="lesson_next", type="primary", disabled=index == len(lesson.steps) - 1,
                   on_click=_move, args=(lesson.id, index + 1), width="stretch")
    st.markdown(fill(step.say, lesson, claims, lang))
    revealed = step.question is None or _question(lang, lesson, index, claims)
    st.session_state[WITHHELD_KEY] = not revealed
    st.session_state[STEP_PAGE_KEY] = _view_at(lesson, index).page
    if revealed:
        _figure(lang, lesson, index, claims)
    st.caption(_t(lang, "link"))
    st.code(step_link(lesson.id, index, st.context.url), language=None)


def _figure(lang: str, lesson: Lesson, index: int, claims) -> None:
    """The chart step ``index`` talks about, in the page's GRU convention (which the step may have set)."""
    view = _view_at(lesson, index)
    if view.edit:
        _edit_figure(lang, lesson, view.text)
        return
    token, unit = (resolved(value, claims) if value is not None else st.session_state.get(key, 0)
                   for value, key in ((view.token, TOKEN_KEY), (view.unit, UNIT_KEY)))  # unnamed: the step tab's
    convention = st.session_state.get(CONVENTION_KEY, view.convention or GRU_CONVENTIONS[0])
    step_figure(lang, view, token=int(token), unit=int(unit), convention=convention)


def _question(lang: str, lesson: Lesson, index: int, claims) -> bool:
    """The question, the guess and Reveal; once revealed, whether the guess was right and the numbers.
    Returns whether the answer is shown."""
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
        st.caption(_t(lang, "withheld"))
        return False
    right = answer(question, claims)
    if guess == right:
        st.success(_t(lang, "right"), icon=":material/check:")
    elif guess is not None:
        st.warning(_t(lang, "wrong", answer=names[right]), icon=":material/lightbulb:")
    st.markdown(fill(lesson.steps[index].reveal, lesson, claims, lang))
    return True


def _edit_figure(lang: str, lesson: Lesson, text: str) -> None:
    before, after = _edited(lesson.id, text)
    model = MODEL_NAMES[lesson.edit_model]
    traces = {_t(lang, "edit_before", model=model): before.trace, _t(lang, "edit_after", model=model): after.trace}
    show(prediction_curve(traces, labels=viz_labels(lang)), key="lesson_edit_curve")
