"""The page: type a text, see how an RNN, an LSTM and a GRU read it, gate by gate. Run: streamlit run app.py

Streamlit runs this file as the page's script (as ``__main__``) for every visitor. ``streamlit run`` also
imports it once, when the server starts, and finds ``app``, an ``st.App`` whose lifespan (ui.warm) loads
the models and builds the first page before the server answers.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from models.pretrained import PretrainedError
from ui import share, state, warm
from ui.i18n import DEFAULT_LANG, error_text, t
from ui.lessons import lesson_player
from ui.source import LANG_KEY, init_state, language_switch, source_section, text_notes, token_chips
from ui.tabs import tabs_section

ICON = Path(__file__).resolve().parent / "ui" / "icon.png"  # a local file: Material icons load from Google


def main() -> None:
    share.open_link()  # once per session, before any widget: the view a link asks for
    page_lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)  # the radio below is not drawn yet
    st.set_page_config(page_title=t(page_lang, "page_title"), page_icon=str(ICON), layout="wide")
    init_state()
    head, switch = st.columns([5, 1])
    with switch:
        lang = language_switch()
    head.title(t(lang, "title"))
    st.caption(t(lang, "intro"))
    notes = st.container()  # what a link held that the page ignored, known by the end of the run
    try:
        state.load_models()
    except PretrainedError as err:
        st.error(t(lang, "load_error", error=error_text(lang, err.code, err.fields)), icon=":material/error:")
        st.caption(t(lang, "load_error_hint"))
        share.models_sidebar(lang)
        st.stop()

    lesson_player(lang)  # before the page's widgets: a lesson step sets them
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


if __name__ == "__main__":  # the page's script run
    main()
else:  # imported by `streamlit run app.py` to start the server
    app = st.App(__file__, lifespan=warm.lifespan)
