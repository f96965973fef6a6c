"""Speed of the language models' page work, measured in one run on models of the shipped size (random weights).

    python -m benchmarks.lm [--repeats N] [--threads N] [--folder pretrained]

Prints, per cell: the next-character analysis of 100 characters (the Trace and the top 5 per step), live writing of
100 characters, and the unit finder (every property, hidden and cell) over ``--texts`` texts of about 73
characters (the test split's mean). Trained models are read from ``--folder`` when their files are there; else a
model of the shipped size (vocabulary 3,127, 64-dimensional embedding, 128 units) with random weights stands in,
which costs the same. Each time is the median of N runs after a warm-up. The issue's goals: analysis <= 1 s,
writing <= 2 s, the unit finder over the test split < 30 s.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.timing import median_ms
from models.lm import CharLanguageModel, LanguageModel, LanguageModelConfig, load_language_model
from models.names import ModelName
from models.trace import CELL_TYPES
from models.units import find_units
from models.vocab import PAD, UNK, Vocabulary

VOCAB_SIZE = 3127  # the training split's characters seen at least 3 times, and <pad>, <unk>, <s>
TEXT = "这家店的菜很好吃，服务也很周到。《三体》我看了3遍，不推荐买iPhone，太贵了！" * 3  # 100+ characters
MEAN_TEXT = 73  # characters of a test text, on average


def _stand_in(cell: str) -> LanguageModel:
    torch.manual_seed(0)
    chars = sorted(set(TEXT))
    fillers = [chr(0x4E00 + i) for i in range(VOCAB_SIZE)]
    tokens = [PAD, UNK, "<s>", *chars, *(c for c in fillers if c not in chars)][:VOCAB_SIZE]
    config = LanguageModelConfig(arch=cell, vocab_size=VOCAB_SIZE)
    return LanguageModel(CharLanguageModel(config), Vocabulary(tuple(tokens), {"mode": "char"}))


def _model(cell: str, folder: Path) -> tuple[LanguageModel, str]:
    name = ModelName(cell, "language_model").name
    if (folder / f"{name}.json").is_file():
        return load_language_model(name, folder), "trained"
    return _stand_in(cell), "random weights"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--texts", type=int, default=1736, help="texts for the unit finder (the test split: 1736)")
    parser.add_argument("--folder", type=Path, default=Path("pretrained"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(list(TEXT), MEAN_TEXT)) for _ in range(args.texts)]
    text = TEXT[:100]
    for cell in CELL_TYPES:
        model, kind = _model(cell, args.folder)
        analysis = median_ms(lambda model=model: model.analyze(text), args.repeats) / 1000
        writing = median_ms(lambda model=model: model.write("这家店", temperature=0.8, length=100, seed=1),
                            args.repeats) / 1000
        start = time.perf_counter()
        find_units(t for i in range(0, len(texts), 256) for t in model.traces(texts[i:i + 256]))
        finder = time.perf_counter() - start
        print(f"lm_{cell} ({kind}): analysis of 100 characters {analysis:.3f} s, writing 100 characters "
              f"{writing:.3f} s, unit finder over {len(texts)} texts {finder:.1f} s")


if __name__ == "__main__":
    main()
