"""models.asking.units on a tiny language model of its own: the page's rankings are those `train_lm --units`
writes, under the same key; a stale or broken cache reads as missing; example texts and the sentiment unit's
final values are the recorded numbers."""
from __future__ import annotations

import json

import numpy as np
import pytest

from models.asking.units import (
    cache_fingerprint,
    final_unit_values,
    rank,
    read_labels,
    stored_rankings,
    unit_count,
    unit_examples,
    unit_traces,
)
from models.lm import load_language_model
from models.training.corpus import Example
from models.training.train_lm import UNIT_MAX_CHARS, LMSettings, run, unit_report
from models.units import CUSTOM, RANKINGS_FILE, character_properties, final_values, ranking_key, unit_values

TEXTS = ["这家店的菜很好吃，服务也好。", "不好吃，太贵了！", "《三体》很好看", "手机买了2个月就坏了", "   ",
         "物流很快，包装也好", "质量不好，不推荐", "价格便宜（质量好）", "一般般吧", "很满意，下次还来"]
LABELS = [1, 0, 1, 0, 1, 1, 0, 1, 0, 1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("asking_units")
    parts = {"train": TEXTS * 2, "validation": TEXTS[:5], "test": TEXTS}
    run(["lstm"], out, LMSettings(steps=2, batch_size=8, hidden_size=8, embed_dim=8, threads=1), parts)
    return out


@pytest.fixture(scope="module")
def model(folder):
    return load_language_model("lm_lstm", folder)


def test_the_page_reads_what_train_lm_units_writes_and_computes_the_same_numbers(tmp_path, folder):
    for file in folder.iterdir():
        (tmp_path / file.name).write_bytes(file.read_bytes())
    examples = {name: [Example(t, label) for t, label in zip(TEXTS, LABELS) if t.strip()]
                for name in ("train", "validation", "test")}
    unit_report(tmp_path, examples)
    lm = load_language_model("lm_lstm", tmp_path)
    test = [e.text for e in examples["test"]]
    stored = stored_rankings(tmp_path, lm, ranking_key(len(test), UNIT_MAX_CHARS))
    assert stored == rank(lm, test)  # the same key, the same traces, the same numbers


def test_a_stale_or_broken_cache_reads_as_missing(tmp_path, model):
    key = ranking_key(3, UNIT_MAX_CHARS)
    assert stored_rankings(tmp_path, model, key) is None  # no file
    (tmp_path / RANKINGS_FILE).write_text("{not json", encoding="utf-8")
    assert stored_rankings(tmp_path, model, key) is None
    (tmp_path / RANKINGS_FILE).write_text(json.dumps({"other-weights": {key: {"in_digits": {}}}}), encoding="utf-8")
    assert stored_rankings(tmp_path, model, key) is None
    (tmp_path / RANKINGS_FILE).write_text(json.dumps({cache_fingerprint(model): {key: {"in_digits": {}}}}),
                                          encoding="utf-8")
    assert stored_rankings(tmp_path, model, key) == {"in_digits": {}}
    assert stored_rankings(tmp_path, model, ranking_key(4, UNIT_MAX_CHARS)) is None


def test_a_pattern_ranks_its_property_only_and_counts_its_matches(model):
    found = rank(model, TEXTS, pattern="好")
    assert list(found) == [CUSTOM] and set(found[CUSTOM]) == {"hidden", "cell"}
    assert found[CUSTOM]["cell"]["matched"] == sum(t.count("好") for t in TEXTS)
    assert rank(model, TEXTS, pattern="火星")[CUSTOM]["hidden"]["matched"] == 0


def test_traces_skip_empty_texts_and_report_progress(model):
    seen = []
    traces = list(unit_traces(model, TEXTS, on_batch=lambda done, total: seen.append((done, total))))
    assert len(traces) == len(TEXTS) - 1 and seen == [(len(TEXTS) - 1, len(TEXTS) - 1)]


def test_examples_are_texts_where_the_property_varies_with_the_units_recorded_values(model):
    shown = unit_examples(model, TEXTS, "in_brackets", "cell", unit=3)
    assert ["".join(e.tokens) for e in shown] == ["《三体》很好看", "价格便宜(质量好)"]  # NFKC, as the model reads
    for example in shown:
        text = "".join(example.tokens)
        np.testing.assert_array_equal(example.property, character_properties(text)["in_brackets"])
        recorded = unit_values(model.traces([text])[0], "cell")[1:, 3]  # after BOS
        np.testing.assert_allclose(example.values, recorded, atol=1e-6)
    assert unit_examples(model, TEXTS, "in_latin_word", "hidden", unit=0) == []


def test_the_sentiment_units_final_values_line_up_with_their_labels(model):
    values = final_unit_values(model, TEXTS, "hidden", 2)
    kept = [t for t in TEXTS if t.strip()]
    np.testing.assert_allclose(values, final_values(model.traces(kept), ("hidden",))["hidden"][:, 2], atol=1e-6)
    assert read_labels(TEXTS, LABELS).tolist() == [label for t, label in zip(TEXTS, LABELS) if t.strip()]


def test_unit_count_reads_the_states_size(model):
    assert unit_count(model, "cell") == unit_count(model, "hidden") == model.model.config.hidden_size
