"""The negation rule on a hand-built training split whose every output can be worked out by hand."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models.training.negate import (
    DOUBLE,
    NEGATORS_ADJ,
    NEGATORS_VERB,
    NegateSettings,
    carrier,
    clauses_of,
    insertion_point,
    jieba_tag,
    leaning_words,
    negate,
    polar_words,
)

TAGS = {"好": "a", "差": "a", "喜欢": "v", "贵": "a", "便宜": "a", "快": "a"}
POSITIVE = ["菜 很 好", "我 喜欢 这里", "价格 便宜", "送货 快", "环境 好"]
NEGATIVE = ["菜 很 差", "价格 贵", "服务 差", "房间 贵", "态度 差"]
SETTINGS = NegateSettings(negated=40, double=10, min_count=2, min_log_odds=0.5, min_part_tokens=2)


def _segment(text: str) -> list[str]:
    """Characters, except the known words (longest first), as a stand-in for jieba."""
    words = sorted({*TAGS, "菜", "我", "这里", "价格", "送货", "环境", "服务", "房间", "态度", "没有", "一点也不",
                    "并不", "没"}, key=len, reverse=True)
    out, i = [], 0
    while i < len(text):
        word = next((w for w in words if text.startswith(w, i)), text[i])
        out.append(word)
        i += len(word)
    return out


@pytest.fixture(scope="module")
def corpus():
    reviews = [r.split() for r in POSITIVE * 3 + NEGATIVE * 3]
    return reviews, [1] * 15 + [0] * 15


def test_polar_words_come_from_the_training_split_and_their_part_of_speech(corpus):
    tokens, labels = corpus
    leaning = leaning_words(tokens, labels, TAGS.get, SETTINGS)
    polar = polar_words(leaning, SETTINGS)
    assert polar["好"] > 0 and polar["差"] < 0 and polar["喜欢"] > 0 and polar["贵"] < 0
    assert "菜" not in leaning and "很" not in leaning  # no tag: never polar


def test_a_clause_is_carried_only_by_its_one_leaning_word_of_its_own_label():
    leaning = {"好": 1.0, "差": -1.0, "贵": -0.4}
    polar = {"好": 1.0, "差": -1.0}
    assert carrier(["菜", "很", "好"], 1, leaning, polar) == 2
    assert carrier(["菜", "很", "好"], 0, leaning, polar) is None  # the word disagrees with the label
    assert carrier(["菜", "好", "但", "贵"], 1, leaning, polar) is None  # a second leaning word
    assert carrier(["贵"], 0, leaning, polar) is None  # leans, too weakly to carry


def test_the_negator_replaces_a_degree_adverb_and_goes_before_a_causative():
    assert insertion_point(["菜", "很", "好"], 2) == (1, 2)  # 菜很好 -> 菜不好
    assert insertion_point(["这", "让", "我", "失望"], 3) == (1, 1)  # 让我失望 -> 没让我失望
    assert insertion_point(["价格", "贵"], 1) == (1, 1)


def test_clauses_split_at_punctuation():
    assert clauses_of(["菜", "好", "，", "价格", "贵", "。"]) == [["菜", "好"], ["价格", "贵"]]


def test_negated_texts_flip_their_label_at_the_negator(corpus):
    tokens, labels = corpus
    out = negate(tokens, labels, _segment, TAGS.get, SETTINGS)
    assert len(out) == 50 and out.counts()["negated"] == 40 and out.counts()["double"] == 10
    assert sorted(set(out.labels.tolist())) == [0, 1] and out.labels.sum() == 25  # balanced
    for toks, final, targets, kind, negator in zip(out.tokens, out.labels, out.targets, out.kinds, out.negators):
        text = "".join(toks)
        assert len(targets) == len(toks) and targets[-1] == final
        assert "很" not in text  # replaced by the negator
        if kind == "negated":
            assert negator in (*NEGATORS_ADJ, *NEGATORS_VERB) and negator in text
            first = next(i for i, t in enumerate(toks) if t.startswith(negator[0]))
            assert (targets[:first] == 1 - final).all() and (targets[first:] == final).all()
        else:
            assert (
                text.find(DOUBLE[0]) < text.find(DOUBLE[1], text.find(DOUBLE[0]) + len(DOUBLE[0])) and text[-1] == "的"
            )
            assert targets[0] == final and (1 - final) in targets  # turns at 没有, back at 不


def test_adjectives_take_adjective_negators(corpus):
    tokens, labels = corpus
    out = negate(tokens, labels, _segment, TAGS.get, SETTINGS)
    for word, negator, kind in zip(out.words, out.negators, out.kinds):
        if kind == "negated" and TAGS[word] == "a":
            assert negator in NEGATORS_ADJ


def test_negation_is_seeded(corpus):
    tokens, labels = corpus
    a = negate(tokens, labels, _segment, TAGS.get, SETTINGS)
    b = negate(tokens, labels, _segment, TAGS.get, SETTINGS)
    assert a.tokens == b.tokens and np.array_equal(a.labels, b.labels)


def test_jieba_tags_words_from_its_own_dictionary():
    assert jieba_tag("漂亮").startswith("a") and jieba_tag("喜欢").startswith("v") and jieba_tag("qqqq") is None


def test_affirmed_texts_are_the_clauses_unchanged_with_their_label(corpus):
    tokens, labels = corpus
    out = negate(tokens, labels, _segment, TAGS.get, replace(SETTINGS, affirmed=12))
    affirmed = [k for k, kind in enumerate(out.kinds) if kind == "affirmed"]
    assert len(affirmed) == 12 and out.counts()["affirmed"] == 12
    sources = {" ".join(r): label for r, label in zip(tokens, labels)}
    for k in affirmed:
        text = " ".join(out.tokens[k])
        assert sources[text] == out.labels[k]  # a training clause as it was, with its own label
        assert (out.targets[k] == out.labels[k]).all() and out.negators[k] == ""
