"""Train the memory-race models: an RNN, an LSTM and a GRU of one size, by one recipe, three seeds each.

    python -m models.train_race                  # all three cells, 3 seeds each, into pretrained/
    python -m models.train_race --arch lstm --seeds 1 --out /tmp/race

Each model is an embedding, one recurrent layer and a linear head over the K clues, read at the query
(``models.training.race``). Training draws gaps uniformly from ``RaceSettings.train_gaps``; the test set has
every gap from 1 to ``TEST_MAX_GAP``, longer than any trained on. The shipped seed of each cell is the one with the
median accuracy at the longest trained gap. Writes ``race_vocab.json`` and, per cell,
``race_{cell}.safetensors`` (float16) and ``race_{cell}.json``, whose card holds the accuracy at every
gap for every seed, measured on the weights as stored.
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from torch import nn
from tqdm import tqdm

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.pretrained import PRETRAINED_DIR
from models.training.race import CLUES, QUERY, RaceItem, distractor_words, race_items
from models.vocab import PAD, UNK, Vocabulary

CELLS = ("rnn", "lstm", "gru")
VOCAB_FILE = "race_vocab.json"
TEST_MAX_GAP = 150  # the test set has every gap 1..TEST_MAX_GAP
TEST_PER_GAP = 64  # test sequences per gap (8 per clue)
RULE = "median accuracy at the longest trained gap among the seeds (ties: the lower seed)"


@dataclass(frozen=True)
class RaceSettings:
    steps: int = 1500  # batches of training
    train_gaps: tuple[int, int] = (1, 50)  # inclusive range of gaps drawn in training
    batch_size: int = 64
    learning_rate: float = 3e-3  # Adam
    clip: float = 1.0  # gradient norm
    embed_dim: int = 16
    frozen_embeddings: bool = False  # keep the random word vectors: every distractor pushes on the state
    hidden_size: int = 32  # the same for every cell
    seed: int = 0
    threads: int = 2


def race_vocabulary(distractors: tuple[str, ...]) -> Vocabulary:
    """<pad>, <unk>, the query, the clues, then the distractors; typed words are segmented as the sentiment
    models' are (jieba, word mode)."""
    return Vocabulary((PAD, UNK, QUERY, *CLUES, *distractors), {"mode": "word", "task": "race",
                                                                  "clues": list(CLUES), "query": QUERY})


def _batch(items: list[RaceItem], vocab: Vocabulary) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """ids (B, T) padded, lengths (B,), clues (B,)."""
    lengths = [len(item.tokens) for item in items]
    ids = np.zeros((len(items), max(lengths)), dtype=np.int64)
    for row, item in enumerate(items):
        ids[row, : len(item.tokens)] = vocab.encode(item.tokens).ids
    return torch.from_numpy(ids), torch.tensor(lengths), torch.tensor([item.clue for item in items])


def train_one(cell: str, vocab: Vocabulary, distractors: tuple[str, ...], settings: RaceSettings
              ) -> RecurrentClassifier:
    """One model trained on gaps drawn from ``settings.train_gaps``; every batch has one gap (no padding)."""
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    config = ClassifierConfig(arch=cell, vocab_size=len(vocab), embed_dim=settings.embed_dim,
                              hidden_size=settings.hidden_size, num_classes=len(CLUES), labels=CLUES)
    model = RecurrentClassifier(config)
    model.embedding.weight.requires_grad_(not settings.frozen_embeddings)
    optimiser = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    low, high = settings.train_gaps
    bar = tqdm(range(settings.steps), desc=f"train race {cell} seed {settings.seed}", unit="batch", leave=False)
    for step in bar:
        gap = int(rng.integers(low, high + 1))
        items = race_items(settings.batch_size, [gap], distractors, seed=int(rng.integers(2**31)))
        ids, lengths, clues = _batch(items, vocab)
        loss = nn.functional.cross_entropy(model(ids, lengths), clues)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
        optimiser.step()
        if step % 50 == 0:
            bar.set_postfix(loss=f"{loss.item():.3f}", gap=gap)
    return model.eval()


def accuracy_by_gap(model: RecurrentClassifier, vocab: Vocabulary, distractors: tuple[str, ...],
                    max_gap: int = TEST_MAX_GAP, per_gap: int = TEST_PER_GAP, seed: int = 10_000) -> dict[int, float]:
    """{gap: share of test sequences whose clue the model names}, for every gap 1..max_gap (a fixed test set)."""
    out = {}
    with torch.inference_mode():
        for gap in range(1, max_gap + 1):
            items = race_items(per_gap, [gap], distractors, seed=seed + gap)
            ids, lengths, clues = _batch(items, vocab)
            out[gap] = round(float((model(ids, lengths).argmax(-1) == clues).float().mean()), 4)
    return out


def as_stored(model: RecurrentClassifier) -> RecurrentClassifier:
    """The model with its weights through float16 and back, as the loader reads them."""
    state = {k: v.half().float() for k, v in model.state_dict().items()}
    stored = RecurrentClassifier(model.config)
    stored.load_state_dict(state)
    return stored.eval()


def _median_seed(runs: list[dict], longest_trained: int) -> int:
    """Index of the run with the median accuracy at the longest trained gap (ties: the lower seed)."""
    at = str(longest_trained)
    order = sorted(range(len(runs)), key=lambda i: (runs[i]["accuracy_by_gap"][at], runs[i]["seed"]))
    return order[(len(order) - 1) // 2]


def corpus_distractors() -> tuple[str, ...]:
    """The DISTRACTORS most frequent words of the review corpus's training split (models.training.corpus)."""
    from models.tokenize import tokenize
    from models.training.corpus import load_corpus, split_corpus

    train_texts = split_corpus(load_corpus()[0])["train"]
    return distractor_words(tokenize(e.text) for e in tqdm(train_texts, desc="segment", leave=False))


def run(cells: list[str], out: Path, settings: RaceSettings, seeds: int = 3,
        distractors: tuple[str, ...] | None = None, max_gap: int = TEST_MAX_GAP) -> dict[str, dict]:
    """Train ``cells`` with ``seeds`` seeds each; write the vocabulary and each cell's shipped seed and card.
    ``distractors`` default to the corpus's (``corpus_distractors``); ``max_gap`` is the longest gap tested."""
    torch.set_num_threads(settings.threads)
    out.mkdir(parents=True, exist_ok=True)
    distractors = distractors or corpus_distractors()
    vocab = race_vocabulary(distractors)
    vocab.save(out / VOCAB_FILE)
    cards = {}
    for cell in cells:
        runs, models = [], []
        for seed in range(seeds):
            start = time.perf_counter()
            model = as_stored(train_one(cell, vocab, distractors, replace(settings, seed=seed)))
            seconds = round(time.perf_counter() - start, 1)
            by_gap = accuracy_by_gap(model, vocab, distractors, max_gap)
            runs.append({"seed": seed, "seconds": seconds, "accuracy_by_gap": {str(g): a for g, a in by_gap.items()}})
            models.append(model)
            tqdm.write(f"race {cell} seed {seed}: accuracy at gap 1 {by_gap[1]:.2f}, "
                       f"{max_gap // 2} {by_gap[max_gap // 2]:.2f}, {max_gap} {by_gap[max_gap]:.2f}, {seconds:.0f} s")
        chosen = _median_seed(runs, settings.train_gaps[1])
        name = f"race_{cell}"
        save_file({k: v.half().contiguous() for k, v in models[chosen].state_dict().items()},
                  str(out / f"{name}.safetensors"))
        card = {"name": f"{cell.upper()} memory-race model",
                "architecture": f"embedding -> one nn.{cell.upper()} layer -> linear head over {len(CLUES)} clues",
                "config": {**models[chosen].config.to_dict(), "num_layers": 1, "bidirectional": False,
                           "task": "race", "vocabulary": VOCAB_FILE},
                "parameters": sum(p.numel() for p in models[chosen].parameters()),
                "weights_bytes": (out / f"{name}.safetensors").stat().st_size,
                "weights_dtype": "float16",
                "task": {"clues": list(CLUES), "query": QUERY, "distractors": len(distractors),
                         "train_gaps": list(settings.train_gaps), "test_gaps": [1, max_gap],
                         "test_per_gap": TEST_PER_GAP, "chance": round(1 / len(CLUES), 4)},
                "training": {**asdict(settings), "seed": runs[chosen]["seed"], "optimizer": "Adam",
                             "loss": "cross-entropy at the query only", "torch": torch.__version__},
                "seeds": {"shipped": runs[chosen]["seed"], "rule": RULE, "runs": runs}}
        (out / f"{name}.json").write_text(json.dumps(card, ensure_ascii=False, indent=1), encoding="utf-8")
        cards[cell] = card
    return cards


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the memory-race models.")
    parser.add_argument("--arch", choices=[*CELLS, "all"], default="all")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=RaceSettings.steps)
    parser.add_argument("--hidden-size", type=int, default=RaceSettings.hidden_size)
    parser.add_argument("--threads", type=int, default=RaceSettings.threads)
    parser.add_argument("--out", type=Path, default=PRETRAINED_DIR)
    args = parser.parse_args()
    settings = RaceSettings(steps=args.steps, hidden_size=args.hidden_size, threads=args.threads)
    cells = list(CELLS) if args.arch == "all" else [args.arch]
    start = time.perf_counter()
    run(cells, args.out, settings, args.seeds)
    print(f"trained {len(cells)} cell(s) x {args.seeds} seed(s) in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
