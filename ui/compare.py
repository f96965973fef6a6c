"""The Compare tab: RNN, LSTM and GRU on the same tokens — predictions, curves, one state side by side."""
from __future__ import annotations

import streamlit as st

from ui import state
from ui.common import MODEL_NAMES, curve_caption, missing_models_note, prediction_text, show, spread, translated_radio
from ui.i18n import t, viz_labels
from viz.compare import model_comparison
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
            st.metric(MODEL_NAMES[arch], prediction_text(lang, analyses[arch]))
            accuracy = metrics.get("accuracy")
            card = models[arch].card
            st.caption(
                f"{t(lang, 'parameters')}: {models[arch].parameter_count:,} · "
                f"{t(lang, 'test_accuracy')}: {'—' if accuracy is None else f'{accuracy:.1%}'}  \n"
                f"{t(lang, 'col_contrast')}: {spread(card, 'contrast_accuracy')} · "
                f"{t(lang, 'col_turn')}: {spread(card, 'contrast_turn_rate')}"
            )
    st.caption(t(lang, "compare_suites_caption"))
    traces = {MODEL_NAMES[arch]: analyses[arch].trace for arch in archs}
    show(prediction_curve(traces, labels=labels), key="compare_curve")
    st.caption(curve_caption(lang, analyses[archs[0]].trace))
    chosen = translated_radio(
        lang, t(lang, "state"), STATES, "compare_state", lambda s: labels.get(s, s), horizontal=True,
    )
    show(model_comparison(traces, state=chosen, labels=labels), key="compare_states")
