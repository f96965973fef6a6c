"""Text to tokens: jieba precise mode (words) or characters, identical at training and inference.

Normalisation, before segmenting: Unicode NFKC (full-width letters, digits and punctuation
become their ASCII forms), every control, format, surrogate, private-use or unassigned
character becomes a space, and traditional Chinese characters become simplified ones (OpenCC's
``t2s`` conversion, phrase-aware): the training corpus is simplified Chinese, with a few
traditional reviews that are converted the same way. Whitespace is then dropped. English words
come out as whole words in both modes.

jieba runs on a private ``jieba.Tokenizer`` built once per process (the global dictionary is
never touched), with the HMM new-word finder off, so that unknown runs fall back to dictionary
words and single characters that the vocabulary is likely to know.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence

import jieba
import opencc

from models.errors import CodedError

MODES = ("word", "char")
HMM = False
"""jieba's HMM new-word finder; fixed, because the vocabulary was built with it off."""

_BLANKED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
_CHAR_TOKENS = re.compile(r"[A-Za-z0-9]+(?:['.][A-Za-z0-9]+)*|\S")
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_converter_lock = threading.Lock()
_converter: opencc.OpenCC | None = None


class EmptyTextError(CodedError, ValueError):
    """The text has no tokens to read (empty, whitespace, or only invisible characters).
    ``texts``: which of several texts (their indices), when there were several."""

    def __init__(self, texts: Sequence[int] = ()) -> None:
        if texts:
            super().__init__("empty_texts", texts=", ".join(str(i) for i in texts))
        else:
            super().__init__("empty_text")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones (OpenCC t2s); everything else unchanged.

    ``text`` must be encodable (no lone surrogates): ``normalize`` blanks them first.
    """
    global _converter
    with _converter_lock:
        if _converter is None:
            _converter = opencc.OpenCC("t2s")
    return _converter.convert(text)


def _cleaned(text: str) -> str:
    """NFKC, with control/format/invisible characters and lone surrogates turned into spaces."""
    blanked = "".join(" " if unicodedata.category(ch) in _BLANKED_CATEGORIES else ch for ch in text)
    return unicodedata.normalize("NFKC", blanked)


def normalize(text: str) -> str:
    """NFKC, control/format/invisible characters and lone surrogates as spaces, traditional as simplified."""
    return to_simplified(_cleaned(text))


def has_traditional(text: str) -> bool:
    """Whether normalising ``text`` turns traditional characters into simplified ones."""
    cleaned = _cleaned(text)
    return to_simplified(cleaned) != cleaned


def _jieba() -> jieba.Tokenizer:
    global _tokenizer
    with _lock:
        if _tokenizer is None:
            jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter
            tok = jieba.Tokenizer()
            tok.initialize()
            _tokenizer = tok
    return _tokenizer


def warm_up() -> None:
    """Load jieba's dictionary (about a second) and OpenCC's now, instead of on the first sentence."""
    _jieba()
    to_simplified("")


def _segments(text: str, mode: str) -> Iterator[str]:
    if mode == "word":
        return _jieba().cut(text, cut_all=False, HMM=HMM)
    if mode == "char":
        return (m.group(0) for m in _CHAR_TOKENS.finditer(text))
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def tokenize(text: str, mode: str = "word") -> list[str]:
    """Tokens of ``text``: jieba precise-mode words (``mode="word"``) or characters (``"char"``).

    Empty or whitespace-only text gives an empty list.
    """
    return [tok.strip() for tok in _segments(normalize(text), mode) if tok.strip()]
