"""The frame around every page (``st.navigation``): the pages' menu, the title, the language switch, the GRU convention
and the lesson player, shared by every page; then the page itself runs.

app.py calls ``frame()`` on every run. Before any widget is drawn, the page's own link is applied (once per session
and page), so that ``?lang=en`` or ``?gru=torch`` sets the shared switches on whichever page it opens. Widgets of
one page are not drawn while another page is shown, and Streamlit forgets the value of a widget not drawn in a run:
``KEPT_KEYS`` are written back at the start of every run, so that a text typed on one page is still there after a
visit to another.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import streamlit as st

from models.pretrained import PretrainedError
from ui import lm, race, share, units
from ui.i18n import DEFAULT_LANG, LANGS, t
from ui.lessons import lesson_player
from ui.page_keys import DEFAULT_PAGE, PAGE_FILES, PAGES, URL_PATHS, page_of_path
from ui.source import LANG_KEY, PAIR_KEYS, TEXT_KEY, init_state, language_switch
from ui.tabs import convention_switch

ICON = Path(__file__).resolve().parent / "icon.png"  # a local file: Material icons load from Google
KEPT_KEYS = (  # widget values a visit to another page must not drop
    TEXT_KEY, *PAIR_KEYS, *(f"{tab}_model" for tab in share.MODEL_TABS), *share.STEP_KEYS.values(), *race.KEPT_KEYS,
    *lm.KEPT_KEYS, *units.KEPT_KEYS,
)
LINK_OPENERS: Mapping[str, Callable[[], None]] = {"sentiment": share.open_link, "race": race.open_link,
                                                   "lm": lm.open_link, "units": units.open_link}

STRINGS = {
    "zh": {"page_sentiment": "情感分类：读一句话", "page_race": "记忆赛跑", "page_lm": "字符语言模型",
           "page_units": "自己找到特征的单元"},
    "en": {"page_sentiment": "Sentiment: read a text", "page_race": "The memory race",
           "page_lm": "Character language models", "page_units": "Units that found a feature"},
}


def page_name(lang: str, page: str) -> str:
    """The page's name in the menu, in ``lang``."""
    return STRINGS.get(lang, STRINGS[DEFAULT_LANG])[f"page_{page}"]


def _pages(lang: str) -> list:
    # No page icons: a material icon there becomes the tab's favicon, fetched from Google's servers (the page must
    # work offline); the favicon is the local ui/icon.png of set_page_config.
    return [st.Page(PAGE_FILES[page], title=page_name(lang, page), default=page == DEFAULT_PAGE,
                    **({} if page == DEFAULT_PAGE else {"url_path": URL_PATHS[page]})) for page in PAGES]


def _first_lang() -> str:
    """The language of this run's menu: the session's, or, before a link is applied, the one it asks for."""
    if LANG_KEY in st.session_state:
        return st.session_state[LANG_KEY]
    asked = st.query_params.get("lang")
    return asked if asked in LANGS else DEFAULT_LANG


def _keep_widget_state() -> None:
    """Write back the values of the widgets that are not on every page (see the module doc)."""
    for key in KEPT_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def _heading(lang: str, page: str) -> tuple[str, str]:
    if page == "race":
        return race.heading(lang)
    if page == "lm":
        return lm.heading(lang)
    if page == "units":
        return units.heading(lang)
    return t(lang, "title"), t(lang, "intro")


def frame() -> None:
    """One run of the app: the menu, the page's link, the shared head (title, language, GRU convention, lessons),
    then the page."""
    current = st.navigation(_pages(_first_lang()), position="top")
    page = page_of_path(current.url_path)
    _keep_widget_state()
    LINK_OPENERS[page]()  # once per session and page, before any widget: the view a link asks for
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)  # the radio below is not drawn yet
    st.set_page_config(page_title=t(lang, "page_title"), page_icon=str(ICON), layout="wide")
    init_state()
    head, switch = st.columns([5, 1])
    with switch:
        lang = language_switch()
    title, intro = _heading(lang, page)
    head.title(title)
    st.caption(intro)
    convention_switch(lang)
    try:
        lesson_player(lang, page)  # before the page's widgets: a lesson step sets them
    except PretrainedError:
        pass  # the sentiment models could not be loaded: the sentiment page says which file and why
    current.run()
