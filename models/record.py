"""The recorder: every gate and state of a torch ``nn.RNN``/``nn.LSTM``/``nn.GRU``, step by step.

Two ways, chosen by cell type and batch size because each is the faster one there (measured in
``benchmarks/recording.py``); both use the module's own parameters (``models.cells.cell_weights``)
and both are held by the tests to torch's outputs and to the one step of each cell, ``models.cells``,
which they rebuild in batched form for speed.

- **Fused** (RNN; LSTM with a small batch): each layer runs once through torch's own fused kernel,
  the same ``torch.lstm``/``torch.rnn_*`` call the module makes, which gives every hidden state.
  Every gate at every step is then rebuilt in one matmul over all steps from ``x_t`` plus one from
  ``h_{t-1}``. The LSTM cell state is the elementwise linear recurrence
  ``c_t = f_t * c_{t-1} + i_t * g_t``, a short numpy loop. The recorded ``hidden`` is the
  kernel's own output. For one sentence it is about 1.4x faster than stepwise at T = 32, 2.5x at T = 2000.
- **Stepwise** (GRU; LSTM with a large batch): the input projection of all steps is done first
  (one matmul, or one per gate for the LSTM), then a loop over time applies the cell as torch's
  own CPU cell code writes it (ATen's ``LSTMCell``/``GRUCell``: the same operations in the same
  order), writing every gate and state straight into the trace buffers. For a GRU this costs
  about what ``torch.gru`` itself costs (torch's CPU GRU is the same per-step loop, in C++); for
  a large LSTM batch it avoids computing the matmuls twice. It matches torch to float32 rounding
  (about 1e-7 for states of size 1).

Dropout between layers is off (inference semantics), whatever ``module.training`` says.
The initial state is zero, as in ``module(x)``. Tests (and the benchmark) can force a way with
``record(..., _way="fused" | "stepwise")``; only the LSTM can be recorded both ways.

Names used throughout: ``mask`` marks the steps inside each sequence's length (True or 1 there,
in whatever layout the function states); ``lengths`` are those lengths, (B,) int64.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from models.cells import CellWeights, cell_type_of, cell_weights
from models.trace import GATE_NAMES, TERM_NAMES, Trace, trace_from_arrays

_FUSED = {"lstm": torch.lstm, "rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu}
"""torch's fused kernels, by their own names (an RNN's name carries its nonlinearity)."""
_KERNEL_FLAGS = {"num_layers": 1, "dropout": 0.0, "train": False}
"""One layer per kernel call (each layer's outputs are the next one's inputs), at inference."""
WAYS = {"rnn": ("fused",), "lstm": ("fused", "stepwise"), "gru": ("stepwise",)}
"""The ways each cell type can be recorded, the default first."""
COLUMNS = {"lstm": GATE_NAMES["lstm"], "gru": GATE_NAMES["gru"], "rnn": TERM_NAMES["rnn"]}
"""Gate order in torch's weight rows (blocks of H rows), and so in the recorder's gate buffers."""
LSTM_STEPWISE_BATCH = 24
"""From this many sequences on, an LSTM is recorded stepwise (below, the fused kernel is faster)."""


def recording_way(cell_type: str, batch: int) -> str:
    """How ``record`` records ``batch`` sequences: "stepwise" through the cell, or "fused" plus a rebuild."""
    if cell_type == "lstm" and batch >= LSTM_STEPWISE_BATCH:
        return "stepwise"
    return WAYS[cell_type][0]


def _layer_weights(module: nn.RNNBase, layer: int) -> list[CellWeights]:
    """The weights of each direction of ``layer``."""
    return [cell_weights(module, layer, d) for d in range(2 if module.bidirectional else 1)]


def _folded(w: CellWeights) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """(w_ih, w_hh, input bias, b_hh or None) of one direction; rows are torch's, as in ``COLUMNS``.

    The input bias folds in ``b_hh`` wherever torch adds the two (all but the GRU's candidate).
    """
    hs = w.hidden_size
    bias = w.w_ih.new_zeros(w.w_ih.shape[0]) if w.b_ih is None else w.b_ih.clone()
    if w.b_hh is not None:
        summed = slice(None, 2 * hs) if w.cell_type == "gru" else slice(None)
        bias[summed] += w.b_hh[summed]
    return w.w_ih, w.w_hh, bias, w.b_hh


def _run_fused(
    module: nn.RNNBase, cell_type: str, weights: list[CellWeights], inp: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """One layer through torch's fused kernel. inp (B, T, F) -> outputs (B, T, D*H), zero-padded."""
    params = [p for w in weights for p in w.tensors()]  # torch's flat order, direction by direction
    batch, steps, _ = inp.shape
    dirs = 2 if module.bidirectional else 1
    h0 = inp.new_zeros(dirs, batch, module.hidden_size)
    hx = (h0, h0) if cell_type == "lstm" else h0
    kernel = _FUSED["lstm" if cell_type == "lstm" else f"rnn_{module.nonlinearity}"]
    flags = {"has_biases": module.bias, "bidirectional": module.bidirectional, **_KERNEL_FLAGS}
    if lengths is None:
        return kernel(inp, hx, params, **flags, batch_first=True)[0]
    packed = pack_padded_sequence(inp, lengths, batch_first=True, enforce_sorted=False)
    if cell_type == "lstm":
        hx = tuple(h.index_select(1, packed.sorted_indices) for h in hx)
    else:
        hx = hx.index_select(1, packed.sorted_indices)
    out = kernel(packed.data, packed.batch_sizes, hx, params, **flags)
    seq = PackedSequence(out[0], packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
    return pad_packed_sequence(seq, batch_first=True, total_length=steps)[0]


def _cell_recurrence(forget: np.ndarray, cell: np.ndarray, reverse: bool) -> None:
    """c_t = f_t * c_{t-1} + w_t over time, from c = 0, in place: ``cell`` holds w_t = i_t * g_t on entry.

    forget, cell (T, B, H), time-major. ``w_t`` must be zero at padded steps: the backward direction
    then starts each sequence from c = 0 at its own last token. float32, in torch's order. (A scan
    in sqrt(T) blocks was measured against this loop: at most 5% faster end to end, T = 32 to 10,000.)
    """
    steps = cell.shape[0]
    order, previous = (range(steps - 2, -1, -1), 1) if reverse else (range(1, steps), -1)
    scratch = np.empty_like(cell[0])
    for t in order:
        np.multiply(forget[t], cell[t + previous], out=scratch)
        cell[t] += scratch


def _fused_layer_into(
    module: nn.RNNBase, cell_type: str, weights: list[CellWeights], inp: torch.Tensor, out: torch.Tensor,
    gates: torch.Tensor,
) -> None:
    """Rebuild every gate of one layer from x_t and h_{t-1}, written into ``gates`` (D, B, T, G*H).

    inp (B, T, F) is the layer input; out (B, T, D*H) the fused kernel's outputs, zero at padded
    steps. ``h_{t-1} @ W_hh`` is added shifted by one step: the forward direction reads step t-1,
    the backward one step t+1, and the first step reads h = 0.
    """
    batch, steps, _ = inp.shape
    hs = module.hidden_size
    flat = inp.reshape(batch * steps, -1)
    for d, w in enumerate(weights):
        w_ih, w_hh, bias, _ = _folded(w)
        buf = gates[d]  # (B, T, G*H)
        torch.addmm(bias, flat, w_ih.t(), out=buf.view(batch * steps, -1))
        prev = out[..., d * hs : (d + 1) * hs]
        w_hh_batched = w_hh.t().expand(batch, *w_hh.t().shape)
        if d == 0:
            buf[:, 1:].baddbmm_(prev[:, :-1], w_hh_batched)
        else:
            buf[:, :-1].baddbmm_(prev[:, 1:], w_hh_batched)
        if cell_type == "lstm":
            buf[..., : 2 * hs].sigmoid_()
            buf[..., 2 * hs : 3 * hs].tanh_()
            buf[..., 3 * hs :].sigmoid_()


def _lstm_cells(gates: np.ndarray, hs: int, mask: np.ndarray | None, out: np.ndarray) -> None:
    """Cell states of one layer into ``out`` (D, T, B, H), from its LSTM gates (D, B, T, 4H); mask (T, B, 1)."""
    for d in range(gates.shape[0]):
        by_time = gates[d].transpose(1, 0, 2)  # (T, B, 4H), a view
        np.multiply(by_time[..., :hs], by_time[..., 2 * hs : 3 * hs], out=out[d])  # i * g, what each step writes
        if mask is not None:
            out[d] *= mask
        _cell_recurrence(by_time[..., hs : 2 * hs], out[d], reverse=d == 1)


def _record_fused(
    module: nn.RNNBase, cell_type: str, inp: torch.Tensor, lengths: torch.Tensor | None, mask: torch.Tensor | None,
) -> dict:
    """Every array of the trace, (L, D, B, T, ...), by the fused kernel plus a rebuild.

    ``mask`` (B, T) bool; None when every sequence has all T steps, and then ``lengths`` is None too.
    """
    batch, steps, _ = inp.shape
    layers, dirs, hs = module.num_layers, 2 if module.bidirectional else 1, module.hidden_size
    gates = torch.empty(layers, dirs, batch, steps, len(COLUMNS[cell_type]) * hs, dtype=inp.dtype)
    hidden = torch.empty(layers, batch, steps, dirs, hs, dtype=inp.dtype)
    for layer in range(layers):
        weights = _layer_weights(module, layer)
        out = _run_fused(module, cell_type, weights, inp, lengths)  # (B, T, D*H)
        hidden[layer].view(batch, steps, dirs * hs).copy_(out)
        _fused_layer_into(module, cell_type, weights, inp, out, gates[layer])
        inp = out
    hidden, gates = _read_only(hidden), _read_only(gates)
    arrays = {"hidden": hidden.transpose(0, 3, 1, 2, 4)}
    if cell_type == "lstm":
        cell = np.empty((layers, dirs, steps, batch, hs), dtype=gates.dtype)  # time-major for the recurrence
        if mask is not None:
            mask = mask.t()[..., None].numpy().astype(gates.dtype)  # (T, B, 1)
        for layer in range(layers):
            _lstm_cells(gates[layer], hs, mask, cell[layer])
        arrays["cell"] = _read_only(cell).transpose(0, 1, 3, 2, 4)
    arrays.update(_columns(cell_type, gates, hs))
    return arrays


def _lstm_steps(gates: torch.Tensor, cell: torch.Tensor, hidden: torch.Tensor, w_hh: torch.Tensor,
                mask: torch.Tensor | None, reverse: bool) -> None:
    """One LSTM direction, step by step. gates (4, T, B, H) hold the input projections on entry.

    cell and hidden are (T, B, H), hidden possibly a strided view; mask (T, B, 1) or None.
    Each step is torch's CPU LSTM cell:
    gates += h W_hh; i, f = sigmoid; g = tanh; o = sigmoid; c = f c + i g; h = o tanh(c).
    Each gate is its own contiguous (B, H) block at every step, so every elementwise kernel runs
    on contiguous memory. The per-step views are made up front (``unbind``): in the loop, Python
    only calls kernels.
    """
    hs = w_hh.shape[1]
    w = w_hh.view(4, hs, hs).transpose(1, 2)  # gate k's W_hk^T
    every, i_f = gates.unbind(1), gates[:2].unbind(1)
    i, f, g, o = (gates[k].unbind(0) for k in range(4))
    cells, states = cell.unbind(0), hidden.unbind(0)
    mask_at = mask.unbind(0) if mask is not None and reverse else None  # each sequence starts at its own end
    h = hidden.new_zeros(hidden.shape[1:])
    c = torch.zeros_like(h)
    for t in (reversed(range(len(every))) if reverse else range(len(every))):
        every[t].baddbmm_(h.expand(4, *h.shape), w)
        i_f[t].sigmoid_()
        g[t].tanh_()
        o[t].sigmoid_()
        c_t, h_t = cells[t], states[t]
        torch.mul(f[t], c, out=c_t)
        c_t.addcmul_(i[t], g[t])
        torch.tanh(c_t, out=h_t)
        h_t.mul_(o[t])
        if mask_at is not None:
            c_t.mul_(mask_at[t])
            h_t.mul_(mask_at[t])
        c, h = c_t, h_t


def _gru_steps(gates: torch.Tensor, reset_hidden: torch.Tensor, hidden: torch.Tensor, w_hh: torch.Tensor,
               b_hn: torch.Tensor | None, mask: torch.Tensor | None, reverse: bool) -> None:
    """One GRU direction, step by step. gates (T, B, 3H) hold the input projections on entry.

    reset_hidden and hidden are (T, B, H), hidden possibly a strided view; mask (T, B, 1) or None.

    Each step is torch's CPU GRU cell: r, z = sigmoid(x-part + h W_hr, h W_hz);
    reset_hidden = h W_hn + b_hn; n = tanh(x-part + r * reset_hidden); h = n + z (h_prev - n).
    (Unlike the LSTM, the gates stay side by side in one row per step: one matmul for r and z
    is cheaper than separate gate blocks at small batches, measured.)
    """
    hs = w_hh.shape[1]
    w_rz, w_n = w_hh[: 2 * hs].t(), w_hh[2 * hs :].t()
    b_hn = torch.zeros(hs, dtype=w_hh.dtype) if b_hn is None else b_hn
    rz = gates[..., : 2 * hs].unbind(0)
    r, z, n = (gates[..., k * hs : (k + 1) * hs].unbind(0) for k in range(3))
    terms, states = reset_hidden.unbind(0), hidden.unbind(0)
    mask_at = mask.unbind(0) if mask is not None and reverse else None
    h = hidden.new_zeros(hidden.shape[1:])
    for t in (reversed(range(len(rz))) if reverse else range(len(rz))):
        rz[t].addmm_(h, w_rz).sigmoid_()
        torch.addmm(b_hn, h, w_n, out=terms[t])
        n[t].addcmul_(r[t], terms[t]).tanh_()
        h_t = states[t]
        torch.lerp(n[t], h, z[t], out=h_t)
        if mask_at is not None:
            h_t.mul_(mask_at[t])
        h = h_t


def _record_stepwise(
    module: nn.RNNBase, cell_type: str, inp: torch.Tensor, lengths: torch.Tensor | None, mask: torch.Tensor | None,
) -> dict:
    """Every array of the trace, (L, D, B, T, ...), stepping through the cell (``mask`` (B, T) is all it needs).

    Buffers are time-major. LSTM gates have a gate axis before time, (L, D, 4, T, B, H), so that
    each gate of each step is contiguous; GRU gates sit side by side, (L, D, T, B, 3H).
    """
    batch, steps, _ = inp.shape
    layers, dirs, hs = module.num_layers, 2 if module.bidirectional else 1, module.hidden_size
    dtype = inp.dtype
    lstm = cell_type == "lstm"
    width = len(COLUMNS[cell_type])
    if lstm:
        gates = torch.empty(layers, dirs, width, steps, batch, hs, dtype=dtype)
        cell = torch.empty(layers, dirs, steps, batch, hs, dtype=dtype)
    else:
        gates = torch.empty(layers, dirs, steps, batch, width * hs, dtype=dtype)
        reset_hidden = torch.empty(layers, dirs, steps, batch, hs, dtype=dtype)  # W_hn h_{t-1} + b_hn
        input_candidate = torch.empty(layers, dirs, steps, batch, hs, dtype=dtype)  # W_in x_t + b_in
    hidden = torch.empty(layers, steps, batch, dirs, hs, dtype=dtype)
    if mask is not None:
        mask = mask.t()[..., None].to(dtype)  # (T, B, 1)
    flat = inp.transpose(0, 1).reshape(steps * batch, -1)  # time-major
    for layer in range(layers):
        for d, w in enumerate(_layer_weights(module, layer)):
            w_ih, w_hh, bias, b_hh = _folded(w)
            buf, states = gates[layer, d], hidden[layer, :, :, d]
            if lstm:
                for k in range(width):  # x_t W_k + b_k for every step, gate by gate
                    rows = slice(k * hs, (k + 1) * hs)
                    torch.addmm(bias[rows], flat, w_ih[rows].t(), out=buf[k].view(steps * batch, hs))
                _lstm_steps(buf, cell[layer, d], states, w_hh, mask, reverse=d == 1)
            else:
                torch.addmm(bias, flat, w_ih.t(), out=buf.view(steps * batch, -1))
                input_candidate[layer, d].copy_(buf[..., 2 * hs :])
                _gru_steps(buf, reset_hidden[layer, d], states, w_hh, None if b_hh is None else b_hh[2 * hs :],
                           mask, reverse=d == 1)
        flat = hidden[layer].view(steps * batch, dirs * hs)

    arrays = {"hidden": _read_only(hidden).transpose(0, 3, 2, 1, 4)}  # (L, D, B, T, H)
    if lstm:
        gates = _read_only(gates)
        arrays.update({name: gates[:, :, k].swapaxes(2, 3) for k, name in enumerate(COLUMNS[cell_type])})
        arrays["cell"] = _by_batch(cell)
    else:
        arrays.update(_columns(cell_type, _by_batch(gates), hs))
        arrays["reset_hidden"] = _by_batch(reset_hidden)
        arrays["input_candidate"] = _by_batch(input_candidate)
    return arrays


def _by_batch(buffer: torch.Tensor) -> np.ndarray:
    """A time-major buffer (L, D, T, B, ...) as a read-only array (L, D, B, T, ...)."""
    return _read_only(buffer).swapaxes(2, 3)


def _read_only(buffer: torch.Tensor | np.ndarray) -> np.ndarray:
    """The buffer as a numpy array, read-only at the root: views into it can never be made writable."""
    out = buffer.numpy() if isinstance(buffer, torch.Tensor) else buffer
    out.setflags(write=False)
    return out


def _columns(cell_type: str, gates: np.ndarray, hs: int) -> dict[str, np.ndarray]:
    return {name: gates[..., k * hs : (k + 1) * hs] for k, name in enumerate(COLUMNS[cell_type])}


def _as_lengths(lengths: Sequence[int] | torch.Tensor | None, batch: int, steps: int) -> torch.Tensor | None:
    if lengths is None:
        return None
    out = torch.as_tensor(lengths, dtype=torch.int64).reshape(-1).cpu()
    if out.numel() != batch:
        raise ValueError(f"{out.numel()} lengths for a batch of {batch}")
    if bool((out < 1).any()) or bool((out > steps).any()):
        raise ValueError(f"lengths must lie in [1, {steps}], got {out.tolist()}")
    return out


def record(
    module: nn.Module,
    x: torch.Tensor,
    lengths: Sequence[int] | torch.Tensor | None = None,
    tokens: Sequence[Sequence[str]] | Sequence[str] | None = None,
    *,
    _way: str | None = None,
) -> list[Trace]:
    """Record every gate and state of ``module`` on ``x``: one Trace per sequence in the batch.

    module: nn.RNN, nn.LSTM or nn.GRU, any num_layers, either direction setting, either batch_first.
    x: shaped as the module expects: (B, T, F) if batch_first else (T, B, F); or unbatched (T, F).
    lengths: valid length of each sequence in a padded batch; each trace then has that many steps.
    tokens: one list of strings per sequence (or a single list for a batch of one); each must
        match its sequence length. Step numbers are used when omitted.
    _way: "fused" or "stepwise" forces a way (for tests and benchmarks); None picks the faster.

    The traces of one call share read-only buffers; each trace holds views into them.
    """
    cell_type = cell_type_of(module)
    if getattr(module, "proj_size", 0):
        raise NotImplementedError("LSTMs with proj_size > 0 are not supported")
    if x.dim() == 2:
        x = x.unsqueeze(0 if module.batch_first else 1)
    if x.dim() != 3 or x.shape[-1] != module.input_size:
        raise ValueError(f"x must be (batch, steps, {module.input_size}) in the module's layout, got {tuple(x.shape)}")
    inp = x if module.batch_first else x.transpose(0, 1)
    batch, steps, _ = inp.shape
    if batch == 0 or steps == 0:
        raise ValueError(f"nothing to record: x has shape {tuple(x.shape)}")
    way = _way or recording_way(cell_type, batch)
    if way not in WAYS[cell_type]:
        raise ValueError(f"a {cell_type} is recorded {' or '.join(WAYS[cell_type])}, not {way!r}")
    lengths = _as_lengths(lengths, batch, steps)
    with torch.inference_mode():
        inp = inp.to(dtype=module.weight_ih_l0.dtype).contiguous()
        mask = None if lengths is None else torch.arange(steps)[None, :] < lengths[:, None]  # (B, T)
        if mask is not None:  # whatever the padding holds (even NaN) never reaches a real step
            inp = inp.masked_fill(~mask[..., None], 0.0)
        record_way = _record_stepwise if way == "stepwise" else _record_fused
        arrays = record_way(module, cell_type, inp, lengths, mask)
    lengths = [steps] * batch if lengths is None else lengths.tolist()
    step_names = tuple(map(str, range(steps))) if tokens is None else ()  # the tokens when none are given
    return [
        _trace_for(cell_type, module, arrays, b, n, step_names[:n] if tokens is None else _tokens_for(tokens, b, batch))
        for b, n in enumerate(lengths)
    ]


def _tokens_for(tokens: Sequence[Sequence[str]] | Sequence[str], index: int, batch: int) -> Sequence[str]:
    if len(tokens) > 0 and isinstance(tokens[0], str):
        if batch != 1:
            raise ValueError("give one list of tokens per sequence for a batch of more than one")
        return tokens
    if len(tokens) != batch:
        raise ValueError(f"{len(tokens)} token lists for a batch of {batch}")
    return tokens[index]


def _trace_for(cell_type: str, module: nn.RNNBase, stacked: dict, b: int, length: int, tokens) -> Trace:
    """Trace b: views of its first ``length`` steps."""
    if len(tokens) != length:
        raise ValueError(f"sequence {b} has {length} steps but {len(tokens)} tokens")
    take = {name: arr[:, :, b, :length] for name, arr in stacked.items()}
    return trace_from_arrays(cell_type, tokens, take, nonlinearity=getattr(module, "nonlinearity", "tanh"))
