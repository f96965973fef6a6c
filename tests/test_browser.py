"""The real page in a real browser: Streamlit serving app.py, Debian's Chromium driven by Playwright.

Prints the time from opening the page to the first charts drawn, and from submitting a 30-token
sentence to every chart of the open tab drawn again. Screenshots go to artifacts/.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ui.i18n import t

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"
TIMEOUT = 30.0  # seconds for any one wait
POLL = 0.1
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
]
# About 30 tokens; 快递 (delivery) does not occur in the default example, so seeing it proves a redraw.
SENTENCE = "快递太慢了，等了一个星期才到，包装也破了，不过书的内容还是很精彩，值得一读。"
MARKER = "快递"
MAX_SHOT_PX = 8000
LONG_SENTENCE = "我觉得这家餐馆的菜品很不错，烤鸭非常正宗，但是服务员态度太恶劣了，我下次不会带朋友来。"
LONG_CHARS = 100_000
READ_CHARTS = 8  # the Read tab with the LSTM: prediction curve, six gate and state maps, the animation

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")

# JavaScript run in the page. Only the open tab has content (the others run lazily), so every chart
# in the page is in the open tab. Nothing here forces a layout, so polling does not slow the page.
STATE = f"""() => {{
    const app = document.querySelector('[data-testid=stApp]');
    const charts = Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]'));
    return {{
        connected: !!document.querySelector('[data-testid=stApp][data-test-connection-state=CONNECTED]'),
        idle: !!(app && app.getAttribute('data-test-script-state') === 'notRunning'),
        charts: charts.length,
        drawn: charts.filter(c => c.querySelector('.main-svg')).length,
        marked: charts.filter(c => c.textContent.includes('{MARKER}')).length,
    }};
}}"""
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
    _poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"], f"the {label} tab")


def _wait_formulas(page, condition, what: str) -> list[str]:
    """The page's LaTeX sources once ``condition(sources)`` holds and the script is idle."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = page.evaluate(FORMULAS)
        if condition(found) and page.evaluate(STATE)["idle"]:
            return found
        time.sleep(POLL)
    raise AssertionError(f"timed out waiting for the {what} formulas")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("streamlit did not become healthy")


def _poll(page, condition, what: str) -> dict:
    """Evaluate STATE until ``condition(state)`` holds; the last state, or a TimeoutError naming ``what``."""
    deadline = time.monotonic() + TIMEOUT
    current = {}
    while time.monotonic() < deadline:
        current = page.evaluate(STATE)
        if condition(current):
            return current
        time.sleep(POLL)
    raise TimeoutError(f"waiting for {what}; page state {current}")


@pytest.fixture(scope="module")
def server_url():
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_page_draws_updates_and_plays(server_url):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # The first visitor also waits for the server to load the models and jieba; the second is timed.
            start = time.perf_counter()
            page.goto(server_url)
            _poll(page, lambda s: s["connected"] and s["idle"] and s["drawn"] >= READ_CHARTS, "the first page")
            print(f"\nfirst visitor after server start -> charts drawn: {time.perf_counter() - start:.2f} s")

            page2 = browser.new_page(viewport={"width": 1400, "height": 1000})
            elsewhere = []  # the page must work offline: every request goes to the app's own server
            page2.on("request", lambda r: None if r.url.startswith((server_url, "data:", "blob:"))
                     else elsewhere.append(r.url))
            start = time.perf_counter()
            page2.goto(server_url)
            first = _poll(page2, lambda s: s["connected"] and s["idle"] and s["drawn"] >= READ_CHARTS,
                          "the default example's charts")
            opened = time.perf_counter() - start
            print(f"open page -> {first['drawn']} charts drawn: {opened:.2f} s")
            _screenshot(page2, "01_default_zh.png")
            page.close()
            page = page2

            box = page.locator("[data-testid=stTextArea] textarea").first
            box.fill(SENTENCE)
            start = time.perf_counter()
            box.press("Control+Enter")
            done = _poll(page, lambda s: s["idle"] and s["drawn"] >= READ_CHARTS and s["marked"] >= READ_CHARTS,
                         "every chart to show the new sentence")
            submitted = time.perf_counter() - start
            print(f"submit 30-token sentence -> {done['drawn']} charts redrawn: {submitted:.2f} s")
            assert box.input_value() == SENTENCE
            _screenshot(page, "02_submitted.png")

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
            _poll(page, lambda s: s["idle"], "the GRU step")
            page.get_by_text(t("en", "convention_torch"), exact=True).click()
            torch_form = _wait_formulas(page, lambda found: any(r"(1 - z_t) \, n_t" in f for f in found), "PyTorch")[-1]
            for lang, heading in (("zh", "一步之内发生了什么"), ("en", "What happens inside one step")):
                page.get_by_text("中文" if lang == "zh" else "English", exact=True).click()
                page.get_by_text(heading, exact=True).wait_for(timeout=TIMEOUT * 1000)
                _poll(page, lambda s: s["idle"], f"the step tab in {lang}")
                assert page.evaluate(FORMULAS)[-1] == torch_form, lang
                checked = page.get_by_role("radio", name=t(lang, "convention_torch"), exact=True)
                assert checked.is_checked(), lang  # and the page shows which form is chosen

            _open_tab(page, "Read", "LSTM reads the text")
            document = (LONG_SENTENCE * (LONG_CHARS // len(LONG_SENTENCE) + 1))[:LONG_CHARS]
            box.fill(document)
            start = time.perf_counter()
            box.press("Control+Enter")
            page.get_by_text("Long text: only the first", exact=False).wait_for(timeout=TIMEOUT * 1000)
            _poll(page, lambda s: s["idle"] and s["drawn"] >= READ_CHARTS, "the long document's charts")
            print(f"submit a {LONG_CHARS:,}-character document -> charts drawn: {time.perf_counter() - start:.2f} s")
            assert len(box.input_value()) == LONG_CHARS
            assert not elsewhere, elsewhere
            _screenshot(page, "10_long_document_en.png")
        finally:
            browser.close()


def test_every_lesson_plays_in_both_languages(server_url):
    """Open each lesson by its link, click Next through every step, in 中文 and in English."""
    from lessons import LESSONS
    from ui.lessons import STRINGS

    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for lang in ("zh", "en"):
                for lesson in LESSONS:
                    start = time.perf_counter()
                    page.goto(f"{server_url}/?lesson={lesson.id}&step=1")
                    _poll(page, lambda s: s["connected"] and s["idle"] and s["drawn"] == s["charts"], f"lesson {lesson.id}")
                    if lang == "en":  # a new page is a new session, in Chinese; the switch keeps the lesson
                        page.get_by_text("English", exact=True).click()
                        page.get_by_text(STRINGS["en"]["back"], exact=True).wait_for(timeout=TIMEOUT * 1000)
                    total = len(lesson.steps)
                    for number in range(1, total + 1):
                        where = f"lesson {lesson.id} step {number} ({lang})"
                        page.get_by_text(STRINGS[lang]["step"].format(number=number, total=total),
                                         exact=True).wait_for(timeout=TIMEOUT * 1000)
                        _poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"], where)  # the Step tab has none
                        assert page.get_by_text(f"?lesson={lesson.id}&step={number}", exact=True).count() == 1, where
                        assert not page.locator("[data-testid=stException]").count(), where
                        if number == 1 or number == total:
                            _screenshot(page, f"lesson_{lesson.id}_{number}_{lang}.png")
                        if number < total:
                            page.get_by_role("button", name=STRINGS[lang]["next"], exact=True).click()
                    assert f"lesson={lesson.id}" in page.url and f"step={total}" in page.url
                    print(f"{lang} {lesson.id}: {total} steps in {time.perf_counter() - start:.1f} s")
        finally:
            browser.close()
