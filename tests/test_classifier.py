"""The classifier seam: its recurrent layer records through record(), with per-step probabilities."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from models.classifier import ClassifierConfig, RecurrentClassifier


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_last_step_probabilities_match_forward(arch):
    torch.manual_seed(0)
    model = RecurrentClassifier(ClassifierConfig(arch=arch, vocab_size=20, embed_dim=8, hidden_size=6)).eval()
    ids = torch.tensor([[2, 3, 4, 5], [6, 7, 0, 0]])
    lengths = torch.tensor([4, 2])
    with torch.inference_mode():
        expected = torch.softmax(model(ids, lengths), dim=-1).numpy()
    traces = model.record(ids, lengths, tokens=[list("abcd"), list("ef")])
    for trace, want, n in zip(traces, expected, [4, 2]):
        assert trace.probabilities.shape == (n, 2)
        assert trace.labels == ("negative", "positive")
        np.testing.assert_allclose(trace.probabilities[-1], want, atol=1e-5, rtol=0)
        np.testing.assert_allclose(trace.probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_config_roundtrip():
    config = ClassifierConfig(arch="gru", vocab_size=10)
    assert ClassifierConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="arch"):
        ClassifierConfig(arch="transformer", vocab_size=10)


@pytest.mark.parametrize("arch", ["rnn", "lstm", "gru"])
def test_step_logits_are_the_forward_of_every_prefix(arch):
    """One logits path: the head after step t equals forward() on the first t tokens, and the recorder's."""
    torch.manual_seed(1)
    model = RecurrentClassifier(ClassifierConfig(arch=arch, vocab_size=20, embed_dim=8, hidden_size=6)).eval()
    ids = torch.tensor([[2, 3, 4, 5], [6, 7, 8, 0]])
    lengths = torch.tensor([4, 3])
    with torch.inference_mode():
        steps = model.step_logits(ids, lengths)  # (2, 4, 2)
        for t in range(1, 5):
            prefix = model(ids[:1, :t], torch.tensor([t]))
            torch.testing.assert_close(steps[0, t - 1], prefix[0], atol=1e-6, rtol=0)
    traces = model.record(ids, lengths, tokens=[list("abcd"), list("efg")])
    for row, (trace, n) in enumerate(zip(traces, [4, 3])):
        np.testing.assert_allclose(trace.probabilities, torch.softmax(steps[row, :n], -1).numpy(), atol=1e-5)
