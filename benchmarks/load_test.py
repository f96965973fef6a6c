"""Many visitors at once: real headless Chromium sessions against a local app server.

    python -m benchmarks.load_test [--sessions 20] [--waves 3] [--timeout 120]

Starts ``streamlit run app.py`` on a free port of 127.0.0.1 (no other address is ever contacted),
then, in each wave, opens ``--sessions`` browser pages at once. Every page types its own sentence,
submits it and waits until its charts are drawn. It prints errors, the median and worst time to
charts, the server's peak memory, and its memory after each wave's sessions have closed (sessions
are dropped 5 s after disconnecting here), so growth from wave to wave would show. Bounded: a fixed
number of pages, each with a time limit, and the whole run with ``--deadline``.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from playwright.async_api import async_playwright

from benchmarks.browser import CHROMIUM, LAUNCH_ARGS, ROOT, free_port

SUBJECTS = ["手机", "电脑", "酒店", "餐厅", "老师", "电影", "小说", "耳机", "相机", "快递"]
MOODS = ["很好用，我非常满意，推荐购买。", "太差了，完全不值这个价，很失望。"]


def sentence(index: int) -> str:
    """A different review per session, with a marker token (user{index}) to find on the page."""
    return f"这家店的{SUBJECTS[index % len(SUBJECTS)]}{MOODS[index % 2]}user{index}同学说的。"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class MemoryWatch:
    """Samples the server's resident memory every 0.2 s in a thread; keeps the peak."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mib(self.pid))
            time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def start_server(port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true", f"--server.port={port}",
           "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.disconnectedSessionTTL=5"]
    env = {**os.environ, "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}  # as the README runs it
    log = ROOT / "artifacts" / "load_test_server.log"  # a file, not a pipe nobody reads (which could fill and block)
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as handle:
        server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.read().decode() == "ok":
                    return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("the app server did not answer /_stcore/health within 60 s")


async def _wait(page, predicate: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await page.evaluate(predicate):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"timed out waiting for {predicate}")


IDLE = ("() => { const a = document.querySelector('[data-testid=stApp]');"
        " return !!a && a.getAttribute('data-test-connection-state') === 'CONNECTED'"
        " && a.getAttribute('data-test-script-state') === 'notRunning'"
        " && document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg').length > 0; }")
ERRORS = "() => document.querySelectorAll('[data-testid=stException]').length"


async def one_session(browser, url: str, index: int, timeout: float) -> dict:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    try:
        await page.goto(url, timeout=timeout * 1000)
        await _wait(page, IDLE, timeout)
        text = sentence(index)
        box = page.locator("textarea").first
        await box.fill(text)
        start = time.monotonic()
        await box.press("Control+Enter")
        marker = f"user{index}"  # shown among the tokens once this session's own run has finished
        await _wait(page, f"() => ({IDLE})() && document.body.innerText.includes('{marker}')", timeout)
        elapsed = time.monotonic() - start
        if await page.evaluate(ERRORS):
            problems.append("an exception box is shown")
        if await box.input_value() != text:
            problems.append("the text box lost the input")
        return {"seconds": elapsed, "problems": problems}
    except Exception as err:  # a session that fails is counted, not fatal to the run
        return {"seconds": None, "problems": problems + [f"{type(err).__name__}: {err}"]}
    finally:
        await context.close()


async def run(args) -> int:
    port = free_port()
    server = start_server(port)
    url = f"http://127.0.0.1:{port}/"
    watch = MemoryWatch(server.pid)
    failures = 0
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            warm = await one_session(browser, url, 0, args.timeout)  # loads models and caches once
            baseline = rss_mib(server.pid)
            print(f"server RSS after one warm-up session: {baseline:.0f} MiB "
                  f"(warm-up time to charts {warm['seconds'] or float('nan'):.2f} s)")
            for wave in range(1, args.waves + 1):
                began = time.monotonic()
                results = await asyncio.wait_for(
                    asyncio.gather(*(one_session(browser, url, wave * 100 + i, args.timeout)
                                     for i in range(args.sessions))),
                    timeout=args.deadline)
                times = [r["seconds"] for r in results if r["seconds"] is not None]
                errors = [p for r in results for p in r["problems"]]
                failures += len(errors)
                await asyncio.sleep(8)  # sessions are dropped 5 s after their sockets close
                after = rss_mib(server.pid)
                median = statistics.median(times) if times else float("nan")
                worst = max(times) if times else float("nan")
                print(f"wave {wave}: {args.sessions} sessions in {time.monotonic() - began:.1f} s, "
                      f"errors {len(errors)}, time to charts median {median:.2f} s, worst {worst:.2f} s, "
                      f"server RSS after close {after:.0f} MiB ({after - baseline:+.0f} MiB vs baseline)")
                for problem in errors[:5]:
                    print(f"  - {problem}")
            await browser.close()
    finally:
        watch.stop()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    print(f"server peak RSS {watch.peak:.0f} MiB")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per session")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds per wave")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
