"""Where the Read tab's time goes between a submit and its charts drawn: the script's stages, the payload,
and the browser.

    python -m benchmarks.page_speed [--submits 7] [--skip-browser]

Script: the page runs under AppTest (no browser) for fresh ~30-token texts. The analysis, each viz
builder that ui.read calls, the figures' conversion to JSON (what st.plotly_chart does) and every
st.plotly_chart call are timed by wrapping them; the rest of the run is Streamlit and the page's own
code. Each chart's JSON size is read from what the run sent.

Browser: ``streamlit run app.py`` and Debian's Chromium (see benchmarks.browser). One page warms the
server up (models, jieba); a second page opens, then submits fresh texts: the first submit after opening
the page, then the later ones, then texts seen before (every cache warm). Each line is a timeline
measured inside the page, plus Chrome's main-thread busy time and the websocket bytes. Medians are
printed; on a loaded machine compare runs made in the same conditions.
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

from benchmarks.browser import ROOT, app_server, launch, new_page, poll, timed_submit

ARTIFACTS = ROOT / "artifacts"
SENTENCE = "快递太慢了，等了一个星期才到，包装也破了，不过书的内容还是很精彩，值得一读。"
# One word in front of SENTENCE makes a fresh 30-token text; each word is one token of the vocabulary,
# not in SENTENCE or the default example, so a chart showing it was drawn for that text.
WORDS = ("苹果", "香蕉", "电影", "音乐", "老师", "朋友", "天气", "咖啡", "医生", "城市", "汽车", "火车",
         "学校", "电脑", "衣服", "鞋子", "酒店", "司机", "邻居", "孩子")


def fresh_text(index: int) -> tuple[str, str]:
    """(text, marker): a ~30-token text no earlier index gave, and its token that shows in every chart."""
    word = WORDS[index % len(WORDS)] + ("" if index < len(WORDS) else str(index // len(WORDS)))
    return f"{word}，{SENTENCE}", word


class Stopwatch:
    """Seconds spent inside wrapped callables, summed per stage name."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def wrap(self, stage: str, function: Callable) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - start
        return timed

    @contextmanager
    def patched(self, targets: list[tuple[object, str, str]]) -> Iterator[None]:
        """Wrap ``getattr(owner, name)`` as ``stage`` for each (owner, name, stage) while inside."""
        with ExitStack() as stack:
            for owner, name, stage in targets:
                stack.enter_context(mock.patch.object(owner, name, self.wrap(stage, getattr(owner, name))))
            yield


def _targets() -> list[tuple[object, str, str]]:
    import plotly.io
    import plotly.tools

    import ui.common
    import ui.read
    from models.pretrained import PretrainedModel

    builders = [name for name, value in vars(ui.read).items()
                if callable(value) and getattr(value, "__module__", "").startswith("viz.")
                and not isinstance(value, type)]
    return [
        (PretrainedModel, "analyze_tokens", "analysis"),
        *[(ui.read, name, "build figures") for name in builders],
        (plotly.tools, "return_figure_from_figure_or_data", "figure to JSON"),
        (plotly.io, "to_json", "figure to JSON"),
        *[(module, "show", "st.plotly_chart") for module in (ui.common, ui.read) if hasattr(module, "show")],
    ]


def script_breakdown(submits: int) -> None:
    """Time the Read tab's script run under AppTest, stage by stage, for ``submits`` fresh texts."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()  # loads the models and jieba, draws the default example
    watch = Stopwatch()
    runs: list[dict[str, float]] = []
    with watch.patched(_targets()):
        for index in range(submits):
            watch.seconds.clear()
            start = time.perf_counter()
            at.text_area(key="text").set_value(fresh_text(100 + index)[0]).run()
            runs.append({"script run": time.perf_counter() - start, **watch.seconds})
    assert not at.exception, at.exception
    print(f"\nScript run under AppTest, fresh 30-token texts, median of {submits} (ms):")
    stages = list(runs[0])
    for stage in stages:
        ms = statistics.median(run.get(stage, 0.0) for run in runs) * 1e3
        note = " (includes figure to JSON)" if stage == "st.plotly_chart" else ""
        print(f"  {stage:18} {ms:7.1f}{note}")
    other = statistics.median(
        run["script run"] - run.get("analysis", 0) - run.get("build figures", 0) - run.get("st.plotly_chart", 0)
        for run in runs
    )
    print(f"  {'rest of the run':18} {other * 1e3:7.1f} (Streamlit, widgets, text, tokens)")
    specs = [chart.proto.spec for chart in at.get("plotly_chart")]
    print(f"Chart JSON sent: {len(specs)} charts, {sum(map(len, specs)) / 1024:.0f} KiB in all: "
          + ", ".join(f"{len(spec) / 1024:.0f}" for spec in specs) + " KiB")


def browser_breakdown(submits: int) -> None:
    """Time submits in Chromium: the first after opening the page, later fresh ones, and cached ones."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, app_server(ARTIFACTS / "page_speed_server.log") as url:
        browser = launch(p)
        try:
            warm = new_page(browser)
            warm.goto(url)
            poll(warm, lambda s: s["connected"] and s["idle"] and s["charts"] and s["drawn"] == s["charts"], "warm-up")
            warm.close()
            page = new_page(browser)
            start = time.perf_counter()
            page.goto(url)
            opened = poll(page, lambda s: s["connected"] and s["idle"] and s["charts"] and s["drawn"] == s["charts"],
                          "the page")
            print(f"\nBrowser (Chromium, Read tab): open page -> {opened['charts']} charts drawn "
                  f"{time.perf_counter() - start:.2f} s")
            box = page.locator("[data-testid=stTextArea] textarea").first
            report_submits(page, box, opened["charts"], submits)
        finally:
            browser.close()


def report_submits(page, box, charts: int, submits: int) -> dict[str, list]:
    """Time the first submit on ``page``, ``submits`` later fresh ones and ``submits`` cached ones; print
    each and the medians; returns the timings by kind."""
    kinds = {
        "first submit": [fresh_text(0)],
        "later submits": [fresh_text(i) for i in range(1, submits + 1)],
        "cached submits": [fresh_text(submits - 1 + i % 2) for i in range(submits)],  # seen; alternating
    }
    timings = {}
    for kind, texts in kinds.items():
        timings[kind] = [timed_submit(page, box, text, marker, charts) for text, marker in texts]
        for timing in timings[kind] if len(texts) > 1 else ():
            print(f"    {timing.line()}")
        total = statistics.median(t.total for t in timings[kind])
        print(f"  {kind}: median total {total:.0f} ms of {len(texts)}; medians {median_timing(timings[kind]).line()}")
    return timings


def median_timing(timings: list):
    """The per-field median of SubmitTimings."""
    first = timings[0]
    return type(first)(
        first_message=statistics.median(t.first_message for t in timings),
        script_done=statistics.median(t.script_done for t in timings),
        charts_drawn=statistics.median(t.charts_drawn for t in timings),
        bytes=int(statistics.median(t.bytes for t in timings)),
        busy={name: statistics.median(t.busy[name] for t in timings) for name in first.busy},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submits", type=int, default=7, help="fresh texts per kind of submit")
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    script_breakdown(args.submits)
    if not args.skip_browser:
        browser_breakdown(args.submits)


if __name__ == "__main__":
    main()
