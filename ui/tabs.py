"""The tabs under the text, and the one GRU convention they all show (its switch is in the frame, ui.frame, above
every page). Only the open tab runs and draws."""
from __future__ import annotations

import streamlit as st

from models.trace import GRU_CONVENTIONS
from ui.about import about_tab
from ui.common import translated_radio
from ui.compare import compare_tab
from ui.i18n import TABS, t
from ui.memory import memory_tab
from ui.pair import pair_tab
from ui.read import read_tab
from ui.source import Source
from ui.step import step_tab
from ui.whatif import whatif_tab

TAB_KEY = "tab"  # the open tab's label, kept by Streamlit
OPEN_KEY = "tab_open"  # the open tab's string key, so that a language switch keeps it open
CONVENTION_KEY = "convention"  # the page's GRU convention, kept across languages by translated_radio
WITHHELD_KEY = "lesson_withheld"  # True while a lesson step's question is unanswered: the open tab would tell it
STEP_PAGE_KEY = "lesson_step_page"  # the page (ui.page_keys) of the lesson step shown, None without a lesson


def withheld_on(page: str) -> bool:
    """True while a lesson step about ``page`` asks a question the page would answer."""
    return bool(st.session_state.get(WITHHELD_KEY)) and st.session_state.get(STEP_PAGE_KEY) == page


def convention_switch(lang: str) -> str:
    """The page-level GRU convention, models.trace.GRU_CONVENTIONS (textbook first, the default)."""
    return translated_radio(
        lang, t(lang, "convention"), GRU_CONVENTIONS, CONVENTION_KEY, lambda c: t(lang, f"convention_{c}"),
        horizontal=True, help=t(lang, "convention_help"),
    )


def current_convention() -> str:
    """The page's GRU convention as the frame's switch (``convention_switch``) holds it."""
    return st.session_state.get(CONVENTION_KEY, GRU_CONVENTIONS[0])


def tabs_section(lang: str, source: Source) -> str:
    """Draw the tabs and the open one's content; returns the open tab's string key."""
    convention = current_convention()
    labels = [t(lang, key) for key in TABS]
    if st.session_state.get(TAB_KEY) not in labels:  # first run, or the language was switched
        st.session_state[TAB_KEY] = t(lang, st.session_state.get(OPEN_KEY, TABS[0]))
    tabs = st.tabs(labels, key=TAB_KEY, on_change="rerun")
    text, mode = source.text, source.mode
    draw = {
        "tab_read": lambda: read_tab(lang, text, mode, convention),
        "tab_compare": lambda: compare_tab(lang, text, mode),
        "tab_step": lambda: step_tab(lang, text, mode, convention),
        "tab_pair": lambda: pair_tab(lang, mode),
        "tab_memory": lambda: memory_tab(lang, text, mode, convention),
        "tab_whatif": lambda: whatif_tab(lang, text, mode, convention),
        "tab_about": lambda: about_tab(lang, text, mode),
    }
    opened = TABS[0]
    for key, tab in zip(TABS, tabs):
        if tab.open:
            opened = key
            with tab:
                if st.session_state.get(WITHHELD_KEY):
                    st.info(t(lang, "lesson_withheld"), icon=":material/visibility_off:")
                else:
                    draw[key]()
    st.session_state[OPEN_KEY] = opened
    return opened
