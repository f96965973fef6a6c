"""The shipped sentiment models: load them from ``pretrained/``, predict, and analyze one text.

    from models.pretrained import load_pretrained
    model = load_pretrained("lstm")          # also "gru", "rnn"
    model.predict(["我很喜欢这款手机"])        # [{"label": "positive", "probability": 0.97}]
    analysis = model.analyze("我爱人工智能")   # tokens, unknown marks, Trace, per-step probabilities
    model.analyze("我爱人工智能", edits=[Edit("forget", range(1, 3), set=1.0)])  # a what-if run

Files, per architecture ``arch``: ``{arch}.safetensors`` (weights), ``{arch}.json`` (the model
card: config, data, metrics), and the shared ``vocab.json``. Nothing is unpickled. Every file is
validated, and a bad one raises ``PretrainedError`` naming the file and what is wrong.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch.nn.utils.rnn import pad_sequence

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.intervene import Edit, edited_trace
from models.jsonfile import read_json_object
from models.tokenize import MODES, tokenize
from models.trace import Trace, hidden_from_gates
from models.vocab import Vocabulary, VocabularyError

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
ARCHS = ("rnn", "lstm", "gru")


class PretrainedError(RuntimeError):
    """A shipped file is missing or unusable; the message names the file."""


class EmptyTextError(ValueError):
    """The text has no tokens to read (empty, whitespace, or only invisible characters)."""


@dataclass(frozen=True, eq=False)
class Analysis:
    """One text through one model."""

    tokens: tuple[str, ...]  # T tokens the model read
    unknown: tuple[bool, ...]  # T marks: True where the token is not in the vocabulary (<unk>)
    trace: Trace  # every gate and state of the recurrent layer, with per-step probabilities
    label: str  # final prediction
    probability: float  # probability of ``label`` after the last token

    @property
    def probabilities(self) -> np.ndarray:
        """(T, C) class probabilities if the text ended after each token."""
        return self.trace.probabilities

    @property
    def unknown_share(self) -> float:
        return sum(self.unknown) / len(self.unknown)

    @property
    def nbytes(self) -> int:
        """Bytes of the numpy buffers the trace's arrays keep alive, each buffer counted once."""
        trace = self.trace
        arrays = [trace.hidden, trace.cell, trace.probabilities, *trace.gates.values(), *trace.terms.values()]
        buffers = {}
        for array in arrays:
            while isinstance(array, np.ndarray) and isinstance(array.base, np.ndarray):
                array = array.base  # a view keeps its whole base alive
            if array is not None:
                buffers[id(array)] = array.nbytes
        return sum(buffers.values())


def split_unknown_words(tokens: list[str], vocab: Vocabulary) -> list[str]:
    """Words not in the vocabulary are split into their characters, which usually are."""
    out: list[str] = []
    for tok in tokens:
        if len(tok) > 1 and vocab.id_of(tok) is None and not tok.isascii():
            out.extend(tok)
        else:
            out.append(tok)
    return out


class PretrainedModel:
    """A loaded classifier, in eval mode, never changed after loading (safe to share across threads)."""

    def __init__(self, model: RecurrentClassifier, vocab: Vocabulary, card: dict) -> None:
        self.model = model.eval()
        self.vocab = vocab
        self.card = card
        self.arch = model.config.arch
        self.labels = model.config.labels
        self.mode = str(vocab.tokenizer.get("mode", "word"))
        self.char_fallback = bool(vocab.tokenizer.get("char_fallback", False))

    def tokens(self, text: str, mode: str | None = None) -> list[str]:
        """The tokens this model reads for ``text``: segmentation, then unknown words as characters."""
        found = tokenize(text, mode or self.mode)
        return split_unknown_words(found, self.vocab) if self.char_fallback else found

    def encode(self, token_lists: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor, list[tuple[bool, ...]]]:
        """ids (B, T) int64 padded with <pad>, lengths (B,), and the unknown marks of each token list."""
        encoded = [self.vocab.encode(tokens) for tokens in token_lists]
        ids = pad_sequence([torch.from_numpy(e.ids) for e in encoded], batch_first=True,
                           padding_value=self.vocab.pad_id)
        lengths = torch.tensor([len(e.ids) for e in encoded])
        return ids, lengths, [e.unknown for e in encoded]

    def predict(self, texts: list[str], mode: str | None = None) -> list[dict]:
        """One ``{"label", "probability"}`` per text. Raises EmptyTextError if a text has no tokens."""
        token_lists = [self.tokens(t, mode) for t in texts]
        empty = [i for i, toks in enumerate(token_lists) if not toks]
        if empty:
            raise EmptyTextError(f"texts {empty} have no tokens to read")
        if not token_lists:
            return []
        ids, lengths, _ = self.encode(token_lists)
        with torch.inference_mode():
            probs = torch.softmax(self.model(ids, lengths), dim=-1).numpy()
        return [{"label": self.labels[int(p.argmax())], "probability": float(p.max())} for p in probs]

    def step_probabilities(self, token_lists: list[list[str]]) -> list[np.ndarray]:
        """One (T_i, C) array per token list: the class probabilities after each token (no recording)."""
        if not token_lists:
            return []
        if any(not tokens for tokens in token_lists):
            raise EmptyTextError("no tokens to read")
        ids, lengths, _ = self.encode(token_lists)
        with torch.inference_mode():
            probs = torch.softmax(self.model.step_logits(ids, lengths), dim=-1).numpy()
        return [p[:n] for p, n in zip(probs, lengths.tolist())]

    def analyze(
        self, text: str, mode: str | None = None, max_tokens: int | None = None, edits: Sequence[Edit] | None = None,
    ) -> Analysis:
        """Tokens, unknown marks, the recorded Trace and the prediction for one text.

        ``max_tokens`` keeps only the first that many tokens. Raises EmptyTextError if there are none.
        ``edits`` (``models.intervene.Edit``): the Analysis of the run with those gates or states
        edited inside the steps (``edited_trace``); ValueError if an edit does not fit the text or
        the cell. Without edits (None or empty) it is the recorder's fast path.
        """
        return self.analyze_tokens(self.tokens(text, mode)[:max_tokens], edits=edits)

    def analyze_tokens(
        self, tokens: list[str], edits: Sequence[Edit] | None = None, *, stepped: bool = False,
    ) -> Analysis:
        """Like ``analyze``, for tokens already made.

        ``stepped``: step the real cell (``edited_trace``) even without edits: the run an edited one is
        compared with, by the same float operations, so every step before the first edit agrees exactly.
        """
        if not tokens:
            raise EmptyTextError("no tokens to read")
        ids, lengths, unknown = self.encode([tokens])
        if edits or stepped:
            trace = edited_trace(self.model, ids[0], edits or (), tokens=tokens)
        else:
            trace = self.model.record(ids, lengths, [tokens])[0]
        final = trace.probabilities[-1]
        best = int(final.argmax())
        return Analysis(tuple(tokens), unknown[0], trace, self.labels[best], float(final[best]))

    def recording_error(self, analysis: Analysis) -> float:
        """Largest |h rebuilt from the recorded gates - torch's own nn module output| on these tokens.

        The gates are what the page shows; rebuilding every hidden state from them alone
        (``hidden_from_gates``) and comparing with ``module(x)`` checks them against torch.
        """
        ids, lengths, _ = self.encode([list(analysis.tokens)])
        with torch.inference_mode():
            out = self.model.rnn(self.model.embedding(ids))[0][0].numpy()  # (T, H)
        return float(np.abs(hidden_from_gates(analysis.trace)[0, 0] - out).max())

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def _read_weights(path: Path, expected: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise PretrainedError(f"{path}: weight file is missing")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise PretrainedError(f"{path}: not a readable safetensors file, perhaps truncated ({err})") from None
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise PretrainedError(f"{path}: weights do not match the model card: missing {missing}, unexpected {extra}")
    for name, want in expected.items():
        got = tensors[name]
        if tuple(got.shape) != tuple(want.shape) or got.dtype != want.dtype:
            raise PretrainedError(
                f"{path}: {name} is {got.dtype} {tuple(got.shape)}, expected {want.dtype} {tuple(want.shape)}"
            )
        if not bool(torch.isfinite(got).all()):
            raise PretrainedError(f"{path}: {name} holds NaN or infinite values")
    return tensors


def load_pretrained(arch: str, directory: str | Path | None = None) -> PretrainedModel:
    """The shipped ``arch`` model ("rnn", "lstm" or "gru") from ``directory`` (default ``pretrained/``)."""
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
    folder = Path(directory) if directory is not None else PRETRAINED_DIR
    card_path = folder / f"{arch}.json"
    card = read_json_object(card_path, "model card", PretrainedError)
    try:
        config = ClassifierConfig.from_dict(card["config"])
    except (KeyError, TypeError, ValueError) as err:
        raise PretrainedError(f"{card_path}: no usable 'config' ({err})") from None
    try:
        vocab = Vocabulary.load(folder / "vocab.json")
    except VocabularyError as err:
        raise PretrainedError(str(err)) from None
    if len(vocab) != config.vocab_size:
        raise PretrainedError(
            f"{folder / 'vocab.json'}: {len(vocab)} tokens, but {card_path} expects {config.vocab_size}"
        )
    if vocab.tokenizer.get("mode", "word") not in MODES:
        raise PretrainedError(f"{folder / 'vocab.json'}: unknown tokenizer mode {vocab.tokenizer.get('mode')!r}")
    model = RecurrentClassifier(config)
    tensors = _read_weights(folder / f"{arch}.safetensors", model.state_dict())
    model.load_state_dict(tensors, strict=True)
    return PretrainedModel(model, vocab, card)

