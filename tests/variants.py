"""Tiny two-layer and bidirectional classifiers with random weights, for the tests of every layer and direction.

    model = tiny_model("lstm", layers=2)                 # a PretrainedModel reading characters
    model = tiny_model("gru", bidirectional=True)
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.pretrained import PretrainedModel
from models.vocab import PAD, UNK, Vocabulary

CHARS = tuple("这部电影不好看但是演员很棒我喜欢太差了，。")
SHAPES = ((2, False), (1, True))
"""(num_layers, bidirectional) of the shipped variants: two layers, or both ways."""
VARIANTS = [(arch, layers, bi) for arch in ("rnn", "lstm", "gru") for layers, bi in SHAPES]


def tiny_model(arch: str, layers: int = 1, bidirectional: bool = False, *, seed: int = 0, hidden: int = 6,
               scale: float = 1.0) -> PretrainedModel:
    """A PretrainedModel of ``arch`` with random weights (times ``scale``), reading one character a token."""
    torch.manual_seed(seed)
    vocab = Vocabulary((PAD, UNK, *CHARS), {"mode": "char"})
    config = ClassifierConfig(arch=arch, vocab_size=len(vocab), embed_dim=5, hidden_size=hidden,
                              num_layers=layers, bidirectional=bidirectional)
    model = RecurrentClassifier(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(scale)
    name = f"{arch}_{layers}layer_bi" if layers > 1 and bidirectional else None  # no shipped name for a stack both ways
    return PretrainedModel(model.eval(), vocab, {"config": config.to_dict()}, name=name)


def save_model(model: PretrainedModel, folder: Path, name: str) -> None:
    """``model``'s files as the loader reads them: ``{name}.json`` (a card), ``{name}.safetensors``, ``vocab.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    model.vocab.save(folder / "vocab.json")
    (folder / f"{name}.json").write_text(json.dumps({"config": model.model.config.to_dict()}), encoding="utf-8")
    save_file({k: v.contiguous() for k, v in model.model.state_dict().items()}, str(folder / f"{name}.safetensors"))
