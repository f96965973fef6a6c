"""Cost of the unit finder over the whole test split, printed: one model, every built-in property (goal: under
30 s), and a person's regular expression (the units page's live ranking).

    python -m benchmarks.units [--model lm_lstm] [--pattern "不.{0,2}好"] [--threads 1] [--folder pretrained/]

Each ranking runs once (a few seconds each: no repeats), as the page and ``python -m models.train_lm --units``
run it: every test text recorded up to ``models.asking.units.MAX_CHARS`` characters, a batch at a time, then
correlated. The recording and the correlating are timed apart. The machine's load average is printed too: other
processes inflate the times.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from models.asking.units import MAX_CHARS, rank, test_split, unit_traces
from models.lm import load_language_model
from models.names import parse_name
from models.pretrained import PRETRAINED_DIR, load_pretrained
from models.runtime import configure_threads
from models.units import CUSTOM, PROPERTIES, collect, rank_units

GOAL_SECONDS = 30.0


def _seconds(run) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lm_lstm")
    parser.add_argument("--pattern", default="不.{0,2}好")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--folder", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args()
    configure_threads(args.threads)
    loaded, texts = _seconds(lambda: test_split()[0])
    print(f"test split: {len(texts)} texts, loaded in {loaded:.1f} s; each read up to {MAX_CHARS} characters")
    language = parse_name(args.model).task == "language_model"
    model = load_language_model(args.model, args.folder) if language else load_pretrained(args.model, args.folder)
    recording, data = _seconds(lambda: collect(unit_traces(model, texts)))
    ranking, rankings = _seconds(lambda: rank_units(data))
    steps = next(iter(data.states.values())).shape[0]
    total = recording + ranking
    print(f"{args.model}: {len(PROPERTIES)} properties x {len(data.states)} state(s) over {steps} steps: "
          f"recording and properties {recording:.1f} s + correlating {ranking:.1f} s = {total:.1f} s "
          f"(goal < {GOAL_SECONDS:.0f} s: {'met' if total < GOAL_SECONDS else 'NOT met'})")
    for name in PROPERTIES:
        for state, found in rankings[name].items():
            print(f"  {name:20s} {state:6s} best unit {found.best:4d} r = {found.r[found.best]:+.3f} "
                  f"(shuffled baseline {found.baseline:.3f})")
    mine, custom = _seconds(lambda: rank(model, texts, pattern=args.pattern))
    best = {state: entry["top"][0] for state, entry in custom[CUSTOM].items()}
    print(f"{args.model}: the pattern {args.pattern!r} ranked in {mine:.1f} s; best " +
          ", ".join(f"{state} unit {u} r = {r:+.3f}" for state, (u, r) in best.items()))
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
