"""Under real use: broken model files give an error page naming the file; any text gives its tokens or a message."""
from __future__ import annotations

import html
import shutil

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st_
from safetensors.torch import load_file, save_file
from streamlit.testing.v1 import AppTest

from models.pretrained import PRETRAINED_DIR
from tests.test_app import APP, chart_specs, lstm_tokens, messages
from ui import state
from ui.i18n import t
from viz.steps import MAX_LABEL_CHARS


def _edit_tensor(path, change):
    tensors = load_file(str(path))
    change(tensors)
    save_file(tensors, str(path))


BREAKAGES = {
    "missing weights": ("gru.safetensors", lambda p: p.unlink()),
    "truncated weights": ("lstm.safetensors", lambda p: p.write_bytes(p.read_bytes()[:4096])),
    "wrong shape": ("rnn.safetensors", lambda p: _edit_tensor(
        p, lambda t: t.__setitem__("rnn.weight_hh_l0", torch.zeros(5, 5)))),
    "non-finite weights": ("lstm.safetensors", lambda p: _edit_tensor(
        p, lambda t: t["head.weight"].__setitem__((0, 0), float("inf")))),
    "corrupt vocabulary": ("vocab.json", lambda p: p.write_text('{"format": "rnn-gates-vocab/1", "tokens": 7}')),
    "vocabulary of the wrong size": ("vocab.json", lambda p: p.write_text(
        '{"format": "rnn-gates-vocab/1", "tokens": ["<pad>", "<unk>", "好"]}', encoding="utf-8")),
    "not JSON card": ("gru.json", lambda p: p.write_bytes(b"\x80\x81 not json")),
}


@pytest.mark.parametrize("case", sorted(BREAKAGES))
def test_broken_file_gives_an_error_page_naming_it(case, tmp_path, monkeypatch):
    name, breakage = BREAKAGES[case]
    folder = tmp_path / "pretrained"
    shutil.copytree(PRETRAINED_DIR, folder)
    breakage(folder / name)
    monkeypatch.setenv(state.DIRECTORY_ENV, str(folder))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, case
    assert len(at.error) == 1 and name in at.error[0].value, at.error[0].value if at.error else "no error"
    assert not chart_specs(at)


# No lone surrogates here: a browser's UTF-8 websocket cannot carry them (it sends U+FFFD), and
# AppTest refuses to encode them. The tokenizer is fuzzed with them in test_fuzz.py.
NASTY = st_.sampled_from([
    "\x00\x07", "\u200b\u200c\u200d", "\ufeff", "\u202e\u202d", "\u200f", "\ufffd", "\U0001F600\U0001F680",
    "<script>alert('x')</script>", "<img src=x onerror=alert(1)>", "$$x^2$$", "**bold** [a](javascript:x)",
    "مرحبا بالعالم", "שלום", "這個熱水器太費電了", "我爱人工智能", "。。。！！！", "x" * 500, "的" * 200, "\r\n\t ",
])
WIRE_TEXT = st_.text(st_.characters(exclude_categories=["Cs"]), max_size=30)
PAGE_TEXTS = st_.lists(st_.one_of(WIRE_TEXT, NASTY), min_size=1, max_size=4).map("".join)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(text=PAGE_TEXTS)
def test_any_text_gives_its_tokens_or_says_there_are_none(text):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_area(key="text").set_value(text).run()
    assert not at.exception
    assert at.text_area(key="text").value == text  # nothing the person typed is lost
    cut = MAX_LABEL_CHARS - 1  # a long token's tick label is cut to this many characters and "…"
    tokens = [html.escape(tok if len(tok) <= MAX_LABEL_CHARS else tok[:cut] + "…", quote=False)
              for tok in lstm_tokens(text)]
    if not tokens:
        assert not chart_specs(at) and t("zh", "empty_text") in messages(at)
        return
    assert t("zh", "empty_text") not in messages(at)
    ticks = chart_specs(at)[0]["layout"]["xaxis"]["ticktext"]  # the prediction curve, read token by token
    assert ticks[0] == tokens[0] and set(ticks) <= set(tokens)
