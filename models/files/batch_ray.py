"""The Ray Data engine of ``models.files.batch``: the same batches, numbers and files, recorded by a pool of Ray actors.

    python -m models.batch --corpus all --engine ray --out results/              # a local Ray, the machine's cores
    python -m models.batch reviews.txt --engine ray --address auto --workers 8   # join a cluster (``ray start``)

The driver reads the input (so a path on the driver works on a cluster too) and the model files, and ships
both through the object store: the workers need the code, not the files. Two passes over a Ray Dataset:

1. ``from_items`` of the texts, tokenized by a pool of ``Tokenizer`` actors; the token lists come back to
   the driver in input order;
2. the driver groups them with ``models.files.batch.length_groups`` (the batches the local engine records), and a
   pool of ``Recorder`` actors, each loading the models once, records one group per call. Each group comes
   back as one NPZ blob (plain arrays, no pickle): the "positive" probabilities, the saturation counts, and
   with ``--traces`` every gate and state.

The driver sums the counts (integers, so exactly the local engine's), and writes the traces straight to
disk at their sentences' rows. It holds the texts, their tokens, one probability per text and model, and
the few group results in flight; never the traces of the corpus.
"""
from __future__ import annotations

import io
import json
import logging
import math
import os
import socket
import tempfile
import time
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np
import torch
from tqdm import tqdm

from models.files.batch import (
    MAX_TOKENS,
    TRACE_AXES,
    add_predictions,
    length_groups,
    record_group,
    trace_rows,
    write_csv,
)
from models.pretrained import ARCHS, PRETRAINED_DIR, PretrainedModel, load_from_files, model_file_names
from models.saturation import HIGH, LOW, LayerSaturation

if TYPE_CHECKING:
    from types import ModuleType

RAY_REQUIREMENT = "ray[data]==2.60.0"  # as pinned in requirements-dev.txt
ACTOR_CPUS = 0.5  # per actor; below 1, so that a pool never holds every CPU and stalls Ray Data's own tasks
OBJECT_STORE_BYTES = 1 << 30  # a local Ray's object store; a group's traces through three models take ~100 MB
TOKENIZE_ROWS = 256  # texts per tokenizer call
MAX_RESTARTS = 3  # a worker that dies is restarted, and its batch retried, at most this many times
CONNECT_SECONDS = 10.0  # how long to wait for a cluster's address to answer before giving up


class Tokenizer:
    """A Ray actor: the tokens the models read, as JSON lists, for a batch of texts."""

    def __init__(self, arch: str, files: dict[str, bytes], names: dict[str, str], mode: str | None) -> None:
        self.model = load_from_files(arch, files, names)
        self.mode = mode

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        tokens = [json.dumps(self.model.tokens(str(text), self.mode)[:MAX_TOKENS], ensure_ascii=False)
                  for text in batch["text"]]
        return {"index": batch["index"], "tokens": np.array(tokens, dtype=object)}


class Recorder:
    """A Ray actor holding the models, loaded once: records one length group per row, through every model.

    Returns per row an NPZ blob with, per model ``arch``: ``{arch}/positive`` (B,), the saturation counts of
    every layer and direction under ``{arch}/saturation`` (``LayerSaturation.to_arrays``), and with
    ``keep_traces`` ``{arch}/state/{name}`` (sum of T_i, L, D, H) and ``{arch}/state/probabilities``
    (sum of T_i, C), the group's texts one after the other in the group's order.
    """

    def __init__(self, files: dict[str, dict[str, bytes]], names: dict[str, dict[str, str]], low: float,
                 high: float, keep_traces: bool, threads: int) -> None:
        torch.set_num_threads(threads)
        self.models = {arch: load_from_files(arch, files[arch], names[arch]) for arch in files}
        self.low, self.high, self.keep_traces = low, high, keep_traces

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        blobs = [self.record(json.loads(str(tokens))) for tokens in batch["tokens"]]
        return {"group": batch["group"], "result": np.array(blobs, dtype=object)}

    def record(self, token_lists: list[list[str]]) -> bytes:
        arrays: dict[str, np.ndarray] = {}
        for arch, model in self.models.items():
            arrays.update(_group_arrays(arch, model, token_lists, self.low, self.high, self.keep_traces))
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()


def _group_arrays(arch: str, model: PretrainedModel, token_lists: list[list[str]], low: float, high: float,
                  keep_traces: bool) -> dict[str, np.ndarray]:
    positive = model.labels.index("positive")
    traces = record_group(model, token_lists)
    counts = LayerSaturation(low, high)
    for trace in traces:
        counts.add(trace)
    arrays = {f"{arch}/positive": np.array([t.probabilities[-1, positive] for t in traces], np.float64),
              **counts.to_arrays(f"{arch}/saturation")}
    if keep_traces:
        rows = [trace_rows(t) for t in traces]
        for name in rows[0]:
            arrays[f"{arch}/state/{name}"] = np.concatenate([r[name] for r in rows])
        arrays[f"{arch}/state/probabilities"] = np.concatenate([t.probabilities for t in traces])
    return arrays


class _TraceFile:
    """One model's ``traces_{arch}.npz``, in the local engine's layout, filled as the groups arrive.

    Each array is a ``.npy`` file in a temporary folder; a text's rows are written at its offset, so the
    file is in input order whatever order the groups come in. ``close`` zips the files into the NPZ.
    """

    def __init__(self, path: Path, token_lists: list[list[str]]) -> None:
        self.path = path
        self.folder = Path(tempfile.mkdtemp(prefix=f".{path.stem}-", dir=path.parent))
        lengths = [len(toks) for toks in token_lists]
        self.offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        np.save(self.folder / "offsets.npy", self.offsets)
        np.save(self.folder / "tokens.npy", np.array([tok for toks in token_lists for tok in toks], dtype=str))
        np.save(self.folder / "axes.npy", np.array(TRACE_AXES))
        self.names = ["offsets", "tokens", "axes"]
        self.starts: dict[str, int] = {}  # array name -> byte offset of its data in its .npy file

    def write(self, indices: list[int], arrays: dict[str, np.ndarray]) -> None:
        """Put one group's arrays, its texts' rows one after another in ``indices`` order, at their offsets."""
        for name, values in arrays.items():
            if name not in self.starts:
                self._create(name, values)
            row_bytes = values[0].nbytes
            with (self.folder / f"{name}.npy").open("r+b") as handle:
                first = 0
                for i in indices:
                    steps = int(self.offsets[i + 1] - self.offsets[i])
                    handle.seek(self.starts[name] + int(self.offsets[i]) * row_bytes)
                    handle.write(np.ascontiguousarray(values[first:first + steps]).tobytes())
                    first += steps

    def _create(self, name: str, values: np.ndarray) -> None:
        shape = (int(self.offsets[-1]), *values.shape[1:])
        header = {"descr": np.lib.format.dtype_to_descr(values.dtype), "fortran_order": False, "shape": shape}
        with (self.folder / f"{name}.npy").open("wb") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            self.starts[name] = handle.tell()
            handle.truncate(self.starts[name] + int(np.prod(shape)) * values.dtype.itemsize)
        self.names.append(name)

    def close(self) -> None:
        with zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            for name in self.names:
                archive.write(self.folder / f"{name}.npy", arcname=f"{name}.npy")
        self.discard()

    def discard(self) -> None:
        for name in self.names:
            (self.folder / f"{name}.npy").unlink(missing_ok=True)
        self.folder.rmdir()


def import_ray() -> ModuleType:
    """The ``ray`` module with Ray Data, or one clear message saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data ships as an extra of Ray)
    except ImportError:
        raise SystemExit(f"--engine ray needs Ray Data, which is not installed here: "
                         f"pip install '{RAY_REQUIREMENT}' (it is in requirements-dev.txt)") from None
    return ray


def _check_reachable(address: str) -> None:
    """Fail fast, with one message, when ``host:port`` (or ``ray://host:port``) does not answer."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    if parts.hostname is None or parts.port is None:
        return  # "auto", "local": ray.init finds (or does not find) the cluster itself
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_SECONDS).close()
    except OSError as err:
        raise SystemExit(f"cannot reach the Ray cluster at {address}: {err}") from None


def connect(ray: ModuleType, address: str | None) -> bool:
    """Join the cluster at ``address``, else start a local Ray on this machine's cores; True if we connected.

    A Ray already running in this process (``ray.init`` called before) is used as it is.
    """
    if address is not None:
        _check_reachable(address)
    if ray.is_initialized():
        return False
    if address is None:
        ray.init(num_cpus=os.cpu_count(), object_store_memory=OBJECT_STORE_BYTES, include_dashboard=False,
                 logging_level="WARNING")
        return True
    code = {"py_modules": [str(Path(__file__).resolve().parents[1])]}  # the models package, for workers elsewhere
    try:
        ray.init(address=address, runtime_env=code, logging_level="WARNING")
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise SystemExit(f"cannot reach the Ray cluster at {address}: {err}") from None
    return True


def _model_files(archs: tuple[str, ...], directory: Path) -> tuple[dict, dict]:
    """The bytes of each model's files, by arch and file name, and their paths (for messages)."""
    files, names = {}, {}
    for arch in archs:
        files[arch] = {name: (directory / name).read_bytes() for name in model_file_names(arch)
                       if (directory / name).is_file()}
        names[arch] = {name: str(directory / name) for name in model_file_names(arch)}
        load_from_files(arch, files[arch], names[arch])  # a missing or bad file fails here, on the driver
    return files, names


def _actor_pool(ray: ModuleType, dataset, actor: type, workers: int, batch_size: int, constructor: dict):
    """``dataset`` mapped by a pool of ``workers`` ``actor``s; a dead actor is restarted and its batch retried."""
    from ray.util.annotations import RayDeprecationWarning

    with warnings.catch_warnings():
        # Ray 2.60 has no named parameter for restarts yet; its ray_remote_args still work, with a warning.
        warnings.simplefilter("ignore", category=RayDeprecationWarning)
        return dataset.map_batches(actor, batch_size=batch_size, compute=ray.data.ActorPoolStrategy(size=workers),
                                   num_cpus=ACTOR_CPUS, fn_constructor_kwargs=constructor,
                                   max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS)


def _tokenize(ray: ModuleType, texts: list[str], arch: str, files: dict[str, bytes], names: dict[str, str],
              mode: str | None, workers: int, progress: bool) -> list[list[str]]:
    blocks = math.ceil(len(texts) / TOKENIZE_ROWS)
    dataset = ray.data.from_items([{"index": i, "text": text} for i, text in enumerate(texts)],
                                  override_num_blocks=blocks)
    dataset = _actor_pool(ray, dataset, Tokenizer, min(workers, blocks), TOKENIZE_ROWS,
                          {"arch": arch, "files": files, "names": names, "mode": mode})
    token_lists: list[list[str] | None] = [None] * len(texts)
    with tqdm(total=len(texts), desc="tokenize (ray)", unit="text", disable=not progress) as bar:
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for i, tokens in zip(batch["index"].tolist(), batch["tokens"]):
                if token_lists[i] is not None:
                    raise RuntimeError(f"text {i} came back twice from the tokenizers")
                token_lists[i] = json.loads(str(tokens))
            bar.update(len(batch["index"]))
    missing = [i for i, toks in enumerate(token_lists) if toks is None]
    if missing:
        raise RuntimeError(f"{len(missing)} texts did not come back from the tokenizers, first {missing[0]}")
    return token_lists


def run_ray(texts: list[str], out: Path, archs: tuple[str, ...] = ARCHS, *, low: float = LOW, high: float = HIGH,
            keep_traces: bool = False, mode: str | None = None, progress: bool = True,
            saturation_json: Path | None = None, source: str = "", pretrained: Path | None = None,
            address: str | None = None, workers: int | None = None, threads: int | None = None,
            recorder: type = Recorder) -> dict[str, float]:
    """As ``models.files.batch.run``, on Ray Data: the same files; return seconds per stage.

    ``workers`` actors per stage (default: one per CPU of the cluster), each with ``threads`` torch threads
    (default: the cluster's CPUs shared among the workers). ``recorder`` is the actor class (a subclass may
    wrap ``Recorder``).
    """
    ray = import_ray()
    start = time.perf_counter()
    started = connect(ray, address)
    try:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        workers = workers or cpus
        threads = threads or max(1, cpus // workers)
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False  # the driver's own bars below count texts, not blocks
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # no INFO line per finished dataset
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # nor that its bars are off
        timings = {"start": time.perf_counter() - start}
        timings.update(_run_on(ray, texts, out, archs, low=low, high=high, keep_traces=keep_traces, mode=mode,
                               progress=progress, saturation_json=saturation_json, source=source,
                               directory=pretrained or PRETRAINED_DIR, workers=workers, threads=threads,
                               recorder=recorder))
    finally:
        if started:
            ray.shutdown()
    timings["total"] = time.perf_counter() - start
    return timings


def _run_on(ray: ModuleType, texts: list[str], out: Path, archs: tuple[str, ...], *, low: float, high: float,
            keep_traces: bool, mode: str | None, progress: bool, saturation_json: Path | None, source: str,
            directory: Path, workers: int, threads: int, recorder: type) -> dict[str, float]:
    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    begin = time.perf_counter()
    files, names = _model_files(archs, Path(directory))  # the bytes go to the workers with the actor class
    first = archs[0]  # the models share one vocabulary and tokenizer, so the tokens are made once
    token_lists = _tokenize(ray, texts, first, files[first], names[first], mode, workers, progress) if texts else []
    timings["tokenize"] = time.perf_counter() - begin
    begin = time.perf_counter()
    groups = length_groups(token_lists)
    probs = {arch: np.full(len(texts), np.nan) for arch in archs}
    counts = {arch: LayerSaturation(low, high) for arch in archs}
    trace_files = {arch: _TraceFile(out / f"traces_{arch}.npz", token_lists)
                   for arch in archs if keep_traces and groups}
    seen = np.zeros(len(groups), bool)
    constructor = {"files": files, "names": names, "low": low, "high": high, "keep_traces": keep_traces,
                   "threads": threads}
    try:
        with tqdm(total=sum(map(len, groups)), desc="record (ray)", unit="text", disable=not progress) as bar:
            for batch in _recorded(ray, token_lists, groups, recorder, workers, constructor):
                for g, blob in zip(batch["group"].tolist(), batch["result"]):
                    if seen[g]:
                        raise RuntimeError(f"batch {g} came back twice from the recorders")
                    seen[g] = True
                    _collect(groups[g], blob, probs, counts, trace_files)
                    bar.update(len(groups[g]))
        if not seen.all():
            raise RuntimeError(f"{np.count_nonzero(~seen)} batches did not come back from the recorders")
        for trace_file in trace_files.values():
            trace_file.close()
    except BaseException:
        for trace_file in trace_files.values():
            if trace_file.folder.exists():
                trace_file.discard()
        raise
    timings["record"] = time.perf_counter() - begin
    _write_outputs(out, token_lists, probs, counts, saturation_json, source, low, high)
    return timings


def _recorded(ray: ModuleType, token_lists: list[list[str]], groups: list[list[int]], recorder: type,
              workers: int, constructor: dict):
    """The recorders' output batches (``group``, ``result``), one group a row, in group order."""
    if not groups:
        return
    dataset = ray.data.from_items([{"group": g, "tokens": json.dumps([token_lists[i] for i in idx], ensure_ascii=False)}
                                   for g, idx in enumerate(groups)], override_num_blocks=len(groups))
    dataset = _actor_pool(ray, dataset, recorder, min(workers, len(groups)), 1, constructor)
    yield from dataset.iter_batches(batch_size=None, batch_format="numpy")


def _collect(indices: list[int], blob: bytes, probs: dict[str, np.ndarray], counts: dict[str, LayerSaturation],
             trace_files: dict[str, _TraceFile]) -> None:
    """Fold one group's result into the running probabilities, counts and trace files."""
    with np.load(io.BytesIO(blob)) as data:  # plain arrays: allow_pickle stays False
        arrays = {key: data[key] for key in data.files}
    for arch in probs:
        probs[arch][indices] = arrays[f"{arch}/positive"]
        counts[arch].merge(LayerSaturation.from_arrays(f"{arch}/saturation", arrays, counts[arch].low,
                                                       counts[arch].high))
        if arch in trace_files:
            prefix = f"{arch}/state/"
            trace_files[arch].write(indices, {key[len(prefix):]: value for key, value in arrays.items()
                                              if key.startswith(prefix)})


def _write_outputs(out: Path, token_lists: list[list[str]], probs: dict[str, np.ndarray],
                   counts: dict[str, LayerSaturation], saturation_json: Path | None, source: str, low: float,
                   high: float) -> None:
    rows = [{"index": i, "tokens": len(toks)} for i, toks in enumerate(token_lists)]
    saturation_rows = []
    summary = {"source": source, "texts": len(token_lists), "low": low, "high": high, "models": {}}
    for arch in probs:
        add_predictions(rows, arch, probs[arch])
        saturation_rows += counts[arch].rows(arch)
        summary["models"][arch] = counts[arch].summary()
    write_csv(out / "predictions.csv", rows)
    write_csv(out / "saturation.csv", saturation_rows)
    if saturation_json is not None:
        saturation_json.write_text(json.dumps(summary, ensure_ascii=False) + "\n", encoding="utf-8")
