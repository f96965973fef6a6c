"""Links to the language-model page: the text, the model, the position and unit looked at, the state (c or h), the
live writing's prompt, temperature, length and seed, the view, the language and the GRU convention, checked.

Pure (no streamlit), so it is tested alone; ``ui.lm`` reads and writes ``st.query_params`` with it.

    view, notes = parse({"text": "《三体》不好看", "model": "lm_gru", "pos": "3"})
    to_params(view)        # {"text": "《三体》不好看", "model": "lm_gru", "pos": "3"}

A parameter that is absent stays None (the page's default). A bad or unknown value is left out and reported as a
``ui.links.Note``; nothing here raises for what a URL holds. A bare cell ("lstm", from a sentiment link) names that
cell's language model. The other pages' parameters (``ui.links.PARAMS``, ``ui.race_links.PARAMS``) are passed over
without a note: they come along when a person moves from one page to another.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.trace import CELL_TYPES, GRU_CONVENTIONS
from ui.i18n import LANGS
from ui.links import IGNORED_PREFIXES, PASSED_ON, Note, last_value, page_link
from ui.links import PARAMS as SENTIMENT_PARAMS
from ui.race_links import PARAMS as RACE_PARAMS

MAX_LINK_TEXT = 1500  # characters of text (or prompt) a link carries
MAX_INDEX = 10**6 - 1  # a position or unit past this is no index on this page
MAX_SEED = 10**6 - 1
MAX_LENGTH = 2000  # models.lm.MAX_WRITE
MAX_TEMPERATURE = 2.0  # the page's slider ends here (models.lm accepts up to 10)
MODELS = tuple(f"lm_{cell}" for cell in CELL_TYPES)
VIEWS = ("next", "gates", "colour", "write")
STATES = ("cell", "hidden")  # which state "colour the text" tints by: c (LSTM only) or h
PARAMS = ("text", "view", "model", "pos", "unit", "state", "prompt", "temperature", "length", "seed", "lang", "gru")
NUMBERS = {"pos": MAX_INDEX, "unit": MAX_INDEX, "seed": MAX_SEED, "length": MAX_LENGTH}  # name -> largest value
TEXTS = ("text", "prompt")
CHOICES: Mapping[str, tuple[str, ...]] = {"view": VIEWS, "state": STATES, "lang": LANGS, "gru": GRU_CONVENTIONS}


@dataclass(frozen=True)
class LmView:
    """What a language-model link restores; None means "the page's default"."""

    text: str | None = None  # the text read
    view: str | None = None  # VIEWS
    model: str | None = None  # "lm_rnn" | "lm_lstm" | "lm_gru": the one the gates, colour and writing views use
    pos: int | None = None  # the character position looked at (0 is the first character)
    unit: int | None = None
    state: str | None = None  # STATES
    prompt: str | None = None  # live writing
    temperature: float | None = None
    length: int | None = None
    seed: int | None = None
    lang: str | None = None
    gru: str | None = None




def _temperature(value: str) -> float | None:
    try:
        found = float(value)
    except ValueError:
        return None
    return round(found, 2) if math.isfinite(found) and 0 <= found <= MAX_TEMPERATURE else None


def _one(name: str, value: str) -> tuple[object, Note | None]:
    """The value of parameter ``name``, or None and the note saying why it was left out."""
    if name in NUMBERS:
        if value.isascii() and value.isdigit() and (name != "length" or int(value) >= 1) \
                and int(value) <= NUMBERS[name]:
            return int(value), None
        return None, Note(name, value, "out_of_range", (f"{int(name == 'length')}–{NUMBERS[name]}",))
    if name == "temperature":
        found = _temperature(value)
        return found, None if found is not None else Note(name, value, "out_of_range", (f"0–{MAX_TEMPERATURE}",))
    if name == "model":
        found = value if value in MODELS else f"lm_{value}" if value in CELL_TYPES else None
        return found, None if found is not None else Note(name, value, "not_allowed", MODELS)
    if name in CHOICES:
        return (value, None) if value in CHOICES[name] else (None, Note(name, value, "not_allowed", CHOICES[name]))
    if len(value) <= MAX_LINK_TEXT:  # TEXTS
        return value, None
    return None, Note(name, value, "out_of_range", (f"≤ {MAX_LINK_TEXT}",))


def parse(params: Mapping[str, str | Sequence[str]]) -> tuple[LmView, tuple[Note, ...]]:
    """The view the query parameters ask for, and a note for every parameter or value left out."""
    found: dict[str, object] = {}
    notes: list[Note] = []
    for name, raw in params.items():
        if name in PARAMS:
            value, note = _one(name, last_value(raw))
            if note is None:
                found[name] = value
            else:
                notes.append(note)
        elif name not in (*PASSED_ON, *SENTIMENT_PARAMS, *RACE_PARAMS) and not name.startswith(IGNORED_PREFIXES):
            notes.append(Note(name, last_value(raw), "unknown_param", PARAMS))
    return LmView(**found), tuple(notes)


def to_params(view: LmView) -> dict[str, str]:
    """The query parameters of ``view``, in PARAMS order, None values left out (a text too long for a link too)."""
    out = {}
    for name in PARAMS:
        value = getattr(view, name)
        if value is None or (name in TEXTS and len(value) > MAX_LINK_TEXT):
            continue
        out[name] = f"{value:g}" if name == "temperature" else str(value)
    return out


def link(base: str, view: LmView) -> str:
    """The page's address ``base`` (its own query dropped) with ``view``'s parameters, Chinese kept readable."""
    return page_link(base, to_params(view))
