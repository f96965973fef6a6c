"""The language-model page in a real browser: a link opens its text at /lm, the next-character charts draw, the
gates view draws its maps, live writing plays (its text grows from the prompt), and the URL follows the view.
Screenshots go to artifacts/."""
from __future__ import annotations

import pytest
from playwright import sync_api as playwright

from benchmarks.browser import CHROMIUM, LAUNCH_ARGS, ROOT, TIMEOUT, app_server, page_query, poll, wait_until
from ui import lm

ARTIFACTS = ROOT / "artifacts"
LINK = {"text": "《三体》不是不好看", "view": "next", "model": "lm_lstm", "pos": "5", "prompt": "这家店",
        "length": "40", "seed": "3", "lang": "en"}
NEXT_CHARTS = 3  # the surprise strip, the detail bars, the window
TEXT_POINTS = """() => document.querySelectorAll('[data-testid=stPlotlyChart] .scatterlayer .textpoint').length"""

pytestmark = pytest.mark.e2e








@pytest.fixture(scope="module")
def server_url():
    with app_server(ARTIFACTS / "streamlit_lm.log") as url:
        yield url


def _view(page, view: str) -> None:
    page.get_by_text(lm.STRINGS["en"][f"view_{view}"], exact=True).click()


def test_the_lm_page_opens_from_its_link_draws_each_view_and_plays_the_writing(server_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server_url}/lm?" + "&".join(f"{k}={v}" for k, v in LINK.items()))
            page.get_by_text(lm.STRINGS["en"]["title"], exact=True).wait_for(timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"] and s["charts"] == NEXT_CHARTS and s["drawn"] == s["charts"],
                 "the next-character charts")
            strip = page.locator("[data-testid=stPlotlyChart]").first
            assert strip.locator(".heatmaplayer image, .heatmaplayer .hm").count() >= 1
            assert "三" in strip.inner_text()  # the characters are written in their cells
            assert {k: page_query(page).get(k) for k in LINK} == LINK
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "21_lm_next_en.png"), full_page=True)

            _view(page, "gates")
            poll(page, lambda s: s["idle"] and s["charts"] >= 1 and s["drawn"] == s["charts"], "the gate maps")
            wait_until(lambda: page_query(page).get("view") == "gates", "view=gates in the URL")
            page.get_by_text("Inside one step", exact=False).first.wait_for(timeout=TIMEOUT * 1000)

            _view(page, "write")
            poll(page, lambda s: s["idle"] and s["charts"] == 1 and s["drawn"] == 1, "the writing animation")
            whole = wait_until(lambda: page.evaluate(TEXT_POINTS), "the written text in the animation")
            page.get_by_text("▶ play", exact=True).click()
            shorter = wait_until(lambda: (lambda n: n if 0 < n < whole else 0)(page.evaluate(TEXT_POINTS)),
                            "the animation to start from the prompt")
            assert shorter < whole
            wait_until(lambda: page.evaluate(TEXT_POINTS) > shorter, "the text to grow as it plays")
            page.screenshot(path=str(ARTIFACTS / "22_lm_write_en.png"), full_page=True)
            assert page_query(page).get("view") == "write" and page_query(page).get("seed") == "3"
        finally:
            browser.close()
