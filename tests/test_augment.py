"""Contrast-aware augmentation: made of training reviews only, with the right labels and step targets."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.tokenize import tokenize
from models.training.augment import ADDITIVE, CONCESSIVE, CONTRAST, AugmentSettings, augment, clause
from models.training.train import IGNORE, Encoded, _batches, _loss, encode
from models.vocab import Vocabulary

POSITIVE = ["房间很干净", "服务热情周到", "味道非常好", "物流很快", "屏幕清晰好看", "价格实惠划算"]
NEGATIVE = ["房间太脏了", "服务员态度很差", "菜太咸了", "物流慢得要命", "电池不耐用", "质量差劲"]


@pytest.fixture(scope="module")
def training():
    texts = POSITIVE + NEGATIVE
    return [tokenize(t) for t in texts], [1] * len(POSITIVE) + [0] * len(NEGATIVE)


@pytest.fixture(scope="module")
def added(training):
    tokens, labels = training
    return augment(tokens, labels, tokenize, AugmentSettings(contrast=90, additive=40, multi=20, multi_parts=(2, 3),
                                                             min_part_tokens=2, seed=3))


def test_clause_drops_list_markers_and_end_punctuation_only():
    assert clause(["1", "、", "没有", "驱动", "。"]) == ["没有", "驱动"]
    assert clause(["3", ".", "底面", "掉漆", "!", "!"]) == ["底面", "掉漆"]
    assert clause(["388", "元", "的", "房间"]) == ["388", "元", "的", "房间"]  # a price, not a list number
    assert clause(["好", ",", "很", "好"]) == ["好", ",", "很", "好"]


def test_every_text_is_rebuilt_from_its_training_parts_and_connective(training, added):
    """Nothing but training reviews and the connective enters a text: each is rebuilt exactly from its sources."""
    tokens, labels = training
    comma, lead = tokenize("，"), tokenize(CONCESSIVE.split("…")[0])
    assert added.counts()["contrast"] == 90 and added.counts()["additive"] == 40 and added.counts()["multi"] == 20
    for k in range(len(added)):
        parts = [clause(tokens[i]) for i in added.sources[k]]
        if added.kinds[k] == "multi":
            expected = [tok for part in parts for tok in (*part, "。")]
        else:
            turn = tokenize(added.connectives[k].split("…")[-1])
            pre = lead if added.connectives[k] == CONCESSIVE else []
            expected = [*pre, *parts[0], *comma, *turn, *parts[1]]
        assert added.tokens[k] == expected


def test_labels_and_step_targets_follow_the_clause_read_so_far(training, added):
    _, labels = training
    for k in range(len(added)):
        src = [labels[i] for i in added.sources[k]]
        targets = added.targets[k]
        assert len(targets) == len(added.tokens[k]) and added.labels[k] == targets[-1]
        if added.kinds[k] == "multi":
            assert len(set(src)) == 1 and set(targets.tolist()) == {src[0]}
            continue
        first, second = src
        assert added.labels[k] == second
        assert (first != second) == (added.kinds[k] == "contrast")
        assert added.connectives[k] in (CONTRAST if added.kinds[k] == "contrast" else ADDITIVE)
        turn_at = len(added.tokens[k]) - len(clause(training[0][added.sources[k][1]])) \
            - len(tokenize(added.connectives[k].split("…")[-1]))
        assert added.tokens[k][turn_at - 1] == ","  # the comma still belongs to A
        assert set(targets[:turn_at].tolist()) == {first} and set(targets[turn_at:].tolist()) == {second}


def test_every_connective_is_used_and_labels_are_balanced(added):
    counts = added.counts()["connectives"]
    assert all(counts[c] == 10 for c in CONTRAST) and all(counts[c] == 10 for c in ADDITIVE)
    assert 0.3 < added.labels.mean() < 0.7


def test_augmentation_is_seeded(training):
    tokens, labels = training
    one = augment(
        tokens, labels, tokenize, AugmentSettings(contrast=30, additive=10, multi=5, min_part_tokens=2, seed=1)
    )
    two = augment(tokens, labels, tokenize,
                  AugmentSettings(contrast=30, additive=10, multi=5, min_part_tokens=2, seed=1))
    other = augment(tokens, labels, tokenize,
                    AugmentSettings(contrast=30, additive=10, multi=5, min_part_tokens=2, seed=2))
    assert one.tokens == two.tokens and one.sources == two.sources
    assert one.sources != other.sources


def test_parts_that_turn_by_themselves_are_never_used():
    tokens = [tokenize(t) for t in ["房间很干净但是很吵", "味道非常好", "服务热情", "菜太咸了", "物流太慢了"]]
    added = augment(tokens, [1, 1, 1, 0, 0], tokenize,
                    AugmentSettings(contrast=40, additive=10, multi=0, min_part_tokens=2))
    assert all(0 not in sources for sources in added.sources)


def test_encode_repeats_a_step_target_over_the_characters_of_a_split_word():
    vocab = Vocabulary(("<pad>", "<unk>", "好", "差", ",", "但是", "服", "务"), {"mode": "word", "char_fallback": True})
    data = encode([["好", ",", "但是", "服务", "差"]], [0], vocab, None, [np.array([1, 1, 0, 0, 0])])
    assert data.ids[0].tolist() == [2, 4, 5, 6, 7, 3]  # 服务 is unknown, read as 服, 务
    assert data.targets[0].tolist() == [1, 1, 0, 0, 0, 0]
    plain = encode([["好", "差"]], [1], vocab, 1)
    assert plain.ids[0].tolist() == [2] and plain.targets[0].tolist() == [1]


def test_step_loss_uses_each_steps_own_target():
    torch.manual_seed(0)
    model = RecurrentClassifier(ClassifierConfig(arch="gru", vocab_size=10, embed_dim=4, hidden_size=3)).eval()
    data = Encoded([np.array([2, 3, 4]), np.array([5, 6])], np.array([0, 1]), [np.array([1, 1, 0]), np.array([1, 1])])
    ids, lengths, labels, targets = next(_batches(data, 8, None))
    assert targets.tolist() == [[1, 1, IGNORE], [1, 1, 0]]  # shortest first, padded with IGNORE
    logits = model.step_logits(ids, lengths)
    want_last = torch.nn.functional.cross_entropy(logits[torch.arange(2), lengths - 1], labels)
    steps = [(row, t) for row in range(2) for t in range(int(lengths[row]))]
    want_steps = torch.stack([torch.nn.functional.cross_entropy(logits[r, t][None], targets[r, t][None])
                              for r, t in steps]).mean()
    torch.testing.assert_close(_loss(model, ids, lengths, labels, targets, 0.5), want_last + 0.5 * want_steps)
