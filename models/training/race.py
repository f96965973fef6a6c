"""The memory race: one clue word, a gap of distractor words, then a query; the model must name the clue.

The controlled experiment behind "a plain RNN forgets, gates keep a path open" (Hochreiter and
Schmidhuber 1997): remember one item across a growing gap. A sequence is

    <clue> w_1 w_2 … w_N <query>

with the clue one of ``CLUES`` (K = 8 colour words), ``N`` the gap, and each ``w_i`` a real word drawn
from the review corpus's training texts (the ``distractors``: a few hundred frequent words, never a
clue or the query). The answer is always the clue. Generation is seeded, and clues and gaps are
balanced: item ``k`` of a set takes clue ``k mod K`` and gap ``gaps[(k div K) mod len(gaps)]``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

CLUES = ("红", "橙", "黄", "绿", "青", "蓝", "紫", "灰")  # K = 8 colour words
QUERY = "？"  # the last token: "which colour?"
DISTRACTORS = 300  # frequent training words used as the gap's filler
MIN_DISTRACTOR_CHARS = 1


@dataclass(frozen=True)
class RaceItem:
    clue: int  # index into CLUES: the answer
    gap: int  # N, distractor tokens between the clue and the query
    tokens: tuple[str, ...]  # clue, N distractors, query: N + 2 tokens


def is_distractor(word: str) -> bool:
    """A word may fill the gap: Chinese characters only, no clue character in it, not the query."""
    return (bool(word) and word != QUERY and all("\u4e00" <= ch <= "\u9fff" for ch in word)
            and not any(clue in word for clue in CLUES))


def distractor_words(token_lists: Iterable[Sequence[str]], count: int = DISTRACTORS) -> tuple[str, ...]:
    """The ``count`` most frequent words of ``token_lists`` (the training split) that may fill a gap, most
    frequent first (ties by the word)."""
    counts = Counter(tok for tokens in token_lists for tok in tokens if is_distractor(tok))
    return tuple(sorted(counts, key=lambda w: (-counts[w], w))[:count])


def race_items(count: int, gaps: Sequence[int], distractors: Sequence[str], seed: int) -> list[RaceItem]:
    """``count`` sequences, clues and gaps balanced (see the module doc), distractors drawn uniformly."""
    if not gaps or min(gaps) < 0:
        raise ValueError("gaps must be a non-empty list of lengths >= 0")
    if not distractors or not all(is_distractor(w) for w in distractors):
        raise ValueError("every distractor must be a Chinese word holding no clue")
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        clue, gap = k % len(CLUES), int(gaps[(k // len(CLUES)) % len(gaps)])
        filler = [distractors[int(i)] for i in rng.integers(len(distractors), size=gap)]
        out.append(RaceItem(clue, gap, (CLUES[clue], *filler, QUERY)))
    order = rng.permutation(count)  # balanced over the whole set, shuffled for training
    return [out[int(i)] for i in order]


def sequence(clue: int, distractors: Sequence[str]) -> tuple[str, ...]:
    """One sequence with a chosen clue and chosen (or typed) distractors."""
    if not 0 <= clue < len(CLUES):
        raise ValueError(f"clue must be in 0..{len(CLUES) - 1}")
    return (CLUES[clue], *distractors, QUERY)
