"""The What-if tab: edit a gate or state of a real model inside its steps, or run a classic experiment on all three."""
from __future__ import annotations

from dataclasses import replace

import streamlit as st

from models.asking.experiments import CHOSEN_TOKEN, CONNECTIVES, PRESETS, Experiment, experiment, top_units
from models.asking.intervene import ALL_UNITS, TARGETS, Edit, value_range
from models.names import parse_name
from models.pretrained import ARCHS, model_file_names
from ui import shapes, state
from ui.common import (
    literal,
    model_selector,
    position_selector,
    prefix_note,
    show,
    translated_radio,
)
from ui.i18n import class_name, t, viz_labels
from viz.equations import step_equation
from viz.labels import state_label
from viz.whatif import edit_text, hidden_difference_heatmap, whatif_data, whatif_prediction

EXPERIMENTS = ("custom", *PRESETS)
PRESET_KEY = "whatif_preset"
RANGE_KEY = "whatif_range"  # (first, last) token of the edit, inclusive; kept in whatif_range_kept
AT_KEY = "whatif_at"  # the token a preset starts from or acts at; kept in whatif_at_kept
UNIT_CHOICES = ("all", "top", "list")
HOWS = ("set", "scale")
DEFAULT_K = 8
VALUE_STEP = 0.05
DEFAULT_VALUES = {"set": 0.0, "scale": 0.5}


def whatif_tab(lang: str, text: str, mode: str, convention: str) -> None:
    st.subheader(t(lang, "whatif_heading"))
    st.caption(t(lang, "whatif_caption"))
    choice = translated_radio(
        lang, t(lang, "whatif_experiment"), EXPERIMENTS, PRESET_KEY, lambda p: t(lang, f"whatif_preset_{p}"),
        horizontal=True,
    )
    plain = state.analyze_edited(state.main_arch(), text, mode)
    if plain.tokens_read < plain.tokens_total:
        st.caption(t(lang, "whatif_cut", kept=plain.tokens_read, total=plain.tokens_total))
    tokens = plain.analysis.tokens
    if choice == "custom":
        _custom(lang, text, mode, convention, tokens)
    else:
        _preset(lang, text, mode, convention, tokens, choice)


def _token_label(tokens: tuple[str, ...]):
    return lambda i: f"{i} · {tokens[i]}"


def _kept(lang: str, key: str, fits, default, count: int):
    """The choice kept for the widget ``key``, or ``default`` if there is none or it does not fit the text (said so).

    The widget takes it as its ``value``: when the text changes, the widget is a new one (its options
    changed) and starts from the kept choice, which it could not hold itself.
    """
    kept = st.session_state.get(f"{key}_kept")
    if kept is None:
        return default
    if not fits(kept):
        st.info(t(lang, "whatif_range_reset", count=count), icon=":material/info:")
        return default
    return kept


def _custom(lang: str, text: str, mode: str, convention: str, tokens: tuple[str, ...]) -> None:
    """One model, one edit chosen by hand."""
    labels = viz_labels(lang)
    name = model_selector(lang, "whatif_model")
    arch = parse_name(name).cell
    layer, direction = position_selector(lang, "whatif", state.analyze_edited(name, text, mode).analysis.trace)
    middle, right = st.columns([2, 3])
    target = middle.selectbox(
        t(lang, "whatif_target"), TARGETS[arch], format_func=lambda n: state_label(labels, n, convention=convention),
        key=f"whatif_target_{arch}",  # one per model: a choice never names a gate the model lacks
    )
    with right:
        how = translated_radio(lang, t(lang, "whatif_how"), HOWS, "whatif_how", lambda h: t(lang, f"whatif_how_{h}"),
                               horizontal=True)
    bounds = value_range(target) if how == "set" else None
    value_key = f"whatif_value_{how}_{'free' if bounds is None else f'{bounds[0]:g}_{bounds[1]:g}'}"
    st.session_state.setdefault(value_key, DEFAULT_VALUES[how])
    value = right.number_input(
        t(lang, "whatif_value"), min_value=None if bounds is None else bounds[0],
        max_value=None if bounds is None else bounds[1], step=VALUE_STEP, key=value_key,
        help=t(lang, f"whatif_value_help_{convention}") if target == "update" else t(lang, "whatif_value_help"),
    )
    last = len(tokens) - 1
    chosen = _kept(lang, RANGE_KEY, lambda r: 0 <= r[0] <= r[1] <= last, (len(tokens) // 2, last), len(tokens))
    first, final = st.select_slider(t(lang, "whatif_tokens"), options=range(len(tokens)), value=tuple(chosen),
                                    format_func=_token_label(tokens), key=RANGE_KEY)
    st.session_state[f"{RANGE_KEY}_kept"] = (first, final)
    plain = state.analyze_edited(name, text, mode).analysis
    prefix_note(lang, plain.trace)  # a bidirectional model's curves: its answer on each (edited) prefix
    edit = Edit(target, range(first, final + 1), **{how: float(value)}, layer=layer, direction=direction,
                **({"convention": convention} if target == "update" else {}))
    units = _units(lang, name, text, mode, edit, plain.trace.hidden_size, plain.trace.labels[-1])
    if units is None:
        return
    _show_run(lang, name, text, mode, convention, (replace(edit, units=units),), key="whatif_custom")


def _units(lang: str, arch: str, text: str, mode: str, edit: Edit, size: int, label: str):
    """The units to edit, chosen as all, the top k by their effect alone, or a list; None if none are chosen."""
    left, right = st.columns([2, 3])
    with left:
        choice = translated_radio(lang, t(lang, "whatif_units"), UNIT_CHOICES, "whatif_units",
                                  lambda u: t(lang, f"whatif_units_{u}"), horizontal=True)
    if choice == "all":
        return ALL_UNITS
    if choice == "list":
        kept = [u for u in st.session_state.get("whatif_unit_list", []) if u < size]  # another model may be smaller
        st.session_state["whatif_unit_list"] = kept
        units = right.multiselect(t(lang, "whatif_unit_list"), options=range(size), key="whatif_unit_list")
        if not units:
            right.info(t(lang, "whatif_no_units"), icon=":material/info:")
            return None
        return sorted(units)
    st.session_state["whatif_k"] = min(st.session_state.get("whatif_k", DEFAULT_K), size)
    k = right.number_input(t(lang, "whatif_k"), min_value=1, max_value=size, step=1, key="whatif_k")
    with st.spinner(t(lang, "whatif_effects_running", units=size)):
        effects = state.unit_effects(arch, text, mode, edit)
    units = top_units(effects, int(k))
    right.caption(t(lang, "whatif_top_units", k=len(units), label=class_name(lang, label),
                    units=", ".join(f"{u} ({effects[u]:+.2g})" for u in units)))
    return units


def _preset(lang: str, text: str, mode: str, convention: str, tokens: tuple[str, ...], preset: str) -> None:
    """One classic experiment on the three models side by side."""
    st.info(t(lang, f"whatif_preset_{preset}_desc"), icon=":material/science:")
    at = 0
    if preset in CHOSEN_TOKEN:
        chosen = _kept(lang, AT_KEY, lambda a: 0 <= a < len(tokens), len(tokens) // 2, len(tokens))
        at = st.selectbox(t(lang, f"whatif_at_{preset}"), range(len(tokens)), index=chosen,
                          format_func=_token_label(tokens), key=AT_KEY)
        st.session_state[f"{AT_KEY}_kept"] = at
    shape = _preset_shape(lang)
    names = {arch: shapes.name_of(arch, shape) for arch in ARCHS}
    loaded = {arch: name for arch, name in names.items() if name in state.names()}
    layer = direction = 0
    if shape != "1layer" and loaded:  # the three cells of one shape: one layer and direction for all
        first = state.analyze_edited(next(iter(loaded.values())), text, mode).analysis.trace
        layer, direction = position_selector(lang, "whatif_preset", first)
    runs = {arch: experiment(preset, arch, state.analyze_edited(name, text, mode).analysis.tokens, at=at,
                             layer=layer, direction=direction) for arch, name in loaded.items()}
    if not runs:
        return
    lead = runs.get("lstm") or next(iter(runs.values()))  # every cell acts at the same tokens
    if not lead.steps:
        st.warning(_missing(lang, lead), icon=":material/search_off:")
        return
    st.markdown(_mapping(lang, preset, lead, tokens))
    shown = {}
    for column, arch in zip(st.columns(len(ARCHS)), ARCHS):
        with column:
            st.markdown(f"#### {shapes.model_name(lang, names[arch])}")
            if arch not in runs:
                st.info(t(lang, "whatif_not_loaded", model=shapes.model_name(lang, names[arch]),
                          file=model_file_names(names[arch])[2]), icon=":material/block:")
                continue
            if runs[arch].missing:
                st.info(_missing(lang, runs[arch]), icon=":material/block:")
                continue
            shown[arch] = _show_edit(lang, loaded[arch], text, mode, convention, runs[arch].edits)
    for arch, drawn in shown.items():  # full width, one model under the other: three abreast, no label could be read
        if drawn is not None:
            st.markdown(f"#### {shapes.model_name(lang, loaded[arch])}")
            _show_charts(lang, *drawn, key=f"whatif_{arch}")


def _preset_shape(lang: str) -> str:
    """The shape (ui.shapes.SHAPES) of the three models a classic experiment runs on: one layer, unless this
    session has variants and another is chosen (``whatif_preset_shape``)."""
    names = state.names()
    offered = tuple(s for s in shapes.SHAPES if any(shapes.name_of(arch, s) in names for arch in ARCHS))
    if len(offered) < 2:
        return offered[0] if offered else shapes.SHAPES[0]
    return translated_radio(lang, shapes.text(lang, "shape"), offered, "whatif_preset_shape",
                            lambda s: shapes.text(lang, f"shape_{s}"), horizontal=True,
                            help=shapes.text(lang, "shape_help"))


def _missing(lang: str, run: Experiment) -> str:
    """Why the experiment has no edit here, in words."""
    return t(lang, f"whatif_missing_{run.missing}", connectives=" / ".join(CONNECTIVES))


def _mapping(lang: str, preset: str, run: Experiment, tokens: tuple[str, ...]) -> str:
    """What maps to what in this preset, with where it acts."""
    step = run.steps[0]
    return t(lang, f"whatif_mapping_{preset}", step=step, token=literal(tokens[step]), count=len(run.steps))


def _show_run(lang: str, arch: str, text: str, mode: str, convention: str, edits: tuple[Edit, ...], *,
              key: str) -> None:
    """The edit in words and as formulas, the final label before and after, the two curves and the change in h."""
    drawn = _show_edit(lang, arch, text, mode, convention, edits)
    if drawn is not None:
        _show_charts(lang, *drawn, key=key)


def _show_edit(lang: str, arch: str, text: str, mode: str, convention: str, edits: tuple[Edit, ...]):
    """The edit in words and as formulas and the final label before and after; returns what the charts draw
    (the run's WhatIfData at the edited layer and direction, the edited steps, and the WhatIfData of every
    layer above), or None if the edit could not run (said so)."""
    labels = viz_labels(lang)
    try:
        before = state.analyze_edited(arch, text, mode).analysis
        after = state.analyze_edited(arch, text, mode, edits).analysis
    except ValueError as err:
        st.error(t(lang, "whatif_bad_edit", error=err), icon=":material/error:")
        return None
    tokens = before.tokens
    cell = parse_name(arch).cell
    for edit in edits:
        shown = edit_text(edit, cell_type=cell, convention=convention, tokens=tokens, labels=labels)
        st.markdown(literal(shown.words))
        st.latex(shown.formula)
    first = min(step for edit in edits for step in edit.steps)
    edited = (edits[0].layer, edits[0].direction)
    with st.expander(t(lang, "whatif_equations")):
        for formula in step_equation(after.trace, step=first, unit=0, layer=edited[0], direction=edited[1],
                                     convention=convention).formulas:
            st.latex(formula)
    data = whatif_data(before.trace, after.trace, layer=edited[0], direction=edited[1])
    shown = dict(label=class_name(lang, data.label), before=float(data.before[-1]), after=float(data.after[-1]))
    if data.changed:
        st.markdown(t(lang, "whatif_label_changed", old=class_name(lang, data.final_before),
                      new=class_name(lang, data.final_after), **shown))
    else:
        st.markdown(t(lang, "whatif_label_same", final=class_name(lang, data.final_after), **shown))
    if data.first_changed is None:
        st.caption(t(lang, "whatif_nothing_changed"))
    else:
        st.caption(t(lang, "whatif_first_changed", step=data.first_changed, token=literal(tokens[data.first_changed])))
    above = [whatif_data(before.trace, after.trace, layer=layer, direction=d)
             for layer in range(edited[0] + 1, before.trace.num_layers) for d in range(before.trace.num_directions)]
    if above:
        st.caption(shapes.text(lang, "whatif_above", number=edited[0] + 1))
    return data, sorted({step for edit in edits for step in edit.steps}), above


def _show_charts(lang: str, data, steps: list[int], above=(), *, key: str) -> None:
    """The prediction before and after the edit (edited ``steps`` shaded), the change in h where the edit was
    made, and its consequence in every layer above (``above``: their WhatIfData)."""
    labels = viz_labels(lang)
    show(whatif_prediction(data, edited_steps=steps, labels=labels), key=f"{key}_curve")
    show(hidden_difference_heatmap(data, labels=labels), key=f"{key}_difference")
    for upper in above:
        layer, direction = upper.position
        show(hidden_difference_heatmap(upper, labels=labels), key=f"{key}_difference_{layer}_{direction}")
