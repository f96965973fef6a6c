"""A variant in a real browser: open a two-layer model by its link, switch to layer 2; open a bidirectional one,
switch to its backward direction; each time the maps drawn in the page change and their titles say where they are.

Streamlit serves app.py from a folder of the shipped one-layer models and random-weight variants
(tests.page_variants); Debian's Chromium is driven by Playwright, as in tests/test_browser.py.
"""
from __future__ import annotations

import os

import pytest
from playwright import sync_api as playwright

from benchmarks.browser import ROOT, TIMEOUT, app_server, launch, new_page, poll
from tests.page_variants import variant_folder
from ui import shapes
from ui.state import DIRECTORY_ENV

ARTIFACTS = ROOT / "artifacts"
TEXT = "这部电影不好看，但是演员很棒，我很喜欢"
READ_CHARTS = 2  # the prediction curve and the first gate's map

pytestmark = pytest.mark.e2e

# Every chart's title and, for a heatmap, the sum of |z| over its cells: a map whose numbers changed sums to another
# value. Read from Plotly's own figure in the page, as drawn.
MAPS = """() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')).map(gd => {
    const heat = (gd._fullData || []).find(d => d.type === 'heatmap');
    let total = null;
    if (heat) {
        total = 0;
        for (const row of heat.z) for (const v of row) if (v === v && v !== null) total += Math.abs(v);
    }
    return {title: (gd.layout.title && gd.layout.title.text || '').replace(/<br>/g, ' '), total: total};
})"""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    folder = variant_folder(tmp_path_factory.mktemp("browser_variants"), ("lstm_2layer", "lstm_bi"))
    old = os.environ.get(DIRECTORY_ENV)
    os.environ[DIRECTORY_ENV] = str(folder)  # the server started below inherits it
    try:
        with app_server(ARTIFACTS / "streamlit_variants.log") as url:
            yield url
    finally:
        if old is None:
            os.environ.pop(DIRECTORY_ENV, None)
        else:
            os.environ[DIRECTORY_ENV] = old


def _maps(page) -> list[dict]:
    return [found for found in page.evaluate(MAPS) if found["total"] is not None]


def _switch(page, label: str, where: str, before: list[dict]) -> list[dict]:
    """Click the radio option ``label``; the heatmaps once every chart is drawn again and one of them says ``where``."""
    page.get_by_text(label, exact=True).first.click()
    poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"] >= READ_CHARTS, label)
    for _ in range(int(TIMEOUT / 0.2)):
        after = _maps(page)
        if any(where in found["title"] for found in after):
            return after
        page.wait_for_timeout(200)
    raise AssertionError(f"no map says {where!r} after {label!r}: {before} -> {_maps(page)}")


def _open(page, url: str) -> list[dict]:
    page.goto(url)
    poll(page, lambda s: s["connected"] and s["idle"] and s["drawn"] >= READ_CHARTS, url)
    return _maps(page)


def test_a_variant_switches_layer_and_direction_and_its_maps_change(server_url):
    with playwright.sync_playwright() as p:
        browser = launch(p)
        try:
            page = new_page(browser)
            first = _open(page, f"{server_url}/?model=lstm_2layer&lang=en&text={TEXT}")
            assert first and all("layer 1, forward" in found["title"] for found in first), first
            second = _switch(page, shapes.text("en", "layer_value", number=2), "layer 2, forward", first)
            assert second[0]["total"] != first[0]["total"], (first, second)
            page.screenshot(path=str(ARTIFACTS / "variants_layer_2.png"))

            forward = _open(page, f"{server_url}/?model=lstm_bi&lang=en&text={TEXT}")
            assert forward and all("forward" in found["title"] for found in forward), forward
            backward = _switch(page, shapes.text("en", "direction_1"), "backward", forward)
            assert backward[0]["total"] != forward[0]["total"], (forward, backward)
            page.get_by_text(shapes.text("en", "backward_note"), exact=True).wait_for(timeout=TIMEOUT * 1000)
            page.screenshot(path=str(ARTIFACTS / "variants_backward.png"))
        finally:
            browser.close()
