"""What fits in a chart: token tick labels thinned to the room on their axis, and titles wrapped to the chart's width.

A figure does not know how wide the page will draw it, so every figure is built for the narrowest chart the page
supports: a full-width chart in a 1000-px window with the sidebar open (CHART_PX wide; its plot area, once the
margins and a colour bar are taken, STEP_AXIS_PX). A wider window only spreads the same labels further apart.
Text widths are estimated, not measured: a wide (Chinese) character takes one em, anything else LATIN_EM, a little
more than the page's font (Source Sans) needs on average, so an estimate errs towards more room.
"""
from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

CHART_PX = 540  # width of a full-width chart in a 1000-px window with the sidebar open
STEP_AXIS_PX = 320  # plot-area width of such a chart, after its margins (viz.plotly_helpers.MARGIN) and colour bar
TICK_FONT_PX = 12  # plotly's tick label font, as the page draws it
TITLE_FONT_PX = 16  # the figure title's font, as the page draws it
TITLE_PX = CHART_PX - 40  # room for a title line: the chart less the title's inset and a spare
LINE_EM = 1.45  # height of one line of tick text, in em, with the gap to the next (Noto CJK is the tallest)
LATIN_EM = 0.5  # width of a narrow character, in em (the page's bold titles measure about 0.42 on average)
GAP_EM = 0.5  # room kept between two level labels, in em
# No line starts with a closing mark and none ends with an opening one.
_CLOSING = frozenset("，。、；：！？）》」』】”’,.;:!?)]}%")
_OPENING = frozenset("（《「『【“‘([{")
_MAIN_END = frozenset(":：")
_MAIN_START = frozenset("—")
_CLAUSE_END = frozenset("，,;；")
_CLAUSE_START = frozenset("(（")
CLAUSE_SHARE = 0.4  # a line may break early at a clause boundary if it keeps at least this share of the room
_PIECE = re.compile(r"<[^>]*>|&#?\w+;|\s+|.", re.DOTALL)  # a tag, an entity, a run of spaces, or one character
_TAG = re.compile(r"<[^>]*>")
BREAK = "<br>"


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def text_px(label: str, font_px: float) -> float:
    """Estimated width in px of ``label`` (HTML: tags take no room, an entity is its character) at ``font_px``."""
    shown = html.unescape(_TAG.sub("", label))
    return font_px * sum(1.0 if _wide(ch) else LATIN_EM for ch in shown)


def tick_room(labels: Sequence[str], *, along: str = "x", font_px: float = TICK_FONT_PX) -> float:
    """Px along the axis that one label needs. On y, labels stand level, one line each. On x, plotly turns them
    upright when they do not fit level, so a label needs one line of text, or less when the widest label is
    narrower than that (digits, one Latin letter) and stands level."""
    line = LINE_EM * font_px
    if along == "y" or not labels:
        return line
    return min(line, max(text_px(label, font_px) for label in labels) + GAP_EM * font_px)


def tick_every(count: int, axis_px: float, room_px: float) -> int:
    """Smallest k >= 1 such that labelling every k-th of ``count`` positions spread evenly over ``axis_px`` gives
    each label ``room_px``: k * axis_px / count >= room_px."""
    if count <= 1 or axis_px <= 0:
        return 1
    return max(1, math.ceil(room_px * count / axis_px))


def thin_ticks(labels: Sequence[str], axis_px: float = STEP_AXIS_PX, *, along: str = "x",
               font_px: float = TICK_FONT_PX) -> np.ndarray:
    """Indices (K,) of the labels to show on an axis ``axis_px`` long holding one position per label: every k-th,
    from the first, with k from ``tick_every`` and ``tick_room``."""
    if along not in ("x", "y"):
        raise ValueError(f"along must be 'x' or 'y', got {along!r}")
    every = tick_every(len(labels), axis_px, tick_room(labels, along=along, font_px=font_px))
    return np.arange(0, len(labels), every)


def _words(line: str) -> list[tuple[str, str]]:
    """``line`` cut where a break may go: (spaces before, word) pairs. A break may replace spaces, and may fall
    between two characters when either is wide (Chinese), except before a closing or after an opening mark."""
    words: list[tuple[str, str]] = []
    gap, word, last = "", "", ""
    for piece in _PIECE.findall(line):
        if piece.isspace():
            if word:
                words.append((gap, word))
                gap, word = "", ""
            gap += piece
            continue
        ch = html.unescape(piece) if piece.startswith("&") else piece
        is_tag = piece.startswith("<") and len(piece) > 1
        breaks = (bool(word) and not is_tag and (_wide(ch) or _wide(last))
                  and ch not in _CLOSING and last not in _OPENING)
        if breaks:
            words.append((gap, word))
            gap, word = "", ""
        word += piece
        if not is_tag:
            last = ch
    if word:
        words.append((gap, word))
    return words


def _clause_starts(words: list[tuple[str, str]]) -> dict[int, int]:
    """The words a clause starts at, outside brackets, with the break's rank: 0 after a colon or at a dash (a
    title's main cut), 1 after a comma or at a bracket."""
    starts, depth = {}, 0
    for i, (_, word) in enumerate(words):
        if i and depth == 0:
            before, first = words[i - 1][1][-1:], word[:1]
            if before in _MAIN_END or first in _MAIN_START:
                starts[i] = 0
            elif before in _CLAUSE_END or first in _CLAUSE_START:
                starts[i] = 1
        depth = max(0, depth + sum(ch in "(（" for ch in word) - sum(ch in ")）" for ch in word))
    return starts


def _fill(words: list[tuple[str, str]], width_px: float, font_px: float) -> list[list[tuple[str, str]]]:
    """Words into lines of at most ``width_px``. An overflowing line breaks at a clause boundary that keeps at least
    CLAUSE_SHARE of the room filled, the best ranked and then the last; else before the word that overflows."""
    clauses = _clause_starts(words)
    lines: list[list[int]] = [[]]  # indices into words
    for index in range(len(words)):
        line = lines[-1]
        if line and _px([words[i] for i in line + [index]], font_px) > width_px:
            cuts = [k for k in range(1, len(line)) if line[k] in clauses
                    and _px([words[i] for i in line[:k]], font_px) >= CLAUSE_SHARE * width_px]
            cut = min(cuts, key=lambda k: (clauses[line[k]], -k), default=None)
            if cut is not None:
                lines[-1], carried = line[:cut], line[cut:]
            else:
                carried = []
            lines.append(carried)
            if carried and _px([words[i] for i in carried + [index]], font_px) > width_px:
                lines.append([])
        lines[-1].append(index)
    return [[words[i] for i in line] for line in lines]


def _joined(line: list[tuple[str, str]]) -> str:
    """A line's words with the spaces between them, not the spaces before the first."""
    return "".join(word if i == 0 else gap + word for i, (gap, word) in enumerate(line))


def _px(line: list[tuple[str, str]], font_px: float) -> float:
    return text_px(_joined(line), font_px)


def wrap_title(title: str, width_px: float = TITLE_PX, *, font_px: float = TITLE_FONT_PX) -> str:
    """``title`` with ``<br>`` where a line would pass ``width_px``: breaks replace spaces, or fall between
    Chinese characters, at a clause boundary where one is near. Existing ``<br>`` are kept; a single word wider
    than the room stays whole."""
    lines: list[str] = []
    for paragraph in title.split(BREAK):
        for number, line in enumerate(_fill(_words(paragraph), width_px, font_px)):
            lead = line[0][0] if line and number == 0 else ""  # spaces a break replaced are dropped
            lines.append(lead + _joined(line))
    return BREAK.join(lines)


def title_lines(title: str) -> list[str]:
    """The lines of a title as plotly draws them."""
    return title.split(BREAK)
