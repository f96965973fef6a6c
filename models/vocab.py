"""The vocabulary: token <-> id, with ``<pad>`` = 0 and ``<unk>`` = 1, stored as JSON."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import numpy as np

from models.errors import CodedError
from models.files.jsonfile import parse_json_object, read_json_object

PAD = "<pad>"
UNK = "<unk>"
FORMAT = "rnn-gates-vocab/1"


class VocabularyError(CodedError, ValueError):
    """A vocabulary file that cannot be used; its code and fields (``models.errors``) name the file."""


class Encoded(NamedTuple):
    ids: np.ndarray  # (T,) int64
    unknown: tuple[bool, ...]  # (T,) True where the token was not in the vocabulary


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Tokens by id. ``tokens[0]`` is ``<pad>``, ``tokens[1]`` is ``<unk>``."""

    tokens: tuple[str, ...]
    tokenizer: Mapping[str, object] = field(default_factory=dict)  # how the tokens were made
    _index: Mapping[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        tokens = tuple(self.tokens)
        if tokens[:2] != (PAD, UNK):
            raise ValueError(f"a vocabulary starts with {PAD!r}, {UNK!r}")
        if not all(isinstance(t, str) and t for t in tokens):
            raise ValueError("every vocabulary entry must be a non-empty string")
        if len(set(tokens)) != len(tokens):
            raise ValueError("vocabulary entries must be unique")
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "tokenizer", MappingProxyType(dict(self.tokenizer)))
        object.__setattr__(self, "_index", MappingProxyType({t: i for i, t in enumerate(tokens)}))

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def unk_id(self) -> int:
        return 1

    def id_of(self, token: str) -> int | None:
        """The id of ``token`` (English words fall back to lower case), or None if unknown."""
        found = self._index.get(token)
        if found is None:
            found = self._index.get(token.lower())
        return found

    def encode(self, tokens: Sequence[str]) -> Encoded:
        """Ids for ``tokens``, (T,) int64, with ``<unk>`` for unknown ones and which those were."""
        found = [self.id_of(t) for t in tokens]
        ids = np.array([self.unk_id if i is None else i for i in found], dtype=np.int64)
        return Encoded(ids, tuple(i is None for i in found))

    @classmethod
    def build(
        cls,
        token_lists: Iterable[Sequence[str]],
        *,
        min_count: int = 2,
        max_size: int | None = None,
        tokenizer: Mapping[str, object] | None = None,
    ) -> Vocabulary:
        """Tokens seen at least ``min_count`` times, most frequent first (ties by token)."""
        counts = Counter(t for tokens in token_lists for t in tokens)
        kept = sorted((t for t, n in counts.items() if n >= min_count and t not in (PAD, UNK)),
                      key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max(0, max_size - 2)]
        return cls((PAD, UNK, *kept), tokenizer or {})

    def save(self, path: str | Path) -> None:
        payload = {"format": FORMAT, "tokenizer": dict(self.tokenizer), "tokens": list(self.tokens)}
        Path(path).write_text(json.dumps(payload, ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        path = Path(path)
        return cls._from_payload(read_json_object(path, "vocab", VocabularyError), str(path))

    @classmethod
    def from_bytes(cls, data: bytes, where: str) -> Vocabulary:
        """The vocabulary in ``data`` (a vocab.json's bytes); errors name ``where``."""
        return cls._from_payload(parse_json_object(data, where, "vocab", VocabularyError), where)

    @classmethod
    def _from_payload(cls, payload: dict, where: str) -> Vocabulary:
        if payload.get("format") != FORMAT:
            raise VocabularyError("vocab_format", where=where, format=FORMAT)
        tokens = payload.get("tokens")
        if not isinstance(tokens, list):
            raise VocabularyError("vocab_tokens", where=where)
        try:
            return cls(tuple(tokens), payload.get("tokenizer") or {})
        except ValueError as err:
            raise VocabularyError("vocab_entries", where=where, detail=str(err)) from None
