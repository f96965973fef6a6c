"""The real page in Debian's Chromium: start the app server, wait for the page, and time one submit or
one opening of the page.

Used by ``benchmarks.page_speed`` and ``tests/test_browser.py``. Times are taken inside the page
(``performance.now()``), so polling from Python adds no error: a submit's timeline runs from the
Ctrl+Enter key press to the first websocket message of the rerun, to the script state turning
``notRunning``, to every chart drawn with the new text. Chrome's own counters say how long its main
thread was busy meanwhile, and the websocket messages how many bytes came. Opening the page is timed
from the navigation's start (``timed_open``): the HTML and scripts loaded, the websocket opened, the
script's first message, the script done, the first and the last expected chart drawn.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple, TypeVar
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT = 30.0  # seconds for any one wait
POLL = 0.05

# JavaScript run in the page. Only the open tab has content (the others run lazily), so every chart
# in the page is in the open tab. Nothing here forces a layout, so polling does not slow the page.
STATE = """(marker) => {
    const app = document.querySelector('[data-testid=stApp]');
    const charts = Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]'));
    return {
        connected: !!document.querySelector('[data-testid=stApp][data-test-connection-state=CONNECTED]'),
        idle: !!(app && app.getAttribute('data-test-script-state') === 'notRunning'),
        charts: charts.length,
        drawn: charts.filter(c => c.querySelector('.main-svg')).length,
        marked: marker ? charts.filter(c => c.textContent.includes(marker)).length : 0,
    };
}"""

# Added before the page's own scripts: every websocket message is logged with its time and size, and
# the time of a Ctrl+Enter (a submit) is kept.
RECORDER = """(() => {
    const log = window.__timing = {messages: [], submitted: null, watch: null};
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', (e) => log.messages.push(
                [performance.now(), e.data.byteLength ?? e.data.size ?? e.data.length ?? 0]));
        }
    };
    document.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) log.submitted = performance.now();
    }, true);
})();"""

# Started just before a submit: notes when the script state turns running and back, and, checked after
# every animation frame, when ``expected`` charts are drawn and show ``marker``. A new watch ends the last.
WATCH = """([marker, expected]) => {
    const log = window.__timing;
    const app = document.querySelector('[data-testid=stApp]');
    const watch = log.watch = {running: null, idle: null, drawn: null};
    log.submitted = null;
    const observer = new MutationObserver((records) => {  // one call may hold several changes
        const states = records.slice(1).map(r => r.oldValue).concat([app.getAttribute('data-test-script-state')]);
        for (const state of states) {
            if (state === 'running' && watch.running === null && log.submitted !== null)
                watch.running = performance.now();
            if (state === 'notRunning' && watch.running !== null && watch.idle === null) watch.idle = performance.now();
        }
    });
    observer.observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
    const check = () => {
        if (log.watch !== watch) return observer.disconnect();
        if (watch.drawn === null && log.submitted !== null) {
            const charts = Array.from(document.querySelectorAll('[data-testid=stPlotlyChart]'));
            const shown = charts.filter(c => c.querySelector('.main-svg') && c.textContent.includes(marker));
            if (shown.length >= expected) watch.drawn = performance.now();
        }
        if (watch.drawn === null || watch.idle === null) requestAnimationFrame(check);
        else observer.disconnect();
    };
    requestAnimationFrame(check);
}"""
# The submit's timeline once it is over, else null. A fast run can go from running to notRunning within
# one render, so the page never shows "running": then the run is over when the charts are drawn, the
# state is notRunning and no message came for QUIET ms, and it ended with its last message.
QUIET_MS = 300
TIMELINE = f"""() => {{
    const log = window.__timing, w = log.watch;
    const app = document.querySelector('[data-testid=stApp]');
    const after = log.messages.filter(([t]) => t >= log.submitted);
    const last = after.length ? after[after.length - 1][0] : null;
    const quiet = app.getAttribute('data-test-script-state') === 'notRunning' && last !== null
        && performance.now() - last > {QUIET_MS};
    if (w.drawn === null || (w.idle === null && !quiet)) return null;
    const idle = w.idle ?? last, end = Math.max(w.drawn, idle);
    return {{submitted: log.submitted, first: after.length ? after[0][0] : null, idle: idle, drawn: w.drawn,
             bytes: after.filter(([t]) => t <= end).reduce((sum, [, size]) => sum + size, 0)}};
}}"""
# Added before the page's own scripts by ``timed_open``: from the navigation's start (performance.now() is 0
# there), when the websocket opened, when the script state first turned running and then notRunning, and
# when the first and the ``window.__expected``-th chart were drawn (checked after every animation frame).
OPEN_RECORDER = """(() => {
    const log = window.__open = {wsOpen: null, running: null, idle: null, firstChart: null, charts: null};
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('open', () => { if (log.wsOpen === null) log.wsOpen = performance.now(); });
        }
    };
    const check = () => {
        const app = document.querySelector('[data-testid=stApp]');
        const state = app && app.getAttribute('data-test-script-state');
        const now = performance.now();
        if (state === 'running' && log.running === null) log.running = now;
        if (state === 'notRunning' && log.running !== null && log.idle === null) log.idle = now;
        const drawn = document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg').length;
        if (drawn >= 1 && log.firstChart === null) log.firstChart = now;
        if (drawn >= (window.__expected || 1) && log.charts === null) log.charts = now;
        if (log.charts === null || log.idle === null) requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
})();"""
# The opening's timeline once the charts are drawn and the script is done, else null. Bytes: every resource
# the page loaded (HTML, scripts, styles, fonts, as transferred) and every websocket message until then.
OPEN_TIMELINE = """() => {
    const o = window.__open, log = window.__timing;
    if (o.charts === null || o.idle === null) return null;
    const end = Math.max(o.charts, o.idle);
    const nav = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource');
    const scripts = resources.filter(r => r.initiatorType === 'script' || r.name.endsWith('.js'));
    const messages = log.messages.filter(([t]) => t <= end);
    return {html: nav.responseEnd, scripts: Math.max(nav.responseEnd, ...scripts.map(r => r.responseEnd)),
            domReady: nav.domContentLoadedEventEnd, wsOpen: o.wsOpen,
            firstMessage: messages.length ? messages[0][0] : null, idle: o.idle, firstChart: o.firstChart,
            charts: o.charts,
            staticBytes: nav.transferSize + resources.reduce((sum, r) => sum + (r.transferSize || 0), 0),
            socketBytes: messages.reduce((sum, [, size]) => sum + size, 0), messages: messages.length};
}"""


class OpenTiming(NamedTuple):
    """One opening of the page, in ms from the navigation's start, as the page saw it."""

    scripts_loaded: float  # the HTML and Streamlit's scripts have arrived
    socket_open: float  # the websocket is open: the server starts the script run
    first_message: float  # the script's first message
    script_done: float  # the script state is notRunning: the server sent everything
    first_chart: float  # the first chart is drawn
    charts_drawn: float  # every expected chart is drawn
    static_bytes: int  # HTML, scripts, styles and fonts, as transferred
    socket_bytes: int  # websocket bytes until the charts were drawn
    busy: dict[str, float]  # ms of Chrome's main thread in BUSY_METRICS

    @property
    def total(self) -> float:
        return max(self.script_done, self.charts_drawn)

    def line(self) -> str:
        return (f"total {self.total:5.0f} ms: scripts loaded {self.scripts_loaded:4.0f}, socket open "
                f"{self.socket_open:4.0f}, first message {self.first_message:4.0f}, script done "
                f"{self.script_done:5.0f}, "
                f"first chart {self.first_chart:5.0f}, charts drawn {self.charts_drawn:5.0f}; sent "
                f"{self.static_bytes / 1024:5.0f} KiB static + {self.socket_bytes / 1024:4.0f} KiB websocket; "
                f"browser main thread: {busy_text(self.busy)} ms")


# Chrome's main-thread counters (Performance.getMetrics), by their short names: wall time in tasks, of it in
# scripts, layout and style, and the thread's CPU time, which a loaded machine does not inflate.
BUSY_METRICS = {"TaskDuration": "task", "ScriptDuration": "script", "LayoutDuration": "layout",
                "RecalcStyleDuration": "style", "ThreadTime": "cpu"}


def busy_text(busy: dict[str, float]) -> str:
    """Chrome's main-thread counters in words: "task 3423, script 2552, ..."."""
    return ", ".join(f"{BUSY_METRICS[name]} {ms:.0f}" for name, ms in busy.items())


class SubmitTiming(NamedTuple):
    """One submit, in ms from the key press, as the page saw it."""

    first_message: float  # the server's first answer: the rerun has started
    script_done: float  # the script state is notRunning again: the server sent everything
    charts_drawn: float  # every expected chart is drawn and shows the new text
    bytes: int  # websocket bytes received until then
    busy: dict[str, float]  # ms of Chrome's main thread in BUSY_METRICS (Task is the sum of all work)

    @property
    def total(self) -> float:
        return max(self.script_done, self.charts_drawn)

    def line(self) -> str:
        return (f"total {self.total:4.0f} ms: first message {self.first_message:4.0f}, script done "
                f"{self.script_done:4.0f}, charts drawn {self.charts_drawn:4.0f}; {self.bytes / 1024:5.0f} KiB; "
                f"browser main thread: {busy_text(self.busy)} ms")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = TIMEOUT) -> None:
    """Until ``url``'s /_stcore/health answers ok; raises if the server exits or never answers."""
    deadline = time.monotonic() + timeout
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


@contextmanager
def app_server(log_path: Path, *options: str, script: str = "app.py", root: Path = ROOT) -> Iterator[str]:
    """``streamlit run script`` in ``root`` (this checkout) on a free port of 127.0.0.1, its output in
    ``log_path``; yields its URL once /_stcore/health answers ok."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path.parent.mkdir(exist_ok=True)
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.headless=true", f"--server.port={port}",
             "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", *options],
            cwd=root, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(url, server)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def launch(playwright):
    """Debian's Chromium (never a downloaded one)."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)


def new_page(browser):
    """A page that records its websocket messages and submits (see RECORDER)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.add_init_script(RECORDER)
    return page


def poll(page, condition, what: str, marker: str = "") -> dict:
    """Evaluate STATE until ``condition(state)`` holds; the last state, or a TimeoutError naming ``what``."""
    deadline = time.monotonic() + TIMEOUT
    current = {}
    while time.monotonic() < deadline:
        current = page.evaluate(STATE, marker)
        if condition(current):
            return current
        time.sleep(POLL)
    raise TimeoutError(f"waiting for {what}; page state {current}")


def timed_submit(page, box, text: str, marker: str, charts: int) -> SubmitTiming:
    """Type ``text`` into the text area ``box``, submit it with Ctrl+Enter, and time it until ``charts``
    charts are drawn showing ``marker`` (a token of ``text`` that the page did not show before)."""
    box.fill(text)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    before = _busy(cdp)
    page.evaluate(WATCH, [marker, charts])
    box.press("Control+Enter")
    deadline = time.monotonic() + TIMEOUT
    while (timeline := page.evaluate(TIMELINE)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"waiting for {charts} charts showing {marker!r}; page state "
                               f"{page.evaluate(STATE, marker)}, "
                               f"timeline {page.evaluate('() => [window.__timing.submitted, window.__timing.watch]')}")
        time.sleep(POLL)
    busy = {name: ms - before[name] for name, ms in _busy(cdp).items()}
    cdp.detach()
    start = timeline["submitted"]
    return SubmitTiming(
        first_message=timeline["first"] - start,
        script_done=timeline["idle"] - start,
        charts_drawn=timeline["drawn"] - start,
        bytes=int(timeline["bytes"]),
        busy=busy,
    )


def _busy(cdp) -> dict[str, float]:
    """Chrome's cumulative main-thread times, ms."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: 1000 * metrics[name] for name in BUSY_METRICS}


def timed_open(browser, url: str, charts: int):
    """Open ``url`` in a new page and time it until ``charts`` charts are drawn and the script is done;
    returns (the page, its OpenTiming)."""
    page = new_page(browser)
    page.add_init_script(OPEN_RECORDER)
    page.add_init_script(f"window.__expected = {int(charts)};")
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    before = _busy(cdp)
    page.goto(url)
    deadline = time.monotonic() + 2 * TIMEOUT
    while (timeline := page.evaluate(OPEN_TIMELINE)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"waiting for {charts} charts on {url}; page state {page.evaluate(STATE, '')}")
        time.sleep(POLL)
    busy = {name: ms - before[name] for name, ms in _busy(cdp).items()}
    cdp.detach()
    return page, OpenTiming(
        scripts_loaded=timeline["scripts"], socket_open=timeline["wsOpen"], first_message=timeline["firstMessage"],
        script_done=timeline["idle"], first_chart=timeline["firstChart"], charts_drawn=timeline["charts"],
        static_bytes=int(timeline["staticBytes"]), socket_bytes=int(timeline["socketBytes"]), busy=busy,
    )


Found = TypeVar("Found")


def page_url(page) -> str:
    """The address the page shows now (asked of the page: ``page.url`` is only brought up to date by events)."""
    return page.evaluate("() => location.href")


def page_query(page) -> dict[str, str]:
    """The query parameters of the address the page shows now."""
    return dict(parse_qsl(urlsplit(page_url(page)).query))


def wait_until(condition: Callable[[], Found], what: str, timeout: float = TIMEOUT) -> Found:
    """``condition()``'s first truthy value, asked every POLL seconds; a TimeoutError naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(POLL)
    raise TimeoutError(f"waiting for {what}")
