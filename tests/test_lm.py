"""The character language models: recording parity with torch, the next-character analysis against a softmax
computed by hand, seeded live writing, and loading from files."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from models.lm import (
    BOS,
    BOS_ID,
    TOP_K,
    CharLanguageModel,
    LanguageModel,
    LanguageModelConfig,
    encode_text,
    lm_characters,
    lm_vocabulary,
    load_language_model,
    next_characters,
)
from models.pretrained import PretrainedError, load_pretrained
from models.tokenize import EmptyTextError
from models.trace import hidden_from_gates

TOL = 1e-5
TEXTS = ["这家店的菜很好吃，服务也好。", "不好吃，太贵了！", "《三体》很好看", "手机买了 2 个月就坏了", "好好好"] * 3
TEXT = "这家店的菜不好吃，《三体》好看，猫也好"


def _model(arch: str, seed: int = 0, cutoffs: tuple[int, ...] = ()) -> LanguageModel:
    torch.manual_seed(seed)
    vocab = lm_vocabulary(TEXTS, min_count=2)
    config = LanguageModelConfig(arch=arch, vocab_size=len(vocab), embed_dim=6, hidden_size=8, cutoffs=cutoffs,
                                 div_value=2.0)
    model = CharLanguageModel(config)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # sharper distributions than the default init, so the top 5 differ clearly
    return LanguageModel(model, vocab)


def _softmax(logits: np.ndarray) -> np.ndarray:
    """By hand, in float64."""
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _torch_logits(lm: LanguageModel, ids: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return lm.model(torch.from_numpy(ids)[None])[0][0].double().numpy()


def test_vocabulary_has_bos_and_frequent_characters_only():
    vocab = lm_vocabulary(TEXTS, min_count=4)
    assert vocab.tokens[:3] == ("<pad>", "<unk>", BOS) and vocab.tokens[BOS_ID] == BOS
    assert "好" in vocab.tokens and "吃" in vocab.tokens  # 4 and more times
    assert "三" not in vocab.tokens  # seen 3 times only
    assert lm_characters(" 我  爱\tAI ") == ["我", " ", "爱", " ", "A", "I"]


def test_config_refuses_both_ways_and_bad_sizes():
    with pytest.raises(ValueError, match="both ways"):
        LanguageModelConfig(arch="lstm", vocab_size=10, bidirectional=True)
    with pytest.raises(ValueError, match="positive"):
        LanguageModelConfig(arch="gru", vocab_size=0)
    config = LanguageModelConfig(arch="rnn", vocab_size=10)
    assert LanguageModelConfig.from_dict({**config.to_dict(), "task": "language_model"}) == config


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_recording_parity_with_torch(arch):
    lm = _model(arch)
    analysis = lm.analyze(TEXT)
    tokens, ids = encode_text(TEXT, lm.vocab)
    with torch.inference_mode():
        out = lm.model.rnn(lm.model.embedding(torch.from_numpy(ids))[None])[0][0].numpy()  # (T, H)
    trace = analysis.trace
    assert trace.tokens == tuple(tokens) and trace.tokens[0] == BOS
    assert np.abs(trace.hidden[0, 0] - out).max() <= TOL
    assert np.abs(hidden_from_gates(trace)[0, 0] - out).max() <= TOL  # the gates rebuild torch's states
    expected = _softmax(_torch_logits(lm, ids))
    top = np.sort(expected, axis=-1)[:, ::-1][:, :TOP_K]
    assert np.abs(analysis.top_probabilities - top).max() <= TOL


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_analysis_keeps_top5_actual_and_surprise(arch):
    lm = _model(arch)
    analysis = lm.analyze(TEXT)
    _, ids = encode_text(TEXT, lm.vocab)
    probs = _softmax(_torch_logits(lm, ids))  # (T, V)
    steps = len(ids)
    assert analysis.top_probabilities.shape == (steps, TOP_K) and len(analysis.top_tokens) == steps
    for t in range(steps):
        ranked = np.argsort(-probs[t], kind="stable")[:TOP_K]
        assert analysis.top_tokens[t] == tuple(lm.vocab.tokens[i] for i in ranked)
        np.testing.assert_allclose(analysis.top_probabilities[t], probs[t, ranked], atol=TOL)
        entropy = -(probs[t] * np.log2(probs[t])).sum()
        assert analysis.entropy[t] == pytest.approx(entropy, abs=1e-4)
    actual = probs[np.arange(steps - 1), ids[1:]]
    np.testing.assert_allclose(analysis.actual[:-1], actual, rtol=1e-5)
    np.testing.assert_allclose(analysis.surprise[:-1], -np.log2(actual), rtol=1e-5)
    assert math.isnan(analysis.actual[-1]) and math.isnan(analysis.surprise[-1])
    assert analysis.bits_per_character == pytest.approx(float(np.mean(-np.log2(actual))), rel=1e-5)
    assert not analysis.actual.flags.writeable
    assert analysis.unknown[0] is False and any(analysis.unknown)  # 猫 is not in TEXTS: read as <unk>
    bits, count = lm.bits_per_character([TEXT])
    assert count == steps - 1 and bits == pytest.approx(analysis.bits_per_character, rel=1e-5)


def test_analysis_refuses_an_empty_text():
    with pytest.raises(EmptyTextError):
        _model("rnn").analyze("   ")


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_writing_is_seeded_and_recorded(arch):
    lm = _model(arch)
    first = lm.write("这家", temperature=1.0, length=30, seed=7)
    again = lm.write("这家", temperature=1.0, length=30, seed=7)
    other = lm.write("这家", temperature=1.0, length=30, seed=8)
    assert first.written == again.written and len(first.written) == 30
    assert first.written != other.written
    assert first.text == "这家" + first.written
    trace = first.trace
    assert trace.tokens == (BOS, "这", "家", *first.written)
    ids = np.array([BOS_ID, *lm.vocab.encode(list(first.text)).ids], dtype=np.int64)
    with torch.inference_mode():
        out = lm.model.rnn(lm.model.embedding(torch.from_numpy(ids))[None])[0][0].numpy()
    assert np.abs(trace.hidden[0, 0] - out).max() <= TOL  # the gates of every written step, as torch runs them
    probs = _softmax(_torch_logits(lm, ids))
    probs[:, [0, 1, BOS_ID]] = 0.0  # never written
    probs /= probs.sum(axis=-1, keepdims=True)
    chosen = probs[np.arange(2, 2 + 30), ids[3:]]  # step t (after token t) chose token t + 1
    np.testing.assert_allclose(first.probabilities, chosen, rtol=1e-4)
    assert first.reading.tokens == trace.tokens and first.reading.top_probabilities.shape == (33, TOP_K)


def test_writing_at_temperature_zero_takes_the_most_probable():
    lm = _model("gru")
    written = lm.write("", temperature=0, length=5, seed=0)
    again = lm.write("", temperature=0, length=5, seed=123)
    assert written.written == again.written
    analysis = lm.analyze(written.written)
    for t, ch in enumerate(written.written):
        best = next(tok for tok in analysis.top_tokens[t] if tok not in ("<pad>", "<unk>", BOS))
        assert ch == best


def _save(lm: LanguageModel, folder, name: str, task: str = "language_model") -> None:
    lm.vocab.save(folder / "lm_vocab.json")
    save_file({k: v.half().contiguous() for k, v in lm.model.state_dict().items()},
              str(folder / f"{name}.safetensors"))
    card = {"config": {**lm.model.config.to_dict(), "task": task, "vocabulary": "lm_vocab.json"}}
    (folder / f"{name}.json").write_text(json.dumps(card), encoding="utf-8")


def test_loading_float16_weights_and_bad_cards(tmp_path):
    lm = _model("lstm")
    _save(lm, tmp_path, "lm_lstm")
    loaded = load_language_model("lm_lstm", tmp_path)
    assert loaded.name == "lm_lstm" and loaded.arch == "lstm" and set(loaded.files) == {
        "lm_vocab.json", "lm_lstm.json", "lm_lstm.safetensors"}
    assert len(loaded.fingerprint) == 64
    half = {k: v.half().float() for k, v in lm.model.state_dict().items()}
    assert all(torch.equal(half[k], v) for k, v in loaded.model.state_dict().items())
    assert loaded.analyze(TEXT).trace.num_steps == len(lm_characters(TEXT)) + 1
    with pytest.raises(PretrainedError) as err:
        load_language_model("lm_gru", tmp_path)
    assert err.value.code == "file_missing"
    _save(_model("gru"), tmp_path, "lm_gru", task="sentiment")
    with pytest.raises(PretrainedError) as err:
        load_language_model("lm_gru", tmp_path)
    assert err.value.code == "bad_config"
    with pytest.raises(ValueError, match="language model"):
        load_pretrained("lm_lstm", tmp_path)


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_batched_traces_equal_one_text_at_a_time(arch):
    lm = _model(arch)
    texts = [TEXT, "好", "不好吃，太贵了！手机买了 2 个月就坏了"]
    for text, trace in zip(texts, lm.traces(texts, batch_size=2)):
        alone = lm.analyze(text).trace
        assert trace.tokens == alone.tokens
        for name, values in alone.states().items():
            assert np.abs(trace.state(name) - values).max() <= TOL, name


def test_analysis_in_small_chunks_equals_one_chunk():
    lm = _model("lstm")
    tokens, ids = encode_text(TEXT, lm.vocab)
    trace = lm.model.record(torch.from_numpy(ids), tokens)
    whole, chunked = next_characters(lm.model, trace, ids, lm.vocab), next_characters(lm.model, trace, ids, lm.vocab,
                                                                                      chunk=4)
    assert chunked.top_tokens == whole.top_tokens
    for name in ("top_probabilities", "actual", "surprise", "entropy"):
        np.testing.assert_array_equal(getattr(chunked, name), getattr(whole, name))
    one = lm.analyze("好")
    assert one.tokens == (BOS, "好") and np.isfinite(one.surprise[0]) and np.isnan(one.surprise[1])


def _adaptive(arch: str = "lstm") -> CharLanguageModel:
    torch.manual_seed(3)
    return CharLanguageModel(LanguageModelConfig(arch=arch, vocab_size=40, embed_dim=6, hidden_size=8,
                                                 cutoffs=(5, 20), div_value=2.0)).eval()


def test_the_adaptive_head_gives_a_whole_distribution_at_every_step():
    log_probs, _ = _adaptive()(torch.tensor([[2, 7, 30, 4]]))
    assert log_probs.shape == (1, 4, 40)
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(1, 4), atol=1e-5)


def test_the_training_loss_is_the_mean_surprise_of_the_distribution_the_page_shows():
    """The adaptive head's loss is computed cluster by cluster; it must equal the NLL of ``log_probs``, or the
    model would be trained on one distribution and shown with another."""
    for model in (_adaptive(), _adaptive("gru")):
        ids = torch.tensor([[2, 7, 30, 4, 0], [2, 11, 39, 12, 25]])  # one padded row
        log_probs, _ = model(ids[:, :-1])
        targets = ids[:, 1:].flatten()
        expected = torch.nn.functional.nll_loss(log_probs.flatten(0, 1), targets, ignore_index=0)
        assert torch.allclose(model.loss(ids), expected, atol=1e-5)


def test_cutoffs_must_rise_inside_the_vocabulary():
    for cutoffs in ((20, 5), (5, 40), (0, 5), (5, 5)):
        with pytest.raises(ValueError, match="cutoffs"):
            LanguageModelConfig(arch="rnn", vocab_size=40, cutoffs=cutoffs)
    assert LanguageModelConfig.from_dict({"arch": "rnn", "vocab_size": 40, "cutoffs": [5, 20]}).cutoffs == (5, 20)


def test_an_adaptive_head_loads_from_float16_and_its_top_five_are_torchs(tmp_path):
    lm = _model("gru", cutoffs=(5, 12))
    _save(lm, tmp_path, "lm_gru")
    loaded = load_language_model("lm_gru", tmp_path)
    assert loaded.model.config.cutoffs == (5, 12)
    analysis = loaded.analyze(TEXT)
    tokens, ids = encode_text(TEXT, loaded.vocab)
    with torch.inference_mode():
        hidden = loaded.model.rnn(loaded.model.embedding(torch.from_numpy(ids))[None])[0][0]
        expected = loaded.model.head.log_prob(hidden).double().exp().numpy()  # torch's own adaptive softmax
    for t in range(len(ids)):
        top = np.argsort(-expected[t])[:5]
        assert analysis.top_tokens[t] == tuple(loaded.vocab.tokens[i] for i in top)
        assert np.allclose(analysis.top_probabilities[t], expected[t, top], atol=1e-6)
