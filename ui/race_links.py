"""Links to the memory-race page: the sequence (gap, clue, seed or typed words), the model looked into, the language
and the GRU convention, as URL query parameters, checked.

Pure (no streamlit), so it is tested alone; ``ui.race`` reads and writes ``st.query_params`` with it.

    view, notes = parse({"gap": "80", "clue": "2", "seed": "5"})
    to_params(view)        # {"gap": "80", "clue": "2", "seed": "5"}

A parameter that is absent stays None (the page's default). A bad or unknown value is left out and reported as a
``ui.links.Note``; nothing here raises for what a URL holds. The sentiment page's own parameters (``ui.links.PARAMS``)
are passed over without a note: they come along when a person moves from that page to this one.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from models.trace import CELL_TYPES, GRU_CONVENTIONS
from ui.i18n import LANGS
from ui.links import IGNORED_PREFIXES, PASSED_ON, Note, last_value, page_link
from ui.links import PARAMS as SENTIMENT_PARAMS

MAX_GAP = 300  # the longest gap the page runs (the cards test up to 150)
MAX_SEED = 10**6 - 1
MAX_WORDS_CHARS = 600  # typed distractor text a link carries
CLUE_COUNT = 8  # K: clue indices are 0..K-1 (models.training.race.CLUES)
PARAMS = ("gap", "clue", "seed", "words", "model", "lang", "gru")  # the order links are written in
NUMBERS = {"gap": MAX_GAP, "clue": CLUE_COUNT - 1, "seed": MAX_SEED}  # name -> largest value
CHOICES: Mapping[str, tuple[str, ...]] = {"model": CELL_TYPES, "lang": LANGS, "gru": GRU_CONVENTIONS}


@dataclass(frozen=True)
class RaceView:
    """What a race link restores; None means "the page's default"."""

    gap: int | None = None  # N, distractor words between the clue and the query
    clue: int | None = None  # index into CLUES
    seed: int | None = None  # the distractors' seed (drawn words)
    words: str | None = None  # typed distractor text (the words are typed, not drawn)
    model: str | None = None  # the model "See why" looks into
    lang: str | None = None
    gru: str | None = None




def parse(params: Mapping[str, str | Sequence[str]]) -> tuple[RaceView, tuple[Note, ...]]:
    """The view the query parameters ask for, and a note for every parameter or value left out."""
    found: dict[str, object] = {}
    notes: list[Note] = []
    for name, raw in params.items():
        value = last_value(raw)
        if name in NUMBERS:
            if value.isascii() and value.isdigit() and int(value) <= NUMBERS[name]:
                found[name] = int(value)
            else:
                notes.append(Note(name, value, "out_of_range", (f"0–{NUMBERS[name]}",)))
        elif name in CHOICES:
            if value in CHOICES[name]:
                found[name] = value
            else:
                notes.append(Note(name, value, "not_allowed", CHOICES[name]))
        elif name == "words":
            if len(value) <= MAX_WORDS_CHARS:
                found[name] = value
            else:
                notes.append(Note(name, value, "out_of_range", (f"≤ {MAX_WORDS_CHARS}",)))
        elif name not in PASSED_ON and name not in SENTIMENT_PARAMS and not name.startswith(IGNORED_PREFIXES):
            notes.append(Note(name, value, "unknown_param", PARAMS))
    return RaceView(**found), tuple(notes)


def to_params(view: RaceView) -> dict[str, str]:
    """The query parameters of ``view``, in PARAMS order, None values left out; typed words replace the seed."""
    out = {}
    for name in PARAMS:
        value = getattr(view, name)
        if value is None or (name == "seed" and view.words is not None):
            continue
        out[name] = str(value)
    return out


def link(base: str, view: RaceView) -> str:
    """The race page's address ``base`` (its own query dropped) with ``view``'s parameters, Chinese kept readable."""
    return page_link(base, to_params(view))
