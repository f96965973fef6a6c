"""Time of one run of the memory-race page (AppTest, no browser) when a person changes the sequence, printed.

    python -m benchmarks.race_page [--gaps 40 150] [--repeats 3]

For each gap: the first run of a new sequence (answers, holding units at a new gap, gradients, what-if) and a
rerun of the same sequence (cached). models.asking.race's own cost is benchmarks.race. The machine's load
average is printed too: other processes inflate the times.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui.race import GAP_KEY, SEED_KEY

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _timed(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gaps", type=int, nargs="+", default=[40, 150])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/race.py")
    _timed(at)
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for gap in args.gaps:
        new, again = [], []
        for seed in range(args.repeats):
            at.slider(key=GAP_KEY).set_value(gap)
            at.number_input(key=SEED_KEY).set_value(1000 + seed)
            new.append(_timed(at))
            again.append(_timed(at))
        print(f"gap {gap:4d}: new sequence {statistics.median(new) * 1000:7.0f} ms, "
              f"rerun {statistics.median(again) * 1000:6.0f} ms (median of {args.repeats})")


if __name__ == "__main__":
    main()
