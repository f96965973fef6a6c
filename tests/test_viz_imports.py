"""viz stays free of torch and streamlit, and its gate names match models.trace."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import viz
from models import trace
from viz import _common

ROOT = Path(__file__).resolve().parents[1]


def test_viz_never_imports_torch_or_streamlit():
    modules = sorted(f"viz.{m.name}" for m in pkgutil.iter_modules(viz.__path__))
    assert {"viz._common", "viz.heatmap", "viz.overview", "viz.animation", "viz.prediction", "viz.compare",
            "viz.difference", "viz.saturation", "viz.retention", "viz.equations"} <= set(modules)
    code = "; ".join(f"import {m}" for m in modules) + (
        "; import sys; bad = {'torch', 'streamlit'} & set(sys.modules); assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_gate_names_match_models_trace():
    assert _common.SIGMOID_GATES == trace.SIGMOID_GATES
    assert dict(_common.GATE_NAMES) == dict(trace.GATE_NAMES)
    assert dict(_common.TERM_NAMES) == dict(trace.TERM_NAMES)
    for cell_type, rows in _common.OVERVIEW_ROWS.items():
        assert set(rows) == set(trace.GATE_NAMES[cell_type]) | {"hidden"} | ({"cell"} if cell_type == "lstm" else set())
