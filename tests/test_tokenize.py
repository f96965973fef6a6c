"""Tokenizer and vocabulary: determinism, modes, unknown words, empty text, the JSON file."""
from __future__ import annotations

import json

import jieba
import numpy as np
import pytest

from models.tokenize import has_traditional, normalize, tokenize
from models.vocab import PAD, UNK, Vocabulary, VocabularyError


def test_precise_mode_words():
    assert tokenize("我爱人工智能") == ["我", "爱", "人工智能"]


def test_char_mode_keeps_english_words():
    assert tokenize("我爱AI and NLP", mode="char") == ["我", "爱", "AI", "and", "NLP"]


def test_english_words_and_whitespace():
    assert tokenize("  I   love\tthis\nphone ") == ["I", "love", "this", "phone"]


def test_traditional_characters_become_simplified():
    assert normalize("這個手機很好用") == "这个手机很好用"
    assert tokenize("這個熱水器太費電了") == tokenize("这个热水器太费电了")
    assert tokenize("乾隆皇帝") == ["乾隆皇帝"]  # phrase-aware: a name keeps its 乾
    assert normalize("我很喜欢这款手机") == "我很喜欢这款手机"
    assert has_traditional("這個") and not has_traditional("这个 ABC")
    assert not has_traditional("好\ud800用\x00")  # lone surrogates and NUL are blanked before OpenCC sees them


def test_deterministic():
    text = "这个热水器太费电了，千万不能买。我很喜欢这款手机，它的拍照功能很强大。"
    first = tokenize(text)
    assert all(tokenize(text) == first for _ in range(5))
    assert "热水器" in first and "," in first  # full-width comma normalised by NFKC


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u200b\u200b", "\u202e"])
def test_empty_and_invisible_text_gives_no_tokens(text):
    assert tokenize(text) == []
    assert tokenize(text, mode="char") == []


def test_lone_surrogates_and_controls_do_not_crash():
    assert tokenize("a\ud800b\x00c") == ["a", "b", "c"]


def test_global_jieba_dictionary_is_untouched():
    before = len(jieba.dt.FREQ)
    tokenize("张三打了李四")
    assert len(jieba.dt.FREQ) == before  # a private Tokenizer is used, the global one never loads


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="mode"):
        tokenize("x", mode="bpe")


def _vocab() -> Vocabulary:
    return Vocabulary.build([["我", "爱", "你"], ["我", "爱", "phone"], ["我"]], min_count=2)


def test_vocab_build_order_and_specials():
    vocab = _vocab()
    assert vocab.tokens == (PAD, UNK, "我", "爱")
    assert vocab.pad_id == 0 and vocab.unk_id == 1


def test_encode_marks_unknown_tokens():
    ids, unknown = _vocab().encode(["我", "恨", "爱"])
    np.testing.assert_array_equal(ids, [2, 1, 3])
    assert ids.dtype == np.int64
    assert unknown == (False, True, False)


def test_encode_empty():
    ids, unknown = _vocab().encode([])
    assert ids.shape == (0,) and unknown == ()


def test_english_falls_back_to_lower_case():
    vocab = Vocabulary.build([["phone", "phone"]], min_count=1)
    assert vocab.encode(["Phone"]).unknown == (False,)


def test_vocab_json_roundtrip(tmp_path):
    path = tmp_path / "vocab.json"
    vocab = Vocabulary.build([["我", "我"]], min_count=1, tokenizer={"mode": "word", "hmm": False})
    vocab.save(path)
    loaded = Vocabulary.load(path)
    assert loaded.tokens == vocab.tokens and dict(loaded.tokenizer) == {"mode": "word", "hmm": False}
    assert json.loads(path.read_text(encoding="utf-8"))["tokens"][:2] == [PAD, UNK]


@pytest.mark.parametrize(
    "content,message",
    [("{not json", "not valid JSON"), ('{"format": "x"}', "format"),
     ('{"format": "rnn-gates-vocab/1", "tokens": ["a"]}', "starts with"),
     ('{"format": "rnn-gates-vocab/1", "tokens": ["<pad>", "<unk>", "a", "a"]}', "unique")],
)
def test_corrupt_vocab_names_the_file(tmp_path, content, message):
    path = tmp_path / "vocab.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(VocabularyError, match=message) as err:
        Vocabulary.load(path)
    assert str(path) in str(err.value)


def test_missing_vocab_names_the_file(tmp_path):
    with pytest.raises(VocabularyError, match="missing"):
        Vocabulary.load(tmp_path / "nope.json")
