"""Cost of running one race sequence through the three race models, printed (median of N runs).

    python -m benchmarks.race [--gap 150] [--repeats N] [--threads N] [--folder pretrained/]

``race_answers`` at the given gap (goal: at most 300 ms for the three), next to the plain forward pass, and the
page's other per-sequence work: the gradient curve, a what-if cut, and the holding units (one probe set per model).
The machine's load average is printed too: other processes inflate the times.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import torch

from benchmarks.timing import median_ms
from models.asking.race import (
    RACE_CELLS,
    holding_units,
    race_answer,
    race_distractors,
    race_gradient_curve,
    race_whatif,
)
from models.pretrained import load_pretrained
from models.runtime import configure_threads
from models.training.race import sequence

APP_THREADS = 1  # as the app runs (ui.state.THREADS)
CLUE = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gap", type=int, default=150)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=APP_THREADS)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    configure_threads(args.threads)
    models = {cell: load_pretrained(f"race_{cell}", args.folder) for cell in RACE_CELLS}
    distractors = race_distractors(models["lstm"], args.gap, seed=0)
    tokens = list(sequence(CLUE, distractors))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), median of {args.repeats},"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores, gap {args.gap}")
    print(f"\n{'model':10} {'answer ms':>10} {'forward ms':>11} {'gradient ms':>12} {'what-if ms':>11} {'units ms':>9}")
    total = 0.0
    for cell, model in models.items():
        ids, lengths, _ = model.encode([tokens])
        answer = median_ms(lambda m=model: race_answer(m, CLUE, distractors), args.repeats)

        def forward(m=model, ids=ids, lengths=lengths):
            with torch.inference_mode():
                m.model(ids, lengths)

        plain = median_ms(forward, args.repeats)
        gradient = median_ms(lambda m=model: race_gradient_curve(m, tokens), args.repeats)
        whatif = median_ms(lambda m=model: race_whatif(m, tokens, 0, mode="cut"), args.repeats)
        units = median_ms(lambda m=model: holding_units(m, args.gap), max(1, args.repeats // 5))
        total += answer
        print(f"{cell:10} {answer:10.2f} {plain:11.2f} {gradient:12.2f} {whatif:11.2f} {units:9.1f}")
    print(f"{'all three answers (goal <= 300 ms)':36} {total:.2f}")


if __name__ == "__main__":
    main()
