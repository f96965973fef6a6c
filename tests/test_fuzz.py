"""Arbitrary Unicode through tokenizer -> models -> figures: a result or a clear error, never a crash."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.pretrained import EmptyTextError, load_pretrained
from models.tokenize import tokenize
from viz.animation import step_animation
from viz.equations import step_equation
from viz.heatmap import gate_heatmap
from viz.prediction import prediction_curve
from viz.retention import retention_map
from viz.saturation import gate_saturation

NASTY = st.sampled_from([
    "\x00", "\x1b[31m", "\u200b", "\u200d", "\ufeff", "\u202e", "\u200f", "\ud800", "\udfff", "\U0001F600",
    "\U0001F468\u200D\U0001F469\u200D\U0001F467", "<script>alert(1)</script>", "&lt;", "\r\n", "\t",
    "مرحبا", "שלום", "Привет", "這個熱水器", "我爱人工智能", "ｆｕｌｌ", "a" * 300, "的" * 50, "e\u0301",
])
TEXTS = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=6).map("".join)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def models():
    return {arch: load_pretrained(arch) for arch in ("rnn", "lstm", "gru")}


@FUZZ
@given(text=TEXTS, mode=st.sampled_from(["word", "char"]))
def test_tokenizer_takes_anything(text, mode):
    tokens = tokenize(text, mode)
    assert all(isinstance(t, str) and t and t == t.strip() for t in tokens)
    assert tokenize(text, mode) == tokens


@pytest.mark.e2e  # every example runs three models and draws thirteen figures
@FUZZ
@given(text=TEXTS)
def test_models_and_figures_take_anything(models, text):
    try:
        analyses = {arch: m.analyze(text, max_tokens=60) for arch, m in models.items()}
    except EmptyTextError:
        assert models["lstm"].tokens(text) == []
        return
    traces = {arch: a.trace for arch, a in analyses.items()}
    figures = [prediction_curve(traces)]
    for trace in traces.values():
        figures += [gate_heatmap(trace, "hidden"), step_animation(trace), retention_map(trace), gate_saturation(trace)]
        eq = step_equation(trace, step=trace.num_steps - 1, unit=0)
        assert all(abs(eq.recomputed[k] - eq.recorded[k]) < 1e-4 for k in eq.recorded)
    for fig in figures:
        json.loads(fig.to_json())  # serialises for the browser
