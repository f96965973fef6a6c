"""Cost of recording every gate, as a ratio to the plain fused forward pass, measured in one run.

    python -m benchmarks.recording [--repeats N] [--threads N]

For LSTM and GRU at H=128 (input size 128), on one sentence (B=1, T=32), a corpus batch
(B=256, T=64) and a long document (B=1, T=2000). Then the LSTM both ways ``record`` knows, fused
and stepwise, on one sentence, one document and batches around ``LSTM_STEPWISE_BATCH``: the way
``record`` picks should be the faster one. Each time is the median of N runs after a warm-up; the
runs being compared take turns, so load on the machine falls on them alike.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from models.record import LSTM_STEPWISE_BATCH, cell_type_of, record, recording_way

HIDDEN = 128
SHAPES = {"sentence": (1, 32), "corpus batch": (256, 64), "long document": (1, 2000)}
WAY_SHAPES = [(1, 32), (1, 2000), (8, 64), (16, 64), (LSTM_STEPWISE_BATCH, 64), (64, 64)]  # (B, T)


def _median_seconds(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each run, the runs taking turns, after one warm-up each."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for turn in range(repeats + 1):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            if turn:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def _forward(module: nn.Module, x: torch.Tensor) -> None:
    with torch.inference_mode():
        module(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, H={HIDDEN}, median of {args.repeats}")
    print(f"{'cell':5} {'input':14} {'B':>4} {'T':>5} {'way':>9} {'forward ms':>11} {'record ms':>10} {'ratio':>6}")
    for cls in (nn.LSTM, nn.GRU):
        module = cls(HIDDEN, HIDDEN, batch_first=True).eval()
        for name, (batch, steps) in SHAPES.items():
            x = torch.randn(batch, steps, HIDDEN)
            ms = _median_seconds({"forward": lambda module=module, x=x: _forward(module, x),
                                  "record": lambda module=module, x=x: record(module, x)}, args.repeats)
            way = recording_way(cell_type_of(module), batch)
            print(f"{cls.__name__:5} {name:14} {batch:4d} {steps:5d} {way:>9} {ms['forward'] * 1e3:11.3f}"
                  f" {ms['record'] * 1e3:10.3f} {ms['record'] / ms['forward']:6.2f}")

    print(f"\nLSTM both ways (record picks stepwise from B={LSTM_STEPWISE_BATCH})")
    print(f"{'B':>4} {'T':>5} {'fused ms':>9} {'stepwise ms':>12} {'stepwise/fused':>15} {'picked':>9}")
    module = nn.LSTM(HIDDEN, HIDDEN, batch_first=True).eval()
    for batch, steps in WAY_SHAPES:
        x = torch.randn(batch, steps, HIDDEN)
        ms = _median_seconds({way: lambda way=way, x=x: record(module, x, _way=way) for way in ("fused", "stepwise")},
                             args.repeats)
        print(f"{batch:4d} {steps:5d} {ms['fused'] * 1e3:9.3f} {ms['stepwise'] * 1e3:12.3f}"
              f" {ms['stepwise'] / ms['fused']:15.2f} {recording_way('lstm', batch):>9}")


if __name__ == "__main__":
    main()
