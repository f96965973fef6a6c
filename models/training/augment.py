"""Contrast-aware training texts built from the training split alone, with a label for every step.

The corpus is mostly short single-opinion reviews, so a model trained on it learns to commit
early and never turn. Following the "A but B" rule (Hu et al. 2016, *Harnessing Deep Neural
Networks with Logic Rules*), three kinds of texts are added, all made of training reviews:

- ``contrast``: ``A，<connective>B`` (or ``虽然A，但是B``), A and B of opposite labels; the text
  is labelled as B. Connectives: ``CONTRAST``.
- ``additive``: ``A，<connective>B`` with A and B of the same label and an additive connective
  (``ADDITIVE``), so that "a second clause follows" is not by itself a reason to turn.
- ``multi``: several reviews of one label joined by ``。``, for reading over longer distances.

Every step has a target (``Augmented.targets``): the label of the clause read so far. Through A
and its comma it is A's label; from the connective on it is B's. A human reader's prediction turns at the
connective, and so should the per-token curve. Original texts keep their label at every step.

Parts are token lists already segmented the way training segments them; the connective's tokens
are jieba's, so an augmented text reads exactly like the same text typed into the page (up to
segmentation across the comma, which jieba never merges).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

CONTRAST = ("但是", "不过", "可是", "然而", "但", "只是", "可惜", "却", "虽然…但是")
ADDITIVE = ("而且", "并且", "另外", "也")
CONCESSIVE = "虽然…但是"  # the one connective with a part before A
KINDS = ("contrast", "additive", "multi")
CLAUSE_BREAK = "，"
REVIEW_BREAK = "。"

_LIST_NUMBER = re.compile(r"^(\d{1,2}|[一二三四五六七八九十]+)$")  # "1" or "三", when a separator follows
_LIST_SEPARATOR = re.compile(r"^[、.:)(\-*#·]+$")  # after NFKC: "、", ".", ")" ...
_END_PUNCTUATION = frozenset("。.!！?？~～,，;；、…")


@dataclass(frozen=True)
class AugmentSettings:
    contrast: int = 4000  # A + contrast connective + B texts
    additive: int = 1300  # A + additive connective + B texts, A and B of one label
    multi: int = 700  # several same-label reviews joined
    multi_parts: tuple[int, int] = (3, 5)  # reviews per multi text, inclusive
    max_part_tokens: int = 16  # a part is a training review of 3 to this many tokens, list markers dropped,
    # with no contrast connective of its own
    min_part_tokens: int = 3
    seed: int = 0

    def scaled(self, share: float) -> AugmentSettings:
        """The same mix with every count times ``share`` (for a slice of the corpus)."""
        return replace(self, **{k: max(1, round(getattr(self, k) * share)) for k in ("contrast", "additive", "multi")})

    def to_dict(self) -> dict:
        return {**asdict(self), "multi_parts": list(self.multi_parts),
                "contrast_connectives": list(CONTRAST), "additive_connectives": list(ADDITIVE)}


@dataclass(frozen=True)
class Augmented:
    """Texts made of training reviews. Row k was built from ``sources[k]`` (indices into the training split)."""

    tokens: list[list[str]]  # one token list per text
    labels: np.ndarray  # (N,) int64: the label after the last token
    targets: list[np.ndarray]  # one (T_k,) int64 array per text: the label of the clause read so far
    kinds: list[str]  # "contrast" | "additive" | "multi"
    connectives: list[str]  # the connective used, "" for multi texts
    sources: list[tuple[int, ...]]  # training indices of the parts, in reading order

    def __len__(self) -> int:
        return len(self.tokens)

    def counts(self) -> dict:
        """How many texts of each kind, and per connective."""
        out = {kind: self.kinds.count(kind) for kind in KINDS}
        out["connectives"] = {c: self.connectives.count(c) for c in (*CONTRAST, *ADDITIVE)}
        return out


def clause(tokens: Sequence[str]) -> list[str]:
    """A review as a clause: list markers at its start and punctuation at its end dropped."""
    start, stop = 0, len(tokens)
    while start < stop and (_LIST_SEPARATOR.match(tokens[start]) or (
            start + 1 < stop and _LIST_NUMBER.match(tokens[start]) and _LIST_SEPARATOR.match(tokens[start + 1]))):
        start += 1
    while stop > start and all(ch in _END_PUNCTUATION for ch in tokens[stop - 1]):
        stop -= 1
    return list(tokens[start:stop])


def two_clause_targets(first: int, second: int, before: int, after: int) -> np.ndarray:
    """(before + after,) targets: ``first`` for the ``before`` steps up to the comma, ``second`` from the
    connective on."""
    return np.array([first] * before + [second] * after, dtype=np.int64)


def augment(token_lists: Sequence[Sequence[str]], labels: Sequence[int], segment: Callable[[str], list[str]],
            settings: AugmentSettings = AugmentSettings()) -> Augmented:
    """Augmented texts from ``token_lists`` (the training split only) and their ``labels`` (0 or 1).

    ``segment`` turns a connective string into tokens (the training tokenizer). Seeded by ``settings.seed``.
    """
    rng = np.random.default_rng(settings.seed)
    labels = np.asarray(labels, dtype=np.int64)
    clauses = [clause(toks) for toks in token_lists]
    turning = {tok for c in CONTRAST for tok in segment(c.replace("…", ""))}
    usable = np.array([settings.min_part_tokens <= len(c) <= settings.max_part_tokens and not turning & set(c)
                       for c in clauses])  # a part that turns by itself would blur where the text turns
    pools = {lab: np.flatnonzero(usable & (labels == lab)) for lab in (0, 1)}
    if min(len(p) for p in pools.values()) < 2:
        raise ValueError("too few short training reviews of each label to augment from")
    turns = {c: segment(c.split("…")[-1]) for c in (*CONTRAST, *ADDITIVE)}  # 虽然…但是 turns at 但是
    lead = segment(CONCESSIVE.split("…")[0])
    comma = segment(CLAUSE_BREAK)
    out = Augmented([], np.empty(0, dtype=np.int64), [], [], [], [])
    finals: list[int] = []

    def add(tokens: list[str], targets: np.ndarray, kind: str, connective: str, sources: tuple[int, ...]) -> None:
        out.tokens.append(tokens)
        out.targets.append(targets)
        out.kinds.append(kind)
        out.connectives.append(connective)
        out.sources.append(sources)
        finals.append(int(targets[-1]))

    for kind, count, connectives in (("contrast", settings.contrast, CONTRAST),
                                     ("additive", settings.additive, ADDITIVE)):
        for k in range(count):
            connective = connectives[k % len(connectives)]  # every connective equally often
            second = int(rng.integers(2))  # B's label, balanced
            first = 1 - second if kind == "contrast" else second
            a, b = int(rng.choice(pools[first])), int(rng.choice(pools[second]))
            while b == a:
                b = int(rng.choice(pools[second]))
            before = [*(lead if connective == CONCESSIVE else []), *clauses[a], *comma]
            after = [*turns[connective], *clauses[b]]
            add([*before, *after], two_clause_targets(first, second, len(before), len(after)), kind, connective, (a, b))
    low, high = settings.multi_parts
    for _ in range(settings.multi):
        label = int(rng.integers(2))
        parts = rng.choice(pools[label], size=int(rng.integers(low, high + 1)), replace=False)
        tokens = [tok for p in parts for tok in (*clauses[p], REVIEW_BREAK)]
        add(tokens, np.full(len(tokens), label, dtype=np.int64), "multi", "", tuple(int(p) for p in parts))
    return Augmented(out.tokens, np.array(finals, dtype=np.int64), out.targets, out.kinds, out.connectives,
                     out.sources)
