"""viz stays free of torch and streamlit, and takes its gate and state names from models.trace."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import viz

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("GATE_NAMES", "TERM_NAMES", "SIGMOID_GATES", "UNBOUNDED_STATES", "DISPLAY_ORDER", "GRU_CONVENTIONS",
         "RETAIN_GATE")


def test_viz_never_imports_torch_or_streamlit():
    modules = sorted(f"viz.{m.name}" for m in pkgutil.iter_modules(viz.__path__))
    assert {"viz.labels", "viz.steps", "viz.colours", "viz.plotly_helpers", "viz.heatmap", "viz.overview",
            "viz.animation", "viz.prediction", "viz.compare", "viz.difference", "viz.saturation", "viz.retention",
            "viz.equations"} <= set(modules)
    code = "; ".join(f"import {m}" for m in modules) + (
        "; import sys; bad = {'torch', 'streamlit'} & set(sys.modules); assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_module_outside_models_trace_defines_the_names():
    """The names are defined once: a second ``GATE_NAMES = ...`` anywhere in viz or ui fails here."""
    for folder in ("viz", "ui"):
        for path in sorted((ROOT / folder).glob("*.py")):
            source = path.read_text(encoding="utf-8")
            for name in NAMES:
                assert f"\n{name} =" not in source and f"\n{name}:" not in source, f"{path.name} defines {name}"
