"""Small pieces every tab uses: drawing a figure, naming a model, choosing a model, saying a prediction."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ui import state
from ui.figure_files import figure_config, html_download
from ui.i18n import LANGS, class_name, t

# Characters that Markdown (or Streamlit's $...$ maths) would act on, as HTML entities: user text shown
# through st.markdown stays literal text.
_MARKDOWN_ENTITIES = {ch: f"&#{ord(ch)};" for ch in "\\`*_{}[]()#+-.!|~$<>&\"'"}
MODEL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
PLOTLY_CONFIG = {"displaylogo": False, "scrollZoom": False}


def literal(text: str) -> str:
    """``text`` for st.markdown (with or without HTML): every HTML and Markdown character as an entity."""
    return "".join(_MARKDOWN_ENTITIES.get(ch, ch) for ch in text)


def translated_radio(lang: str, label: str, options, key: str, names, *, where=st, **kwargs):
    """A radio whose option names change with the language, keeping its choice across a switch.

    Streamlit takes a radio whose option names changed for a new widget: after a language switch it
    showed no option selected, and could fall back to the first one (a GRU convention a teacher
    had picked, say). So each language has its own widget, ``{key}_{lang}``, and the choice itself
    is kept in ``st.session_state[key]``. ``names`` maps an option to its name in ``lang``.
    """
    options = tuple(options)
    for other in LANGS:  # a stale widget of another language (left by an interrupted run) must not win later
        if other != lang:
            st.session_state.pop(f"{key}_{other}", None)
    kept = st.session_state.get(key, options[0])
    choice = where.radio(
        label, options, index=options.index(kept) if kept in options else 0, format_func=names,
        key=f"{key}_{lang}", **kwargs,
    )
    st.session_state[key] = choice
    return choice


def show(fig: go.Figure, key: str, filename: str | None = None) -> None:
    """Draw ``fig`` across the page's width. Its toolbar saves a PNG or SVG named ``filename`` (default: from
    ``key`` and the title), and a button below saves it as standalone HTML (ui.figure_files)."""
    st.plotly_chart(fig, key=key, width="stretch", config=figure_config(fig, key, filename, PLOTLY_CONFIG))
    html_download(fig, key, filename)


def model_list(lang: str, archs) -> str:
    """'RNN、LSTM' or 'RNN, LSTM': the models' names, joined as ``lang`` writes a list."""
    return ("、" if lang == "zh" else ", ").join(MODEL_NAMES[arch] for arch in archs)


def missing_models_note(lang: str) -> None:
    """A caption naming the models this session has no files for, if any (a folder or upload of one model)."""
    missing = state.missing_archs()
    if missing:
        st.caption(t(lang, "models_missing", models=model_list(lang, missing)))


def model_selector(lang: str, key: str, *, default: str = "lstm", archs: tuple[str, ...] | None = None) -> str:
    """A horizontal radio over the models (default: those this session has, ``state.archs()``, with a caption
    naming the models not loaded); returns the arch."""
    loaded = archs is None
    archs = archs or state.archs()
    if st.session_state.get(key, archs[0]) not in archs:  # a model an upload does not have
        del st.session_state[key]
    # The default goes into the state, not into index=: a lesson or a link sets this key too, and a widget with
    # both logs Streamlit's "created with a default value but also had its value set via the Session State API".
    st.session_state.setdefault(key, default if default in archs else archs[0])
    chosen = st.radio(t(lang, "model"), archs, format_func=MODEL_NAMES.__getitem__, horizontal=True, key=key)
    if loaded:
        missing_models_note(lang)
    return chosen


def curve_caption(lang: str, trace) -> str:
    """What the prediction curve shows: one class's probability, or, for more than two classes, every class's."""
    return t(lang, "curve_caption_classes" if len(trace.labels) > 2 else "curve_caption")


def prediction_text(lang: str, analysis) -> str:
    """'positive (82.4%)' in ``lang``."""
    return t(lang, "prediction_value", label=class_name(lang, analysis.label), prob=analysis.probability)


SUITE_COLUMNS = (  # (summary name in a card's seeds, i18n key of its column)
    ("test_accuracy", "col_test_seeds"),
    ("contrast_accuracy", "col_contrast"),
    ("contrast_turn_rate", "col_turn"),
    ("negation_accuracy", "col_negation"),
    ("intensifier_accuracy", "col_intensifier"),
    ("word_order_accuracy", "col_word_order"),
)


def spread(card: dict, name: str) -> str:
    """'95.2% ± 1.3' from a card's seed summary: the mean over seeds and its standard deviation, in points."""
    entry = card.get("seeds", {}).get("summary", {}).get(name)
    if not entry:
        return "—"
    if entry.get("seeds", 1) < 2:
        return f"{entry['mean']:.1%}"
    return f"{entry['mean']:.1%} ± {100 * entry['std']:.1f}"
