"""What every page other than the sentiment page does with its link: apply it once per session, keep the URL on the
view shown (with the lesson player's place), and say what a link held that the page ignored."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import streamlit as st

from ui.common import literal
from ui.i18n import t
from ui.lesson_links import LESSON_PARAM, STEP_PARAM
from ui.links import Note


def sync_url(params: Mapping[str, str]) -> None:
    """The URL's query becomes ``params`` (the page's view), keeping the lesson and step a lesson link put there."""
    current = st.query_params.to_dict()
    wanted = {**params, **{k: v for k, v in current.items() if k in (LESSON_PARAM, STEP_PARAM)}}
    if current != wanted:
        st.query_params.from_dict(wanted)


def show_link_notes(lang: str, notes: Iterable[Note]) -> None:
    """One warning per part of the link the page could not use."""
    for note in notes:
        st.warning(t(lang, f"link_note_{note.reason}", param=literal(note.param), value=literal(note.value[:80]),
                     allowed=", ".join(note.allowed) or "—"), icon=":material/link_off:")


def open_page_link(applied_key: str, notes_key: str, parse: Callable[[Mapping], tuple[object, tuple[Note, ...]]],
                   apply: Callable[[object], Iterable[Note] | None]) -> None:
    """Once per session (``applied_key``), before any widget is drawn: ``apply`` the view the URL's query asks for
    (``parse``: the page's link parser); the notes of both go to ``notes_key``."""
    if st.session_state.get(applied_key):
        return
    st.session_state[applied_key] = True
    view, notes = parse({name: st.query_params.get_all(name) for name in st.query_params})
    st.session_state[notes_key] = (*notes, *(apply(view) or ()))
