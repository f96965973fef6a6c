"""The language-model trainer on a tiny slice (a few steps), and the n-gram baseline on ten texts: NLTK's own
Kneser-Ney scores, a proper distribution, and the cards it is written into."""
from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import models.training.train_lm
from models.lm import BOS, lm_vocabulary, load_language_model
from models.pretrained import PRETRAINED_DIR
from models.training.train_lm import (
    BASELINE_FILE,
    LMSettings,
    corpus_examples,
    fit_baseline,
    fit_ngram,
    ngram_bits,
    run,
    training_pieces,
    unit_report,
)
from models.units import PROPERTIES, RANKINGS_FILE

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["这家店的菜很好吃，服务也好。", "不好吃，太贵了！", "《三体》很好看", "手机买了2个月就坏了", "好好好",
         "物流很快，包装也好", "质量不好，不推荐", "价格便宜，质量好", "一般般吧", "很满意，下次还来"]


@pytest.fixture(scope="module")
def examples():
    return corpus_examples(200)


@pytest.fixture(scope="module")
def parts(examples):
    return {name: [e.text for e in part] for name, part in examples.items()}


def test_pieces_cut_long_texts_with_one_id_of_overlap():
    vocab = lm_vocabulary(TEXTS, min_count=1)
    pieces = training_pieces(["好" * 9], vocab, piece=4)
    assert [len(p) for p in pieces] == [5, 5, 2]  # BOS + 9 characters = 10 ids: 0..4, 4..8, 8..9
    assert pieces[0][0] == vocab.id_of(BOS) and pieces[0][-1] == pieces[1][0]


def test_a_few_steps_write_loadable_float16_models_with_their_scores(tmp_path, parts):
    settings = LMSettings(steps=3, batch_size=16, hidden_size=16, embed_dim=8, threads=1)
    (tmp_path / BASELINE_FILE).write_text(json.dumps({"metrics": {"test": {"bits_per_character": 7.5}}}))
    cards = run(["gru"], tmp_path, settings, parts)
    card = json.loads((tmp_path / "lm_gru.json").read_text(encoding="utf-8"))
    assert card == cards["gru"] and card["weights_dtype"] == "float16"
    assert card["config"]["task"] == "language_model" and card["config"]["vocabulary"] == "lm_vocab.json"
    assert card["baseline"]["metrics"]["test"]["bits_per_character"] == 7.5
    model = load_language_model("lm_gru", tmp_path)
    bits, count = model.bits_per_character(parts["test"])
    assert card["metrics"]["test"] == {"bits_per_character": round(bits, 4), "characters": count}
    assert 0 < bits < math.log2(len(model.vocab)) + 1  # a few steps: near uniform, not yet learnt
    assert len(model.write("好", length=5, seed=0).written) == 5


def test_unit_report_ranks_units_caches_them_and_finds_a_sentiment_unit(tmp_path, examples, parts, monkeypatch):
    run(["lstm"], tmp_path, LMSettings(steps=2, batch_size=16, hidden_size=8, embed_dim=8, threads=1), parts)
    report = unit_report(tmp_path, examples)["lm_lstm"]
    assert set(report["best"]) == set(PROPERTIES) and set(report["best"]["in_brackets"]) == {"hidden", "cell"}
    found = report["sentiment_unit"]
    assert found["state"] in ("hidden", "cell") and 0 <= found["unit"] < 8
    assert 0.5 <= found["validation_accuracy"] <= 1 and 0 <= found["test_accuracy"] <= 1
    card = json.loads((tmp_path / "lm_lstm.json").read_text(encoding="utf-8"))
    assert card["units"] == report
    fingerprint = load_language_model("lm_lstm", tmp_path).weights_fingerprint  # the card changed, the weights not
    assert list(json.loads((tmp_path / RANKINGS_FILE).read_text(encoding="utf-8"))) == [fingerprint]

    def not_again(*args, **kwargs):
        raise AssertionError("rankings are read from the cache")

    monkeypatch.setattr(models.training.train_lm, "find_units", not_again)
    assert unit_report(tmp_path, examples)["lm_lstm"]["best"] == report["best"]


def test_unit_report_ranks_a_sentiment_classifiers_units_too(tmp_path, examples):
    for file in ("vocab.json", "gru.json", "gru.safetensors"):
        shutil.copy(PRETRAINED_DIR / file, tmp_path / file)
    few = {name: part[:8] for name, part in examples.items()}
    report = unit_report(tmp_path, few, max_chars=20)
    assert list(report) == ["gru"] and set(report["gru"]["best"]) == set(PROPERTIES)
    assert set(report["gru"]["best"]["in_digits"]) == {"hidden"} and "sentiment_unit" not in report["gru"]
    assert json.loads((tmp_path / "gru.json").read_text(encoding="utf-8")) == json.loads(
        (PRETRAINED_DIR / "gru.json").read_text(encoding="utf-8"))  # a classifier's card is left alone


def test_ngram_baseline_is_nltks_kneser_ney_and_a_distribution():
    vocab = lm_vocabulary(TEXTS, min_count=1)
    fast, stock = fit_ngram(TEXTS, vocab, order=3), fit_ngram(TEXTS, vocab, order=3, fast=False)
    for context in ([BOS, BOS], [BOS, "好"], ["好", "吃"], ["不"], ["猫", "狗"]):
        for word in ("好", "吃", "，", "<unk>"):
            assert fast.score(word, context) == pytest.approx(stock.score(word, context), abs=1e-12)
        assert sum(fast.score(w, context) for w in set(fast.vocab) - {BOS}) == pytest.approx(1.0)
    bits, count = ngram_bits(fast, TEXTS[:3], vocab)
    assert count == sum(len(t) for t in TEXTS[:3]) and bits == pytest.approx(ngram_bits(stock, TEXTS[:3], vocab)[0])
    assert bits < math.log2(len(vocab))  # fitted on these texts, it beats a uniform guess


def test_fit_baseline_writes_its_file_and_every_card(tmp_path, parts):
    ten = {name: texts[:10] for name, texts in parts.items()}
    (tmp_path / "lm_lstm.json").write_text(json.dumps({"name": "x"}), encoding="utf-8")
    baseline = fit_baseline(tmp_path, ten, orders=(2, 3))
    tried = baseline["validation_by_order_and_discount"]
    assert set(tried) == {"2", "3"}
    best = min(bits for by_discount in tried.values() for bits in by_discount.values())
    assert baseline["metrics"]["validation"]["bits_per_character"] == best == tried[str(baseline["order"])][
        str(baseline["discount"])]
    assert baseline["metrics"]["test"]["characters"] == sum(len(t.strip()) for t in ten["test"])
    assert json.loads((tmp_path / BASELINE_FILE).read_text(encoding="utf-8")) == baseline
    assert json.loads((tmp_path / "lm_lstm.json").read_text(encoding="utf-8"))["baseline"] == baseline


def test_the_command_trains_and_fits_the_baseline(tmp_path):
    command = [sys.executable, "-m", "models.train_lm", "--limit", "40", "--out", str(tmp_path), "--threads", "1"]
    trained = subprocess.run([*command, "--arch", "rnn", "--steps", "2", "--hidden-size", "8"], cwd=ROOT,
                             capture_output=True, text=True)
    assert trained.returncode == 0, trained.stderr
    assert "lm_rnn:" in trained.stdout and "train lm_rnn" in trained.stderr  # a progress bar
    fitted = subprocess.run([*command, "--baseline", "--orders", "2"], cwd=ROOT, capture_output=True, text=True)
    assert fitted.returncode == 0, fitted.stderr
    card = json.loads((tmp_path / "lm_rnn.json").read_text(encoding="utf-8"))
    assert card["baseline"]["order"] == 2 and card["baseline"]["metrics"]["test"]["bits_per_character"] > 0
    assert load_language_model("lm_rnn", tmp_path).model.config.hidden_size == 8
    ranked = subprocess.run([*command, "--units"], cwd=ROOT, capture_output=True, text=True)
    assert ranked.returncode == 0, ranked.stderr
    assert "lm_rnn: sentiment unit hidden" in ranked.stdout and (tmp_path / RANKINGS_FILE).is_file()
