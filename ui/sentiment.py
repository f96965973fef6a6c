"""The sentiment page, inside the frame (ui.frame): the text, its tokens, the tabs, and the sidebar's share and export.

The frame has drawn the title, the language switch, the GRU convention and the lesson player, and applied the
page's link (``ui.share.open_link``) before them.
"""
from __future__ import annotations

import streamlit as st

from models.pretrained import PretrainedError
from ui import share, state
from ui.i18n import DEFAULT_LANG, error_text, t
from ui.source import LANG_KEY, source_section, text_notes, token_chips
from ui.tabs import tabs_section


def sentiment_page() -> None:
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    notes = st.container()  # what a link held that the page ignored, known by the end of the run
    try:
        state.load_models()
    except PretrainedError as err:
        st.error(t(lang, "load_error", error=error_text(lang, err.code, err.fields)), icon=":material/error:")
        st.caption(t(lang, "load_error_hint"))
        share.models_sidebar(lang)
        st.stop()
    source = source_section(lang)
    try:
        result = state.analyze(state.main_arch(), source.text, source.mode)
    except state.EmptyTextError:
        st.info(t(lang, "empty_text"), icon=":material/edit:")
        share.finish(lang, None, None)
        share.show_notes(lang, notes)
        return
    token_chips(result.analysis.tokens, result.analysis.unknown, lang)
    text_notes(result, lang, traditional=state.reads_traditional(source.text))
    share.settle(result.tokens_read)
    opened = tabs_section(lang, source)
    share.finish(lang, opened, result.tokens_read)
    share.show_notes(lang, notes)
