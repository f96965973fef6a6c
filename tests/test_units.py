"""Units that found a feature: the character properties, the ranking (a planted unit first with r = 1, a shuffled
property near 0), the regex guard, the cache, and the sentiment unit."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.pretrained import load_pretrained
from models.trace import Trace
from models.units import (
    CUSTOM,
    PROPERTIES,
    Unit,
    UnitError,
    cached_rankings,
    character_properties,
    collect,
    correlations,
    final_values,
    find_units,
    rank_units,
    rankings_to_json,
    regex_property,
    sentiment_unit,
    token_properties,
)

TEXTS = ["他说《不好看》，我不同意。", "买了2个月就坏了！不推荐", "iPhone 很好用，没有问题", "别买，太贵了。",
         "“好”字怎么写（不会）", "服务态度很好，下次还来"] * 4


def _trace(tokens: list[str], units: np.ndarray, cell_type: str = "gru") -> Trace:
    """A GRU trace of random gates whose hidden state is ``units`` (T, H)."""
    steps, size = units.shape
    rng = np.random.default_rng(len(tokens))
    shape = (1, 1, steps, size)
    arrays = {name: rng.random(shape) for name in ("reset", "update", "candidate", "reset_hidden", "input_candidate")}
    return Trace(cell_type, tuple(tokens), units.reshape(shape),
                 gates={k: arrays[k] for k in ("reset", "update", "candidate")},
                 terms={k: arrays[k] for k in ("reset_hidden", "input_candidate")})


def test_character_properties_by_hand():
    props = character_properties("他说《不好》，abc 12")
    assert set(props) == set(PROPERTIES)
    assert props["in_brackets"].tolist() == [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert props["since_punctuation"].tolist() == [1, 2, 0, 1, 2, 0, 0, 1, 2, 3, 4, 5, 6]
    assert props["in_digits"].tolist() == [0] * 11 + [1, 1]
    assert props["after_negator"].tolist() == [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert props["next_is_punctuation"].tolist() == [0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    assert props["in_latin_word"].tolist() == [0] * 7 + [1, 1, 1, 0, 0, 0]
    nested = character_properties("(a「b」c)d")["in_brackets"]
    assert nested.tolist() == [0, 1, 0, 1, 1, 1, 0, 0]


def test_word_tokens_take_their_first_characters_property():
    props = token_properties(["<s>", "他", "说", "《", "不好", "》"])
    assert np.isnan(props["in_brackets"][0])  # the begin-of-text marker has no property
    assert props["in_brackets"][1:].tolist() == [0, 0, 0, 1, 0]
    negated = token_properties(["他", "不", "喜欢", "书", "，", "好"])["after_negator"]
    assert negated.tolist() == [0, 0, 1, 1, 0, 0]  # the clause ends at the comma


def test_a_planted_unit_ranks_first_with_r_one_and_a_shuffled_property_scores_near_zero():
    rng = np.random.default_rng(0)
    traces = []
    for text in TEXTS:
        tokens = ["<s>", *text]
        props = token_properties(tokens)
        units = rng.normal(size=(len(tokens), 16))
        planted = np.nan_to_num(props["in_brackets"])
        units[:, 11] = planted * 0.7 - 0.2  # unit 11 is the property, up to scale and shift
        traces.append(_trace(tokens, units))
    rankings = rank_units(collect(traces))
    brackets = rankings["in_brackets"]["hidden"]
    assert brackets.best == 11 and brackets.r[11] == pytest.approx(1.0, abs=1e-9)
    assert brackets.baseline < 0.2  # the best any unit does against the shuffled property
    assert abs(rankings["in_digits"]["hidden"].r[11]) < 0.5  # another property: not that unit's
    assert brackets.steps == sum(len(t) for t in TEXTS)  # every character, no marker
    assert Unit.of(traces[0].hidden.shape, "hidden", 11) == Unit("hidden", 0, 0, 11)
    stored = rankings_to_json(rankings, count=3)
    assert stored["in_brackets"]["hidden"]["top"][0] == [11, 1.0]


def test_shuffled_property_scores_near_zero_for_every_unit():
    rng = np.random.default_rng(1)
    prop = (rng.random(5000) < 0.3).astype(float)
    values = np.column_stack([prop, rng.normal(size=(5000, 3))])
    assert correlations(values, prop)[0] == pytest.approx(1.0)
    shuffled = rng.permutation(prop)
    assert np.abs(correlations(values, shuffled)).max() < 0.06
    assert correlations(np.ones((10, 2)), np.arange(10.0)).tolist() == [0.0, 0.0]  # a constant unit


def test_user_regex_property_and_its_guards():
    assert regex_property("很好很好吃", "好吃").tolist() == [0, 0, 0, 1, 1]
    props = token_properties(["<s>", "不", "好", "吃"], pattern="好.")
    assert props[CUSTOM][1:].tolist() == [0, 1, 1]
    with pytest.raises(UnitError) as err:
        regex_property("a" * 40 + "b", r"(a|aa)+$", timeout=0.05)  # catastrophic backtracking
    assert err.value.code == "unit_regex_timeout" and "0.05 s" in str(err.value)
    with pytest.raises(UnitError) as err:
        regex_property("abc", "(unclosed")
    assert err.value.code == "unit_regex_invalid"


def test_a_users_pattern_has_a_budget_over_all_texts():
    traces = [_trace(list(text), np.ones((len(text), 2))) for text in TEXTS]
    assert len(collect(traces, pattern="好", budget=5.0).properties[CUSTOM]) == sum(map(len, TEXTS))
    with pytest.raises(UnitError) as err:
        collect(traces, pattern="好", budget=0.0)
    assert err.value.code == "unit_regex_slow"
    with pytest.raises(UnitError) as err:  # less of the budget left than one text's own limit: the budget speaks
        collect([_trace(list("a" * 40 + "b"), np.ones((41, 2)))], pattern=r"(a|aa)+$", budget=0.05)
    assert err.value.code == "unit_regex_slow"


def test_rankings_are_cached_by_fingerprint(tmp_path):
    path = tmp_path / "unit_rankings.json"
    calls = []

    def compute() -> dict:
        calls.append(1)
        return {"in_digits": {"hidden": {"top": [[3, 0.5]], "baseline": 0.1, "steps": 9}}}

    first = cached_rankings(path, "abc", "test", compute)
    again = cached_rankings(path, "abc", "test", compute)
    cached_rankings(path, "other-model", "test", compute)
    assert first == again and len(calls) == 2
    assert set(json.loads(path.read_text(encoding="utf-8"))) == {"abc", "other-model"}


def test_sentiment_unit_is_chosen_on_validation_and_scored_on_test():
    rng = np.random.default_rng(2)

    def split(count: int) -> tuple[dict, np.ndarray]:
        labels = rng.integers(0, 2, count)
        hidden = rng.normal(size=(count, 6))
        hidden[:, 4] = -labels * 2.0 + rng.normal(scale=0.5, size=count)  # negative side is class 1
        return {"hidden": hidden}, labels

    (validation, val_labels), (test, test_labels) = split(400), split(300)
    found = sentiment_unit(validation, val_labels, test, test_labels)
    assert (found.state, found.unit, found.above) == ("hidden", 4, 0)
    said = np.where(test["hidden"][:, 4] > found.threshold, 0, 1)
    assert found.test_accuracy == pytest.approx(float((said == test_labels).mean()))
    assert 0.9 < found.test_accuracy <= found.validation_accuracy + 0.05


def test_a_saturated_unit_cannot_separate_reviews_by_their_order_in_the_split():
    """A unit stuck at -1 for every review carries nothing; sorted stably, its ties keep the split's order (one
    label, then the other), and a cut inside them once 'separated' validation perfectly (then 52% on test)."""
    labels = np.array([0] * 50 + [1] * 50)  # ordered by label, as the corpus split is
    stuck = np.full((100, 1), -1.0)
    informative = np.where(labels[:, None] == 1, 0.3, -0.3) + np.random.default_rng(0).normal(0, 0.4, (100, 1))
    values = np.hstack([stuck, informative])
    found = sentiment_unit({"hidden": values}, labels, {"hidden": values}, labels)
    assert found.unit == 1 and found.validation_accuracy < 1.0
    alone = sentiment_unit({"hidden": stuck}, labels, {"hidden": stuck}, labels)
    assert alone.validation_accuracy == 0.5 and alone.test_accuracy == 0.5  # all on one side: one class


def test_final_values_are_each_traces_last_step():
    units = np.arange(12.0).reshape(3, 4)
    values = final_values([_trace(["a", "b", "c"], units), _trace(["d"], units[:1] + 100)])
    assert set(values) == {"hidden"}
    assert values["hidden"].tolist() == [[8, 9, 10, 11], [100, 101, 102, 103]]


def test_a_users_pattern_is_ranked_like_the_built_in_properties():
    rng = np.random.default_rng(3)
    traces = []
    for text in TEXTS:
        units = rng.normal(size=(len(text), 5))
        units[:, 2] = regex_property(text, "不.")  # unit 2 fires on 不 and the character after it
        traces.append(_trace(list(text), units))
    custom = find_units(traces, pattern="不.")[CUSTOM]["hidden"]
    assert custom.best == 2 and custom.r[2] == pytest.approx(1.0)


def test_a_word_token_classifier_is_ranked_by_each_words_first_character():
    model = load_pretrained("lstm")
    analysis = model.analyze("他说《不好看》，我不同意")
    rankings = find_units([analysis.trace])
    assert set(rankings["in_brackets"]) == {"hidden", "cell"}
    assert rankings["in_brackets"]["cell"].steps == len(analysis.tokens)
    inside = token_properties(analysis.tokens)["in_brackets"]
    words = [tok for tok, value in zip(analysis.tokens, inside) if value == 1]
    assert words and "".join(words) == "不好看"  # every word between 《 and 》, whatever jieba made of them


def test_the_unit_finder_needs_no_torch():
    code = "import sys, models.units; assert 'torch' not in sys.modules and 'streamlit' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
