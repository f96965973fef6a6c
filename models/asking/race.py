"""Asking the memory-race models: one sequence's answers, the units that hold the clue, the gradient curve, what-if
edits on a holding unit, and the accuracy-by-gap curve read from the cards.

    from models.asking.race import race_answers, holding_units, race_whatif, race_curves
    models = {cell: load_pretrained(f"race_{cell}") for cell in RACE_CELLS}
    answers = race_answers(models, clue=2, distractors=race_distractors(models["lstm"], gap=150, seed=0))
    answers["lstm"].probabilities          # (K,) over CLUES at the query; .analysis is the recorded run
    units = holding_units(models["lstm"], gap=50, state="cell")   # ranked, best first
    race_whatif(models["lstm"], answers["lstm"].tokens, units[0], mode="cut").answer_after
    fewest_units_to_change(models["lstm"], answers["lstm"].tokens, units)  # how spread the memory is
    race_curves()["rnn"].mean              # (G,) mean accuracy over seeds, from race_rnn.json only

A race sequence is ``<clue> w_1 … w_N <query>`` (``models.training.race``); T = N + 2 tokens and the query is
step T - 1, where the model answers. Steps are token indices from 0; the clue is step 0. Everything runs the
real modules (``PretrainedModel.analyze_tokens``, ``models.asking.intervene.edited_trace``,
``models.asking.gradients.distance_curve``); nothing here changes a model.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.asking.gradients import DistanceCurve, distance_curve
from models.asking.intervene import Edit
from models.pretrained import PRETRAINED_DIR, Analysis, PretrainedModel
from models.training.race import CLUES, QUERY, race_items, sequence
from models.vocab import PAD, UNK

RACE_CELLS = ("rnn", "lstm", "gru")
PROBE_COUNT = 512  # sequences in a holding-unit probe set (64 per clue)
PROBE_SEED = 7  # the probe set's seed: the same units are found every time
WHATIF_MODES = ("cut", "freeze")  # cut: the unit's state := 0; freeze: := its value at the clue step
STATES = ("hidden", "cell")  # the states a holding unit is looked for in (the cell: LSTM only)


def _frozen(array, dtype=np.float64) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


# --- one sequence through each model ------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RaceAnswer:
    """One race sequence through one model."""

    cell: str  # "rnn" | "lstm" | "gru"
    clue: int  # index into CLUES: the right answer
    probabilities: np.ndarray  # (K,) over CLUES after the query, read-only
    analysis: Analysis  # tokens, unknown marks and the recorded Trace of the whole run

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.analysis.tokens

    @property
    def answer(self) -> int:
        """The clue index the model names."""
        return int(self.probabilities.argmax())

    @property
    def correct(self) -> bool:
        return self.answer == self.clue

    @property
    def unknown_words(self) -> tuple[str, ...]:
        """Distractor words not in the race vocabulary, in order (each read as <unk>)."""
        return tuple(tok for tok, unk in zip(self.tokens, self.analysis.unknown) if unk)


def race_distractors(model: PretrainedModel, gap: int, seed: int) -> tuple[str, ...]:
    """``gap`` distractor words drawn (seeded, uniformly) from the words ``model``'s race vocabulary was made of."""
    words = vocabulary_distractors(model)
    rng = np.random.default_rng(seed)
    return tuple(words[int(i)] for i in rng.integers(len(words), size=gap))


def vocabulary_distractors(model: PretrainedModel) -> tuple[str, ...]:
    """The distractor words of a race model's vocabulary: every token but <pad>, <unk>, the query and the clues."""
    skip = {PAD, UNK, QUERY, *CLUES}
    return tuple(tok for tok in model.vocab.tokens if tok not in skip)


def typed_distractors(model: PretrainedModel, text: str) -> tuple[str, ...]:
    """The words of typed ``text`` as the race model reads them (its vocabulary's segmentation, word mode)."""
    return tuple(model.tokens(text))


def race_answer(model: PretrainedModel, clue: int, distractors: Sequence[str], *, cell: str | None = None
                ) -> RaceAnswer:
    """``CLUES[clue]``, the ``distractors``, then the query, through ``model``: its recorded run and its answer."""
    analysis = model.analyze_tokens(list(sequence(clue, distractors)))
    return RaceAnswer(cell or model.arch, clue, _frozen(analysis.probabilities[-1]), analysis)


def race_answers(models: Mapping[str, PretrainedModel], clue: int, distractors: Sequence[str]
                 ) -> dict[str, RaceAnswer]:
    """{cell: RaceAnswer} for one sequence (the clue, the distractors, the query) through each of ``models``."""
    return {cell: race_answer(model, clue, distractors, cell=cell) for cell, model in models.items()}


# --- units that hold the clue ------------------------------------------------------------------

@dataclass(frozen=True)
class HoldingUnit:
    """How well one unit alone names the clue at the query, on a seeded balanced probe set at one gap."""

    unit: int  # index of the unit in the layer
    state: str  # "hidden" (h) or "cell" (c, LSTM only)
    accuracy: float  # held-out accuracy of a one-unit nearest-class-mean classifier (chance: 1/K)
    separation: float  # variance of the clue means / mean variance within a clue (the F ratio's core)
    means: tuple[float, ...]  # (K,) the unit's mean value at the query, per clue, over the whole probe set
    gap: int  # the probe set's gap


@dataclass(frozen=True)
class ProbeSet:
    """Values at the query of a balanced probe set: the input of ``rank_units``."""

    clues: np.ndarray  # (B,) clue index of each sequence
    values: Mapping[str, np.ndarray]  # state name -> (B, H) its value at the query step
    gap: int


def probe_values(model: PretrainedModel, gap: int, *, count: int = PROBE_COUNT, seed: int = PROBE_SEED) -> ProbeSet:
    """Every unit's h (and, for an LSTM, c) at the query of ``count`` sequences at ``gap``: ``race_items``,
    balanced over the clues, distractors from the model's vocabulary. One batched run of the real module."""
    items = race_items(count, [gap], vocabulary_distractors(model), seed=seed)
    ids = torch.from_numpy(np.stack([model.vocab.encode(item.tokens).ids for item in items]))  # (B, T)
    classifier = model.model
    with torch.inference_mode():
        batch_first = classifier.rnn.batch_first
        emb = classifier.embedding(ids if batch_first else ids.T)
        out, final = classifier.rnn(emb)  # every sequence has T tokens: the last step is the query
    values = {"hidden": (out[:, -1] if batch_first else out[-1]).numpy().astype(np.float64)}
    if isinstance(final, tuple):  # LSTM: (h_n, c_n), each (1, B, H)
        values["cell"] = final[1][-1].numpy().astype(np.float64)
    return ProbeSet(np.array([item.clue for item in items]), values, gap)


def _class_means(values: np.ndarray, clues: np.ndarray, classes: int) -> np.ndarray:
    """(K, H) mean of each unit per clue (NaN for a clue absent from ``clues``)."""
    return np.stack([values[clues == k].mean(axis=0) if (clues == k).any() else np.full(values.shape[1], np.nan)
                     for k in range(classes)])


def unit_accuracy(values: np.ndarray, clues: np.ndarray, classes: int = len(CLUES)) -> np.ndarray:
    """(H,) for each unit alone: fit the clue means on the first half of ``values`` (B, H), name the clue of each
    sequence of the second half by the nearest mean, and return the share named right."""
    half = len(values) // 2
    means = _class_means(values[:half], clues[:half], classes)  # (K, H)
    distance = np.abs(values[half:, None, :] - means[None])  # (B/2, K, H)
    guess = np.nan_to_num(distance, nan=np.inf).argmin(axis=1)  # (B/2, H)
    return (guess == clues[half:, None]).mean(axis=0)


def _separation(values: np.ndarray, clues: np.ndarray, classes: int) -> np.ndarray:
    """(H,) variance of the per-clue means over the mean within-clue variance (large: the clues lie apart)."""
    means = _class_means(values, clues, classes)
    within = np.stack([values[clues == k].var(axis=0) for k in range(classes) if (clues == k).any()]).mean(axis=0)
    return np.nanvar(means, axis=0) / np.maximum(within, 1e-12)


def rank_units(probe: ProbeSet, state: str = "hidden", top: int | None = None) -> tuple[HoldingUnit, ...]:
    """The units of ``state`` ranked by how well each alone names the clue: held-out accuracy, then separation,
    then the lower index. ``top``: only the first that many."""
    if state not in probe.values:
        raise ValueError(f"the probe has no {state!r} values; it has {sorted(probe.values)}")
    values, classes = probe.values[state], len(CLUES)
    accuracy = unit_accuracy(values, probe.clues, classes)
    separation = _separation(values, probe.clues, classes)
    means = _class_means(values, probe.clues, classes)
    order = sorted(range(values.shape[1]), key=lambda u: (-accuracy[u], -separation[u], u))[:top]
    return tuple(HoldingUnit(int(u), state, float(accuracy[u]), float(separation[u]),
                             tuple(float(m) for m in means[:, u]), probe.gap) for u in order)


def holding_units(model: PretrainedModel, gap: int, *, state: str = "hidden", top: int | None = None,
                  count: int = PROBE_COUNT, seed: int = PROBE_SEED) -> tuple[HoldingUnit, ...]:
    """``rank_units`` on ``probe_values(model, gap)``: the units that hold the clue at ``gap``, best first.
    ``state``: "hidden" for every cell, or "cell" for an LSTM."""
    if state not in STATES:
        raise ValueError(f"state must be one of {STATES}, got {state!r}")
    if state == "cell" and model.arch != "lstm":
        raise ValueError(f"only an LSTM has a cell state; this is a {model.arch.upper()}")
    return rank_units(probe_values(model, gap, count=count, seed=seed), state, top)


@dataclass(frozen=True, eq=False)
class UnitAlongGap:
    """One unit over one sequence, every array (T,) read-only, steps 0 (the clue) .. T-1 (the query)."""

    unit: int
    hidden: np.ndarray  # h_t
    cell: np.ndarray | None  # c_t (LSTM), else None
    forget: np.ndarray | None  # LSTM forget gate f_t on the unit, else None
    input: np.ndarray | None  # LSTM input gate i_t on the unit, else None
    update: np.ndarray | None = None  # GRU update gate z_t on the unit (PyTorch's: the share of h_{t-1} kept)

    @property
    def gap_steps(self) -> slice:
        """The distractor steps 1 .. T-2."""
        return slice(1, len(self.hidden) - 1)

    @property
    def mean_forget(self) -> float:
        """Mean forget gate over the gap (NaN if not an LSTM or the gap is empty)."""
        if self.forget is None or len(self.hidden) < 3:
            return float("nan")
        return float(self.forget[self.gap_steps].mean())

    @property
    def kept(self) -> float:
        """Π f_t over the gap: the share of the clue step's cell value the forget gates let through (NaN: no
        LSTM)."""
        if self.forget is None:
            return float("nan")
        return float(np.prod(self.forget[self.gap_steps]))


def unit_along_gap(analysis: Analysis, unit: int) -> UnitAlongGap:
    """The unit's state (and its forget and input gates for an LSTM, its update gate for a GRU) at every step of a
    recorded run."""
    trace = analysis.trace
    if not 0 <= unit < trace.hidden.shape[-1]:
        raise ValueError(f"unit {unit} does not exist: the layer has {trace.hidden.shape[-1]} units")

    def pick(array: np.ndarray | None) -> np.ndarray | None:
        return None if array is None else _frozen(array[0, 0, :, unit])

    return UnitAlongGap(unit, pick(trace.hidden), pick(trace.cell), pick(trace.gates.get("forget")),
                        pick(trace.gates.get("input")), pick(trace.gates.get("update")))


# --- the gradient curve ------------------------------------------------------------------------

def race_gradient_curve(model: PretrainedModel, tokens: Sequence[str], *, method: str = "chain") -> DistanceCurve:
    """‖∂h_T/∂h_t‖_F for every step t of one race sequence, T the query step, by distance T - t (the clue is at
    distance T - 1: ``curve.log10_norm[-1]``). torch autograd's chain over the real module (``distance_curve``)."""
    ids = torch.from_numpy(model.vocab.encode(list(tokens)).ids)
    return distance_curve(model.model, ids, method=method)


# --- what-if on a holding unit -----------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class RaceWhatIf:
    """One sequence before and after an edit of some units from a step on."""

    edit: Edit
    clue: int  # the right answer (the sequence's first token)
    before: np.ndarray  # (K,) probabilities at the query, unedited
    after: np.ndarray  # (K,) with the edit
    analysis: Analysis  # the edited run

    @property
    def answer_before(self) -> int:
        return int(self.before.argmax())

    @property
    def answer_after(self) -> int:
        return int(self.after.argmax())

    @property
    def changed(self) -> bool:
        return self.answer_before != self.answer_after


def whatif_edit(analysis: Analysis, units: Sequence[int], state: str, mode: str, start: int = 1,
                stop: int | None = None) -> Edit:
    """The Edit that cuts (:= 0) or freezes (:= its value at the clue step, step 0) ``state`` of ``units``
    at steps ``start`` .. ``stop`` - 1 (``stop`` None: through the query step)."""
    if mode not in WHATIF_MODES:
        raise ValueError(f"mode must be one of {WHATIF_MODES}, got {mode!r}")
    steps = range(start, len(analysis.tokens) if stop is None else stop)
    if mode == "cut":
        return Edit(state, steps, units=list(units), set=0.0)
    recorded = analysis.trace.cell if state == "cell" else analysis.trace.hidden
    if recorded is None:
        raise ValueError(f"a {analysis.trace.cell_type.upper()} has no {state} state")
    return Edit(state, steps, units=list(units), set=[float(recorded[0, 0, 0, u]) for u in units])


def race_whatif(model: PretrainedModel, tokens: Sequence[str], unit: HoldingUnit | int | Sequence[int], *,
                mode: str = "cut", state: str | None = None, start: int = 1, stop: int | None = None) -> RaceWhatIf:
    """Cut or freeze a holding unit (or several) from step ``start`` on, and the answer before and after.

    ``unit``: a HoldingUnit (its state is edited unless ``state`` says otherwise), a unit index or several.
    ``state`` defaults to the unit's, else "hidden". Both runs step the real cell (``analyze_tokens(stepped=True)``),
    so every step before ``start`` agrees exactly.
    """
    if isinstance(unit, HoldingUnit):
        units, state = [unit.unit], state or unit.state
    else:
        units = [int(unit)] if isinstance(unit, (int, np.integer)) else [int(u) for u in unit]
    state = state or "hidden"
    tokens = list(tokens)
    before = model.analyze_tokens(tokens, stepped=True)
    edit = whatif_edit(before, units, state, mode, start, stop)
    after = model.analyze_tokens(tokens, edits=[edit])
    clue = CLUES.index(tokens[0]) if tokens[0] in CLUES else -1
    return RaceWhatIf(edit, clue, _frozen(before.probabilities[-1]), _frozen(after.probabilities[-1]), after)


# --- the accuracy-by-gap curve, from the cards --------------------------------------------------

@dataclass(frozen=True, eq=False)
class RaceCurve:
    """One cell's accuracy against gap, from its card (``race_{cell}.json``) alone. Arrays read-only."""

    cell: str
    gaps: np.ndarray  # (G,) every tested gap, ascending (int)
    seeds: np.ndarray  # (S,) the seeds trained (int)
    by_seed: np.ndarray  # (S, G) each seed's accuracy at each gap
    shipped_seed: int  # the seed whose weights ship
    train_gaps: tuple[int, int]  # the inclusive range of gaps trained on
    chance: float  # 1 / K

    @property
    def mean(self) -> np.ndarray:
        return _frozen(self.by_seed.mean(axis=0))

    @property
    def low(self) -> np.ndarray:
        return _frozen(self.by_seed.min(axis=0))

    @property
    def high(self) -> np.ndarray:
        return _frozen(self.by_seed.max(axis=0))

    @property
    def shipped(self) -> np.ndarray:
        """(G,) the shipped seed's accuracy."""
        return _frozen(self.by_seed[list(self.seeds).index(self.shipped_seed)])

    def at(self, gap: int, which: str = "shipped") -> float:
        """The accuracy at ``gap``: "shipped", "mean", "low" or "high"."""
        found = np.flatnonzero(self.gaps == gap)
        if not found.size:
            raise ValueError(f"gap {gap} was not tested: the card has gaps {self.gaps[0]}..{self.gaps[-1]}")
        return float(getattr(self, which)[found[0]])


def race_curve(card: Mapping, cell: str | None = None) -> RaceCurve:
    """The RaceCurve of one race card (a parsed ``race_{cell}.json``)."""
    runs = card["seeds"]["runs"]
    gaps = sorted(int(g) for g in runs[0]["accuracy_by_gap"])
    table = [[float(run["accuracy_by_gap"][str(g)]) for g in gaps] for run in runs]
    low, high = card["task"]["train_gaps"]
    return RaceCurve(cell or card["config"]["arch"], _frozen(gaps, np.int64),
                     _frozen([int(run["seed"]) for run in runs], np.int64), _frozen(table),
                     int(card["seeds"]["shipped"]), (int(low), int(high)), float(card["task"]["chance"]))


def race_curves(directory: str | Path | None = None, cells: Sequence[str] = RACE_CELLS) -> dict[str, RaceCurve]:
    """{cell: RaceCurve} from the cards ``race_{cell}.json`` in ``directory`` (default ``pretrained/``); cells
    without a card are left out. No weights are read."""
    folder = Path(directory) if directory is not None else PRETRAINED_DIR
    out = {}
    for cell in cells:
        path = folder / f"race_{cell}.json"
        if path.is_file():
            out[cell] = race_curve(json.loads(path.read_text(encoding="utf-8")), cell)
    return out


def fewest_units_to_change(model: PretrainedModel, tokens: Sequence[str], ranked: Sequence[HoldingUnit], *,
                           mode: str = "cut", start: int = 1) -> int:
    """The fewest of the best-ranked units (``ranked[:k]``, all of one state) whose ``mode`` edit from ``start``
    on changes the answer at the query; 0 if even all of them leave it. A memory spread over many units needs many."""
    if not ranked:
        return 0
    state = ranked[0].state
    for k in range(1, len(ranked) + 1):
        if race_whatif(model, tokens, [u.unit for u in ranked[:k]], mode=mode, state=state, start=start).changed:
            return k
    return 0
