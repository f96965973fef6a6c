"""Negation-aware training texts built from the training split alone, with a label for every step.

The corpus rarely shows a negated opinion word, so models trained on it read "这部电影不好看" as
positive. As the contrast augmentation does for "A but B" (``models.training.augment``), a rule applied to the
training split makes the missing texts:

- **polar words** are learned from the training split: words seen in at least ``min_count`` training
  reviews whose smoothed log-odds of being positive is at least ``min_log_odds`` away from zero, and that
  jieba's dictionary tags as an adjective (``POLAR_TAGS``), or that are one of the opinion
  verbs ``OPINION_VERBS`` (the corpus's own verbs with a polarity are mostly topics: 阅读, 退货);
- a **clause carried by one word** is one clause of a training review (split at ``CLAUSE_MARKS``;
  ``min_part_tokens`` to ``max_part_tokens``) with no negator and no contrast connective, holding exactly
  one word with any lean (``|log odds| >= min_log_odds / 2``), a polar word with the review's label.
  Clauses are drawn so that each polar word is used about as often as the square root of its number of
  clauses (差 alone would otherwise be a fifth of the texts);
- it is **negated** at that word: a negator (``NEGATORS_ADJ`` before an adjective, ``NEGATORS_VERB``
  before a verb) is written before it, in place of a degree adverb just before it (很好 → 不好), or
  before a causative (让我失望 → 没让我失望). The label flips. Negated negative words (不难吃, 不贵,
  没让我失望) turn positive by the same rule;
- **double negation** writes ``没有…不`` (这里的菜没有不好吃的): the label stays;
- **affirmed** texts are such clauses left as they are, label kept: the other half of each minimal pair, so
  that short clauses are not read as negated ones by their length or style alone (``affirmed``, 0 by default).

Every step has a target: the review's label before the negator, the flipped label from the negator
on, and for double negation the review's label again from the second negator on. The text is
segmented again as a whole, so it reads exactly as the same text typed into the page (jieba joins
不 and 好 into 不好), and the targets follow the characters.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from models.training.augment import CONTRAST, clause

NEGATORS_ADJ = ("不", "一点也不", "并不")  # before an adjective
NEGATORS_VERB = ("不", "没", "没有", "并不")  # before a verb
DOUBLE = ("没有", "不")  # 没有…不: two negations, the label stays
NEGATION_MARKS = ("不", "没", "无", "别", "非", "未", "莫", "勿")  # a clause holding one is not negated again
DEGREE = frozenset({"很", "非常", "太", "特别", "挺", "真", "超", "十分", "比较", "相当", "好", "蛮", "满", "超级",
                    "极其", "最", "更", "还", "也", "都", "真的", "实在", "较"})  # replaced by the negator
CLAUSE_MARKS = frozenset("，,。.！!？?；;、：:…~～")  # where a review's clauses end
CAUSATIVE = frozenset({"让", "令", "使", "叫"})  # 让我失望: the negator goes before 让
POLAR_TAGS = ("a",)  # jieba tags: adjectives (a, ad, an); its idioms (i) are mostly names and set phrases
OPINION_VERBS = frozenset({"喜欢", "喜爱", "推荐", "满意", "失望", "后悔", "值得", "好看", "好用", "好吃", "难吃",
                           "难看", "划算", "实用", "放心", "吸引", "感动", "享受", "欣赏", "佩服", "上当", "郁闷",
                           "折腾", "生气", "讨厌", "担心"})  # verbs that state an opinion (jieba tags them v)
NOT_POLAR_START = tuple("很最太较挺超")  # 很脏, 最差, 太慢: a degree already inside the word
NOT_OPINION = frozenset({"根本", "确实", "坚决", "连续", "正好", "明", "努力", "积极", "意外", "平凡"})  # adverbs
#   and words that lean by topic, tagged as adjectives
KINDS = ("negated", "double", "affirmed")


@dataclass(frozen=True)
class NegateSettings:
    negated: int = 3000  # texts negated once, label flipped, both labels equally often
    double: int = 600  # texts with 没有…不, label kept
    affirmed: int = 0  # clauses carried by one polar word, unchanged, label kept
    min_count: int = 20  # a polar word is in at least this many training reviews
    min_log_odds: float = 0.7  # |log odds of positive| of a polar word, smoothed by one review each way
    min_part_tokens: int = 3
    max_part_tokens: int = 16
    seed: int = 0

    def scaled(self, share: float) -> NegateSettings:
        """The same mix with every count, and the reviews a polar word needs, times ``share`` (for a slice)."""
        return NegateSettings(**{**asdict(self), "negated": max(1, round(self.negated * share)),
                                 "double": max(1, round(self.double * share)),
                                 "affirmed": round(self.affirmed * share),
                                 "min_count": max(2, round(self.min_count * share))})

    def to_dict(self) -> dict:
        return {**asdict(self), "negators_adjective": list(NEGATORS_ADJ), "negators_verb": list(NEGATORS_VERB),
                "double_negation": "".join(DOUBLE[:1]) + "…" + DOUBLE[1], "degree_adverbs_replaced": sorted(DEGREE),
                "causatives": sorted(CAUSATIVE), "polar_tags": list(POLAR_TAGS),
                "opinion_verbs": sorted(OPINION_VERBS)}


@dataclass(frozen=True)
class Negated:
    """Texts made of training clauses. Row k was built from a clause of training review ``sources[k]``."""

    tokens: list[list[str]]
    labels: np.ndarray  # (N,) int64: the label after the last token
    targets: list[np.ndarray]  # one (T_k,) int64 array per text: the label of what is read so far
    kinds: list[str]  # "negated" | "double"
    negators: list[str]  # the negator written, "没有…不" for double negation
    words: list[str]  # the polar word negated
    sources: list[int]

    def __len__(self) -> int:
        return len(self.tokens)

    def counts(self, top: int = 30) -> dict:
        """How many texts of each kind, per negator, and the most negated words."""
        return {**{kind: self.kinds.count(kind) for kind in KINDS},
                "negators": dict(Counter(self.negators)),
                "polar_words_used": len(set(self.words)),
                "most_negated_words": dict(Counter(self.words).most_common(top))}


def leaning_words(token_lists: Sequence[Sequence[str]], labels: Sequence[int], tag_of: Callable[[str], str | None],
                  settings: NegateSettings = NegateSettings()) -> dict[str, float]:
    """Word -> its smoothed log odds of a positive review (> 0 positive), for every word of a polar part of
    speech seen often enough in the training split with any lean (``|log odds| >= min_log_odds / 2``)."""
    seen = [Counter(), Counter()]
    for tokens, label in zip(token_lists, labels):
        seen[int(label)].update(set(tokens))
    prior = math.log((sum(labels) + 1) / (len(labels) - sum(labels) + 1))
    out = {}
    for word in set(seen[0]) | set(seen[1]):
        neg, pos = seen[0][word], seen[1][word]
        tag = tag_of(word)
        if neg + pos < settings.min_count or not (word in OPINION_VERBS or (tag or "").startswith(POLAR_TAGS)):
            continue
        odds = math.log((pos + 1) / (neg + 1)) - prior
        if abs(odds) >= settings.min_log_odds / 2:
            out[word] = odds
    return out


def polar_words(leaning: dict[str, float], settings: NegateSettings = NegateSettings()) -> dict[str, float]:
    """The leaning words strong enough to carry a clause, with no negation or degree inside them (不错, 很脏)."""
    return {word: odds for word, odds in leaning.items() if abs(odds) >= settings.min_log_odds
            and not any(mark in word for mark in NEGATION_MARKS) and not word.startswith(NOT_POLAR_START)
            and word not in NOT_OPINION}


def carrier(tokens: Sequence[str], label: int, leaning: dict[str, float], polar: dict[str, float]) -> int | None:
    """Index of the one word that carries ``tokens``' polarity, or None: it is the clause's only leaning word,
    and a polar word of the label's sign."""
    found = [i for i, tok in enumerate(tokens) if tok in leaning]
    if len(found) != 1 or tokens[found[0]] not in polar or (polar[tokens[found[0]]] > 0) != bool(label):
        return None
    return found[0]


def insertion_point(tokens: Sequence[str], at: int) -> tuple[int, int]:
    """(start, stop) of the tokens the negator replaces before ``tokens[at]``: a degree adverb just before it,
    or nothing (start == stop), with the negator placed before a causative and its object (让我失望)."""
    if at >= 1 and tokens[at - 1] in DEGREE:
        return at - 1, at
    if at >= 2 and tokens[at - 2] in CAUSATIVE:
        return at - 2, at - 2
    return at, at


def _char_targets(tokens: Sequence[str], labels_from: Sequence[tuple[int, int]]) -> np.ndarray:
    """(T,) the label in force at each token: ``labels_from`` is (character offset, label) in reading order;
    a token takes the label of the last offset at or before its last character."""
    ends = np.cumsum([len(tok) for tok in tokens]) - 1
    out = np.empty(len(tokens), dtype=np.int64)
    for k, end in enumerate(ends):
        out[k] = [label for offset, label in labels_from if offset <= end][-1]
    return out


def clauses_of(tokens: Sequence[str]) -> list[list[str]]:
    """The clauses of a review: its tokens split at clause punctuation (``CLAUSE_MARKS``), list markers dropped."""
    out, current = [], []
    for tok in tokens:
        if tok and all(ch in CLAUSE_MARKS for ch in tok):
            out.append(clause(current))
            current = []
        else:
            current.append(tok)
    out.append(clause(current))
    return [c for c in out if c]


@dataclass(frozen=True)
class _Carried:
    source: int  # training review
    tokens: tuple[str, ...]  # one clause of it
    at: int  # the polar word's index in the clause


def carried_clauses(token_lists: Sequence[Sequence[str]], labels: np.ndarray, leaning: dict[str, float],
                    polar: dict[str, float], turning: set[str],
                    settings: NegateSettings) -> dict[int, list[_Carried]]:
    """By label: every clause of a training review that its one polar word carries (see the module doc)."""
    found: dict[int, list[_Carried]] = {0: [], 1: []}
    for k, toks in enumerate(token_lists):
        label = int(labels[k])
        for part in clauses_of(toks):
            if not settings.min_part_tokens <= len(part) <= settings.max_part_tokens or turning & set(part):
                continue
            if any(mark in tok for tok in part for mark in NEGATION_MARKS):
                continue
            at = carrier(part, label, leaning, polar)
            if at is not None:
                found[label].append(_Carried(k, tuple(part), at))
    return found


def _draw_weights(found: list[_Carried]) -> np.ndarray:
    """Draw probabilities: each clause 1 / sqrt(clauses of its polar word), so no word dominates."""
    per_word = Counter(c.tokens[c.at] for c in found)
    w = np.array([1 / math.sqrt(per_word[c.tokens[c.at]]) for c in found])
    return w / w.sum()


def negate(token_lists: Sequence[Sequence[str]], labels: Sequence[int], segment: Callable[[str], list[str]],
           tag_of: Callable[[str], str | None], settings: NegateSettings = NegateSettings()) -> Negated:
    """Negated and double-negated texts from ``token_lists`` (the training split only) and ``labels`` (0 or 1).

    ``segment`` is the training tokenizer; ``tag_of`` gives a word's part of speech (jieba's dictionary
    tag, None if unknown). Seeded by ``settings.seed``.
    """
    rng = np.random.default_rng(settings.seed)
    labels = np.asarray(labels, dtype=np.int64)
    leaning = leaning_words(token_lists, labels, tag_of, settings)
    polar = polar_words(leaning, settings)
    turning = {tok for c in CONTRAST for tok in segment(c.replace("…", ""))}
    usable = carried_clauses(token_lists, labels, leaning, polar, turning, settings)
    if min(len(v) for v in usable.values()) < 2:
        raise ValueError("too few training clauses carried by one polar word to negate")
    weights = {label: _draw_weights(found) for label, found in usable.items()}
    out = Negated([], np.empty(0, dtype=np.int64), [], [], [], [], [])
    finals: list[int] = []
    for kind, count in (("negated", settings.negated), ("double", settings.double),
                        ("affirmed", settings.affirmed)):
        for n in range(count):
            label = n % 2
            chosen = usable[label][int(rng.choice(len(usable[label]), p=weights[label]))]
            part, at = chosen.tokens, chosen.at
            start, stop = insertion_point(part, at)
            head, tail = "".join(part[:start]), "".join(part[stop:])
            if kind == "negated":
                choices = NEGATORS_ADJ if (tag_of(part[at]) or "").startswith("a") else NEGATORS_VERB
                negator = choices[int(rng.integers(len(choices)))]
                text, turns = head + negator + tail, [(0, label), (len(head), 1 - label)]
                final, name = 1 - label, negator
            elif kind == "affirmed":
                text, turns, final, name = head + "".join(part[start:stop]) + tail, [(0, label)], label, ""
            else:
                text = head + DOUBLE[0] + DOUBLE[1] + tail.rstrip("了") + "的"
                turns = [(0, label), (len(head), 1 - label), (len(head) + len(DOUBLE[0]), label)]
                final, name = label, "…".join(DOUBLE)
            tokens = segment(text)
            out.tokens.append(tokens)
            out.targets.append(_char_targets(tokens, turns))
            out.kinds.append(kind)
            out.negators.append(name)
            out.words.append(part[at])
            out.sources.append(chosen.source)
            finals.append(final)
    return Negated(out.tokens, np.array(finals, dtype=np.int64), out.targets, out.kinds, out.negators, out.words,
                   out.sources)


def jieba_tag(word: str) -> str | None:
    """jieba's dictionary part-of-speech tag for ``word`` (None if the dictionary does not have it)."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab.get(word)
