"""The shipped sentiment models: load them from ``pretrained/``, predict, and analyze one text.

    from models.pretrained import load_pretrained
    model = load_pretrained("lstm")          # also "gru", "rnn"
    model.predict(["我很喜欢这款手机"])        # [{"label": "positive", "probability": 0.97}]
    analysis = model.analyze("我爱人工智能")   # tokens, unknown marks, Trace, per-step probabilities
    model.analyze("我爱人工智能", edits=[Edit("forget", range(1, 3), set=1.0)])  # a what-if run

Files, per architecture ``arch``: ``{arch}.safetensors`` (weights), ``{arch}.json`` (the model
card: config, data, metrics), and the shared ``vocab.json``, from a folder (``load_pretrained``) or
from bytes in memory (``load_from_files``, for uploads). Nothing is unpickled. Every file is
validated, the weights' header (names, shapes, dtypes) before any tensor is read, and a bad one
raises ``PretrainedError`` naming the file and what is wrong (a code and fields, ``models.errors``).
Weights may be stored in float32 or float16 (``WEIGHT_DTYPES``); they are cast to float32 on loading.
"""
from __future__ import annotations

import hashlib
import tempfile
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from torch import nn
from torch.nn.utils.rnn import pad_sequence
from torch.overrides import TorchFunctionMode

from models.asking.intervene import Edit, edited_trace
from models.classifier import ClassifierConfig, RecurrentClassifier
from models.errors import CodedError
from models.files.jsonfile import parse_json_object
from models.names import ModelName, all_names, parse_name
from models.tokenize import MODES, EmptyTextError, tokenize
from models.trace import Trace, hidden_from_gates
from models.vocab import Vocabulary, VocabularyError

PRETRAINED_DIR = Path(__file__).resolve().parent.parent / "pretrained"
ARCHS = ("rnn", "lstm", "gru")
VOCAB_FILE = "vocab.json"
LOADED_TASKS = ("sentiment", "race")  # the tasks whose models are RecurrentClassifiers
WEIGHT_DTYPES = ("F32", "F16")  # safetensors dtypes a float32 parameter may be stored in; read as float32


class _NoNormalInit(TorchFunctionMode):
    """Skips ``nn.init.normal_`` (nn.Embedding's random init), whose values are never read when a model is
    built on the meta device for its state dict's names and shapes: on meta it imports torch._dynamo,
    seconds of a server's first page."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is torch.nn.init.normal_:
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


class PretrainedError(CodedError, RuntimeError):
    """A model file is missing or unusable; its code and fields (``models.errors``) name the file."""


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

    def __init__(self, model: RecurrentClassifier, vocab: Vocabulary, card: dict,
                 files: Mapping[str, str] | None = None, name: str | None = None) -> None:
        self.model = model.eval()
        self.name = name or ModelName(model.config.arch, "sentiment", model.config.num_layers,
                                      model.config.bidirectional).name  # "lstm", "lstm_bi", "race_gru", ...
        self.vocab = vocab
        self.card = card
        self.files = MappingProxyType(dict(files or {}))  # file name -> sha256 of the bytes loaded
        self.fingerprint = files_fingerprint(self.files)  # equal files, equal fingerprint: a key for shared caches
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
            raise EmptyTextError(empty)
        if not token_lists:
            return []
        ids, lengths, _ = self.encode(token_lists)
        with torch.inference_mode():
            probs = torch.softmax(self.model(ids, lengths), dim=-1).numpy()
        return [{"label": self.labels[int(p.argmax())], "probability": float(p.max())} for p in probs]

    def step_probabilities(self, token_lists: list[list[str]]) -> list[np.ndarray]:
        """One (T_i, C) array per token list: the class probabilities after each token (no recording); for a
        bidirectional model, the answer on each prefix (``RecurrentClassifier.prefix_logits``)."""
        if not token_lists:
            return []
        if any(not tokens for tokens in token_lists):
            raise EmptyTextError()
        ids, lengths, _ = self.encode(token_lists)
        with torch.inference_mode():
            if self.model.config.bidirectional:  # what it would say had the text ended there: a run per prefix
                return [torch.softmax(self.model.prefix_logits(row[:n]), dim=-1).numpy()
                        for row, n in zip(ids, lengths.tolist())]
            probs = torch.softmax(self.model.step_logits(ids, lengths), dim=-1).numpy()
        return [p[:n] for p, n in zip(probs, lengths.tolist())]

    def analyze(
        self, text: str, mode: str | None = None, max_tokens: int | None = None, edits: Sequence[Edit] | None = None,
    ) -> Analysis:
        """Tokens, unknown marks, the recorded Trace and the prediction for one text.

        ``max_tokens`` keeps only the first that many tokens. Raises EmptyTextError if there are none.
        ``edits`` (``models.asking.intervene.Edit``): the Analysis of the run with those gates or states
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
            raise EmptyTextError()
        ids, lengths, unknown = self.encode([tokens])
        if edits or stepped:
            trace = edited_trace(self.model, ids[0], edits or (), tokens=tokens)
        else:
            trace = self.model.record(ids, lengths, [tokens])[0]
        final = trace.probabilities[-1]
        best = int(final.argmax())
        return Analysis(tuple(tokens), unknown[0], trace, self.labels[best], float(final[best]))

    def recording_error(self, analysis: Analysis) -> float:
        """Largest |h rebuilt from the recorded gates - torch's own computation| over every layer and direction.

        The gates are what the page shows; every hidden state is rebuilt from them alone (``hidden_from_gates``)
        and compared, layer by layer and in both directions, with torch: each layer run as torch runs it
        (``torch_layer_states``: layer 0 on the embeddings, layer l on torch's output of layer l - 1), the
        top layer with the nn module's own output, and each layer's and direction's final state (its last
        step forward, its state after token 0 backward) with the module's h_n (and the recorded cell with c_n).
        An LSTM's cell is not bounded (|c| reaches 40 in the race models), and float32 keeps about 7 digits, so it
        is compared relative to its size where that is above 1 (``_scaled_error``); everything else is in [-1, 1]
        and compared absolutely.
        """
        ids, _, _ = self.encode([list(analysis.tokens)])
        with torch.inference_mode():
            layers, top, final = torch_layer_states(self.model.rnn, self.model.embedding(ids[0]))
        trace = analysis.trace
        rebuilt = hidden_from_gates(trace)  # (L, D, T, H)
        dirs, hs = trace.num_directions, trace.hidden_size
        errors = [np.abs(rebuilt - layers.numpy()).max(),
                  np.abs(rebuilt[-1].transpose(1, 0, 2).reshape(len(top), dirs * hs) - top.numpy()).max()]
        ends = [trace.num_steps - 1, 0][:dirs]  # the last step each direction takes
        for name, values in (("hidden", rebuilt), ("cell", trace.cell)):
            if name in final:
                last = np.stack([values[:, d, ends[d]] for d in range(dirs)], axis=1)  # (L, D, H)
                errors.append(_scaled_error(last, final[name].numpy()))
        return float(max(errors))

    @property
    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def _scaled_error(found: np.ndarray, expected: np.ndarray) -> float:
    """Largest |found - expected| / max(1, |expected|): absolute for values within [-1, 1], relative beyond."""
    return float((np.abs(found - expected) / np.maximum(1.0, np.abs(expected))).max())


def torch_layer_states(module: nn.RNNBase, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                                      dict[str, torch.Tensor]]:
    """Torch's own numbers for one sequence x (T, F), with no recorder involved: (layers, top, final).

    layers: (L, D, T, H), each layer run by torch as one nn module of its own with that layer's parameters,
        layer 0 on ``x`` and layer l on torch's output of layer l - 1 (both halves joined).
    top: (T, D*H), the whole module's output ``module(x)[0]``.
    final: {"hidden": h_n, and for an LSTM "cell": c_n}, each (L, D, H), from ``module(x)``.
    """
    dirs, hs = 2 if module.bidirectional else 1, module.hidden_size
    out, state = module(x.unsqueeze(0) if module.batch_first else x.unsqueeze(1))
    top = out[0] if module.batch_first else out[:, 0]
    h_n, c_n = state if isinstance(state, tuple) else (state, None)
    final = {"hidden": h_n.reshape(module.num_layers, dirs, hs)}
    if c_n is not None:
        final["cell"] = c_n.reshape(module.num_layers, dirs, hs)
    layers, inp = [], x
    for layer in range(module.num_layers):
        options = {"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {}
        single = type(module)(inp.shape[-1], hs, num_layers=1, bias=module.bias, batch_first=True,
                              bidirectional=module.bidirectional, **options)
        suffix = f"_l{layer}"
        params = {name.replace(suffix, "_l0"): value for name, value in module.named_parameters()
                  if name.endswith(suffix) or name.endswith(suffix + "_reverse")}
        inp = torch.func.functional_call(single, params, (inp.unsqueeze(0),))[0][0]  # (T, D*H)
        layers.append(inp.reshape(len(inp), dirs, hs).transpose(0, 1))
    return torch.stack(layers), top, final


def files_fingerprint(files: Mapping[str, str]) -> str:
    """sha256 over the (file name, sha256 of its bytes) pairs a model was loaded from (card, weights, vocabulary).

    Models loaded from equal files compute the same numbers, so results made from them may share a cache
    under this key. A model built without its files (``files`` empty) gets a key of its own that no
    other model shares.
    """
    if not files:
        return f"unhashed-{uuid.uuid4().hex}"
    lines = "".join(f"{name}\t{digest}\n" for name, digest in sorted(files.items()))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def model_file_names(name: str) -> tuple[str, str, str]:
    """The files one model is made of: the vocabulary of its task, its card and its weights (``models.names``)."""
    return parse_name(name).files


class _Folder:
    """Model files in a folder; messages name their paths."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def where(self, name: str) -> str:
        return str(self.folder / name)

    def read(self, name: str, kind: str) -> bytes:
        try:
            return (self.folder / name).read_bytes()
        except FileNotFoundError:
            raise PretrainedError("file_missing", where=self.where(name), kind=kind) from None
        except OSError as err:
            raise PretrainedError("file_unreadable", where=self.where(name), kind=kind, detail=str(err)) from None

    @contextmanager
    def path(self, name: str, data: bytes) -> Iterator[Path]:
        yield self.folder / name


class _Memory:
    """Model files held as bytes (an upload); messages name each file as ``names`` says, else by its name."""

    def __init__(self, files: Mapping[str, bytes], names: Mapping[str, str] | None) -> None:
        self.files = files
        self.names = names or {}

    def where(self, name: str) -> str:
        return self.names.get(name, name)

    def read(self, name: str, kind: str) -> bytes:
        if name not in self.files:
            raise PretrainedError("file_missing", where=self.where(name), kind=kind)
        return self.files[name]

    @contextmanager
    def path(self, name: str, data: bytes) -> Iterator[Path]:
        """``data`` in a temporary file, deleted afterwards: safetensors reads a header from a file."""
        with tempfile.TemporaryDirectory(prefix="rnn-gates-") as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            yield path


def _read_weights(path: Path, where: str, expected: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The tensors in the safetensors file ``path``, checked against ``expected`` (names, shapes, dtypes), in
    ``expected``'s dtypes.

    The header is checked first, with ``safe_open``, before any tensor is read: a pickle renamed
    .safetensors, a truncated file or a tensor of the wrong size fails there. A float32 parameter may
    be stored in any of WEIGHT_DTYPES (float16 halves the file) and is cast to float32. Then every
    tensor is read and must be finite.
    """
    try:
        with safe_open(str(path), framework="pt") as handle:
            found = set(handle.keys())
            missing, extra = sorted(set(expected) - found), sorted(found - set(expected))
            if missing or extra:
                raise PretrainedError("weights_mismatch", where=where, missing=missing, unexpected=extra)
            for name, want in expected.items():
                piece = handle.get_slice(name)
                shape, dtype = tuple(piece.get_shape()), piece.get_dtype()
                allowed = WEIGHT_DTYPES if want.dtype == torch.float32 else (str(want.dtype),)
                if shape != tuple(want.shape) or dtype not in allowed:
                    raise PretrainedError("tensor_mismatch", where=where, tensor=name, dtype=dtype, shape=shape,
                                          expected_dtype="/".join(allowed), expected_shape=tuple(want.shape))
            tensors = {name: handle.get_tensor(name).to(expected[name].dtype) for name in expected}
    except PretrainedError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise PretrainedError("not_safetensors", where=where, detail=str(err)) from None
    for name, tensor in tensors.items():
        if not bool(torch.isfinite(tensor).all()):
            raise PretrainedError("not_finite", where=where, tensor=name)
    return tensors


def load_pretrained(name: str, directory: str | Path | None = None) -> PretrainedModel:
    """The model called ``name`` ("rnn", "lstm", "gru", a variant such as "lstm_bi" or "gru_2layer", or a race
    model such as "race_lstm"; ``models.names``) from ``directory`` (default ``pretrained/``)."""
    return _load(name, _Folder(Path(directory) if directory is not None else PRETRAINED_DIR))


def load_from_files(name: str, files: Mapping[str, bytes], names: Mapping[str, str] | None = None) -> PretrainedModel:
    """The model ``name`` from files in memory, by file name (``model_file_names(name)``), e.g. an upload.

    ``names`` gives the name each file is called in messages (default: the file name).
    Validated exactly as ``load_pretrained`` validates a folder.
    """
    return _load(name, _Memory(files, names))


def available_archs(directory: str | Path | None = None) -> tuple[str, ...]:
    """The archs whose one-layer model card is in ``directory`` (default ``pretrained/``), in ARCHS order."""
    folder = Path(directory) if directory is not None else PRETRAINED_DIR
    return tuple(arch for arch in ARCHS if (folder / f"{arch}.json").is_file())


def available_names(directory: str | Path | None = None, task: str | None = "sentiment") -> tuple[str, ...]:
    """The models of ``task`` (None: every task) whose card is in ``directory``, in ``all_names`` order."""
    folder = Path(directory) if directory is not None else PRETRAINED_DIR
    return tuple(name for name in all_names(task) if (folder / f"{name}.json").is_file())


def _config(card: dict, name: ModelName, where: str) -> ClassifierConfig:
    try:
        config = ClassifierConfig.from_dict(card["config"])
        task = card["config"].get("task", "sentiment")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise PretrainedError("bad_config", where=where, detail=str(err)) from None
    if config.arch != name.cell:
        raise PretrainedError("wrong_arch", where=where, found=config.arch, arch=name.cell)
    found = (task, config.num_layers, config.bidirectional)
    if found != (name.task, name.num_layers, name.bidirectional):
        raise PretrainedError("bad_config", where=where,
                              detail=f"{name.name} is a {name.task} model with {name.num_layers} layer(s), "
                                     f"bidirectional {name.bidirectional}; the card says {found}")
    sizes = {k: getattr(config, k) for k in ("vocab_size", "embed_dim", "hidden_size", "num_classes")}
    bad = {k: v for k, v in sizes.items() if not isinstance(v, int) or isinstance(v, bool) or v < 1}
    if bad or not isinstance(config.dropout, (int, float)) or not 0 <= config.dropout < 1:
        raise PretrainedError("bad_config", where=where,
                              detail=f"sizes must be positive integers: {bad or config.dropout}")
    return config


def build_with_weights(module_class: type[nn.Module], config, source: _Folder | _Memory, weights_name: str,
                       card_name: str, data: dict[str, bytes]) -> nn.Module:
    """``module_class(config)`` holding the checked weights of ``weights_name`` (read into ``data``, by file name).

    The module is first built on the meta device, for its state dict's names, shapes and dtypes only: nothing is
    allocated before the file's header matches them (``_read_weights``). A config torch cannot build is a
    ``bad_config`` error naming the card."""
    try:
        with torch.device("meta"), _NoNormalInit():
            expected = module_class(config).state_dict()
    except (RuntimeError, ValueError, TypeError, OverflowError) as err:
        raise PretrainedError("bad_config", where=source.where(card_name), detail=str(err)) from None
    data[weights_name] = source.read(weights_name, "weights")
    with source.path(weights_name, data[weights_name]) as path:
        tensors = _read_weights(path, source.where(weights_name), expected)
    model = module_class(config)
    model.load_state_dict(tensors, strict=True)
    return model


def _load(name: str, source: _Folder | _Memory) -> PretrainedModel:
    parsed = parse_name(name)
    if parsed.task not in LOADED_TASKS:
        raise ValueError(f"{name} is a {parsed.task}; this loader reads {' and '.join(LOADED_TASKS)} models "
                         "(a language model: models.lm.load_language_model)")
    vocab_name, card_name, weights_name = parsed.files
    data = {card_name: source.read(card_name, "card")}
    card = parse_json_object(data[card_name], source.where(card_name), "card", PretrainedError)
    config = _config(card, parsed, source.where(card_name))
    data[vocab_name] = source.read(vocab_name, "vocab")
    try:
        vocab = Vocabulary.from_bytes(data[vocab_name], source.where(vocab_name))
    except VocabularyError as err:
        raise PretrainedError(err.code, **err.fields) from None
    if len(vocab) != config.vocab_size:
        raise PretrainedError("vocab_size", vocab=source.where(vocab_name), count=len(vocab),
                              card=source.where(card_name), expected=config.vocab_size)
    if vocab.tokenizer.get("mode", "word") not in MODES:
        raise PretrainedError("tokenizer_mode", where=source.where(vocab_name), mode=vocab.tokenizer.get("mode"))
    model = build_with_weights(RecurrentClassifier, config, source, weights_name, card_name, data)
    return PretrainedModel(model, vocab, card, {file: hashlib.sha256(b).hexdigest() for file, b in data.items()},
                           name=name)
