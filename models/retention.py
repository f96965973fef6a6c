"""Retention: how much of what was written at token s survives at a later step t, from the gates that keep the
old state (``models.trace.RETAIN_GATE``: the LSTM's forget gate, the GRU's PyTorch z).

numpy only, like ``models.trace``: ``models.asking.gradients`` takes the retention to the end of a text from it, and
``viz.retention`` draws the whole map. Both are rows of the one computation, ``log10_retention_at``.
"""
from __future__ import annotations

import numpy as np

SAFE_LOG = -700.0  # exp of a log above this is far from float64's underflow (about -745), so no shift is needed


def _log_gates(gate: np.ndarray) -> np.ndarray:
    """Natural logs of the gate values (T, H) in float64; a gate of exactly 0 gives -inf."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(gate, dtype=np.float64))


def _log10_row(logs: np.ndarray, step: int) -> np.ndarray:
    """(step + 1,) log10 retention at ``step`` of every token s <= step, from the gates' logs (T, H)."""
    after = np.zeros_like(logs[: step + 1])  # after[s] = Σ_{k=s+1..step} log gate_k, per unit
    after[:-1] = np.cumsum(logs[step:0:-1], axis=0)[::-1]
    top = after.max(axis=1)  # (step + 1,) the largest unit's log product, taken out before exp if it could underflow
    with np.errstate(divide="ignore"):
        if top.min() > SAFE_LOG:
            return np.log10(np.exp(after).mean(axis=1))
        shift = np.where(np.isfinite(top), top, 0.0)
        return (shift + np.log(np.exp(after - shift[:, None]).mean(axis=1))) / np.log(10)


def log10_retention_at(gate: np.ndarray, step: int) -> np.ndarray:
    """(step + 1,) log10 of the retention at ``step`` of each token s = 0 .. step, reading left to right.

    Retention of token s at step t: the mean over units j of prod_{k=s+1..t} gate[k, j], with gate (T, H);
    1 (log 0) at s = t, an empty product. Summed in logs and averaged with log-sum-exp, so long texts do
    not underflow; a gate of exactly 0 gives -inf.
    """
    gate = np.asarray(gate)
    if not 0 <= step < gate.shape[0]:
        raise IndexError(f"step {step} out of range for {gate.shape[0]} steps")
    return _log10_row(_log_gates(gate[: step + 1]), step)


def log10_retention_to_end(gate: np.ndarray, *, reverse: bool = False) -> np.ndarray:
    """(T,) log10 retention of every token at the end of the reading, from gate (T, H).

    Forward: at step T-1, ``log10_retention_at(gate, T-1)``. Backward (``reverse``, read right to left): at
    step 0, token s kept through the gates of steps s-1..0: mean_j prod_{k=0..s-1} gate[k, j]; 0 at s = 0.
    """
    gate = np.asarray(gate)
    if reverse:
        return log10_retention_at(gate[::-1], gate.shape[0] - 1)[::-1]
    return log10_retention_at(gate, gate.shape[0] - 1)


def retention_matrix(gate: np.ndarray, *, reverse: bool = False) -> np.ndarray:
    """Mean over units of the product of gate values between s and t. gate (T, H) -> (T, T) [t, s], float64.

    Forward: R[t, s] = mean_j prod_{k=s+1..t} gate[k, j] for t >= s, so R[s, s] = 1: row t is
    ``log10_retention_at(gate, t)``. Backward (``reverse``) reads right to left:
    R[t, s] = mean_j prod_{k=t..s-1} gate[k, j] for t <= s. NaN where t comes before s in reading order.
    """
    g = np.asarray(gate, dtype=np.float64)
    if reverse:
        return retention_matrix(g[::-1])[::-1, ::-1]
    steps = g.shape[0]
    logs = _log_gates(g)
    out = np.full((steps, steps), np.nan)
    for t in range(steps):
        out[t, : t + 1] = np.power(10.0, _log10_row(logs, t))
    return out
