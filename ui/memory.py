"""The Memory tab: how long a token's content survives (retention map) and how switch-like the gates are."""
from __future__ import annotations

import streamlit as st

from ui import state
from ui.common import model_selector, show
from ui.i18n import t, viz_labels
from viz.retention import RETAIN_GATE, retention_map
from viz.saturation import HIGH, LOW, gate_saturation, saturation_figure, saturation_from_fractions

THRESHOLD_STEP = 0.05
THRESHOLDS_KEPT = "memory_thresholds_kept"


def memory_tab(lang: str, text: str, mode: str, convention: str) -> None:
    st.subheader(t(lang, "memory_heading"))
    arch = model_selector(lang, "memory_model")
    trace = state.analyze(arch, text, mode).analysis.trace
    labels = viz_labels(lang)
    if arch in RETAIN_GATE:
        st.caption(t(lang, "retention_caption"))
        show(retention_map(trace, convention=convention, labels=labels), key="memory_retention")
    else:
        st.info(t(lang, "no_retention_rnn"))

    st.subheader(t(lang, "saturation_heading"))
    low, high = st.session_state.get(THRESHOLDS_KEPT, (LOW, HIGH))  # kept while the RNN (no slider) is shown
    if trace.gates:
        low, high = st.slider(
            t(lang, "thresholds"), min_value=0.0, max_value=1.0, value=(low, high), step=THRESHOLD_STEP,
            key="memory_thresholds",
        )
        st.session_state[THRESHOLDS_KEPT] = (low, high)
        st.caption(t(lang, "saturation_caption"))
        show(gate_saturation(trace, low=low, high=high, convention=convention, labels=labels),
             key="memory_saturation")
    else:
        st.info(t(lang, "no_saturation_rnn"))
    _corpus_saturation(lang, arch, convention, labels)


def _corpus_saturation(lang: str, arch: str, convention: str, labels: dict) -> None:
    """The same scatter over every review of the test split, precomputed by models.batch."""
    found = state.corpus_saturation()
    model = (found or {}).get("models", {}).get(arch)
    if not model or not model.get("gates"):
        return
    st.subheader(t(lang, "corpus_saturation_heading"))
    st.caption(t(lang, "corpus_saturation_caption", texts=found["texts"], steps=model["steps"],
                 low=found["low"], high=found["high"]))
    data = saturation_from_fractions(model["gates"], steps=model["steps"], low=found["low"], high=found["high"],
                                     convention=convention)
    title = t(lang, "corpus_saturation_title", texts=found["texts"], steps=model["steps"])
    show(saturation_figure(data, title=title, convention=convention, labels=labels), key="memory_corpus_saturation")
