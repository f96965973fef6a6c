"""The figure a lesson step talks about, drawn in the lesson box right under its narration.

A teacher clicks Next and the class reads the narration; the chart it speaks of has to be in the same
screenful, not 1,800 px further down the page under the text box and the examples. So each step draws its
own figure here (``View.figure``: the prediction curve, the named gate/state maps, the three models' curves,
the step's equations, the two sentences' difference, the gradient curves, retention against gradient), from
the same cached analyses as the tabs below, which keep showing the live page for exploring.
"""
from __future__ import annotations

import streamlit as st

from lessons.lesson import View
from models.asking.gradients import log10_retention, retention_gradient_agreement
from models.tokenize import MODES
from ui import state
from ui.common import literal, show
from ui.i18n import t, viz_labels
from ui.read import HEATMAP_HEIGHT, HEATMAP_MAX_COLUMNS
from ui.shapes import model_name
from viz.difference import METRICS, sentence_difference
from viz.equations import step_equation
from viz.gradients import distance_curves, distance_data, retention_gradient_data, retention_gradient_scatter
from viz.heatmap import gate_heatmap
from viz.prediction import prediction_curve
from viz.retention import RETAIN_GATE

MODE = MODES[0]  # the lessons' claims read their texts as jieba words (PretrainedModel.analyze's default)
FIGURE_KEY = "lesson_figure"  # the container around the figure: CSS class st-key-lesson_figure
RETENTION_ARCHS = tuple(RETAIN_GATE)  # the models with a keep gate: retention is theirs


def step_figure(lang: str, view: View, *, token: int, unit: int, convention: str) -> None:
    """Draw ``view.figure`` for the step's ``view`` (its text and model merged from earlier steps); ``token`` and
    ``unit`` are the step's resolved indices, ``convention`` the page's GRU convention."""
    draw = {
        "curve": lambda: _curve(lang, view),
        "maps": lambda: _maps(lang, view, convention),
        "compare": lambda: _compare(lang, view),
        "equations": lambda: _equations(lang, view, token, unit, convention),
        "pair": lambda: _pair(lang, view),
        "distance": lambda: _distance(lang, view),
        "retention": lambda: _retention(lang, view),
    }.get(view.figure)
    if draw is None or view.text is None:
        return
    with st.container(key=FIGURE_KEY):
        draw()


def _trace(arch: str, text: str):
    return state.analyze(arch, text, MODE).analysis.trace


def _curve(lang: str, view: View) -> None:
    arch = view.model or state.main_arch()
    show(prediction_curve({model_name(lang, arch): _trace(arch, view.text)}, labels=viz_labels(lang)),
         key="lesson_chart_curve")


def _maps(lang: str, view: View, convention: str) -> None:
    trace = _trace(view.model, view.text)
    for name in view.maps:
        fig = gate_heatmap(trace, name, layer=view.layer or 0, direction=view.direction or 0,
                           max_columns=HEATMAP_MAX_COLUMNS, convention=convention, labels=viz_labels(lang))
        fig.update_layout(height=HEATMAP_HEIGHT)
        show(fig, key=f"lesson_chart_map_{name}")


def _compare(lang: str, view: View) -> None:
    traces = {model_name(lang, arch): _trace(arch, view.text) for arch in state.archs()}
    show(prediction_curve(traces, labels=viz_labels(lang)), key="lesson_chart_compare")


def _equations(lang: str, view: View, token: int, unit: int, convention: str) -> None:
    trace = _trace(view.model, view.text)
    eq = step_equation(trace, step=token, unit=unit, convention=convention, labels=viz_labels(lang))
    st.markdown(f"**{t(lang, 'filled_formulas', step=eq.step + 1, token=literal(eq.token), unit=eq.unit)}**")
    if eq.convention_label:
        st.caption(t(lang, "convention_shown", label=eq.convention_label))
    for line in eq.filled:
        st.latex(line)


def _pair(lang: str, view: View) -> None:
    if view.pair is None:
        return
    first, second = (_trace(view.model, sentence) for sentence in view.pair)
    show(sentence_difference(first, second, metric=METRICS[0], labels=viz_labels(lang)), key="lesson_chart_pair")


def _distance(lang: str, view: View) -> None:
    paths = {arch: state.gradient_paths(arch, view.text, MODE) for arch in state.archs()}
    show(distance_curves(distance_data(paths), labels=viz_labels(lang)), key="lesson_chart_distance")


def _retention(lang: str, view: View) -> None:
    archs = [arch for arch in RETENTION_ARCHS if arch in state.archs()]
    for column, arch in zip(st.columns(len(archs)) if archs else (), archs):
        trace = state.analyze_edited(arch, view.text, MODE).analysis.trace  # the tokens the gradients read
        paths = state.gradient_paths(arch, view.text, MODE)
        rho = retention_gradient_agreement(trace, paths.curve).rho
        with column:
            show(retention_gradient_scatter(retention_gradient_data(paths, log10_retention(trace), rho=rho),
                                            labels=viz_labels(lang)), key=f"lesson_chart_retention_{arch}")
