"""Each figure as a file, offline: the toolbar's camera saves a PNG or SVG with a descriptive name at twice
the size, and a button below builds a standalone HTML page (plotly.js inlined) only when clicked."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui.i18n import DEFAULT_LANG, t
from viz.export import file_name, image_options, standalone_html

IMAGE_FORMATS = ("png", "svg")
IMAGE_FORMAT_KEY = "image_format"  # the page's choice for every toolbar (ui.share draws it)
LANG_KEY = "lang"  # ui.source's language radio
TEXT_KEY = "text"  # ui.source's text area
TEXT_IN_NAME = 12  # characters of the text a file name carries


def default_name(fig: go.Figure, key: str) -> str:
    """``rnn-gates_{key}_{model}_{title}_{text}``: the chart, the model its tab shows (the ``{tab}_model``
    choice of the tab a key starts with), what the title says, and the start of the text."""
    tab = key.split("_", 1)[0]
    model = st.session_state.get(f"{tab}_model_name") or st.session_state.get(f"{tab}_model")
    text = str(st.session_state.get(TEXT_KEY) or "")[:TEXT_IN_NAME]
    return file_name(key, model.upper() if isinstance(model, str) else "", fig.layout.title.text or "", text)


def figure_config(fig: go.Figure, key: str, filename: str | None, base: dict) -> dict:
    """``base`` (Plotly's config) with the toolbar's image download named and scaled."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)  # the radio's own value: this run's choice
    image_format = st.session_state.get(f"{IMAGE_FORMAT_KEY}_{lang}") or st.session_state.get(IMAGE_FORMAT_KEY)
    image_format = image_format if image_format in IMAGE_FORMATS else IMAGE_FORMATS[0]
    return {**base, "toImageButtonOptions": image_options(filename or default_name(fig, key), image_format)}


def html_download(fig: go.Figure, key: str, filename: str | None) -> None:
    """A small button that saves ``fig`` as a standalone HTML page, built on click (about 5 MB)."""
    lang = st.session_state.get(LANG_KEY, DEFAULT_LANG)
    name = filename or default_name(fig, key)
    st.download_button(
        t(lang, "figure_html"), data=lambda: standalone_html(fig, title=name), file_name=f"{name}.html",
        mime="text/html", key=f"{key}_html", on_click="ignore", type="tertiary", icon=":material/download:",
        help=t(lang, "figure_html_help"),
    )
