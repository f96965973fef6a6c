"""Cached loaders and the analysis function: the only place the page talks to models/.

Models are loaded once per process (``st.cache_resource``) and shared read-only by every
session; they are loaded again when a model file in the folder changes size or modification time.
Everything made from them and kept for the whole process is keyed on the model's ``fingerprint``
(a sha256 over its card, weights and vocabulary, ``models.pretrained.files_fingerprint``), not on
the folder's name: results follow the files the models were loaded from.
Analyses are cached per (model, text, mode) in one ``ByteBoundedCache`` per process, which
holds at most ``RNN_GATES_ANALYSIS_CACHE_MB`` MiB of their arrays (default ``ANALYSIS_CACHE_MB``)
and drops the least recently used first. An Analysis is a frozen dataclass whose arrays are
read-only, so sessions share one object safely, and no copy (no pickling) is made on each rerun.

Asking the model (edited runs, gradients) reads the first ``ASK_MAX_TOKENS`` tokens. Edited runs
are keyed by their edits (``Edit`` is hashable) in a cache of their own, ``EDITED_CACHE_SHARE`` of
the analysis budget, so that trying many edits never pushes out the analyses every tab reads.

Models a visitor uploads (``use_upload``) live in that session's ``st.session_state`` only, with
their analyses in a cache of that session's own, and whatever else is made from them (lesson claims)
in ``Upload.kept``: they never enter a cache another visitor reads.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import streamlit as st

from models.asking import experiments
from models.asking.gradients import GradientPaths, text_gradient_paths
from models.asking.intervene import Edit
from models.names import all_names, parse_name
from models.pretrained import (
    ARCHS,
    PRETRAINED_DIR,
    Analysis,
    EmptyTextError,
    PretrainedModel,
    available_names,
    load_pretrained,
    model_file_names,
)
from models.runtime import configure_threads
from models.tokenize import has_traditional, warm_up
from ui.cache import ByteBoundedCache

MAX_CHARS = 40_000  # text is cut to this many characters before segmenting, so jieba stays fast
MAX_TOKENS = 10_000  # tokens read by the models; the rest is cut with a note
THREADS = 1  # torch threads per process: sessions run side by side, the models are small
MAX_ENTRIES = 32  # cached small results (flags, badges) per function
ANALYSIS_CACHE_MB = 512  # MiB of cached analyses per process; a 10,000-token LSTM analysis holds about 30 MiB
ANALYSIS_CACHE_ENV = "RNN_GATES_ANALYSIS_CACHE_MB"  # sets that budget instead, in MiB
DIRECTORY_ENV = "RNN_GATES_PRETRAINED"  # another folder of pretrained files, e.g. your own trained models
ASK_MAX_TOKENS = 500  # tokens read by edited runs and gradients (the cell is stepped in Python); the rest is cut
EDITED_CACHE_SHARE = 0.125  # the edited runs' cache budget, as a share of the analyses' budget
MODEL_SETS_KEPT = 4  # sets of loaded models kept per process (a folder whose files changed loads a new set)
STAMP_SECONDS = 1.0  # the folder's model files are looked at (stat) at most this often: a page run asks many times
V = TypeVar("V")

__all__ = ["ARCHS", "EmptyTextError", "TextResult", "analyze", "analyze_edited", "comparison", "corpus_saturation",
           "fingerprints", "gradient_paths", "load_models", "reads_traditional", "recording_error", "unit_effects",
           "warm_caches"]


@st.cache_resource(show_spinner=False)
def _runtime() -> bool:
    """Process-wide set-up, once: torch threads and jieba's dictionary."""
    configure_threads(THREADS)
    warm_up()
    return True


def directory() -> Path:
    """The folder the models are loaded from: $RNN_GATES_PRETRAINED, else the shipped pretrained/."""
    return Path(os.environ.get(DIRECTORY_ENV) or PRETRAINED_DIR)


def load_models() -> dict[str, PretrainedModel]:
    """The models by name (``models.names``: "lstm", "lstm_2layer", "lstm_bi", ...), in ``all_names`` order:
    this session's upload, else every sentiment model whose card is in the folder. Raises PretrainedError
    naming a bad file."""
    upload = uploaded()
    if upload is not None:
        _runtime()
        return upload.models
    return _folder_models()


def _folder_models() -> dict[str, PretrainedModel]:
    """The models of ``directory()``, shared by every session that has no upload."""
    folder = str(directory())
    return _load_models(folder, _files_stamp(folder))


_stamps: dict[str, tuple[float, tuple]] = {}  # folder -> (when looked at, its stamp), for STAMP_SECONDS


def _files_stamp(folder: str) -> tuple[tuple[str, int, int] | None, ...]:
    """(name, size, modification time in ns) of every model file the folder may hold, None where absent, as
    of at most STAMP_SECONDS ago: a model file changed in place is loaded again (and gets a new fingerprint)."""
    now = time.monotonic()
    seen = _stamps.get(folder)
    if seen is not None and now - seen[0] < STAMP_SECONDS:
        return seen[1]
    names = dict.fromkeys(file for name in all_names("sentiment") for file in model_file_names(name))
    stamps = []
    for name in names:
        try:
            found = (Path(folder) / name).stat()
        except OSError:
            stamps.append(None)
            continue
        stamps.append((name, found.st_size, found.st_mtime_ns))
    _stamps[folder] = (now, tuple(stamps))
    return tuple(stamps)


@st.cache_resource(max_entries=MODEL_SETS_KEPT, show_spinner=False)
def _load_models(folder: str, stamp: tuple) -> dict[str, PretrainedModel]:
    _runtime()
    return {name: load_pretrained(name, folder) for name in available_names(folder) or ARCHS}


def fingerprints(models: Mapping[str, PretrainedModel]) -> tuple[tuple[str, str], ...]:
    """(name, fingerprint) of each model: the key of anything made from all of them (lesson claims)."""
    return tuple((arch, model.fingerprint) for arch, model in models.items())


def warm_caches(text: str, mode: str) -> dict[str, TextResult]:
    """Before the first visitor (ui.warm, with no session yet): the shared models and jieba loaded, and ``text``
    analysed by every one-layer model (the page's default), into the caches every session reads. Raises
    PretrainedError as load_models."""
    models = _folder_models()
    shown = tuple(arch for arch in ARCHS if arch in models) or tuple(models)
    return {name: _analyze_with(models, analysis_cache(), name, text, mode) for name in shown}


@dataclass(frozen=True)
class TextResult:
    """One text through one model, with what was cut to keep it fast."""

    analysis: Analysis
    chars_total: int  # characters in the text as given
    chars_read: int  # characters segmented (at most MAX_CHARS)
    tokens_total: int  # tokens of the characters read
    tokens_read: int  # tokens the model read (at most MAX_TOKENS)


def analyze(arch: str, text: str, mode: str) -> TextResult:
    """``text`` (cut to MAX_CHARS, then MAX_TOKENS) through the model named ``arch`` ("lstm", "gru_bi", ...).

    Raises EmptyTextError when there is no token to read.
    """
    upload = uploaded()
    if upload is not None:
        return _analyze_with(upload.models, upload.cache, arch, text, mode)
    return _analyze_with(_folder_models(), analysis_cache(), arch, text, mode)


def analysis_cache_bytes() -> int:
    """The byte budget of the cached analyses: $RNN_GATES_ANALYSIS_CACHE_MB MiB, else ANALYSIS_CACHE_MB."""
    return int(float(os.environ.get(ANALYSIS_CACHE_ENV) or ANALYSIS_CACHE_MB) * 2**20)


@st.cache_resource(show_spinner=False)
def analysis_cache() -> ByteBoundedCache[TextResult]:
    """The process's one cache of analyses, shared by every session, measured by their arrays' bytes."""
    return ByteBoundedCache(analysis_cache_bytes(), size_of=lambda result: result.analysis.nbytes)


def _analyze_with(models: Mapping[str, PretrainedModel], cache: ByteBoundedCache[TextResult], arch: str, text: str,
                  mode: str) -> TextResult:
    kept = text[:MAX_CHARS]  # the key holds no more of the text than is read
    model = models[arch]

    def make() -> TextResult:
        tokens = model.tokens(kept, mode)
        analysis = model.analyze_tokens(tokens[:MAX_TOKENS])
        return TextResult(analysis, len(text), len(kept), len(tokens), len(analysis.tokens))

    return cache.get((model.fingerprint, arch, mode, kept, len(text)), make)


def analyze_edited(arch: str, text: str, mode: str, edits: tuple[Edit, ...] = ()) -> TextResult:
    """The first ASK_MAX_TOKENS tokens through ``arch`` with ``edits``, by the stepped cell.

    Without edits it is the run edited ones are compared with: every step before an edit agrees
    exactly. Raises EmptyTextError, or ValueError for an edit the text or the cell cannot take.
    """
    kept, upload = text[:MAX_CHARS], uploaded()
    if upload is not None:  # this session's own models, in this session's own cache
        models, cache = upload.models, upload.cache
    else:
        models, cache = _folder_models(), edited_cache()
    model = models[arch]

    def make() -> TextResult:
        tokens = model.tokens(kept, mode)
        analysis = model.analyze_tokens(tokens[:ASK_MAX_TOKENS], edits=list(edits), stepped=True)
        return TextResult(analysis, len(text), len(kept), len(tokens), len(analysis.tokens))

    return cache.get((model.fingerprint, "edited", arch, mode, kept, len(text), tuple(edits)), make)


@st.cache_resource(show_spinner=False)
def edited_cache() -> ByteBoundedCache[TextResult]:
    """The process's cache of edited runs, apart from the analyses' and measured the same way."""
    return ByteBoundedCache(int(analysis_cache_bytes() * EDITED_CACHE_SHARE), size_of=lambda r: r.analysis.nbytes)


def unit_effects(arch: str, text: str, mode: str, edit: Edit) -> np.ndarray:
    """(H,) the change in the final P(positive) when ``edit`` is applied to each unit alone (read-only)."""
    upload = uploaded()
    if upload is not None:  # not cached: an upload never enters a cache other sessions read
        model = upload.models[arch]
        return experiments.unit_effects(model, model.tokens(text[:MAX_CHARS], mode)[:ASK_MAX_TOKENS], edit)
    model = _folder_models()[arch]
    return _unit_effects(model.fingerprint, text[:MAX_CHARS], mode, edit, model)


@st.cache_resource(max_entries=MAX_ENTRIES, show_spinner=False)
def _unit_effects(fingerprint: str, kept: str, mode: str, edit: Edit, _model: PretrainedModel) -> np.ndarray:
    return experiments.unit_effects(_model, _model.tokens(kept, mode)[:ASK_MAX_TOKENS], edit)


def gradient_paths(arch: str, text: str, mode: str, layer: int | None = None, direction: int = 0) -> GradientPaths:
    """Saliency and the distance curve of the model named ``arch`` over the first ASK_MAX_TOKENS tokens, for
    ``layer`` (default: the top one) and ``direction``, and for a deeper model the curve through depth
    (read-only arrays)."""
    upload = uploaded()
    if upload is not None:  # not cached: an upload never enters a cache other sessions read
        return text_gradient_paths(upload.models[arch], text[:MAX_CHARS], mode=mode, max_tokens=ASK_MAX_TOKENS,
                                   layer=layer, direction=direction)
    model = _folder_models()[arch]
    return _gradient_paths(model.fingerprint, text[:MAX_CHARS], mode, layer, direction, model)


@st.cache_resource(max_entries=3 * MAX_ENTRIES, show_spinner=False)
def _gradient_paths(fingerprint: str, kept: str, mode: str, layer: int | None, direction: int,
                    _model: PretrainedModel) -> GradientPaths:
    return text_gradient_paths(_model, kept, mode=mode, max_tokens=ASK_MAX_TOKENS, layer=layer, direction=direction)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def reads_traditional(text: str) -> bool:
    """Whether the models read traditional characters of ``text`` (as far as it is read) as simplified."""
    return has_traditional(text[:MAX_CHARS])


def recording_error(arch: str, text: str, mode: str) -> float:
    """Largest |recorded hidden - torch's own module output| for ``arch`` on this text."""
    upload = uploaded()
    if upload is not None:
        return upload.models[arch].recording_error(analyze(arch, text, mode).analysis)
    model = _folder_models()[arch]
    return _recording_error(model.fingerprint, text, mode, model)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _recording_error(fingerprint: str, text: str, mode: str, _model: PretrainedModel) -> float:
    return _model.recording_error(_analyze_with({_model.name: _model}, analysis_cache(), _model.name, text,
                                                mode).analysis)


def comparison() -> dict | None:
    """comparison.json (every model's test metrics next to the baseline's), or None if absent (or uploaded)."""
    return None if uploaded() is not None else _folder_json("comparison.json")


def corpus_saturation() -> dict | None:
    """saturation_test.json (per-unit gate saturation over the test split, from models.files.batch), or None."""
    return None if uploaded() is not None else _folder_json("saturation_test.json")


def _folder_json(name: str) -> dict | None:
    path = directory() / name
    try:
        found = path.stat()
    except OSError:
        return None
    return _json_file(str(path), found.st_size, found.st_mtime_ns)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _json_file(path: str, size: int, mtime_ns: int) -> dict | None:
    """The file's JSON, read again when its size or time changes."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# Your own models, uploaded in the page: this session only.

UPLOAD_KEY = "uploaded_models"
UPLOAD_CACHE_MB = 128  # MiB of analyses kept per session for its uploaded models
UPLOAD_KEPT = 32  # other results (lesson claims, edited runs) kept per session for its uploaded models

__all__ += ["Upload", "analyzer", "archs", "drop_upload", "main_arch", "missing_archs", "names", "shapes",
            "shared_models", "uploaded", "use_upload"]


@dataclass(frozen=True, eq=False)
class Upload:
    """Models one visitor uploaded, with that session's own cache of their analyses."""

    models: dict[str, PretrainedModel]  # by name, in models.names.all_names order
    names: tuple[str, ...]  # the files uploaded, as named in the page
    cache: ByteBoundedCache[TextResult]
    others: ByteBoundedCache[object] = field(  # counted, not measured: small results, by the caller's key
        default_factory=lambda: ByteBoundedCache(UPLOAD_KEPT, size_of=lambda _: 1))

    def kept(self, key: Hashable, make: Callable[[], V]) -> V:
        """``make()`` made once for these models and kept in this session (lesson claims, say)."""
        return self.others.get(key, make)


def analyzer() -> Callable[[str, str, str], TextResult]:
    """``analyze`` bound to this session's models now, to be called later off the script's thread (a
    download made on click), where ``st.session_state`` cannot be read."""
    upload = uploaded()
    if upload is not None:
        return partial(_analyze_with, upload.models, upload.cache)
    return partial(_analyze_with, _folder_models(), analysis_cache())


def uploaded() -> Upload | None:
    """This session's uploaded models, or None (the shipped or $RNN_GATES_PRETRAINED ones are used)."""
    return st.session_state.get(UPLOAD_KEY)


def use_upload(models: dict[str, PretrainedModel], names: tuple[str, ...]) -> None:
    """From now on this session reads ``models`` (validated by models.files.upload.load_upload)."""
    cache = ByteBoundedCache(UPLOAD_CACHE_MB * 2**20, size_of=lambda result: result.analysis.nbytes)
    st.session_state[UPLOAD_KEY] = Upload(dict(models), tuple(names), cache)


def drop_upload() -> None:
    """Back to the models every visitor shares."""
    st.session_state.pop(UPLOAD_KEY, None)


def shared_models() -> bool:
    """Whether this session reads the models every visitor shares, so that process-wide caches may hold
    what is made from them (an upload's figures and analyses must stay in the session)."""
    return uploaded() is None


def names() -> tuple[str, ...]:
    """Every model this session has, by name, one-layer models first (``models.names.all_names`` order)."""
    return tuple(load_models())


def archs() -> tuple[str, ...]:
    """The page's default models: the one-layer ones this session has, in ARCHS order; an upload of variants
    alone (``lstm_bi`` say) has no one-layer model, and then its models are these."""
    found = names()
    return tuple(arch for arch in ARCHS if arch in found) or found


def missing_archs() -> tuple[str, ...]:
    """The archs of ARCHS this session has no model of any shape for (its folder or upload holds no files)."""
    cells = {parse_name(name).cell for name in names()}
    return tuple(arch for arch in ARCHS if arch not in cells)


def shapes(cell: str) -> tuple[str, ...]:
    """The names of this session's models of ``cell`` ("lstm", "lstm_2layer", "lstm_bi"), one layer first."""
    return tuple(name for name in names() if parse_name(name).cell == cell)


def main_arch() -> str:
    """The model whose tokens the page shows above the tabs: the one-layer LSTM when there is one."""
    found = archs()
    return "lstm" if "lstm" in found else found[0]
