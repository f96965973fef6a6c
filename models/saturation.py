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


@dataclass
class LayerSaturation:
    """``SaturationCounts`` of every layer and direction of one model, over any number of traces.

    ``counts[(layer, direction)]``; direction 0 forward, 1 backward. A one-layer, one-direction model has the
    one key (0, 0), and its ``summary`` and ``rows`` say what ``SaturationCounts`` says, plus the position.
    """

    low: float = LOW
    high: float = HIGH
    counts: dict[tuple[int, int], SaturationCounts] = field(default_factory=dict)

    def _at(self, layer: int, direction: int) -> SaturationCounts:
        return self.counts.setdefault((layer, direction), SaturationCounts(self.low, self.high))

    def add(self, trace: Trace, *, convention: str = "torch") -> None:
        """Count the steps of every layer and direction of ``trace``."""
        for layer in range(trace.num_layers):
            for direction in range(trace.num_directions):
                self._at(layer, direction).add(trace, layer=layer, direction=direction, convention=convention)

    def merge(self, other: LayerSaturation) -> None:
        """Add ``other``'s counts, position by position (same thresholds)."""
        if (other.low, other.high) != (self.low, self.high):
            raise ValueError(f"thresholds differ: {(self.low, self.high)} and {(other.low, other.high)}")
        for (layer, direction), counts in other.counts.items():
            self._at(layer, direction).merge(counts)

    def summary(self) -> dict:
        """``SaturationCounts.summary`` of layer 0 forward (``steps``, ``gates``), and when the model has more
        positions, ``layers``: one list per layer of one ``{"gates": ...}`` per direction, for JSON."""
        out = self.counts.get((0, 0), SaturationCounts(self.low, self.high)).summary()
        if len(self.counts) > 1:
            layers = 1 + max(layer for layer, _ in self.counts)
            directions = 1 + max(direction for _, direction in self.counts)
            out["layers"] = [[{"gates": self.counts[layer, direction].summary()["gates"]}
                              for direction in range(directions)] for layer in range(layers)]
        return out

    def rows(self, arch: str) -> list[dict]:
        """One dict a layer, direction, gate and unit, for CSV: model, layer, direction, gate, unit, shares."""
        return [{"model": arch, "layer": layer, "direction": direction,
                 **{k: v for k, v in row.items() if k != "model"}}
                for (layer, direction), counts in sorted(self.counts.items()) for row in counts.rows(arch)]

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The counts as plain arrays under ``prefix``: ``{prefix}/{layer}/{direction}/steps`` () and
        ``.../below/{gate}``, ``.../above/{gate}`` (H,) int64 (``from_arrays`` reads them back)."""
        out = {}
        for (layer, direction), counts in self.counts.items():
            key = f"{prefix}/{layer}/{direction}"
            out[f"{key}/steps"] = np.array(counts.steps, np.int64)
            for gate in counts.below:
                out[f"{key}/below/{gate}"], out[f"{key}/above/{gate}"] = counts.below[gate], counts.above[gate]
        return out

    @classmethod
    def from_arrays(cls, prefix: str, arrays: dict[str, np.ndarray], low: float = LOW,
                    high: float = HIGH) -> LayerSaturation:
        """The counts ``to_arrays(prefix)`` wrote."""
        out = cls(low, high)
        for key in arrays:
            parts = key[len(prefix) + 1:].split("/") if key.startswith(prefix + "/") else []
            if len(parts) == 3 and parts[2] == "steps":
                layer, direction, base = int(parts[0]), int(parts[1]), f"{prefix}/{parts[0]}/{parts[1]}"
                gates = [k.split("/")[-1] for k in arrays if k.startswith(f"{base}/below/")]
                out.counts[layer, direction] = SaturationCounts(
                    low, high, int(arrays[key]), {g: arrays[f"{base}/below/{g}"] for g in gates},
                    {g: arrays[f"{base}/above/{g}"] for g in gates})
        return out
