"""The shipped models read the teaching material's own examples the way the page tells the reader to look.

If a retrain breaks one of these, the example notes in ui/i18n.py (and the lessons) are no longer true.
"""
from __future__ import annotations

import numpy as np
import pytest

from models.pretrained import ARCHS, load_pretrained
from models.training.suites import SUITES_DIR, load_suite, turn_step
from ui.source import EXAMPLES

LONG_REVIEW = next(e.text for e in EXAMPLES if e.key == "ex_restaurant")
TURN = "但是"


@pytest.fixture(scope="module")
def models():
    return {arch: load_pretrained(arch) for arch in ARCHS}


def test_the_lesson_suite_is_the_page_examples():
    lesson = {item.text for item in load_suite(SUITES_DIR / "lesson.tsv")}
    assert lesson == {e.text for e in EXAMPLES if e.key in ("ex_restaurant", "ex_phone", "ex_heater")}


@pytest.mark.parametrize(("key", "label"), [("ex_phone", "positive"), ("ex_heater", "negative")])
def test_the_two_short_seed_reviews_are_read_right_by_all_three(models, key, label):
    text = next(e.text for e in EXAMPLES if e.key == key)
    assert {arch: m.analyze(text).label for arch, m in models.items()} == dict.fromkeys(ARCHS, label)


@pytest.mark.parametrize("arch", ["lstm", "gru"])
def test_the_long_review_turns_negative_at_the_connective(models, arch):
    analysis = models[arch].analyze(LONG_REVIEW)
    positive = analysis.probabilities[:, analysis.trace.labels.index("positive")]
    before = turn_step(analysis.tokens, "".join(analysis.tokens), TURN)
    assert positive[before] > 0.5, f"{arch} is not on the praise's side before 但是 ({positive[before]:.2f})"
    assert analysis.label == "negative", f"{arch} ends {analysis.label} ({positive[-1]:.2f} positive)"
    after = positive[before + 1 :]
    assert (after < 0.5).mean() >= 0.8, (
        f"{arch} is on the complaints' side for only {(after < 0.5).mean():.0%} after 但是"
    )


def test_the_lstm_forget_gate_closes_most_at_the_connective(models):
    """The example note asks the reader to look at the 但是 column of the forget-gate map."""
    analysis = models["lstm"].analyze(LONG_REVIEW)
    forget = analysis.trace.gates["forget"][0, 0]  # (T, H)
    at = analysis.tokens.index(TURN)
    means = forget.mean(axis=1)
    assert int(np.argmin(means)) == at, f"lowest mean forget gate at {analysis.tokens[int(np.argmin(means))]!r}"
    closed = (forget < 0.5).sum(axis=1)
    assert closed[at] > forget.shape[1] / 2 and closed[at] > 2 * np.median(closed)


def test_the_gru_keeps_less_of_the_old_state_at_the_connective(models):
    """The example note: the share of the old state the GRU keeps (PyTorch's z) at 但是 is among the text's lowest."""
    analysis = models["gru"].analyze(LONG_REVIEW)
    keep = analysis.trace.gates["update"][0, 0]  # (T, H), PyTorch's z: the share of h_{t-1} kept
    at = analysis.tokens.index(TURN)
    means = keep.mean(axis=1)
    assert int((means < means[at]).sum()) < 5, f"keep at 但是 {means[at]:.2f} is not among the five lowest"
    released = (keep < 0.5).sum(axis=1)
    assert released[at] > 2 * np.median(released)
