"""Colour scales by meaning: sequential for gates on [0, 1], diverging around 0 for states."""
from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from viz.labels import text

GATE_COLOURS = "Viridis"  # sequential, [0, 1]
DIVERGING_COLOURS = "RdBu_r"  # blue < 0 < red
MIN_UNBOUNDED_LIMIT = 1.0  # an unbounded state's colour range is at least [-1, 1]
UNBOUNDED_PERCENTILE = 99.0


class ColourScale(NamedTuple):
    """Everything a heatmap needs to colour values by their meaning."""

    colorscale: str
    zmin: float
    zmax: float
    zmid: float | None
    title: str  # colour bar title: what the colours mean


def colour_scale(kind: str, *, limit: float = 1.0, labels: Mapping[str, str] | None = None) -> ColourScale:
    """The fixed scale for a kind: 'gate', 'tanh', 'unbounded' (±limit), 'unit_minmax', 'unit_maxabs'."""
    if kind == "gate":
        return ColourScale(GATE_COLOURS, 0.0, 1.0, None, text(labels, "colorbar_gate"))
    if kind == "unit_minmax":
        return ColourScale(GATE_COLOURS, 0.0, 1.0, None, text(labels, "colorbar_unit_minmax"))
    if kind == "tanh":
        return ColourScale(DIVERGING_COLOURS, -1.0, 1.0, 0.0, text(labels, "colorbar_tanh"))
    if kind == "unit_maxabs":
        return ColourScale(DIVERGING_COLOURS, -1.0, 1.0, 0.0, text(labels, "colorbar_unit_maxabs"))
    if kind == "unbounded":
        return ColourScale(DIVERGING_COLOURS, -limit, limit, 0.0, text(labels, "colorbar_unbounded", limit=limit))
    raise ValueError(f"unknown colour kind {kind!r}")


def unbounded_limit(values: np.ndarray) -> float:
    """Symmetric colour limit for an unbounded state (the LSTM cell): the 99th percentile of |value|, at least 1.

    Not the maximum: a handful of large cells on a long text would wash every other value out to
    white. The few values beyond the limit take the end colour; hovering shows their real value,
    and the colour bar's title says the limit.
    """
    if values.size == 0:
        return MIN_UNBOUNDED_LIMIT
    return float(max(MIN_UNBOUNDED_LIMIT, np.nanpercentile(np.abs(values), UNBOUNDED_PERCENTILE)))
