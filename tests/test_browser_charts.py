"""Charts that can be read, in Chromium: the Memory tab and a What-if preset on the 78-token restaurant review,
at 1400 px and 1000 px, in 中文 and English. No two tick labels of an axis overlap, and every title fits its chart.

Screenshots of each view go to a temporary folder (printed), to look at.
"""
from __future__ import annotations

import time
from urllib.parse import quote, urlencode

import pytest
from playwright import sync_api as playwright

from benchmarks.browser import POLL, ROOT, TIMEOUT, app_server, launch, poll
from ui.i18n import LANGS, t
from ui.source import EXAMPLES

pytestmark = pytest.mark.e2e  # needs Debian's chromium at /usr/bin/chromium (scripts/test.sh installs it)

REVIEW = next(example.text for example in EXAMPLES if example.key == "ex_restaurant")
TOKENS = 78  # the review as jieba reads it
WIDTHS = (1400, 1000)
HEIGHT = 1000
PRESET = "never_forget"
MAX_SHOT_PX = 12000
OVERLAP_PX = 0.5  # boxes that share less than this are apart (rounding of sub-pixel positions)
TITLE_SLACK_PX = 1.0
MIN_RETENTION_LABELS = 10  # a retention map labels at least this many of its 78 tokens on each axis

# Every chart's tick labels, axis by axis, and its title, as boxes in page coordinates. An axis is one
# ``.xaxislayer-above`` or ``.yaxislayer-above`` group of one subplot; labels plotly left empty are not drawn.
GEOMETRY = """() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')).map(gd => {
    const box = (el) => { const r = el.getBoundingClientRect();
                          return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
    const svg = gd.querySelector('.main-svg');
    const axes = Array.from(gd.querySelectorAll('.xaxislayer-above, .yaxislayer-above')).map(layer => ({
        name: (layer.classList.contains('xaxislayer-above') ? 'x' : 'y') + ' of '
              + (layer.closest('.subplot') ? layer.closest('.subplot').classList[1] : '?'),
        labels: Array.from(layer.querySelectorAll('.xtick text, .ytick text'))
            .filter(text => text.textContent.trim() && text.getBoundingClientRect().width > 0)
            .map(text => ({text: text.textContent, ...box(text)})),
    }));
    const title = gd.querySelector('.gtitle');
    return {svg: box(svg), title: title && title.textContent ? {text: title.textContent, ...box(title)} : null,
            axes: axes, retention: !!(gd._fullData && gd._fullData.some(d => d.type === 'heatmap'
                                      && d.x && d.y && d.x.length === d.y.length && d.x.length > 1))};
})"""
# The charts' widths, to see when a resized page has drawn them again.
WIDTHS_NOW = """() => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]')).map(
    chart => [Math.round(chart.getBoundingClientRect().width),
              Math.round((chart.querySelector('.main-svg') || chart).getBoundingClientRect().width)])"""


def _overlap(a: dict, b: dict) -> bool:
    return (min(a["right"], b["right"]) - max(a["left"], b["left"]) > OVERLAP_PX
            and min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > OVERLAP_PX)


def _problems(charts: list[dict], where: str) -> list[str]:
    """Each pair of overlapping tick labels on one axis, and each title that leaves its chart."""
    found = []
    for number, chart in enumerate(charts):
        for axis in chart["axes"]:
            labels = axis["labels"]
            found += [f"{where}, chart {number}, {axis['name']}: {a['text']!r} overlaps {b['text']!r}"
                      for i, a in enumerate(labels) for b in labels[i + 1:] if _overlap(a, b)]
        title, svg = chart["title"], chart["svg"]
        if title and (title["left"] < svg["left"] - TITLE_SLACK_PX or title["right"] > svg["right"] + TITLE_SLACK_PX
                      or title["top"] < svg["top"] - TITLE_SLACK_PX):
            found.append(f"{where}, chart {number}: title {title['text']!r} leaves the chart "
                         f"({title['left']:.0f}–{title['right']:.0f} px of {svg['left']:.0f}–{svg['right']:.0f})")
    return found


def _settled(page, width: int) -> None:
    """Until every chart is drawn at the page's new width: the same widths twice in a row, a moment apart."""
    page.set_viewport_size({"width": width, "height": HEIGHT})
    deadline = time.monotonic() + TIMEOUT
    last = None
    while time.monotonic() < deadline:
        now = page.evaluate(WIDTHS_NOW)
        if now == last and all(abs(outer - inner) <= 2 for outer, inner in now):
            return
        last = now
        time.sleep(4 * POLL)
    raise TimeoutError(f"charts not redrawn at {width} px: {last}")


def _screenshot(page, path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is grown to fit it."""
    size = page.viewport_size
    page.mouse.move(0, 0)
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), MAX_SHOT_PX)})
    time.sleep(0.5)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def _check(page, view: str, lang: str, shots, widths=WIDTHS) -> list[dict]:
    """At each width: the view's charts measured, checked and photographed; the charts at the last width."""
    problems, charts = [], []
    for width in widths:
        start = time.perf_counter()
        _settled(page, width)
        settled = time.perf_counter()
        charts = page.evaluate(GEOMETRY)
        problems += _problems(charts, f"{view} {lang} {width} px")
        measured = time.perf_counter()
        _screenshot(page, shots / f"{view}_{lang}_{width}.png")
        print(f"{view} {lang} {width}: settle {settled - start:.1f} s, measure {measured - settled:.1f} s, "
              f"screenshot {time.perf_counter() - measured:.1f} s")
    assert not problems, "\n".join(problems)
    return charts


@pytest.fixture(scope="module")
def server_url():
    with app_server(ROOT / "artifacts" / "streamlit_charts.log") as url:
        yield url


def test_memory_and_whatif_charts_are_readable_at_78_tokens(server_url, tmp_path_factory):
    shots = tmp_path_factory.mktemp("chart_shots")
    print(f"\nscreenshots in {shots}")
    with playwright.sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": HEIGHT})
            for lang in LANGS:
                start = time.perf_counter()
                query = urlencode({"text": REVIEW, "tab": "memory", "lang": lang}, quote_via=quote)
                page.goto(f"{server_url}/?{query}")
                page.get_by_text(t(lang, "tokens_heading", count=TOKENS), exact=True).wait_for(timeout=TIMEOUT * 1000)
                poll(page, lambda s: s["connected"] and s["idle"] and s["charts"] >= 8 and s["drawn"] == s["charts"],
                     f"the Memory tab ({lang})")
                print(f"memory tab {lang}: {time.perf_counter() - start:.1f} s")
                charts = _check(page, "memory", lang, shots)
                maps = [c for c in charts if c["retention"]]
                assert len(maps) == 3  # the chosen model's, then the LSTM's and the GRU's beside the gradient
                for chart in maps:  # thinned, not emptied
                    assert all(len(axis["labels"]) >= MIN_RETENTION_LABELS for axis in chart["axes"]), chart["axes"]

                start = time.perf_counter()
                page.get_by_role("tab", name=t(lang, "tab_whatif")).click()
                page.get_by_text(t(lang, "whatif_heading"), exact=True).wait_for(timeout=TIMEOUT * 1000)
                page.get_by_text(t(lang, f"whatif_preset_{PRESET}"), exact=True).click()
                page.get_by_text(t(lang, f"whatif_preset_{PRESET}_desc"), exact=True).wait_for(timeout=TIMEOUT * 1000)
                poll(page, lambda s: s["idle"] and s["charts"] == s["drawn"] == 4, f"the {PRESET} charts ({lang})")
                print(f"what-if preset {lang}: {time.perf_counter() - start:.1f} s")
                _check(page, "whatif", lang, shots, widths=WIDTHS[::-1])
        finally:
            browser.close()
