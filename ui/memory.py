"""The Memory tab: how long a token's content survives (retention map), how switch-like the gates are, and how far
back the gradient reaches in each model."""
from __future__ import annotations

import math

import streamlit as st

from models.asking.gradients import log10_retention, retention_gradient_agreement
from ui import state
from ui.common import MODEL_NAMES, literal, missing_models_note, model_selector, show
from ui.i18n import t, viz_labels
from viz.gradients import (
    distance_curves,
    distance_data,
    retention_gradient_data,
    retention_gradient_scatter,
    saliency_bars,
    saliency_data,
)
from viz.retention import RETAIN_GATE, retention_map
from viz.saturation import HIGH, LOW, gate_saturation, saturation_figure, saturation_from_fractions

THRESHOLD_STEP = 0.05
THRESHOLDS_KEPT = "memory_thresholds_kept"
AGREEMENT_KEYS = {  # models.asking.gradients.rho_relation -> the string key of the line saying it
    "together": "strong", "partly": "weak", "unrelated": "unrelated", "partly_opposed": "weak_opposite",
    "opposed": "opposite",
}


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
    _gradient_paths(lang, text, mode, convention, labels)


def _corpus_saturation(lang: str, arch: str, convention: str, labels: dict) -> None:
    """The same scatter over every review of the test split, precomputed by models.files.batch."""
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


def _gradient_paths(lang: str, text: str, mode: str, convention: str, labels: dict) -> None:
    """Saliency, the distance curve and retention against gradient, for every loaded model on this text."""
    st.subheader(t(lang, "gradients_heading"))
    archs = state.archs()
    missing_models_note(lang)
    runs = {arch: state.analyze_edited(arch, text, mode) for arch in archs}  # the tokens the gradients read
    paths = {arch: state.gradient_paths(arch, text, mode) for arch in archs}
    read = runs[archs[0]]
    if read.tokens_read < read.tokens_total:
        st.caption(t(lang, "gradients_cut", kept=read.tokens_read, total=read.tokens_total))
    st.caption(t(lang, "saliency_caption"))
    for arch in archs:
        data = saliency_data(paths[arch], class_labels=runs[arch].analysis.trace.labels)
        show(saliency_bars(data, labels=labels), key=f"memory_saliency_{arch}")
    st.caption(t(lang, "distance_caption"))
    show(distance_curves(distance_data(paths), labels=labels), key="memory_distance")
    st.caption(t(lang, "retention_gradient_caption"))
    for arch in (arch for arch in RETAIN_GATE if arch in runs):
        trace = runs[arch].analysis.trace
        found = retention_gradient_agreement(trace, paths[arch].curve)
        # one above the other: side by side, a 78-token map had no room for its token labels
        show(retention_map(trace, convention=convention, labels=labels), key=f"memory_gradient_retention_{arch}")
        scatter = retention_gradient_data(paths[arch], log10_retention(trace), rho=found.rho)
        show(retention_gradient_scatter(scatter, labels=labels), key=f"memory_scatter_{arch}")
        st.markdown(_agreement(lang, arch, found, trace.tokens))


def _agreement(lang: str, arch: str, found, tokens: tuple[str, ...]) -> str:
    """One line: whether retention and gradient tell the same story, and the token where they part most."""
    if math.isnan(found.rho):
        return t(lang, "agreement_none", model=MODEL_NAMES[arch])
    if found.apart is None:
        return t(lang, "agreement_same", model=MODEL_NAMES[arch], rho=found.rho, count=found.tokens)
    key = AGREEMENT_KEYS[found.strength]
    return t(lang, f"agreement_{key}", model=MODEL_NAMES[arch], rho=found.rho, token=literal(tokens[found.apart]),
             step=found.apart + 1,  # a reader counts tokens from 1
             retention_rank=found.retention_rank, gradient_rank=found.gradient_rank, count=found.tokens)
