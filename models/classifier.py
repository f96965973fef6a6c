"""The sentence classifier: embedding -> a real nn.RNN/LSTM/GRU (one or more layers, one or both ways) -> linear head.

One direction: the head reads the top layer's last hidden state, so applying it to the hidden state after
every step gives "what the model would say if the sentence ended here": ``Trace.probabilities``.

Both directions: the head reads the forward half's state after the last token joined to the backward half's
state after the first token (each half's final state). At step ``t`` the backward half has already read the
whole text, so "what it would say if the text ended at ``t``" is the head on a run over the prefix
``0..t`` alone (``prefix_logits``, one batched run of every prefix, O(T^2)). Such models are trained on the
last step's loss only.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from models.record import record
from models.trace import CELL_TYPES, Trace

_MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
PREFIX_LIMIT = 500
"""A bidirectional model's per-step answers are computed for this many first tokens (a run per prefix)."""


@dataclass(frozen=True)
class ClassifierConfig:
    arch: str  # "rnn" | "lstm" | "gru"
    vocab_size: int  # rows of the embedding, <pad> = 0 and <unk> = 1 included
    embed_dim: int = 128  # E, size of each token vector
    hidden_size: int = 128  # H, units of the recurrent layer
    num_classes: int = 2  # C
    dropout: float = 0.0  # on the embeddings and the last state, training only
    labels: tuple[str, ...] = ("negative", "positive")  # class names, in logit order
    num_layers: int = 1  # stacked layers; layer l > 0 reads layer l - 1's hidden state
    bidirectional: bool = False  # a second half reads the text right to left

    def __post_init__(self) -> None:
        if self.arch not in CELL_TYPES:
            raise ValueError(f"arch must be one of {CELL_TYPES}, got {self.arch!r}")
        if not isinstance(self.num_layers, int) or isinstance(self.num_layers, bool) or self.num_layers < 1:
            raise ValueError(f"num_layers must be a positive integer, got {self.num_layers!r}")
        if not isinstance(self.bidirectional, bool):
            raise ValueError(f"bidirectional must be true or false, got {self.bidirectional!r}")
        if len(self.labels) != self.num_classes:
            raise ValueError("one label per class")
        object.__setattr__(self, "labels", tuple(self.labels))

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def to_dict(self) -> dict:
        out = asdict(self)
        out["labels"] = list(self.labels)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> ClassifierConfig:
        """The config in a card's ``config``; the card-level keys there (``CARD_KEYS``) are not the module's."""
        fields = {k: v for k, v in data.items() if k not in CARD_KEYS}
        return cls(**{**fields, "labels": tuple(data.get("labels", cls.labels))})


def _options(module: nn.RNNBase) -> dict:
    """The constructor options of ``module`` besides sizes and direction: bias, and an RNN's nonlinearity."""
    return {"bias": module.bias, **({"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {})}


CARD_KEYS = ("task", "vocabulary")
"""Keys of a card's ``config`` that describe the files, not the module: what the model does and the vocabulary
file it reads (``models.pretrained``)."""


class RecurrentClassifier(nn.Module):
    """ids (B, T) int64, lengths (B,) -> logits (B, C), from the state after each sequence's last token."""

    def __init__(self, config: ClassifierConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)
        self.rnn = _MODULES[config.arch](config.embed_dim, config.hidden_size, num_layers=config.num_layers,
                                         bidirectional=config.bidirectional, batch_first=True)
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size * config.num_directions, config.num_classes)

    def top_states(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, D*H): the top layer's hidden states (both halves joined when bidirectional); steps past a
        sequence's length are padding (zero state)."""
        emb = self.dropout(self.embedding(ids))  # (B, T, E)
        packed = nn.utils.rnn.pack_padded_sequence(emb, lengths.cpu(), batch_first=True, enforce_sorted=False)
        return nn.utils.rnn.pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=ids.shape[1])[0]

    def step_logits(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, T, C): the head after every token, for a one-direction model (bidirectional: ``prefix_logits``)."""
        if self.config.bidirectional:
            raise ValueError("a bidirectional model's backward half has read the whole text at every step: "
                             "use prefix_logits for what it would say if the text ended there")
        return self.logits(self.top_states(ids, lengths))

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """(..., D*H) final states -> (..., C): the one head every prediction goes through."""
        return self.head(self.dropout(hidden))

    def final_states(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, D*H): what the head reads: the forward half after the last token (and the backward half after
        the first token, its last step, when bidirectional)."""
        states = self.top_states(ids, lengths)
        last = states[torch.arange(len(lengths)), lengths - 1]
        if not self.config.bidirectional:
            return last
        size = self.config.hidden_size
        return torch.cat([last[:, :size], states[:, 0, size:]], dim=-1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, C): the head on each sequence's final states."""
        return self.logits(self.final_states(ids, lengths))

    def prefix_logits(self, ids: torch.Tensor, limit: int = PREFIX_LIMIT) -> torch.Tensor:
        """(T, C) for one sequence ``ids`` (T,): row ``t`` is the model's answer had the text ended after token
        ``t``, from one batched run over the prefixes (up to T runs of up to T steps). Rows from ``limit`` on,
        except the last (the whole text), are NaN: not computed."""
        steps = len(ids)
        shown = min(steps, limit)
        out = torch.full((steps, self.config.num_classes), float("nan"))
        if self.config.num_layers == 1:
            out[:shown] = self.logits(self._prefix_final_states(ids[:shown]))
        else:
            prefixes = ids[:shown].unsqueeze(0).expand(shown, shown).tril()  # row t: tokens 0..t, then <pad> (0)
            out[:shown] = self(prefixes, torch.arange(1, shown + 1))
        out[-1] = self(ids.unsqueeze(0), torch.tensor([steps]))[0]
        return out

    def _prefix_final_states(self, ids: torch.Tensor) -> torch.Tensor:
        """(T, 2H) the final states of every prefix of ids (T,), for one bidirectional layer: the forward half after
        token t is the whole text's (it never reads ahead), so only the backward half is run once per prefix, as a
        one-way module with the ``_reverse`` weights over the prefix reversed (tokens t, t-1, ..., 0)."""
        steps, size = len(ids), self.config.hidden_size
        forward = self.top_states(ids.unsqueeze(0), torch.tensor([steps]))[0, :, :size]  # (T, H)
        back = torch.arange(steps).unsqueeze(1) - torch.arange(steps).unsqueeze(0)  # [t, k] = t - k
        reversed_ids = torch.where(back >= 0, ids[back.clamp(min=0)], 0)  # row t: tokens t..0, then <pad>
        half = type(self.rnn)(self.config.embed_dim, size, batch_first=True, **_options(self.rnn))
        weights = {name.removesuffix("_reverse"): value for name, value in self.rnn.named_parameters()
                   if name.endswith("_reverse")}
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(reversed_ids), torch.arange(1, steps + 1),
                                                   batch_first=True, enforce_sorted=False)
        state = torch.func.functional_call(half, weights, (packed,))[1]
        h_n = state[0] if isinstance(state, tuple) else state  # (1, T, H): each prefix's state after token 0
        return torch.cat([forward, h_n[0]], dim=-1)

    def record(self, ids: torch.Tensor, lengths: torch.Tensor, tokens: list[list[str]] | None = None) -> list[Trace]:
        """One Trace per sentence, carrying the per-step class probabilities (T, C) (``prefix_logits`` when
        bidirectional)."""
        with torch.inference_mode():
            emb = self.embedding(ids)
        traces = record(self.rnn, emb, lengths, tokens)
        with torch.inference_mode():
            if self.config.bidirectional:
                logits = [self.prefix_logits(ids[i, :n]) for i, n in enumerate(lengths.tolist())]
            else:
                logits = [self.logits(torch.tensor(t.hidden[-1, 0])) for t in traces]
            probs = [torch.softmax(x, dim=-1).numpy() for x in logits]
        return [t.with_probabilities(p, self.config.labels) for t, p in zip(traces, probs)]
