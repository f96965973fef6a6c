"""The Two-sentences tab: one model on two texts, where their hidden states part."""
from __future__ import annotations

import streamlit as st

from ui import state
from ui.common import model_selector, position_selector, prediction_text, prefix_note, show, translated_radio
from ui.i18n import t, viz_labels
from ui.shapes import model_name
from ui.source import PAIR_KEYS
from viz.difference import METRICS, sentence_difference


def pair_tab(lang: str, mode: str) -> None:
    st.subheader(t(lang, "pair_heading"))
    st.caption(t(lang, "pair_caption"))
    left, right = st.columns(2)
    first = left.text_input(t(lang, "pair_a"), key=PAIR_KEYS[0])
    second = right.text_input(t(lang, "pair_b"), key=PAIR_KEYS[1])
    left, right = st.columns(2)
    with left:
        arch = model_selector(lang, "pair_model")
    metric = translated_radio(
        lang, t(lang, "metric"), METRICS, "pair_metric", lambda m: t(lang, f"metric_{m}"), where=right,
        horizontal=True,
    )
    try:
        a = state.analyze(arch, first, mode).analysis
        b = state.analyze(arch, second, mode).analysis
    except state.EmptyTextError:
        st.info(t(lang, "pair_empty"))
        return
    for column, key, analysis in zip(st.columns(2), PAIR_KEYS, (a, b)):
        column.metric(t(lang, "pair_prediction", model=model_name(lang, arch), sentence=t(lang, key)),
                      prediction_text(lang, analysis))
    prefix_note(lang, a.trace)
    layer, direction = position_selector(lang, "pair", a.trace)
    show(sentence_difference(a.trace, b.trace, layer=layer, direction=direction, metric=metric,
                             labels=viz_labels(lang)), key="pair_difference")
