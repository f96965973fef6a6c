"""The language-model page's figures: the surprise strip, the next-character window (the figure of Karpathy et al.),
one position in detail, the text tinted by one unit, and the live writing whose heatmaps grow with the text.

Each figure has a pure data function (``*_data``, numpy only) and a thin builder. A reading is anything shaped as
``models.lm.NextCharacters`` (viz never imports torch): ``tokens`` (T,) are BOS then the characters; step ``t`` has
read ``tokens[:t + 1]`` and predicts ``tokens[t + 1]``, so character ``i`` (token ``i + 1``) came with probability
``actual[i]`` and surprise ``surprise[i]``, and after reading it the model expected ``top_tokens[i + 1]``.
"""
from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

from models.trace import DEFAULT_CONVENTION, DISPLAY_ORDER, Trace
from viz.colours import DIVERGING_COLOURS, colour_scale, unbounded_limit
from viz.fit import wrap_title
from viz.labels import state_label
from viz.labels import text as viz_text
from viz.plotly_helpers import FLOAT, empty_figure

SURPRISE_COLOURS = "YlOrRd"  # sequential: 0 bits pale, many bits red
PROBABILITY_COLOURS = "Blues"  # sequential on [0, 1]
MIN_SURPRISE_TOP = 4.0  # bits: the strip's colour range reaches at least this far
STRIP_SHOWN = 120  # characters the surprise strip shows at first; the rest is one drag (pan) away
WINDOW = 30  # characters the next-character window shows around the chosen position
CHAR_PX = 30  # px per character in the window
STRIP_ROW_PX = 46
WRITE_FRAMES = 200  # frames of the live-writing animation at most; a longer writing adds several steps a frame
WRITE_ROW_PX = 150
FRAME_MS = 120
MASK_COLOUR = "white"  # the page's background: steps not yet written are hidden under it
SHOWN_STATES: Mapping[str, tuple[str, ...]] = {  # the live writing's default rows: the gate that keeps, the states
    "lstm": ("forget", "cell", "hidden"), "gru": ("update", "hidden"), "rnn": ("hidden",)}
PROMPT_COLOUR, WRITTEN_COLOUR = "gray", "crimson"
DARK_TINT = 0.6  # |value| / limit past which a tint is dark enough for white text
UIREVISION = "lm"
_FAST = {"_validate": False}  # frames are built from our own arrays: see viz.animation

LM_LABELS: Mapping[str, str] = {  # the English defaults; the page passes translations
    "title_strip": "Surprise of each character (bits): how unexpected it was to each model",
    "title_window": "After each character, the five characters each model expected next",
    "title_detail": "After character {pos} “{char}”: the five characters each model expected next",
    "title_detail_next": "After character {pos} “{char}”: the five each model expected next (“{next}” came, outlined)",
    "title_writing": "{model} writes: its gates and states, step by step",
    "bits": "bits",
    "character": "character",
    "position": "position",
    "expected": "then expected",
    "read": "read",
    "guess": "guess {k}",
    "no_text": "No characters to show",
    "frame": "step",
}


def _label(labels: Mapping[str, str] | None, key: str, **fmt: object) -> str:
    template = (labels or {}).get(key, LM_LABELS[key])
    return template.format(**fmt) if fmt else template


def _shown(char: str) -> str:
    """A character as a figure shows it: a space as ␣, HTML escaped."""
    return html.escape("␣" if char == " " else char, quote=False)


def _percent(p: float) -> str:
    return "—" if not math.isfinite(p) else f"{p:.1%}" if p >= 0.001 else f"{p:.1e}"


class Reading(Protocol):
    """What the figures read of a ``models.lm.NextCharacters``."""

    tokens: tuple[str, ...]
    top_tokens: tuple[tuple[str, ...], ...]
    top_probabilities: np.ndarray
    actual: np.ndarray
    surprise: np.ndarray
    entropy: np.ndarray


def characters(reading: Reading) -> tuple[str, ...]:
    """The text's characters (the tokens after BOS)."""
    return tuple(reading.tokens[1:])


# --- the surprise strip ----------------------------------------------------------------------------------------

class StripData(NamedTuple):
    """Every model's surprise at every character of one text."""

    models: tuple[str, ...]  # (M,) rows, top first
    characters: tuple[str, ...]  # (N,)
    surprise: np.ndarray  # (M, N) float32 bits: how unexpected character i was, after the characters before it
    came: np.ndarray  # (M, N) float32: the probability each model gave it
    expected: tuple[tuple[str, ...], ...]  # (M, N) hover text: the top 5 after character i
    top: float  # the colour range's top, bits


def _expected_text(reading: Reading, step: int) -> str:
    return "  ".join(f"{_shown(c)} {_percent(float(p))}" for c, p in
                     zip(reading.top_tokens[step], reading.top_probabilities[step]))


def strip_data(readings: Mapping[str, Reading]) -> StripData:
    """Rows in the order of ``readings`` (model name -> reading of one text; every reading of the same text)."""
    names = tuple(readings)
    if not names:
        return StripData((), (), np.zeros((0, 0), FLOAT), np.zeros((0, 0), FLOAT), (), MIN_SURPRISE_TOP)
    chars = characters(readings[names[0]])
    count = len(chars)
    surprise = np.stack([np.asarray(r.surprise[:count], FLOAT) for r in readings.values()])
    came = np.stack([np.asarray(r.actual[:count], FLOAT) for r in readings.values()])
    expected = tuple(tuple(_expected_text(r, i + 1) for i in range(count)) for r in readings.values())
    finite = surprise[np.isfinite(surprise)]
    top = float(max(MIN_SURPRISE_TOP, np.percentile(finite, 99) if finite.size else 0.0))
    return StripData(names, chars, surprise, came, expected, top)


def surprise_strip(data: StripData, *, position: int | None = None, labels: Mapping[str, str] | None = None,
                   shown: int = STRIP_SHOWN) -> go.Figure:
    """One row per model, one cell per character coloured by its surprise (bits), the character written in it;
    hover: the probability it came with and the five the model expected after it. Past ``shown`` characters the
    strip is panned (drag), not squeezed. ``position`` is outlined."""
    title = _label(labels, "title_strip")
    if not data.characters:
        return empty_figure(f"{title} — {_label(labels, 'no_text')}", uirevision=UIREVISION)
    count = len(data.characters)
    text = [[_shown(c) for c in data.characters] for _ in data.models]
    custom = np.dstack([np.asarray(data.expected, dtype=object), np.asarray(data.came, dtype=object)])
    hover = (f"{_label(labels, 'character')} %{{text}} (%{{x}})<br>P = %{{customdata[1]:.2%}}, %{{z:.2f}} "
             f"{_label(labels, 'bits')}<br>{_label(labels, 'expected')}: %{{customdata[0]}}<extra>%{{y}}</extra>")
    fig = go.Figure(go.Heatmap(
        z=data.surprise, x=np.arange(count), y=list(data.models), text=text, texttemplate="%{text}",
        textfont=dict(size=14), customdata=custom, hovertemplate=hover, colorscale=SURPRISE_COLOURS, zmin=0.0,
        zmax=data.top, colorbar=dict(title=dict(text=_label(labels, "bits"), side="right"), thickness=12),
        xgap=1, ygap=2, hoverongaps=False,
    ))
    if position is not None and 0 <= position < count:
        fig.add_shape(type="rect", x0=position - 0.5, x1=position + 0.5, y0=-0.5, y1=len(data.models) - 0.5,
                      line=dict(color="black", width=2))
    fig.update_layout(
        title=dict(text=wrap_title(title)), height=STRIP_ROW_PX * len(data.models) + 150, dragmode="pan",
        xaxis=dict(title=dict(text=_label(labels, "position")), range=[-0.5, min(count, shown) - 0.5],
                   showgrid=False, zeroline=False),
        yaxis=dict(type="category", autorange="reversed", fixedrange=True),
        margin={"l": 60, "r": 90, "t": 70, "b": 50}, uirevision=UIREVISION,
    )
    return fig


# --- the window: the figure of Karpathy et al. -----------------------------------------------------------------

class WindowData(NamedTuple):
    """Characters ``positions`` of one text and, under each, every model's five guesses for the next one."""

    models: tuple[str, ...]  # (M,)
    positions: np.ndarray  # (W,) character positions shown
    characters: tuple[str, ...]  # (W,)
    came: np.ndarray  # (M, W) float32: the probability each character came with
    guesses: tuple[tuple[tuple[str, ...], ...], ...]  # (M, W, K) after each character, the top K, best first
    probabilities: np.ndarray  # (M, W, K) float32
    hits: np.ndarray  # (M, W, K) bool: the guess is the character that came next


def window_bounds(count: int, position: int, width: int = WINDOW) -> tuple[int, int]:
    """[start, stop) of at most ``width`` characters of ``count`` around ``position`` (clipped to the text)."""
    start = int(np.clip(position - width // 2, 0, max(count - width, 0)))
    return start, min(count, start + width)


def window_data(readings: Mapping[str, Reading], position: int, width: int = WINDOW) -> WindowData:
    """The window of at most ``width`` characters around ``position`` (every reading of the same text)."""
    names = tuple(readings)
    chars = characters(readings[names[0]]) if names else ()
    start, stop = window_bounds(len(chars), position, width)
    positions = np.arange(start, stop)
    following = [*chars[start + 1:stop + 1], *([""] * (stop + 1 - len(chars)))][:stop - start]
    came, guesses, probs, hits = [], [], [], []
    for reading in readings.values():
        came.append(np.asarray(reading.actual[start:stop], FLOAT))
        rows = tuple(tuple(reading.top_tokens[i + 1]) for i in positions)
        guesses.append(rows)
        probs.append(np.asarray(reading.top_probabilities[start + 1:stop + 1], FLOAT))
        hits.append(np.array([[g == nxt for g in row] for row, nxt in zip(rows, following)], dtype=bool))
    k = len(guesses[0][0]) if names and len(positions) else 0
    return WindowData(names, positions, tuple(chars[start:stop]), np.array(came, FLOAT).reshape(len(names), -1),
                      tuple(guesses), np.array(probs, FLOAT).reshape(len(names), len(positions), k),
                      np.array(hits, bool).reshape(len(names), len(positions), k))


def next_character_window(data: WindowData, *, position: int | None = None,
                          labels: Mapping[str, str] | None = None) -> go.Figure:
    """One panel per model: the characters read along the top row (coloured by the probability they came with),
    and under each the five characters the model expected next, coloured by their probability; the one that
    came is bold."""
    title = _label(labels, "title_window")
    if not len(data.positions) or not data.models:
        return empty_figure(f"{title} — {_label(labels, 'no_text')}", uirevision=UIREVISION)
    k = data.probabilities.shape[2]
    rows = [_label(labels, "read")] + [_label(labels, "guess", k=j + 1) for j in range(k)]
    fig = make_subplots(rows=len(data.models), cols=1, subplot_titles=list(data.models), vertical_spacing=0.08)
    for m, _name in enumerate(data.models):
        z = np.vstack([data.came[m][None, :], data.probabilities[m].T])  # (1 + K, W)
        text = [[_shown(c) for c in data.characters]]
        text += [[(f"<b>{_shown(g[j])}</b>" if hit[j] else _shown(g[j])) for g, hit in
                  zip(data.guesses[m], data.hits[m])] for j in range(k)]
        fig.add_trace(go.Heatmap(
            z=z, x=data.positions, y=rows, text=text, texttemplate="%{text}", textfont=dict(size=15),
            colorscale=PROBABILITY_COLOURS, zmin=0.0, zmax=1.0, showscale=m == 0, xgap=1, ygap=1,
            colorbar=dict(title=dict(text=viz_text(labels, "probability"), side="right"), thickness=12),
            hovertemplate=f"{_label(labels, 'position')} %{{x}}<br>%{{y}}: %{{text}}<br>P = %{{z:.2%}}"
                          f"<extra>{html.escape(_name)}</extra>",
        ), row=m + 1, col=1)
        fig.update_yaxes(type="category", autorange="reversed", fixedrange=True, row=m + 1, col=1)
        if position is not None and data.positions[0] <= position <= data.positions[-1]:
            fig.add_shape(type="rect", x0=position - 0.5, x1=position + 0.5, y0=-0.5, y1=k + 0.5,
                          line=dict(color="crimson", width=2), row=m + 1, col=1)
    fig.update_xaxes(showgrid=False, zeroline=False, dtick=5)
    fig.update_layout(title=dict(text=wrap_title(title)), height=(k + 1) * 26 * len(data.models) + 140,
                      margin={"l": 70, "r": 90, "t": 80, "b": 40}, uirevision=UIREVISION)
    return fig


class DetailData(NamedTuple):
    """One character position: what came next, and each model's view of it."""

    position: int
    character: str  # the character read at ``position``
    following: str  # the character that came after it ("" at the text's end)
    models: tuple[str, ...]  # (M,)
    came: np.ndarray  # (M,) float32: the probability ``character`` came with
    surprise: np.ndarray  # (M,) float32 bits of ``character``
    entropy: np.ndarray  # (M,) float32 bits: the entropy of the guess after it
    next_probability: np.ndarray  # (M,) float32: the probability given to ``following`` (NaN at the end)
    guesses: tuple[tuple[str, ...], ...]  # (M, K) the top K after ``character``
    probabilities: np.ndarray  # (M, K) float32


def detail_data(readings: Mapping[str, Reading], position: int) -> DetailData:
    """Character ``position`` (0 is the first) of the text every reading read."""
    names = tuple(readings)
    chars = characters(readings[names[0]])
    if not 0 <= position < len(chars):
        raise ValueError(f"position must lie in [0, {len(chars) - 1}], got {position}")
    step = position + 1
    following = chars[position + 1] if position + 1 < len(chars) else ""

    def each(key: str, at: int) -> np.ndarray:
        return np.array([float(getattr(r, key)[at]) for r in readings.values()], FLOAT)

    return DetailData(position, chars[position], following, names, each("actual", position),
                      each("surprise", position), each("entropy", step), each("actual", step),
                      tuple(tuple(r.top_tokens[step]) for r in readings.values()),
                      np.array([r.top_probabilities[step] for r in readings.values()], FLOAT))


def detail_bars(data: DetailData, *, colours: Mapping[str, str] | None = None,
                labels: Mapping[str, str] | None = None) -> go.Figure:
    """One panel per model, side by side: its five guesses after the character, as bars; the one that came is
    outlined."""
    fig = make_subplots(rows=1, cols=len(data.models), subplot_titles=list(data.models), horizontal_spacing=0.06)
    for m, name in enumerate(data.models):
        guesses = [_shown(g) for g in data.guesses[m]]
        hit = [g == data.following for g in data.guesses[m]]
        fig.add_trace(go.Bar(
            x=np.asarray(data.probabilities[m], FLOAT), y=[f"{j + 1}. {g}" for j, g in enumerate(guesses)],
            orientation="h", marker=dict(color=(colours or {}).get(name, "#3178c6"),
                                         line=dict(color=["black" if h else "rgba(0,0,0,0)" for h in hit], width=3)),
            text=[_percent(float(p)) for p in data.probabilities[m]], textposition="auto", showlegend=False,
            hovertemplate="%{y}: %{x:.2%}<extra>" + html.escape(name) + "</extra>",
        ), row=1, col=m + 1)
        fig.update_yaxes(autorange="reversed", row=1, col=m + 1)
        fig.update_xaxes(range=[0, 1], tickformat=".0%", row=1, col=m + 1)
    title = _label(labels, "title_detail_next" if data.following else "title_detail", pos=data.position,
                   char=_shown(data.character), next=_shown(data.following))
    fig.update_layout(title=dict(text=wrap_title(title)), height=320, margin={"l": 70, "r": 30, "t": 120, "b": 40},
                      uirevision=UIREVISION)
    return fig


# --- the text tinted by one unit -------------------------------------------------------------------------------

class TintData(NamedTuple):
    """One unit's value after each character of a text."""

    characters: tuple[str, ...]  # (N,)
    values: np.ndarray  # (N,) float32: the state after reading character i
    limit: float  # the colour range is [-limit, limit]
    name: str  # "cell" or "hidden"
    unit: int


def tint_data(trace: Trace, name: str, unit: int, *, layer: int = 0, direction: int = 0) -> TintData:
    """``name`` ("cell" or "hidden") of ``unit`` after each character of ``trace`` (whose token 0 is BOS)."""
    trace.check_position(layer, direction)
    if not 0 <= unit < trace.hidden_size:
        raise ValueError(f"unit must lie in [0, {trace.hidden_size - 1}], got {unit}")
    values = np.asarray(trace.state(name)[layer, direction, 1:, unit], FLOAT)  # (N,)
    limit = unbounded_limit(values) if trace.state_kind(name) == "unbounded" else 1.0
    return TintData(tuple(trace.tokens[1:]), values, limit, name, int(unit))


def tint_colours(values: np.ndarray, limit: float) -> list[str]:
    """An rgb colour per value on the diverging scale (blue < 0 < red), ``limit`` at either end."""
    scaled = np.clip((np.asarray(values, np.float64) / limit + 1) / 2, 0, 1)
    return sample_colorscale(DIVERGING_COLOURS, scaled.tolist()) if len(scaled) else []


def _ink(value: float, limit: float) -> str:
    """The text colour that reads on the tint of ``value``: white on the dark ends of the scale."""
    return "white" if abs(value) > DARK_TINT * limit else "black"


def tinted_html(data: TintData) -> str:
    """The text as HTML, each character on its unit's colour, its value in the tooltip (every character escaped)."""
    spans = [f'<span title="{v:+.3f}" style="background:{c};color:{_ink(v, data.limit)};padding:1px 0">'
             f'{_shown(ch)}</span>'
             for ch, v, c in zip(data.characters, data.values.tolist(), tint_colours(data.values, data.limit))]
    return f'<div style="font-size:1.25rem;line-height:2;word-break:break-all">{"".join(spans)}</div>'


def tint_scale_html(limit: float, steps: int = 11) -> str:
    """A small legend of the tint: -limit … 0 … +limit."""
    values = np.linspace(-limit, limit, steps)
    cells = "".join(f'<span style="background:{c};padding:0 7px">&nbsp;</span>'
                    for c in tint_colours(values, limit))
    return f'<div style="font-size:0.8rem">{-limit:+.2g} {cells} {limit:+.2g}</div>'


# --- live writing ----------------------------------------------------------------------------------------------

class WritingData(NamedTuple):
    """A written text's gates and states, and which steps each frame of its animation shows."""

    names: tuple[str, ...]  # (R,) rows: gates and states
    tokens: tuple[str, ...]  # (T,) BOS, the prompt, the written characters
    prompt_length: int  # tokens of BOS and the prompt
    values: np.ndarray  # (R, H, T) float32
    limits: tuple[float, ...]  # (R,) colour limit of each row
    kinds: tuple[str, ...]  # (R,) colour kind
    ends: np.ndarray  # (F,) frame f shows steps 0 .. ends[f]


def writing_data(trace: Trace, prompt_length: int, names: Sequence[str] | None = None, *, layer: int = 0,
                 direction: int = 0, max_frames: int = WRITE_FRAMES,
                 convention: str = DEFAULT_CONVENTION) -> WritingData:
    """Rows ``names`` (default ``SHOWN_STATES``; any of DISPLAY_ORDER) of ``trace``; frames from the prompt's last
    step to the end, at most ``max_frames``, the last one the whole text."""
    trace.check_position(layer, direction)
    names = tuple(n for n in (names or SHOWN_STATES[trace.cell_type]) if n in DISPLAY_ORDER[trace.cell_type])
    values = np.stack([np.asarray(trace.state(n, convention=convention)[layer, direction], FLOAT).T for n in names]) \
        if names else np.zeros((0, trace.hidden_size, trace.num_steps), FLOAT)  # (R, H, T)
    kinds = tuple(trace.state_kind(n) for n in names)
    limits = tuple(unbounded_limit(values[r]) if k == "unbounded" else 1.0 for r, k in enumerate(kinds))
    first = int(np.clip(prompt_length - 1, 0, max(trace.num_steps - 1, 0)))
    stride = max(1, math.ceil((trace.num_steps - first) / max_frames))
    ends = np.unique(np.append(np.arange(first, trace.num_steps, stride), trace.num_steps - 1))
    return WritingData(names, tuple(trace.tokens), int(prompt_length), values, limits, kinds, ends)


def _text_trace(data: WritingData, end: int, **options) -> go.Scatter:
    steps = np.arange(end + 1)
    colours = [PROMPT_COLOUR if s < data.prompt_length else WRITTEN_COLOUR for s in steps]
    return go.Scatter(x=steps, y=np.zeros(len(steps), FLOAT), mode="text",
                      text=["▸" if s == 0 else _shown(data.tokens[s]) for s in steps],
                      textfont=dict(color=colours, size=14), hoverinfo="skip", showlegend=False, **options)


def _mask(data: WritingData, end: int, top: float) -> dict:
    """A rectangle of the page's colour over the steps after ``end``, across every heatmap row (paper y 0..top)."""
    return dict(type="rect", xref="x", yref="paper", x0=end + 0.5, x1=len(data.tokens) - 0.5, y0=0, y1=top,
                fillcolor=MASK_COLOUR, line=dict(width=0), layer="above")


def writing_animation(data: WritingData, *, model: str = "", convention: str = DEFAULT_CONVENTION,
                      labels: Mapping[str, str] | None = None) -> go.Figure:
    """The text on top and one heatmap per gate or state (units down, steps across) that grows with the text as
    it plays; the last frame is drawn first, so the figure reads without playing.

    Every heatmap is sent once, whole; a frame holds only the text so far and a mask over the steps not yet
    written (a frame of every heatmap's columns so far was about 5 MB for 100 characters)."""
    title = _label(labels, "title_writing", model=model)
    if not data.names or not len(data.ends):
        return empty_figure(f"{title} — {_label(labels, 'no_text')}", uirevision=UIREVISION)
    rows = len(data.names)
    fig = make_subplots(rows=rows + 1, cols=1, shared_xaxes=True, vertical_spacing=0.03,
                        row_heights=[0.5 / (rows + 0.5)] + [1 / (rows + 0.5)] * rows,
                        subplot_titles=[""] + [state_label(labels, n, convention=convention) for n in data.names])
    last = int(data.ends[-1])
    fig.add_trace(_text_trace(data, last), row=1, col=1)
    steps = np.arange(len(data.tokens))
    for r, (name, kind, limit) in enumerate(zip(data.names, data.kinds, data.limits)):
        scale = colour_scale(kind, limit=limit, labels=labels)
        low, high = fig.layout[f"yaxis{r + 2}"].domain
        fig.add_trace(go.Heatmap(
            z=data.values[r], x=steps, colorscale=scale.colorscale, zmin=scale.zmin, zmax=scale.zmax,
            zmid=scale.zmid, name=state_label(labels, name, convention=convention),
            colorbar=dict(y=(low + high) / 2, len=(high - low) * 0.95, thickness=10),  # titled by the row's name
            hovertemplate=f"{viz_text(labels, 'step')} %{{x}}<br>{viz_text(labels, 'unit')} %{{y}}"
                          f"<br>{viz_text(labels, 'value')} %{{z:.3f}}<extra></extra>",
        ), row=r + 2, col=1)
        fig.update_yaxes(title=dict(text=viz_text(labels, "unit")), autorange="reversed", row=r + 2, col=1)
    top = float(fig.layout["yaxis2"].domain[1])
    fig.update_yaxes(visible=False, fixedrange=True, row=1, col=1)
    fig.update_xaxes(range=[-0.5, len(data.tokens) - 0.5], showgrid=False, zeroline=False)
    fig.update_xaxes(title=dict(text=viz_text(labels, "step")), row=rows + 1, col=1)
    fig.frames = [go.Frame(data=[_text_trace(data, int(end), **_FAST)], traces=[0], name=str(int(end)),
                           layout=dict(shapes=[_mask(data, int(end), top)]), **_FAST) for end in data.ends]
    redraw = {"duration": 0, "redraw": True}
    fig.update_layout(
        title=dict(text=wrap_title(title)), height=WRITE_ROW_PX * rows + 260, uirevision=UIREVISION,
        margin={"l": 70, "r": 130, "t": 80, "b": 130},
        updatemenus=[dict(type="buttons", direction="left", x=0.0, y=-0.08, xanchor="left", yanchor="top", buttons=[
            dict(label=viz_text(labels, "play"), method="animate", args=[None, {
                "frame": {"duration": FRAME_MS, "redraw": True}, "fromcurrent": False,
                "transition": {"duration": 0}, "mode": "immediate"}]),
            dict(label=viz_text(labels, "pause"), method="animate",
                 args=[[None], {"frame": redraw, "transition": {"duration": 0}, "mode": "immediate"}]),
        ])],
        sliders=[dict(active=len(data.ends) - 1, x=0.0, len=1.0, y=-0.16, yanchor="top",
                      currentvalue=dict(prefix=f"{_label(labels, 'frame')} "),
                      steps=[dict(method="animate", label=str(int(end)),
                                  args=[[str(int(end))], {"frame": redraw, "transition": {"duration": 0},
                                                          "mode": "immediate"}]) for end in data.ends])],
    )
    return fig
