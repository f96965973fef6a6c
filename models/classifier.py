"""The sentence classifier: embedding -> one real nn.RNN/LSTM/GRU -> linear head on the last state.

The head reads only the last hidden state, so applying it to the hidden state after every step
gives "what the model would say if the sentence ended here": ``Trace.probabilities``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from models.record import record
from models.trace import CELL_TYPES, Trace

_MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


@dataclass(frozen=True)
class ClassifierConfig:
    arch: str  # "rnn" | "lstm" | "gru"
    vocab_size: int  # rows of the embedding, <pad> = 0 and <unk> = 1 included
    embed_dim: int = 128  # E, size of each token vector
    hidden_size: int = 128  # H, units of the recurrent layer
    num_classes: int = 2  # C
    dropout: float = 0.0  # on the embeddings and the last state, training only
    labels: tuple[str, ...] = ("negative", "positive")  # class names, in logit order

    def __post_init__(self) -> None:
        if self.arch not in CELL_TYPES:
            raise ValueError(f"arch must be one of {CELL_TYPES}, got {self.arch!r}")
        if len(self.labels) != self.num_classes:
            raise ValueError("one label per class")
        object.__setattr__(self, "labels", tuple(self.labels))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["labels"] = list(self.labels)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> ClassifierConfig:
        return cls(**{**data, "labels": tuple(data.get("labels", cls.labels))})


class RecurrentClassifier(nn.Module):
    """ids (B, T) int64, lengths (B,) -> logits (B, C), from the state after each sequence's last token."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)
        self.rnn = _MODULES[config.arch](config.embed_dim, config.hidden_size, batch_first=True)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.num_classes)

    def step_logits(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, C): the head after every token; steps past a sequence's length are padding (zero state)."""
        emb = self.dropout(self.embedding(ids))  # (B, T, E)
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out = nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=ids.shape[1])[0]
        return self.logits(out)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(..., H) hidden states -> (..., C): the one head every prediction goes through."""
        return self.head(self.dropout(hidden))

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, C): the head after each sequence's last token."""
        return self.step_logits(ids, lengths)[torch.arange(len(lengths)), lengths - 1]

    def record(self, ids: torch.Tensor, lengths: torch.Tensor, tokens: list[list[str]] | None = None) -> list[Trace]:
        """One Trace per sentence, carrying the per-step class probabilities (T, C)."""
        with torch.inference_mode():
            emb = self.embedding(ids)
        traces = record(self.rnn, emb, lengths, tokens)
        with torch.inference_mode():
            probs = [torch.softmax(self.logits(torch.tensor(t.hidden[-1, 0])), dim=-1).numpy() for t in traces]
        return [t.with_probabilities(p, self.config.labels) for t, p in zip(traces, probs)]
