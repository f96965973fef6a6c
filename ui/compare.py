"""The Compare tab: RNN, LSTM and GRU on the same tokens — predictions, curves, one state side by side — and one
cell's shapes (one layer, two layers, both ways) side by side, every layer and direction."""
from __future__ import annotations

import streamlit as st

from models.names import parse_name
from ui import shapes, state
from ui.common import curve_caption, missing_models_note, prediction_text, prefix_note, show, spread, translated_radio
from ui.i18n import t, viz_labels
from viz.compare import every_position, model_comparison, position_comparison
from viz.prediction import prediction_curve

STATES = ("hidden", "cell")  # the cell state exists only in the LSTM; the figure says so


def compare_tab(lang: str, text: str, mode: str) -> None:
    models = state.load_models()
    archs = state.archs()
    analyses = {arch: state.analyze(arch, text, mode).analysis for arch in archs}
    labels = viz_labels(lang)
    st.subheader(t(lang, "compare_heading"))
    st.caption(t(lang, "compare_caption"))
    missing_models_note(lang)
    for col, arch in zip(st.columns(len(archs)), archs):
        metrics = models[arch].card.get("metrics", {}).get("test", {})
        with col:
            st.metric(shapes.model_name(lang, arch), prediction_text(lang, analyses[arch]))
            accuracy = metrics.get("accuracy")
            card = models[arch].card
            st.caption(
                f"{t(lang, 'parameters')}: {models[arch].parameter_count:,} · "
                f"{t(lang, 'test_accuracy')}: {'—' if accuracy is None else f'{accuracy:.1%}'}  \n"
                f"{t(lang, 'col_contrast')}: {spread(card, 'contrast_accuracy')} · "
                f"{t(lang, 'col_turn')}: {spread(card, 'contrast_turn_rate')}"
            )
    st.caption(t(lang, "compare_suites_caption"))
    traces = {shapes.model_name(lang, arch): analyses[arch].trace for arch in archs}
    show(prediction_curve(traces, labels=labels), key="compare_curve")
    st.caption(curve_caption(lang, analyses[archs[0]].trace))
    chosen = translated_radio(
        lang, t(lang, "state"), STATES, "compare_state", lambda s: labels.get(s, s), horizontal=True,
    )
    show(model_comparison(traces, state=chosen, labels=labels), key="compare_states")
    _shapes_section(lang, text, mode, chosen)


def _shapes_section(lang: str, text: str, mode: str, chosen: str) -> None:
    """One cell in every shape this session has (when it has more than one): answers, curves, and the chosen
    state of every layer and direction stacked on the text's token axis."""
    models = state.load_models()
    cells = tuple(dict.fromkeys(parse_name(n).cell for n in models if len(state.shapes(parse_name(n).cell)) > 1))
    if not cells:
        return
    st.subheader(shapes.text(lang, "compare_shapes_heading"))
    kept = st.session_state.get("compare_cell")
    if kept not in cells:
        st.session_state["compare_cell"] = "lstm" if "lstm" in cells else cells[0]
    cell = st.radio(shapes.text(lang, "compare_shapes_cell"), cells, format_func=shapes.CELL_NAMES.__getitem__,
                    horizontal=True, key="compare_cell")
    st.caption(shapes.text(lang, "compare_shapes_caption", cell=shapes.CELL_NAMES[cell]))
    names = state.shapes(cell)
    analyses = {name: state.analyze(name, text, mode).analysis for name in names}
    for col, name in zip(st.columns(len(names)), names):
        with col:
            st.metric(shapes.model_name(lang, name), prediction_text(lang, analyses[name]))
            card = models[name].card
            st.caption(f"{t(lang, 'parameters')}: {models[name].parameter_count:,} · "
                       f"{t(lang, 'col_contrast')}: {spread(card, 'contrast_accuracy')}")
    labels = viz_labels(lang)
    traces = {shapes.model_name(lang, name): analyses[name].trace for name in names}
    show(prediction_curve(traces, labels=labels), key="compare_shapes_curve")
    both_ways = [a.trace for a in analyses.values() if a.trace.num_directions == 2]
    if both_ways:
        prefix_note(lang, both_ways[0])
    rows = [row for name in names for row in every_position(shapes.model_name(lang, name), analyses[name].trace,
                                                            labels)]
    show(position_comparison(rows, state=chosen, labels=labels), key="compare_shapes_states")
