"""The Inside-one-step tab: one token and one unit, the step's equations with the real numbers."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ui import state
from ui.common import literal, model_selector, translated_radio
from ui.i18n import t, viz_labels
from viz.equations import CONVENTIONS, step_equation

# The gate definitions, as PyTorch computes them (models/trace.py); the step equation adds the updates.
GATE_FORMULAS: dict[str, tuple[str, ...]] = {
    "lstm": (
        r"i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi})",
        r"f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf})",
        r"g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg})",
        r"o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho})",
    ),
    "gru": (
        r"r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr})",
        r"z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})",
    ),
    "rnn": (),
}
# The value tables name each quantity as the formulas above write it.
QUANTITY_NAMES = {
    "c_prev": "c_{t-1}", "h_prev": "h_{t-1}", "c": "c_t", "h": "h_t", "n": "n_t", "a": "a_t",
    "i": "i_t", "f": "f_t", "g": "g_t", "o": "o_t", "r": "r_t", "z": "z_t", "u": "u_t = 1 − z_t",
    "reset_hidden": "W_hn h_{t-1} + b_hn", "input_candidate": "W_in x_t + b_in",
}
DEFAULT_UNIT = 0
DEFAULT_STEP = 1  # the second token: the first one starts from zero states, which shows less


@dataclass(frozen=True)
class StepChoices:
    arch: str
    step: int
    unit: int
    convention: str  # viz.equations.CONVENTIONS


def _clamp(key: str, limit: int) -> None:
    """Reset a kept widget value that no longer fits (a shorter text came in)."""
    if st.session_state.get(key, 0) >= limit:
        st.session_state[key] = 0


def step_tab(lang: str, text: str, mode: str) -> StepChoices:
    st.subheader(t(lang, "step_heading"))
    arch = model_selector(lang, "step_model")
    trace = state.analyze(arch, text, mode).analysis.trace
    _clamp("step_token", trace.num_steps)
    _clamp("step_unit", trace.hidden_size)
    left, right = st.columns([3, 1])
    step = left.selectbox(
        t(lang, "step_token"), range(trace.num_steps), index=min(DEFAULT_STEP, trace.num_steps - 1),
        format_func=lambda i: f"{i}: {trace.tokens[i]}", key="step_token",
    )
    unit = right.number_input(
        t(lang, "step_unit", last=trace.hidden_size - 1), min_value=0, max_value=trace.hidden_size - 1,
        value=DEFAULT_UNIT, step=1, key="step_unit",
    )
    convention = CONVENTIONS[0]
    if arch == "gru":
        convention = translated_radio(
            lang, t(lang, "convention"), CONVENTIONS, "step_convention", lambda c: t(lang, f"convention_{c}"),
            horizontal=True,
        )
    eq = step_equation(trace, step=int(step), unit=int(unit), convention=convention, labels=viz_labels(lang))
    if eq.convention_label:
        st.info(t(lang, "convention_shown", label=eq.convention_label), icon=":material/functions:")
    if arch == "rnn":
        st.caption(t(lang, "rnn_step_note"))

    st.markdown(f"**{t(lang, 'general_formulas')}**")
    for formula in GATE_FORMULAS[arch] + eq.formulas:
        st.latex(formula)
    st.markdown(f"**{t(lang, 'filled_formulas', step=eq.step, token=literal(eq.token), unit=eq.unit)}**")
    for line in eq.filled:
        st.latex(line)

    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t(lang, 'values_heading')}**")
        st.dataframe(
            pd.DataFrame({t(lang, "quantity"): [QUANTITY_NAMES.get(k, k) for k in eq.values],
                          t(lang, "value"): list(eq.values.values())}),
            hide_index=True, key="step_values",
        )
    with right:
        st.markdown(f"**{t(lang, 'check_heading')}**")
        st.dataframe(
            pd.DataFrame({
                t(lang, "quantity"): [QUANTITY_NAMES.get(k, k) for k in eq.recorded],
                t(lang, "recorded"): list(eq.recorded.values()),
                t(lang, "recomputed"): [eq.recomputed[k] for k in eq.recorded],
            }),
            hide_index=True, key="step_check",
        )
        st.caption(t(lang, "max_error", error=eq.max_error))
    return StepChoices(arch, int(step), int(unit), convention)
