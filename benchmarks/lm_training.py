"""How long `python -m models.train_lm` takes per model on this machine, without training a whole model: the real
recipe (``LMSettings``: the adaptive head, the pieces, the batch size) for a few hundred batches drawn as training
draws them, then the whole run's time extrapolated, next to the 15-minute goal; the linear head's time per batch
beside it, for the ratio the adaptive head buys.

    python -m benchmarks.lm_training                  # 200 batches per cell, 2 threads
    python -m benchmarks.lm_training --batches 100 --threads 1
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from models.lm import CharLanguageModel, LanguageModelConfig, lm_vocabulary
from models.trace import CELL_TYPES
from models.training.train_lm import LMSettings, _batches, _padded, corpus_parts, training_pieces

GOAL_SECONDS = 15 * 60


def seconds_per_batch(arch: str, settings: LMSettings, pieces: list[np.ndarray], vocab_size: int,
                      batches: int) -> float:
    """Mean seconds of one training batch (forward, loss, backward, Adam step) over ``batches`` batches."""
    torch.manual_seed(0)
    config = LanguageModelConfig(arch=arch, vocab_size=vocab_size, embed_dim=settings.embed_dim,
                                 hidden_size=settings.hidden_size, dropout=settings.dropout,
                                 cutoffs=settings.cutoffs, div_value=settings.div_value)
    model = CharLanguageModel(config).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    order = _batches(pieces, settings.batch_size, np.random.default_rng(0))[:batches + 5]
    for step, rows in enumerate(order):
        if step == 5:  # five warm-up batches
            start = time.perf_counter()
        loss = model.loss(_padded([pieces[i] for i in rows]))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    return (time.perf_counter() - start) / batches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--threads", type=int, default=LMSettings.threads)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = LMSettings(threads=args.threads)
    train = corpus_parts()["train"]
    vocab = lm_vocabulary(train, settings.min_count)
    pieces = training_pieces(train, vocab, settings.piece)
    print(f"{len(pieces)} pieces, {settings.steps} batches of {settings.batch_size}, {args.threads} thread(s)")
    for arch in CELL_TYPES:
        adaptive = seconds_per_batch(arch, settings, pieces, len(vocab), args.batches)
        linear = seconds_per_batch(arch, replace(settings, cutoffs=()), pieces, len(vocab), args.batches // 4)
        whole = adaptive * settings.steps
        print(f"lm_{arch}: {1000 * adaptive:.0f} ms a batch (linear head {1000 * linear:.0f} ms, "
              f"{linear / adaptive:.1f}x); whole run {whole / 60:.1f} min = {whole / GOAL_SECONDS:.2f}x the goal")


if __name__ == "__main__":
    main()
