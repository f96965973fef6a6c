"""Units that found a feature: character properties of a text, each unit's correlation with them, and the
sentiment unit.

    props = character_properties("他说《不好》")               # name -> (n,) float, one value per character
    data = collect(traces)                                    # every step of many Traces, with its properties
    rankings = rank_units(data)                               # property -> state -> Ranking (units by |r|)
    best = sentiment_unit(final_values(val), val_labels, final_values(test), test_labels)

Properties are computed from the text alone (``PROPERTIES``), one value per character. A Trace's step gets
the property of its token's first character: for the character language models a token is one character;
for word-token models (the sentiment classifiers read jieba words) a word takes its first character's value,
so "inside brackets" is true for a word whose first character is inside them. The text is rebuilt by joining
the trace's tokens; steps whose token is a marker (``MARKERS``: the language models' begin-of-text ``<s>``)
have no property (NaN) and are left out.

A unit is one coordinate of one state (``hidden``, and ``cell`` for an LSTM) at one layer and direction,
numbered as the flattened (layer, direction, unit) axes of the Trace arrays (``Unit``). Its score for a
property is Pearson's r over every step of every text. The baseline beside it: the best |r| any unit reaches
against the same property shuffled across the steps (seeded), which is what chance gives with this many units.

A person's own property is a regular expression (``regex_property``): the characters inside a match have
value 1. It runs under the ``regex`` package's timeout: a pattern that backtracks too long on one text raises
``UnitError("unit_regex_timeout")``, one too slow over all the texts ``"unit_regex_slow"``. Rankings can be
cached in a JSON file keyed by the model files' fingerprint (``cached_rankings``).
"""
from __future__ import annotations

import json
import os
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import regex

from models.errors import CodedError
from models.trace import Trace

PROPERTIES = ("in_brackets", "since_punctuation", "in_digits", "after_negator", "next_is_punctuation",
              "in_latin_word")
OPENERS = "《“（「("  # an opener raises the depth, a closer lowers it (kinds are not matched with each other)
CLOSERS = "》”）」)"
NEGATORS = frozenset("不没别")
MARKERS = frozenset({"<s>"})  # tokens that are not text: no property
STATES = ("hidden", "cell")  # the states whose units are ranked (cell: LSTM only)
REGEX_TIMEOUT = 0.5  # seconds a user's pattern may run on one text
REGEX_BUDGET = 20.0  # seconds a user's pattern may run over all the texts of one ranking
MAX_PATTERN = 200  # characters of a user's pattern
RANKINGS_FILE = "unit_rankings.json"  # the cache of rankings, in pretrained/ next to the models
CUSTOM = "custom"  # the name of a user's property in a ranking
TOP_UNITS = 10  # units kept per ranking in a cache
CHUNK = 64  # units correlated at a time (bounds the float64 copy: N steps x CHUNK)


class UnitError(CodedError, ValueError):
    """A user's property that cannot be used; its code and fields (``models.errors``) say why."""


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def _in_brackets(text: str) -> np.ndarray:
    """1 for characters strictly inside a bracket or quote pair of OPENERS/CLOSERS (nesting counted)."""
    out, depth = np.zeros(len(text)), 0
    for i, ch in enumerate(text):
        if ch in CLOSERS and depth > 0:
            depth -= 1
        out[i] = float(depth > 0 and ch not in OPENERS)
        if ch in OPENERS:
            depth += 1
    return out


def _since_punctuation(text: str) -> np.ndarray:
    """Characters since the last punctuation mark: 0 at a mark, 1 right after it (the first character is 1)."""
    out, count = np.zeros(len(text)), 0
    for i, ch in enumerate(text):
        count = 0 if _is_punctuation(ch) else count + 1
        out[i] = count
    return out


def _after_negator(text: str) -> np.ndarray:
    """1 for characters after a negator (NEGATORS) in the same clause (clauses end at punctuation marks)."""
    out, negated = np.zeros(len(text)), False
    for i, ch in enumerate(text):
        if _is_punctuation(ch):
            negated = False
        out[i] = float(negated)
        negated = negated or ch in NEGATORS
    return out


def character_properties(text: str) -> dict[str, np.ndarray]:
    """Every property of ``PROPERTIES`` for each character of ``text``: name -> (len(text),) float64."""
    punct = np.array([_is_punctuation(ch) for ch in text], dtype=float)
    return {
        "in_brackets": _in_brackets(text),
        "since_punctuation": _since_punctuation(text),
        "in_digits": np.array([ch.isdigit() for ch in text], dtype=float),
        "after_negator": _after_negator(text),
        "next_is_punctuation": np.append(punct[1:], 0.0) if len(text) else punct,
        "in_latin_word": np.array([ch.isascii() and ch.isalpha() for ch in text], dtype=float),
    }


def regex_property(text: str, pattern: str, timeout: float = REGEX_TIMEOUT) -> np.ndarray:
    """(len(text),) float64: 1 for characters inside a match of ``pattern``, else 0.

    Raises UnitError: "unit_regex_invalid" for a pattern that does not compile (or is longer than MAX_PATTERN),
    "unit_regex_timeout" when matching takes longer than ``timeout`` seconds.
    """
    compiled = compile_pattern(pattern)
    out = np.zeros(len(text))
    try:
        for match in compiled.finditer(text, timeout=timeout):
            out[match.start():match.end()] = 1.0
    except TimeoutError:
        raise UnitError("unit_regex_timeout", seconds=timeout) from None
    return out


def compile_pattern(pattern: str) -> regex.Pattern:
    """``pattern`` compiled by the ``regex`` package; UnitError("unit_regex_invalid") if it cannot be."""
    if not pattern or len(pattern) > MAX_PATTERN:
        raise UnitError("unit_regex_invalid", detail=f"a pattern has 1 to {MAX_PATTERN} characters")
    try:
        return regex.compile(pattern)
    except (regex.error, OverflowError, RecursionError) as err:
        raise UnitError("unit_regex_invalid", detail=str(err)) from None


def token_properties(tokens: Sequence[str], pattern: str | None = None,
                     timeout: float = REGEX_TIMEOUT) -> dict[str, np.ndarray]:
    """name -> (T,) float64: each token's value is its first character's, in the text made by joining the tokens.
    Marker tokens (MARKERS) are NaN. With ``pattern``, also ``CUSTOM`` (``regex_property`` with ``timeout``)."""
    text = "".join(t for t in tokens if t not in MARKERS)
    props = character_properties(text)
    if pattern is not None:
        props[CUSTOM] = regex_property(text, pattern, timeout)
    starts, offset = [], 0
    for token in tokens:
        starts.append(-1 if token in MARKERS else offset)
        offset += 0 if token in MARKERS else len(token)
    starts = np.array(starts)
    out = {}
    for name, values in props.items():
        column = np.full(len(tokens), np.nan)
        column[starts >= 0] = values[starts[starts >= 0]]
        out[name] = column
    return out


@dataclass(frozen=True)
class Unit:
    """Where a flattened unit index lives in a Trace's arrays."""

    state: str  # "hidden" or "cell"
    layer: int
    direction: int
    index: int  # unit within the layer and direction

    @classmethod
    def of(cls, trace_shape: tuple[int, ...], state: str, flat: int) -> Unit:
        """The unit at ``flat`` in the (layer, direction, unit) flattening of arrays shaped (L, D, T, H)."""
        layers, directions, _, size = trace_shape
        layer, rest = divmod(int(flat), directions * size)
        return cls(state, layer, *divmod(rest, size))


def unit_values(trace: Trace, state: str) -> np.ndarray:
    """(T, L*D*H) float32: every unit of ``state`` at every step, units flattened as ``Unit.of`` reads them."""
    values = trace.state(state)  # (L, D, T, H)
    return np.moveaxis(values, 2, 0).reshape(trace.num_steps, -1).astype(np.float32)


@dataclass(frozen=True, eq=False)
class UnitData:
    """Every step of many traces, side by side: the units of each state and the properties of each step."""

    states: Mapping[str, np.ndarray]  # state -> (N, U) unit values over all N steps
    properties: Mapping[str, np.ndarray]  # property -> (N,), NaN where the step has none
    shape: tuple[int, ...]  # (L, D, T, H) of the first trace, for naming units


def _properties_within(tokens: Sequence[str], pattern: str | None, left: float) -> dict[str, np.ndarray]:
    """``token_properties``, the pattern given at most ``left`` seconds of the budget (UnitError "unit_regex_slow"
    once the budget, not the one text's own limit, runs out)."""
    if pattern is None:
        return token_properties(tokens)
    if left <= 0:
        raise UnitError("unit_regex_slow", seconds=REGEX_BUDGET)
    try:
        return token_properties(tokens, pattern, min(REGEX_TIMEOUT, left))
    except UnitError as err:
        if err.code == "unit_regex_timeout" and left < REGEX_TIMEOUT:
            raise UnitError("unit_regex_slow", seconds=REGEX_BUDGET) from None
        raise


def collect(traces: Iterable[Trace], pattern: str | None = None, states: Sequence[str] = STATES,
            budget: float = REGEX_BUDGET) -> UnitData:
    """The unit values and the properties (``token_properties``) of every step of ``traces``. Each trace is read
    once and let go, so a generator that records a batch at a time keeps only these arrays in memory.

    ``pattern`` (a person's property) may run ``REGEX_TIMEOUT`` seconds on one text and ``budget`` seconds in all:
    UnitError "unit_regex_timeout" or "unit_regex_slow" beyond.
    """
    values: dict[str, list[np.ndarray]] = {}
    props: dict[str, list[np.ndarray]] = {}
    shape = None
    spent = 0.0
    for trace in traces:
        shape = shape or trace.hidden.shape
        for state in states:
            if trace.has_state(state):
                values.setdefault(state, []).append(unit_values(trace, state))
        start = time.perf_counter()
        for name, column in _properties_within(trace.tokens, pattern, budget - spent).items():
            props.setdefault(name, []).append(column)
        spent += time.perf_counter() - start
    if shape is None:
        raise ValueError("no traces to collect")
    return UnitData({s: np.concatenate(v) for s, v in values.items()},
                    {name: np.concatenate(p) for name, p in props.items()}, shape)


def correlations(values: np.ndarray, prop: np.ndarray) -> np.ndarray:
    """(U,) Pearson r of each column of ``values`` (N, U) with ``prop`` (N,), over the steps where ``prop`` is not
    NaN. A constant unit or a constant property gives r = 0. Computed in float64, ``CHUNK`` columns at a time."""
    keep = ~np.isnan(prop)
    out = np.zeros(values.shape[1])
    if keep.sum() < 2:
        return out
    y = prop[keep] - prop[keep].mean()
    for start in range(0, values.shape[1], CHUNK):
        x = values[keep, start:start + CHUNK].astype(np.float64)  # (N, chunk)
        x -= x.mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:start + CHUNK] = (y @ x) / np.sqrt((x * x).sum(axis=0) * (y @ y))
    return np.clip(np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0), -1.0, 1.0)


@dataclass(frozen=True, eq=False)
class Ranking:
    """The units of one state ranked for one property."""

    property: str
    state: str
    r: np.ndarray  # (U,) Pearson r of every unit
    order: np.ndarray  # (U,) unit indices by |r|, best first
    baseline: float  # best |r| of any unit against the property shuffled across the steps
    steps: int  # steps the correlations were computed over

    @property
    def best(self) -> int:
        return int(self.order[0])

    def top(self, count: int = TOP_UNITS) -> list[tuple[int, float]]:
        """The ``count`` best units as (unit index, r)."""
        return [(int(u), float(self.r[u])) for u in self.order[:count]]


def shuffled_baseline(values: np.ndarray, prop: np.ndarray, seed: int = 0) -> float:
    """The best |r| any unit reaches against ``prop`` shuffled across its non-NaN steps (a seeded permutation)."""
    keep = ~np.isnan(prop)
    shuffled = prop.copy()
    shuffled[keep] = np.random.default_rng(seed).permutation(prop[keep])
    return float(np.abs(correlations(values, shuffled)).max(initial=0.0))


def rank_units(data: UnitData, seed: int = 0) -> dict[str, dict[str, Ranking]]:
    """property -> state -> Ranking, for every property of ``data`` and every state it holds."""
    out: dict[str, dict[str, Ranking]] = {}
    for name, prop in data.properties.items():
        steps = int((~np.isnan(prop)).sum())
        out[name] = {}
        for state, values in data.states.items():
            r = correlations(values, prop)
            order = np.argsort(-np.abs(r), kind="stable")
            out[name][state] = Ranking(name, state, r, order, shuffled_baseline(values, prop, seed), steps)
    return out


def find_units(traces: Sequence[Trace], pattern: str | None = None, seed: int = 0) -> dict[str, dict[str, Ranking]]:
    """``rank_units`` over every step of ``traces``, for every property (and ``pattern`` as ``CUSTOM``)."""
    return rank_units(collect(traces, pattern), seed)


def rankings_to_json(rankings: Mapping[str, Mapping[str, Ranking]], count: int = TOP_UNITS) -> dict:
    """The top ``count`` units of each ranking, with its baseline, as JSON-ready data."""
    return {name: {state: {"top": [[u, round(r, 6)] for u, r in ranking.top(count)],
                           "baseline": round(ranking.baseline, 6), "steps": ranking.steps}
                   for state, ranking in by_state.items()}
            for name, by_state in rankings.items()}


def ranking_key(texts: int, max_chars: int) -> str:
    """The key, within a model's entry of the rankings cache, of the rankings over the first ``texts`` test texts
    each read up to ``max_chars`` characters or tokens (``models.train_lm --units`` and the units page agree on it)."""
    return f"test:{texts} texts:{max_chars} characters or tokens"


def cached_rankings(path: Path, fingerprint: str, key: str, compute: Callable[[], dict]) -> dict:
    """``compute()`` (JSON-ready rankings, e.g. ``rankings_to_json``) stored in the JSON file ``path`` under the model
    files' ``fingerprint`` and ``key`` (what was ranked: a split, a pattern); read from there when present."""
    stored = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    entry = stored.get(fingerprint, {}).get(key)
    if entry is not None:
        return entry
    entry = compute()
    stored.setdefault(fingerprint, {})[key] = entry
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(json.dumps(stored, ensure_ascii=False, indent=1), encoding="utf-8")
    partial.replace(path)  # atomic: a reader never sees half a file
    return entry


def final_values(traces: Iterable[Trace], states: Sequence[str] = STATES) -> dict[str, np.ndarray]:
    """state -> (B, U): each unit's value after the last step of each trace (the end of a review)."""
    rows: dict[str, list[np.ndarray]] = {}
    for trace in traces:
        for state in states:
            if trace.has_state(state):
                rows.setdefault(state, []).append(np.array(trace.state(state)[:, :, -1].reshape(-1)))
    return {state: np.stack(r) for state, r in rows.items()}


@dataclass(frozen=True)
class SentimentUnit:
    """The single unit whose value at the end of a review best separates the classes, as a one-unit classifier."""

    state: str
    unit: int  # flattened index (``Unit.of``)
    threshold: float  # value above which the unit says ``above`` (the class index, 0 or 1)
    above: int
    validation_accuracy: float  # where the unit and its threshold were chosen
    test_accuracy: float  # scored once, on held-out texts


def _best_cut(values: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each unit (column of values (B, U)), the best accuracy of a threshold rule, its threshold and which
    class lies above it, over the B + 1 cuts of the sorted values."""
    count = len(labels)
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)  # (B, U)
    ones = labels[order].astype(float)  # (B, U) labels in each unit's value order
    ones_below = np.vstack([np.zeros(values.shape[1]), np.cumsum(ones, axis=0)])  # (B + 1, U)
    below = np.arange(count + 1)[:, None]
    accuracy = (below - ones_below + (ones.sum(axis=0) - ones_below)) / count  # class 1 above the cut
    flipped = 1.0 - accuracy  # class 0 above the cut
    # a threshold can only fall between two different values: a cut inside a run of equal values (a saturated
    # unit) would split them by their order in the split, which no threshold can do on other texts
    edge = np.ones((1, values.shape[1]), dtype=bool)
    possible = np.vstack([edge, ordered[1:] > ordered[:-1], edge])  # (B + 1, U)
    accuracy, flipped = np.where(possible, accuracy, -np.inf), np.where(possible, flipped, -np.inf)
    best_plain, best_flipped = accuracy.max(axis=0), flipped.max(axis=0)
    above = (best_plain >= best_flipped).astype(int)
    cut = np.where(above == 1, accuracy.argmax(axis=0), flipped.argmax(axis=0))
    padded = np.vstack([ordered[:1] - 1.0, ordered, ordered[-1:] + 1.0])  # values around each cut
    columns = np.arange(values.shape[1])
    threshold = (padded[cut, columns] + padded[cut + 1, columns]) / 2
    return np.maximum(best_plain, best_flipped), threshold, above


def sentiment_unit(validation: Mapping[str, np.ndarray], validation_labels: Sequence[int],
                   test: Mapping[str, np.ndarray], test_labels: Sequence[int]) -> SentimentUnit:
    """The unit (of any state in ``validation``, state -> (B, U) ``final_values``) and threshold that best separate
    the labels (0/1) on validation, and its accuracy on test with that same threshold."""
    val_labels, test_labels = np.asarray(validation_labels), np.asarray(test_labels)
    best: tuple | None = None
    for state, values in validation.items():
        accuracy, threshold, above = _best_cut(values, val_labels)
        unit = int(accuracy.argmax())
        if best is None or accuracy[unit] > best[0]:
            best = (float(accuracy[unit]), state, unit, float(threshold[unit]), int(above[unit]))
    val_accuracy, state, unit, threshold, above = best
    said = np.where(test[state][:, unit] > threshold, above, 1 - above)
    return SentimentUnit(state, unit, threshold, above, val_accuracy, float((said == test_labels).mean()))
