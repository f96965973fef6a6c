"""The class recipe, run for real: ``scripts/serve_class.sh 2`` starts two Streamlit replicas behind
Debian's nginx on 127.0.0.1. Checked here: /healthz, that the sticky cookie spreads visitors over both
replicas and keeps each on one, that a real Chromium page connects its websocket through the proxy
to the replica that served the page and draws a chart, and that the script stops every process it
started when it is told to stop.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.load_test import free_port_block

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "serve_class.sh"
CHROMIUM = Path("/usr/bin/chromium")
COOKIE = "class_replica"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
LAUNCH_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
               "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"]
DRAWN = ("() => { const a = document.querySelector('[data-testid=stApp]');"
         " return !!a && a.getAttribute('data-test-connection-state') === 'CONNECTED'"
         " && a.getAttribute('data-test-script-state') === 'notRunning'"
         " && document.querySelectorAll('[data-testid=stPlotlyChart] .main-svg').length > 0; }")

pytestmark = pytest.mark.e2e  # needs Debian's nginx and chromium (scripts/test.sh installs them)




def _get(url: str, cookie: str | None = None) -> tuple[str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as reply:
        headers = {}
        for name, value in reply.headers.items():  # keep every Set-Cookie
            headers.setdefault(name.lower(), []).append(value)
        return reply.read().decode(errors="replace"), {k: "\n".join(v) for k, v in headers.items()}


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Class:
    def __init__(self, port: int, run_dir: Path, script: subprocess.Popen) -> None:
        self.port, self.run_dir, self.script = port, run_dir, script
        self.url = f"http://127.0.0.1:{port}/"
        self.replicas = {f"127.0.0.1:{port + 1}", f"127.0.0.1:{port + 2}"}

    def websocket_upstreams(self) -> dict[str, str]:
        found = {}
        for line in (self.run_dir / "nginx-access.log").read_text().splitlines():
            match = re.search(r'"GET /_stcore/stream[^"]*" 101 upstream=(\S+) sticky=(\S+)', line)
            if match:
                found[match.group(2)] = match.group(1)
        return found


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    assert NGINX is not None, "needs Debian's nginx (apt-get install -y nginx; scripts/test.sh installs it)"
    run_dir = tmp_path_factory.mktemp("serve_class")
    port = free_port_block(3)
    env = {**os.environ, "CLASS_RUN_DIR": str(run_dir), "PYTHON": sys.executable}
    out = (run_dir / "script.out").open("w")
    script = subprocess.Popen(["bash", str(SCRIPT), "2", str(port)], cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (run_dir / "ready").exists():
            assert script.poll() is None, f"serve_class.sh exited: {(run_dir / 'script.out').read_text()}"
            assert time.monotonic() < deadline, "serve_class.sh was not ready in 120 s"
            time.sleep(0.2)
        yield Class(port, run_dir, script)
    finally:
        if script.poll() is None:  # only if the stop test did not run or failed
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
        out.close()


def test_healthz_answers_through_nginx(served):
    body, headers = _get(served.url + "healthz")
    assert body == "ok"
    assert headers["x-upstream"] in served.replicas
    assert "nginx" in headers.get("server", "")


def test_the_sticky_cookie_spreads_visitors_and_keeps_each_on_one_replica(served):
    # A first visit gets the cookie from nginx, and its value leads back to the replica that answered.
    for _ in range(4):
        _, headers = _get(served.url)
        value = re.search(rf"{COOKIE}=([0-9a-f]+)", headers["set-cookie"]).group(1)
        _, again = _get(served.url, value)
        assert again["x-upstream"] == headers["x-upstream"]
        assert COOKIE not in again.get("set-cookie", "")  # set once, not on every reply
    # 16 visitors' cookies reach both replicas, each always the same one.
    reached = {}
    for i in range(16):
        seen = {_get(served.url, f"student-{i}")[1]["x-upstream"] for _ in range(3)}
        assert len(seen) == 1, f"cookie student-{i} reached {seen}"
        reached[f"student-{i}"] = seen.pop()
    assert set(reached.values()) == served.replicas, reached


def test_two_browsers_connect_through_the_proxy_to_two_replicas_and_draw(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            sessions = []
            # The first browser takes the cookie nginx gives it; the second is given one that leads to
            # the other replica (found with plain requests, as in the test above).
            first = browser.new_context()
            page = first.new_page()
            upstream = page.goto(served.url, timeout=60_000).headers["x-upstream"]
            sessions.append((first, page, upstream))
            other = next(f"student-{i}" for i in range(64)
                         if _get(served.url, f"student-{i}")[1]["x-upstream"] != upstream)
            second = browser.new_context()
            second.add_cookies([{"name": COOKIE, "value": other, "url": served.url}])
            page = second.new_page()
            sessions.append((second, page, page.goto(served.url, timeout=60_000).headers["x-upstream"]))
            assert {s[2] for s in sessions} == served.replicas

            for _, page, upstream in sessions:
                deadline = time.monotonic() + 60
                while not page.evaluate(DRAWN):
                    assert time.monotonic() < deadline, f"no chart drawn through the proxy (replica {upstream})"
                    time.sleep(0.1)
                assert page.locator("[data-testid=stException]").count() == 0
            cookies = [next(c["value"] for c in ctx.cookies() if c["name"] == COOKIE) for ctx, _, _ in sessions]
        finally:
            browser.close()  # closes the websockets, so nginx logs them
    deadline = time.monotonic() + 10
    while not all(c in served.websocket_upstreams() for c in cookies):
        assert time.monotonic() < deadline, "nginx logged no websocket for a session"
        time.sleep(0.2)
    sockets = served.websocket_upstreams()
    for cookie, (_, _, upstream) in zip(cookies, sessions):
        assert sockets[cookie] == upstream, "the websocket reached another replica than its page"


def test_the_script_stops_every_process_it_started(served):
    run_dir = served.run_dir
    replicas = [int(p.read_text()) for p in sorted(run_dir.glob("replica-*.pid"))]
    master = int((run_dir / "nginx-master.pid").read_text())
    workers = _children(master)
    started = replicas + [master] + workers
    assert len(replicas) == 2 and workers and all(_alive(pid) for pid in started)

    served.script.send_signal(signal.SIGTERM)  # the script alone, as Ctrl-C or a service manager would
    assert served.script.wait(timeout=30) != 0
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in started if _alive(pid)]
    for port in (served.port, served.port + 1, served.port + 2):
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still answers"
