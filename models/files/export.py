"""The numbers behind the page, as files: traces as NPZ and as a tidy CSV, and a provenance record.

Pure functions of traces (numpy, csv, json; no torch, no streamlit), so the page builds them only
when a person asks for them, and a script can call them too:

    npz = traces_npz({"lstm": trace, "gru": other})          # bytes; np.load(io.BytesIO(npz))["lstm/forget"]
    csv_text = tidy_csv({"lstm": trace})                     # model,state,layer,direction,step,token,unit,value
    record = provenance(text=..., tokens=..., mode="word", files={"lstm": {...}}, date=...)

Arrays keep the trace's axis order ``(layer, direction, step, unit)``, every layer and direction of every
model: layer 0 reads the tokens, layer l > 0 reads layer l - 1; direction 0 reads left to right, direction 1
right to left, and its step t is its state after reading token t from the right. GRU gates are PyTorch's:
``update`` is PyTorch's z, the share of the old state kept; the textbook's z is ``1 - update``.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from itertools import repeat
from typing import Protocol

import numpy as np

from models import VERSION
from models.trace import DISPLAY_ORDER, Trace

FORMAT = "rnn-gates-export/1"
CSV_COLUMNS = ("model", "state", "layer", "direction", "step", "token", "unit", "value")
CSV_FLOAT = "%.9g"  # nine significant digits give a float32 back exactly
MAX_CSV_ROWS = 3_000_000  # about 100 MB of CSV; a longer text is exported as NPZ only
AXES = ("layer", "direction", "step", "unit")
DIRECTION_NOTE = ("direction 0 reads left to right; direction 1 reads right to left, and its step t is its state "
                  "after reading token t from the right (tokens T-1 .. t). Layer 0 reads the tokens; layer l > 0 "
                  "reads layer l - 1's hidden states (both directions joined).")
GRU_NOTE = ("GRU gates are PyTorch's: h_t = (1 - z_t) n_t + z_t h_{t-1}, so 'update' is the share of the old "
            "state kept; the textbook form h_t = (1 - z_t) h_{t-1} + z_t n_t uses 1 - update.")


def _arrays(trace: Trace) -> dict[str, np.ndarray]:
    """Every gate, term and state of ``trace`` by name, each (L, D, T, H)."""
    return {**trace.gates, **trace.terms, **({"cell": trace.cell} if trace.cell is not None else {}),
            "hidden": trace.hidden}


def traces_npz(traces: Mapping[str, Trace]) -> bytes:
    """A compressed NPZ of every model's trace: ``{model}/{name}`` (L, D, T, H) float32 for each gate, term
    and state, every layer and direction, ``{model}/axes`` (the names of those axes, ``AXES``),
    ``{model}/probabilities`` (T, C), ``{model}/labels`` (C,) and ``{model}/tokens`` (T,)."""
    arrays: dict[str, np.ndarray] = {}
    for model, trace in traces.items():
        arrays.update({f"{model}/{name}": np.asarray(values) for name, values in _arrays(trace).items()})
        arrays[f"{model}/axes"] = np.array(AXES)
        if trace.probabilities is not None:
            arrays[f"{model}/probabilities"] = np.asarray(trace.probabilities)
            arrays[f"{model}/labels"] = np.array(trace.labels, dtype=str)
        arrays[f"{model}/tokens"] = np.array(trace.tokens, dtype=str)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def csv_rows(traces: Mapping[str, Trace]) -> int:
    """Data rows ``tidy_csv`` writes: one per model, gate or state, layer, direction, step and unit."""
    return sum(values.size for trace in traces.values() for values in trace.states().values())


class ModelShape(Protocol):
    """What ``planned_csv_rows`` needs of a model: a ``ClassifierConfig`` has it."""

    arch: str
    hidden_size: int
    num_layers: int
    num_directions: int


def planned_csv_rows(steps: int, units: Mapping[str, int | ModelShape]) -> int:
    """``csv_rows`` before recording: ``steps`` tokens through each model (each writes its ``DISPLAY_ORDER``
    gates and states at every layer and direction).

    ``units``: model name -> its ``ClassifierConfig`` (or anything with ``arch``, ``hidden_size``,
    ``num_layers``, ``num_directions``), or a number of hidden units, the name then being a cell type
    ("rnn", "lstm", "gru") of one layer and one direction.
    """
    total = 0
    for name, shape in units.items():
        if isinstance(shape, int):
            total += shape * len(DISPLAY_ORDER[name])
        else:
            total += shape.hidden_size * shape.num_layers * shape.num_directions * len(DISPLAY_ORDER[shape.arch])
    return steps * total


def tidy_csv(traces: Mapping[str, Trace]) -> str:
    """One row per value of every gate and state the page draws (``Trace.states``, no intermediate terms):
    ``CSV_COLUMNS``, with a header.

    ValueError if there would be more than MAX_CSV_ROWS rows (use ``traces_npz``).
    """
    rows = csv_rows(traces)
    if rows > MAX_CSV_ROWS:
        raise ValueError(f"{rows:,} rows is more than {MAX_CSV_ROWS:,}: export the traces as NPZ instead")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for model, trace in traces.items():
        tokens = np.array(trace.tokens, dtype=object)
        for name, values in trace.states().items():
            layer, direction, step, unit = (axis.ravel() for axis in np.indices(values.shape))
            text = np.char.mod(CSV_FLOAT, values.ravel())
            writer.writerows(zip(repeat(model), repeat(name), layer.tolist(), direction.tolist(), step.tolist(),
                                 tokens[step], unit.tolist(), text.tolist()))
    return out.getvalue()


def provenance(*, text: str, tokens: Sequence[str], mode: str, files: Mapping[str, Mapping[str, str]],
               date: str, view: Mapping[str, str] | None = None, source: str = "") -> dict:
    """Where the exported numbers come from: the text, its tokens and tokenizer mode, each model's files
    with their sha256 (``files``: model -> file name -> hex digest), the project version and ``date``
    (ISO 8601), and optionally the page's view and the models' ``source`` (a folder, an upload)."""
    return {
        "format": FORMAT,
        "text": text,
        "tokens": list(tokens),
        "tokenizer_mode": mode,
        "models": {model: {"files": {name: {"sha256": digest} for name, digest in sorted(found.items())}}
                   for model, found in files.items()},
        "source": source,
        "project_version": VERSION,
        "date": date,
        "axes": "(layer, direction, step, unit)",
        "directions": DIRECTION_NOTE,
        "gru_convention": GRU_NOTE,
        **({"view": dict(view)} if view else {}),
    }


def provenance_json(**fields) -> str:
    """``provenance(**fields)`` as indented UTF-8 JSON text."""
    return json.dumps(provenance(**fields), ensure_ascii=False, indent=2) + "\n"
