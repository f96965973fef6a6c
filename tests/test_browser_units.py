"""The units page in a real browser: a link opens its model, property and state at /units, the ranking draws, a
person's regular expression is ranked and carried into the URL, and the menu leads to the sentiment page at / in the
same language. Screenshots go to artifacts/."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright import sync_api as playwright

from benchmarks.browser import CHROMIUM, LAUNCH_ARGS, ROOT, TIMEOUT, app_server, page_query, page_url, poll, wait_until
from ui import units
from ui.frame import page_name
from ui.i18n import t

ARTIFACTS = ROOT / "artifacts"
LINK = {"model": "lm_lstm", "property": "in_digits", "state": "c", "lang": "en"}
PATTERN = "不.{0,2}好"

pytestmark = pytest.mark.e2e








@pytest.fixture(scope="module")
def server_url():
    with app_server(ARTIFACTS / "streamlit_units.log") as url:
        yield url


def _ranking_bars(page) -> int:
    chart = page.locator("[data-testid=stPlotlyChart]").first
    return chart.locator(".barlayer .point").count()


def test_the_units_page_opens_from_its_link_ranks_a_pattern_and_leads_home(server_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server_url}/units?" + "&".join(f"{k}={v}" for k, v in LINK.items()))
            page.get_by_role("heading", name=units.STRINGS["en"]["title"], exact=True).wait_for(timeout=TIMEOUT * 1000)
            # the script ran to its end (a ranking over the whole test split may be computed first)
            wait_until(lambda: "unit" in page_query(page), "the unit shown in the URL", 2 * TIMEOUT)
            poll(page, lambda s: s["idle"] and s["charts"] >= 1 and s["drawn"] == s["charts"], "the ranking")
            assert {k: page_query(page).get(k) for k in LINK} == LINK
            assert _ranking_bars(page) == units.SHOWN_UNITS
            assert page.get_by_text(units.STRINGS["en"]["export_csv"]).count() == 1
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "20_units_en.png"), full_page=True)

            page.get_by_text(units.STRINGS["en"]["pattern_heading"]).click()
            box = page.get_by_label(units.STRINGS["en"]["pattern"])
            box.fill(PATTERN)
            page.get_by_role("button", name=units.STRINGS["en"]["pattern_rank"]).click()
            wait_until(lambda: page_query(page).get("pattern") == PATTERN, "the pattern in the URL", 2 * TIMEOUT)
            query = page_query(page)
            assert query["property"] == "custom" and query["model"] == "lm_lstm"
            poll(page, lambda s: s["idle"] and s["charts"] >= 1 and s["drawn"] == s["charts"], "the pattern's ranking")
            assert _ranking_bars(page) == units.SHOWN_UNITS
            page.screenshot(path=str(ARTIFACTS / "20_units_pattern_en.png"), full_page=True)

            page.get_by_role("link", name=page_name("en", "sentiment")).click()
            page.get_by_text(t("en", "title"), exact=True).wait_for(timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"] and s["charts"] >= 2 and s["drawn"] == s["charts"], "the sentiment page")
            assert urlsplit(page_url(page)).path == "/" and page_query(page).get("lang") == "en"
        finally:
            browser.close()
