"""The recorder: every gate and state of a torch ``nn.RNN``/``nn.LSTM``/``nn.GRU``, step by step.

How it stays faithful and fast: each layer runs once through torch's own fused kernel (the
same ``torch.lstm``/``torch.gru``/``torch.rnn_*`` call the module makes, with the module's own
parameters), which gives every hidden state. Every gate at every step is then rebuilt in two
batched matmuls from ``x_t`` and ``h_{t-1}``. The GRU and RNN need no loop over time; the LSTM
cell state is the elementwise linear recurrence ``c_t = f_t * c_{t-1} + i_t * g_t``, run in
numpy. The recorded ``hidden`` is the fused kernel's own output.

Dropout between layers is off (inference semantics), whatever ``module.training`` says.
The initial state is zero, as in ``module(x)``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from models.trace import GATE_NAMES, TERM_NAMES, Trace

_FUSED = {
    "lstm": torch.lstm,
    "gru": torch.gru,
    ("rnn", "tanh"): torch.rnn_tanh,
    ("rnn", "relu"): torch.rnn_relu,
}


def cell_type_of(module: nn.Module) -> str:
    """'lstm', 'gru' or 'rnn' for a torch recurrent module."""
    if isinstance(module, nn.LSTM):
        return "lstm"
    if isinstance(module, nn.GRU):
        return "gru"
    if isinstance(module, nn.RNN):
        return "rnn"
    raise TypeError(f"record() takes nn.RNN, nn.LSTM or nn.GRU, got {type(module).__name__}")


def _layer_params(module: nn.RNNBase, layer: int) -> list[torch.Tensor]:
    suffixes = ("", "_reverse") if module.bidirectional else ("",)
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if module.bias else ("weight_ih", "weight_hh")
    return [getattr(module, f"{n}_l{layer}{s}") for s in suffixes for n in names]


def _run_layer(
    module: nn.RNNBase, cell_type: str, params: list[torch.Tensor], inp: torch.Tensor, lengths: torch.Tensor | None
) -> torch.Tensor:
    """One layer through torch's fused kernel. inp (B, T, F) -> outputs (B, T, D*H), zero-padded."""
    batch, steps, _ = inp.shape
    dirs = 2 if module.bidirectional else 1
    h0 = inp.new_zeros(dirs, batch, module.hidden_size)
    hx = (h0, h0) if cell_type == "lstm" else h0
    fused = _FUSED[cell_type] if cell_type != "rnn" else _FUSED[("rnn", module.nonlinearity)]
    if lengths is None:
        out = fused(inp, hx, params, module.bias, 1, 0.0, False, module.bidirectional, True)
        return out[0]
    packed = pack_padded_sequence(inp, lengths, batch_first=True, enforce_sorted=False)
    if cell_type == "lstm":
        hx = tuple(h.index_select(1, packed.sorted_indices) for h in hx)
    else:
        hx = hx.index_select(1, packed.sorted_indices)
    out = fused(packed.data, packed.batch_sizes, hx, params, module.bias, 1, 0.0, False, module.bidirectional)
    seq = PackedSequence(out[0], packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
    return pad_packed_sequence(seq, batch_first=True, total_length=steps)[0]


def _cell_recurrence(forget: np.ndarray, cell: np.ndarray, reverse: bool) -> None:
    """c_t = f_t * c_{t-1} + w_t over time, from c = 0, in place: ``cell`` holds w_t on entry.

    forget, cell (T, B, H), time-major so that each step is one contiguous block. ``w_t`` must be
    zero at padded steps: the backward direction then starts each sequence from c = 0 at its own
    last token. (Forward, the padded steps carry a decaying cell; traces never include them.)
    """
    steps = cell.shape[0]
    order = range(steps - 1, 0, -1) if reverse else range(steps - 1)
    scratch = np.empty_like(cell[0])
    for t in order:
        nxt = t - 1 if reverse else t + 1
        np.multiply(forget[nxt], cell[t], out=scratch)
        cell[nxt] += scratch


def _layer_into(
    module: nn.RNNBase, cell_type: str, params: list[torch.Tensor], inp: torch.Tensor, out: torch.Tensor,
    gates: torch.Tensor, terms: torch.Tensor | None, valid: torch.Tensor | None,
) -> None:
    """Rebuild every gate of one layer from x_t and h_{t-1}, written into ``gates`` (D, B, T, G*H).

    inp (B, T, F) is the layer input; out (B, T, D*H) the fused kernel's outputs, zero at padded
    steps. ``h_{t-1} @ W_hh`` is one matmul over all steps, then shifted by one step: the forward
    direction reads step t-1, the backward one step t+1, and the first step reads h = 0.
    For a GRU, ``terms`` (D, B, T, 2H) receives ``W_hn h_{t-1} + b_hn``, then ``W_in x_t + b_in``.
    """
    batch, steps, _ = inp.shape
    hs = module.hidden_size
    dirs = 2 if module.bidirectional else 1
    per = len(params) // dirs
    flat = inp.reshape(batch * steps, -1)
    for d in range(dirs):
        w_ih, w_hh, *biases = params[d * per : (d + 1) * per]
        buf = gates[d]  # (B, T, G*H)
        from_prev = torch.mm(out[..., d * hs : (d + 1) * hs].reshape(batch * steps, hs), w_hh.t())
        from_prev = from_prev.view(batch, steps, -1)
        src, dst = (slice(1, None), slice(None, -1)) if d == 1 else (slice(None, -1), slice(1, None))
        summed = slice(None, 2 * hs) if cell_type == "gru" else slice(None)  # the n part stays apart
        if biases:
            b_ih, b_hh = biases
            bias = b_ih.clone()
            bias[summed] += b_hh[summed]
            torch.addmm(bias, flat, w_ih.t(), out=buf.view(batch * steps, -1))
        else:
            torch.mm(flat, w_ih.t(), out=buf.view(batch * steps, -1))
        buf[:, dst, summed] += from_prev[:, src, summed]
        if cell_type == "lstm":
            buf[..., : 2 * hs].sigmoid_()
            buf[..., 2 * hs : 3 * hs].tanh_()
            buf[..., 3 * hs :].sigmoid_()
        elif cell_type == "gru":
            hn = terms[d][..., :hs]
            terms[d][..., hs:].copy_(buf[..., 2 * hs :])  # W_in x_t + b_in
            if biases:
                hn.copy_(b_hh[2 * hs :].expand_as(hn))
            else:
                hn.zero_()
            hn[:, dst] += from_prev[:, src, 2 * hs :]
            buf[..., : 2 * hs].sigmoid_()
            buf[..., 2 * hs :].addcmul_(buf[..., :hs], hn).tanh_()


def _lstm_cells(gates: np.ndarray, hs: int, valid: np.ndarray | None, out: np.ndarray) -> None:
    """Cell states of one layer into ``out`` (D, T, B, H), from its LSTM gates (D, B, T, 4H)."""
    for d in range(gates.shape[0]):
        by_time = gates[d].transpose(1, 0, 2)  # (T, B, 4H), a view
        np.multiply(by_time[..., :hs], by_time[..., 2 * hs : 3 * hs], out=out[d])  # i * g, what each step writes
        if valid is not None:
            out[d] *= valid.transpose(1, 0, 2)
        forget = np.ascontiguousarray(by_time[..., hs : 2 * hs])
        _cell_recurrence(forget, out[d], reverse=d == 1)


def _as_lengths(lengths: Sequence[int] | torch.Tensor | None, batch: int, steps: int) -> torch.Tensor | None:
    if lengths is None:
        return None
    out = torch.as_tensor(lengths, dtype=torch.int64).reshape(-1).cpu()
    if out.numel() != batch:
        raise ValueError(f"{out.numel()} lengths for a batch of {batch}")
    if bool((out < 1).any()) or bool((out > steps).any()):
        raise ValueError(f"lengths must lie in [1, {steps}], got {out.tolist()}")
    return out


_WIDTH = {"lstm": 4, "gru": 3, "rnn": 1}


def record(
    module: nn.Module,
    x: torch.Tensor,
    lengths: Sequence[int] | torch.Tensor | None = None,
    tokens: Sequence[Sequence[str]] | Sequence[str] | None = None,
) -> list[Trace]:
    """Record every gate and state of ``module`` on ``x``: one Trace per sequence in the batch.

    module: nn.RNN, nn.LSTM or nn.GRU, any num_layers, either direction setting, either batch_first.
    x: shaped as the module expects: (B, T, F) if batch_first else (T, B, F); or unbatched (T, F).
    lengths: valid length of each sequence in a padded batch; each trace then has that many steps.
    tokens: one list of strings per sequence (or a single list for a batch of one); each must
        match its sequence length. Step numbers are used when omitted.

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
    lens = _as_lengths(lengths, batch, steps)
    layers, dirs, hs = module.num_layers, 2 if module.bidirectional else 1, module.hidden_size

    with torch.inference_mode():
        dtype = module.weight_ih_l0.dtype
        inp = inp.to(dtype=dtype).contiguous()
        gates = torch.empty(layers, dirs, batch, steps, _WIDTH[cell_type] * hs, dtype=dtype)
        terms = torch.empty(layers, dirs, batch, steps, 2 * hs, dtype=dtype) if cell_type == "gru" else None
        hidden = torch.empty(layers, batch, steps, dirs, hs, dtype=dtype)
        valid = None if lens is None else (torch.arange(steps)[None, :, None] < lens[:, None, None]).to(dtype)
        for layer in range(layers):
            params = _layer_params(module, layer)
            out = _run_layer(module, cell_type, params, inp, lens)  # (B, T, D*H)
            hidden[layer].view(batch, steps, dirs * hs).copy_(out)
            _layer_into(module, cell_type, params, inp, out, gates[layer], None if terms is None else terms[layer], valid)
            inp = out
    roots = [t.numpy() for t in (hidden, gates, terms) if t is not None]
    for root in roots:
        root.setflags(write=False)  # traces hold read-only views into these buffers
    arrays = {"hidden": roots[0].transpose(0, 3, 1, 2, 4)}  # (L, D, B, T, H)
    raw = roots[1]
    if cell_type == "lstm":
        mask = None if valid is None else valid.numpy()
        cell = np.empty((layers, dirs, steps, batch, hs), dtype=raw.dtype)  # time-major for the recurrence
        for layer in range(layers):
            _lstm_cells(raw[layer], hs, mask, cell[layer])
        cell.setflags(write=False)
        arrays["cell"] = cell.transpose(0, 1, 3, 2, 4)  # (L, D, B, T, H)
    for k, name in enumerate(GATE_NAMES[cell_type] or TERM_NAMES[cell_type]):
        arrays[name] = raw[..., k * hs : (k + 1) * hs]
    if terms is not None:
        arrays["reset_hidden"] = roots[2][..., :hs]
        arrays["input_candidate"] = roots[2][..., hs:]
    return [
        _trace_for(cell_type, module, arrays, b, steps if lens is None else int(lens[b]), _tokens_for(tokens, b, batch))
        for b in range(batch)
    ]


def _tokens_for(tokens, index: int, batch: int) -> Sequence[str] | None:
    if tokens is None:
        return None
    if len(tokens) > 0 and isinstance(tokens[0], str):
        if batch != 1:
            raise ValueError("give one list of tokens per sequence for a batch of more than one")
        return tokens
    if len(tokens) != batch:
        raise ValueError(f"{len(tokens)} token lists for a batch of {batch}")
    return tokens[index]


def _trace_for(cell_type: str, module: nn.RNNBase, stacked: dict, b: int, length: int, tokens) -> Trace:
    if tokens is None:
        tokens = tuple(str(t) for t in range(length))
    elif len(tokens) != length:
        raise ValueError(f"sequence {b} has {length} steps but {len(tokens)} tokens")
    take = {name: arr[:, :, b, :length] for name, arr in stacked.items()}
    return Trace(
        cell_type=cell_type,
        tokens=tuple(tokens),
        hidden=take["hidden"],
        cell=take.get("cell"),
        gates={k: take[k] for k in GATE_NAMES[cell_type]},
        terms={k: take[k] for k in TERM_NAMES[cell_type]},
        nonlinearity=getattr(module, "nonlinearity", "tanh"),
    )
