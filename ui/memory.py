"""The Memory tab: how long a token's content survives (retention map), how switch-like the gates are, and how far
back the gradient reaches in each model."""
from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from models.asking.gradients import log10_retention, retention_gradient_agreement
from models.names import parse_name
from ui import shapes, state
from ui.common import literal, missing_models_note, model_selector, position_selector, show
from ui.i18n import t, viz_labels
from viz.gradients import (
    distance_curves,
    distance_data,
    retention_gradient_data,
    retention_gradient_scatter,
    saliency_bars,
    saliency_data,
)
from viz.labels import position_text
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
    name = model_selector(lang, "memory_model")
    arch = parse_name(name).cell
    trace = state.analyze(name, text, mode).analysis.trace
    layer, direction = position_selector(lang, "memory", trace)
    labels = viz_labels(lang)
    if arch in RETAIN_GATE:
        st.caption(t(lang, "retention_caption"))
        show(retention_map(trace, layer=layer, direction=direction, convention=convention, labels=labels),
             key="memory_retention")
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
        show(gate_saturation(trace, low=low, high=high, layer=layer, direction=direction, convention=convention,
                             labels=labels), key="memory_saturation")
    else:
        st.info(t(lang, "no_saturation_rnn"))
    _corpus_saturation(lang, name, convention, labels, (layer, direction), (trace.num_layers, trace.num_directions))
    _gradient_paths(lang, text, mode, convention, labels, name, (layer, direction))


def _corpus_saturation(lang: str, arch: str, convention: str, labels: dict, position: tuple[int, int],
                       shape: tuple[int, int]) -> None:
    """The same scatter over every review of the test split, precomputed by models.files.batch, at ``position``
    (layer, direction): layer 0 forward at the top of the model's entry, the others under "layers"
    (models.saturation.LayerSaturation.summary)."""
    found = state.corpus_saturation()
    model = (found or {}).get("models", {}).get(arch)
    layer, direction = position
    if model and position != (0, 0):
        try:
            model = {"steps": model["steps"], **model["layers"][layer][direction]}
        except (KeyError, IndexError, TypeError):
            return
    if not model or not model.get("gates"):
        return
    st.subheader(t(lang, "corpus_saturation_heading"))
    st.caption(t(lang, "corpus_saturation_caption", texts=found["texts"], steps=model["steps"],
                 low=found["low"], high=found["high"]))
    data = saturation_from_fractions(model["gates"], steps=model["steps"], low=found["low"], high=found["high"],
                                     convention=convention)
    title = t(lang, "corpus_saturation_title", texts=found["texts"], steps=model["steps"]) + position_text(
        labels, layer, direction, shape=shape)
    show(saturation_figure(data, title=title, convention=convention, labels=labels), key="memory_corpus_saturation")


def _gradient_paths(lang: str, text: str, mode: str, convention: str, labels: dict, chosen: str,
                    position: tuple[int, int]) -> None:
    """Saliency, the distance curve and retention against gradient, for every one-layer model on this text and
    for the chosen model at the chosen layer and direction (and, for a deeper one, its curve through depth)."""
    st.subheader(t(lang, "gradients_heading"))
    names = state.archs()
    names += (chosen,) if chosen not in names else ()
    missing_models_note(lang)
    layer, direction = position
    where = {name: (layer, direction) if name == chosen else (None, 0) for name in names}  # None: the top layer
    runs = {name: state.analyze_edited(name, text, mode) for name in names}  # the tokens the gradients read
    paths = {name: state.gradient_paths(name, text, mode, *where[name]) for name in names}
    read = runs[names[0]]
    if read.tokens_read < read.tokens_total:
        st.caption(t(lang, "gradients_cut", kept=read.tokens_read, total=read.tokens_total))
    st.caption(t(lang, "saliency_caption"))
    for name in names:
        data = saliency_data(paths[name], class_labels=runs[name].analysis.trace.labels)
        show(saliency_bars(data, labels=labels), key=f"memory_saliency_{name}")
    st.caption(t(lang, "distance_caption"))
    curves = {_curve_name(lang, name, paths[name].curve, runs[name].analysis.trace): paths[name] for name in names}
    for name in names:
        if paths[name].depth is not None:
            curves[shapes.text(lang, "depth_curve", model=shapes.model_name(lang, name))] = replace(
                paths[name], curve=paths[name].depth)
    show(distance_curves(distance_data(curves), labels=labels), key="memory_distance")
    if any(paths[name].depth is not None for name in names):
        st.caption(shapes.text(lang, "depth_caption"))
    st.caption(t(lang, "retention_gradient_caption"))
    for name in (name for name in names if parse_name(name).cell in RETAIN_GATE):
        trace, curve = runs[name].analysis.trace, paths[name].curve
        found = retention_gradient_agreement(trace, curve)
        # one above the other: side by side, a 78-token map had no room for its token labels
        show(retention_map(trace, layer=curve.layer, direction=curve.direction, convention=convention,
                           labels=labels), key=f"memory_gradient_retention_{name}")
        scatter = retention_gradient_data(paths[name], log10_retention(trace, layer=curve.layer,
                                                                       direction=curve.direction), rho=found.rho)
        show(retention_gradient_scatter(scatter, labels=labels), key=f"memory_scatter_{name}")
        st.markdown(_agreement(lang, name, found, trace.tokens))


def _curve_name(lang: str, name: str, curve, trace) -> str:
    """The model's name, with the layer and direction of its curve when it has more than one."""
    shown = shapes.model_name(lang, name)
    if (trace.num_layers, trace.num_directions) == (1, 1):
        return shown
    return shapes.text(lang, "curve_position", model=shown, number=curve.layer + 1,
                       direction=shapes.text(lang, f"direction_{curve.direction}"))


def _agreement(lang: str, arch: str, found, tokens: tuple[str, ...]) -> str:
    """One line: whether retention and gradient tell the same story, and the token where they part most."""
    if math.isnan(found.rho):
        return t(lang, "agreement_none", model=shapes.model_name(lang, arch))
    if found.apart is None:
        return t(lang, "agreement_same", model=shapes.model_name(lang, arch), rho=found.rho, count=found.tokens)
    key = AGREEMENT_KEYS[found.strength]
    return t(lang, f"agreement_{key}", model=shapes.model_name(lang, arch), rho=found.rho,
             token=literal(tokens[found.apart]),
             step=found.apart + 1,  # a reader counts tokens from 1
             retention_rank=found.retention_rank, gradient_rank=found.gradient_rank, count=found.tokens)
