"""What the lesson on the character language models says, computed from the shipped models.

    from lessons.lm_claims import units_claims
    claims = units_claims({"lm_lstm": ..., "lm_gru": ..., "lm_rnn": ..., "lstm": ...}, text)
    claims.clause_unit, claims.clause_r          # the LSTM cell unit that best tracks the clause length, its r

Bits per character and the n-gram baseline are the cards' (measured on the test split by ``python -m
models.train_lm`` on the weights as stored, the baseline fitted once with ``--baseline``). The units' ranking is
the units page's: the whole test split's, from the rankings cache in ``pretrained/`` when it holds these weights
(``python -m models.train_lm --units`` writes it, with the same code); without it, ranked here on every
``SAMPLE_EVERY``-th review of the test split, so that a lesson opens in a few seconds (the same Pearson r and
shuffled baseline, on fewer texts; ``sample`` says how many). The sentiment unit is the card's (``--units``: chosen
on validation, scored once on the whole test split); the full sentiment LSTM's accuracy is its card's.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.asking.units import MAX_CHARS, rank, stored_rankings, test_split
from models.lm import LanguageModel, lm_characters
from models.pretrained import PRETRAINED_DIR
from models.units import character_properties, ranking_key, unit_values

SAMPLE_EVERY = 6  # every 6th test review: 290 of 1,736, both labels (the split is ordered by label)
STATE = "cell"  # the LSTM's cell state: its units are the counters and switches
FOUND_R = 0.3  # |r| a unit needs, and FOUND_TIMES its shuffled baseline, for the lesson to call it a counter
FOUND_TIMES = 10


def _bits(model: LanguageModel) -> float:
    return float(model.card["metrics"]["test"]["bits_per_character"])


def _versus(bits: float, baseline: float) -> str:
    return "beats" if bits < baseline else "trails"


@dataclass(frozen=True)
class UnitsClaims:
    lstm_bits: float  # test bits per character
    gru_bits: float
    rnn_bits: float
    ngram_bits: float  # the Kneser-Ney n-gram baseline's
    ngram_order: int
    lstm_vs_ngram: str  # "beats" or "trails"
    gru_vs_ngram: str
    rnn_vs_ngram: str
    sample: int  # test reviews the units were ranked on (the whole split from the cache, or every 6th)
    clause_unit: int  # the LSTM cell unit with the largest |r| with "characters since the last punctuation mark"
    clause_r: float
    clause_baseline: float  # the best |r| of any unit against the property shuffled
    clause_text_r: float  # the same unit's r on the lesson's text alone
    clause_drop: float  # the unit's mean change at a punctuation mark, in units of its spread over the text
    counter_found: str  # "yes" if the clause unit's |r| is at least FOUND_R and FOUND_TIMES its baseline
    negator_unit: int  # the LSTM cell unit with the largest |r| with "after 不/没/别 in the clause"
    negator_r: float
    negator_baseline: float
    sentiment_state: str  # the language model's best single unit at the end of a review (its card)
    sentiment_unit: int
    sentiment_accuracy: float  # its test accuracy as a one-unit classifier
    classifier_accuracy: float  # the full sentiment LSTM's test accuracy


def _best(rankings: dict, prop: str) -> tuple[int, float, float]:
    entry = rankings[prop][STATE]
    unit, r = entry["top"][0]
    return int(unit), float(r), float(entry["baseline"])


def _on_text(model: LanguageModel, text: str, unit: int) -> tuple[float, float]:
    """The unit's r with the clause length on ``text``, and its mean change at a punctuation mark (over its std)."""
    trace = model.analyze(text).trace
    values = unit_values(trace, STATE)[1:, unit]  # (T - 1,) after each character (step 0 read BOS)
    since = character_properties("".join(lm_characters(text)))["since_punctuation"]
    r = float(np.corrcoef(values, since)[0, 1])
    changes = np.diff(np.concatenate([[unit_values(trace, STATE)[0, unit]], values]))
    at_marks = changes[since == 0]  # a punctuation mark restarts the count
    return r, float(at_marks.mean() / values.std()) if len(at_marks) else 0.0


def units_claims(models: Mapping[str, object], text: str) -> UnitsClaims:
    lstm = models["lm_lstm"]
    missing = [part for part in ("baseline", "units") if not lstm.card.get(part)]
    if missing:
        raise ValueError(f"lm_lstm's card has no {' or '.join(missing)}: run `python -m models.train_lm --baseline` "
                         "and `--units` after training")
    baseline = lstm.card["baseline"]
    ngram = float(baseline["metrics"]["test"]["bits_per_character"])
    texts = test_split()[0]
    rankings = stored_rankings(PRETRAINED_DIR, lstm, ranking_key(len(texts), MAX_CHARS))
    if rankings is None:
        texts = texts[::SAMPLE_EVERY]
        rankings = rank(lstm, texts, max_chars=MAX_CHARS)
    clause_unit, clause_r, clause_baseline = _best(rankings, "since_punctuation")
    negator_unit, negator_r, negator_baseline = _best(rankings, "after_negator")
    text_r, drop = _on_text(lstm, text, clause_unit)
    sentiment = lstm.card["units"]["sentiment_unit"]
    bits = {name: _bits(models[name]) for name in ("lm_lstm", "lm_gru", "lm_rnn")}
    return UnitsClaims(
        lstm_bits=bits["lm_lstm"], gru_bits=bits["lm_gru"], rnn_bits=bits["lm_rnn"], ngram_bits=ngram,
        ngram_order=int(baseline["order"]), lstm_vs_ngram=_versus(bits["lm_lstm"], ngram),
        gru_vs_ngram=_versus(bits["lm_gru"], ngram), rnn_vs_ngram=_versus(bits["lm_rnn"], ngram), sample=len(texts),
        clause_unit=clause_unit, clause_r=clause_r, clause_baseline=clause_baseline, clause_text_r=text_r,
        clause_drop=drop, counter_found="yes" if abs(clause_r) >= max(FOUND_R, FOUND_TIMES * clause_baseline) else "no",
        negator_unit=negator_unit, negator_r=negator_r, negator_baseline=negator_baseline,
        sentiment_state=sentiment["state"], sentiment_unit=int(sentiment["unit"]),
        sentiment_accuracy=float(sentiment["test_accuracy"]),
        classifier_accuracy=float(models["lstm"].card["metrics"]["test"]["accuracy"]))
