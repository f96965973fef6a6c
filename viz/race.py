"""Memory-race figures: accuracy against gap from the models' cards, one sequence's answers, the units that hold
the clue, an LSTM unit's forget and input gates along the gap, and a gate map with the holding units first.

Each figure has a pure data function (numpy, no Plotly) and a thin builder. The curve reads only the cards'
accuracy-by-gap tables of every seed (``models.asking.race.race_curves``, written by ``models.training.train_race``):
no model is run.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go

from models.trace import Trace
from viz.fit import wrap_title
from viz.heatmap import heatmap_data
from viz.labels import state_label
from viz.plotly_helpers import FLOAT, MARGIN, empty_figure, heatmap_trace
from viz.steps import axis_layout

CHANCE_MARGIN = 0.05  # "at chance": mean accuracy within this of 1/K (about the binomial sd of 64 sequences at 1/8)
CELL_COLOURS = {"rnn": "#d62728", "lstm": "#1f77b4", "gru": "#2ca02c"}
BAND_ALPHA = 0.18
MEAN_WIDTH = 2.5  # px: the mean line, wider than the shipped seed's
CURVE_HEIGHT = 440
BARS_HEIGHT = 360
GATES_HEIGHT = 340
MAP_HEIGHT = 420
HOLDER_MARK = "★ "  # before a holding unit's row label

RACE_LABELS: Mapping[str, str] = {
    "title_curve": "Remembering one word across a gap: accuracy at each gap",
    "gap": "gap N (distractor words between the clue and the query)",
    "accuracy": "accuracy (share of clues named)",
    "chance": "chance 1/K = {chance:.3f}",
    "trained": "gaps trained on ({low}–{high})",
    "seeds": "{cell}: every seed (min–max)",
    "mean": "{cell}: mean of {seeds} seeds",
    "shipped": "{cell}: the shipped seed",
    "no_cards": "No race model cards",
    "title_answers": "What each model answers at the query",
    "clue": "clue",
    "probability": "probability",
    "right": "right answer: {clue}",
    "title_holders": "Each unit's mean value at the query, per clue (units that hold the clue first)",
    "unit": "unit",
    "value": "value",
    "no_units": "No units to show",
    "title_gates": "{model}, unit {unit}: forget and input gate along the sequence",
    "step": "step",
    "token": "token",
    "title_map": "{state}: holding units first (★)",
    "before": "before",
    "after": "after",
    "title_whatif": "{model}: the answer before and after the edit",
}


def _text(labels: Mapping[str, str] | None, key: str, **fmt: object) -> str:
    template = (labels or {}).get(key, RACE_LABELS[key])
    return template.format(**fmt) if fmt else template


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# --- the curve, from the cards ---------------------------------------------------------------------------------

class RaceCurveData(NamedTuple):
    """Accuracy by gap of each cell, over its seeds, from the cards."""

    cells: tuple[str, ...]  # (C,)
    gaps: np.ndarray  # (G,) int, the gaps every card measured
    mean: np.ndarray  # (C, G) mean over seeds
    low: np.ndarray  # (C, G) min over seeds
    high: np.ndarray  # (C, G) max over seeds
    shipped: np.ndarray  # (C, G) the shipped seed's accuracy (NaN if the card does not name it)
    seeds: tuple[int, ...]  # (C,) number of seeds per cell
    chance: float  # 1/K
    trained: tuple[int, int]  # inclusive range of gaps trained on
    falls_to_chance: Mapping[str, int | None]  # cell -> first gap from which the mean stays at chance, None: never


def first_gap_at_chance(gaps: np.ndarray, accuracy: np.ndarray, chance: float,
                        margin: float = CHANCE_MARGIN) -> int | None:
    """The first gap from which ``accuracy`` (G,) stays within ``margin`` of ``chance`` up to the last gap, None
    if it is above that at the last gap."""
    above = np.flatnonzero(accuracy > chance + margin)
    if above.size == 0:
        return int(gaps[0])
    last = int(above[-1])
    return None if last == len(gaps) - 1 else int(gaps[last + 1])


def race_curve_data(curves: Mapping[str, object], *, margin: float = CHANCE_MARGIN) -> RaceCurveData:
    """From cell -> its curve as the card holds it (``models.asking.race.RaceCurve``, or anything with ``gaps`` (G,),
    ``by_seed`` (S, G), ``shipped`` (G,), ``train_gaps`` and ``chance``). Gaps are those every card measured."""
    cells = tuple(curves)
    if not cells:
        empty = np.zeros((0, 0))
        return RaceCurveData((), np.zeros(0, dtype=int), empty, empty, empty, empty, (), 0.0, (0, 0), {})
    gaps = np.array(sorted(set.intersection(*(set(int(g) for g in curves[c].gaps) for c in cells))), dtype=int)

    def on_gaps(cell: str, values: np.ndarray) -> np.ndarray:  # (..., G_cell) -> (..., G)
        index = {int(g): i for i, g in enumerate(curves[cell].gaps)}
        return np.asarray(values, dtype=np.float64)[..., [index[int(g)] for g in gaps]]

    tables = [on_gaps(cell, curves[cell].by_seed) for cell in cells]  # (S, G) each
    first = curves[cells[0]]
    mean = np.stack([table.mean(axis=0) for table in tables])
    return RaceCurveData(
        cells=cells, gaps=gaps, mean=mean, low=np.stack([table.min(axis=0) for table in tables]),
        high=np.stack([table.max(axis=0) for table in tables]),
        shipped=np.stack([on_gaps(cell, curves[cell].shipped) for cell in cells]),
        seeds=tuple(len(table) for table in tables), chance=float(first.chance),
        trained=(int(first.train_gaps[0]), int(first.train_gaps[1])),
        falls_to_chance={cell: first_gap_at_chance(gaps, mean[i], first.chance, margin)
                         for i, cell in enumerate(cells)},
    )


def race_curve(data: RaceCurveData, *, names: Mapping[str, str] | None = None,
               labels: Mapping[str, str] | None = None) -> go.Figure:
    """Mean accuracy against gap per cell, its seeds' min–max as a band, the shipped seed dotted, chance dashed, and
    the gaps trained on shaded."""
    if not data.cells:
        return empty_figure(_text(labels, "no_cards"), uirevision="race_curve")
    names = names or {}
    fig = go.Figure()
    fig.add_vrect(x0=data.trained[0] - 0.5, x1=data.trained[1] + 0.5, fillcolor="rgba(128,128,128,0.14)", line_width=0,
                  layer="below")
    for i, cell in enumerate(data.cells):
        colour, name = CELL_COLOURS.get(cell, "#7f7f7f"), names.get(cell, cell.upper())
        fig.add_trace(go.Scatter(x=np.concatenate([data.gaps, data.gaps[::-1]]),
                                 y=np.concatenate([data.high[i], data.low[i][::-1]]).astype(FLOAT), fill="toself",
                                 fillcolor=_rgba(colour, BAND_ALPHA), line=dict(width=0), hoverinfo="skip",
                                 name=_text(labels, "seeds", cell=name), legendgroup=cell, showlegend=False))
        fig.add_trace(go.Scatter(x=data.gaps, y=data.mean[i].astype(FLOAT), mode="lines",
                                 line=dict(color=colour, width=MEAN_WIDTH),
                                 name=_text(labels, "mean", cell=name, seeds=data.seeds[i]), legendgroup=cell,
                                 hovertemplate=f"{name}<br>N = %{{x}}<br>%{{y:.1%}}<extra></extra>"))
        fig.add_trace(go.Scatter(x=data.gaps, y=data.shipped[i].astype(FLOAT), mode="lines",
                                 line=dict(color=colour, width=1, dash="dot"), legendgroup=cell,
                                 name=_text(labels, "shipped", cell=name),
                                 hovertemplate=f"{name}<br>N = %{{x}}<br>%{{y:.1%}}<extra></extra>"))
    fig.add_hline(y=data.chance, line=dict(color="#555", dash="dash", width=1.5),
                  annotation_text=_text(labels, "chance", chance=data.chance), annotation_position="bottom right")
    fig.add_annotation(x=(data.trained[0] + data.trained[1]) / 2, y=1.02, yref="y", showarrow=False,
                       text=_text(labels, "trained", low=data.trained[0], high=data.trained[1]))
    fig.update_layout(
        title=dict(text=wrap_title(_text(labels, "title_curve"))),
        xaxis=dict(title=dict(text=_text(labels, "gap"))),
        yaxis=dict(title=dict(text=_text(labels, "accuracy")), range=[0, 1.06], tickformat=".0%"),
        height=CURVE_HEIGHT, uirevision="race_curve", legend=dict(orientation="h", y=-0.25),
    )
    return fig


# --- one sequence: the answers ------------------------------------------------------------------------------------

class AnswersData(NamedTuple):
    """The probability each model gives each clue at the query."""

    names: tuple[str, ...]  # (M,) series names (models, or before/after)
    clues: tuple[str, ...]  # (K,)
    probabilities: np.ndarray  # (M, K)
    right: int  # index of the true clue


def answers_data(probabilities: Mapping[str, np.ndarray], clues: Sequence[str], right: int) -> AnswersData:
    """From name -> (K,) probabilities over ``clues``."""
    names = tuple(probabilities)
    values = np.stack([np.asarray(probabilities[n], dtype=np.float64) for n in names]) if names else np.zeros((0, 0))
    return AnswersData(names, tuple(clues), values, int(right))


def answer_bars(data: AnswersData, *, title_key: str = "title_answers", colours: Mapping[str, str] | None = None,
                labels: Mapping[str, str] | None = None, **title: object) -> go.Figure:
    """Grouped bars: for each clue, each series' probability; the right clue is named on the x axis."""
    if not data.names:
        return empty_figure(_text(labels, title_key, **title), uirevision="race_answers")
    x = np.arange(len(data.clues))
    ticks = [f"<b>{html.escape(c)} ✓</b>" if k == data.right else html.escape(c) for k, c in enumerate(data.clues)]
    fig = go.Figure()
    for name, row in zip(data.names, data.probabilities):
        fig.add_trace(go.Bar(x=x, y=row.astype(FLOAT), name=name, marker_color=(colours or {}).get(name),
                             hovertemplate=f"{html.escape(name)}<br>%{{customdata}}: %{{y:.1%}}<extra></extra>",
                             customdata=np.array(data.clues, dtype=object)))
    fig.update_layout(
        title=dict(text=wrap_title(_text(labels, title_key, **title))), barmode="group",
        xaxis=dict(title=dict(text=_text(labels, "right", clue=data.clues[data.right])), tickvals=x, ticktext=ticks),
        yaxis=dict(title=dict(text=_text(labels, "probability")), range=[0, 1], tickformat=".0%"),
        height=BARS_HEIGHT, uirevision="race_answers",
    )
    return fig


# --- units that hold the clue ---------------------------------------------------------------------------------------

class HoldersData(NamedTuple):
    """Units' mean value at the query per clue, best holders first."""

    units: np.ndarray  # (U,) int, ranked
    accuracy: np.ndarray  # (U,) how well each alone names the clue
    means: np.ndarray  # (U, K)
    clues: tuple[str, ...]  # (K,)


def holders_data(units: Sequence[object], clues: Sequence[str]) -> HoldersData:
    """From ranked holding units (anything with ``unit``, ``accuracy`` and ``means`` (K,))."""
    return HoldersData(
        units=np.array([int(u.unit) for u in units], dtype=int),
        accuracy=np.array([float(u.accuracy) for u in units]),
        means=np.array([list(u.means) for u in units], dtype=np.float64).reshape(len(units), len(clues)),
        clues=tuple(clues),
    )


def holders_heatmap(data: HoldersData, *, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Units (ranked) by clues: each unit's mean value at the query for each clue; the hover gives its accuracy."""
    if not len(data.units):
        return empty_figure(_text(labels, "no_units"), uirevision="race_holders")
    limit = float(max(1e-6, np.nanmax(np.abs(data.means))))
    rows = [f"{int(u)} ({a:.0%})" for u, a in zip(data.units, data.accuracy)]
    fig = go.Figure(go.Heatmap(
        z=data.means.astype(FLOAT), x=[html.escape(c) for c in data.clues], y=rows, colorscale="RdBu_r",
        zmin=-limit, zmax=limit, zmid=0.0,
        hovertemplate=f"{_text(labels, 'unit')} %{{y}}<br>{_text(labels, 'clue')} %{{x}}"
                      f"<br>{_text(labels, 'value')} %{{z:.3f}}<extra></extra>",
    ))
    fig.update_layout(
        title=dict(text=wrap_title(_text(labels, "title_holders"))),
        xaxis=dict(title=dict(text=_text(labels, "clue")), type="category"),
        yaxis=dict(title=dict(text=_text(labels, "unit")), type="category", autorange="reversed"),
        height=int(np.clip(60 + 26 * len(rows), 260, MAP_HEIGHT)), uirevision="race_holders",
    )
    return fig


# --- the LSTM's gates on one unit along the gap ---------------------------------------------------------------------

class UnitGatesData(NamedTuple):
    tokens: tuple[str, ...]  # (T,)
    steps: np.ndarray  # (T,)
    forget: np.ndarray  # (T,)
    input: np.ndarray  # (T,)
    unit: int


def unit_gates_data(trace: Trace, unit: int, *, layer: int = 0, direction: int = 0) -> UnitGatesData:
    """An LSTM trace's forget and input gate on ``unit`` at every step. ValueError for another cell."""
    if trace.cell_type != "lstm":
        raise ValueError(f"forget and input gates are an LSTM's, not an {trace.cell_type}'s")
    return UnitGatesData(
        tokens=tuple(trace.tokens), steps=np.arange(trace.num_steps),
        forget=np.asarray(trace.state("forget")[layer, direction, :, unit], dtype=np.float64),
        input=np.asarray(trace.state("input")[layer, direction, :, unit], dtype=np.float64), unit=int(unit),
    )


def unit_gates_figure(data: UnitGatesData, *, model: str = "LSTM", labels: Mapping[str, str] | None = None
                      ) -> go.Figure:
    """The forget gate f and the input gate i of one unit against the step: f near 1 and i near 0 along the gap keep
    what the clue wrote."""
    tokens = np.array([html.escape(t, quote=False) for t in data.tokens], dtype=object)
    fig = go.Figure()
    for name, values, colour in (("forget", data.forget, "#1f77b4"), ("input", data.input, "#ff7f0e")):
        fig.add_trace(go.Scatter(
            x=data.steps, y=values.astype(FLOAT), mode="lines+markers" if len(data.steps) <= 60 else "lines",
            name=state_label(labels, name), line=dict(color=colour), customdata=tokens,
            hovertemplate=f"{_text(labels, 'step')} %{{x}}<br>{_text(labels, 'token')} %{{customdata}}"
                          f"<br>%{{y:.4f}}<extra>%{{fullData.name}}</extra>"))
    fig.update_layout(
        title=dict(text=wrap_title(_text(labels, "title_gates", model=model, unit=data.unit))),
        xaxis=dict(title=dict(text=_text(labels, "step"))),
        yaxis=dict(range=[-0.02, 1.02]), height=GATES_HEIGHT, uirevision="race_gates",
    )
    return fig


# --- a gate map with the holding units first -----------------------------------------------------------------------

def holding_map(trace: Trace, name: str, holders: Sequence[int], *, convention: str = "textbook",
                labels: Mapping[str, str] | None = None, max_columns: int = 500) -> go.Figure:
    """``viz.heatmap``'s map of gate or state ``name``, with the ``holders`` units on top (marked ★), then the others
    in stored order."""
    if trace.num_steps == 0:
        return empty_figure(_text(labels, "no_units"), uirevision="race_map")
    held = [int(u) for u in holders]
    order = np.array(held + [u for u in range(trace.hidden_size) if u not in held], dtype=int)
    data = heatmap_data(trace, name, units=order, convention=convention, labels=labels, max_columns=max_columns)
    rows = [f"{HOLDER_MARK}{u}" if int(u) in held else str(int(u)) for u in data.units]
    state = state_label(labels, name, convention=convention)
    fig = go.Figure(heatmap_trace(data.values, data.axis, rows, data.scale, labels=labels, name=state))
    fig.update_layout(
        title=dict(text=wrap_title(_text(labels, "title_map", state=state))),
        xaxis=dict(title=dict(text=_text(labels, "token")), **axis_layout(data.axis)),
        yaxis=dict(title=dict(text=_text(labels, "unit")), type="category", autorange="reversed"),
        height=MAP_HEIGHT, margin=MARGIN, uirevision="race_map",
    )
    return fig
