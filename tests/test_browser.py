"""The real page in a real browser: Streamlit serving app.py, Debian's Chromium driven by Playwright.

Prints the time from opening the page to the first charts drawn and, for a submit of a 30-token sentence
and for later submits, its breakdown as benchmarks.browser measures it in the page: the server's first
answer, the script done, every chart drawn, the bytes received and the browser's main-thread time.
Screenshots go to artifacts/.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from playwright import sync_api as playwright

from benchmarks.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    POLL,
    ROOT,
    STATE,
    TIMEOUT,
    app_server,
    launch,
    new_page,
    poll,
    timed_submit,
)
from benchmarks.page_speed import fresh_text, median_timing
from ui.i18n import STRINGS, t

ARTIFACTS = ROOT / "artifacts"
# About 30 tokens; 快递 (delivery) does not occur in the default example, so seeing it proves a redraw.
SENTENCE = "快递太慢了，等了一个星期才到，包装也破了，不过书的内容还是很精彩，值得一读。"
MARKER = "快递"
LATER_SUBMITS = 3
MAX_SHOT_PX = 8000
LONG_SENTENCE = "我觉得这家餐馆的菜品很不错，烤鸭非常正宗，但是服务员态度太恶劣了，我下次不会带朋友来。"
LONG_CHARS = 100_000
READ_CHARTS = 2  # the Read tab with the LSTM: the prediction curve and the first gate's map (the animation is off)

pytestmark = pytest.mark.e2e  # needs Debian's chromium at /usr/bin/chromium (scripts/test.sh installs it)

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

            for number, (label, heading) in enumerate(
                [
                    ("三模型对比", "三个模型读同一串词"),
                    ("单步公式", "一步之内发生了什么"),
                    ("两句对比", "两句话，同一个模型"),
                    ("记忆", "记忆能保留多久"),
                    ("关于模型", "模型卡片"),
                ],
                start=4,
            ):
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


# The before/after charts of the What-if tab, read from the Plotly divs: each trace's name and y values, and the
# shaded (edited) span of the x axis.
WHATIF_CURVES = """(names) => Array.from(document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot'))
    .filter(gd => gd._fullData && gd._fullData.map(d => d.name).join('|') === names.join('|'))
    .map(gd => ({
        before: Array.from(gd._fullData[0].y),
        after: Array.from(gd._fullData[1].y),
        edited: (gd.layout.shapes || []).filter(s => s.type === 'rect').map(s => [s.x0, s.x1]),
    }))"""


def test_whatif_preset_changes_the_curve_after_the_edit_only(server_url):
    before_name, after_name = "改动前", "改动后"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server_url)
            poll(page, lambda s: s["connected"] and s["idle"] and s["drawn"] >= READ_CHARTS, "the first page")
            _open_tab(page, t("zh", "tab_whatif"), t("zh", "whatif_heading"))
            start = time.perf_counter()
            page.get_by_text(t("zh", "whatif_preset_never_forget"), exact=True).click()
            page.get_by_text(t("zh", "whatif_preset_never_forget_desc"), exact=True).wait_for(timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"] and s["charts"] == 4 and s["drawn"] == 4, "the never-forget charts")
            print(f"\nnever forget on LSTM and GRU -> charts drawn: {time.perf_counter() - start:.2f} s")
            curves = page.evaluate(WHATIF_CURVES, [before_name, after_name])
            assert len(curves) == 2  # the LSTM and the GRU; the RNN has no gate to hold on with
            for curve in curves:
                ((x0, x1),) = curve["edited"]
                first = int(x0 + 0.5)  # the first edited token
                assert x1 == len(curve["before"]) - 0.5  # from there to the end of the text
                assert curve["after"][:first] == curve["before"][:first]
                assert max(abs(a - b) for a, b in zip(curve["after"][first:], curve["before"][first:])) > 1e-4
            assert page.get_by_text(t("zh", "whatif_missing_no_gate"), exact=True).is_visible()
            _screenshot(page, "11_whatif_never_forget.png")
        finally:
            browser.close()


LINK = {"text": "这个热水器太费电了，千万不能买。", "mode": "word", "tab": "step", "model": "gru", "token": "2",
        "unit": "5", "lang": "en", "gru": "torch"}


def _query(page) -> dict[str, str]:
    """The page's query now. Read in the page: Playwright's ``page.url`` is not updated while the test sleeps."""
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(page.evaluate("() => location.href")).query))


def _wait_query(page, condition, what: str) -> dict[str, str]:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = _query(page)
        if condition(found):
            return found
        time.sleep(POLL)
    raise TimeoutError(f"waiting for the URL to show {what}; it shows {_query(page)}")


def _offline_render(browser, path: Path) -> dict:
    """Open ``path`` with every request but file:// refused; what it drew and what it tried to fetch."""
    context = browser.new_context()
    refused = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort()

    context.route(lambda url: not url.startswith("file:"), refuse)
    page = context.new_page()
    page.goto(path.as_uri())
    page.wait_for_selector(".main-svg", timeout=TIMEOUT * 1000)
    drawn = page.evaluate("() => ({plotly: typeof Plotly, svgs: document.querySelectorAll('.main-svg').length,"
                          " traces: document.querySelectorAll('.scatterlayer .trace, .heatmaplayer .hm').length})")
    context.close()
    return {**drawn, "refused": refused}


def test_a_link_opens_its_view_the_url_follows_and_figures_save_offline(server_url, tmp_path):
    from urllib.parse import quote, urlencode

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.goto(f"{server_url}/?{urlencode(LINK, quote_via=quote)}")
            page.get_by_text("What happens inside one step", exact=True).wait_for(timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"], "the linked view")
            box = page.locator("[data-testid=stTextArea] textarea").first
            expect = playwright.expect
            expect(box).to_have_value(LINK["text"], timeout=TIMEOUT * 1000)  # the widget takes its value a moment later
            wait = TIMEOUT * 1000
            expect(page.get_by_role("radio", name="GRU", exact=True)).to_be_checked(timeout=wait)
            expect(page.get_by_role("radio", name=t("en", "convention_torch"), exact=True)).to_be_checked(timeout=wait)
            expect(page.locator("[data-testid=stNumberInput] input").first).to_have_value("5", timeout=wait)
            filled = t("en", "filled_formulas", step=3, token="太", unit=5)  # token=2 (from 0): the third, 太
            expect(page.get_by_text(filled, exact=True)).to_be_visible(timeout=wait)
            _wait_formulas(page, lambda found: any(r"(1 - z_t) \, n_t" in f for f in found), "PyTorch's GRU")
            _wait_query(page, lambda q: q == LINK, "the link's own view")  # the page writes back the view it opened
            _screenshot(page, "11_link_step_en.png")

            unit = page.locator("[data-testid=stNumberInput] input").first
            unit.fill("9")
            unit.press("Enter")
            _wait_query(page, lambda q: q.get("unit") == "9", "unit=9")
            page.get_by_text("LSTM", exact=True).last.click()
            found = _wait_query(page, lambda q: q.get("model") == "lstm", "model=lstm")
            assert {k: found[k] for k in ("text", "tab", "token", "lang", "gru")} == \
                {k: LINK[k] for k in ("text", "tab", "token", "lang", "gru")}
            page.get_by_text(STRINGS["en"]["link_copy"], exact=True).click()  # the whole link, in a popover
            code = page.locator("[data-testid=stCode]").first.inner_text()
            assert "unit=9" in code and "model=lstm" in code  # the link to copy is the new view

            _open_tab(page, "Read", "GRU reads the text")  # the link chose the GRU for every tab; step's is LSTM now
            _wait_query(page, lambda q: q.get("tab") == "read" and q.get("model") == "gru", "tab=read, model=gru")
            chart = page.locator("[data-testid=stPlotlyChart]").nth(1)  # the first gate map
            chart.hover()
            with page.expect_download(timeout=TIMEOUT * 1000) as image:
                chart.locator(".modebar-btn[data-title^='Download plot']").click()
            assert image.value.suggested_filename.startswith("rnn-gates_read_gate_update_GRU_")
            assert image.value.suggested_filename.endswith(".png")

            with page.expect_download(timeout=TIMEOUT * 1000) as html_file:
                page.get_by_role("button", name="Save as HTML").nth(1).click()
            saved = tmp_path / html_file.value.suggested_filename
            html_file.value.save_as(saved)
            assert saved.name.startswith("rnn-gates_read_gate_update_GRU_") and saved.suffix == ".html"
            drawn = _offline_render(browser, saved)
            print(f"\nstandalone HTML: {saved.stat().st_size / 2**20:.1f} MB, drawn offline: {drawn}")
            assert drawn["plotly"] == "object" and drawn["svgs"] >= 1 and drawn["traces"] >= 1
        finally:
            browser.close()


# One lesson played in each language: the player's words and views in both languages, at every step, are
# AppTest's (tests/test_app_lessons.py); what needs a browser is that each step draws its charts, shows its link
# once and no exception, and that the URL follows. Lessons whose views differ most: the Compare tab's three
# models (zh), and the before/after curve of an edited run (en, reached by switching the language).
BROWSER_LESSONS = {"zh": "fading", "en": "never_forget"}


@pytest.mark.parametrize("lang", sorted(BROWSER_LESSONS))
def test_a_lesson_plays_in_each_language(server_url, lang):
    """Open a lesson by its link and click Next through every step."""
    from lessons import BY_ID
    from ui.lessons import STRINGS

    lesson = BY_ID[BROWSER_LESSONS[lang]]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            start = time.perf_counter()
            page.goto(f"{server_url}/?lesson={lesson.id}&step=1")
            poll(page, lambda s: s["connected"] and s["idle"] and s["drawn"] == s["charts"], f"lesson {lesson.id}")
            if lang == "en":  # a new page is a new session, in Chinese; the switch keeps the lesson
                page.get_by_text("English", exact=True).click()
                page.get_by_text(STRINGS["en"]["back"], exact=True).wait_for(timeout=TIMEOUT * 1000)
            total = len(lesson.steps)
            for number in range(1, total + 1):
                where = f"lesson {lesson.id} step {number} ({lang})"
                page.get_by_text(STRINGS[lang]["step"].format(number=number, total=total),
                                 exact=True).wait_for(timeout=TIMEOUT * 1000)
                poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"], where)  # the Step tab has none
                link = page.get_by_text(f"{server_url}/?lesson={lesson.id}&step={number}", exact=True)
                link.first.wait_for(timeout=TIMEOUT * 1000)  # the step's link, drawn with the step
                assert link.count() == 1, where
                assert not page.locator("[data-testid=stException]").count(), where
                if number == 1 or number == total:
                    _screenshot(page, f"lesson_{lesson.id}_{number}_{lang}.png")
                if number < total:
                    page.get_by_role("button", name=STRINGS[lang]["next"], exact=True).click()
            assert f"lesson={lesson.id}" in page.url and f"step={total}" in page.url
            print(f"{lang} {lesson.id}: {total} steps in {time.perf_counter() - start:.1f} s")
        finally:
            browser.close()


FIRST_PAGE_WAITS = 4  # TIMEOUTs the first page may take while the server loads the models


@pytest.mark.e2e
def test_the_shipped_folder_uploads_as_a_zip_through_the_page(server_url, tmp_path):
    """The real uploader, the real server limit: the zip of pretrained/ reaches the page and its models load."""
    import zipfile

    from models.pretrained import PRETRAINED_DIR

    archive = tmp_path / "pretrained.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(PRETRAINED_DIR.iterdir()):
            zipped.write(path, f"pretrained/{path.name}")
    unpacked = sum(path.stat().st_size for path in PRETRAINED_DIR.iterdir())
    print(f"\nupload: pretrained.zip {archive.stat().st_size / 2**20:.1f} MiB, {unpacked / 2**20:.1f} MiB unpacked")
    with playwright.sync_playwright() as p:
        browser = launch(p)
        try:
            page = new_page(browser)
            page.goto(server_url)
            for attempt in range(FIRST_PAGE_WAITS):  # the first visitor waits for the models, longer on a busy machine
                try:
                    poll(page, lambda s: s["connected"] and s["idle"] and s["drawn"] >= READ_CHARTS, "the first page")
                    break
                except TimeoutError:
                    if attempt == FIRST_PAGE_WAITS - 1:
                        raise
            uploader = page.locator("[data-testid=stFileUploader]", has_text=t("zh", "own_upload"))
            start = time.perf_counter()
            uploader.locator("input[type=file]").set_input_files(str(archive))
            from models.pretrained import available_names
            from ui.shapes import model_name

            # every sentiment model of the folder, variants too (the race models are not the upload's)
            loaded = t("zh", "own_loaded", archs="、".join(model_name("zh", name) for name in available_names()))
            try:
                page.get_by_text(loaded, exact=True).wait_for(timeout=TIMEOUT * 1000)
            except playwright.TimeoutError:
                refused = uploader.inner_text()  # the server's answer shows next to the file, e.g. a 413
                raise AssertionError(f"the upload did not load; the uploader says: {refused}") from None
            print(f"upload -> models loaded: {time.perf_counter() - start:.2f} s")
            page.get_by_text(t("zh", "own_using_upload", names="pretrained.zip"), exact=True).wait_for(
                timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"] >= READ_CHARTS, "the charts with the upload")
            assert "413" not in uploader.inner_text()
            assert not page.locator("[data-testid=stException]").count()
            _screenshot(page, "12_upload_pretrained_zip.png")
        finally:
            browser.close()


@pytest.mark.e2e
def test_a_lesson_steps_chart_is_in_view_after_next(server_url):
    """In a 1400x1000 window, Next brings the step's chart into view: it is drawn in the lesson box, under the
    narration, not ~1,860 px down in the tab. A question's figure waits for Reveal."""
    from ui.lessons import STRINGS

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{server_url}/?lesson=output&step=2")  # a question step: its figure waits for Reveal
            for _ in range(4):  # the lesson's claims are computed once per server: the first open takes longest
                try:
                    poll(page, lambda s: s["connected"] and s["idle"], "the lesson's first step")
                    break
                except TimeoutError:
                    continue
            page.get_by_text(STRINGS["zh"]["withheld"], exact=True).wait_for(timeout=TIMEOUT * 1000)
            assert not page.locator(".st-key-lesson_figure").count()
            page.get_by_role("button", name=STRINGS["zh"]["next"], exact=True).click()
            page.get_by_text(STRINGS["zh"]["step"].format(number=3, total=3), exact=True).wait_for(
                timeout=TIMEOUT * 1000)
            chart = page.locator(".st-key-lesson_figure [data-testid=stPlotlyChart] .main-svg").first
            chart.wait_for(timeout=TIMEOUT * 1000)
            poll(page, lambda s: s["idle"] and s["drawn"] == s["charts"], "the step's charts")
            box = chart.bounding_box()
            print(f"the step's chart after Next: top {box['y']:.0f} px, bottom {box['y'] + box['height']:.0f} px "
                  f"of a {page.viewport_size['height']} px window")
            assert 0 <= box["y"] and box["y"] + box["height"] / 2 <= page.viewport_size["height"], box
            # The lesson chooser stays in view too, so one click opens it (it took two once the tab bar had pulled
            # the page down: the click's own scroll closed the list again).
            page.locator(".st-key-lesson_box [data-testid=stSelectbox]").first.click()
            page.locator("[role=listbox]").first.wait_for(timeout=5000)
            page.keyboard.press("Escape")
            _screenshot(page, "lesson_output_3_in_view_zh.png")
        finally:
            browser.close()
