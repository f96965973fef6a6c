"""Cost of a what-if run and of gradient paths on the shipped models, printed (median of N runs).

    python -m benchmarks.whatif [--repeats N] [--threads N]

An edited run of 30 tokens through ``PretrainedModel.analyze_tokens(edits=...)`` for each model
(goal: at most 50 ms for the three), next to the recorder's unedited run; and saliency plus the
distance curve at 200 tokens (goal: at most 300 ms for the three), by each way of the curve.
The machine's load average is printed too: other processes inflate the times.
"""
from __future__ import annotations

import argparse
import os

import torch

from benchmarks.timing import median_ms
from models.asking.gradients import METHODS, gradient_paths
from models.asking.intervene import Edit
from models.pretrained import ARCHS, load_pretrained
from models.runtime import configure_threads

TEXT = "这个手机的屏幕很好，拍照也清楚，但是电池太差了，一天要充三次电，我不会再买了。"
EDIT_TOKENS = 30
GRADIENT_TOKENS = 200
APP_THREADS = 1  # as the app runs (ui.state.THREADS)
EDITS = {  # one classic experiment per cell type, over the middle third of the text
    "lstm": lambda steps: [Edit("forget", steps, set=1.0), Edit("input", steps, set=0.0)],
    "gru": lambda steps: [Edit("update", steps, set=1.0)],
    "rnn": lambda steps: [Edit("hidden", steps[:1], set=0.0)],
}


def _tokens(model, count: int) -> list[str]:
    tokens = model.tokens(TEXT)
    return (tokens * (count // len(tokens) + 1))[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=APP_THREADS)
    args = parser.parse_args()
    configure_threads(args.threads)
    models = {arch: load_pretrained(arch) for arch in ARCHS}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), median of {args.repeats},"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    print(f"\nedited run, {EDIT_TOKENS} tokens   {'edited ms':>10} {'recorder ms':>12}")
    edited_total = 0.0
    for arch, model in models.items():
        tokens = _tokens(model, EDIT_TOKENS)
        edits = EDITS[arch](range(EDIT_TOKENS // 3, 2 * EDIT_TOKENS // 3))
        edited = median_ms(lambda model=model, tokens=tokens, edits=edits: model.analyze_tokens(tokens, edits=edits),
                            args.repeats)
        plain = median_ms(lambda model=model, tokens=tokens: model.analyze_tokens(tokens), args.repeats)
        edited_total += edited
        print(f"  {arch:28} {edited:10.2f} {plain:12.2f}")
    print(f"  {'all three (goal <= 50)':28} {edited_total:10.2f}")

    print(f"\ngradients, {GRADIENT_TOKENS} tokens      " + " ".join(f"{m + ' ms':>12}" for m in METHODS))
    totals = dict.fromkeys(METHODS, 0.0)
    for arch, model in models.items():
        ids = model.encode([_tokens(model, GRADIENT_TOKENS)])[0][0]
        row = []
        for method in METHODS:
            ms = median_ms(lambda model=model, ids=ids, method=method: gradient_paths(model, ids, method=method),
                            args.repeats)
            totals[method] += ms
            row.append(f"{ms:12.2f}")
        print(f"  {arch + ' (saliency + curve)':28} " + " ".join(row))
    print(f"  {'all three (goal <= 300)':28} " + " ".join(f"{totals[m]:12.2f}" for m in METHODS))


if __name__ == "__main__":
    main()
