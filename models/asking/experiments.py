"""The classic what-if experiments as edits of each cell, and which units an edit moves the prediction through.

    from models.asking.experiments import experiment, top_units, unit_effects
    run = experiment("forget_at_connective", "gru", tokens)   # Edit("update", [k], set=0.0) at the first 但是
    model.analyze_tokens(tokens, edits=run.edits)
    top_units(unit_effects(model, tokens, edit), 8)            # the 8 units whose edit alone matters most

One idea reads differently in each cell, because the cells keep their memory differently:
- keep the old memory: LSTM forget gate f = 1 ↔ GRU keep-the-old-state z = 1 (PyTorch's z; the
  textbook's z = 0) ↔ RNN: no gate, it remixes its whole state at every step;
- drop the old memory at a token t: f_t = 0 ↔ PyTorch's z_t = 0 (h_t = n_t) ↔ RNN h_{t-1} := 0, so
  step t reads only its input (there is nothing to drop before the first token);
- do not write a token: LSTM input gate i = 0 ↔ GRU z = 1 (the old state is kept whole, so the token
  is skipped exactly; in the GRU keeping and not writing are one gate) ↔ RNN: no gate;
- cut the memory at a token: RNN h_t := 0 ↔ GRU h_t := 0 ↔ LSTM c_t := 0 and h_t := 0.
Every edit here is in PyTorch's convention (``Edit``'s default); the page shows it in its own.

An experiment acts on one layer and direction (``experiment(..., layer=, direction=)``, default layer 0
forward). In the backward direction (1), which reads right to left, "from the chosen token on" means the
tokens it reads after it, ``at`` down to 0, and the RNN's previous state at token t is its state at t + 1.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from models.asking.intervene import ALL_UNITS, Edit, edited_answer
from models.trace import RETAIN_GATE
from models.training.augment import CONTRAST

PRESETS = ("never_forget", "forget_at_connective", "ignore_de", "cut_memory")
CHOSEN_TOKEN = frozenset({"never_forget", "cut_memory"})  # presets that act from or at a token the reader picks
# The contrast connectives, one token each: 虽然…但是 turns at 但是, which is in the list on its own.
CONNECTIVES = tuple(c for c in CONTRAST if "…" not in c)
DE = "的"

# Why an experiment has no edit for a cell (Experiment.missing).
NO_GATE = "no_gate"  # the cell has no gate or state that carries the idea
NO_CONNECTIVE = "no_connective"  # the text has no contrast connective
NO_DE = "no_de"  # the text has no 的
NOTHING_BEFORE = "nothing_before"  # the connective is the first token: no memory to drop yet

_WRITE_OFF = {"lstm": ("input", 0.0), "gru": ("update", 1.0)}  # the gate value that writes nothing new


@dataclass(frozen=True)
class Experiment:
    """One classic experiment on one cell type and one text: its edits, or why there are none."""

    preset: str
    arch: str
    steps: tuple[int, ...]  # the tokens the idea acts at (the RNN drops its memory one step earlier)
    edits: tuple[Edit, ...]  # empty when ``missing`` says why
    missing: str | None  # NO_GATE, NO_CONNECTIVE, NO_DE, NOTHING_BEFORE, or None


def preset_steps(preset: str, tokens: Sequence[str], *, at: int = 0, direction: int = 0) -> tuple[int, ...]:
    """The token indices ``preset`` acts at: from ``at`` on in reading order (direction 1: ``at`` down to 0),
    the first contrast connective, every 的, or ``at``."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; presets are {PRESETS}")
    if preset in CHOSEN_TOKEN and not 0 <= at < len(tokens):
        raise ValueError(f"token {at} is outside the text of {len(tokens)} tokens (0..{len(tokens) - 1})")
    if preset == "never_forget":
        return tuple(range(at, -1, -1)) if direction == 1 else tuple(range(at, len(tokens)))
    if preset == "cut_memory":
        return (at,)
    if preset == "ignore_de":
        return tuple(i for i, tok in enumerate(tokens) if tok == DE)
    return next(((i,) for i, tok in enumerate(tokens) if tok in CONNECTIVES), ())


def _edits(preset: str, arch: str, steps: tuple[int, ...], count: int,
           where: dict[str, int]) -> tuple[tuple[Edit, ...], str | None]:
    """The edits of ``preset`` at ``steps`` of a text of ``count`` tokens; ``where``: layer and direction."""
    if preset == "cut_memory":
        targets = ("cell", "hidden") if arch == "lstm" else ("hidden",)
        return tuple(Edit(target, steps, set=0.0, **where) for target in targets), None
    if preset == "never_forget":
        return ((Edit(RETAIN_GATE[arch], steps, set=1.0, **where),), None) if arch in RETAIN_GATE else ((), NO_GATE)
    if preset == "ignore_de":
        if arch not in _WRITE_OFF:
            return (), NO_GATE
        target, value = _WRITE_OFF[arch]
        return (Edit(target, steps, set=value, **where),), None
    if arch in RETAIN_GATE:  # forget at the connective
        return (Edit(RETAIN_GATE[arch], steps, set=0.0, **where),), None
    if where["direction"] == 1:  # read right to left: the state before token s is the one at s + 1
        before = tuple(s + 1 for s in steps if s + 1 < count)
    else:
        before = tuple(s - 1 for s in steps if s > 0)
    return ((Edit("hidden", before, set=0.0, **where),), None) if before else ((), NOTHING_BEFORE)


def experiment(preset: str, arch: str, tokens: Sequence[str], *, at: int = 0, layer: int = 0,
               direction: int = 0) -> Experiment:
    """``preset`` on the ``arch`` cell ("rnn", "lstm", "gru") over ``tokens``; ``at`` is the chosen token;
    the edits act on ``layer`` and ``direction`` (0 forward, 1 backward, read right to left)."""
    if arch not in ("rnn", "lstm", "gru"):
        raise ValueError(f"arch must be rnn, lstm or gru, got {arch!r}")
    steps = preset_steps(preset, tokens, at=at, direction=direction)
    if not steps:
        return Experiment(preset, arch, steps, (), NO_CONNECTIVE if preset == "forget_at_connective" else NO_DE)
    edits, missing = _edits(preset, arch, steps, len(tokens), {"layer": layer, "direction": direction})
    return Experiment(preset, arch, steps, edits, missing)


def unit_effects(pretrained, tokens: Sequence[str], edit: Edit, *, label: str | None = None) -> np.ndarray:
    """(H,) how much ``edit`` moves the final P(label) when it is applied to each unit alone.

    Entry j is P(label) after the last token with ``edit`` on unit j only, minus P(label) unedited
    (signed). ``label`` defaults to the last class. The edit's value must be one number (it is
    applied to one unit at a time). H edited runs of the real cell on the whole text (no per-prefix runs for a
    bidirectional model): about 2-4 ms each for 30 tokens, one layer one way.
    """
    if np.ndim(edit.set if edit.set is not None else edit.scale) != 0:
        raise ValueError("unit effects need an edit with one value for every unit")
    classifier = pretrained.model
    column = list(classifier.config.labels).index(label) if label is not None else -1
    ids = pretrained.encode([list(tokens)])[0][0]  # (T,)
    base = edited_answer(classifier, ids)[column]
    units = range(classifier.rnn.hidden_size) if edit.units == ALL_UNITS else edit.units
    effects = np.zeros(classifier.rnn.hidden_size)
    for unit in units:
        effects[unit] = edited_answer(classifier, ids, [replace(edit, units=[unit])])[column] - base
    effects.setflags(write=False)
    return effects


def top_units(effects: np.ndarray, k: int) -> tuple[int, ...]:
    """The ``k`` units of largest |effect|, largest first (ties: lower index first)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    order = np.argsort(-np.abs(np.asarray(effects)), kind="stable")
    return tuple(int(u) for u in order[:k])
