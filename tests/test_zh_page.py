"""The Chinese page is in Chinese: every tab, the sidebar and an upload error, read as a person reads them
(markdown, captions, headers, tables, buttons, labels, options), hold no Latin word outside a short list of
names, units, file names and formulas. Also: every error code of models/ reads in both languages."""
from __future__ import annotations

import html
import re
import string

import pytest
from streamlit.testing.v1 import AppTest

from models.errors import FILE_KINDS, MESSAGES
from models.pretrained import PRETRAINED_DIR
from tests.test_app import APP
from ui.i18n import ERRORS, error_text, t
from ui.tabs import TABS

# Latin words a Chinese page may hold: model and library names, formats and units, key names and the
# language switch's own name. Single letters (formulas: h, z, P), words with a digit (float16, F1, sha256)
# and subscripted symbols (h_t, W_hn) are formulas or names too.
ALLOWED = frozenset(w.lower() for w in (
    "RNN", "LSTM", "GRU", "PyTorch", "jieba", "TF-IDF", "snownlp", "MIT", "numpy", "plotly", "js", "AdamW",
    "Spearman", "Karpathy", "logit", "sigmoid", "tanh", "softmax", "NaN", "MB", "HTML", "CSV", "JSON", "NPZ", "PNG",
    "SVG", "zip", "safetensors", "pickle", "Ctrl", "Enter", "English", "Language",
))
TAG = re.compile(r"<[^<>]*>")
CODE = re.compile(r"`[^`]*`")
# vocab.json, pretrained/, /work/x, models.training.train: a file, a folder or a module, up to the punctuation around it
FILE_OR_PATH = re.compile(r"[^\s（）()，、：]*[A-Za-z0-9_](?:[./][A-Za-z0-9_]|/)[^\s（）()，、：]*")
NUMBER = re.compile(r"\d+(?:\.\d+)?e[-+]?\d+")  # 6.6e-09
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
FORMULA = re.compile(r"[A-Za-z](?:_[A-Za-z0-9]*)?")  # h, h_t, W_hn, c_ (of c_{t-1})


def latin_words(text: str) -> set[str]:
    """The Latin words of ``text`` as a person reads it that are not in ALLOWED, formulas, files or code."""
    text = html.unescape(TAG.sub(" ", text))
    text = NUMBER.sub(" ", FILE_OR_PATH.sub(" ", CODE.sub(" ", text)))
    words = set(WORD.findall(text))
    return {w for w in words if w.lower() not in ALLOWED and not FORMULA.fullmatch(w)
            and not any(c.isdigit() for c in w)}


def test_the_word_finder_finds_english_and_passes_names():
    assert latin_words("配置：embed_dim，AdamW, one-cycle schedule") == {"embed_dim", "one-cycle", "schedule"}
    assert latin_words("LSTM 的 h_t 与 PyTorch；vocab.json、`python -m x`、6.6e-09、float16") == set()
    assert latin_words('<span style="margin:2px">词</span>') == set()


def page_texts(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) of everything a person reads on the page as AppTest holds it."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        out += [(kind, e.value) for e in at.get(kind)]
    for metric in at.metric:
        out += [("metric", metric.label), ("metric", str(metric.value))]
    for kind in ("button", "download_button", "file_uploader", "text_area", "number_input", "toggle", "checkbox",
                 "radio", "selectbox", "slider", "select_slider", "multiselect"):
        for widget in at.get(kind):
            out += [(kind, widget.proto.label), (f"{kind} help", widget.proto.help)]
            if kind in ("radio", "selectbox", "select_slider", "multiselect"):
                out += [(f"{kind} option", str(option)) for option in widget.options]
    out += [("expander", e.label) for e in at.expander] + [("tab", tab.label) for tab in at.tabs]
    for table in at.dataframe:
        frame = table.value
        out += [("table column", str(c)) for c in frame.columns] + [("table row", str(i)) for i in frame.index]
        out += [("table cell", str(v)) for v in frame.to_numpy().ravel()]
    return out


def test_the_chinese_page_has_no_english_words():
    at = AppTest.from_file(APP, default_timeout=90).run()
    uploader = at.file_uploader(key="model_files_0")
    for name in ("vocab.json", "lstm.json"):  # the weights refused by the server: the card arrives alone
        uploader.upload(name, (PRETRAINED_DIR / name).read_bytes())
    uploader.run()
    found: dict[str, set[str]] = {}
    for key in TABS:
        at.session_state["tab"] = t("zh", key)
        at.run()
        assert not at.exception, key
        assert any("没有送到" in e.value for e in at.error), key  # the upload's error stays on every tab
        for where, text in page_texts(at):
            words = latin_words(text)
            if words:
                found.setdefault(f"{key} {where}: {text[:100]}", words)
    assert not found, "\n".join(f"{words}: {where}" for where, words in found.items())


SAMPLE = {"where": "mymodels.zip: m/lstm.json", "file": "lstm.safetensors", "needs": "lstm.json",
          "arrived": "vocab.json, lstm.json", "other": "m/vocab.json", "member": "../vocab.json", "limit": 100,
          "size": 123.4, "kind": "weights", "detail": "Error while deserializing header: HeaderTooLarge",
          "format": "rnn-gates-vocab/1", "vocab": "vocab.json", "card": "lstm.json", "count": 8, "expected": 7,
          "mode": "x", "found": "gru", "arch": "lstm", "missing": ["head.bias"], "unexpected": [],
          "tensor": "head.weight", "dtype": "F64", "shape": (3,), "expected_dtype": "F32/F16", "expected_shape": (3,),
          "texts": "0, 2", "archs": "rnn, lstm, gru", "seconds": 0.5}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", list(MESSAGES))
def test_every_error_code_reads_in_chinese_and_english(code):
    assert _fields(ERRORS["zh"][code]) <= _fields(MESSAGES[code]), code  # the Chinese names only what the code has
    fields = {name: SAMPLE[name] for name in _fields(MESSAGES[code])}
    chinese = error_text("zh", code, fields)
    assert not latin_words(chinese), chinese
    assert "HeaderTooLarge" not in chinese  # a library's English detail stays out of the Chinese
    english = error_text("en", code, fields)
    assert english == MESSAGES[code].format(**{**fields, "kind": FILE_KINDS.get(fields.get("kind"), None)})


def test_error_tables_have_the_same_codes():
    assert set(ERRORS["zh"]) == set(ERRORS["en"]) == set(MESSAGES)


def test_shipped_descriptions_in_the_cards_are_translated():
    """The About tab names the corpus, the baseline and the optimizer as models.training.train wrote them: each has a
    translation, so a retrain that rewords one fails here rather than showing English on the Chinese page."""
    import json

    from ui.about import CARD_TEXTS

    card = json.loads((PRETRAINED_DIR / "lstm.json").read_text(encoding="utf-8"))
    comparison = json.loads((PRETRAINED_DIR / "comparison.json").read_text(encoding="utf-8"))
    for text in (card["data"]["corpus"], card["training"]["optimizer"], comparison["baseline"]["model"]):
        assert text in CARD_TEXTS, text
