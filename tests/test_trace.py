"""The Trace on its own: numpy only, read-only for good, its accessors and the GRU convention."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from models.trace import DISPLAY_ORDER, GATE_NAMES, GRU_CONVENTIONS, Trace

ROOT = Path(__file__).resolve().parents[1]
SHAPE = (1, 1, 3, 2)  # (L, D, T, H)


def _gru(update: np.ndarray) -> Trace:
    zero = np.zeros(SHAPE, np.float32)
    return Trace("gru", "abc", hidden=zero, gates={"reset": zero, "update": update, "candidate": zero},
                 terms={"reset_hidden": zero, "input_candidate": zero})


def test_models_trace_needs_only_numpy():
    code = ("import models.trace, models.saturation, sys; "
            "bad = {'torch', 'plotly', 'streamlit'} & set(sys.modules); assert not bad, bad")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_a_read_only_view_of_a_writable_array_is_copied():
    owner = np.zeros(SHAPE, np.float32)  # writable
    view = owner[:]
    view.setflags(write=False)  # the view says read-only, but owner can still change it
    trace = Trace("rnn", "abc", hidden=view, terms={"preactivation": view})
    owner[0, 0, 0, 0] = 5.0
    assert trace.hidden[0, 0, 0, 0] == 0.0 and trace.terms["preactivation"][0, 0, 0, 0] == 0.0
    assert not trace.hidden.flags.writeable


def test_an_array_read_only_at_its_root_is_kept_without_a_copy():
    owner = np.zeros(SHAPE, np.float32)
    owner.setflags(write=False)
    view = owner[:]
    trace = Trace("rnn", "abc", hidden=view, terms={"preactivation": owner})
    assert trace.hidden is view and trace.terms["preactivation"] is owner


def test_state_reads_every_name_and_refuses_others():
    update = np.full(SHAPE, 0.25, np.float32)
    trace = _gru(update)
    for name in DISPLAY_ORDER["gru"]:
        assert trace.state(name).shape == SHAPE and trace.has_state(name)
    assert trace.state("reset_hidden") is trace.terms["reset_hidden"]
    assert not trace.has_state("cell") and not trace.has_state("forget")
    with pytest.raises(KeyError):
        trace.state("cell")
    assert (trace.state_kind("update"), trace.state_kind("candidate"), trace.state_kind("reset_hidden")) == (
        "gate", "tanh", "unbounded")
    with pytest.raises(IndexError):
        trace.check_position(0, 1)


def test_display_order_names_every_gate_and_state():
    for cell_type, rows in DISPLAY_ORDER.items():
        states = set(GATE_NAMES[cell_type]) | {"hidden"} | ({"cell"} if cell_type == "lstm" else set())
        assert len(rows) == len(set(rows)) and set(rows) == states


def test_the_textbook_update_gate_is_one_minus_pytorchs():
    update = np.array([0.125, 0.75, 1.0, 0.0, 0.5, 0.875], np.float32).reshape(SHAPE)
    trace = _gru(update)
    assert GRU_CONVENTIONS == ("textbook", "torch")
    assert trace.state("update", convention="torch") is trace.gates["update"]
    book = trace.state("update", convention="textbook")
    np.testing.assert_array_equal(book.ravel(), np.float32([0.875, 0.25, 0.0, 1.0, 0.5, 0.125]))
    assert book.dtype == np.float32 and not book.flags.writeable
    assert trace.state("reset", convention="textbook") is trace.gates["reset"]  # only z flips
    with pytest.raises(ValueError):
        trace.state("update", convention="keras")
