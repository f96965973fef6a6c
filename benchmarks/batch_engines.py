"""The batch CLI's two engines on this machine: sentences per second, Ray's start-up cost, the driver's memory.

    python -m benchmarks.batch_engines [--limit N]     # the whole corpus (17,410 reviews) unless --limit

Every run is its own process (``python -m models.batch``'s ``main``, wrapped), so Ray starts from nothing
each time and the peak resident memory (``ru_maxrss`` of that process alone: Ray's own processes are not
counted) is the run's. Measured:

- the local engine, and Ray with 1 and 2 workers, through the three models, no traces: sentences per second;
- Ray's start-up cost: a run on one sentence (start Ray, two actor pools loading the models, stop Ray);
- the driver's peak memory with ``--traces``, for both engines;
- from these, the corpus size at which Ray's rate pays for its start-up, if it does here.

The machine's load average is printed before and after: the numbers are only as quiet as the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from models.training.corpus import unique_texts


def _one(engine: str, workers: int | None, traces: bool, limit: int | None) -> dict:
    """Run the CLI once in this process; the seconds it took and this process's peak resident memory."""
    from models.files.batch import main

    texts = unique_texts()[:limit] if limit else unique_texts()
    with tempfile.TemporaryDirectory(prefix="batch-engines-") as folder:
        source = Path(folder) / "in.txt"
        source.write_text("\n".join(texts) + "\n", encoding="utf-8")
        argv = [str(source), "--out", str(Path(folder) / "out"), "--engine", engine]
        argv += ["--workers", str(workers)] if workers else []
        argv += ["--traces"] if traces else []
        start = time.perf_counter()
        main(argv)
        seconds = time.perf_counter() - start
    return {"texts": len(texts), "seconds": seconds,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _spawn(engine: str, workers: int | None = None, traces: bool = False, limit: int | None = None) -> dict:
    args = [sys.executable, "-m", "benchmarks.batch_engines", "--one", engine]
    args += ["--workers", str(workers)] if workers else []
    args += ["--traces"] if traces else []
    args += ["--limit", str(limit)] if limit else []
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="only the first N corpus reviews")
    parser.add_argument("--one", choices=["local", "ray"], help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--traces", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one, args.workers, args.traces, args.limit)))
        return
    print(f"{os.cpu_count()} CPUs, load average {_load()} (1, 5, 15 min)")
    startup = {w: _spawn("ray", w, limit=1)["seconds"] for w in (1, 2)}
    local_one = _spawn("local", limit=1)["seconds"]
    print(f"one sentence: local {local_one:.1f} s; ray {startup[1]:.1f} s (1 worker), {startup[2]:.1f} s (2 workers)")
    runs = {"local": _spawn("local", limit=args.limit), "ray, 1 worker": _spawn("ray", 1, limit=args.limit),
            "ray, 2 workers": _spawn("ray", 2, limit=args.limit)}
    local_rate = runs["local"]["texts"] / (runs["local"]["seconds"] - local_one)
    for name, run in runs.items():
        fixed = local_one if name == "local" else startup[1 if "1 worker" in name else 2]
        rate = run["texts"] / max(run["seconds"] - fixed, 1e-9)
        print(f"{name:15s} {run['texts']} texts in {run['seconds']:6.1f} s: {run['texts'] / run['seconds']:6.0f} "
              f"sentences/s overall, {rate:6.0f} past the start-up")
        if name != "local":
            extra = fixed - local_one  # what Ray costs before its first sentence, beyond the local engine's own
            gain = 1 / local_rate - 1 / rate  # seconds saved per sentence
            where = f"from about {extra / gain:,.0f} sentences" if gain > 0 else "never on this machine"
            print(f"{'':15s} pays off against local {where}")
    for engine in ("local", "ray"):
        run = _spawn(engine, traces=True, limit=args.limit)
        print(f"--traces, {engine:5s}: {run['texts']} texts in {run['seconds']:.1f} s, "
              f"driver peak resident memory {run['max_rss_mb']:,.0f} MB")
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
