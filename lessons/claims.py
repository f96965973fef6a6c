"""What the lessons say about the models, computed from their real traces: one function per lesson.

    from lessons.claims import forget_at_connective
    claims = forget_at_connective(load_pretrained("lstm"), review, "但是")
    claims.unit, claims.unit_drop        # the unit whose forget gate drops most at 但是

Every number or unit a lesson names comes from one of these frozen dataclasses, so a retrained
model changes the lesson's words, never makes them false. What a lesson takes for granted (its
premises, e.g. "the curve turns at 但是") is stated as a ``Check`` in the lesson file and tested.

Conventions: steps are token indices from 0, as in the Python API and the exports; a field that holds one is
declared with ``_position()`` (metadata ``TOKEN_POSITION``), and a lesson shows it counted from 1, as a reader
counts tokens. Probabilities are of the class ``POSITIVE``; gates are PyTorch's (a GRU's ``z`` is the share of
the old state kept; ``1 - z`` is the textbook's z). What comes before the first token is the zero initial state;
a claim that needs a token before the connective raises ValueError when the text starts with it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from models.asking.gradients import retention_gradient_correlation, rho_relation, text_gradient_paths
from models.asking.intervene import Edit
from models.asking.race import (
    RaceCurve,
    fewest_units_to_change,
    holding_units,
    race_answer,
    race_curve,
    race_distractors,
    race_gradient_curve,
    unit_along_gap,
)
from models.pretrained import PretrainedModel

POSITIVE = "positive"
SAME_STATE = 0.9  # cosine similarity at which a suffix's final state counts as the whole text's
CLOSED = 0.3  # a forget gate below this has let most of that unit's memory go
HELD = 1.0  # |c| above this: a unit holds a clear memory
HIDDEN = 0.1  # |h| below this: the unit shows almost nothing of it
FADED = 1e-2  # a distance curve has faded once it is below this share of its value at distance 1
TURNS_LESS = 0.05  # a rise of the mean P(positive) after the connective bigger than this: it turns less
DIFFERENT = 1e-3  # two hidden states closer than this (L2) count as the same
MIXED = 0.2  # lesson 5's unit mixes: its textbook z at the connective lies in [MIXED, 1 - MIXED]
SAME_NUMBER = 1e-5  # two computations of one gate value closer than this agree
TOKEN_POSITION = "token_position"  # dataclass field metadata: the field is a token index from 0


def _position():
    """A claim field holding a token index from 0 (a lesson shows it counted from 1)."""
    return field(metadata={TOKEN_POSITION: True})


def _positive(analysis) -> np.ndarray:
    """(T,) P(positive) after each token, float64."""
    trace = analysis.trace
    return trace.probabilities[:, trace.labels.index(POSITIVE)].astype(np.float64)


def _index(tokens: Sequence[str], word: str) -> int:
    """The first step reading ``word``; ValueError naming it if the text has none."""
    try:
        return list(tokens).index(word)
    except ValueError:
        raise ValueError(f"the tokens {list(tokens)[:12]}... have no {word!r}") from None


def _before(tokens: Sequence[str], k: int) -> int:
    """The step before the connective at ``k``; ValueError if the text starts with it (nothing comes before)."""
    if k == 0:
        raise ValueError(f"the text starts with {tokens[0]!r}: a lesson about it needs tokens before it")
    return k - 1


def _previous(states: np.ndarray, k: int) -> np.ndarray:
    """(H,) the state before step ``k`` of ``states`` (T, H): the zero initial state before the first token."""
    return states[k - 1] if k > 0 else np.zeros_like(states[0])


def _rank_lowest(values: np.ndarray, at: int) -> int:
    """1 if ``values[at]`` is the lowest, 2 if one value is lower, ..."""
    return int((values < values[at]).sum()) + 1


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / denominator if denominator > 0 else 0.0


def memory_span(model: PretrainedModel, tokens: Sequence[str], *, similarity: float = SAME_STATE) -> int:
    """The fewest last tokens whose final hidden state alone has cosine >= ``similarity`` with the whole text's.

    A short span means the state after the whole text is made by its last few words: the rest faded.
    """
    tokens = list(tokens)
    whole = model.analyze_tokens(tokens).trace.hidden[0, 0, -1].astype(np.float64)
    for n in range(1, len(tokens) + 1):
        alone = model.analyze_tokens(tokens[-n:]).trace.hidden[0, 0, -1].astype(np.float64)
        if _cosine(alone, whole) >= similarity:
            return n
    return len(tokens)


# --- 1. an RNN's memory fades -----------------------------------------------------------------

@dataclass(frozen=True)
class FadingClaims:
    steps: int  # T tokens of the review
    connective: int = _position()  # step of the connective (但是)
    praise_end: str  # the last token before it
    before: float  # the RNN's P(positive) just before the connective
    end: float  # its P(positive) after the last token
    end_label: str  # its final class
    span: int  # memory_span of the RNN on the review
    span_share: float  # span / steps
    span_first: str  # the first token of that span
    reaches_praise: str  # "yes" if the span reaches back before the connective, else "no"
    lstm_span: int  # the same measure for the LSTM


def fading_memory(models: Mapping[str, PretrainedModel], text: str, connective: str) -> FadingClaims:
    rnn = models["rnn"]
    analysis = rnn.analyze(text)
    tokens = analysis.tokens
    k = _index(tokens, connective)
    before = _before(tokens, k)
    positive = _positive(analysis)
    span = memory_span(rnn, tokens)
    return FadingClaims(
        steps=len(tokens), connective=k, praise_end=tokens[before], before=float(positive[before]),
        end=float(positive[-1]), end_label=analysis.label, span=span, span_share=span / len(tokens),
        span_first=tokens[-span], reaches_praise="yes" if len(tokens) - span < k else "no",
        lstm_span=memory_span(models["lstm"], tokens),
    )


# --- 2. the LSTM's forget gate at the connective ----------------------------------------------

@dataclass(frozen=True)
class ForgetClaims:
    steps: int  # T
    connective: int = _position()  # step of the connective
    before: float  # P(positive) just before it
    at: float  # P(positive) right after reading it
    end: float  # P(positive) after the last token
    biggest_fall: int = _position()  # step of the largest one-step fall of P(positive)
    biggest_fall_token: str
    fall: float  # that fall, P(t-1) - P(t)
    forget_at: float  # mean forget gate over units at the connective
    forget_rest: float  # mean forget gate over units and every other step
    forget_rank: int  # rank of forget_at among the T step means, 1 = lowest
    direction: str  # "down" if forget_at < forget_rest, else "up"
    closed_at: int  # units with f < CLOSED at the connective
    closed_typical: float  # median of that count over the other steps
    units: int  # H
    unit: int  # the unit whose f drops most at the connective, relative to its own mean over the text
    unit_forget: float  # its f at the connective
    unit_mean: float  # its mean f over the text
    unit_drop: float  # unit_mean - unit_forget
    unit_cell_before: float  # its cell state before the connective (0 before the first token)
    unit_cell_at: float  # and after it


def forget_at_connective(model: PretrainedModel, text: str, connective: str) -> ForgetClaims:
    analysis = model.analyze(text)
    trace = analysis.trace
    tokens = analysis.tokens
    k = _index(tokens, connective)
    before = _before(tokens, k)
    positive = _positive(analysis)
    falls = np.concatenate([[0.0], positive[:-1] - positive[1:]])  # (T,) fall into each step
    forget = trace.gates["forget"][0, 0].astype(np.float64)  # (T, H)
    means = forget.mean(axis=1)
    closed = (forget < CLOSED).sum(axis=1)
    drop = forget.mean(axis=0) - forget[k]  # (H,) each unit against its own mean
    unit = int(drop.argmax())
    cell = trace.cell[0, 0]
    big = int(falls.argmax())
    return ForgetClaims(
        steps=len(tokens), connective=k, before=float(positive[before]), at=float(positive[k]),
        end=float(positive[-1]), biggest_fall=big, biggest_fall_token=tokens[big], fall=float(falls[big]),
        forget_at=float(means[k]), forget_rest=float(np.delete(forget, k, axis=0).mean()),
        forget_rank=_rank_lowest(means, k),
        direction="down" if means[k] < np.delete(forget, k, axis=0).mean() else "up",
        closed_at=int(closed[k]), closed_typical=float(np.median(np.delete(closed, k))), units=forget.shape[1],
        unit=unit, unit_forget=float(forget[k, unit]), unit_mean=float(forget[:, unit].mean()),
        unit_drop=float(drop[unit]), unit_cell_before=float(_previous(cell, k)[unit]),
        unit_cell_at=float(cell[k, unit]),
    )


# --- 3. the input gate and 的 ----------------------------------------------------------------

@dataclass(frozen=True)
class InputClaims:
    count: int  # how many times the word occurs
    first: int = _position()  # its first step
    input_word: float  # mean input gate over units at the word's steps
    input_rest: float  # the same at the other steps
    gate_lower: str  # "lower" if input_word < input_rest, else "higher"
    written_word: float  # mean |i * g| (what is written into the cell) at the word's steps
    written_rest: float  # the same at the other steps
    written_share: float  # written_word / written_rest
    candidate_word: float  # mean |g| at the word's steps
    candidate_rest: float  # mean |g| at the other steps


def input_gate_word(model: PretrainedModel, text: str, word: str) -> InputClaims:
    trace = model.analyze(text).trace
    at = np.array([tok == word for tok in trace.tokens])
    if not at.any():
        raise ValueError(f"the tokens of {text!r} have no {word!r}")
    i = trace.gates["input"][0, 0].astype(np.float64)  # (T, H)
    g = np.abs(trace.gates["candidate"][0, 0].astype(np.float64))
    written = i * g
    return InputClaims(
        count=int(at.sum()), first=int(np.flatnonzero(at)[0]),
        input_word=float(i[at].mean()), input_rest=float(i[~at].mean()),
        gate_lower="lower" if i[at].mean() < i[~at].mean() else "higher",
        written_word=float(written[at].mean()), written_rest=float(written[~at].mean()),
        written_share=float(written[at].mean() / written[~at].mean()),
        candidate_word=float(g[at].mean()), candidate_rest=float(g[~at].mean()),
    )


# --- 4. the output gate: memory kept but not shown --------------------------------------------

@dataclass(frozen=True)
class OutputClaims:
    step: int = _position()  # the step and unit where the most memory is held back: max |tanh c| - |h|
    token: str
    unit: int
    cell: float  # c there
    tanh_cell: float  # tanh(c)
    output: float  # o there
    hidden: float  # h = o tanh(c)
    shown: str  # "little" if |h| < |tanh c| / 2, else "most"
    hidden_cells: int  # unit-steps with |c| > HELD and |h| < HIDDEN: memory kept but not shown
    cells: int  # T * H
    later_step: int = _position()  # the first later step where the same unit shows at least half its tanh(c), or -1
    later_token: str  # its token, or ""
    later_hidden: float  # h there (0.0 if none)


def output_gate_hidden(model: PretrainedModel, text: str) -> OutputClaims:
    trace = model.analyze(text).trace
    c = trace.cell[0, 0].astype(np.float64)  # (T, H)
    o = trace.gates["output"][0, 0].astype(np.float64)
    h = trace.hidden[0, 0].astype(np.float64)
    held_back = np.abs(np.tanh(c)) - np.abs(h)
    step, unit = np.unravel_index(int(held_back.argmax()), held_back.shape)
    step, unit = int(step), int(unit)
    shows = np.flatnonzero(np.abs(h[step + 1 :, unit]) >= np.abs(np.tanh(c[step + 1 :, unit])) / 2
                           ) if step + 1 < len(c) else np.array([], dtype=int)
    shows = shows[np.abs(h[step + 1 + shows, unit]) >= HIDDEN] if shows.size else shows
    later = int(step + 1 + shows[0]) if shows.size else -1
    return OutputClaims(
        step=step, token=trace.tokens[step], unit=unit, cell=float(c[step, unit]),
        tanh_cell=float(np.tanh(c[step, unit])), output=float(o[step, unit]), hidden=float(h[step, unit]),
        shown="little" if abs(h[step, unit]) < abs(np.tanh(c[step, unit])) / 2 else "most",
        hidden_cells=int(((np.abs(c) > HELD) & (np.abs(h) < HIDDEN)).sum()), cells=int(c.size),
        later_step=later, later_token=trace.tokens[later] if later >= 0 else "",
        later_hidden=float(h[later, unit]) if later >= 0 else 0.0,
    )


# --- 5. the GRU's update gate in two conventions ----------------------------------------------

@dataclass(frozen=True)
class UpdateClaims:
    step: int = _position()  # the step shown (the connective)
    token: str
    unit: int  # a unit that mixes there: textbook z in [MIXED, 1 - MIXED], old and new far apart (see gru_update)
    z_torch: float  # PyTorch's z recomputed from the GRU's weights: the share of the old state kept
    z_textbook: float  # the textbook's z as the page shows it (Trace.state(convention="textbook"))
    previous: float  # h_{t-1} of that unit (0 before the first token)
    candidate: float  # the candidate n_t (textbook h~_t)
    hidden: float  # h_t as recorded
    mix: float  # (1 - z_textbook) * previous + z_textbook * candidate: the textbook's formula with the page's z
    new_at: float  # mean textbook z (new share) over units at this step
    new_rest: float  # the same over the other steps
    new_rank: int  # rank of new_at among the step means, 1 = the most new content
    steps: int  # T
    torch_reads: str  # "complement" if the recomputed PyTorch z is 1 - the page's textbook z, else "same"


def _update_gate(model: PretrainedModel, token: str, previous: np.ndarray) -> np.ndarray:
    """(H,) PyTorch's GRU update gate z = σ(W_iz x + b_iz + W_hz h + b_hz) for one token, from the module's own
    weights (torch's packed order r, z, n), not from the recorder."""
    gru = model.model.rnn
    ids, _, _ = model.encode([[token]])
    with torch.inference_mode():
        x = model.model.embedding(ids[0])[0].double()  # (E,)
        h = torch.as_tensor(previous, dtype=torch.float64)  # (H,)
        w_ih, w_hh = gru.weight_ih_l0.double().chunk(3), gru.weight_hh_l0.double().chunk(3)
        b_ih, b_hh = gru.bias_ih_l0.double().chunk(3), gru.bias_hh_l0.double().chunk(3)
        return torch.sigmoid(w_ih[1] @ x + b_ih[1] + w_hh[1] @ h + b_hh[1]).numpy()


def _mixing_unit(new_share: np.ndarray, gap: np.ndarray) -> int:
    """The unit whose step shows a mix: among units taking between MIXED and 1 - MIXED of the new candidate
    (``new_share``, (H,)), the one whose old state and candidate are farthest apart (``gap``, (H,)); if no
    unit mixes, the one nearest half-and-half."""
    mixes = (new_share >= MIXED) & (new_share <= 1.0 - MIXED)
    if not mixes.any():
        return int(np.abs(new_share - 0.5).argmin())
    return int(np.where(mixes, gap, -np.inf).argmax())


def gru_update(model: PretrainedModel, text: str, word: str) -> UpdateClaims:
    trace = model.analyze(text).trace
    k = _index(trace.tokens, word)
    textbook = trace.state("update", convention="textbook")[0, 0].astype(np.float64)  # (T, H) as the page shows
    r = trace.gates["reset"][0, 0, k].astype(np.float64)  # (H,)
    n = np.tanh(trace.terms["input_candidate"][0, 0, k] + r * trace.terms["reset_hidden"][0, 0, k])  # (H,)
    previous = _previous(trace.hidden[0, 0].astype(np.float64), k)  # (H,)
    unit = _mixing_unit(textbook[k], np.abs(n - previous))
    z_torch = float(_update_gate(model, trace.tokens[k], previous)[unit])
    z_textbook = float(textbook[k, unit])
    new = textbook.mean(axis=1)
    return UpdateClaims(
        step=k, token=trace.tokens[k], unit=unit, z_torch=z_torch, z_textbook=z_textbook,
        previous=float(previous[unit]), candidate=float(n[unit]), hidden=float(trace.hidden[0, 0, k, unit]),
        mix=float((1.0 - z_textbook) * previous[unit] + z_textbook * n[unit]),
        new_at=float(new[k]), new_rest=float(np.delete(new, k).mean()), new_rank=_rank_lowest(-new, k),
        steps=len(trace.tokens),
        torch_reads="complement" if abs(z_torch - (1.0 - z_textbook)) < SAME_NUMBER else "same",
    )


# --- 6. word order ----------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderClaims:
    tokens: int  # tokens in each sentence
    same_bag: str  # "yes" if both sentences have the same words with the same counts
    bag_distance: float  # L2 distance of their word-count vectors (0 for the same bag)
    mean_embedding_distance: float  # L2 distance of their mean LSTM embeddings (a bag-of-words reading)
    rnn: float  # L2 distance of the two final hidden states, per model
    lstm: float
    gru: float
    lstm_first: float  # L2 distance of the LSTM's hidden states after the first token
    tell_apart: str  # "yes" if every model's final states differ by more than DIFFERENT
    bag_tells: str  # "yes" if the word counts differ, so a bag-of-words model could tell them apart
    lstm_a: float  # the LSTM's P(positive) for each sentence
    lstm_b: float


def word_order(models: Mapping[str, PretrainedModel], first: str, second: str) -> OrderClaims:
    analyses = {arch: (m.analyze(first), m.analyze(second)) for arch, m in models.items()}
    a, b = analyses["lstm"]
    vocab = sorted(set(a.tokens) | set(b.tokens))
    ca, cb = Counter(a.tokens), Counter(b.tokens)
    bag = np.array([ca[w] - cb[w] for w in vocab], dtype=np.float64)
    lstm = models["lstm"]
    ids_a, _, _ = lstm.encode([list(a.tokens)])
    ids_b, _, _ = lstm.encode([list(b.tokens)])
    table = lstm.model.embedding.weight.detach().numpy().astype(np.float64)
    mean_a, mean_b = table[ids_a[0].numpy()].mean(axis=0), table[ids_b[0].numpy()].mean(axis=0)
    final = {arch: float(np.linalg.norm(x.trace.hidden[0, 0, -1].astype(np.float64) - y.trace.hidden[0, 0, -1]))
             for arch, (x, y) in analyses.items()}
    return OrderClaims(
        tokens=len(a.tokens), same_bag="yes" if ca == cb else "no", bag_distance=float(np.linalg.norm(bag)),
        mean_embedding_distance=float(np.linalg.norm(mean_a - mean_b)),
        rnn=final["rnn"], lstm=final["lstm"], gru=final["gru"],
        lstm_first=float(np.linalg.norm(a.trace.hidden[0, 0, 0].astype(np.float64) - b.trace.hidden[0, 0, 0])),
        tell_apart="yes" if min(final.values()) > DIFFERENT else "no", bag_tells="no" if ca == cb else "yes",
        lstm_a=float(_positive(a)[-1]), lstm_b=float(_positive(b)[-1]),
    )


# --- 7. gradients vanish ----------------------------------------------------------------------

@dataclass(frozen=True)
class GradientClaims:
    steps: int  # T
    distance: int  # the distance compared: from the last token back to the connective
    rnn_log10: float  # log10 ‖∂h_T/∂h_t‖ at that distance, per model
    lstm_log10: float
    gru_log10: float
    rnn_far_log10: float  # the same at the first token (distance T - 1)
    lstm_far_log10: float
    gru_far_log10: float
    rnn_fade: int  # the first distance where the curve is below FADED of its value at distance 1 (T: never)
    lstm_fade: int
    gru_fade: int
    lowest: str  # the model whose curve is lowest at the first token
    lowest_at_connective: str  # the model whose curve is lowest at ``distance``
    far: int  # the distance of the first token, T - 1
    rnn_below_lstm: float  # lstm_log10 - rnn_log10: orders of magnitude the RNN's gradient is below the LSTM's there
    rnn_fades: str  # "rnn_faded" if rnn_fade < steps, else "rnn_never" (a word key: the lesson says it plainly)
    lstm_fades: str  # the same for the LSTM ("lstm_faded" | "lstm_never")
    gru_fades: str
    lstm_rho: float  # Spearman's rho of the LSTM's retention and gradient norm over tokens
    gru_rho: float
    lstm_relation: str  # models.asking.gradients.rho_relation(lstm_rho): "together", "partly", "unrelated", ...
    gru_relation: str


def _fade(log10_norm: np.ndarray) -> int:
    below = np.flatnonzero(log10_norm[1:] < log10_norm[1] + np.log10(FADED))
    return int(below[0] + 1) if below.size else len(log10_norm)


def gradient_paths(models: Mapping[str, PretrainedModel], text: str, connective: str) -> GradientClaims:
    paths = {arch: text_gradient_paths(m, text) for arch, m in models.items()}
    tokens = paths["lstm"].tokens
    k = _index(tokens, connective)
    distance = len(tokens) - 1 - k
    logs = {arch: p.curve.log10_norm for arch, p in paths.items()}
    far = {arch: float(v[-1]) for arch, v in logs.items()}
    rho = {arch: retention_gradient_correlation(models[arch].analyze(text).trace, paths[arch].curve)
           for arch in ("lstm", "gru")}
    fades = {arch: _fade(v) for arch, v in logs.items()}
    return GradientClaims(
        steps=len(tokens), distance=distance,
        rnn_log10=float(logs["rnn"][distance]), lstm_log10=float(logs["lstm"][distance]),
        gru_log10=float(logs["gru"][distance]),
        rnn_far_log10=far["rnn"], lstm_far_log10=far["lstm"], gru_far_log10=far["gru"],
        rnn_fade=fades["rnn"], lstm_fade=fades["lstm"], gru_fade=fades["gru"],
        lowest=min(far, key=far.get), lowest_at_connective=min(logs, key=lambda a: logs[a][distance]),
        far=len(tokens) - 1, rnn_below_lstm=float(logs["lstm"][distance] - logs["rnn"][distance]),
        **{f"{arch}_fades": f"{arch}_faded" if fades[arch] < len(tokens) else f"{arch}_never" for arch in fades},
        lstm_rho=rho["lstm"], gru_rho=rho["gru"],
        lstm_relation=rho_relation(rho["lstm"]), gru_relation=rho_relation(rho["gru"]),
    )


# --- 8. what if it could not forget -----------------------------------------------------------

@dataclass(frozen=True)
class NeverForgetClaims:
    connective: int = _position()  # the edit holds f := 1 from this step to the end
    steps: int
    before_mean: float  # mean P(positive) from the connective on, unedited
    after_mean: float  # the same with f := 1
    end_before: float  # final P(positive), unedited
    end_after: float  # and edited
    label_before: str
    label_after: str
    label_changed: str  # "yes" if the final class changed
    effect: str  # "turns_less" if the mean P(positive) from the connective on rose by more than TURNS_LESS


def never_forget_edit(connective: int, steps: int) -> Edit:
    """LSTM f := 1 for every unit from ``connective`` to the last step."""
    return Edit("forget", range(connective, steps), set=1.0)


def never_forget(model: PretrainedModel, text: str, connective: str) -> NeverForgetClaims:
    before = model.analyze(text)
    k = _index(before.tokens, connective)
    after = model.analyze(text, edits=[never_forget_edit(k, len(before.tokens))])
    pb, pa = _positive(before), _positive(after)
    return NeverForgetClaims(
        connective=k, steps=len(before.tokens), before_mean=float(pb[k:].mean()), after_mean=float(pa[k:].mean()),
        end_before=float(pb[-1]), end_after=float(pa[-1]), label_before=before.label, label_after=after.label,
        label_changed="yes" if before.label != after.label else "no",
        effect="turns_less" if pa[k:].mean() - pb[k:].mean() > TURNS_LESS else "same",
    )


# --- 9. the memory race ---------------------------------------------------------------------------

AT_CHANCE = 0.05  # an accuracy within this of chance (1/K) counts as at chance
RACE_CLUE = 2  # the clue of the race lesson's sequence (CLUES[2])
RACE_SEED = 0  # the seed of its distractor words


@dataclass(frozen=True)
class RaceClaims:
    chance: float  # 1/K
    trained: int  # the longest gap trained on
    tested: int  # the longest gap tested
    rnn_trained: float  # the shipped model's accuracy at the longest trained gap, per cell (from its card)
    lstm_trained: float
    gru_trained: float
    rnn_tested: float  # the same at the longest tested gap
    lstm_tested: float
    gru_tested: float
    rnn_tested_low: float  # the lowest of the seeds at the longest tested gap
    lstm_tested_low: float
    gru_tested_low: float
    rnn_chance_gap: int  # the first gap where the shipped model is within AT_CHANCE of chance; -1: never
    lstm_chance_gap: int
    gru_chance_gap: int
    rnn_falls: str  # "rnn_falls" if rnn_chance_gap >= 0, else "rnn_never" (a word key)
    best: str  # the cell with the highest shipped accuracy at the longest tested gap (ties: rnn, lstm, gru order)
    gap: int  # the gap of the lesson's sequence: the longest trained one
    lstm_unit: int  # the LSTM's best cell-state unit for naming the clue at ``gap`` (models.asking.race)
    lstm_unit_accuracy: float  # its one-unit held-out accuracy
    lstm_unit_forget: float  # its mean forget gate over the gap of the lesson's sequence
    lstm_unit_kept: float  # the product of those forget gates: the share of the clue step's c let through
    lstm_cut_units: int  # the fewest best-ranked cell units whose cut changes the LSTM's answer (0: none does)
    rnn_unit: int  # the RNN's best hidden unit at ``gap``
    rnn_unit_accuracy: float
    rnn_answer: str  # each model's answer on the lesson's sequence (a clue word)
    lstm_answer: str
    gru_answer: str
    clue: str  # the right answer
    rnn_clue_log10: float  # log10 ‖∂h_T/∂h_0‖ on the lesson's sequence (h_0: the state after the clue)
    lstm_clue_log10: float
    gru_clue_log10: float


def chance_gap(curve: RaceCurve, which: str = "shipped") -> int:
    """The first tested gap where ``curve``'s accuracy is within AT_CHANCE of chance; -1 if it never is."""
    values = getattr(curve, which)
    found = np.flatnonzero(values <= curve.chance + AT_CHANCE)
    return int(curve.gaps[found[0]]) if found.size else -1


def race(models: Mapping[str, PretrainedModel], clue: int = RACE_CLUE, seed: int = RACE_SEED) -> RaceClaims:
    """The race lesson's numbers: the curves from the shipped cards (``model.card``), the holding units and one
    sequence at the longest trained gap through each model."""
    curves = {cell: race_curve(models[cell].card, cell) for cell in ("rnn", "lstm", "gru")}
    trained, tested = curves["lstm"].train_gaps[1], int(curves["lstm"].gaps[-1])
    gaps = {cell: chance_gap(c) for cell, c in curves.items()}
    lstm = models["lstm"]
    distractors = race_distractors(lstm, trained, seed)
    answers = {cell: race_answer(m, clue, distractors, cell=cell) for cell, m in models.items()}
    tokens = answers["lstm"].tokens
    cell_units = holding_units(lstm, trained, state="cell")
    rnn_units = holding_units(models["rnn"], trained, state="hidden", top=1)
    along = unit_along_gap(answers["lstm"].analysis, cell_units[0].unit)
    clue_log10 = {cell: float(race_gradient_curve(models[cell], tokens).log10_norm[-1]) for cell in curves}
    return RaceClaims(
        chance=curves["lstm"].chance, trained=trained, tested=tested,
        **{f"{cell}_trained": c.at(trained) for cell, c in curves.items()},
        **{f"{cell}_tested": c.at(tested) for cell, c in curves.items()},
        **{f"{cell}_tested_low": c.at(tested, "low") for cell, c in curves.items()},
        **{f"{cell}_chance_gap": g for cell, g in gaps.items()},
        rnn_falls="rnn_falls" if gaps["rnn"] >= 0 else "rnn_never",
        best=max(curves, key=lambda cell: curves[cell].at(tested)), gap=trained,
        lstm_unit=cell_units[0].unit, lstm_unit_accuracy=cell_units[0].accuracy,
        lstm_unit_forget=along.mean_forget, lstm_unit_kept=along.kept,
        lstm_cut_units=fewest_units_to_change(lstm, tokens, cell_units),
        rnn_unit=rnn_units[0].unit, rnn_unit_accuracy=rnn_units[0].accuracy,
        **{f"{cell}_answer": lstm.labels[a.answer] for cell, a in answers.items()}, clue=lstm.labels[clue],
        **{f"{cell}_clue_log10": v for cell, v in clue_log10.items()},
    )


RACE_CHECKS = (  # (name, holds(claims), says): what a race lesson takes for granted; lessons.lesson.Check(*c)
    ("gates_hold_longer", lambda c: min(c.lstm_tested, c.gru_tested) > c.rnn_tested,
     "the LSTM and the GRU are both more accurate than the RNN at the longest tested gap"),
    ("lstm_holds_past_training", lambda c: c.lstm_tested > c.chance + AT_CHANCE,
     "the LSTM is above chance at the longest tested gap, beyond any gap it was trained on"),
    ("lstm_unit_names_the_clue", lambda c: c.lstm_unit_accuracy > 2 * c.chance,
     "the LSTM's best cell unit alone names the clue at least twice as often as chance"),
    ("lstm_answers_right", lambda c: c.lstm_answer == c.clue,
     "the LSTM names the clue of the lesson's sequence"),
    ("gradient_fades_most_in_the_rnn", lambda c: c.rnn_clue_log10 < min(c.lstm_clue_log10, c.gru_clue_log10),
     "the RNN's gradient from the query back to the clue is the smallest of the three"),
)
