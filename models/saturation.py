"""Gate saturation (Karpathy et al. 2015): per unit, how many steps each sigmoid gate spends near 0 and near 1.

numpy only, like ``models.trace``: ``models.files.batch`` counts a corpus with it and ``viz.saturation`` one text.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.trace import GATE_NAMES, SIGMOID_GATES, Trace

LOW, HIGH = 0.1, 0.9  # the thresholds of Karpathy et al.
DECIMALS = 6  # fractions written to JSON and CSV


@dataclass
class SaturationCounts:
    """Running per-unit counts of saturated steps for each sigmoid gate, over any number of traces."""

    low: float = LOW
    high: float = HIGH
    steps: int = 0  # steps counted, over every trace added
    below: dict[str, np.ndarray] = field(default_factory=dict)  # gate -> (H,) int64 steps with value < low
    above: dict[str, np.ndarray] = field(default_factory=dict)  # gate -> (H,) int64 steps with value > high

    def __post_init__(self) -> None:
        if not 0.0 <= self.low <= self.high <= 1.0:
            raise ValueError(f"need 0 <= low <= high <= 1, got low={self.low}, high={self.high}")

    def add(self, trace: Trace, *, layer: int = 0, direction: int = 0, convention: str = "torch") -> None:
        """Count the steps of one layer and direction of ``trace``; ``convention`` as in ``Trace.state``."""
        trace.check_position(layer, direction)
        for name in GATE_NAMES[trace.cell_type]:
            if name not in SIGMOID_GATES:
                continue
            values = trace.state(name, convention=convention)[layer, direction]  # (T, H)
            below = np.count_nonzero(values < self.low, axis=0).astype(np.int64)
            above = np.count_nonzero(values > self.high, axis=0).astype(np.int64)
            if name not in self.below:
                self.below[name], self.above[name] = below, above
                continue
            if below.shape != self.below[name].shape:
                raise ValueError(f"hidden sizes differ: {self.below[name].shape[0]} and {below.shape[0]}")
            self.below[name] += below
            self.above[name] += above
        self.steps += trace.num_steps

    def merge(self, other: SaturationCounts) -> None:
        """Add the counts of ``other`` (same thresholds and hidden sizes): counts add exactly, shares would not."""
        if (other.low, other.high) != (self.low, self.high):
            raise ValueError(f"thresholds differ: {(self.low, self.high)} and {(other.low, other.high)}")
        for name in other.below:
            if name not in self.below:
                self.below[name], self.above[name] = other.below[name].copy(), other.above[name].copy()
                continue
            if other.below[name].shape != self.below[name].shape:
                raise ValueError(f"hidden sizes differ: {self.below[name].shape[0]} and {other.below[name].shape[0]}")
            self.below[name] += other.below[name]
            self.above[name] += other.above[name]
        self.steps += other.steps

    def fractions(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """gate -> ((H,) share of steps below ``low``, (H,) share above ``high``), float64; 0 before any step."""
        total = max(self.steps, 1)
        return {name: (self.below[name] / total, self.above[name] / total) for name in self.below}

    def summary(self) -> dict:
        """{"steps": N, "gates": {gate: {"left": [H fractions], "right": [H fractions]}}}, for JSON."""
        return {"steps": self.steps, "gates": {
            name: {"left": np.round(left, DECIMALS).tolist(), "right": np.round(right, DECIMALS).tolist()}
            for name, (left, right) in self.fractions().items()}}

    def rows(self, arch: str) -> list[dict]:
        """One dict a gate and unit, for CSV."""
        return [
            {"model": arch, "gate": name, "unit": unit,
             "left_saturated": round(float(left[unit]), DECIMALS),
             "right_saturated": round(float(right[unit]), DECIMALS)}
            for name, (left, right) in self.fractions().items()
            for unit in range(len(left))
        ]
