"""A model folder for page tests of the variants: the shipped one-layer models, and two-layer and bidirectional
models with random weights that read the shipped vocabulary (so the page's texts have known tokens).

    folder = variant_folder(tmp_path, ("lstm_2layer", "lstm_bi"))
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import save_file

from models.classifier import ClassifierConfig, RecurrentClassifier
from models.names import parse_name
from models.pretrained import ARCHS, PRETRAINED_DIR, model_file_names
from models.vocab import Vocabulary

HIDDEN = 8  # units of each variant: small, so that every view stays quick
EMBED = 6


def save_variant(folder: Path, name: str, *, seed: int = 0, embed: int = EMBED, hidden: int = HIDDEN) -> None:
    """``{name}.json`` and ``{name}.safetensors`` of a random-weight variant reading ``folder``'s vocab.json."""
    parsed = parse_name(name)
    vocab = Vocabulary.load(folder / "vocab.json")
    torch.manual_seed(seed)
    config = ClassifierConfig(arch=parsed.cell, vocab_size=len(vocab), embed_dim=embed, hidden_size=hidden,
                              num_layers=parsed.num_layers, bidirectional=parsed.bidirectional)
    model = RecurrentClassifier(config)
    (folder / f"{name}.json").write_text(json.dumps({"config": config.to_dict()}), encoding="utf-8")
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / f"{name}.safetensors"))


def variant_folder(folder: Path, variants: tuple[str, ...], *, one_layer: tuple[str, ...] = ARCHS) -> Path:
    """``folder`` holding the shipped ``one_layer`` models and the vocabulary, and random-weight ``variants``."""
    folder.mkdir(parents=True, exist_ok=True)
    for arch in one_layer:
        for file in model_file_names(arch):
            shutil.copy(PRETRAINED_DIR / file, folder / file)
    if not one_layer:
        shutil.copy(PRETRAINED_DIR / "vocab.json", folder / "vocab.json")
    for name in variants:
        save_variant(folder, name)
    return folder
