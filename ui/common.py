"""Small pieces every tab uses: drawing a figure, naming a model, choosing a model, saying a prediction."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from models.classifier import PREFIX_LIMIT
from models.names import parse_name
from ui import shapes, state
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
    """'RNN、LSTM' or 'RNN, 2-layer LSTM': the models' names, joined as ``lang`` writes a list."""
    return ("、" if lang == "zh" else ", ").join(shapes.model_name(lang, arch) for arch in archs)


def missing_models_note(lang: str) -> None:
    """A caption naming the models this session has no files for, if any (a folder or upload of one model)."""
    missing = state.missing_archs()
    if missing:
        st.caption(t(lang, "models_missing", models=model_list(lang, missing)))


def model_selector(lang: str, key: str, *, default: str = "lstm", archs: tuple[str, ...] | None = None) -> str:
    """A horizontal radio over the cells (default: those this session has models of, with a caption naming the
    cells not loaded) and, when the chosen cell has variants (``lstm_2layer``, ``lstm_bi``), a shape choice
    ``{key}_shape`` next to it, one layer by default; returns the model's name ("lstm", "lstm_bi", ...).

    ``st.session_state[key]`` holds the cell; a link or a lesson may also set it to a variant's name, which
    sets the shape too.
    """
    loaded = archs is None
    names = archs or state.names()
    cells = tuple(dict.fromkeys(parse_name(name).cell for name in names))
    asked = st.session_state.get(key)
    if asked in names and asked not in cells:  # a variant's name, from a link or a lesson
        st.session_state[key], st.session_state[f"{key}_shape"] = parse_name(asked).cell, shapes.shape_of(asked)
        for other in LANGS:  # the shape radio's widgets must not outvote the shape just asked for
            st.session_state.pop(f"{key}_shape_{other}", None)
    elif asked is not None and asked not in cells:  # a model an upload does not have
        del st.session_state[key]
    # The default goes into the state, not into index=: a lesson or a link sets this key too, and a widget with
    # both logs Streamlit's "created with a default value but also had its value set via the Session State API".
    default_cell = parse_name(default).cell if default in names else cells[0]
    st.session_state.setdefault(key, default_cell if default_cell in cells else cells[0])
    left, right = st.columns([3, 2])
    cell = left.radio(t(lang, "model"), cells, format_func=shapes.CELL_NAMES.__getitem__, horizontal=True, key=key)
    offered = tuple(shape for shape in shapes.SHAPES if shapes.name_of(cell, shape) in names)
    shape = offered[0]
    if len(offered) > 1:
        shape = translated_radio(lang, shapes.text(lang, "shape"), offered, f"{key}_shape",
                                 lambda s: shapes.text(lang, f"shape_{s}"), where=right, horizontal=True,
                                 help=shapes.text(lang, "shape_help"))
    elif offered:
        st.session_state.pop(f"{key}_shape", None)
    if loaded:
        missing_models_note(lang)
    st.session_state[f"{key}_name"] = shapes.name_of(cell, shape)  # what a link names (ui.share.current_view)
    return shapes.name_of(cell, shape)


def position_selector(lang: str, key: str, trace) -> tuple[int, int]:
    """The layer and direction of ``trace`` whose states a view draws, chosen with ``{key}_layer`` and
    ``{key}_direction`` (drawn only when the model has more than one); (0, 0) for a one-layer, one-way model.
    A caption says what an upper layer reads, and how a backward direction's maps read."""
    layers, directions = trace.num_layers, trace.num_directions
    if (layers, directions) == (1, 1):
        return 0, 0
    columns = iter(st.columns(2))  # the choices side by side, from the left
    layer = direction = 0
    if layers > 1:
        if st.session_state.get(f"{key}_layer", 0) >= layers:
            st.session_state.pop(f"{key}_layer")
        layer = translated_radio(lang, shapes.text(lang, "layer"), range(layers), f"{key}_layer",
                                 lambda n: shapes.text(lang, "layer_value", number=n + 1), where=next(columns),
                                 horizontal=True)
    if directions > 1:
        if st.session_state.get(f"{key}_direction", 0) >= directions:
            st.session_state.pop(f"{key}_direction")
        direction = translated_radio(lang, shapes.text(lang, "direction"), range(directions), f"{key}_direction",
                                     lambda d: shapes.text(lang, f"direction_{d}"), where=next(columns),
                                     horizontal=True)
    if layer > 0:
        st.caption(shapes.text(lang, "upper_layer_note", number=layer + 1, below=layer))
    if direction == 1:
        st.caption(shapes.text(lang, "backward_note"))
    return int(layer), int(direction)


def prefix_note(lang: str, trace) -> None:
    """For a bidirectional model: its per-token answers are what it would say had the text ended there."""
    if trace.num_directions == 2:
        st.caption(shapes.text(lang, "prefix_note", limit=PREFIX_LIMIT))


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
