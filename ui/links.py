"""Links that reproduce a view: the page's state as URL query parameters and as a session file, checked.

Pure (no streamlit), so it is tested alone; ``ui.share`` reads and writes ``st.query_params`` with it.

    view, notes = parse({"text": "我爱人工智能", "tab": "step", "model": "gru", "token": "2"})
    to_params(view)        # {"text": "我爱人工智能", "tab": "step", "model": "gru", "token": "2"}

A parameter that is absent stays None (the page's own default). A bad or unknown value is left out
and reported as a ``Note``; nothing here raises for what a URL or a session file holds.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from urllib.parse import quote, urlencode

from models.names import all_names
from models.tokenize import MODES
from models.trace import GRU_CONVENTIONS
from ui.i18n import LANGS
from ui.i18n import TABS as TAB_KEYS
from ui.lesson_links import LESSON_PARAM, STEP_PARAM

TABS = tuple(key.removeprefix("tab_") for key in TAB_KEYS)  # the `tab` values: the tabs' keys less "tab_"
MAX_LINK_TEXT = 1500  # characters of text a link carries; a longer text travels in the session file
MAX_INDEX_DIGITS = 6  # a token or unit index longer than this is not an index on this page
SESSION_FORMAT = "rnn-gates-session/1"
CHOICES: Mapping[str, tuple[str, ...]] = {"mode": MODES, "tab": TABS, "model": all_names("sentiment"), "lang": LANGS,
                                          "gru": GRU_CONVENTIONS}
INDICES = ("token", "unit")
PARAMS = ("text", "mode", "tab", "model", "token", "unit", "lang", "gru")  # the order links are written in
IGNORED_PREFIXES = ("embed",)  # Streamlit's own parameters (embed, embed_options)
PASSED_ON = (LESSON_PARAM, STEP_PARAM)  # a lesson step's place (ui.lesson_links): kept in the URL, not the view's


@dataclass(frozen=True)
class ViewState:
    """What a link or a session file restores; None means "the page's default"."""

    text: str | None = None
    mode: str | None = None  # models.tokenize.MODES
    tab: str | None = None  # TABS
    model: str | None = None  # the open tab's model: "rnn" | "lstm" | "gru" | a variant, "lstm_2layer", "gru_bi"...
    token: int | None = None  # the step tab's token index
    unit: int | None = None  # the step tab's hidden unit
    lang: str | None = None  # "zh" | "en"
    gru: str | None = None  # the GRU convention: "textbook" | "torch"
    pair: tuple[str, str] | None = None  # the Two-sentences texts: in a session file only, not in links


@dataclass(frozen=True)
class Note:
    """A value that was left out: ``reason`` is a string key suffix (ui.i18n ``link_note_{reason}``)."""

    param: str
    value: str
    reason: str  # "unknown_param" | "not_allowed" | "not_index" | "out_of_range" | "no_tab" | "no_model" | ...
    allowed: tuple[str, ...] = ()  # the values that would have been taken, when there are few


def last_value(value: str | Sequence[str]) -> str:
    """A repeated parameter counts by its last value, as ``st.query_params[name]`` gives it."""
    if isinstance(value, str):
        return value
    return str(value[-1]) if len(value) else ""


def parse(params: Mapping[str, str | Sequence[str]]) -> tuple[ViewState, tuple[Note, ...]]:
    """The view the query parameters ask for, and a note for every parameter or value left out."""
    found: dict[str, object] = {}
    notes: list[Note] = []
    for name, raw in params.items():
        value = last_value(raw)
        if name == "text":
            found["text"] = value
        elif name in CHOICES:
            if value in CHOICES[name]:
                found[name] = value
            else:
                notes.append(Note(name, value, "not_allowed", CHOICES[name]))
        elif name in INDICES:
            if value.isascii() and value.isdigit() and len(value) <= MAX_INDEX_DIGITS:
                found[name] = int(value)
            else:
                notes.append(Note(name, value, "not_index"))
        elif name not in PASSED_ON and not name.startswith(IGNORED_PREFIXES):
            notes.append(Note(name, value, "unknown_param", PARAMS))
    return ViewState(**found), tuple(notes)


def link_fits(view: ViewState) -> bool:
    """Whether the text is short enough for a link (MAX_LINK_TEXT characters)."""
    return view.text is None or len(view.text) <= MAX_LINK_TEXT


def to_params(view: ViewState) -> dict[str, str]:
    """The query parameters of ``view``, in PARAMS order; None values, and a text too long for a link, left out."""
    out = {}
    for name in PARAMS:
        value = getattr(view, name)
        if value is None or (name == "text" and not link_fits(view)):
            continue
        out[name] = str(value)
    return out


def _readable_quote(value: str, safe: str = "", encoding: str | None = None, errors: str | None = None) -> str:
    """``quote``, except that printable non-ASCII characters (Chinese) stay as they are: a readable link that
    browsers and chat apps encode themselves; ASCII specials and every kind of space are still escaped."""
    return "".join(ch if ord(ch) > 127 and ch.isprintable() and not ch.isspace() else quote(ch, safe=safe)
                   for ch in value)


def page_link(base: str, params: Mapping[str, str]) -> str:
    """A page's address ``base`` (its own query and fragment dropped) with ``params``, Chinese kept readable."""
    return f"{base.split('?', 1)[0].split('#', 1)[0]}?{urlencode(params, quote_via=_readable_quote)}"


def query_string(view: ViewState) -> str:
    """``text=...&mode=...``: ``to_params`` for a URL (ASCII specials and spaces escaped, Chinese kept)."""
    return urlencode(to_params(view), quote_via=_readable_quote)


def link(base: str, view: ViewState) -> str:
    """The page's address ``base`` (its own query, if any, dropped) with ``view``'s parameters."""
    return f"{base.split('?', 1)[0].split('#', 1)[0]}?{query_string(view)}"


def check_ranges(view: ViewState, *, steps: int, units: int, models: Sequence[str],
                 tabs: Sequence[str]) -> tuple[ViewState, tuple[Note, ...]]:
    """``view`` without what the page cannot show: a token index past the ``steps`` tokens read, a unit past
    the ``units`` hidden units, a model not loaded (``models``), a tab the page does not have (``tabs``)."""
    drop: dict[str, None] = {}
    notes = []
    for name, limit in (("token", steps), ("unit", units)):
        value = getattr(view, name)
        if value is not None and value >= limit:
            drop[name] = None
            notes.append(Note(name, str(value), "out_of_range", (f"0–{limit - 1}",)))
    if view.model is not None and view.model not in models:
        drop["model"] = None
        notes.append(Note("model", view.model, "no_model", tuple(models)))
    if view.tab is not None and view.tab not in tabs:
        drop["tab"] = None
        notes.append(Note("tab", view.tab, "no_tab", tuple(tabs)))
    return replace(view, **drop), tuple(notes)


def session_json(view: ViewState, *, saved: str = "") -> str:
    """A session file: the whole view (the text at any length, the two sentences) as JSON text."""
    payload = {
        "format": SESSION_FORMAT,
        "saved": saved,
        "view": {**to_params(replace(view, text=None)), **({"text": view.text} if view.text is not None else {})},
    }
    if view.pair is not None:
        payload["pair"] = list(view.pair)
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def parse_session(data: bytes, name: str = "session.json") -> tuple[ViewState, tuple[Note, ...]]:
    """The view in a session file, and notes as ``parse`` gives them; a file that is not a session gives
    an empty view and one note (reason "not_session")."""
    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        payload = None
    if not isinstance(payload, dict) or payload.get("format") != SESSION_FORMAT or not isinstance(
            payload.get("view"), dict):
        return ViewState(), (Note("session", name, "not_session"),)
    values = {k: v for k, v in payload["view"].items() if isinstance(v, str)}
    view, notes = parse(values)
    wrong = [Note(k, str(v)[:40], "not_allowed") for k, v in payload["view"].items() if not isinstance(v, str)]
    pair = payload.get("pair")
    if isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair):
        view = replace(view, pair=(pair[0], pair[1]))
    elif pair is not None:
        wrong.append(Note("pair", str(pair)[:40], "not_allowed"))
    return view, notes + tuple(wrong)


def merged(old: ViewState, new: ViewState) -> ViewState:
    """``new``, with ``old``'s value wherever ``new`` has none."""
    return replace(old, **{f.name: getattr(new, f.name) for f in fields(new) if getattr(new, f.name) is not None})


def lesson_notes(params: Mapping[str, str | Sequence[str]], steps: Mapping[str, int]) -> tuple[Note, ...]:
    """What a lesson link (``?lesson=<id>&step=<n>``, ui.lesson_links) asks that the page does not have: a lesson
    not among ``steps`` (lesson id -> its number of steps), a step that is not a number from 1, or one past the
    lesson's last step (which opens the last step). ui.lesson_links.parse_lesson_query does the same choices."""
    lesson = last_value(params[LESSON_PARAM]) if LESSON_PARAM in params else None
    step = last_value(params[STEP_PARAM]) if STEP_PARAM in params else None
    if lesson is None:
        return ()
    if lesson not in steps:
        return (Note(LESSON_PARAM, lesson, "not_allowed", tuple(steps)),)
    if step is None:
        return ()
    if not (step.isascii() and step.isdigit() and len(step) <= MAX_INDEX_DIGITS) or int(step) < 1:
        return (Note(STEP_PARAM, step, "not_step", (f"1–{steps[lesson]}",)),)
    if int(step) > steps[lesson]:
        return (Note(STEP_PARAM, step, "step_past_end", (str(steps[lesson]),)),)
    return ()
