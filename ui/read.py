"""The Read tab: one model on the text — prediction, per-step curve, every gate as a heatmap, the animation."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from models.names import parse_name
from models.trace import DISPLAY_ORDER
from ui import state
from ui.common import (
    curve_caption,
    model_selector,
    position_selector,
    prediction_text,
    prefix_note,
    show,
    translated_radio,
)
from ui.i18n import STRINGS, t, viz_labels
from ui.shapes import model_name
from viz.animation import step_animation
from viz.heatmap import NORMALIZATIONS, ORDERS, gate_heatmap
from viz.labels import state_label
from viz.prediction import prediction_curve

HEATMAP_MAX_COLUMNS = 500  # steps drawn per heatmap; longer texts are pooled (the title says so)
HEATMAP_HEIGHT = 440  # px per heatmap, about 2 px per unit: six of them still fit a few screens
ANIMATION_FRAMES = 100  # steps per animation; a longer text is played in windows chosen below
ANIMATIONS_KEPT = 16  # animation figures kept per process
SHOWN_KEY = "read_shown"  # the gate or state whose heatmap is drawn, or ALL
ALL = "all"


def explanation_key(arch: str, name: str, convention: str) -> str:
    """The string key explaining a gate or state: the most specific of explain_{name}_{convention},
    explain_{name}_{arch} and explain_{name} that exists."""
    keys = (f"explain_{name}_{convention}", f"explain_{name}_{arch}", f"explain_{name}")
    return next(key for key in keys if key in STRINGS["en"])


def read_tab(lang: str, text: str, mode: str, convention: str) -> None:
    name = model_selector(lang, "read_model")
    arch = parse_name(name).cell
    analysis = state.analyze(name, text, mode).analysis
    labels = viz_labels(lang)
    st.subheader(t(lang, "read_heading", model=model_name(lang, name)))
    st.metric(t(lang, "prediction"), prediction_text(lang, analysis), help=t(lang, "read_prediction_help"))
    show(prediction_curve({model_name(lang, name): analysis.trace}, labels=labels), key="read_curve")
    st.caption(curve_caption(lang, analysis.trace))
    prefix_note(lang, analysis.trace)

    st.subheader(t(lang, "gates_heading"))
    left, right = st.columns(2)
    order = translated_radio(
        lang, t(lang, "order"), ORDERS, "read_order", lambda o: t(lang, f"order_{o}"), where=left, horizontal=True,
    )
    normalize = translated_radio(
        lang, t(lang, "normalize"), NORMALIZATIONS, "read_normalize", lambda n: t(lang, f"normalize_{n}"),
        where=right, horizontal=True,
    )
    shown = shown_states(lang, arch, convention)
    layer, direction = position_selector(lang, "read", analysis.trace)
    st.caption(t(lang, "gates_caption", units=analysis.trace.hidden_size))
    for gate in shown:
        st.markdown(t(lang, explanation_key(arch, gate, convention)))
        show(heatmap_figure(analysis.trace, gate, order, normalize, convention, labels, layer=layer,
                            direction=direction), key=f"read_gate_{gate}")

    animation(lang, name, text, mode, convention, (layer, direction))


def heatmap_figure(trace, name: str, order: str, normalize: str, convention: str, labels, *, layer: int = 0,
                   direction: int = 0) -> go.Figure:
    """The Read tab's heatmap of gate or state ``name`` (also built by ui.warm before the first visitor)."""
    fig = gate_heatmap(trace, name, layer=layer, direction=direction, order=order, normalize=normalize,
                       max_columns=HEATMAP_MAX_COLUMNS, convention=convention, labels=labels)
    return fig.update_layout(height=HEATMAP_HEIGHT)


def shown_states(lang: str, arch: str, convention: str) -> tuple[str, ...]:
    """The gates and states whose heatmaps are drawn: one chosen at a time, the first by default, or ALL.

    Each chart costs the browser about as much to draw as any other, so by default a submit draws two
    charts, not seven: with every LSTM map shown it took about twice as long (benchmarks.page_speed).
    """
    names = DISPLAY_ORDER[arch]
    if len(names) == 1:
        return names
    labels = viz_labels(lang)
    choice = translated_radio(
        lang, t(lang, "shown"), names + (ALL,), SHOWN_KEY,
        lambda n: t(lang, "shown_all") if n == ALL else state_label(labels, n, convention=convention),
        horizontal=True, help=t(lang, "shown_help"),
    )
    return names if choice == ALL else (choice,)


@st.fragment
def animation(lang: str, arch: str, text: str, mode: str, convention: str, position: tuple[int, int] = (0, 0)) -> None:
    """The step animation, in a fragment so its own controls rerun only this part.

    Built and sent only once it is switched on: it is the largest chart on the tab (one set of traces
    per frame, 220 of the 404 KiB a 30-token submit sent) and took about half the figure building.
    """
    st.subheader(t(lang, "animation_heading"))
    if not st.toggle(t(lang, "animation_toggle"), value=False, key="read_animation"):
        return
    trace = state.analyze(arch, text, mode).analysis.trace
    start = 0
    if trace.num_steps > ANIMATION_FRAMES:
        if st.session_state.get("read_animation_start", 0) >= trace.num_steps:  # a shorter text came in
            st.session_state["read_animation_start"] = 0
        start = st.number_input(
            t(lang, "animation_start"), min_value=0, max_value=trace.num_steps - 1, value=0, step=ANIMATION_FRAMES,
            key="read_animation_start",
        )
    st.caption(t(lang, "animation_caption", units=trace.hidden_size))
    build = _animation_figure if state.shared_models() else _animation_figure.__wrapped__  # an upload's stays here
    show(build(state.load_models()[arch].fingerprint, trace, text, mode, lang, int(start), convention, position),
         key="read_animation_chart")


@st.cache_resource(max_entries=ANIMATIONS_KEPT, show_spinner=False)
def _animation_figure(fingerprint: str, _trace, text: str, mode: str, lang: str, start: int,
                      convention: str, position: tuple[int, int] = (0, 0)) -> go.Figure:
    """The animation is the slowest figure to build (one set of traces per frame): built once per model
    (its files' ``fingerprint``) and text, from ``_trace``, that model's trace of the text.

    A resource, not data: st.cache_data would unpickle all its frames on every rerun. Sessions share
    the figure, and nothing changes it after it is built (st.plotly_chart only reads it).
    """
    return step_animation(
        _trace, layer=position[0], direction=position[1], start=start, max_frames=ANIMATION_FRAMES,
        convention=convention, labels=viz_labels(lang),
    )
