"""The memory-race page in a real browser: a link opens its sequence at /race, the guess reveals the curve, every
chart draws, the URL follows a change of seed, and the menu leads to the sentiment page at / in the same language.
Screenshots go to artifacts/."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright import sync_api as playwright

from benchmarks.browser import CHROMIUM, LAUNCH_ARGS, ROOT, TIMEOUT, app_server, page_query, page_url, poll, wait_until
from models.asking.race import race_curves
from ui import race, state
from ui.frame import page_name
from ui.i18n import t
from viz.race import race_curve_data

ARTIFACTS = ROOT / "artifacts"
LINK = {"gap": "40", "clue": "2", "seed": "1", "model": "lstm", "lang": "en"}
CHARTS_BEFORE = 6  # answers, holding units, gate map, LSTM gates, gradient, what-if; the curve after the reveal

pytestmark = pytest.mark.e2e








@pytest.fixture(scope="module")
def server_url():
    with app_server(ARTIFACTS / "streamlit_race.log") as url:
        yield url


def test_the_race_page_opens_from_its_link_reveals_its_curve_and_leads_home(server_url):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server_url}/race?" + "&".join(f"{k}={v}" for k, v in LINK.items()))
            page.get_by_text(race.STRINGS["en"]["title"], exact=True).wait_for(timeout=TIMEOUT * 1000)
            shown = poll(page, lambda s: s["idle"] and s["charts"] >= CHARTS_BEFORE and s["drawn"] == s["charts"],
                         "the race page's charts")
            assert shown["charts"] == CHARTS_BEFORE  # the curve is withheld until the guess is revealed
            assert {k: page_query(page).get(k) for k in LINK} == LINK
            choices = race.guess_choices(race_curve_data(race_curves(state.directory())))
            page.get_by_text(race.choice_name("en", choices[-1]), exact=True).click()
            page.get_by_role("button", name=race.STRINGS["en"]["reveal"]).click()
            poll(page, lambda s: s["idle"] and s["charts"] == CHARTS_BEFORE + 1 and s["drawn"] == s["charts"],
                 "the curve after the reveal")
            curve = page.locator("[data-testid=stPlotlyChart]").first
            assert curve.locator(".scatterlayer .trace").count() >= 6  # three cells: band, mean, shipped seed
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "20_race_en.png"), full_page=True)

            seed = page.locator("[data-testid=stNumberInput] input").first
            playwright.expect(seed).to_have_value("1", timeout=TIMEOUT * 1000)
            seed.fill("2")
            seed.press("Enter")
            wait_until(lambda: "seed=2" in page_url(page) and "gap=40" in page_url(page), "seed=2 in the URL")

            page.get_by_role("link", name=page_name("en", "sentiment")).click()
            page.get_by_text(t("en", "title"), exact=True).wait_for(timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"] and s["charts"] >= 2 and s["drawn"] == s["charts"], "the sentiment page")
            assert urlsplit(page_url(page)).path == "/" and page_query(page).get("lang") == "en"
        finally:
            browser.close()
