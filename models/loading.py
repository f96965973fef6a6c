"""Any shipped model by its name (``models.names``): a sentiment classifier or race model through
``models.pretrained``, a character language model through ``models.lm``.

    from models.loading import load_model
    load_model("lstm_bi"), load_model("race_gru"), load_model("lm_lstm")
"""
from __future__ import annotations

from pathlib import Path

from models.lm import TASK as LANGUAGE_MODEL
from models.lm import LanguageModel, load_language_model
from models.names import parse_name
from models.pretrained import PretrainedModel, load_pretrained


def load_model(name: str, directory: str | Path | None = None) -> PretrainedModel | LanguageModel:
    """The model ``name`` from ``directory`` (default ``pretrained/``), by the loader its task needs."""
    if parse_name(name).task == LANGUAGE_MODEL:
        return load_language_model(name, directory)
    return load_pretrained(name, directory)
