"""Submit -> the Read tab's script run for each model shape: one layer, two layers, both ways, and the ratio of
each to the one-layer model's (issue 19 asks for at most 1.5x).

    python -m benchmarks.variant_speed [--cell lstm] [--submits 5] [--same-size]

The page runs under AppTest (no browser) with the model chosen by its link (``?model=lstm_2layer``), for fresh
~30-token texts (benchmarks.page_speed.fresh_text): what the server does between a submit and the charts it
sends, the analysis included. The models are those of $RNN_GATES_PRETRAINED (default pretrained/); with
``--same-size`` a temporary folder holds the shipped one-layer models and random-weight variants of the same
embedding and hidden sizes (the time does not depend on the weights), for before the trained variants ship.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.page_speed import fresh_text
from models.names import ModelName
from models.pretrained import PRETRAINED_DIR

SHAPES = ((1, False), (2, False), (1, True))  # (layers, both ways) of the shapes compared, the one-layer first


def _same_size_folder(folder: Path, cell: str) -> Path:
    """``folder`` with the shipped models and random ``cell`` variants as large as the shipped ``cell`` model."""
    from tests.page_variants import save_variant, variant_folder

    variant_folder(folder, ())
    config = json.loads((PRETRAINED_DIR / f"{cell}.json").read_text(encoding="utf-8"))["config"]
    for layers, both in SHAPES[1:]:
        save_variant(folder, ModelName(cell, "sentiment", layers, both).name, embed=config["embed_dim"],
                     hidden=config["hidden_size"])
    return folder


def submit_seconds(name: str, submits: int, first_text: int) -> list[float]:
    """Seconds of each of ``submits`` Read-tab script runs of model ``name`` on fresh texts."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.query_params["model"] = name
    at.run()  # loads the models and jieba, draws the default example
    seconds = []
    for index in range(first_text, first_text + submits):
        start = time.perf_counter()
        at.text_area(key="text").set_value(fresh_text(index)[0]).run()
        seconds.append(time.perf_counter() - start)
    assert not at.exception, at.exception
    assert at.query_params.get("model") == name, f"the page did not show {name}: is it in the folder?"
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="lstm", choices=("rnn", "lstm", "gru"))
    parser.add_argument("--submits", type=int, default=5)
    parser.add_argument("--same-size", action="store_true", help="random variants as large as the shipped model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        if args.same_size:
            os.environ["RNN_GATES_PRETRAINED"] = str(_same_size_folder(Path(temporary), args.cell))
        names = [ModelName(args.cell, "sentiment", layers, both).name for layers, both in SHAPES]
        submit_seconds(names[0], 1, 900)  # warm-up: imports, jieba, the first figures
        medians = {name: statistics.median(submit_seconds(name, args.submits, 1000 + 100 * i))
                   for i, name in enumerate(names)}
    print(f"\nSubmit -> Read tab script run, fresh 30-token texts, median of {args.submits} (AppTest, ms):")
    for name, seconds in medians.items():
        print(f"  {name:14} {seconds * 1e3:7.1f}   {seconds / medians[names[0]]:.2f}x the one-layer model")


if __name__ == "__main__":
    main()
