"""Gradient paths: saliency and the distance curve against finite differences through torch's own modules."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from models.asking.gradients import (
    METHODS,
    DistanceCurve,
    depth_curve,
    distance_curve,
    gradient_paths,
    log10_retention,
    retention_gradient_agreement,
    retention_gradient_correlation,
    saliency,
    spearman,
    text_gradient_paths,
)
from models.classifier import ClassifierConfig, RecurrentClassifier
from models.pretrained import EmptyTextError, load_pretrained
from models.trace import Trace

EMBED, HID, VOCAB = 5, 4, 30
IDS = torch.tensor([4, 9, 2, 17, 5, 5, 28, 3])
EPS = 1e-6  # central differences in float64
REL = 1e-3
KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
TEXT = "这个手机的屏幕很好，但是电池太差了，我不会再买了。"


def _classifier(kind: str, seed: int = 0) -> RecurrentClassifier:
    """A small random classifier in float64, so that finite differences are exact to ~1e-9."""
    torch.manual_seed(seed)
    arch = kind.split("_")[0]
    model = RecurrentClassifier(ClassifierConfig(arch=arch, vocab_size=VOCAB, embed_dim=EMBED, hidden_size=HID))
    if kind == "rnn_relu":
        model.rnn = nn.RNN(EMBED, HID, nonlinearity="relu", batch_first=True)
    with torch.no_grad():  # larger weights than the default init, so that gates saturate somewhere
        for p in model.rnn.parameters():
            p.mul_(2.5)
    return model.double().eval()


def _final_logits(model: RecurrentClassifier, emb: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model.head(model.rnn(emb[None])[0][0, -1])


def _rel(got: np.ndarray, want: np.ndarray) -> float:
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


@pytest.mark.parametrize("kind", KINDS)
def test_saliency_matches_finite_differences(kind):
    model = _classifier(kind)
    with torch.no_grad():
        emb = model.embedding(IDS)  # (T, E)
    found = saliency(model, IDS)
    target = int(_final_logits(model, emb).argmax())
    assert found.target == target and found.norm.shape == found.grad_times_input.shape == (len(IDS),)
    np.testing.assert_allclose(found.logit, _final_logits(model, emb)[target].item(), rtol=1e-12)
    grad = np.zeros(tuple(emb.shape))
    for t in range(len(IDS)):
        for d in range(EMBED):
            step = torch.zeros_like(emb)
            step[t, d] = EPS
            up, down = _final_logits(model, emb + step)[target], _final_logits(model, emb - step)[target]
            grad[t, d] = (up - down).item() / (2 * EPS)
    assert _rel(found.norm, np.linalg.norm(grad, axis=1)) <= REL
    assert _rel(found.grad_times_input, (grad * emb.numpy()).sum(axis=1)) <= REL
    other = saliency(model, IDS[None], target=1 - target)  # the other class: another logit, other gradients
    assert other.target == 1 - target and not np.allclose(other.norm, found.norm)


def _jacobian_by_differences(model: RecurrentClassifier, emb: torch.Tensor, t: int) -> np.ndarray:
    """∂h_T/∂h_t (H, H) through torch's own module: run to t, nudge h_t (c_t kept), run on."""
    module = model.rnn
    steps = len(emb)
    with torch.no_grad():
        _, state = module(emb[None, : t + 1])
        h_t, c_t = state if isinstance(state, tuple) else (state, None)
        jac = np.zeros((HID, HID))
        for k in range(HID):
            ends = []
            for sign in (1, -1):
                h = h_t.clone()
                h[..., k] += sign * EPS
                if t == steps - 1:
                    ends.append(h[0, 0])
                    continue
                hx = (h, c_t) if c_t is not None else h
                ends.append(module(emb[None, t + 1 :], hx)[0][0, -1])
            jac[:, k] = ((ends[0] - ends[1]) / (2 * EPS)).numpy()
    return jac


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_the_distance_curve_matches_finite_differences(kind, method):
    model = _classifier(kind, seed=1)
    with torch.no_grad():
        emb = model.embedding(IDS)
    curve = distance_curve(model, IDS, method=method)
    steps = len(IDS)
    np.testing.assert_array_equal(curve.distance, np.arange(steps))
    np.testing.assert_array_equal(curve.steps, steps - 1 - np.arange(steps))
    want = np.array([np.linalg.norm(_jacobian_by_differences(model, emb, t)) for t in range(steps)])  # by step
    np.testing.assert_allclose(curve.by_step(), want, rtol=REL, atol=0)
    np.testing.assert_allclose(curve.log10_norm, np.log10(curve.norm), rtol=1e-9)
    assert curve.norm[0] == pytest.approx(math.sqrt(HID), rel=1e-12)  # distance 0: the identity
    assert np.ptp(want) > 0.1  # the check compares something that varies


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_shipped_models_both_methods_agree_and_start_at_the_identity(arch):
    model = load_pretrained(arch)
    paths = text_gradient_paths(model, TEXT)
    tokens = model.tokens(TEXT)
    assert paths.tokens == tuple(tokens) and paths.cell_type == arch
    assert paths.saliency.norm.shape == paths.curve.norm.shape == (len(tokens),)
    assert paths.curve.norm[0] == pytest.approx(math.sqrt(model.model.rnn.hidden_size), rel=1e-6)
    reference = text_gradient_paths(model, TEXT, method="autograd").curve
    resolved = reference.norm > 1e-30  # float32 autograd loses digits as it nears underflow
    np.testing.assert_allclose(paths.curve.norm[resolved], reference.norm[resolved], rtol=1e-4)
    assert paths.saliency.target == model.labels.index(model.analyze(TEXT).label)


def test_the_chain_resolves_a_gradient_that_float32_autograd_loses():
    model = load_pretrained("rnn")
    text = TEXT * 8  # long enough for the plain RNN's gradient to vanish below float32's range
    chain = text_gradient_paths(model, text).curve
    reference = text_gradient_paths(model, text, method="autograd").curve
    assert reference.norm[-1] == 0.0 and np.isfinite(chain.log10_norm).all()
    assert chain.log10_norm[-1] < -38


def test_gradients_leave_the_shared_model_as_it_was_even_under_inference_mode():
    model = load_pretrained("lstm")
    before = {k: v.clone() for k, v in model.model.state_dict().items()}
    with torch.inference_mode():  # what the app's other threads do
        for method in METHODS:
            paths = text_gradient_paths(model, TEXT, method=method)
    assert np.isfinite(paths.saliency.norm).all()
    assert all(p.grad is None for p in model.model.parameters())
    assert all(torch.equal(before[k], v) for k, v in model.model.state_dict().items())
    assert not model.model.training and torch.is_grad_enabled()


def test_frozen_parameters_still_give_gradients():
    model = _classifier("gru")
    for p in model.parameters():
        p.requires_grad_(False)
    reference = distance_curve(_classifier("gru"), IDS, method="autograd")
    for method in METHODS:
        np.testing.assert_allclose(distance_curve(model, IDS, method=method).norm, reference.norm, rtol=1e-9)
    assert np.isfinite(saliency(model, IDS).norm).all()


def test_results_are_read_only():
    paths = gradient_paths(_classifier("lstm"), IDS, tokens=list("abcdefgh"))
    for array in (paths.saliency.norm, paths.saliency.grad_times_input, paths.curve.norm, paths.curve.log10_norm):
        assert not array.flags.writeable
    assert paths.tokens == tuple("abcdefgh")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: distance_curve(m, IDS, method="guess"), ValueError, "method"),
        (lambda m: saliency(m, torch.tensor([], dtype=torch.int64)), ValueError, "non-empty"),
        (lambda m: saliency(m, IDS, target=2), ValueError, "target"),
        (lambda m: gradient_paths(m, IDS, tokens=["a"]), ValueError, "1 tokens for 8 ids"),
        (lambda m: saliency(nn.Linear(2, 2), IDS), TypeError, "embedding"),
    ],
)
def test_bad_calls_are_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(_classifier("gru"))


def test_a_layer_or_direction_the_model_lacks_is_refused():
    model = _classifier("lstm")
    with pytest.raises(IndexError, match="layer 1, direction 0 does not exist"):
        distance_curve(model, IDS, layer=1)
    with pytest.raises(IndexError, match="direction 1 does not exist"):
        distance_curve(model, IDS, direction=1)


def test_empty_text_is_an_empty_text_error():
    with pytest.raises(EmptyTextError):
        text_gradient_paths(load_pretrained("gru"), "   ")


# --- retention and its agreement with the gradient -----------------------------------------

def _trace(cell_type: str, gate: np.ndarray) -> Trace:
    """A trace whose keep gate (LSTM forget, GRU update) is ``gate`` (T, H); the rest is filler."""
    steps, units = gate.shape
    fill = np.full((1, 1, steps, units), 0.5)
    gates = {name: fill for name in ("input", "forget", "candidate", "output", "reset", "update")}
    keep = {"lstm": "forget", "gru": "update"}[cell_type]
    gates[keep] = gate[None, None]
    names = {"lstm": ("input", "forget", "candidate", "output"), "gru": ("reset", "update", "candidate")}[cell_type]
    terms = {} if cell_type == "lstm" else {"reset_hidden": fill, "input_candidate": fill}
    return Trace(cell_type=cell_type, tokens=tuple(map(str, range(steps))), hidden=fill,
                 cell=fill if cell_type == "lstm" else None, gates={k: gates[k] for k in names}, terms=terms)


@pytest.mark.parametrize("cell_type", ["lstm", "gru"])
def test_retention_is_the_mean_product_of_keep_gates_to_the_end(cell_type):
    rng = np.random.default_rng(0)
    gate = rng.uniform(0.05, 1.0, size=(7, 3)).astype(np.float32)
    want = np.array([gate[t + 1 :].astype(np.float64).prod(axis=0).mean() for t in range(7)])
    np.testing.assert_allclose(10 ** log10_retention(_trace(cell_type, gate)), want, rtol=1e-9)


def test_retention_survives_what_would_underflow_and_exact_zeros():
    steps = 400
    gate = np.full((steps, 2), 1e-3, dtype=np.float32)
    gate[:, 1] = 1e-2
    found = log10_retention(_trace("lstm", gate))
    low, high = (np.log10(np.float64(np.float32(v))) for v in (1e-3, 1e-2))  # log10 of the two units' gates
    k = steps - 1 - np.arange(steps)  # how many gates follow each token
    # log10 mean(low^k, high^k) = k high + log10((1 + 10^(k (low - high))) / 2); 1e-800 underflows in float64
    np.testing.assert_allclose(found, k * high + np.log10((1 + 10.0 ** (k * (low - high))) / 2), rtol=1e-9, atol=1e-9)
    assert found[0] < -790
    assert found[-1] == 0.0
    gate[5] = 0.0
    assert np.isneginf(log10_retention(_trace("lstm", gate))[:5]).all()


def test_retention_is_not_defined_for_a_plain_rnn():
    fill = np.zeros((1, 1, 3, 2))
    trace = Trace(cell_type="rnn", tokens=("a", "b", "c"), hidden=fill, terms={"preactivation": fill})
    with pytest.raises(ValueError, match="RNN"):
        log10_retention(trace)


def test_spearman_known_values():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 2, 3, 4], [1, 100, 1000, 10**6]) == pytest.approx(1.0)  # ranks, not values
    # ties share their average rank: ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4) -> Pearson of the ranks
    a, b = np.array([1, 2.5, 2.5, 4]), np.array([1, 3, 2, 4])
    want = np.corrcoef(a, b)[0, 1]
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(want)
    assert spearman([-np.inf, 0, 1], [0, 1, 2]) == pytest.approx(1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ValueError):
        spearman([1, 2], [1, 2, 3])


def test_spearman_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.integers(0, 5, 40).astype(float), rng.normal(size=40)
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)


def _curve_from_step_norms(by_step: np.ndarray) -> DistanceCurve:
    steps = len(by_step)
    return DistanceCurve(distance=np.arange(steps), steps=np.arange(steps)[::-1], norm=by_step[::-1],
                         log10_norm=np.log10(by_step[::-1]), method="chain")


def test_the_correlation_pairs_each_token_with_its_own_gradient_and_skips_the_last():
    gate = np.array([[0.9], [0.2], [0.8], [0.5], [0.95], [0.3]], dtype=np.float32)
    trace = _trace("gru", gate)
    retention = 10 ** log10_retention(trace)  # (T,) by token
    same_order = retention * 3.0
    same_order[-1] = 1e-9  # the last token would break the order; it is left out
    assert retention_gradient_correlation(trace, _curve_from_step_norms(same_order)) == pytest.approx(1.0)
    assert retention_gradient_correlation(trace, _curve_from_step_norms(1 / same_order)) == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="steps"):
        retention_gradient_correlation(trace, _curve_from_step_norms(same_order[:-1]))
    assert math.isnan(retention_gradient_correlation(_trace("gru", gate[:3]), _curve_from_step_norms(same_order[:3])))


def test_the_agreement_names_the_token_where_retention_and_gradient_part_most():
    gate = np.array([[0.9], [0.2], [0.8], [0.5], [0.95], [0.3]], dtype=np.float32)
    trace = _trace("gru", gate)
    retention = 10 ** log10_retention(trace)
    by_step = retention * 3.0
    by_step[1] = by_step[4] * 2  # token 1: fourth of five by retention, but the largest gradient
    found = retention_gradient_agreement(trace, _curve_from_step_norms(by_step))
    assert found.rho == pytest.approx(retention_gradient_correlation(trace, _curve_from_step_norms(by_step)))
    assert (found.tokens, found.apart, found.retention_rank, found.gradient_rank) == (5, 1, 4, 1)
    same = retention_gradient_agreement(trace, _curve_from_step_norms(retention * 3.0))
    assert same.rho == pytest.approx(1.0) and same.apart is None  # one order: no token to single out
    short = retention_gradient_agreement(_trace("gru", gate[:3]), _curve_from_step_norms(by_step[:3]))
    assert math.isnan(short.rho) and short.apart is None and short.tokens == 2


@pytest.mark.parametrize(("arch", "keep"), [("lstm", "forget"), ("gru", "update")])
def test_the_correlation_on_a_shipped_model_is_scipys_rho_of_products_and_norms(arch, keep):
    """Expected: scipy's rho of plain products of the keep gates (this text is short: no underflow) and
    the gradient norms in token order, the last token left out."""
    model = load_pretrained(arch)
    trace = model.analyze(TEXT).trace
    curve = text_gradient_paths(model, TEXT).curve
    gate = trace.gates[keep][0, 0].astype(np.float64)  # (T, H); a GRU's torch z is the share kept
    retention = [np.prod(gate[t + 1 :], axis=0).mean() for t in range(len(gate) - 1)]
    gradient = curve.by_step()[:-1]
    assert np.all(gradient > 0) and len(gradient) >= 10
    expected = stats.spearmanr(retention, gradient).statistic
    assert retention_gradient_correlation(trace, curve) == pytest.approx(expected, abs=1e-9)


# --- layers and directions ------------------------------------------------------------------

DEEP = [(arch, layers, bi) for arch in ("rnn", "lstm", "gru") for layers, bi in ((2, False), (1, True))]


def _deep(arch: str, layers: int, bidirectional: bool, seed: int = 2, classes: int = 2) -> RecurrentClassifier:
    """A small random two-layer or bidirectional classifier in float64, with weights large enough to saturate."""
    torch.manual_seed(seed)
    labels = tuple(f"class{k}" for k in range(classes))
    model = RecurrentClassifier(ClassifierConfig(arch=arch, vocab_size=VOCAB, embed_dim=EMBED, hidden_size=HID,
                                                 num_layers=layers, bidirectional=bidirectional,
                                                 num_classes=classes, labels=labels))
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.mul_(2.0)
    return model.double().eval()


def _one_layer(module: nn.RNNBase, layer: int, direction: int) -> nn.RNNBase:
    """A one-layer, one-direction torch module holding ``layer``'s and ``direction``'s parameters."""
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    w_ih = getattr(module, "weight_ih" + suffix)
    single = type(module)(w_ih.shape[1], HID, batch_first=True).double()
    with torch.no_grad():
        for name, _ in single.named_parameters():
            getattr(single, name).copy_(getattr(module, name.replace("_l0", suffix)))
    return single


def _layer_inputs(module: nn.RNNBase, emb: torch.Tensor, layer: int) -> torch.Tensor:
    """(T, F) what torch's ``layer`` reads: the embeddings, or the output of torch's layers below."""
    with torch.no_grad():
        if layer == 0:
            return emb
        below = type(module)(EMBED, HID, num_layers=layer, bidirectional=module.bidirectional,
                             batch_first=True).double()
        below.load_state_dict({k: v for k, v in module.state_dict().items() if int(k.split("_l")[1][0]) < layer})
        return below(emb[None])[0][0]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("arch,layers,bidirectional", DEEP)
def test_every_layer_and_direction_matches_finite_differences_through_torch(arch, layers, bidirectional, method):
    """Within one layer and direction: torch's own one-layer module on torch's output of the layer below, nudged;
    the backward half is that module on the reversed inputs, so its step t is the one after token t from the
    right and its distance is t."""
    model = _deep(arch, layers, bidirectional)
    with torch.no_grad():
        emb = model.embedding(IDS)
    steps = len(IDS)
    for layer in range(layers):
        for direction in range(2 if bidirectional else 1):
            curve = distance_curve(model, IDS, method=method, layer=layer, direction=direction)
            assert (curve.layer, curve.direction, curve.depth) == (layer, direction, False)
            wrapper = nn.Module()
            wrapper.rnn = _one_layer(model.rnn, layer, direction)
            x = _layer_inputs(model.rnn, emb, layer)
            x = x.flip(0) if direction == 1 else x  # the backward half reads tokens T-1, ..., 0
            want = np.array([np.linalg.norm(_jacobian_by_differences(wrapper, x, t)) for t in range(steps)])
            if direction == 1:
                want = want[::-1]  # position k of the reversed reading is token T-1-k
                np.testing.assert_array_equal(curve.steps, np.arange(steps))
            np.testing.assert_allclose(curve.by_step(), want, rtol=REL, atol=0)
            assert np.ptp(want) > 0.1


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_the_depth_curve_goes_from_the_top_layer_down_to_the_bottom_layer(arch):
    """‖∂h^1_{T-1}/∂h^0_t‖ by torch alone: layer 0 run to t, h^0_t nudged, layer 0 run on, layer 1 over all of it."""
    model = _deep(arch, 2, False, seed=3)
    module = model.rnn
    with torch.no_grad():
        emb = model.embedding(IDS)
    bottom, top = _one_layer(module, 0, 0), _one_layer(module, 1, 0)
    steps = len(IDS)

    def top_last(lower: torch.Tensor) -> torch.Tensor:
        return top(lower[None])[0][0, -1]

    want = []
    with torch.no_grad():
        for t in range(steps):
            out, state = bottom(emb[None, : t + 1])
            h_t, c_t = state if isinstance(state, tuple) else (state, None)
            jac = np.zeros((HID, HID))
            for k in range(HID):
                ends = []
                for sign in (1, -1):
                    h = h_t.clone()
                    h[..., k] += sign * EPS
                    lower = torch.cat([out[0, :t], h[0]])
                    if t < steps - 1:
                        hx = (h, c_t) if c_t is not None else h
                        lower = torch.cat([lower, bottom(emb[None, t + 1 :], hx)[0][0]])
                    ends.append(top_last(lower))
                jac[:, k] = ((ends[0] - ends[1]) / (2 * EPS)).numpy()
            want.append(np.linalg.norm(jac))
    paths = gradient_paths(model, IDS)
    assert paths.depth is not None and paths.depth.depth and paths.curve.layer == 1
    np.testing.assert_allclose(paths.depth.by_step(), want, rtol=REL, atol=0)
    np.testing.assert_allclose(depth_curve(model, IDS).log10_norm, paths.depth.log10_norm)
    assert not np.allclose(paths.depth.by_step(), paths.curve.by_step())  # not the top layer's own curve
    with pytest.raises(ValueError, match="depth"):
        retention_gradient_correlation(_trace("gru", np.full((steps, 1), 0.5, np.float32)), paths.depth)


def test_one_layer_depth_is_the_layers_own_curve_both_ways():
    model = _deep("gru", 1, True)
    for direction in (0, 1):
        deep = depth_curve(model, IDS, direction=direction)
        reference = distance_curve(model, IDS, direction=direction, method="autograd")
        assert deep.depth and deep.direction == direction
        np.testing.assert_allclose(deep.norm, reference.norm, rtol=1e-6)
    assert gradient_paths(model, IDS).depth is None


@pytest.mark.parametrize("direction", [0, 1])
def test_the_depth_curve_of_a_bidirectional_stack_matches_nudged_bottom_states(direction):
    """Two layers both ways: h^0_t nudged inside the stepped cell (``run_cell``'s hook), the top layer's last
    state in ``direction`` measured; the paths cross between the halves."""
    from models.asking.intervene import run_cell

    model = _deep("lstm", 2, True, seed=5)
    with torch.no_grad():
        emb = model.embedding(IDS)
    steps = len(IDS)
    last = steps - 1 if direction == 0 else 0
    want = []
    with torch.no_grad():
        for t in range(steps):
            jac = np.zeros((HID, HID))
            for k in range(HID):
                ends = []
                for sign in (1, -1):
                    def nudge(layer, d, step, name, value, sign=sign, k=k, t=t):
                        if (layer, d, step, name) == (0, direction, t, "hidden"):
                            value = value.clone()
                            value[k] += sign * EPS
                        return value
                    ends.append(run_cell(model.rnn, emb, nudge)["hidden"][1, direction, last])
                jac[:, k] = ((ends[0] - ends[1]) / (2 * EPS)).numpy()
            want.append(np.linalg.norm(jac))
    curve = depth_curve(model, IDS, direction=direction)
    np.testing.assert_allclose(curve.by_step(), want, rtol=REL, atol=0)
    assert curve.steps[0] == last


def test_the_depth_chain_resolves_what_float32_loses():
    """A long text through a two-layer RNN: the chain keeps the far end of the curve far below 1e-38."""
    torch.manual_seed(0)
    model = RecurrentClassifier(ClassifierConfig(arch="rnn", vocab_size=VOCAB, embed_dim=EMBED, hidden_size=HID,
                                                 num_layers=2)).eval()
    ids = torch.randint(2, VOCAB, (400,))
    curve = depth_curve(model, ids)
    assert curve.method == "chain" and np.isfinite(curve.log10_norm).all()
    assert curve.log10_norm[-1] < -40
    assert np.all(np.diff(curve.log10_norm[50:]) < 0.5)  # it falls, without jumps where a float32 would underflow


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_bidirectional_saliency_matches_finite_differences(arch):
    """The head reads the forward half after the last token and the backward half after token 0."""
    model = _deep(arch, 1, True, seed=4)
    with torch.no_grad():
        emb = model.embedding(IDS)

    def logits(x: torch.Tensor) -> torch.Tensor:
        out = model.rnn(x[None])[0][0]  # (T, 2H), torch's own module
        return model.logits(torch.cat([out[-1, :HID], out[0, HID:]]))

    found = saliency(model, IDS)
    with torch.no_grad():
        assert found.target == int(model(IDS[None], torch.tensor([len(IDS)]))[0].argmax())
        grad = np.zeros(tuple(emb.shape))
        for t in range(len(IDS)):
            for d in range(EMBED):
                step = torch.zeros_like(emb)
                step[t, d] = EPS
                grad[t, d] = (logits(emb + step)[found.target] - logits(emb - step)[found.target]).item() / (2 * EPS)
    assert _rel(found.norm, np.linalg.norm(grad, axis=1)) <= REL
    assert np.linalg.norm(grad[0]) > 1e-3  # the first token reaches the answer through the backward half too


def test_gradients_take_any_classifier_and_ids_without_a_tokenizer():
    """A race-like classifier (three classes, its own labels): ids in, curves out, no vocabulary involved."""
    model = _deep("lstm", 2, False, classes=3)
    paths = gradient_paths(model, IDS)
    assert paths.tokens == tuple(str(i) for i in range(len(IDS)))
    assert paths.saliency.target in (0, 1, 2) and paths.curve.norm.shape == paths.depth.norm.shape == (len(IDS),)


def test_backward_retention_and_its_pairing_with_the_gradient_read_right_to_left():
    gate = np.array([[0.9], [0.2], [0.8], [0.5], [0.95], [0.3]], dtype=np.float32)
    hidden = np.zeros((1, 2, len(gate), 1), np.float32)
    both = np.stack([gate, gate[::-1]])[None]  # (1, 2, T, 1): the backward half's own gates
    trace = Trace(cell_type="gru", tokens=tuple("abcdef"), hidden=hidden,
                  gates={"reset": both, "update": both, "candidate": both},
                  terms={"reset_hidden": hidden, "input_candidate": hidden})
    backward = log10_retention(trace, direction=1)
    by_hand = [np.log10(np.prod(gate[::-1][:s], dtype=np.float64)) for s in range(len(gate))]  # steps s-1..0
    np.testing.assert_allclose(backward, by_hand, rtol=1e-6)
    assert backward[0] == 0.0
    steps = len(gate)
    same_order = 10 ** backward * 3.0
    same_order[0] = 1e-9  # the token read last breaks the order; it is left out
    curve = DistanceCurve(distance=np.arange(steps), steps=np.arange(steps), norm=same_order,
                          log10_norm=np.log10(same_order), method="chain", direction=1)
    assert retention_gradient_correlation(trace, curve) == pytest.approx(1.0)
    forward = DistanceCurve(distance=np.arange(steps), steps=np.arange(steps)[::-1], norm=same_order[::-1],
                            log10_norm=np.log10(same_order[::-1]), method="chain")
    assert retention_gradient_correlation(trace, forward) < 1.0


def test_retention_and_the_curve_default_to_the_top_layer_and_pair_within_one_layer():
    from tests.variants import tiny_model

    model = tiny_model("lstm", 2, False, scale=2.0)
    tokens = model.tokens("这部电影不好看但是演员很棒")
    trace = model.analyze_tokens(tokens).trace
    paths = text_gradient_paths(model, "这部电影不好看但是演员很棒")
    assert paths.curve.layer == 1
    np.testing.assert_array_equal(log10_retention(trace), log10_retention(trace, layer=1))
    assert not np.allclose(log10_retention(trace, layer=0), log10_retention(trace, layer=1))
    lower = distance_curve(model.model, model.encode([tokens])[0][0], layer=0)
    rho_top, rho_low = (retention_gradient_correlation(trace, c) for c in (paths.curve, lower))
    assert rho_top == pytest.approx(spearman(log10_retention(trace)[:-1], paths.curve.log10_by_step()[:-1]))
    assert rho_low == pytest.approx(spearman(log10_retention(trace, layer=0)[:-1], lower.log10_by_step()[:-1]))


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_the_distance_curve_works_for_a_character_language_model_too(arch):
    from models.lm import CharLanguageModel, LanguageModelConfig

    torch.manual_seed(3)
    model = CharLanguageModel(LanguageModelConfig(arch=arch, vocab_size=30, embed_dim=6, hidden_size=8)).eval()
    ids = torch.randint(3, 30, (12,))
    chain = distance_curve(model, ids, method="chain")
    by_autograd = distance_curve(model, ids, method="autograd")
    by_jacobian = distance_curve(model, ids, method="jacobian")
    assert len(chain.log10_norm) == 12 and np.isfinite(chain.log10_norm).all()
    np.testing.assert_allclose(chain.log10_norm, by_autograd.log10_norm, atol=1e-4)  # three ways, one curve
    np.testing.assert_allclose(by_jacobian.log10_norm, by_autograd.log10_norm, atol=1e-4)
