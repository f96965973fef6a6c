"""Model names: which files a model is, and what its name says about it ("Model files" in DESIGN.md).

    rnn, lstm, gru                  one-layer sentiment classifiers (the page's default)
    {cell}_2layer, {cell}_bi        two stacked layers; one layer read both ways
    lm_{cell}                       character language models
    race_{cell}                     memory-race models

A model's files are ``{name}.json`` (its card) and ``{name}.safetensors``, next to the vocabulary its task
reads (``VOCABULARIES``).
"""
from __future__ import annotations

from dataclasses import dataclass

from models.trace import CELL_TYPES

TASKS = ("sentiment", "language_model", "race")
VOCABULARIES = {"sentiment": "vocab.json", "language_model": "lm_vocab.json", "race": "race_vocab.json"}
_PREFIX = {"sentiment": "", "language_model": "lm_", "race": "race_"}
_SHAPES = {"": (1, False), "_2layer": (2, False), "_bi": (1, True)}  # sentiment variants by suffix


@dataclass(frozen=True)
class ModelName:
    cell: str  # "rnn" | "lstm" | "gru"
    task: str = "sentiment"
    num_layers: int = 1
    bidirectional: bool = False

    @property
    def name(self) -> str:
        suffix = {shape: end for end, shape in _SHAPES.items()}[(self.num_layers, self.bidirectional)]
        return f"{_PREFIX[self.task]}{self.cell}{suffix}"

    @property
    def files(self) -> tuple[str, str, str]:
        """The vocabulary, the card and the weights, by file name."""
        return VOCABULARIES[self.task], f"{self.name}.json", f"{self.name}.safetensors"


def parse_name(name: str) -> ModelName:
    """The ModelName of ``name``; ValueError for a name no model has."""
    for task, prefix in _PREFIX.items():
        if task != "sentiment" and name.startswith(prefix) and name[len(prefix):] in CELL_TYPES:
            return ModelName(name[len(prefix):], task)
    for suffix, (layers, both) in _SHAPES.items():
        cell = name[: len(name) - len(suffix)] if suffix else name
        if name.endswith(suffix) and cell in CELL_TYPES:
            return ModelName(cell, "sentiment", layers, both)
    raise ValueError(f"no model is called {name!r}: names are {', '.join(all_names())}")


def all_names(task: str | None = None) -> tuple[str, ...]:
    """Every model name, one-layer classifiers first, then variants, language models and race models."""
    shapes = [ModelName(cell, "sentiment", *shape) for shape in _SHAPES.values() for cell in CELL_TYPES]
    others = [ModelName(cell, t) for t in TASKS[1:] for cell in CELL_TYPES]
    return tuple(m.name for m in (*shapes, *others) if task is None or m.task == task)


def is_name(name: str) -> bool:
    try:
        parse_name(name)
    except ValueError:
        return False
    return True
