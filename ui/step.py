"""The Inside-one-step tab: one token and one unit, the step's equations with the real numbers."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import shapes, state
from ui.common import literal, model_selector, position_selector
from ui.i18n import t, viz_labels
from viz.equations import QUANTITY_NAMES, layer_input, step_equation

DEFAULT_UNIT = 0
DEFAULT_STEP = 1  # the second token: the first one starts from zero states, which shows less


def _clamp(key: str, limit: int) -> None:
    """Reset a kept widget value that no longer fits (a shorter text came in)."""
    if st.session_state.get(key, 0) >= limit:
        st.session_state[key] = 0


def step_tab(lang: str, text: str, mode: str, convention: str) -> None:
    st.subheader(t(lang, "step_heading"))
    name = model_selector(lang, "step_model")
    trace = state.analyze(name, text, mode).analysis.trace
    layer, direction = position_selector(lang, "step", trace)
    _clamp("step_token", trace.num_steps)
    _clamp("step_unit", trace.hidden_size)
    # Defaults go into the state, not into index=/value=: lessons and links set these keys too (see
    # ui.common.model_selector). Tokens are labelled counted from 1, as a reader counts them; the value is the index.
    st.session_state.setdefault("step_token", min(DEFAULT_STEP, trace.num_steps - 1))
    st.session_state.setdefault("step_unit", DEFAULT_UNIT)
    left, right = st.columns([3, 1])
    step = left.selectbox(
        t(lang, "step_token"), range(trace.num_steps), format_func=lambda i: f"{i + 1}: {trace.tokens[i]}",
        key="step_token",
    )
    unit = right.number_input(
        t(lang, "step_unit", last=trace.hidden_size - 1), min_value=0, max_value=trace.hidden_size - 1, step=1,
        key="step_unit",
    )
    equation_view(lang, trace, int(step), int(unit), layer, direction, convention)


def equation_view(lang: str, trace, step: int, unit: int, layer: int, direction: int, convention: str,
                  key: str = "step") -> None:
    """The step's general formulas, the same with the real numbers of ``unit`` at token ``step``, and the recorded
    values next to the recomputed ones (viz.equations.step_equation); tables keyed ``{key}_values``, ``{key}_check``.
    The language-model page shows it too."""
    eq = step_equation(trace, step=step, unit=unit, layer=layer, direction=direction, convention=convention,
                       labels=viz_labels(lang))
    if eq.convention_label:
        st.info(t(lang, "convention_shown", label=eq.convention_label), icon=":material/functions:")
    if trace.cell_type == "rnn":
        st.caption(t(lang, "rnn_step_note"))

    if layer > 0:
        _layer_input(lang, trace, layer, step)
    st.markdown(f"**{t(lang, 'general_formulas')}**")
    for formula in eq.definitions + eq.formulas:
        st.latex(formula)
    st.markdown(f"**{t(lang, 'filled_formulas', step=eq.step + 1, token=literal(eq.token), unit=eq.unit)}**")
    for line in eq.filled:
        st.latex(line)

    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t(lang, 'values_heading')}**")
        st.dataframe(
            pd.DataFrame({t(lang, "quantity"): [QUANTITY_NAMES.get(k, k) for k in eq.values],
                          t(lang, "value"): list(eq.values.values())}),
            hide_index=True, key=f"{key}_values",
        )
    with right:
        st.markdown(f"**{t(lang, 'check_heading')}**")
        st.dataframe(
            pd.DataFrame({
                t(lang, "quantity"): [QUANTITY_NAMES.get(k, k) for k in eq.recorded],
                t(lang, "recorded"): list(eq.recorded.values()),
                t(lang, "recomputed"): [eq.recomputed[k] for k in eq.recorded],
            }),
            hide_index=True, key=f"{key}_check",
        )
        st.caption(t(lang, "max_error", error=eq.max_error))


def _layer_input(lang: str, trace, layer: int, step: int) -> None:
    """An upper layer's x_t: the layer below's h_t at this token, with its numbers (every direction's units)."""
    found = layer_input(trace, layer=layer, step=step)
    st.markdown(f"**{shapes.text(lang, 'layer_input_heading', number=layer + 1, below=layer)}**")
    st.caption(shapes.text(lang, "layer_input_caption", step=step + 1, token=literal(found.token), below=layer,
                           number=layer + 1, count=found.values.size))
    st.latex(found.formula)
    rows = [f"h^({layer})[{u}]" + (f" {shapes.text(lang, f'direction_{d}')}" if trace.num_directions > 1 else "")
            for d, u in found.sources]
    st.dataframe(pd.DataFrame({shapes.text(lang, "layer_input_source"): rows,
                               shapes.text(lang, "layer_input_value"): found.values}),
                 hide_index=True, key="step_layer_input", height=220)
