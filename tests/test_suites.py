"""The suite runner on a hand-built model whose every prediction can be worked out by hand."""
from __future__ import annotations

import math

import pytest
import torch

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.pretrained import PretrainedModel
from models.training.corpus import unique_texts
from models.training.suites import (
    HELDOUT_SUITES,
    NEGATED,
    PLAIN,
    SUITES,
    SUITES_DIR,
    flip_outcomes,
    halves,
    load_suite,
    run_suite,
    score_suites,
    summarize,
    turn_step,
)
from models.vocab import Vocabulary

WORDS = ("<pad>", "<unk>", "好", "差", ",", "但是", "菜", "服务", "也", "不")
VALUE = {"好": 3.0, "差": -3.0}  # every other token reads as 0


@pytest.fixture(scope="module")
def last_word_model() -> PretrainedModel:
    """A one-unit tanh RNN: h_t = tanh(v(x_t) + h_{t-1}); positive iff h > 0. Sentiment words overwrite memory."""
    model = RecurrentClassifier(ClassifierConfig(arch="rnn", vocab_size=len(WORDS), embed_dim=1, hidden_size=1))
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for word, value in VALUE.items():
            model.embedding.weight[WORDS.index(word), 0] = value
        model.rnn.weight_ih_l0.fill_(1.0)
        model.rnn.weight_hh_l0.fill_(1.0)
        model.head.weight.copy_(torch.tensor([[-5.0], [5.0]]))
    vocab = Vocabulary(WORDS, {"mode": "word", "char_fallback": True})
    return PretrainedModel(model, vocab, {})


def _write(path, header, rows):
    path.write_text("\n".join(["\t".join(header), *("\t".join(r) for r in rows)]) + "\n", encoding="utf-8")
    return path


def test_turn_step_is_the_last_token_before_the_connective():
    tokens = ["我", "很", "好", ",", "但是", "差"]
    assert turn_step(tokens, "".join(tokens), "但是") == 3
    assert turn_step(["但是", "差"], "但是差", "但是") == -1  # nothing read before it
    assert turn_step(["好", ",", "只是有点"], "好,只是有点", "只是") == 1  # inside a longer token
    with pytest.raises(ValueError, match="不过"):
        turn_step(tokens, "".join(tokens), "不过")


def test_contrast_accuracy_and_turn_rate_by_hand(tmp_path, last_word_model):
    path = _write(tmp_path / "contrast.tsv", ("text", "label", "connective", "domain"), [
        ("菜好，但是服务差", "negative", "但是", "food"),  # + at the comma, - at the end: right, turned
        ("菜差，但是服务好", "positive", "但是", "food"),  # right, turned
        ("菜好，但是服务也好", "negative", "但是", "food"),  # wrong
        ("菜差，但是服务也差", "negative", "但是", "food"),  # right, but never on the other side: not turned
    ])
    results = run_suite(last_word_model, load_suite(path))
    assert [r.right for r in results] == [True, True, False, True]
    assert [r.turned for r in results] == [True, True, False, False]
    h = 0.0
    for tok in ["菜", "好", ","]:
        h = math.tanh(VALUE.get(tok, 0.0) + h)
    p_positive = 1 / (1 + math.exp(-10 * h))
    assert results[0].probabilities[2, 1] == pytest.approx(p_positive, abs=1e-5)
    assert [r.halves for r in results] == [("positive", "negative"), ("negative", "positive"),
                                           ("positive", "positive"), ("negative", "negative")]
    assert summarize("contrast", results) == {"examples": 4, "accuracy": 0.75, "turn_rate": 0.5,
                                              "halves_right": 0.5, "turn_rate_understood": 1.0}


def test_halves_drop_the_concessive_lead_and_the_comma():
    assert halves("虽然价格贵，但是质量好。", "但是") == ("价格贵", "质量好。")
    assert halves("菜很好吃，服务却很差。", "却") == ("菜很好吃，服务", "很差。")


def test_pair_suite_counts_pairs_with_both_right(tmp_path, last_word_model):
    _write(tmp_path / "negation.tsv", ("pair", "text", "label"), [
        ("1", "菜好", "positive"), ("1", "菜不好", "negative"),  # 不 reads as 0: both positive, one wrong
        ("2", "服务差", "negative"), ("2", "服务好", "positive"),
    ])
    assert score_suites(last_word_model, tmp_path, ("negation", "missing")) == {
        "negation": {"examples": 4, "accuracy": 0.75, "pairs_right": 0.5}}


@pytest.mark.parametrize("name", SUITES)
def test_shipped_suite_files_are_well_formed(name):
    items = load_suite(SUITES_DIR / f"{name}.tsv")
    assert items and {i.label for i in items} <= {"positive", "negative"}
    for item in items:
        if item.connective:
            assert item.text.count(item.connective) == 1, item.text
    if name == "contrast":
        assert len(items) >= 100 and sum(i.label == "positive" for i in items) * 2 == len(items)
        assert len({i.domain for i in items}) >= 7
    if name in ("negation", "intensifier", "word_order"):
        pairs = {}
        for item in items:
            pairs.setdefault(item.pair, []).append(item)
        assert all(len(v) == 2 for v in pairs.values())
        flips = name != "intensifier"
        assert all((a.label != b.label) == flips for a, b in pairs.values())
        if name == "word_order":
            assert all(sorted(a.text) == sorted(b.text) for a, b in pairs.values())


def test_flip_rate_counts_negated_sentences_only_where_the_plain_one_is_right(last_word_model, tmp_path):
    rows = [("1", PLAIN, "好", "positive"), ("1", NEGATED, "不好", "negative"),  # plain right, no flip
            ("2", PLAIN, "差", "negative"), ("2", NEGATED, "不差", "positive"),  # plain right, no flip
            ("3", PLAIN, "好", "negative"), ("3", NEGATED, "不好", "positive"),  # plain wrong: not counted
            ("4", PLAIN, "菜好", "positive"), ("4", NEGATED, "菜不好也差", "negative")]  # plain right, flips
    path = _write(tmp_path / "negation_heldout.tsv", ("pair", "form", "text", "label"), rows)
    results = run_suite(last_word_model, load_suite(path))
    assert flip_outcomes(results) == [False, False, True]
    assert summarize("negation_heldout", results)["flip_rate"] == round(1 / 3, 4)


def test_the_held_out_negation_suite_is_frozen_balanced_and_not_from_the_corpus():
    items = load_suite(SUITES_DIR / f"{HELDOUT_SUITES[0]}.tsv")
    pairs: dict[str, dict[str, object]] = {}
    for item in items:
        pairs.setdefault(item.pair, {})[item.form] = item
    assert len(items) >= 60 and all(set(p) == {PLAIN, NEGATED} for p in pairs.values())
    assert sum(i.label == "positive" for i in items) * 2 == len(items)
    assert all(p[PLAIN].label != p[NEGATED].label for p in pairs.values())
    assert all(any(neg in p[NEGATED].text for neg in "不没") for p in pairs.values())
    corpus = "\n".join(unique_texts())
    assert not [i.text for i in items if i.text.rstrip("。") in corpus]
    shared = {i.text for name in SUITES for i in load_suite(SUITES_DIR / f"{name}.tsv")}
    assert not shared & {i.text for i in items}
