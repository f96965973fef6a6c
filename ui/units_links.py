"""Links to the units page: the model, the property (a built-in one, or the person's pattern), the state, the unit
shown, and the language, as URL query parameters, checked.

Pure (no streamlit), so it is tested alone; ``ui.units`` reads and writes ``st.query_params`` with it.

    view, notes = parse({"model": "lm_lstm", "property": "in_brackets", "state": "c", "unit": "17"})
    to_params(view)        # the same parameters back, in PARAMS order

A parameter that is absent stays None (the page's default). A bad or unknown value is left out and reported as a
``ui.links.Note``; nothing here raises for what a URL holds. A pattern is checked for its length only: whether it
compiles is the page's to say, in words. The other pages' parameters pass without a note.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.units import CUSTOM, MAX_PATTERN, PROPERTIES
from ui.i18n import LANGS
from ui.links import IGNORED_PREFIXES, PASSED_ON, Note, last_value, page_link
from ui.links import PARAMS as SENTIMENT_PARAMS
from ui.race_links import PARAMS as RACE_PARAMS

MODELS = ("lm_lstm", "lm_gru", "lm_rnn", "lstm", "gru", "rnn")  # the page's choices, its default first
STATES = {"h": "hidden", "c": "cell"}  # a link's short name -> models.units' state name
MAX_UNIT = 4095  # the largest flattened unit index a link may name
PARAMS = ("model", "property", "state", "unit", "pattern", "lang")  # the order links are written in
CHOICES: Mapping[str, tuple[str, ...]] = {"model": MODELS, "property": (*PROPERTIES, CUSTOM), "state": tuple(STATES),
                                          "lang": LANGS}


@dataclass(frozen=True)
class UnitsView:
    """What a units link restores; None means "the page's default"."""

    model: str | None = None  # one of MODELS
    property: str | None = None  # one of PROPERTIES, or CUSTOM (the pattern)
    state: str | None = None  # "hidden" or "cell"
    unit: int | None = None  # flattened unit index (models.units.Unit)
    pattern: str | None = None  # the person's property, a regular expression
    lang: str | None = None




def parse(params: Mapping[str, str | Sequence[str]]) -> tuple[UnitsView, tuple[Note, ...]]:
    """The view the query parameters ask for, and a note for every parameter or value left out."""
    found: dict[str, object] = {}
    notes: list[Note] = []
    for name, raw in params.items():
        value = last_value(raw)
        if name in CHOICES:
            if value in CHOICES[name]:
                found[name] = STATES[value] if name == "state" else value
            else:
                notes.append(Note(name, value, "not_allowed", CHOICES[name]))
        elif name == "unit":
            if value.isascii() and value.isdigit() and int(value) <= MAX_UNIT:
                found[name] = int(value)
            else:
                notes.append(Note(name, value, "out_of_range", (f"0–{MAX_UNIT}",)))
        elif name == "pattern":
            if 1 <= len(value) <= MAX_PATTERN:
                found[name] = value
            else:
                notes.append(Note(name, value, "out_of_range", (f"1–{MAX_PATTERN}",)))
        elif (name not in PASSED_ON and name not in SENTIMENT_PARAMS and name not in RACE_PARAMS
              and not name.startswith(IGNORED_PREFIXES)):
            notes.append(Note(name, value, "unknown_param", PARAMS))
    return UnitsView(**found), tuple(notes)


def to_params(view: UnitsView) -> dict[str, str]:
    """The query parameters of ``view``, in PARAMS order, None values left out; the state by its short name."""
    short = {long: name for name, long in STATES.items()}
    out = {}
    for name in PARAMS:
        value = getattr(view, name)
        if value is not None:
            out[name] = short[value] if name == "state" else str(value)
    return out


def link(base: str, view: UnitsView) -> str:
    """The units page's address ``base`` (its own query dropped) with ``view``'s parameters, Chinese kept readable."""
    return page_link(base, to_params(view))
