"""What a lesson is: steps that set the live view and narrate it, with numbers filled from computed claims.

A lesson file builds one ``Lesson``. Its ``claims`` function takes the loaded models (by arch) and
returns a frozen dataclass from ``lessons.claims``; every ``{placeholder}`` in a narration is a field
of it, formatted with Python's format spec (``{drop:.2f}``, ``{share:.0%}``). A field whose value is
a word key (``"down"``, ``"yes"``) is shown through ``WORDS`` (or the lesson's own ``words``) in the
reader's language; a word may hold placeholders of its own. A field that holds a token index (declared
with ``lessons.claims.TOKEN_POSITION``, from 0 as in the Python API) is shown counted from 1, as the token
chips and the step tab count; a View's ``token`` reads the index itself. ``checks`` are what the lesson
takes for granted; tests/test_lessons.py asserts each on the shipped models and names the one that fails.

No Streamlit here: the page (ui/lessons.py) only reads these.
"""
from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lessons.claims import TOKEN_POSITION
from models.names import all_names, parse_name
from models.trace import DISPLAY_ORDER, GRU_CONVENTIONS
from ui.i18n import LANGS, TABS  # Streamlit-free, as this module is
from ui.page_keys import DEFAULT_PAGE, LINKED_PAGES, PAGES

Text = Mapping[str, str]  # {"zh": ..., "en": ...}
SENTIMENT_MODELS = all_names("sentiment")  # a View's model: rnn, lstm, gru or a variant such as lstm_bi
CHARTS = ("curve", "maps", "compare", "equations", "pair", "distance", "retention")  # what a step draws (ui.lessons)
TAB_CHARTS = {  # the chart a step draws when its View names none: its tab's first figure
    "tab_read": "curve", "tab_compare": "compare", "tab_step": "equations", "tab_pair": "pair",
    "tab_memory": "distance",
}

WORDS: Mapping[str, Text] = {  # word keys a claim may hold, in each language
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "down": {"zh": "降低", "en": "down"},
    "up": {"zh": "升高", "en": "up"},
    "positive": {"zh": "正面", "en": "positive"},
    "negative": {"zh": "负面", "en": "negative"},
    "rnn": {"zh": "RNN", "en": "RNN"},
    "lstm": {"zh": "LSTM", "en": "LSTM"},
    "gru": {"zh": "GRU", "en": "GRU"},
}


@dataclass(frozen=True)
class View:
    """What a step shows on the page. None keeps what is there. ``token`` and ``unit`` are an index or the
    name of a claim field holding one; ``edit`` draws the lesson's edit (``Lesson.edit``) before/after.

    The step's figure is drawn in the lesson box, under the narration (after Reveal for a question), and the
    page below is set to the same view. ``maps`` names the Read tab's gate or state maps the step talks about
    (``models.trace.DISPLAY_ORDER``); the Read tab shows the first of them. ``chart`` (one of CHARTS) names the
    figure; None draws ``maps`` if there are any, else the tab's own (TAB_CHARTS). ``page`` is the page the
    step opens (the player moves there), the sentiment page unless a step names another."""

    text: str | None = None
    tab: str | None = None  # a key of TABS
    model: str | None = None  # a model name (SENTIMENT_MODELS), chosen in the open tab (Compare shows all three)
    token: int | str | None = None
    unit: int | str | None = None
    convention: str | None = None  # the page's GRU convention, models.trace.GRU_CONVENTIONS
    pair: tuple[str, str] | None = None  # the Two sentences tab's texts
    edit: bool = False
    maps: tuple[str, ...] = ()  # the Read tab's maps the step talks about, e.g. ("output", "hidden")
    chart: str | None = None  # CHARTS; None: "maps" if maps, else TAB_CHARTS[tab]
    page: str = DEFAULT_PAGE  # the page the step opens (ui.page_keys.PAGES); the tabs are the sentiment page's
    layer: int | None = None  # the layer whose states the step's maps and the tab show (from 0), for a variant
    direction: int | None = None  # and the direction: 0 forward, 1 backward
    link: Mapping[str, str] = field(default_factory=dict)  # another page's view, as its own link's parameters
    #   (ui.lm_links, ui.units_links); "{field}" in a value is the claim field's value, e.g. {"unit": "{unit}"}

    def __post_init__(self) -> None:
        if self.page not in PAGES:
            raise ValueError(f"page must be one of {PAGES}, got {self.page!r}")
        if self.link and self.page not in LINKED_PAGES:
            raise ValueError(f"only the pages {LINKED_PAGES} are set by a link, not {self.page!r}")
        if self.page in LINKED_PAGES and any(getattr(self, name) is not None for name in
                                             ("text", "model", "token", "unit", "pair", "layer", "direction")):
            raise ValueError(f"the {self.page} page is set by link=, in its own link's parameters")
        if self.page != DEFAULT_PAGE and (self.tab is not None or self.maps):
            raise ValueError(f"a tab or maps belong to the {DEFAULT_PAGE} page, not to {self.page!r}")
        if self.tab is not None and self.tab not in TABS:
            raise ValueError(f"tab must be one of {TABS}, got {self.tab!r}")
        if self.model is not None and self.model not in SENTIMENT_MODELS:
            raise ValueError(f"model must be one of {SENTIMENT_MODELS}, got {self.model!r}")
        if (self.layer is not None or self.direction is not None) and self.model is None:
            raise ValueError("a layer or direction needs a model")
        if self.layer is not None and not 0 <= self.layer < parse_name(self.model).num_layers:
            raise ValueError(f"{self.model} has no layer {self.layer} (layers count from 0)")
        if self.direction is not None and not 0 <= self.direction < 1 + parse_name(self.model).bidirectional:
            raise ValueError(f"{self.model} has no direction {self.direction}")
        if self.convention is not None and self.convention not in GRU_CONVENTIONS:
            raise ValueError(f"convention must be one of {GRU_CONVENTIONS}, got {self.convention!r}")
        if self.maps and (self.tab != "tab_read" or self.model is None):
            raise ValueError(f"maps {self.maps} need tab='tab_read' and a model")
        if self.maps and not set(self.maps) <= set(DISPLAY_ORDER[parse_name(self.model).cell]):
            raise ValueError(f"maps must be among {DISPLAY_ORDER[parse_name(self.model).cell]}, got {self.maps}")
        if self.chart is not None and self.chart not in CHARTS:
            raise ValueError(f"chart must be one of {CHARTS}, got {self.chart!r}")

    @property
    def figure(self) -> str | None:
        """The chart the step draws in the lesson box (CHARTS), or None."""
        if self.chart is not None:
            return self.chart
        return "maps" if self.maps else TAB_CHARTS.get(self.tab)


@dataclass(frozen=True)
class Question:
    """Asked before the numbers are shown: the reader picks one choice, then the step's ``reveal`` is shown.
    ``answer`` names the claim field whose value is the right choice's key."""

    ask: Text
    choices: tuple[tuple[str, Text], ...]  # (key, names)
    answer: str


@dataclass(frozen=True)
class Step:
    view: View
    say: Text  # two to four sentences
    question: Question | None = None
    reveal: Text | None = None  # shown after the reader answers


@dataclass(frozen=True)
class Check:
    """A premise of the lesson: ``holds(claims)`` must be true on the shipped models."""

    name: str
    holds: Callable[[object], bool]
    says: str  # in English, for the failing test's message


@dataclass(frozen=True)
class Lesson:
    id: str  # the link's ``lesson=`` value
    title: Text
    archs: tuple[str, ...]  # models ``claims`` needs, by name (models.names: "lstm", "lstm_bi", "race_gru")
    claims: Callable[[Mapping[str, object]], object]  # models by arch -> a frozen dataclass of claims
    steps: tuple[Step, ...]
    checks: tuple[Check, ...] = ()
    edit: Callable[[object], object] | None = None  # claims -> a models.asking.intervene.Edit, for View(edit=True)
    edit_model: str = "lstm"
    words: Mapping[str, Text] = field(default_factory=dict)  # more word keys, over WORDS

    def __post_init__(self) -> None:
        for lang in LANGS:
            for texts in (self.title, *(s.say for s in self.steps)):
                if not texts.get(lang):
                    raise ValueError(f"lesson {self.id!r} lacks a {lang} text")
        if any(s.view.edit for s in self.steps) and self.edit is None:
            raise ValueError(f"lesson {self.id!r} shows an edit but has no edit=")
        for number, step in enumerate(self.steps, start=1):
            if (step.question is None) != (step.reveal is None):
                raise ValueError(
                    f"lesson {self.id!r} step {number}: a question needs a reveal, and a reveal a question"
                )


def values(lesson: Lesson, claims, lang: str) -> dict[str, object]:
    """The claims as placeholders: numbers as they are, token indices counted from 1, word keys in ``lang``
    (a word's own placeholders filled from the same numbers)."""
    words = {**WORDS, **lesson.words}
    numbers = {f.name: getattr(claims, f.name) + 1 if f.metadata.get(TOKEN_POSITION) else getattr(claims, f.name)
               for f in dataclasses.fields(claims)}
    return {name: words[value][lang].format(**numbers) if isinstance(value, str) and value in words else value
            for name, value in numbers.items()}


def fill(text: Text, lesson: Lesson, claims, lang: str) -> str:
    """``text`` in ``lang`` with its placeholders filled from ``claims``."""
    return text[lang].format(**values(lesson, claims, lang))


def placeholders(text: str) -> set[str]:
    """The claim names a template uses."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def resolved(value: int | str | None, claims) -> int | None:
    """A View's token or unit as an index: literal, or read from the named claim field."""
    return getattr(claims, value) if isinstance(value, str) else value


def link_params(view: View, claims) -> dict[str, str]:
    """A View's ``link`` with each value that is a whole "{field}" replaced by the claim field's value (any other
    value, braces and all, as written: a pattern such as 不.{0,3}好 stays a pattern)."""
    out = {}
    for name, value in view.link.items():
        field_name = re.fullmatch(r"\{(\w+)\}", value)
        out[name] = str(getattr(claims, field_name[1])) if field_name and claims is not None else value
    return out


def answer(question: Question, claims) -> str:
    """The key of the right choice."""
    key = getattr(claims, question.answer)
    if key not in {k for k, _ in question.choices}:
        raise ValueError(f"claim {question.answer} = {key!r} is none of the choices")
    return key
