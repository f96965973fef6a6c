"""Time of the language-model page (AppTest, no browser) for the issue's two goals, printed, in one run.

    python -m benchmarks.lm_page [--chars 100] [--repeats 5]

- submit -> next-character view + gates: a new text of ``--chars`` characters read by the three models, the
  next-character view drawn, then the gates view of the LSTM (goal <= 1 s);
- live writing: a new seed, ``--chars`` characters written by the LSTM, its animation built (goal <= 2 s).

Each is the median of ``--repeats`` runs, each on a text or seed not seen before (nothing cached), after one
warm-up (benchmarks.timing). The models' own share (``LanguageModel.analyze`` and ``.write``) is printed beside,
and the machine's load average: other processes inflate the times.
"""
from __future__ import annotations

import argparse
import itertools
import os
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from benchmarks.timing import median_ms
from models.lm import load_language_model
from ui import lm, state

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SOURCE = ("《三体》我看了两遍，不是不好看，是太烧脑了。物流很快，包装也不错，下次还来买。"
          "这家店的菜很好吃，服务也好，就是有点贵。")


def _run(at: AppTest) -> None:
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].value)


def _texts(chars: int):
    """A new text of ``chars`` characters each time (a rotation of SOURCE), so that no reading is cached."""
    for shift in itertools.count():
        rotated = SOURCE[shift % len(SOURCE):] + SOURCE[:shift % len(SOURCE)]
        yield (rotated * (chars // len(SOURCE) + 1))[:chars - 1] + str(shift % 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("app_pages/lm.py")
    _run(at)
    print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    texts = _texts(args.chars)
    parts = {"next": [], "gates": []}

    def submit() -> None:
        at.radio(key=lm.VIEW_KEY).set_value("next")
        at.text_area(key=lm.TEXT_KEY).set_value(next(texts))
        start = time.perf_counter()
        _run(at)
        middle = time.perf_counter()
        at.radio(key=lm.VIEW_KEY).set_value("gates")
        _run(at)
        parts["next"].append(middle - start)
        parts["gates"].append(time.perf_counter() - middle)

    both = median_ms(submit, args.repeats)
    print(f"submit -> next-character view + gates, {args.chars} characters: {both:.0f} ms (median of "
          f"{args.repeats}; next view {1000 * sorted(parts['next'])[len(parts['next']) // 2]:.0f} ms, "
          f"gates view {1000 * sorted(parts['gates'])[len(parts['gates']) // 2]:.0f} ms); goal <= 1000 ms")

    seeds = itertools.count(1000)
    at.radio(key=lm.VIEW_KEY).set_value("write")
    _run(at)
    at.number_input(key=lm.LENGTH_KEY).set_value(args.chars)
    _run(at)

    def writing() -> None:
        at.number_input(key=lm.SEED_KEY).set_value(next(seeds))
        _run(at)

    print(f"live writing of {args.chars} characters (new seed, page run): {median_ms(writing, args.repeats):.0f} ms "
          f"(median of {args.repeats}); goal <= 2000 ms")

    models = {name: load_language_model(name, state.directory()) for name in lm.MODELS}
    model_texts = _texts(args.chars)
    analyze = median_ms(lambda: [m.analyze(text) for text in [next(model_texts)] for m in models.values()],
                        args.repeats)
    model_seeds = itertools.count(5000)
    write = median_ms(lambda: models["lm_lstm"].write("这家店的菜", 0.8, args.chars, next(model_seeds)), args.repeats)
    print(f"models alone: three analyses {analyze:.0f} ms, LSTM writing {write:.0f} ms")


if __name__ == "__main__":
    main()
