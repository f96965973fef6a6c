"""The one timing loop the benchmarks share: a warm-up call, then the median of timed calls."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """Milliseconds: the median of ``repeats`` timed calls of ``run``, after one untimed call (caches, lazy loads)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)
