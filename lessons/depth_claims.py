"""What the two lessons on deeper and two-way models say, computed from the shipped variants' real traces.

    from lessons.depth_claims import second_layer, both_ways
    second_layer(load_pretrained("lstm_2layer"), review, "但是").sharper      # "layer2" or "layer1"
    both_ways(load_pretrained("lstm_bi"), review, "但是").backward_leans      # "negative" or "positive"

Conventions as in ``lessons.claims``: steps are token indices from 0 (fields declared with ``_position()``), and
probabilities are of the class ``POSITIVE``.

*A layer's move* at step t is ``||h_t - h_{t-1}||`` (the zero state before the first token); it is compared with
the layer's own median move over the text, because the two layers move by different amounts at every word.

*A half's vote* in a bidirectional model: the head reads ``[h_fwd ; h_bwd]`` (the forward half after the last
token, the backward half after the first), so its positive-minus-negative logit is
``w_fwd . h_fwd + w_bwd . h_bwd + b`` with ``w = W[positive] - W[negative]``. ``w_fwd . h_fwd(t)`` is what the
forward half would add to it from its state at step t, and ``w_bwd . h_bwd(t)`` what the backward half would:
positive leans positive. At step t the forward half has read tokens 0..t, the backward half tokens t..T-1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lessons.claims import POSITIVE, _before, _cosine, _index, _position, _positive, _rank_lowest
from models.pretrained import PretrainedModel


def _moves(hidden: np.ndarray) -> np.ndarray:
    """(T,) ||h_t - h_{t-1}|| for one layer's (T, H) states, from the zero state."""
    previous = np.vstack([np.zeros((1, hidden.shape[1])), hidden[:-1]])
    return np.linalg.norm(hidden - previous, axis=1)


# --- what the second layer adds ---------------------------------------------------------------

@dataclass(frozen=True)
class LayerAtConnective:
    forget_at: float  # mean forget gate over units at the connective
    forget_rest: float  # mean forget gate over units and every other step
    forget_rank: int  # rank of forget_at among the step means, 1 = lowest
    move_at: float  # ||h_k - h_{k-1}||
    median_move: float  # the median move over the text
    move_ratio: float  # move_at / median_move
    move_rank: int  # 1 if the connective's move is the biggest of the text
    end_vs_before: float  # cosine of the final state with the state just before the connective


@dataclass(frozen=True)
class SecondLayerClaims:
    steps: int
    connective: int = _position()
    before: float  # P(positive) just before the connective
    at: float  # and right after reading it
    end: float  # after the last token
    label: str  # the final class
    layer1: LayerAtConnective
    layer2: LayerAtConnective
    sharper: str  # "layer2" if layer 2's move at the connective is the larger multiple of its median, else "layer1"
    calmer: str  # "layer2" if layer 2's median move is the smaller, else "layer1"


def _layer(trace, layer: int, k: int) -> LayerAtConnective:
    hidden = trace.hidden[layer, 0].astype(np.float64)
    moves = _moves(hidden)
    median = float(np.median(moves))
    out = {"move_at": float(moves[k]), "median_move": median, "move_ratio": float(moves[k] / median),
           "move_rank": int((moves > moves[k]).sum()) + 1,
           "end_vs_before": _cosine(hidden[-1], hidden[_before(trace.tokens, k)])}
    forget = trace.gates["forget"][layer, 0].astype(np.float64)
    means = forget.mean(axis=1)
    return LayerAtConnective(forget_at=float(means[k]), forget_rest=float(np.delete(forget, k, axis=0).mean()),
                             forget_rank=_rank_lowest(means, k), **out)


def second_layer(model: PretrainedModel, text: str, connective: str) -> SecondLayerClaims:
    """The two layers of a two-layer LSTM at the connective of ``text``."""
    if model.model.config.num_layers != 2 or model.arch != "lstm":
        raise ValueError(f"second_layer needs a two-layer LSTM, got {model.name}")
    analysis = model.analyze(text)
    k = _index(analysis.tokens, connective)
    positive = _positive(analysis)
    first, second = _layer(analysis.trace, 0, k), _layer(analysis.trace, 1, k)
    return SecondLayerClaims(
        steps=len(analysis.tokens), connective=k, before=float(positive[_before(analysis.tokens, k)]),
        at=float(positive[k]), end=float(positive[-1]), label=analysis.label, layer1=first, layer2=second,
        sharper="layer2" if second.move_ratio > first.move_ratio else "layer1",
        calmer="layer2" if second.median_move < first.median_move else "layer1",
    )


# --- reading both ways ------------------------------------------------------------------------

@dataclass(frozen=True)
class BothWaysClaims:
    steps: int
    connective: int = _position()
    forward_at: float  # the forward half's vote from its state at the connective (read 0..k)
    backward_at: float  # the backward half's vote from its state at the connective (read k..T-1)
    forward_end: float  # the forward half's vote in the answer (its state after the last token)
    backward_start: float  # the backward half's vote in the answer (its state after the first token)
    backward_after_mean: float  # the backward half's mean vote over the steps after the connective
    backward_before_mean: float  # and over the steps before it
    prefix_at: float  # P(positive) had the text ended at the connective (a run on tokens 0..k)
    end: float  # P(positive) of the whole text
    label: str
    backward_leans: str  # "negative" or "positive": the sign of backward_at
    forward_leans: str  # the sign of forward_at


def _sign(value: float) -> str:
    return "positive" if value > 0 else "negative"


def both_ways(model: PretrainedModel, text: str, connective: str) -> BothWaysClaims:
    """The forward and backward halves of a one-layer bidirectional model at the connective of ``text``."""
    config = model.model.config
    if not config.bidirectional or config.num_layers != 1:
        raise ValueError(f"both_ways needs a one-layer bidirectional model, got {model.name}")
    analysis = model.analyze(text)
    k = _index(analysis.tokens, connective)
    _before(analysis.tokens, k)
    weight = model.model.head.weight.detach().numpy().astype(np.float64)
    labels = list(model.labels)
    w = weight[labels.index(POSITIVE)] - weight[1 - labels.index(POSITIVE)]
    size = config.hidden_size
    forward = analysis.trace.hidden[0, 0].astype(np.float64) @ w[:size]  # (T,)
    backward = analysis.trace.hidden[0, 1].astype(np.float64) @ w[size:]
    positive = _positive(analysis)
    return BothWaysClaims(
        steps=len(analysis.tokens), connective=k, forward_at=float(forward[k]), backward_at=float(backward[k]),
        forward_end=float(forward[-1]), backward_start=float(backward[0]),
        backward_after_mean=float(backward[k + 1:].mean()) if k + 1 < len(backward) else float("nan"),
        backward_before_mean=float(backward[:k].mean()), prefix_at=float(positive[k]), end=float(positive[-1]),
        label=analysis.label, backward_leans=_sign(float(backward[k])), forward_leans=_sign(float(forward[k])),
    )
