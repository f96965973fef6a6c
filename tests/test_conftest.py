"""tests/conftest.py's hooks on small suites of their own: under CI=true a skip fails the run, elsewhere it stays."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import in_ci

CONFTEST = Path(__file__).with_name("conftest.py")
SUITE = """
import pytest

def test_passes():
    pass

def test_skips_inside():
    pytest.skip("no chromium here")

@pytest.mark.skipif(True, reason="no nginx here")
def test_skipped_by_a_mark():
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False
"""
MODULE_SKIP = 'import pytest\npytest.importorskip("no_such_module_anywhere")\n\ndef test_never_runs():\n    pass\n'


@pytest.fixture
def suite(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # hypothesis and friends: seconds to load, not needed
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_suite=SUITE, test_module_skip=MODULE_SKIP)
    return pytester


def test_under_ci_every_skip_fails_the_run_and_says_why(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-p", "no:cacheprovider", "-rA", "--continue-on-collection-errors")
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) == 0
    assert outcomes["passed"] == 1 and outcomes["xfailed"] == 1  # an expected failure is not a skip
    assert outcomes.get("failed", 0) + outcomes.get("errors", 0) + outcomes.get("error", 0) == 3
    assert result.ret != 0
    text = result.stdout.str()
    for reason in ("no chromium here", "no nginx here", "no_such_module_anywhere"):
        assert reason in text


def test_outside_ci_a_skip_stays_a_skip(suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)
    assert result.ret == 0


@pytest.mark.parametrize(("value", "ci"), [("true", True), ("1", True), ("TRUE", True), ("", False),
                                           ("false", False), ("0", False)])
def test_what_counts_as_ci(monkeypatch, value, ci):
    monkeypatch.setenv("CI", value)
    assert in_ci() is ci


def test_the_streamlit_data_cache_is_fresh_in_every_test(pytester, monkeypatch):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_cache="""
import streamlit as st

calls = []

@st.cache_data
def counted(x):
    calls.append(x)
    return x

def test_first():
    counted(1)
    assert calls == [1]

def test_second():
    counted(1)  # made again: the first test's value was cleared
    assert calls == [1, 1]
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
