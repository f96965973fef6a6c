"""Training code on a tiny slice, in seconds: it writes exactly the expected files, and they load."""
from __future__ import annotations

import json

from models.corpus import load_corpus, split_corpus, text_hash, unique_texts
from models.pretrained import load_pretrained
from models.train import TrainSettings, run


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


def test_training_writes_exactly_the_shipped_files(tmp_path):
    settings = TrainSettings(epochs=1, threads=1)
    run(["gru", "rnn"], tmp_path, settings, limit=200)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["comparison.json", "gru.json", "gru.safetensors", "rnn.json", "rnn.safetensors",
                     "split.json", "vocab.json"]
    card = json.loads((tmp_path / "gru.json").read_text(encoding="utf-8"))
    assert set(card["metrics"]) == {"validation", "test"}
    assert {"accuracy", "macro_f1"} <= set(card["metrics"]["test"])
    comparison = json.loads((tmp_path / "comparison.json").read_text(encoding="utf-8"))
    assert set(comparison["models"]) == {"gru", "rnn"} and "test" in comparison["baseline"]
    model = load_pretrained("gru", tmp_path)
    assert model.predict(["很好"])[0]["label"] in ("positive", "negative")
