"""JSON size of every viz figure for a 30-token and a 2,000-token trace, printed as a table.

    python -m benchmarks.figure_sizes

Random small torch models (H=128, input 128), recorded with models.record.record. The size is
len(fig.to_json()), what Streamlit sends to the browser.
"""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from models.record import record
from viz.animation import step_animation
from viz.compare import model_comparison
from viz.difference import sentence_difference
from viz.heatmap import gate_heatmap
from viz.overview import gate_overview
from viz.prediction import prediction_curve
from viz.retention import retention_map
from viz.saturation import gate_saturation

HIDDEN = 128
LENGTHS = (30, 2000)
LABELS = ("negative", "positive")


def _traces(steps: int, seed: int) -> dict:
    torch.manual_seed(seed)
    x = torch.randn(steps, HIDDEN)
    tokens = [f"w{t % 97}" for t in range(steps)]
    out = {}
    for name, cls in (("RNN", nn.RNN), ("LSTM", nn.LSTM), ("GRU", nn.GRU)):
        trace = record(cls(HIDDEN, HIDDEN).eval(), x, tokens=tokens)[0]
        logits = (
            np.cumsum(np.random.default_rng(seed).normal(size=(steps, 2)), axis=0)
            / np.sqrt(np.arange(1, steps + 1))[:, None]
        )
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        out[name] = trace.with_probabilities(probs, LABELS)
    return out


def _figures(traces: dict, other: dict) -> dict:
    lstm = traces["LSTM"]
    return {
        "gate_heatmap LSTM forget": lambda: gate_heatmap(lstm, "forget"),
        "gate_heatmap LSTM cell": lambda: gate_heatmap(lstm, "cell", order="peak"),
        "gate_overview LSTM": lambda: gate_overview(lstm),
        "gate_overview GRU": lambda: gate_overview(traces["GRU"]),
        "step_animation LSTM": lambda: step_animation(lstm),
        "prediction_curve 3 models": lambda: prediction_curve(traces),
        "model_comparison hidden": lambda: model_comparison(traces),
        "sentence_difference LSTM": lambda: sentence_difference(lstm, other["LSTM"]),
        "gate_saturation LSTM": lambda: gate_saturation(lstm),
        "retention_map LSTM": lambda: retention_map(lstm),
    }


def main() -> None:
    rows = {}
    for steps in LENGTHS:
        traces, other = _traces(steps, seed=0), _traces(steps, seed=1)
        for name, build in _figures(traces, other).items():
            start = time.perf_counter()
            size = len(build().to_json())
            rows.setdefault(name, {})[steps] = (size, time.perf_counter() - start)
    print(f"H={HIDDEN}; JSON bytes and build+serialise ms")
    head = "".join(f" {f'T={s} bytes':>15} {'ms':>7}" for s in LENGTHS)
    print(f"{'figure':28}{head}")
    for name, by_steps in rows.items():
        cells = "".join(f" {by_steps[s][0]:15,d} {by_steps[s][1] * 1e3:7.0f}" for s in LENGTHS)
        print(f"{name:28}{cells}")


if __name__ == "__main__":
    main()
