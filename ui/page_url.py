"""What every page other than the sentiment page does with its link: keep the URL on the view shown (with the
lesson player's place), and say what a link held that the page ignored."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

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
