"""The warm-up before the first visitor (ui.warm): `streamlit run app.py` finds its st.App, the lifespan loads the
models once and the first page is served from the caches it filled; a broken folder does not stop the server."""
from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.web.server.app_discovery import discover_asgi_app

from models.pretrained import PretrainedModel, available_names
from ui import state, warm
from ui.source import DEFAULT_TEXT

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


class Counter:
    """Counts the calls of a wrapped function, by first argument."""

    def __init__(self, function) -> None:
        self.function = function
        self.calls: list = []

    def __call__(self, *args, **kwargs):
        self.calls.append(args[:2])
        return self.function(*args, **kwargs)


@pytest.fixture
def cold(monkeypatch):
    """A process whose caches are empty, with the model loads and the analyses counted."""
    st.cache_resource.clear()
    st.cache_data.clear()
    loads = Counter(state.load_pretrained)
    monkeypatch.setattr(state, "load_pretrained", loads)
    analyses = Counter(PretrainedModel.analyze_tokens)
    monkeypatch.setattr(PretrainedModel, "analyze_tokens", lambda self, *a, **k: analyses(self, *a, **k))
    yield loads, analyses
    st.cache_resource.clear()


def test_streamlit_run_finds_the_app_whose_lifespan_warms_up():
    found = discover_asgi_app(Path(APP))
    assert found.is_asgi_app and found.import_string == "app:app"
    source = Path(APP).read_text(encoding="utf-8")
    assert "st.App(__file__, lifespan=warm.lifespan)" in source


def test_warming_up_loads_the_models_once_and_the_first_page_hits_its_caches(cold):
    loads, analyses = cold
    warm.warm_up()
    assert sorted(name for name, _ in loads.calls) == sorted(available_names())  # every model, variants too
    assert len(analyses.calls) == len(state.ARCHS)  # the default text, by every model
    loads.calls.clear()
    analyses.calls.clear()
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and at.text_area(key="text").value == DEFAULT_TEXT
    assert len(at.get("plotly_chart")) == 2
    assert loads.calls == [] and analyses.calls == []  # no model loaded again, the default text not read again


def test_the_lifespan_warms_up_before_serving(monkeypatch):
    events = []
    monkeypatch.setattr(warm, "warm_up", lambda: events.append("warm"))

    async def serve() -> None:
        async with warm.lifespan(None):
            events.append("serve")

    asyncio.run(serve())
    assert events == ["warm", "serve"]


def test_a_broken_model_folder_is_logged_and_the_server_still_starts(cold, tmp_path, monkeypatch, caplog):
    (tmp_path / "lstm.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(state.DIRECTORY_ENV, str(tmp_path))

    async def serve() -> bool:
        async with warm.lifespan(None):
            return True

    with caplog.at_level(logging.WARNING, logger=warm.LOG.name):
        assert asyncio.run(serve())
    assert "warming up" in caplog.text and "PretrainedError" in caplog.text


def test_loading_the_models_leaves_torch_dynamo_unimported():
    # nn.Embedding's random init on the meta device imported torch._dynamo: seconds of a server's first page.
    code = ("import sys\nfrom models.pretrained import ARCHS, load_pretrained\n"
            "[load_pretrained(arch) for arch in ARCHS]\nprint('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
