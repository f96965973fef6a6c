"""One truth for each convention: the keep gate, the GRU conventions, the page's names, retention, agreement."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lessons.lesson
import models.names
import models.pretrained
import ui.i18n
import ui.links
from models.asking.gradients import AGREE, Agreement, log10_retention
from models.retention import log10_retention_at, retention_matrix
from models.trace import RETAIN_GATE, Trace

ROOT = Path(__file__).resolve().parents[1]


def test_the_keep_gate_map_is_defined_only_in_models_trace():
    assert dict(RETAIN_GATE) == {"lstm": "forget", "gru": "update"}
    for folder in ("models", "viz", "ui", "lessons"):
        for path in sorted((ROOT / folder).glob("*.py")):
            if path.name == "trace.py" and folder == "models":
                continue
            source = path.read_text(encoding="utf-8")
            assert '"lstm": "forget", "gru": "update"' not in source, f"{folder}/{path.name} maps the keep gate again"


def test_lessons_name_the_pages_tabs_languages_and_models_from_one_place():
    from ui.tabs import TABS as PAGE_TABS

    assert lessons.lesson.TABS is PAGE_TABS is ui.i18n.TABS
    assert "tab_whatif" in lessons.lesson.TABS
    lessons.lesson.View(tab="tab_whatif")  # a lesson can open the What-if tab
    assert lessons.lesson.LANGS is ui.i18n.LANGS
    assert lessons.lesson.SENTIMENT_MODELS == models.names.all_names("sentiment")  # a view's models, by name
    assert ui.links.TABS == tuple(key.removeprefix("tab_") for key in PAGE_TABS)


@pytest.mark.parametrize(("module", "absent"), [("lessons", "streamlit"),
                                                ("models.asking.gradients", "models.pretrained")])
def test_a_module_imports_nothing_above_it(module, absent):
    code = f"import sys, {module}; assert {absent!r} not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _trace(cell_type: str, gate: np.ndarray) -> Trace:
    shape = (1, 1, *gate.shape)
    names = {"lstm": ("input", "forget", "candidate", "output"), "gru": ("reset", "update", "candidate")}[cell_type]
    gates = {k: np.full(shape, 0.5, np.float32) for k in names}
    gates[RETAIN_GATE[cell_type]] = gate.reshape(shape)
    term_names = ("reset_hidden", "input_candidate") if cell_type == "gru" else ()
    terms = {k: np.zeros(shape, np.float32) for k in term_names}
    return Trace(cell_type, tuple("abcdefghijklmnopqrstuvwxyz"[: gate.shape[0]]), np.zeros(shape, np.float32),
                 cell=np.zeros(shape, np.float32) if cell_type == "lstm" else None, gates=gates, terms=terms)


@pytest.mark.parametrize("cell_type", ["lstm", "gru"])
def test_retention_to_the_end_is_the_last_row_of_the_map(cell_type):
    gate = np.random.default_rng(3).uniform(0.05, 1.0, (12, 5)).astype(np.float32)
    matrix = retention_matrix(gate)
    np.testing.assert_allclose(10 ** log10_retention(_trace(cell_type, gate)), matrix[-1], rtol=1e-12)
    for t in range(12):  # every row of the map is the one row computation
        np.testing.assert_allclose(10 ** log10_retention_at(gate, t), matrix[t, : t + 1], rtol=1e-12)
    product = np.prod(gate[4:].astype(np.float64), axis=0).mean()  # token 3 to the end, by hand
    assert matrix[-1, 3] == pytest.approx(product, rel=1e-12)


def test_the_map_survives_what_would_underflow_and_exact_zeros():
    gate = np.full((400, 3), 0.1)
    gate[200, 1] = 0.0
    row = log10_retention_at(gate, 399)
    assert np.isfinite(row[201:]).all() and np.isfinite(row[:201]).all()  # 0.1 ** 399 underflows as a product
    assert row[0] == pytest.approx(math.log10(2 / 3) - 399.0, abs=1e-9)  # two of three units keep 0.1 ** 399
    assert retention_matrix(gate[:202])[201, 199] == pytest.approx((0.01 + 0.0 + 0.01) / 3, rel=1e-12)


@pytest.mark.parametrize(("rho", "strength"), [(0.5, "together"), (0.49, "partly"), (0.1, "unrelated"),
                                                (-0.49, "partly_opposed"), (-0.5, "opposed"),
                                                (float("nan"), "none")])
def test_the_agreement_names_its_strength_by_one_threshold(rho, strength):
    assert AGREE == 0.5
    assert Agreement(rho, 10, None if math.isnan(rho) else 2, 1, 5).strength == strength
