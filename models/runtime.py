"""Process-wide torch settings, set once at start-up by the app (torch stays inside models/)."""
from __future__ import annotations

import torch


def configure_threads(n: int) -> None:
    """Use ``n`` intra-op threads for every later torch call in this process.

    One thread per request suits a web server: several sessions run side by side, and the
    shipped models are small enough that more threads only add overhead.
    """
    if n < 1:
        raise ValueError(f"need at least one thread, got {n}")
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
