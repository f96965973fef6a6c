"""The memory race: the generator's promises, and training that writes cards a page can draw the curve from."""
from __future__ import annotations

import json
from collections import Counter

import pytest
import torch

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.training.race import CLUES, QUERY, distractor_words, is_distractor, race_items, sequence
from models.training.train_race import (
    RaceSettings,
    _median_seed,
    accuracy_by_gap,
    as_stored,
    race_vocabulary,
    run,
    train_one,
)

WORDS = ("手机", "电池", "服务", "价格", "房间", "书", "快递", "味道")


def test_the_answer_is_always_the_clue_and_the_gap_is_the_distractors_between():
    for item in race_items(200, [0, 3, 17], WORDS, seed=1):
        assert item.tokens[0] == CLUES[item.clue] and item.tokens[-1] == QUERY
        assert len(item.tokens) == item.gap + 2
        assert all(tok in WORDS for tok in item.tokens[1:-1])


def test_clues_and_gaps_are_balanced_and_generation_is_seeded():
    items = race_items(8 * 3 * 5, [1, 10, 100], WORDS, seed=2)
    assert set(Counter(i.clue for i in items).values()) == {15}
    assert set(Counter(i.gap for i in items).values()) == {40}
    assert set(Counter((i.clue, i.gap) for i in items).values()) == {5}
    assert race_items(50, [4], WORDS, seed=3) == race_items(50, [4], WORDS, seed=3)
    assert race_items(50, [4], WORDS, seed=3) != race_items(50, [4], WORDS, seed=4)


def test_no_clue_or_query_ever_fills_a_gap():
    texts = [["红", "手机", "很", "好", "红色", "？", "ok", "，", "蓝天"], ["手机", "电池", "手机"]]
    words = distractor_words(texts)
    assert words[0] == "手机" and not {"红", "红色", "蓝天", QUERY, "ok", "，"} & set(words)
    assert not is_distractor("紫色") and is_distractor("服务")
    with pytest.raises(ValueError):
        race_items(8, [2], ("手机", "绿"), seed=0)
    with pytest.raises(ValueError):
        sequence(len(CLUES), ["手机"])
    assert sequence(2, ["手机", "书"]) == (CLUES[2], "手机", "书", QUERY)


def test_an_lstm_learns_the_race_and_its_card_holds_every_gap(tmp_path):
    settings = RaceSettings(steps=120, train_gaps=(1, 4), threads=1)
    cards = run(["lstm"], tmp_path, settings, seeds=2, distractors=WORDS, max_gap=6)
    card = json.loads((tmp_path / "race_lstm.json").read_text(encoding="utf-8"))
    assert card == json.loads(json.dumps(cards["lstm"]))
    assert card["config"]["task"] == "race" and card["config"]["vocabulary"] == "race_vocab.json"
    runs = card["seeds"]["runs"]
    assert [r["seed"] for r in runs] == [0, 1] and all(len(r["accuracy_by_gap"]) == 6 for r in runs)
    assert card["seeds"]["shipped"] == runs[_median_seed(runs, 4)]["seed"]
    assert max(r["accuracy_by_gap"]["1"] for r in runs) > 0.5  # well above chance (1/8) at a gap of one
    assert (tmp_path / "race_vocab.json").is_file() and (tmp_path / "race_lstm.safetensors").is_file()


def test_the_card_is_measured_on_the_weights_as_stored():
    vocab = race_vocabulary(WORDS)
    model = train_one("gru", vocab, WORDS, RaceSettings(steps=5, threads=1))
    stored = as_stored(model)
    for name, tensor in stored.state_dict().items():
        assert torch.equal(tensor, model.state_dict()[name].half().float())
    assert accuracy_by_gap(stored, vocab, WORDS, max_gap=3).keys() == {1, 2, 3}


def test_the_shipped_seed_is_the_median_at_the_longest_trained_gap():
    runs = [{"seed": s, "accuracy_by_gap": {"50": a}} for s, a in ((0, 0.9), (1, 0.5), (2, 0.7))]
    assert runs[_median_seed(runs, 50)]["seed"] == 2


def test_frozen_embeddings_keep_their_random_vectors_and_the_rest_learns():
    vocab = race_vocabulary(WORDS)
    torch.manual_seed(0)
    untrained = RecurrentClassifier(ClassifierConfig(arch="rnn", vocab_size=len(vocab), embed_dim=16, hidden_size=32,
                                                     num_classes=len(CLUES), labels=CLUES))
    frozen = train_one("rnn", vocab, WORDS, RaceSettings(steps=5, threads=1, frozen_embeddings=True))
    learned = train_one("rnn", vocab, WORDS, RaceSettings(steps=5, threads=1))
    assert torch.equal(frozen.embedding.weight, untrained.embedding.weight)  # the same seed draws the same vectors
    assert not torch.equal(learned.embedding.weight, untrained.embedding.weight)
    assert not torch.equal(frozen.rnn.weight_hh_l0, untrained.rnn.weight_hh_l0)
