"""The real page in a real browser: Streamlit serving app.py, Debian's Chromium driven by Playwright.

Prints the time from opening the page to the first charts drawn and, for a submit of a 30-token sentence
and for later submits, its breakdown as benchmarks.browser measures it in the page: the server's first
answer, the script done, every chart drawn, the bytes received and the browser's main-thread time.
Screenshots go to artifacts/.
"""
from __future__ import annotations

import statistics
import time

import pytest

from benchmarks.browser import CHROMIUM, POLL, ROOT, STATE, TIMEOUT, app_server, launch, new_page, poll, timed_submit
from benchmarks.page_speed import fresh_text, median_timing
from ui.i18n import t

ARTIFACTS = ROOT / "artifacts"
# About 30 tokens; 快递 (delivery) does not occur in the default example, so seeing it proves a redraw.
SENTENCE = "快递太慢了，等了一个星期才到，包装也破了，不过书的内容还是很精彩，值得一读。"
MARKER = "快递"
LATER_SUBMITS = 3
MAX_SHOT_PX = 8000
LONG_SENTENCE = "我觉得这家餐馆的菜品很不错，烤鸭非常正宗，但是服务员态度太恶劣了，我下次不会带朋友来。"
LONG_CHARS = 100_000
READ_CHARTS = 2  # the Read tab with the LSTM: the prediction curve and the first gate's map (the animation is off)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

FORMULAS = "() => Array.from(document.querySelectorAll('.katex-mathml annotation')).map(e => e.textContent)"
SLIDER_VALUE = """() => {
    const value = document.querySelector("[data-testid=stPlotlyChart] .slider-group > .slider-label");
    return value ? value.textContent : null;
}"""


def _screenshot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the viewport is grown to fit it."""
    size = page.viewport_size
    page.mouse.move(0, 0)  # no tooltip in the picture
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), MAX_SHOT_PX)})
    time.sleep(1.0)  # charts re-layout to the new size
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size(size)


def _open_tab(page, label: str, heading: str) -> None:
    page.get_by_role("tab", name=label).click()
    page.get_by_text(heading, exact=True).wait_for(timeout=TIMEOUT * 1000)
    poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"], f"the {label} tab")


def _wait_formulas(page, condition, what: str) -> list[str]:
    """The page's LaTeX sources once ``condition(sources)`` holds and the script is idle."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = page.evaluate(FORMULAS)
        if condition(found) and page.evaluate(STATE)["idle"]:
            return found
        time.sleep(POLL)
    raise AssertionError(f"timed out waiting for the {what} formulas")


@pytest.fixture(scope="module")
def server_url():
    with app_server(ARTIFACTS / "streamlit.log") as url:
        yield url


def test_page_draws_updates_and_plays(server_url):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = launch(p)
        try:
            page = new_page(browser)
            # The first visitor also waits for the server to load the models and jieba; the second is timed.
            start = time.perf_counter()
            page.goto(server_url)
            poll(page, lambda s: s["connected"] and s["idle"] and s["drawn"] >= READ_CHARTS, "the first page")
            print(f"\nfirst visitor after server start -> charts drawn: {time.perf_counter() - start:.2f} s")

            page2 = new_page(browser)
            elsewhere = []  # the page must work offline: every request goes to the app's own server
            page2.on("request", lambda r: None if r.url.startswith((server_url, "data:", "blob:"))
                     else elsewhere.append(r.url))
            start = time.perf_counter()
            page2.goto(server_url)
            first = poll(page2, lambda s: s["connected"] and s["idle"] and s["drawn"] >= READ_CHARTS,
                         "the default example's charts")
            opened = time.perf_counter() - start
            print(f"open page -> {first['drawn']} charts drawn: {opened:.2f} s")
            _screenshot(page2, "01_default_zh.png")
            page.close()
            page = page2

            box = page.locator("[data-testid=stTextArea] textarea").first
            submitted = timed_submit(page, box, SENTENCE, MARKER, READ_CHARTS)
            print(f"first submit after opening the page, 30 tokens -> {READ_CHARTS} charts: {submitted.line()}")
            assert box.input_value() == SENTENCE
            _screenshot(page, "02_submitted.png")
            later = [timed_submit(page, box, *fresh_text(i), READ_CHARTS) for i in range(LATER_SUBMITS)]
            total = statistics.median(timing.total for timing in later)
            print(f"later submits, fresh 30-token texts, median of {LATER_SUBMITS}: total {total:.0f} ms; "
                  f"medians {median_timing(later).line()}")

            # Every gate at once, then the animation, drawn once switched on.
            page.get_by_text(t("zh", "shown_all"), exact=True).click()
            poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"] == READ_CHARTS + 5, "every gate's map")
            page.get_by_text(t("zh", "animation_toggle"), exact=True).click()
            poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"] == READ_CHARTS + 6, "the animation")
            animation = page.locator("[data-testid=stPlotlyChart]", has=page.locator(".updatemenu-button")).first
            animation.scroll_into_view_if_needed()
            before = page.evaluate(SLIDER_VALUE)
            animation.locator(".updatemenu-button").first.click()
            deadline = time.monotonic() + TIMEOUT
            after = before
            while after == before and time.monotonic() < deadline:
                time.sleep(0.2)
                after = page.evaluate(SLIDER_VALUE)
            print(f"animation: {before!r} -> {after!r}")
            animation.screenshot(path=str(ARTIFACTS / "03_animation_playing.png"))
            assert before is not None and after != before

            for number, (label, heading) in enumerate([
                ("三模型对比", "三个模型读同一串词"), ("单步公式", "一步之内发生了什么"), ("两句对比", "两句话，同一个模型"),
                ("记忆", "记忆能保留多久"), ("关于模型", "模型卡片"),
            ], start=4):
                _open_tab(page, label, heading)
                _screenshot(page, f"{number:02d}_{label}.png")

            page.get_by_text("English", exact=True).click()
            page.get_by_text("Model cards", exact=True).wait_for(timeout=TIMEOUT * 1000)  # the open tab stays open
            _open_tab(page, "Inside one step", "What happens inside one step")
            _screenshot(page, "09_step_en.png")

            # A teacher's GRU convention choice (the page's one, above the tabs) survives switching the
            # language there and back. The textbook form is the default; PyTorch's is one click away.
            page.get_by_text("GRU", exact=True).last.click()
            poll(page, lambda s: s["idle"], "the GRU step")
            page.get_by_text(t("en", "convention_torch"), exact=True).click()
            torch_form = _wait_formulas(page, lambda found: any(r"(1 - z_t) \, n_t" in f for f in found), "PyTorch")[-1]
            for lang, heading in (("zh", "一步之内发生了什么"), ("en", "What happens inside one step")):
                page.get_by_text("中文" if lang == "zh" else "English", exact=True).click()
                page.get_by_text(heading, exact=True).wait_for(timeout=TIMEOUT * 1000)
                poll(page, lambda s: s["idle"], f"the step tab in {lang}")
                assert page.evaluate(FORMULAS)[-1] == torch_form, lang
                checked = page.get_by_role("radio", name=t(lang, "convention_torch"), exact=True)
                assert checked.is_checked(), lang  # and the page shows which form is chosen

            _open_tab(page, "Read", "LSTM reads the text")
            document = (LONG_SENTENCE * (LONG_CHARS // len(LONG_SENTENCE) + 1))[:LONG_CHARS]
            box.fill(document)
            start = time.perf_counter()
            box.press("Control+Enter")
            page.get_by_text("Long text: only the first", exact=False).wait_for(timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"] >= READ_CHARTS, "the long document's charts")
            print(f"submit a {LONG_CHARS:,}-character document -> charts drawn: {time.perf_counter() - start:.2f} s")
            assert len(box.input_value()) == LONG_CHARS
            assert not elsewhere, elsewhere
            _screenshot(page, "10_long_document_en.png")
        finally:
            browser.close()
