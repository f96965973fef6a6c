"""The shipped models through load_pretrained: predictions, analysis, faithfulness, and bad files."""
from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from sklearn.metrics import accuracy_score, f1_score

from models.pretrained import ARCHS, PRETRAINED_DIR, EmptyTextError, PretrainedError, load_pretrained
from models.training.corpus import Example, load_corpus, text_hash

POSITIVE = "我很喜欢这款手机，它的拍照功能很强大。"
NEGATIVE = "这个热水器太费电了，千万不能买。"
CHUNK = 128  # test texts per forward pass


@pytest.fixture(scope="module", params=ARCHS)
def model(request):
    return load_pretrained(request.param)


def _torch_outputs(model, tokens) -> torch.Tensor:
    """(T, H): torch's own nn module over ``tokens`` alone, unpadded, no recorder involved."""
    ids = torch.from_numpy(model.vocab.encode(list(tokens)).ids)[None]
    with torch.inference_mode():
        return model.model.rnn(model.model.embedding(ids))[0][0]


def _torch_probabilities(model, tokens) -> np.ndarray:
    """(T, C): softmax of the head on torch's output after every token."""
    with torch.inference_mode():
        return torch.softmax(model.model.head(_torch_outputs(model, tokens)), dim=-1).numpy()


def test_sanity_sentences(model):
    found = model.predict([POSITIVE, NEGATIVE])
    assert [f["label"] for f in found] == ["positive", "negative"]
    # In a padded batch of two, each text gets what torch gives it alone.
    for text, f in zip((POSITIVE, NEGATIVE), found):
        expected = _torch_probabilities(model, model.tokens(text))[-1]
        assert f["label"] == model.labels[int(expected.argmax())]
        np.testing.assert_allclose(f["probability"], expected.max(), atol=1e-5)


def test_the_card_describes_the_shipped_weights(model):
    card = json.loads((PRETRAINED_DIR / f"{model.arch}.json").read_text(encoding="utf-8"))
    assert card["parameters"] == model.parameter_count
    assert card["config"]["arch"] == model.arch
    assert card["weights_bytes"] == (PRETRAINED_DIR / f"{model.arch}.safetensors").stat().st_size


@pytest.fixture(scope="module")
def test_split() -> list[Example]:
    """The test texts that pretrained/split.json names (by hash), with their labels, shortest first."""
    split = json.loads((PRETRAINED_DIR / "split.json").read_text(encoding="utf-8"))
    wanted = set(split["test"])
    found = [e for e in load_corpus()[0] if text_hash(e.text) in wanted]
    assert len(found) == len(wanted)
    return sorted(found, key=lambda e: len(e.text))  # similar lengths in a batch: little padding


@pytest.fixture(scope="module")
def split_tokens(test_split):
    """model -> its tokens of every test text; models that read alike (one vocabulary) share one segmentation."""
    made = {}

    def tokens_of(model) -> list[list[str]]:
        key = (model.mode, model.char_fallback, model.files["vocab.json"])
        if key not in made:
            made[key] = [model.tokens(e.text) for e in test_split]
        return made[key]

    return tokens_of


@pytest.mark.e2e
def test_the_card_test_metrics_are_the_shipped_weights_on_the_test_split(model, test_split, split_tokens):
    """The stored weights, reading the page's tokens, score on the test split what the card says, to its 4 decimals."""
    tokens = split_tokens(model)
    predicted = []
    with torch.inference_mode():
        for start in range(0, len(tokens), CHUNK):
            ids, lengths, _ = model.encode(tokens[start : start + CHUNK])
            predicted += model.model(ids, lengths).argmax(dim=1).tolist()
    truth = [e.label for e in test_split]
    card = json.loads((PRETRAINED_DIR / f"{model.arch}.json").read_text(encoding="utf-8"))["metrics"]["test"]
    assert card["examples"] == len(truth)
    assert card["accuracy"] == round(accuracy_score(truth, predicted), 4)
    assert card["macro_f1"] == round(f1_score(truth, predicted, average="macro"), 4)


def test_analyze_is_the_recorded_forward(model):
    analysis = model.analyze(POSITIVE)
    trace = analysis.trace
    assert trace.tokens == analysis.tokens and len(analysis.unknown) == len(analysis.tokens)
    assert trace.cell_type == model.arch and trace.hidden.shape[:3] == (1, 1, len(analysis.tokens))
    assert analysis.unknown == tuple(model.vocab.id_of(tok) is None for tok in analysis.tokens)
    # Every per-step probability is the head on torch's own output after that token.
    np.testing.assert_allclose(analysis.probabilities, _torch_probabilities(model, analysis.tokens), atol=1e-5)
    # The prediction is the model's own forward() (packed, batched) on the same text.
    found = model.predict([POSITIVE])[0]
    assert found["label"] == analysis.label
    np.testing.assert_allclose(found["probability"], analysis.probability, atol=1e-5)
    # Each per-step probability equals the model run on that prefix alone.
    prefix = list(analysis.tokens[:3])
    np.testing.assert_allclose(model.analyze_tokens(prefix).probabilities[-1], analysis.probabilities[2], atol=1e-5)


def test_unknown_words_are_marked_and_english_is_mostly_unknown():
    model = load_pretrained("lstm")
    analysis = model.analyze("The quick brown fox jumps over the lazy dog")
    assert analysis.unknown_share > 0.5
    assert model.analyze("我爱人工智能").unknown_share < 0.5


@pytest.mark.parametrize("text", ["", "   ", "\u200b\n"])
def test_empty_text_is_a_clear_error(model, text):
    with pytest.raises(EmptyTextError):
        model.analyze(text)
    with pytest.raises(EmptyTextError):
        model.predict([POSITIVE, text])


def test_unknown_name():
    with pytest.raises(ValueError, match="no model is called 'transformer'"):
        load_pretrained("transformer")
    with pytest.raises(ValueError, match="no model is called 'lstm_3layer'"):
        load_pretrained("lstm_3layer")


@pytest.fixture
def copy_dir(tmp_path):
    target = tmp_path / "pretrained"
    shutil.copytree(PRETRAINED_DIR, target)
    return target


def test_missing_weights_names_the_file(copy_dir):
    (copy_dir / "gru.safetensors").unlink()
    with pytest.raises(PretrainedError, match="gru.safetensors.*missing"):
        load_pretrained("gru", copy_dir)


def test_truncated_weights_name_the_file(copy_dir):
    path = copy_dir / "lstm.safetensors"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(PretrainedError, match="lstm.safetensors"):
        load_pretrained("lstm", copy_dir)


def _wrong_shape(tensors):
    tensors["head.weight"] = torch.zeros(3, tensors["head.weight"].shape[1])


def _missing(tensors):
    del tensors["head.bias"]


def _not_finite(tensors):
    tensors["head.bias"][0] = float("nan")


@pytest.mark.parametrize(("arch", "spoil", "message"), [
    ("rnn", _wrong_shape, "head.weight"), ("rnn", _missing, "missing.*head.bias"), ("gru", _not_finite, "NaN"),
])
def test_spoilt_weights_are_refused_with_the_tensor_named(copy_dir, arch, spoil, message):
    path = copy_dir / f"{arch}.safetensors"
    tensors = load_file(str(path))
    spoil(tensors)
    save_file(tensors, str(path))
    with pytest.raises(PretrainedError, match=message):
        load_pretrained(arch, copy_dir)


def test_corrupt_vocab_names_the_file(copy_dir):
    (copy_dir / "vocab.json").write_text("[1, 2", encoding="utf-8")
    with pytest.raises(PretrainedError, match="vocab.json"):
        load_pretrained("lstm", copy_dir)


def test_corrupt_card_names_the_file(copy_dir):
    (copy_dir / "lstm.json").write_text("{}", encoding="utf-8")
    with pytest.raises(PretrainedError, match="lstm.json"):
        load_pretrained("lstm", copy_dir)


def test_pretrained_is_small_and_has_no_pickles():
    files = list(PRETRAINED_DIR.iterdir())
    assert sum(f.stat().st_size for f in files) < 60 * 10**6  # the wave's budget ("Model files" in DESIGN.md)
    assert {f.suffix for f in files} <= {".json", ".safetensors"}


def test_recording_error_holds_the_gates_to_torch(model):
    """The page's faithfulness badge: tiny for the recorded gates, large when a gate is off by a step."""
    analysis = model.analyze(NEGATIVE)
    assert model.recording_error(analysis) < 1e-5
    trace = analysis.trace
    shifted = {name: {k: np.roll(v, 1, axis=2) for k, v in getattr(trace, name).items()} for name in ("gates", "terms")}
    broken = dataclasses.replace(analysis, trace=dataclasses.replace(trace, **shifted))
    assert model.recording_error(broken) > 1e-3


def test_float16_weights_in_a_folder_load_as_float32(copy_dir):
    """DESIGN: float16 storage fits the folder under its size; the loader casts to float32."""
    path = copy_dir / "lstm.safetensors"
    stored = {name: tensor.half() for name, tensor in load_file(str(path)).items()}
    save_file(stored, str(path))
    model = load_pretrained("lstm", copy_dir)
    for name, tensor in model.model.state_dict().items():
        assert tensor.dtype == torch.float32, name
        np.testing.assert_array_equal(tensor.numpy(), stored[name].float().numpy())
    assert path.stat().st_size < (PRETRAINED_DIR / "lstm.safetensors").stat().st_size * 0.6
    assert model.predict([POSITIVE])[0]["label"] == "positive"


def test_load_errors_carry_a_code_and_the_file(copy_dir):
    (copy_dir / "gru.safetensors").unlink()
    with pytest.raises(PretrainedError) as caught:
        load_pretrained("gru", copy_dir)
    assert caught.value.code == "file_missing"
    assert caught.value.fields == {"where": str(copy_dir / "gru.safetensors"), "kind": "weights"}
    assert str(caught.value) == f"{copy_dir / 'gru.safetensors'}: weight file is missing"
