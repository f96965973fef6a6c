"""Asking which units found a feature, for the units page: the test split, the traces of any model over it (a
character language model or a word-token sentiment classifier, read alike), the rankings cached on disk, a
ranking computed now (with progress), example texts with one unit's values, and the sentiment unit's values.

    texts, labels = test_split()
    key = ranking_key(len(texts), MAX_CHARS)
    stored = stored_rankings(folder, model, key)             # written by `python -m models.train_lm --units`, or None
    rankings = rank(model, texts, on_batch=progress)         # property -> state -> {"top", "baseline", "steps"}
    mine = rank(model, texts, pattern="不.{0,3}好")           # the person's property (CUSTOM) only
    shown = unit_examples(model, texts, "in_brackets", "cell", unit=17)
    values = final_unit_values(lm, texts, "cell", 17)        # (B,) the unit after each whole review

Rankings are JSON-ready (``models.units.rankings_to_json``: the top units with their r, the shuffled baseline
and the steps counted), the same data whether read from the cache or computed here, so the page draws both
alike. A language model's cache entry is keyed by its weights' and vocabulary's fingerprint, a classifier's by
its files' (card, weights, vocabulary), as ``models.training.train_lm.unit_report`` writes them.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.lm import BOS, LanguageModel, lm_characters
from models.pretrained import PretrainedModel
from models.record import record
from models.trace import Trace
from models.training.train_lm import UNIT_MAX_CHARS, corpus_examples
from models.units import (
    CUSTOM,
    MARKERS,
    RANKINGS_FILE,
    UnitData,
    cached_rankings,
    collect,
    final_values,
    rank_units,
    rankings_to_json,
    token_properties,
    unit_values,
)

MAX_CHARS = UNIT_MAX_CHARS  # characters (or a classifier's tokens) of each test text a ranking reads
LM_BATCH = 256  # texts a language model records at a time
CLASSIFIER_BATCH = 64  # texts a classifier records at a time
EXAMPLE_CHARS = 80  # characters (or tokens) of an example text shown tinted
EXAMPLES = 3  # example texts shown for a unit

Model = LanguageModel | PretrainedModel
Progress = Callable[[int, int], None]  # (texts done, texts in all)


def test_split() -> tuple[list[str], list[int]]:
    """The texts and labels (0 negative, 1 positive) of the sentiment models' test split, which every model's
    units are ranked on."""
    test = corpus_examples()["test"]
    return [e.text for e in test], [int(e.label) for e in test]


def cache_fingerprint(model: Model) -> str:
    """The key of ``model``'s entry in the rankings cache (see the module doc)."""
    return model.weights_fingerprint if isinstance(model, LanguageModel) else model.fingerprint


def is_word_model(model: Model) -> bool:
    """True for a model that reads words (a token takes its first character's property), not characters."""
    return not isinstance(model, LanguageModel)


def _lm_texts(texts: Sequence[str]) -> list[str]:
    return [t for t in texts if lm_characters(t)]


def _classifier_traces(model: PretrainedModel, texts: Sequence[str], max_tokens: int | None) -> list[Trace]:
    """The classifier's Trace of each text with tokens (its own words, at most ``max_tokens``), gates only."""
    token_lists = [tokens for tokens in (model.tokens(t)[:max_tokens] for t in texts) if tokens]
    if not token_lists:
        return []
    ids, lengths, _ = model.encode(token_lists)
    with torch.inference_mode():
        emb = model.model.embedding(ids)  # (B, T, E)
    return record(model.model.rnn, emb, lengths, token_lists)


def unit_traces(model: Model, texts: Sequence[str], max_chars: int | None = MAX_CHARS,
                on_batch: Progress | None = None) -> Iterator[Trace]:
    """The Trace of each text (at most ``max_chars`` characters or tokens), recorded a batch at a time so that only
    one batch of traces is alive; ``on_batch(done, total)`` after each batch. Texts with nothing to read are left
    out."""
    language = isinstance(model, LanguageModel)
    texts = _lm_texts(texts) if language else list(texts)
    size = LM_BATCH if language else CLASSIFIER_BATCH
    for start in range(0, len(texts), size):
        batch = texts[start:start + size]
        yield from model.traces(batch, max_chars) if language else _classifier_traces(model, batch, max_chars)
        if on_batch is not None:
            on_batch(min(start + size, len(texts)), len(texts))


def rank(model: Model, texts: Sequence[str], pattern: str | None = None, max_chars: int | None = MAX_CHARS,
         on_batch: Progress | None = None) -> dict:
    """The units of ``model`` ranked over ``texts``: for every built-in property, or, with ``pattern``, for the
    person's property only (``CUSTOM``, each entry with ``matched``: the steps inside a match). JSON-ready
    (``rankings_to_json``). Raises ``models.units.UnitError`` for a
    pattern that does not compile or runs too long."""
    data = collect(unit_traces(model, texts, max_chars, on_batch), pattern)
    if pattern is None:
        return rankings_to_json(rank_units(data))
    prop = data.properties[CUSTOM]
    rankings = rankings_to_json(rank_units(UnitData(data.states, {CUSTOM: prop}, data.shape)))
    matched = int(np.nansum(prop))  # steps inside a match: 0 (or every step) leaves nothing to correlate
    return {CUSTOM: {state: {**entry, "matched": matched} for state, entry in rankings[CUSTOM].items()}}


def stored_rankings(folder: Path, model: Model, key: str) -> dict | None:
    """The rankings of ``model`` under ``key`` in the folder's cache file, None if the file, the model's entry (its
    fingerprint: other weights make it stale) or the key is missing, or the file cannot be read."""
    path = Path(folder) / RANKINGS_FILE
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    entry = stored.get(cache_fingerprint(model), {}) if isinstance(stored, dict) else {}
    found = entry.get(key) if isinstance(entry, dict) else None
    return found if isinstance(found, dict) else None


def store_rankings(folder: Path, model: Model, key: str, rankings: dict) -> bool:
    """Write ``rankings`` into the folder's cache file under the model's fingerprint and ``key``; False if the
    folder cannot be written (the page then keeps them in memory only)."""
    try:
        cached_rankings(Path(folder) / RANKINGS_FILE, cache_fingerprint(model), key, lambda: rankings)
    except (OSError, ValueError):
        return False
    return True


@dataclass(frozen=True, eq=False)
class UnitExample:
    """One text as a model read it, with one unit's value and one property at each token (markers left out)."""

    tokens: tuple[str, ...]  # (T,) characters, or a classifier's words
    values: np.ndarray  # (T,) the unit's value after reading each token
    property: np.ndarray  # (T,) the property of each token


def _example_tokens(model: Model, text: str, max_chars: int) -> list[str]:
    if isinstance(model, LanguageModel):
        return [BOS, *lm_characters(text)[:max_chars]]
    return model.tokens(text)[:max_chars]


def _varies(values: np.ndarray) -> bool:
    known = values[~np.isnan(values)]
    return known.size > 1 and known.min() < known.max()


def unit_examples(model: Model, texts: Sequence[str], prop: str, state: str, unit: int, pattern: str | None = None,
                  count: int = EXAMPLES, max_chars: int = EXAMPLE_CHARS) -> list[UnitExample]:
    """The first ``count`` of ``texts`` (each cut to ``max_chars`` characters or tokens) where the property
    ``prop`` (``CUSTOM`` with ``pattern``) varies, with the value of ``unit`` (flattened, ``models.units.Unit``)
    of ``state`` at each token. Raises UnitError as ``models.units.regex_property``."""
    chosen: list[tuple[str, list[str], np.ndarray]] = []
    for text in texts:
        tokens = _example_tokens(model, text, max_chars)
        if len([t for t in tokens if t not in MARKERS]) < 2:
            continue
        column = token_properties(tokens, pattern)[prop]
        if _varies(column):
            chosen.append((text, tokens, column))
        if len(chosen) == count:
            break
    if not chosen:
        return []
    if isinstance(model, LanguageModel):
        traces = model.traces([text for text, _, _ in chosen], max_chars)
    else:
        traces = _classifier_traces(model, [text for text, _, _ in chosen], max_chars)
    out = []
    for (_, tokens, column), trace in zip(chosen, traces):
        keep = np.array([t not in MARKERS for t in tokens])
        values = unit_values(trace, state)[:, unit]
        out.append(UnitExample(tuple(t for t, k in zip(tokens, keep) if k), values[keep], column[keep]))
    return out


def unit_count(model: Model, state: str) -> int:
    """How many units ``state`` of ``model`` has (layers x directions x units, as ``models.units.Unit`` numbers them),
    read from one recorded character."""
    traces = model.traces(["好"]) if isinstance(model, LanguageModel) else _classifier_traces(model, ["好"], None)
    return unit_values(traces[0], state).shape[1]


def final_unit_values(model: LanguageModel, texts: Sequence[str], state: str, unit: int,
                      on_batch: Progress | None = None) -> np.ndarray:
    """(B,) the value of ``unit`` of ``state`` after the last character of each text, read whole (the sentiment
    unit's reading, as ``models.training.train_lm.unit_report`` chooses and scores it). Texts with no characters
    are left out, as ``unit_traces`` leaves them."""
    parts = []
    language_texts = _lm_texts(texts)
    for start in range(0, len(language_texts), LM_BATCH):
        batch = model.traces(language_texts[start:start + LM_BATCH])
        parts.append(final_values(batch, (state,))[state][:, unit])
        if on_batch is not None:
            on_batch(min(start + LM_BATCH, len(language_texts)), len(language_texts))
    return np.concatenate(parts) if parts else np.zeros(0)


def read_labels(texts: Sequence[str], labels: Sequence[int]) -> np.ndarray:
    """(B,) the labels of the texts ``final_unit_values`` reads (those with characters), in its order."""
    return np.array([label for text, label in zip(texts, labels) if lm_characters(text)], dtype=int)
