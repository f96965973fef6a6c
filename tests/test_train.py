"""Training code on a tiny slice of the corpus: it writes exactly the expected files, and they load."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from models.classifier import RecurrentClassifier
from models.pretrained import load_pretrained
from models.training.corpus import LABELS, load_corpus, split_corpus, text_hash, unique_texts
from models.training.train import TrainSettings, run


def test_corpus_is_deduplicated_and_split_without_leaks():
    examples, stats = load_corpus()
    assert stats.unique == len(unique_texts()) == 17410
    assert stats.kept == len(examples) == stats.unique - stats.contradictory
    parts = split_corpus(examples)
    hashes = {k: {text_hash(e.text) for e in v} for k, v in parts.items()}
    assert not hashes["train"] & hashes["test"] and not hashes["validation"] & hashes["test"]
    assert sum(len(v) for v in parts.values()) == len(examples)
    for part in parts.values():  # stratified: the positive share is the same everywhere, within 1%
        share = sum(e.label for e in part) / len(part)
        assert abs(share - sum(e.label for e in examples) / len(examples)) < 0.01
    assert split_corpus(examples)["test"] == parts["test"]  # seeded


@pytest.mark.e2e  # a real training run, on a slice of the corpus
def test_training_writes_exactly_the_shipped_files(tmp_path, monkeypatch):
    made = []  # every classifier training makes; the last of each arch is the one it saved
    init = RecurrentClassifier.__init__

    def remember(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(RecurrentClassifier, "__init__", remember)
    settings = TrainSettings(epochs=1, threads=1)
    run(["gru", "rnn"], tmp_path, settings, limit=200)
    monkeypatch.undo()
    trained = {model.config.arch: model.eval() for model in made}
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["comparison.json", "gru.json", "gru.safetensors", "rnn.json", "rnn.safetensors",
                     "split.json", "vocab.json"]
    card = json.loads((tmp_path / "gru.json").read_text(encoding="utf-8"))
    assert set(card["metrics"]) == {"validation", "test"}
    assert {"accuracy", "macro_f1"} <= set(card["metrics"]["test"])
    comparison = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    assert set(comparison["models"]) == {"gru", "rnn"} and "test" in comparison["baseline"]
    # The files alone give back the trained model: loaded from them, each model's logits are the
    # in-memory model's, and through the page's own tokenizer it scores exactly the accuracy its
    # card recorded in training.
    examples, _ = load_corpus()
    split = json.loads((tmp_path / "split.json").read_text(encoding="utf-8"))
    for arch in ("gru", "rnn"):
        card = json.loads((tmp_path / f"{arch}.json").read_text(encoding="utf-8"))
        model = load_pretrained(arch, tmp_path)
        assert model.parameter_count == card["parameters"]
        for part in ("validation", "test"):
            chosen = set(split[part])
            held_out = [e for e in examples if text_hash(e.text) in chosen]
            ids, lengths, _ = model.encode([model.tokens(e.text) for e in held_out])
            with torch.inference_mode():
                np.testing.assert_allclose(model.model(ids, lengths).numpy(), trained[arch](ids, lengths).numpy(),
                                           atol=1e-6, rtol=0)
            found = model.predict([e.text for e in held_out])
            right = sum(f["label"] == LABELS[e.label] for f, e in zip(found, held_out))
            assert card["metrics"][part]["examples"] == len(held_out) > 0
            assert card["metrics"][part]["accuracy"] == round(right / len(held_out), 4), (arch, part)


@pytest.mark.e2e  # a real training run, on a slice of the corpus
def test_augmentation_sees_the_training_split_only_and_cards_record_every_seed(tmp_path, monkeypatch):
    import models.training.train as train

    seen = {}
    real = train.augment

    def spy(token_lists, labels, segment, settings):
        seen["texts"] = {"".join(tokens) for tokens in token_lists}
        return real(token_lists, labels, segment, settings)

    monkeypatch.setattr(train, "augment", spy)
    run(["rnn"], tmp_path, TrainSettings(epochs=1, threads=1), limit=200, seeds=2)
    examples, _ = load_corpus()
    parts = split_corpus(examples)
    stride = max(1, len(examples) // 200)
    from models.tokenize import tokenize
    expected = {"".join(tokenize(e.text)) for e in parts["train"][::stride]}
    held_out = {"".join(tokenize(e.text)) for k in ("validation", "test") for e in parts[k][::stride]}
    assert seen["texts"] == expected and not seen["texts"] & held_out
    card = json.loads((tmp_path / "rnn.json").read_text(encoding="utf-8"))
    runs = card["seeds"]["runs"]
    assert [r["seed"] for r in runs] == [0, 1]
    assert card["seeds"]["shipped"] == card["training"]["seed"]
    shipped = next(r for r in runs if r["seed"] == card["seeds"]["shipped"])
    assert shipped["test"] == card["metrics"]["test"] and shipped["suites"] == card["suites"]
    assert {"contrast", "negation", "lesson"} <= set(card["suites"])
    accuracies = [r["test"]["accuracy"] for r in runs]
    summary = card["seeds"]["summary"]["test_accuracy"]
    assert summary["mean"] == pytest.approx(sum(accuracies) / 2, abs=1e-4)
    assert summary["std"] == pytest.approx(abs(accuracies[0] - accuracies[1]) / 2 ** 0.5, abs=1e-4)
    added = card["data"]["augmentation"]["added"]
    assert added["contrast"] > 0 and added["additive"] > 0 and added["multi"] > 0


def test_the_shipped_seed_reads_the_lessons_and_has_the_middle_validation_score():
    from models.training.train import median_run

    reads = {"lesson": {"accuracy": 1.0, "turn_rate": 1.0}}
    misreads = {"lesson": {"accuracy": 2 / 3, "turn_rate": 0.0}}
    runs = [{"validation": {"accuracy": a}, "suites": reads} for a in (0.80, 0.86, 0.83)]
    assert median_run(runs) == 2
    assert median_run(runs[:1]) == 0
    assert median_run(runs[:2]) == 0  # lower middle of two
    runs[2]["suites"] = misreads  # the median misreads the long review: the middle of the other two
    assert median_run(runs) == 0
    assert median_run([{**r, "suites": misreads} for r in runs]) == 2  # none reads them: all count


def test_negation_texts_come_from_the_training_split_only_and_the_card_says_what_was_made(tmp_path, monkeypatch):
    import models.training.train as train
    from models.tokenize import tokenize
    from models.training.negate import NegateSettings

    seen = {}
    real = train.negate

    def spy(token_lists, labels, segment, tag_of, settings):
        seen["texts"] = {"".join(tokens) for tokens in token_lists}
        seen["made"] = real(token_lists, labels, segment, tag_of, settings)
        return seen["made"]

    monkeypatch.setattr(train, "negate", spy)
    run(["rnn"], tmp_path, TrainSettings(epochs=1, threads=1), limit=400,
        negation=NegateSettings(negated=3000, double=600))
    examples, _ = load_corpus()
    parts = split_corpus(examples)
    stride = max(1, len(examples) // 400)
    held_out = {"".join(tokenize(e.text)) for k in ("validation", "test") for e in parts[k][::stride]}
    assert seen["texts"] == {"".join(tokenize(e.text)) for e in parts["train"][::stride]}
    assert not seen["texts"] & held_out
    card = json.loads((tmp_path / "rnn.json").read_text(encoding="utf-8"))
    negation = card["data"]["augmentation"]["negation"]
    assert negation["added"] == seen["made"].counts() and negation["added"]["negated"] == round(3000 / stride)
    assert negation["negators_adjective"] and negation["opinion_verbs"]
    assert set(card["heldout_suites"]) == {"negation_heldout"}
    assert "flip_rate" in card["heldout_suites"]["negation_heldout"]


@pytest.mark.e2e  # a real training run, on a slice of the corpus
def test_a_float16_bidirectional_variant_is_named_by_its_shape_and_scored_as_stored(tmp_path):
    from safetensors import safe_open

    run(["rnn"], tmp_path, TrainSettings(epochs=1, threads=1, bidirectional=True, float16=True), limit=200)
    assert {"rnn_bi.json", "rnn_bi.safetensors"} <= {p.name for p in tmp_path.iterdir()}
    assert not (tmp_path / "rnn.json").exists()
    with safe_open(str(tmp_path / "rnn_bi.safetensors"), framework="pt") as handle:
        assert {handle.get_slice(name).get_dtype() for name in handle.keys()} == {"F16"}
    card = json.loads((tmp_path / "rnn_bi.json").read_text(encoding="utf-8"))
    assert card["weights_dtype"] == "float16" and card["config"]["bidirectional"] is True
    assert card["config"]["task"] == "sentiment" and "last step's loss only" in card["architecture"]
    model = load_pretrained("rnn_bi", tmp_path)  # cast back to float32: the numbers the card was scored on
    examples, _ = load_corpus()
    chosen = set(json.loads((tmp_path / "split.json").read_text(encoding="utf-8"))["test"])
    held_out = [e for e in examples if text_hash(e.text) in chosen]
    found = model.predict([e.text for e in held_out])
    right = sum(f["label"] == LABELS[e.label] for f, e in zip(found, held_out))
    assert card["metrics"]["test"]["accuracy"] == round(right / len(held_out), 4)
