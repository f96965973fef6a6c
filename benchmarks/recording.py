"""Cost of recording every gate, as a ratio to the plain fused forward pass, measured in one run.

    python -m benchmarks.recording [--repeats N]

For LSTM and GRU at H=128 (input size 128), on one sentence (B=1, T=32), a corpus batch
(B=256, T=64) and a long document (B=1, T=2000). Each time is the median of N runs after a warm-up.
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from models.record import cell_type_of, record, records_stepwise

HIDDEN = 128
SHAPES = {"sentence": (1, 32), "corpus batch": (256, 64), "long document": (1, 2000)}


def _median_seconds(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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

            def forward():
                with torch.inference_mode():
                    module(x)

            plain = _median_seconds(forward, args.repeats)
            recorded = _median_seconds(lambda: record(module, x), args.repeats)
            way = "stepwise" if records_stepwise(cell_type_of(module), batch) else "fused"
            print(f"{cls.__name__:5} {name:14} {batch:4d} {steps:5d} {way:>9} {plain * 1e3:11.3f} {recorded * 1e3:10.3f}"
                  f" {recorded / plain:6.2f}")


if __name__ == "__main__":
    main()
