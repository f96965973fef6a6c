"""Phenomenon suites: hand-written sentences that test what the lessons teach, scored per model.

Each suite is a tab-separated file in ``benchmarks/suites/`` with a header line:

- ``contrast.tsv`` (``text, label, connective, domain``): "A, but B" reviews labelled as B. Besides the
  accuracy, the **turn rate** is the share of sentences whose per-token prediction is on A's side
  (the other label) just before the connective and on B's side after the last token. In ``lesson.tsv``
  it counts only the sentences that name a connective. A model can only turn where it reads both
  halves right, so two more numbers separate the mechanism from word knowledge: ``halves_right``,
  the share of sentences whose two halves, each read alone, get their own labels, and
  ``turn_rate_understood``, the turn rate among those sentences.
- ``negation.tsv``, ``intensifier.tsv``, ``word_order.tsv`` (``pair, text, label``): minimal pairs.
  Besides the accuracy, ``pairs_right`` is the share of pairs with both sentences right.
- ``lesson.tsv`` (``text, label, connective``): the teaching material's own example sentences.
- ``negation_heldout.tsv`` (``pair, form, negator, text, label``): held out, frozen when it was written
  and never tuned on (``HELDOUT_SUITES``; no card is trained or chosen on it). Each pair is a ``plain``
  sentence and its ``negated`` form (不, 没, 没有, 一点也不, 并不, and 没有…不 double negation; negated
  negative words such as 不贵 turn positive). Besides the accuracy, the **flip rate** is the share of
  pairs whose negated sentence is read right among those whose plain sentence is: negation apart from
  word knowledge.

    python -m benchmarks.suites          # every suite, every shipped model
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SUITES_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "suites"
SUITES = ("contrast", "negation", "intensifier", "word_order", "lesson")
HELDOUT_SUITES = ("negation_heldout",)  # frozen test suites: scored, never tuned or chosen on
PLAIN, NEGATED = "plain", "negated"  # the two forms of a negation_heldout pair
TURN_SUITES = frozenset({"contrast", "lesson"})  # suites whose sentences name their connective
CONCESSIVE_LEAD = "虽然"  # "虽然 A，但是 B": A is read alone without it
_CLAUSE_END = "，,。.！!；;、 "


@dataclass(frozen=True)
class SuiteItem:
    text: str
    label: str  # the expected final label
    connective: str = ""  # where the text turns, as written in it ("" if it does not)
    pair: str = ""  # minimal-pair id shared by two rows ("" outside pair suites)
    domain: str = ""
    form: str = ""  # PLAIN or NEGATED in a negation_heldout pair ("" elsewhere)


@dataclass(frozen=True)
class ItemResult:
    item: SuiteItem
    tokens: tuple[str, ...]
    probabilities: np.ndarray  # (T, C) after each token
    predicted: str  # label after the last token
    before_turn: str | None  # label after the last token before the connective; None without one
    halves: tuple[str, str] | None = None  # labels of the part before the connective and the part after it,
    #                                        each read alone; None without a connective

    @property
    def right(self) -> bool:
        return self.predicted == self.item.label

    @property
    def halves_right(self) -> bool:
        """Each half read alone gets its own label: the first the other one, the second the expected one."""
        return self.halves is not None and self.halves[0] != self.item.label and self.halves[1] == self.item.label

    @property
    def turned(self) -> bool:
        """On the other side before the connective, and on the expected side at the end."""
        return self.before_turn is not None and self.before_turn != self.item.label and self.right


def load_suite(path: str | Path) -> list[SuiteItem]:
    """The rows of one suite file."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    fields = SuiteItem.__dataclass_fields__
    return [SuiteItem(**{k: (v or "").strip() for k, v in row.items() if k in fields}) for row in rows]


def turn_step(tokens: list[str] | tuple[str, ...], text_read: str, connective: str) -> int:
    """Index of the last token that ends before ``connective`` starts, or -1 if none does.

    ``text_read`` is the text as the tokens spell it (their concatenation). Raises ValueError if
    the connective is not in the text.
    """
    start = text_read.find(connective)
    if start < 0:
        raise ValueError(f"connective {connective!r} not in {text_read!r}")
    ends = np.cumsum([len(tok) for tok in tokens])
    return int(np.searchsorted(ends, start, side="right")) - 1


def halves(text: str, connective: str) -> tuple[str, str]:
    """The part before the connective (without a leading 虽然 or trailing punctuation) and the part after it."""
    start = text.index(connective)
    first = text[:start].removeprefix(CONCESSIVE_LEAD).rstrip(_CLAUSE_END)
    return first, text[start + len(connective) :]


def run_suite(model, items: list[SuiteItem]) -> list[ItemResult]:
    """Each item through ``model`` (a PretrainedModel): its per-token prediction, where it turns, and its
    two halves read alone."""
    token_lists = [model.tokens(item.text) for item in items]
    turning = [item for item in items if item.connective]
    alone = iter(model.step_probabilities([model.tokens(half) or [model.vocab.tokens[1]]
                                           for item in turning for half in halves(item.text, item.connective)]))
    labels = model.labels
    results = []
    for item, tokens, probs in zip(items, token_lists, model.step_probabilities(token_lists)):
        before, read_alone = None, None
        if item.connective:
            step = turn_step(tokens, "".join(tokens), item.connective)
            before = labels[int(probs[step].argmax())] if step >= 0 else None
            read_alone = tuple(labels[int(next(alone)[-1].argmax())] for _ in range(2))
        results.append(ItemResult(item, tuple(tokens), probs, labels[int(probs[-1].argmax())], before, read_alone))
    return results


def summarize(name: str, results: list[ItemResult]) -> dict:
    """Accuracy, and the turn rate (turning suites) or the share of pairs with both right (pair suites)."""
    out = {"examples": len(results), "accuracy": round(float(np.mean([r.right for r in results])), 4)}
    turning = [r for r in results if r.item.connective]
    if name in TURN_SUITES and turning:
        out["turn_rate"] = round(float(np.mean([r.turned for r in turning])), 4)
        understood = [r.turned for r in turning if r.halves_right]
        out["halves_right"] = round(len(understood) / len(turning), 4)
        if understood:
            out["turn_rate_understood"] = round(float(np.mean(understood)), 4)
    pairs: dict[str, list[bool]] = {}
    for r in results:
        if r.item.pair:
            pairs.setdefault(r.item.pair, []).append(r.right)
    if pairs:
        out["pairs_right"] = round(float(np.mean([all(v) for v in pairs.values()])), 4)
    flips = flip_outcomes(results)
    if flips:
        out["flip_rate"] = round(float(np.mean(flips)), 4)
    return out


def flip_outcomes(results: list[ItemResult]) -> list[bool]:
    """For each pair whose PLAIN sentence is read right, whether its NEGATED sentence is read right too
    (its label is the other one, so the prediction flipped at the negation)."""
    forms: dict[str, dict[str, bool]] = {}
    for r in results:
        if r.item.pair and r.item.form in (PLAIN, NEGATED):
            forms.setdefault(r.item.pair, {})[r.item.form] = r.right
    return [pair[NEGATED] for pair in forms.values() if pair.get(PLAIN) and NEGATED in pair]


def score_suites(model, directory: str | Path = SUITES_DIR, names: tuple[str, ...] = SUITES) -> dict[str, dict]:
    """``{suite: summary}`` for every suite file in ``directory`` named in ``names``."""
    folder = Path(directory)
    return {name: summarize(name, run_suite(model, load_suite(folder / f"{name}.tsv")))
            for name in names if (folder / f"{name}.tsv").is_file()}
