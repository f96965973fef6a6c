"""Gradient paths of a trained classifier: token saliency, the distance curve of ‖∂h_T/∂h_t‖, and their
agreement with the gates' retention.

    from models.asking.gradients import text_gradient_paths, retention_gradient_correlation
    paths = text_gradient_paths(load_pretrained("lstm"), "这个手机很好，但是电池太差了")
    paths.saliency.norm           # (T,) ‖∂ logit(predicted) / ∂ e_t‖
    paths.curve.norm              # (T,) ‖∂h_T / ∂h_t‖_F against distance T - t = 0, 1, ...

Nothing here changes the model: gradients are taken with respect to inputs and states only
(``torch.autograd.grad``, never ``backward()``, so no parameter's ``.grad`` is written), and grad
mode is switched on locally, because the app runs inference under ``inference_mode`` and grad
mode is per thread.

Saliency is torch autograd through the real ``nn.RNN/LSTM/GRU`` module and head. The distance
curve is the Jacobian of the last hidden state with respect to every earlier one. Three ways give it
(``method=``), all from the one step of each cell (``models.cells``, as ``models.asking.intervene.run_cell``
steps it), and the tests hold them to each other and to finite differences:

- ``"chain"`` (default): one pass backwards over the steps with the matrix of all H cotangent
  rows at once, ``G_{t-1} = G_t ∂h_t/∂h_{t-1}``, each factor being the vector-Jacobian product
  of torch's step equations written out (LSTM ``i, f, g, o``; GRU ``r, z, n``; RNN). It costs one
  (H, G*H) @ (G*H, H) matmul per step. ``G`` is rescaled to norm 1 after every step and the
  scale kept as a logarithm, so a vanishing gradient is still resolved far below float32's range.
- ``"autograd"``: ``torch.autograd.grad`` of h_T with respect to every h_t of a re-run, with the
  H identity rows batched (``is_grads_batched``). The reference; measured 2-3x slower
  (``benchmarks/whatif.py``), and float32 values underflow to 0 beyond about 1e-38.
- ``"jacobian"``: every step's Jacobian ∂s_t/∂s_{t-1} by ``torch.func`` (``vmap`` of ``jacrev``)
  of the one cell step, chained and rescaled as the chain is. Nothing written by hand, but it forms
  full (S, S) Jacobians (S = 2H for an LSTM): measured 3-7x slower than the chain
  (``benchmarks/whatif.py``), so the chain stays the default.

For an LSTM, ∂h_T/∂h_t holds c_t fixed: h_t reaches h_T only through the gates of step t+1 on,
and from there also along the cell (the forget-gate path).

Layers and directions. ``distance_curve(..., layer=, direction=)`` follows one layer and direction
through time, holding its inputs (the layer below's states) fixed: from that half's last state to
each of its states. The forward half's last state is h_{T-1}, and point t lies T-1-t steps back. The
backward half reads right to left: its state at step t is the one after reading tokens T-1, ..., t,
its last state is the one after token 0, and point t lies t steps back along its path (token t
reaches its end through steps t-1, ..., 0). ``depth_curve`` goes through depth too: from the top
layer's last state to each token's bottom-layer state, through every layer and step (autograd).
The functions take any ``RecurrentClassifier`` (sentiment or race) and token ids; only
``text_gradient_paths`` tokenizes, with a ``PretrainedModel``'s own tokenizer.
"""
from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from models.asking.intervene import head_logits, run_cell
from models.cells import cell_type_of, cell_weights, input_part, step_from
from models.retention import log10_retention_to_end
from models.tokenize import EmptyTextError
from models.trace import GATE_NAMES, RETAIN_GATE, TERM_NAMES, Trace

METHODS = ("chain", "autograd", "jacobian")
MIN_CORRELATION_POINTS = 3  # fewer tokens than this (besides the last) give no correlation
AGREE = 0.5  # |Spearman's rho| from which two rankings are said to go together (or to be opposed)


def _frozen(array: Any, dtype=np.float64) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().numpy()
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Saliency:
    """How much each token's embedding moves one logit. Arrays are (T,) and read-only."""

    target: int  # class whose logit is differentiated: the predicted class unless one was given
    logit: float  # that logit after the last token
    norm: np.ndarray  # ‖∂ logit / ∂ e_t‖ over the embedding dimensions
    grad_times_input: np.ndarray  # Σ_d (∂ logit / ∂ e_t)[d] * e_t[d], signed


@dataclass(frozen=True, eq=False)
class DistanceCurve:
    """‖∂h_last / ∂h_t‖_F for every step t, ordered by distance along the reading path (index 0: the last read).

    Forward (direction 0): h_last = h_{T-1}, the point at distance d is token T-1-d. Backward (direction 1):
    h_last is its state after token 0, the point at distance d is token d. Within one layer, distance 0 is
    the identity, of norm sqrt(H). ``depth``: from the top layer's last state to layer 0's states (through
    every layer). Arrays are (T,), read-only.
    """

    distance: np.ndarray  # 0, 1, ..., T-1 (int)
    steps: np.ndarray  # the token index t of each point: T-1, ..., 0 forward; 0, ..., T-1 backward (int)
    norm: np.ndarray  # Frobenius norm; may be 0 where it falls below float64's range
    log10_norm: np.ndarray  # log10 of norm; finite wherever the chain could resolve it
    method: str
    layer: int = 0  # the layer whose states h_t are differentiated against (0 for a depth curve)
    direction: int = 0  # 0 forward, 1 backward
    depth: bool = False  # True: h_last is the top layer's, h_t layer 0's

    def by_step(self) -> np.ndarray:
        """(T,) the norms in token order: entry t is ‖∂h_last / ∂h_t‖."""
        return self._by_step(self.norm)

    def log10_by_step(self) -> np.ndarray:
        """(T,) log10 of the norms in token order (finite where ``norm`` underflows to 0)."""
        return self._by_step(self.log10_norm)

    def _by_step(self, values: np.ndarray) -> np.ndarray:
        out = np.empty_like(values)
        out[self.steps] = values
        out.setflags(write=False)
        return out


@dataclass(frozen=True, eq=False)
class GradientPaths:
    """Saliency and the distance curve of one sequence through one classifier."""

    cell_type: str
    tokens: tuple[str, ...]  # T tokens, or step numbers
    saliency: Saliency
    curve: DistanceCurve  # one layer and direction through time (``distance_curve``)
    depth: DistanceCurve | None = None  # through depth (``depth_curve``), for a model of more than one layer


class _Autograd:
    """Grad mode on for this thread, even inside an ``inference_mode`` block of the caller."""

    def __enter__(self) -> None:
        self._modes = (torch.inference_mode(False), torch.enable_grad())
        for mode in self._modes:
            mode.__enter__()

    def __exit__(self, *exc) -> None:
        for mode in reversed(self._modes):
            mode.__exit__(*exc)


def _classifier_and_ids(model: nn.Module, ids) -> tuple[nn.Module, torch.Tensor]:
    """(classifier, ids (T,)) from a PretrainedModel or a RecurrentClassifier and ids (T,) or (1, T)."""
    classifier = getattr(model, "model", model)  # a PretrainedModel holds its classifier in .model
    for part in ("embedding", "rnn", "head"):
        if not hasattr(classifier, part):
            raise TypeError(f"need a classifier with embedding, rnn and head; {type(model).__name__} has no {part}")
    cell_type_of(classifier.rnn)
    ids = torch.as_tensor(ids)
    if ids.dim() == 2 and ids.shape[0] == 1:
        ids = ids[0]
    if ids.dim() != 1 or ids.is_floating_point() or len(ids) == 0:
        raise ValueError(f"give the token ids of one non-empty sequence, (T,) or (1, T); got {tuple(ids.shape)}")
    return classifier, ids


def _final(module: nn.RNNBase, out: torch.Tensor) -> torch.Tensor:
    """(D*H,) what the head reads from the top layer's outputs (T, D*H): the forward half after the last token,
    and the backward half after token 0 (its last step), as ``RecurrentClassifier.final_states``."""
    if not module.bidirectional:
        return out[-1]
    return torch.cat([out[-1, : module.hidden_size], out[0, module.hidden_size :]])


def _check_position(module: nn.RNNBase, layer: int | None, direction: int) -> int:
    """The layer asked for (None: the top one); IndexError for one the module does not have."""
    layer = module.num_layers - 1 if layer is None else layer
    if not 0 <= layer < module.num_layers or direction not in range(2 if module.bidirectional else 1):
        raise IndexError(f"layer {layer}, direction {direction} does not exist: the module has "
                         f"{module.num_layers} layer(s) and {2 if module.bidirectional else 1} direction(s)")
    return layer


def saliency(model: nn.Module, ids, *, target: int | None = None) -> Saliency:
    """Token saliency by torch autograd through the real recurrent module and head. ids (T,) or (1, T).

    The logit of ``target`` (default: the predicted class) on the whole text is differentiated with
    respect to each token's embedding vector e_t (E,), through every layer and both directions.
    """
    classifier, ids = _classifier_and_ids(model, ids)
    module = classifier.rnn
    with _Autograd():
        with torch.no_grad():
            emb = classifier.embedding(ids)  # (T, E)
        emb = emb.detach().requires_grad_(True)
        out = module(emb.unsqueeze(0 if module.batch_first else 1))[0]  # (1, T, D*H) or (T, 1, D*H)
        logits = head_logits(classifier, _final(module, out[0] if module.batch_first else out[:, 0]))  # (C,)
        chosen = int(logits.argmax()) if target is None else int(target)
        if not 0 <= chosen < logits.shape[-1]:
            raise ValueError(f"target must be a class index in [0, {logits.shape[-1]}), got {target}")
        (grad,) = torch.autograd.grad(logits[chosen], emb)  # (T, E)
    grad, emb = grad.double(), emb.detach().double()
    return Saliency(
        target=chosen,
        logit=float(logits[chosen].detach()),
        norm=_frozen(grad.norm(dim=1)),
        grad_times_input=_frozen((grad * emb).sum(dim=1)),
    )


def _log10_chain(steps: int, hs: int, first: torch.Tensor,
                 back: Callable[[torch.Tensor, int], torch.Tensor]) -> np.ndarray:
    """log10 ‖G_t[:, :H]‖_F for t = T-1 .. 0 (by distance), with G_{T-1} = ``first``, G_{t-1} = back(G_t, t).

    Each G (H, S) holds the H cotangent rows of h_T with respect to the state s_t of size S: h_t,
    and for an LSTM c_t after it. G is rescaled to norm 1 before every step back, and ``log_scale``
    keeps the natural log of the factors taken out, so a vanishing gradient is still resolved.
    """
    out = np.empty(steps)
    G, log_scale = first, 0.0
    for t in range(steps - 1, -1, -1):
        norm = float(torch.linalg.matrix_norm(G[:, :hs]))
        if norm == 0.0 or not math.isfinite(norm):
            out[steps - 1 - t :] = -np.inf if norm == 0.0 else np.nan
            break
        log_scale += math.log(norm)
        out[steps - 1 - t] = log_scale / math.log(10)
        if t > 0:
            G = back(G / norm, t)
    return out


def _first_rows(hs: int, size: int, dtype: torch.dtype) -> torch.Tensor:
    """G_{T-1} (H, S): the identity on h_T, zero on c_T (h_T does not depend on c_T once h_T is given)."""
    return torch.cat([torch.eye(hs, dtype=dtype), torch.zeros(hs, size - hs, dtype=dtype)], dim=1)


def _oriented(states: dict[str, torch.Tensor], layer: int, direction: int) -> dict[str, torch.Tensor]:
    """name -> (T, H) of one layer and direction, in its reading order (the backward half's flipped)."""
    return {k: v[layer, direction].flip(0) if direction == 1 else v[layer, direction] for k, v in states.items()}


Vjp = Callable[[torch.Tensor, int], tuple[torch.Tensor, torch.Tensor]]


def _step_vjp(module: nn.RNNBase, seq: dict[str, torch.Tensor], w: torch.Tensor) -> Vjp:
    """vjp(G_t, t) -> (G_{t-1}, P_t): the vector-Jacobian product of step t, written out from the forward's values.

    seq: name -> (T, H), the values of one layer and direction in its reading order (``_oriented``); w its
    weight_hh (G*H, H) in torch's gate order. G_t (R, S) holds R cotangent rows on the state after step t
    (h_t, and c_t for an LSTM); G_{t-1} the same rows on the state before it. P_t (R, G*H) are the rows on
    the step's input part W_ih x_t + b_ih, so ``P_t @ weight_ih`` is their cotangent on the step's input x_t
    (the layer below's h_t, in ``depth_curve``). LSTM: G = [Gh | Gc], with Gc reaching c_{t-1}
    through c_t = f c_{t-1} + i g only, and dc the total with respect to c_t (also through
    h_t = o_t tanh(c_t)). Tests hold this to autograd and to ``torch.func`` Jacobians of ``models.cells``.
    """
    cell_type = cell_type_of(module)
    hidden = seq["hidden"]  # (T, H)
    hs = hidden.shape[1]
    previous = torch.cat([hidden.new_zeros(1, hs), hidden[:-1]])  # h_{t-1}, (T, H)
    if cell_type == "lstm":
        i, f, g, o, c = (seq[k] for k in (*GATE_NAMES["lstm"], "cell"))
        tanh_c = torch.tanh(c)
        c_prev = torch.cat([c.new_zeros(1, hs), c[:-1]])
        dh_dc = o * (1 - tanh_c * tanh_c)  # ∂h_t/∂c_t, diagonal
        # ∂(step output)/∂(gate pre-activation), diagonal, per gate: c_t = f c_prev + i g, h_t = o tanh(c_t)
        d_i, d_f, d_g, d_o = g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g), tanh_c * o * (1 - o)

        def vjp(G: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
            Gh, Gc = G[:, :hs], G[:, hs:]
            dc = torch.addcmul(Gc, Gh, dh_dc[t])  # (R, H) rows: ∂h_T/∂c_t
            pre_grad = torch.cat([dc * d_i[t], dc * d_f[t], dc * d_g[t], Gh * d_o[t]], dim=1)  # (R, 4H)
            return torch.cat([pre_grad @ w, dc * f[t]], dim=1), pre_grad  # [∂/∂h_{t-1} | ∂/∂c_{t-1}]
    elif cell_type == "gru":
        r, z, n, reset_hidden = (seq[k] for k in (*GATE_NAMES["gru"], TERM_NAMES["gru"][0]))
        dn = (1 - z) * (1 - n * n)  # ∂h_t/∂(candidate pre-activation)
        # h_t = (1 - z) n + z h_prev; n = tanh(x_n + r * (W_hn h_prev + b_hn))
        d_r, d_z, d_n = dn * reset_hidden * r * (1 - r), (previous - n) * z * (1 - z), dn * r

        def vjp(G: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
            gates = [G * d_r[t], G * d_z[t]]
            pre_grad = torch.cat([*gates, G * d_n[t]], dim=1)  # (R, 3H): W_hn h_prev + b_hn sits inside r * (.)
            back = torch.addcmul(pre_grad @ w, G, z[t])  # the matmul paths plus the direct z h_prev
            return back, torch.cat([*gates, G * dn[t]], dim=1)  # x_n = W_in x + b_in sits outside r
    else:
        pre = seq["preactivation"]
        d_act = (pre > 0).to(pre.dtype) if module.nonlinearity == "relu" else 1 - hidden * hidden

        def vjp(G: torch.Tensor, t: int) -> tuple[torch.Tensor, torch.Tensor]:
            pre_grad = G * d_act[t]
            return pre_grad @ w, pre_grad
    return vjp


def _chain_back(module: nn.RNNBase, seq: dict[str, torch.Tensor], w: torch.Tensor,
                ) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """back(G_t, t) -> G_{t-1}: ``_step_vjp`` without the input's rows."""
    vjp = _step_vjp(module, seq, w)
    return lambda G, t: vjp(G, t)[0]


def _depth_chain(module: nn.RNNBase, states: dict[str, torch.Tensor]) -> np.ndarray:
    """log10 ‖∂h^top_{T-1}/∂h^0_t‖_F by distance for a one-direction stack, in one pass backwards over the steps.

    At step t the rows G_l on each layer's state are taken top-down: layer l's step gives its rows on its input
    x_t = h^{l-1}_t (``P_t @ weight_ih``), added to what layer l - 1's own later steps gave h^{l-1}_t; layer 0's
    h part is the point at t (c^0_t held fixed). Then every layer steps back. All rows share one scale, kept as
    a logarithm as in ``_log10_chain``.
    """
    layers = module.num_layers
    seqs = [_oriented(states, layer, 0) for layer in range(layers)]
    weights = [cell_weights(module, layer, 0) for layer in range(layers)]
    vjps = [_step_vjp(module, seq, w.w_hh) for seq, w in zip(seqs, weights)]
    steps, hs = seqs[0]["hidden"].shape
    size = 2 * hs if "cell" in seqs[0] else hs
    dtype = seqs[0]["hidden"].dtype
    G = [torch.zeros(hs, size, dtype=dtype) for _ in range(layers)]
    G[-1] = _first_rows(hs, size, dtype)
    out = np.full(steps, -np.inf)
    log_scale = 0.0
    for t in range(steps - 1, -1, -1):
        back = [None] * layers
        for layer in range(layers - 1, 0, -1):
            back[layer], pre_grad = vjps[layer](G[layer], t)
            G[layer - 1] = torch.cat([G[layer - 1][:, :hs] + pre_grad @ weights[layer].w_ih, G[layer - 1][:, hs:]], 1)
        norm = float(torch.linalg.matrix_norm(G[0][:, :hs]))
        if not math.isfinite(norm):
            out[: t + 1] = np.nan
            break
        out[t] = (log_scale + math.log(norm)) / math.log(10) if norm > 0 else -np.inf
        back[0] = vjps[0](G[0], t)[0]
        scale = float(torch.linalg.matrix_norm(torch.cat(back, dim=1)))
        if scale == 0.0 or not math.isfinite(scale):
            break  # nothing reaches further back (or it overflowed): -inf stays for the earlier steps
        log_scale += math.log(scale)
        G = [g / scale for g in back]
    return out[::-1]


def _chain_norms(module: nn.RNNBase, states: dict[str, torch.Tensor], layer: int = 0,
                 direction: int = 0) -> np.ndarray:
    """log10 ‖∂h_last/∂h_t‖_F by distance in one layer and direction, from the forward's values (L, D, T, H)."""
    seq = _oriented(states, layer, direction)
    steps, hs = seq["hidden"].shape
    size = 2 * hs if "cell" in seq else hs
    back = _chain_back(module, seq, cell_weights(module, layer, direction).w_hh)
    return _log10_chain(steps, hs, _first_rows(hs, size, seq["hidden"].dtype), back)


def _layer_input(emb: torch.Tensor, states: dict[str, torch.Tensor], layer: int) -> torch.Tensor:
    """(T, F) what ``layer`` reads: the embeddings, or layer - 1's hidden states with both halves joined."""
    if layer == 0:
        return emb
    below = states["hidden"][layer - 1]  # (D, T, H)
    return torch.cat(list(below), dim=-1)


def step_jacobians(module: nn.RNNBase, emb: torch.Tensor, states: dict[str, torch.Tensor], *, layer: int = 0,
                   direction: int = 0) -> torch.Tensor:
    """(T, S, S) ∂s_t/∂s_{t-1} of every step of ``models.cells``' one step function, by ``torch.func``.

    s_t is the state after step t: h_t (S = H), or for an LSTM h_t then c_t (S = 2H). emb (T, E) are the
    embeddings, states the (L, D, T, H) values of ``run_cell`` on them; ``layer`` reads the embeddings or the
    layer below's states. Steps are in the direction's reading order: for the backward half (direction 1),
    entry k is the step that reads token T-1-k.
    """
    w = cell_weights(module, layer, direction)
    hs = w.hidden_size
    seq = _oriented(states, layer, direction)
    names = ("hidden", "cell") if "cell" in seq else ("hidden",)

    def next_state(xw: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        return torch.cat(step_from(xw, state.split(hs), w).state)

    with _Autograd():  # normal tensors (not inference ones), which torch.func can differentiate
        after = torch.cat([seq[k] for k in names], dim=1).detach().clone()  # (T, S)
        before = torch.cat([after.new_zeros(1, after.shape[1]), after[:-1]])  # s_{t-1}, zero before the first step
        x = _layer_input(emb.detach(), states, layer).detach().clone()
        x = x.flip(0) if direction == 1 else x
        xw = input_part(x, w).detach()  # (T, G*H)
        return torch.func.vmap(torch.func.jacrev(next_state, argnums=1))(xw, before).detach()


def _jacobian_norms(module: nn.RNNBase, emb: torch.Tensor, states: dict[str, torch.Tensor], layer: int = 0,
                    direction: int = 0) -> np.ndarray:
    """log10 ‖∂h_last/∂h_t‖_F by distance, chaining the ``torch.func`` Jacobians of the one cell step."""
    jacobians = step_jacobians(module, emb, states, layer=layer, direction=direction)  # (T, S, S)
    steps, size = jacobians.shape[:2]
    hs = module.hidden_size
    return _log10_chain(steps, hs, _first_rows(hs, size, jacobians.dtype), lambda G, t: G @ jacobians[t])


def _autograd_by_step(module: nn.RNNBase, emb: torch.Tensor, target: tuple[int, int], wrt: tuple[int, int],
                      ) -> np.ndarray:
    """(T,) ‖∂h_last/∂h_t‖_F by token t from torch.autograd.grad over a re-run of the cell, in the module's dtype.

    h_last: the last state of layer and direction ``target``; h_t: the states of layer and direction ``wrt``.
    Every state is in the graph, so a gradient from an upper layer reaches a lower one through every path.
    """
    steps, hs = len(emb), module.hidden_size
    hidden: dict[tuple[int, int], list] = {target: [None] * steps, wrt: [None] * steps}

    def keep(layer: int, direction: int, step: int, name: str, value: torch.Tensor) -> torch.Tensor:
        if name == "hidden" and (layer, direction) in hidden:
            hidden[layer, direction][step] = value
        return value

    with _Autograd():
        run_cell(module, emb.detach().requires_grad_(True), keep)  # every state in the graph, frozen weights or not
        last = hidden[target][0 if target[1] == 1 else -1]  # the backward half ends after token 0
        rows = torch.eye(hs, dtype=last.dtype)  # (H, H): one cotangent per unit of h_last
        grads = torch.autograd.grad(last, hidden[wrt], grad_outputs=rows, is_grads_batched=True, allow_unused=True)
    return np.array([0.0 if g is None else float(torch.linalg.matrix_norm(g)) for g in grads])


def _by_distance(by_step: np.ndarray, direction: int) -> np.ndarray:
    """Token order to distance order: the forward half's last step is token T-1, the backward half's token 0."""
    return by_step[::-1] if direction == 0 else by_step


def _autograd_norms(module: nn.RNNBase, emb: torch.Tensor, layer: int = 0, direction: int = 0) -> np.ndarray:
    """log10 ‖∂h_last/∂h_t‖_F by distance in one layer and direction, from torch.autograd.grad."""
    norms = _by_distance(_autograd_by_step(module, emb, (layer, direction), (layer, direction)), direction)
    with np.errstate(divide="ignore"):
        return np.log10(norms)


def _curve(log10: np.ndarray, method: str, layer: int, direction: int, depth: bool = False) -> DistanceCurve:
    steps = len(log10)
    tokens = np.arange(steps)
    with np.errstate(under="ignore"):
        norm = np.power(10.0, log10)
    return DistanceCurve(
        distance=_frozen(tokens, np.int64),
        steps=_frozen(_by_distance(tokens, direction), np.int64),
        norm=_frozen(norm),
        log10_norm=_frozen(log10),
        method=method,
        layer=layer,
        direction=direction,
        depth=depth,
    )


def distance_curve(model: nn.Module, ids, *, method: str = "chain", layer: int | None = None,
                   direction: int = 0) -> DistanceCurve:
    """‖∂h_last / ∂h_t‖_F for every step t of one layer and direction, by distance. ids (T,) or (1, T).

    model: a ``RecurrentClassifier`` (or ``PretrainedModel``), any task. layer: default the top one.
    direction 0: h_last = h_{T-1}, distance T-1-t. direction 1 (backward, read right to left): step t is its
    state after reading tokens T-1..t, h_last its state after token 0, distance t. The layer's inputs are
    held fixed (the path runs through this layer's recurrence only; ``depth_curve`` goes through layers).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    classifier, ids = _classifier_and_ids(model, ids)
    module = classifier.rnn
    layer = _check_position(module, layer, direction)
    with _Autograd(), torch.no_grad():  # a normal tensor, even if the caller is in inference_mode
        emb = classifier.embedding(ids)  # (T, E)
    if method == "autograd":
        log10 = _autograd_norms(module, emb, layer, direction)
    elif method == "chain":
        with torch.inference_mode():
            log10 = _chain_norms(module, run_cell(module, emb), layer, direction)
    else:  # "jacobian": torch.func needs grad mode, and step_jacobians copies the states out of inference mode
        with torch.inference_mode():
            states = run_cell(module, emb)
        log10 = _jacobian_norms(module, emb, states, layer, direction)
    return _curve(log10, method, layer, direction)


def depth_curve(model: nn.Module, ids, *, direction: int = 0) -> DistanceCurve:
    """‖∂h^top_last / ∂h^0_t‖_F: from the top layer's last state down to each token's bottom-layer state.

    Both in direction ``direction`` (forward: h^top_{T-1}; backward: h^top after token 0, by distance t). The
    gradient runs through every layer and every step between (in a bidirectional stack, through the other
    half's upper layers too). A one-direction stack by the chain (``_depth_chain``: one pass backwards with
    all H rows at once, rescaled, so a vanishing gradient stays resolved far below float32's range); a
    bidirectional stack by autograd over a float64 re-run. For a one-layer model it is ``distance_curve``.
    ids (T,) or (1, T); model any ``RecurrentClassifier``.
    """
    classifier, ids = _classifier_and_ids(model, ids)
    module = classifier.rnn
    top = _check_position(module, None, direction)
    if top == 0:
        return dataclasses.replace(distance_curve(classifier, ids, layer=0, direction=direction), depth=True)
    with _Autograd(), torch.no_grad():
        emb = classifier.embedding(ids)  # (T, E)
    if not module.bidirectional:
        with torch.inference_mode():
            return _curve(_depth_chain(module, run_cell(module, emb)), "chain", 0, direction, depth=True)
    exact = copy.deepcopy(module).double()  # a bidirectional stack: its paths cross between the halves
    norms = _by_distance(_autograd_by_step(exact, emb.double(), (top, direction), (0, direction)), direction)
    with np.errstate(divide="ignore"):
        log10 = np.log10(norms)
    return _curve(log10, "autograd", 0, direction, depth=True)


def gradient_paths(model: nn.Module, ids, *, tokens=None, target: int | None = None, method: str = "chain",
                   layer: int | None = None, direction: int = 0) -> GradientPaths:
    """Saliency, the distance curve of ``layer`` (default: the top one) and ``direction``, and for a model of
    more than one layer the curve through depth (``depth_curve`` in that direction), of one sequence.

    ids (T,) or (1, T) token ids of any ``RecurrentClassifier`` (sentiment or race); tokens: T strings or None.
    """
    classifier, ids = _classifier_and_ids(model, ids)
    names = tuple(map(str, range(len(ids)))) if tokens is None else tuple(map(str, tokens))
    if len(names) != len(ids):
        raise ValueError(f"{len(names)} tokens for {len(ids)} ids")
    deep = classifier.rnn.num_layers > 1
    return GradientPaths(
        cell_type=cell_type_of(classifier.rnn),
        tokens=names,
        saliency=saliency(classifier, ids, target=target),
        curve=distance_curve(classifier, ids, method=method, layer=layer, direction=direction),
        depth=depth_curve(classifier, ids, direction=direction) if deep else None,
    )


def text_gradient_paths(pretrained, text: str, *, mode: str | None = None, max_tokens: int | None = None,
                        method: str = "chain", layer: int | None = None, direction: int = 0) -> GradientPaths:
    """``gradient_paths`` of a ``PretrainedModel`` on a text, tokenized as ``analyze`` does."""
    tokens = pretrained.tokens(text, mode)[:max_tokens]
    if not tokens:
        raise EmptyTextError()
    ids = pretrained.encode([tokens])[0][0]
    return gradient_paths(pretrained.model, ids, tokens=tokens, method=method, layer=layer, direction=direction)


def log10_retention(trace: Trace, *, layer: int | None = None, direction: int = 0) -> np.ndarray:
    """(T,) log10 of the retention of each token at the end of its reading, in one layer (default: the top one,
    as ``distance_curve``) and direction.

    Retention of token t, forward: the mean over units of the product of the keep gates of steps t+1..T-1
    (LSTM forget gates; GRU torch z, the share of the old state kept); backward (read right to left): of
    steps t-1..0, to its state after token 0. 0 (an empty product) at the token read last (T-1 forward, 0
    backward): a row of the retention map (``models.retention``), summed in logs so that long texts do
    not underflow; a gate of exactly 0 gives -inf.
    """
    if trace.cell_type not in RETAIN_GATE:
        raise ValueError(f"retention is defined for LSTM and GRU keep gates, not for a {trace.cell_type.upper()}")
    layer = trace.num_layers - 1 if layer is None else layer
    trace.check_position(layer, direction)
    gate = trace.gates[RETAIN_GATE[trace.cell_type]][layer, direction]
    return log10_retention_to_end(gate, reverse=direction == 1)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 0, ties sharing their average rank (what Spearman's rho needs)."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + ends - 1) / 2.0)[inverse]


def spearman(a, b) -> float:
    """Spearman's rank correlation of two (N,) arrays, ties averaged; NaN if either is constant or N < 2."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two 1-D arrays of one length, got {a.shape} and {b.shape}")
    if np.isnan(a).any() or np.isnan(b).any():
        raise ValueError("spearman of values with NaN")
    if len(a) < 2:
        return float("nan")
    ra, rb = _ranks(a) - (len(a) - 1) / 2.0, _ranks(b) - (len(b) - 1) / 2.0
    denominator = math.sqrt(float((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / denominator) if denominator > 0 else float("nan")


def _paired(trace: Trace, curve: DistanceCurve) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(steps, log10 retention, log10 gradient), each (N,): every token but the one read last (T-1 forward, 0
    backward) with a resolved gradient, in the curve's layer and direction."""
    if trace.num_steps != len(curve.norm):
        raise ValueError(f"the trace has {trace.num_steps} steps and the curve {len(curve.norm)}")
    if curve.depth:
        raise ValueError("retention is within one layer; a curve through depth has no retention to compare")
    retention = log10_retention(trace, layer=curve.layer, direction=curve.direction)
    gradient = curve.log10_by_step()
    kept = np.arange(trace.num_steps) != curve.steps[0]  # not the token read last
    steps = np.flatnonzero(kept & ~np.isnan(gradient))
    return steps, retention[steps], gradient[steps]


def retention_gradient_correlation(trace: Trace, curve: DistanceCurve) -> float:
    """Spearman's rho, over tokens, between retention to the end and ‖∂h_T / ∂h_t‖.

    In the curve's layer and direction. The token read last is left out: there both are fixed by definition
    (retention 1, the identity).
    NaN with fewer than ``MIN_CORRELATION_POINTS`` other tokens, or if either side is constant.
    """
    _, retention, gradient = _paired(trace, curve)
    if len(gradient) < MIN_CORRELATION_POINTS:
        return float("nan")
    return spearman(retention, gradient)


UNRELATED = 0.3  # |rho| below this: the two rankings are hardly related
RELATIONS = ("together", "partly", "unrelated", "partly_opposed", "opposed", "none")


def rho_relation(rho: float) -> str:
    """Spearman's ``rho`` in plain words, one of RELATIONS: "together" (rho >= AGREE), "partly" (UNRELATED to
    AGREE), "unrelated" (|rho| < UNRELATED), "partly_opposed", "opposed" (rho <= -AGREE); "none" for NaN."""
    if math.isnan(rho):
        return "none"
    if abs(rho) < UNRELATED:
        return "unrelated"
    if rho >= AGREE:
        return "together"
    if rho <= -AGREE:
        return "opposed"
    return "partly" if rho > 0 else "partly_opposed"


@dataclass(frozen=True)
class Agreement:
    """How far the gates' retention and the gradient tell the same story about which tokens reach the end."""

    rho: float  # Spearman's rho over the tokens compared (NaN: too few tokens, or one side constant)
    tokens: int  # tokens compared: every one but the last whose gradient could be resolved
    apart: int | None  # the token whose two ranks differ most; None if rho is NaN or no token's ranks differ
    retention_rank: int  # its rank by retention, 1 = kept best
    gradient_rank: int  # its rank by gradient norm, 1 = reached most

    @property
    def strength(self) -> str:
        """How the two rankings relate, in plain words: ``rho_relation(rho)``, one of RELATIONS."""
        return rho_relation(self.rho)


def retention_gradient_agreement(trace: Trace, curve: DistanceCurve) -> Agreement:
    """``retention_gradient_correlation`` and the token where the two explanations part most."""
    steps, retention, gradient = _paired(trace, curve)
    rho = retention_gradient_correlation(trace, curve)
    if math.isnan(rho):
        return Agreement(rho, len(steps), None, 0, 0)
    by_retention = len(steps) - _ranks(retention)  # 1 = largest; ties share their average rank
    by_gradient = len(steps) - _ranks(gradient)
    apart = np.abs(by_retention - by_gradient)
    worst = int(np.argmax(apart))
    if apart[worst] == 0:
        return Agreement(rho, len(steps), None, 0, 0)
    return Agreement(rho, len(steps), int(steps[worst]), round(by_retention[worst]), round(by_gradient[worst]))
