"""The language-model page in a real browser: a link opens its text at /lm, the next-character charts draw, the
gates view draws its maps, live writing plays (its text grows from the prompt), and the URL follows the view.
Screenshots go to artifacts/."""
from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright import sync_api as playwright

from benchmarks.browser import CHROMIUM, LAUNCH_ARGS, POLL, ROOT, TIMEOUT, app_server, poll
from ui import lm

ARTIFACTS = ROOT / "artifacts"
LINK = {"text": "《三体》不是不好看", "view": "next", "model": "lm_lstm", "pos": "5", "prompt": "这家店",
        "length": "40", "seed": "3", "lang": "en"}
NEXT_CHARTS = 3  # the surprise strip, the detail bars, the window
TEXT_POINTS = """() => document.querySelectorAll('[data-testid=stPlotlyChart] .scatterlayer .textpoint').length"""

pytestmark = pytest.mark.e2e


def _url(page) -> str:
    """The address the page shows now (asked of the page: ``page.url`` is only brought up to date by events)."""
    return page.evaluate("() => location.href")


def _query(page) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(_url(page)).query))


def _wait(condition, what: str):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(POLL)
    raise TimeoutError(f"waiting for {what}")


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
            assert {k: _query(page).get(k) for k in LINK} == LINK
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "21_lm_next_en.png"), full_page=True)

            _view(page, "gates")
            poll(page, lambda s: s["idle"] and s["charts"] >= 1 and s["drawn"] == s["charts"], "the gate maps")
            _wait(lambda: _query(page).get("view") == "gates", "view=gates in the URL")
            page.get_by_text("Inside one step", exact=False).first.wait_for(timeout=TIMEOUT * 1000)

            _view(page, "write")
            poll(page, lambda s: s["idle"] and s["charts"] == 1 and s["drawn"] == 1, "the writing animation")
            whole = _wait(lambda: page.evaluate(TEXT_POINTS), "the written text in the animation")
            page.get_by_text("▶ play", exact=True).click()
            shorter = _wait(lambda: (lambda n: n if 0 < n < whole else 0)(page.evaluate(TEXT_POINTS)),
                            "the animation to start from the prompt")
            assert shorter < whole
            _wait(lambda: page.evaluate(TEXT_POINTS) > shorter, "the text to grow as it plays")
            page.screenshot(path=str(ARTIFACTS / "22_lm_write_en.png"), full_page=True)
            assert _query(page).get("view") == "write" and _query(page).get("seed") == "3"
        finally:
            browser.close()
