"""What every test shares: a fresh ``st.cache_data`` around each test, and no silent skips in CI.

Under ``CI=true`` (set by GitHub Actions and most CI services) a skipped test is a failed one: a missing
Chromium, CJK font or nginx must stop the run, not pass it with fewer tests. Locally a skip stays a skip.
"""
from __future__ import annotations

import os
import sys

import pytest

CI_ENV = "CI"


def in_ci() -> bool:
    return os.environ.get(CI_ENV, "").strip().lower() in {"1", "true", "yes"}


def _clear_streamlit_data() -> None:
    """Clear ``st.cache_data`` if this process has imported Streamlit (nothing to clear otherwise)."""
    streamlit = sys.modules.get("streamlit")
    if streamlit is not None:
        streamlit.cache_data.clear()


@pytest.fixture(autouse=True)
def fresh_data_cache():
    # Only cached *data* (figures, badges) is cleared between tests: AppTest runs share the process's
    # caches. The cached *resources* are the three models, jieba's dictionary and the analyses: all
    # read-only and never changed after they are made, so sharing them between tests couples nothing,
    # and reloading the models for every test would add seconds each.
    _clear_streamlit_data()
    yield
    _clear_streamlit_data()


def _fail_a_skip(report) -> None:
    """Turn a skipped report into a failure that says why it was skipped."""
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under {CI_ENV}=true, which fails the run: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if in_ci():
        _fail_a_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    if in_ci():  # a module skipped as a whole (pytest.skip(allow_module_level=True), importorskip)
        _fail_a_skip(outcome.get_result())
