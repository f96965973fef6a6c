"""Many visitors at once: real headless Chromium sessions against a local app server.

    python -m benchmarks.load_test [--sessions 20] [--waves 3] [--timeout 120]   # one replica, no proxy
    python -m benchmarks.load_test --proxy 2 [--sessions 30]    # scripts/serve_class.sh 2: nginx + 2 replicas
    python -m benchmarks.load_test --target http://127.0.0.1:8080/   # a server already running here

By default starts ``streamlit run app.py`` on a free port of 127.0.0.1. With ``--proxy N`` it starts
``scripts/serve_class.sh N`` instead (N replicas behind nginx, sticky by a cookie) and goes through
nginx. ``--target`` drives a server that is already running, on a loopback address only. No other
address is ever contacted. In each wave it opens ``--sessions`` browser pages at once. Every page
types its own sentence, submits it and waits until its charts are drawn. It prints errors, the
median, 90th percentile and worst time to charts (from opening the link to the first charts, and
from submitting the sentence to its charts), the servers' peak memory, and their memory after
each wave's sessions have closed (sessions are dropped 5 s after disconnecting here), so growth from
wave to wave would show. Through the proxy it also prints how many sessions each replica served
(the page's ``X-Upstream`` header) and checks in nginx's access log that every page's websocket
reached the same replica as the page. Bounded: a fixed number of pages, each with a time limit, and
every wave with ``--deadline``.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SUBJECTS = ["手机", "电脑", "酒店", "餐厅", "老师", "电影", "小说", "耳机", "相机", "快递"]
MOODS = ["很好用，我非常满意，推荐购买。", "太差了，完全不值这个价，很失望。"]


def sentence(index: int) -> str:
    """A different review per session, with a marker token (user{index}) to find on the page."""
    return f"这家店的{SUBJECTS[index % len(SUBJECTS)]}{MOODS[index % 2]}user{index}同学说的。"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_or_zero(pid: int) -> float:
    try:
        return rss_mib(pid)
    except OSError:  # the process has gone
        return 0.0


class MemoryWatch:
    """Samples the servers' resident memory every 0.2 s in a thread; keeps each one's peak and the
    peak of their sum."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids, self._stop = pids, threading.Event()
        self.peaks = {name: 0.0 for name in pids}
        self.peak = 0.0  # of the sum
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = {name: rss_or_zero(pid) for name, pid in self.pids.items()}
            for name, value in now.items():
                self.peaks[name] = max(self.peaks[name], value)
            self.peak = max(self.peak, sum(now.values()))
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


def health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.read().decode() == "ok"
    except OSError:
        return False


def free_port_block(count: int) -> int:
    """A port P such that P .. P+count-1 are all free on 127.0.0.1."""
    for _ in range(200):
        base = random.randint(20000, 60000 - count)
        socks = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                socks.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise RuntimeError(f"no block of {count} free ports on 127.0.0.1")


class Proxied:
    """``scripts/serve_class.sh N PORT`` in its own process group, with a run directory we know."""

    COOKIE = "class_replica"

    def __init__(self, replicas: int, run_dir: Path) -> None:
        self.port = free_port_block(replicas + 1)
        self.run_dir = run_dir
        run_dir.mkdir(parents=True, exist_ok=True)
        for old in run_dir.glob("*"):
            if old.is_file():
                old.unlink()
        env = {**os.environ, "CLASS_RUN_DIR": str(run_dir), "PYTHON": sys.executable,
               "CLASS_COOKIE": self.COOKIE, "STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "5"}
        self.log = (run_dir / "serve_class.out").open("w")
        self.script = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "serve_class.sh"), str(replicas), str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 180
        while not (run_dir / "ready").exists():
            if self.script.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("scripts/serve_class.sh did not come up: "
                                   + (run_dir / "serve_class.out").read_text()[-2000:])
            time.sleep(0.3)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.replicas = {f"127.0.0.1:{self.port + i}": int((run_dir / f"replica-{i}.pid").read_text())
                         for i in range(1, replicas + 1)}

    def stop(self) -> None:
        """SIGTERM to the script alone (its trap stops nginx and the replicas); the group only as a fallback."""
        if self.script.poll() is None:
            self.script.send_signal(signal.SIGTERM)
            try:
                self.script.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.script.pid, signal.SIGKILL)
                self.script.wait()
        self.log.close()

    def websocket_upstreams(self) -> dict[str, str]:
        """Sticky cookie -> the replica that served its /_stcore/stream, from nginx's access log
        (a websocket's line is written when it closes)."""
        found = {}
        log = self.run_dir / "nginx-access.log"
        for line in log.read_text().splitlines() if log.exists() else []:
            match = re.search(r'"GET /_stcore/stream[^"]*" \d+ upstream=(\S+) sticky=(\S+)', line)
            if match:
                found[match.group(2)] = match.group(1)
        return found


def check_loopback(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"--target must be on this machine's loopback (127.0.0.0/8, localhost, [::1]), not {host!r}")
    return url if url.endswith("/") else url + "/"


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
    upstream = cookie = opened = None
    try:
        began = time.monotonic()
        response = await page.goto(url, timeout=timeout * 1000)
        upstream = response.headers.get("x-upstream") if response else None  # set by nginx, if any
        await _wait(page, IDLE, timeout)
        opened = time.monotonic() - began  # from opening the link to the first charts drawn
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
        cookie = next((c["value"] for c in await context.cookies() if c["name"] == Proxied.COOKIE), None)
        return {"seconds": elapsed, "opened": opened, "problems": problems, "upstream": upstream, "cookie": cookie}
    except Exception as err:  # a session that fails is counted, not fatal to the run
        return {"seconds": None, "opened": opened, "problems": problems + [f"{type(err).__name__}: {err}"],
                "upstream": upstream, "cookie": cookie}
    finally:
        await context.close()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (q=0.9: 90th percentile); nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mib(pids: dict[str, int]) -> dict[str, float]:
    return {name: rss_or_zero(pid) for name, pid in pids.items()}


async def run(args) -> int:
    proxied = server = None
    if args.proxy:
        proxied = Proxied(args.proxy, ROOT / "artifacts" / "serve_class")
        url, pids = proxied.url, dict(proxied.replicas)
        warm_urls = [f"http://{name}/" for name in proxied.replicas]  # each replica directly, once
        print(f"through nginx on {url}: {args.proxy} replicas {', '.join(proxied.replicas)}")
    elif args.target:
        url, pids, warm_urls = check_loopback(args.target), {}, [check_loopback(args.target)]
        print(f"against {url} (already running; its memory is not measured)")
    else:
        port = free_port()
        server = start_server(port)
        url, pids = f"http://127.0.0.1:{port}/", {f"127.0.0.1:{port}": server.pid}
        warm_urls = [url]
        print(f"one replica without a proxy on {url}")
    watch = MemoryWatch(pids)
    failures = 0
    summary = []
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for warm_url in warm_urls:  # loads the models and fills caches once per process
                warm = await one_session(browser, warm_url, 0, args.timeout)
                print(f"warm-up on {warm_url}: time to charts {warm['seconds'] or float('nan'):.2f} s"
                      + (f", problems {warm['problems']}" if warm["problems"] else ""))
            baseline = _mib(pids)
            if pids:
                print("RSS after warm-up: " + ", ".join(f"{n} {v:.0f} MiB" for n, v in baseline.items())
                      + f" (total {sum(baseline.values()):.0f} MiB)")
            for wave in range(1, args.waves + 1):
                began = time.monotonic()
                results = await asyncio.wait_for(
                    asyncio.gather(*(one_session(browser, url, wave * 100 + i, args.timeout)
                                     for i in range(args.sessions))),
                    timeout=args.deadline)
                span = time.monotonic() - began
                await asyncio.sleep(8)  # sessions are dropped 5 s after their sockets close
                if proxied:
                    sockets = proxied.websocket_upstreams()
                    for r in results:
                        if r["seconds"] is None:
                            continue
                        if not r["upstream"]:
                            r["problems"].append("no X-Upstream header on the page")
                        elif r["cookie"] not in sockets:
                            r["problems"].append("no websocket line for this session's cookie in nginx's log")
                        elif sockets[r["cookie"]] != r["upstream"]:
                            r["problems"].append(f"page from {r['upstream']} but websocket to {sockets[r['cookie']]}")
                times = [r["seconds"] for r in results if r["seconds"] is not None]
                opens = [r["opened"] for r in results if r["opened"] is not None]
                errors = [p for r in results for p in r["problems"]]
                failed = sum(1 for r in results if r["problems"])
                failures += len(errors)
                after = _mib(pids)
                median, p90 = percentile(times, 0.5), percentile(times, 0.9)
                worst = max(times) if times else float("nan")
                line = (f"wave {wave}: {args.sessions} sessions in {span:.1f} s, sessions with errors {failed}; "
                        f"open to charts median {percentile(opens, 0.5):.1f} s, p90 {percentile(opens, 0.9):.1f} s, "
                        f"worst {max(opens) if opens else float('nan'):.1f} s; "
                        f"submit to charts median {median:.2f} s, p90 {p90:.2f} s, worst {worst:.2f} s")
                if proxied:
                    served = Counter(r["upstream"] for r in results)
                    line += "; per replica " + ", ".join(f"{n} {served.get(n, 0)}" for n in proxied.replicas)
                    if served.keys() - proxied.replicas.keys():
                        line += f", other {sum(v for k, v in served.items() if k not in proxied.replicas)}"
                if pids:
                    line += ("; RSS after close " + ", ".join(f"{after[n]:.0f}" for n in pids)
                             + f" MiB (total {sum(after.values()):.0f}, "
                               f"{sum(after.values()) - sum(baseline.values()):+.0f} vs warm)")
                print(line, flush=True)
                summary.append(line)
                for problem, count in Counter(p[:160] for p in errors).most_common(5):
                    print(f"  - {count} x {problem}")
            await browser.close()
    finally:
        watch.stop()
        if proxied:
            proxied.stop()
        if server:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    if pids:
        print("peak RSS " + ", ".join(f"{n} {v:.0f} MiB" for n, v in watch.peaks.items())
              + f"; peak of the sum {watch.peak:.0f} MiB")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for each of a session's two waits")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds per wave")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--proxy", type=int, metavar="N", help="go through nginx with N replicas "
                                                              "(scripts/serve_class.sh)")
    where.add_argument("--target", metavar="URL", help="a server already running on a loopback address")
    args = parser.parse_args()
    if args.proxy is not None and not 1 <= args.proxy <= 8:
        parser.error("--proxy takes 1 to 8 replicas on this machine")
    if not 1 <= args.sessions <= 100 or not 1 <= args.waves <= 10:
        parser.error("--sessions 1..100 and --waves 1..10: the run is bounded")
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    sys.exit(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
