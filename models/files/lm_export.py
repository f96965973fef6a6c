"""The language models' numbers as files: every gate and state plus the next-character analysis as NPZ, and the
next-character table as CSV.

Pure functions of analyses (numpy, csv; no torch, no streamlit), built only when a person asks. An analysis is
anything shaped as ``models.lm.NextCharacters``. NPZ keys name the model (``lm_lstm/forget``), so that they never
collide with a classifier's (``lstm/forget``); the traces' arrays are ``models.files.export.traces_npz``'s.

    npz = readings_npz({"lm_lstm": reading})      # np.load(io.BytesIO(npz))["lm_lstm/surprise"]
    csv_text = next_characters_csv({"lm_lstm": reading})
"""
from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import numpy as np

from models.files.export import CSV_FLOAT, traces_npz

NEXT_ARRAYS = ("top_probabilities", "actual", "surprise", "entropy")  # (T, K) and (T,) float32 each
STEP_NOTE = ("step t has read BOS and the first t characters and predicts token t + 1; actual and surprise are the "
             "probability and bits of the token that came (NaN after the last)")


def readings_npz(readings: Mapping[str, object]) -> bytes:
    """A compressed NPZ: ``traces_npz`` of each reading's trace (``{model}/{gate or state}`` (L, D, T, H), axes,
    tokens), and ``{model}/top_tokens`` (T, K), ``{model}/top_probabilities`` (T, K), ``{model}/actual``,
    ``{model}/surprise`` and ``{model}/entropy`` (T,) (bits), ``{model}/unknown`` (T,) bool (the token is not in
    the vocabulary: it was read, and scored, as <unk>), and ``{model}/steps`` (a note on what a step is)."""
    with np.load(io.BytesIO(traces_npz({name: r.trace for name, r in readings.items()}))) as found:
        arrays = {key: found[key] for key in found.files}
    for name, reading in readings.items():
        arrays[f"{name}/top_tokens"] = np.array(reading.top_tokens, dtype=str)
        arrays.update({f"{name}/{key}": np.asarray(getattr(reading, key)) for key in NEXT_ARRAYS})
        arrays[f"{name}/unknown"] = np.array(reading.unknown, dtype=bool)  # actual is P(<unk>) where True
        arrays[f"{name}/steps"] = np.array(STEP_NOTE)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def next_characters_csv(readings: Mapping[str, object]) -> str:
    """One row per model and step: ``model, step, read, next, p_next, surprise_bits, entropy_bits`` and the top K
    with their probabilities (``top1, p1, …``); ``next`` is empty, ``p_next`` and ``surprise_bits`` NaN after the
    last character."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    k = max((len(r.top_tokens[0]) for r in readings.values() if r.top_tokens), default=0)
    writer.writerow(["model", "step", "read", "next", "p_next", "surprise_bits", "entropy_bits",
                     *(f"{kind}{j + 1}" for j in range(k) for kind in ("top", "p"))])
    for name, reading in readings.items():
        tokens = reading.tokens
        for t in range(len(tokens)):
            tops = [v for tok, p in zip(reading.top_tokens[t], reading.top_probabilities[t])
                    for v in (tok, CSV_FLOAT % p)]
            writer.writerow([name, t, tokens[t], tokens[t + 1] if t + 1 < len(tokens) else "",
                             CSV_FLOAT % reading.actual[t], CSV_FLOAT % reading.surprise[t],
                             CSV_FLOAT % reading.entropy[t], *tops])
    return out.getvalue()
