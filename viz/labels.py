"""Every string a figure shows: the English defaults, the caller's translations, and small titles built from them."""
from __future__ import annotations

import string
from collections.abc import Mapping, Sequence

from models.trace import Trace

DEFAULT_LABELS: Mapping[str, str] = {
    # gate and state names
    "input": "input gate i",
    "forget": "forget gate f",
    "candidate": "candidate",
    "output": "output gate o",
    "reset": "reset gate r",
    "update_textbook": "update gate z (textbook: share of new)",
    "update_torch": "update gate z (PyTorch: share kept)",
    "cell": "cell state c",
    "hidden": "hidden state h",
    "preactivation": "pre-activation a",
    "reset_hidden": "W_hn h + b_hn",
    "input_candidate": "W_in x + b_in",
    "lstm": "LSTM",
    "gru": "GRU",
    "rnn": "RNN",
    # axes and hover
    "token": "token",
    "step": "step",
    "unit": "unit",
    "value": "value",
    "mean": "mean",
    "probability": "probability",
    # colour bars
    "colorbar_gate": "gate: 0 closed → 1 open",
    "colorbar_tanh": "value: blue < 0 < red",
    "colorbar_unbounded": "value (±{limit:.3g}; beyond: end colour): blue < 0 < red",
    "colorbar_unit_minmax": "per-unit min–max: 0 → 1",
    "colorbar_unit_maxabs": "value / per-unit max |value|",
    # title notes
    "pooled": "mean of every {width} tokens",
    "windowed": "steps {start}–{stop} of {total}",
    "no_steps": "No steps to show",
    # figure titles
    "title_heatmap": "{state}{position}",
    "title_overview": "{model}: every gate and state{position}",
    "position": ", layer {layer}, {direction}",  # only for modules with several layers or directions
    "forward": "forward →",
    "backward": "backward ← (read from the text's end)",
    "compared_steps": " (only the steps both sentences have: {steps})",
    "positive": "positive",
    "negative": "negative",
    "title_animation": "{model}: gates and states at each step",
    "title_prediction": "P({label}) after each token",
    "title_prediction_all": "Probability of each class after each token",
    "not_computed": "not computed (past the first {count} tokens; the last point is the whole text)",
    "no_probabilities": "No class probabilities in these traces",
    "title_compare": "{state} of each model on the same tokens",
    "no_state": "No model has a {state}",
    "title_difference": "Two sentences through one model: hidden states",
    "distance_euclidean": "Euclidean distance ‖h_A − h_B‖",
    "distance_cosine": "cosine distance 1 − cos(h_A, h_B)",
    "final_state": "final hidden state",
    "first": "A",
    "second": "B",
    "title_saturation": "Gate saturation over {steps} steps (Karpathy et al. 2015)",
    "no_sigmoid_gates": "The vanilla RNN has no sigmoid gates to saturate",
    "left_saturated": "fraction of steps with gate < {low:g}",
    "right_saturated": "fraction of steps with gate > {high:g}",
    "title_retention": "How much of token s survives at step t: product of the {gate} values",
    "title_retention_units": "units {units}",
    "no_gate_rnn": "The vanilla RNN has no gate to read retention from",
    "written_at": "token written (s)",
    "read_at": "later step (t)",
    "retention": "retention",
    "colorbar_retention": "retention: 0 forgotten → 1 kept",
    "play": "▶ play",
    "pause": "❚❚ pause",
    "kept_update_textbook": "1 − z (textbook z: share of new)",
    "convention_torch": "PyTorch convention: z is the share of the old state kept",
    "convention_textbook": "Textbook convention: z is the share of the new candidate taken (PyTorch's 1 − z)",
    # what if: an edit in words, the prediction before and after, the change in h (viz.whatif)
    "before": "before",
    "after": "after the edit",
    "edited": "edited",
    "title_whatif_prediction": "P({label}) after each token, before and after the edit",
    "title_hidden_change": "{model}: change in the hidden state, h(after) − h(before)",
    "colorbar_difference": "h after − h before (±{limit:.3g})",
    "all_units": "all units",
    "units": "units {units}",
    "set_words": "{gate} set to {value} at {where} ({units})",
    "scale_words": "{gate} multiplied by {value} at {where} ({units})",
    "given_values": "given values",
    "token_at": "token {step} ({token})",
    "tokens_between": "tokens {first}–{last}",
    "tokens_list": "tokens {steps}",
    # gradient paths (viz.gradients)
    "distance": "distance T − t (tokens back from the last)",
    "norm": "‖∂h_T / ∂h_t‖",
    "saliency_norm": "‖∂ logit / ∂ e_t‖",
    "grad_times_input": "gradient × input",
    "title_saliency": "{model}: how much each token moves the logit of “{label}”",
    "title_curve": "How far back the gradient reaches: ‖∂h_T / ∂h_t‖ against distance",
    "title_scatter": "{model}: retention vs gradient per token (Spearman ρ = {rho})",
    "retention_to_end": "retention to the end (mean product of keep gates)",
    "no_tokens": "No tokens",
    "no_curves": "No gradient curves",
}


def text(labels: Mapping[str, str] | None, key: str, **fmt: object) -> str:
    """The display string for ``key``: the caller's override, else the English default."""
    template = (labels or {}).get(key, DEFAULT_LABELS[key])
    return template.format(**fmt) if fmt else template


def state_label(labels: Mapping[str, str] | None, name: str, *, convention: str | None = None) -> str:
    """Display name of a gate, state or model; unknown names are shown as given.

    With ``convention`` (``models.trace.GRU_CONVENTIONS``), a name whose number depends on it, the GRU's
    update gate, takes the label that says which convention is shown: key ``update_textbook``.
    """
    for key in ((f"{name}_{convention}",) if convention else ()) + (name,):
        if key in (labels or {}) or key in DEFAULT_LABELS:
            return text(labels, key)
    return name


def position_note(labels: Mapping[str, str] | None, trace: Trace, layer: int, direction: int) -> str:
    """", layer 2, backward ← ..." for a module with several layers or directions (layers counted from 1, as a
    reader counts them); "" for a single one."""
    return position_text(labels, layer, direction, shape=(trace.num_layers, trace.num_directions))


def position_text(labels: Mapping[str, str] | None, layer: int, direction: int, *, shape: tuple[int, int]) -> str:
    """``position_note`` for a module of ``shape`` (layers, directions): "" when it has one of each."""
    if shape == (1, 1):
        return ""
    return text(labels, "position", layer=layer + 1, direction=text(labels, "backward" if direction else "forward"))


def title_notes(labels: Mapping[str, str] | None, *, width: int = 1, window: tuple[int, int, int] | None = None) -> str:
    """' — mean of every k tokens', ' — steps a–b of T': what was pooled or cut, for a title."""
    notes = []
    if width > 1:
        notes.append(text(labels, "pooled", width=width))
    if window is not None and (window[0] > 0 or window[1] < window[2]):
        notes.append(text(labels, "windowed", start=window[0], stop=window[1] - 1, total=window[2]))
    return "".join(f" — {n}" for n in notes)


_ASCII_WORD_END = frozenset(string.ascii_letters + string.digits + ",.;:!?)'\"")  # a space may follow these


def sentence(tokens: Sequence[str]) -> str:
    """The tokens as the text reads: a space before an ASCII word that follows an ASCII word or
    punctuation mark (``I love it, but``), nothing between Chinese tokens (``我爱人工智能``)."""
    out: list[str] = []
    for token in tokens:
        if out and token[:1].isascii() and token[:1].isalnum() and out[-1][-1:] in _ASCII_WORD_END:
            out.append(" ")
        out.append(token)
    return "".join(out)
