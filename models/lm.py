"""The character language models: embedding -> one nn.RNN/LSTM/GRU layer -> linear head over the next character.

    from models.lm import load_language_model
    lm = load_language_model("lm_lstm")                       # also "lm_rnn", "lm_gru"
    reading = lm.analyze("这家店的菜很好吃")                    # top 5 next characters, surprise, the Trace
    written = lm.write("这家店", temperature=0.8, length=50, seed=1)   # live writing, every step recorded

A text is read as its characters (``lm_characters``: the app's normalisation, whitespace runs as one space)
after a begin-of-text token ``BOS``, so step ``t`` of a Trace has read ``BOS`` and the first ``t`` characters,
and its head predicts character ``t + 1``. The vocabulary (``lm_vocab.json``) holds ``<pad>``, ``<unk>``,
``BOS`` and the characters seen at least ``MIN_COUNT`` times in the training split; every other character
reads (and is predicted) as ``<unk>``.

An analysis keeps, per step, the ``TOP_K`` most probable next characters with their probabilities, the
probability of the character that came and its surprise in bits, and the entropy; never the whole
distribution (at 10,000 characters and ~4,600 characters of vocabulary that would be about 184 MB).

Files (``models.names``): ``lm_vocab.json``, ``lm_{cell}.json`` (the card) and ``lm_{cell}.safetensors``
(float16 or float32), checked as ``models.pretrained`` checks the classifiers' (``PretrainedError``).
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from torch import nn

from models.files.jsonfile import parse_json_object
from models.names import VOCABULARIES, ModelName, parse_name
from models.pretrained import (
    PRETRAINED_DIR,
    PretrainedError,
    _Folder,
    _Memory,
    build_with_weights,
    files_fingerprint,
)
from models.record import record
from models.tokenize import EmptyTextError, normalize
from models.trace import CELL_TYPES, Trace
from models.vocab import PAD, UNK, Vocabulary, VocabularyError

TASK = "language_model"
VOCAB_FILE = VOCABULARIES[TASK]  # "lm_vocab.json"
BOS = "<s>"  # the begin-of-text token every text is read after
BOS_ID = 2  # its id: after <pad> (0) and <unk> (1)
MIN_COUNT = 3  # a character needs this many occurrences in the training split to get its own row
TOP_K = 5  # next characters kept per step by an analysis
CHUNK_STEPS = 512  # steps whose whole distribution an analysis holds at once (512 x V float64: 13 MB at V = 3,127)
MAX_WRITE = 2000  # longest live writing, in characters
CARD_KEYS = ("task", "vocabulary")  # keys of a card's config that describe the files, not the module
_MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_WHITESPACE = re.compile(r"\s+")
_NOT_WRITTEN = (0, 1, BOS_ID)  # <pad>, <unk> and BOS are never written


@dataclass(frozen=True)
class LanguageModelConfig:
    arch: str  # "rnn" | "lstm" | "gru"
    vocab_size: int  # V, rows of the embedding and outputs of the head: <pad>, <unk>, BOS, the characters
    embed_dim: int = 64  # E, size of each character vector
    hidden_size: int = 128  # H, units of the recurrent layer
    num_layers: int = 1  # stacked layers
    bidirectional: bool = False  # must stay False: a language model reads left to right only
    dropout: float = 0.0  # on the embeddings and the states, training only
    cutoffs: tuple[int, ...] = ()  # () -> a linear head; else nn.AdaptiveLogSoftmaxWithLoss's cluster edges
    div_value: float = 4.0  # the adaptive head's shrink factor of each tail cluster's projection


    def __post_init__(self) -> None:
        if self.arch not in CELL_TYPES:
            raise ValueError(f"arch must be one of {CELL_TYPES}, got {self.arch!r}")
        if self.bidirectional is not False:
            raise ValueError("a language model predicts the next character: it cannot read the text both ways")
        sizes = {k: getattr(self, k) for k in ("vocab_size", "embed_dim", "hidden_size", "num_layers")}
        bad = {k: v for k, v in sizes.items() if not isinstance(v, int) or isinstance(v, bool) or v < 1}
        if bad:
            raise ValueError(f"sizes must be positive integers: {bad}")
        if not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout!r}")
        object.__setattr__(self, "cutoffs", tuple(self.cutoffs))  # a card's JSON list
        edges = (0, *self.cutoffs, self.vocab_size)
        if any(not isinstance(c, int) or isinstance(c, bool) for c in self.cutoffs) or any(
                a >= b for a, b in zip(edges, edges[1:])):
            raise ValueError(f"cutoffs must rise strictly between 0 and vocab_size, got {list(self.cutoffs)}")
        if not isinstance(self.div_value, (int, float)) or self.div_value <= 1:
            raise ValueError(f"div_value must be above 1, got {self.div_value!r}")

    def to_dict(self) -> dict:
        return {**asdict(self), "cutoffs": list(self.cutoffs)}  # JSON's form, as a card holds it

    @classmethod
    def from_dict(cls, data: dict) -> LanguageModelConfig:
        """The config in a card's ``config``; the card-level keys there (``CARD_KEYS``) are not the module's."""
        return cls(**{k: v for k, v in data.items() if k not in CARD_KEYS})


class CharLanguageModel(nn.Module):
    """ids (B, T) int64 -> log-probabilities (B, T, V): after each step, the distribution of the next character.

    The head is either one linear layer and a softmax, or (``config.cutoffs``) torch's adaptive softmax
    (``nn.AdaptiveLogSoftmaxWithLoss``, Grave et al. 2017): the most frequent characters and one row per cluster of
    rarer ones in a full-size layer, each cluster's characters through a smaller projection. Both give the whole
    distribution (``log_probs``); the adaptive one trains about three times faster at 3,000 characters, because
    most steps' loss never touches the rare clusters' rows. The vocabulary is ordered most frequent first.
    """

    def __init__(self, config: LanguageModelConfig) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed_dim, padding_idx=0)
        self.rnn = _MODULES[config.arch](config.embed_dim, config.hidden_size, num_layers=config.num_layers,
                                         batch_first=True)
        self.dropout = nn.Dropout(config.dropout)
        self.head = (nn.AdaptiveLogSoftmaxWithLoss(config.hidden_size, config.vocab_size, list(config.cutoffs),
                                                   div_value=float(config.div_value))
                     if config.cutoffs else nn.Linear(config.hidden_size, config.vocab_size))

    def forward(self, ids: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        """(B, T, V) log-probabilities of the next character and the recurrent state after the last step (to go on
        from, as ``nn.RNNBase`` takes it). Padding after a sequence's end changes nothing before it: the model
        reads left to right."""
        out, state = self.rnn(self.dropout(self.embedding(ids)), state)  # (B, T, H)
        return self.log_probs(self.dropout(out)), state

    def log_probs(self, hidden: torch.Tensor) -> torch.Tensor:
        """(..., H) states of the recurrent layer -> (..., V) natural-log probabilities of the next character."""
        if isinstance(self.head, nn.Linear):
            return torch.log_softmax(self.head(hidden), dim=-1)
        return self.head.log_prob(hidden.reshape(-1, hidden.shape[-1])).reshape(*hidden.shape[:-1], -1)

    def loss(self, ids: torch.Tensor) -> torch.Tensor:
        """Mean next-character cross-entropy (nats) over the non-padding targets of ids (B, T): the training
        loss, which for the adaptive head never builds the whole (B*T, V) distribution."""
        out, _ = self.rnn(self.dropout(self.embedding(ids[:, :-1])))  # (B, T-1, H)
        targets = ids[:, 1:].flatten()
        keep = targets != 0  # <pad>
        hidden = self.dropout(out).flatten(0, 1)[keep]  # (N, H)
        if isinstance(self.head, nn.Linear):
            return nn.functional.cross_entropy(self.head(hidden), targets[keep])
        return self.head(hidden, targets[keep]).loss

    def record(self, ids: torch.Tensor, tokens: Sequence[str]) -> Trace:
        """One sequence ids (T,): its Trace (``models.record``, every gate and state)."""
        with torch.inference_mode():
            emb = self.embedding(ids)  # (T, E)
        return record(self.rnn, emb.unsqueeze(0), tokens=[list(tokens)])[0]


def lm_characters(text: str) -> list[str]:
    """The characters a language model reads: the app's normalisation (``models.tokenize.normalize``: NFKC,
    traditional as simplified), every whitespace run as one space, no space at either end."""
    return list(_WHITESPACE.sub(" ", normalize(text)).strip())


def lm_vocabulary(texts: Sequence[str], min_count: int = MIN_COUNT) -> Vocabulary:
    """<pad>, <unk>, BOS, then the characters seen at least ``min_count`` times in ``texts``, most frequent first."""
    counted = Vocabulary.build((lm_characters(t) for t in texts), min_count=min_count)
    tokenizer = {"mode": "char", "task": TASK, "bos": BOS, "min_count": min_count,
                 "reading": "lm_characters: NFKC, traditional as simplified, whitespace runs as one space"}
    return Vocabulary((PAD, UNK, BOS, *(t for t in counted.tokens[2:] if t != BOS)), tokenizer)


def encode_text(text: str, vocab: Vocabulary, max_chars: int | None = None) -> tuple[list[str], np.ndarray]:
    """The tokens a model reads for ``text`` (BOS, then the characters; at most ``max_chars`` of them) and their
    ids (T,) int64. Raises EmptyTextError if the text has no characters."""
    chars = lm_characters(text)[:max_chars]
    if not chars:
        raise EmptyTextError()
    return [BOS, *chars], np.concatenate([[BOS_ID], vocab.encode(chars).ids]).astype(np.int64)


def _entropy_bits(log_probs: torch.Tensor) -> torch.Tensor:
    """(..., V) natural-log probabilities -> (...) entropy in bits."""
    return -(log_probs.exp() * log_probs).sum(-1) / math.log(2)


@dataclass(frozen=True, eq=False)
class NextCharacters:
    """One text through one language model: per step, what it expected next, and the Trace.

    Step ``t`` has read ``tokens[:t + 1]`` (``tokens[0]`` is BOS) and predicts ``tokens[t + 1]``; the last
    step predicts past the text, so its ``actual`` and ``surprise`` are NaN. Arrays are read-only.
    """

    tokens: tuple[str, ...]  # T: BOS, then the characters
    unknown: tuple[bool, ...]  # T marks: True where the character is not in the vocabulary (read as <unk>)
    top_tokens: tuple[tuple[str, ...], ...]  # (T, TOP_K) the most probable next characters, most probable first
    top_probabilities: np.ndarray  # (T, TOP_K) float32, their probabilities
    actual: np.ndarray  # (T,) float32, probability given to the character that came next (its <unk> row if unknown)
    surprise: np.ndarray  # (T,) float32, -log2(actual), bits
    entropy: np.ndarray  # (T,) float32, entropy of the whole distribution, bits
    trace: Trace  # every gate and state, over the T tokens

    @property
    def bits_per_character(self) -> float:
        """Mean surprise over the characters of the text (each predicted from what came before it)."""
        return float(np.nanmean(self.surprise))


def _read_only(array: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(array, dtype=np.float32)
    out.setflags(write=False)
    return out


def next_characters(model: CharLanguageModel, trace: Trace, ids: np.ndarray, vocab: Vocabulary, k: int = TOP_K,
                    chunk: int = CHUNK_STEPS) -> NextCharacters:
    """What is kept of the head's distribution after each step of ``trace`` (recorded over ``ids`` (T,)): the top
    ``k``, the probability of the next id, the surprise and the entropy. The head reads the recorded hidden states
    ``chunk`` steps at a time, so the whole (T, V) distribution is never held at once."""
    steps = len(ids)
    top_ids = np.empty((steps, k), dtype=np.int64)
    top_probs, entropy = np.empty((steps, k)), np.empty(steps)
    actual = np.full(steps, np.nan)
    hidden = torch.from_numpy(np.array(trace.hidden[-1, 0]))  # (T, H) the top layer's states
    following = torch.from_numpy(np.append(ids[1:], 0))  # (T,) the id each step predicts; none after the last
    for start in range(0, steps, chunk):
        end = min(start + chunk, steps)
        with torch.inference_mode():
            log_probs = model.log_probs(hidden[start:end]).double()  # (chunk, V)
        top = log_probs.topk(k, dim=-1)
        top_ids[start:end], top_probs[start:end] = top.indices.numpy(), top.values.exp().numpy()
        entropy[start:end] = _entropy_bits(log_probs).numpy()
        actual[start:end] = log_probs.gather(1, following[start:end, None])[:, 0].exp().numpy()
    actual[-1] = np.nan
    tokens = tuple(trace.tokens)
    return NextCharacters(tokens, tuple(bool(i == vocab.unk_id) for i in ids.tolist()),
                          tuple(tuple(vocab.tokens[i] for i in row) for row in top_ids.tolist()),
                          _read_only(top_probs), _read_only(actual), _read_only(-np.log2(actual)),
                          _read_only(entropy), trace)


@dataclass(frozen=True, eq=False)
class Writing:
    """Live writing: a prompt, then the characters the model wrote, one at a time, and every step's gates."""

    prompt: str  # the prompt's characters as read (``lm_characters``)
    written: str  # the characters the model chose, in order
    probabilities: np.ndarray  # (len(written),) float32: each chosen character's probability in the draw (at the
    #                            temperature, <pad>, <unk> and BOS left out; at temperature 0 the plain softmax's)
    reading: NextCharacters  # the whole text read back: the top 5 at every step, and the Trace
    temperature: float
    seed: int

    @property
    def text(self) -> str:
        return self.prompt + self.written

    @property
    def trace(self) -> Trace:
        """Over BOS, the prompt's characters and the written ones (step t predicts token t + 1)."""
        return self.reading.trace


def _choose(logits: torch.Tensor, temperature: float, rng: np.random.Generator) -> tuple[int, float]:
    """One next id from (V,) logits or log-probabilities (<pad>, <unk> and BOS excluded), and its probability at
    ``temperature``; temperature 0 takes the most probable (and gives its plain softmax probability). The draw is
    numpy's, in float64, so a seed gives the same text."""
    scores = logits.double().clone()
    scores[list(_NOT_WRITTEN)] = -math.inf
    if temperature == 0:
        probs = torch.softmax(scores, dim=-1).numpy()
        choice = int(probs.argmax())
        return choice, float(probs[choice])
    probs = torch.softmax(scores / temperature, dim=-1).numpy()
    probs = probs / probs.sum()
    choice = int(rng.choice(len(probs), p=probs))
    return choice, float(probs[choice])


class LanguageModel:
    """A loaded character language model, in eval mode, never changed after loading (safe to share)."""

    def __init__(self, model: CharLanguageModel, vocab: Vocabulary, card: Mapping | None = None,
                 files: Mapping[str, str] | None = None, name: str | None = None) -> None:
        self.model = model.eval()
        self.vocab = vocab
        self.card = card or {}
        self.name = name or ModelName(model.config.arch, TASK).name
        self.arch = model.config.arch
        self.files = MappingProxyType(dict(files or {}))  # file name -> sha256 of the bytes loaded
        self.fingerprint = files_fingerprint(self.files)
        # the vocabulary's and the weights' hashes only: the key of results that a card edit does not change (the
        # unit rankings, which are written into the card afterwards)
        self.weights_fingerprint = files_fingerprint(
            {f: h for f, h in self.files.items() if f == VOCAB_FILE or f.endswith(".safetensors")})

    def analyze(self, text: str, max_chars: int | None = None) -> NextCharacters:
        """``text`` read after BOS (at most ``max_chars`` characters): the next-character analysis and the Trace."""
        tokens, ids = encode_text(text, self.vocab, max_chars)
        trace = self.model.record(torch.from_numpy(ids), tokens)
        return next_characters(self.model, trace, ids, self.vocab)

    def traces(self, texts: Sequence[str], max_chars: int | None = None, batch_size: int = 64) -> list[Trace]:
        """One Trace per text (BOS, then at most ``max_chars`` characters), recorded in batches of similar length;
        in the order of ``texts``. Raises EmptyTextError if a text has no characters."""
        encoded = [encode_text(t, self.vocab, max_chars) for t in texts]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i][1]))
        out: list[Trace | None] = [None] * len(encoded)
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            lengths = torch.tensor([len(encoded[i][1]) for i in chunk])
            ids = torch.zeros(len(chunk), int(lengths.max()), dtype=torch.int64)
            for row, i in enumerate(chunk):
                ids[row, :lengths[row]] = torch.from_numpy(encoded[i][1])
            with torch.inference_mode():
                emb = self.model.embedding(ids)  # (B, T, E)
            for i, trace in zip(chunk, record(self.model.rnn, emb, lengths, [encoded[i][0] for i in chunk])):
                out[i] = trace
        return out

    def write(self, prompt: str, temperature: float = 1.0, length: int = 100, seed: int = 0) -> Writing:
        """``length`` characters written after ``prompt`` (which may be empty), each drawn at ``temperature``
        with numpy's generator seeded by ``seed``: the same arguments write the same text. The gates of every
        step are recorded afterwards over the whole text, the same numbers the steps computed."""
        if not 0 <= temperature <= 10 or not 1 <= length <= MAX_WRITE:
            raise ValueError(f"temperature must lie in [0, 10] and length in [1, {MAX_WRITE}]")
        chars = lm_characters(prompt)
        ids = [BOS_ID, *self.vocab.encode(chars).ids.tolist()]
        rng = np.random.default_rng(seed)
        written, probabilities = [], []
        with torch.inference_mode():
            logits, state = self.model(torch.tensor([ids]))
            for step in range(length):
                choice, probability = _choose(logits[0, -1], temperature, rng)
                written.append(self.vocab.tokens[choice])
                probabilities.append(probability)
                ids.append(choice)
                if step + 1 < length:
                    logits, state = self.model(torch.tensor([[choice]]), state)
        trace = self.model.record(torch.tensor(ids), [BOS, *chars, *written])
        reading = next_characters(self.model, trace, np.array(ids, dtype=np.int64), self.vocab)
        return Writing("".join(chars), "".join(written), _read_only(np.array(probabilities)), reading,
                       float(temperature), int(seed))

    def bits_per_character(self, texts: Sequence[str], batch_size: int = 64) -> tuple[float, int]:
        """Mean bits per character over ``texts`` (every character predicted from BOS and what came before it;
        an unknown character counts as a prediction of <unk>) and how many characters that was."""
        return corpus_bits(self.model, self.vocab, texts, batch_size)

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def corpus_bits(model: CharLanguageModel, vocab: Vocabulary, texts: Sequence[str], batch_size: int = 64,
                max_chars: int | None = None) -> tuple[float, int]:
    """(bits per character, characters) of ``model`` over ``texts``, batched by length."""
    encoded = [encode_text(t, vocab, max_chars)[1] for t in texts if lm_characters(t)]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    total, count = 0.0, 0
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = [encoded[i] for i in order[start:start + batch_size]]
            ids = torch.zeros(len(batch), max(map(len, batch)), dtype=torch.int64)
            for row, seq in enumerate(batch):
                ids[row, :len(seq)] = torch.from_numpy(seq)
            log_probs, _ = model(ids[:, :-1])  # (B, T, V)
            loss = nn.functional.nll_loss(log_probs.flatten(0, 1), ids[:, 1:].flatten(), ignore_index=0,
                                          reduction="sum")  # (B*T, V): the class axis last is the fast layout
            total += float(loss)
            count += int((ids[:, 1:] != 0).sum())
    return total / max(count, 1) / math.log(2), count


def _config(card: dict, name: ModelName, where: str) -> LanguageModelConfig:
    try:
        config = LanguageModelConfig.from_dict(card["config"])
        task = card["config"].get("task")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise PretrainedError("bad_config", where=where, detail=str(err)) from None
    if config.arch != name.cell:
        raise PretrainedError("wrong_arch", where=where, found=config.arch, arch=name.cell)
    if task != TASK:
        raise PretrainedError("bad_config", where=where, detail=f"{name.name} is a {TASK} model; the card says {task}")
    return config


def _vocabulary(data: bytes, where: str, config: LanguageModelConfig, card_where: str) -> Vocabulary:
    try:
        vocab = Vocabulary.from_bytes(data, where)
    except VocabularyError as err:
        raise PretrainedError(err.code, **err.fields) from None
    if len(vocab) != config.vocab_size:
        raise PretrainedError("vocab_size", vocab=where, count=len(vocab), card=card_where,
                              expected=config.vocab_size)
    if len(vocab) <= BOS_ID or vocab.tokens[BOS_ID] != BOS:
        raise PretrainedError("vocab_entries", where=where, detail=f"a language model's vocabulary has {BOS!r} "
                                                                   f"at id {BOS_ID}")
    return vocab


def _load(name: str, source: _Folder | _Memory) -> LanguageModel:
    parsed = parse_name(name)
    if parsed.task != TASK:
        raise ValueError(f"{name} is a {parsed.task} model, not a language model (models.pretrained loads it)")
    vocab_name, card_name, weights_name = parsed.files
    data = {card_name: source.read(card_name, "card")}
    card = parse_json_object(data[card_name], source.where(card_name), "card", PretrainedError)
    config = _config(card, parsed, source.where(card_name))
    data[vocab_name] = source.read(vocab_name, "vocab")
    vocab = _vocabulary(data[vocab_name], source.where(vocab_name), config, source.where(card_name))
    model = build_with_weights(CharLanguageModel, config, source, weights_name, card_name, data)
    return LanguageModel(model, vocab, card, {f: hashlib.sha256(b).hexdigest() for f, b in data.items()}, name)


def load_language_model(name: str, directory: str | Path | None = None) -> LanguageModel:
    """The language model ``name`` ("lm_rnn", "lm_lstm", "lm_gru") from ``directory`` (default ``pretrained/``)."""
    return _load(name, _Folder(Path(directory) if directory is not None else PRETRAINED_DIR))


def language_model_from_files(name: str, files: Mapping[str, bytes],
                              names: Mapping[str, str] | None = None) -> LanguageModel:
    """The language model ``name`` from files in memory, by file name; validated as ``load_language_model``."""
    return _load(name, _Memory(files, names))

