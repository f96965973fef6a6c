"""The byte-bounded cache of analyses: least recently used out first, within budget under threads and floods."""
from __future__ import annotations

import threading
from collections import OrderedDict

import pytest

from ui import state
from ui.cache import ByteBoundedCache


class Sized:
    """A value that says its own size."""

    def __init__(self, nbytes: int) -> None:
        self.nbytes = nbytes


def _cache(budget: int) -> ByteBoundedCache[Sized]:
    return ByteBoundedCache(budget, size_of=lambda value: value.nbytes)


def test_least_recently_used_goes_first():
    cache = _cache(10)
    a, b = cache.get("a", lambda: Sized(4)), cache.get("b", lambda: Sized(4))
    assert (len(cache), cache.nbytes) == (2, 8)
    assert cache.get("a", lambda: pytest.fail("a hit makes nothing")) is a
    c = cache.get("c", lambda: Sized(4))  # no room for three: b, used longest ago, goes
    assert (len(cache), cache.nbytes) == (2, 8)
    assert cache.get("a", lambda: pytest.fail("a is kept")) is a
    assert cache.get("c", lambda: pytest.fail("c is kept")) is c
    assert cache.get("b", lambda: Sized(4)) is not b


def test_a_value_larger_than_the_budget_is_returned_not_held():
    cache = _cache(10)
    small = cache.get("small", lambda: Sized(3))
    big = cache.get("big", lambda: Sized(11))
    assert big.nbytes == 11 and (len(cache), cache.nbytes) == (1, 3)
    assert cache.get("small", lambda: pytest.fail("still held")) is small
    assert cache.get("big", lambda: Sized(11)) is not big


class WatchedHeld(OrderedDict):
    """The cache's store of values, noting the bytes it holds each time a value goes in."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes_after_each_insert: list[int] = []

    def __setitem__(self, key, item) -> None:
        super().__setitem__(key, item)
        self.bytes_after_each_insert.append(sum(size for _, size in self.values()))


def test_room_is_made_before_a_value_goes_in_so_the_budget_holds_even_inside_get():
    cache = _cache(10)
    watched = cache._held = WatchedHeld()  # the store, seen from inside get
    for key in "abcdefab":
        cache.get(key, lambda: Sized(4))
    assert watched.bytes_after_each_insert == [4, 8, 8, 8, 8, 8, 8, 8]
    assert (len(cache), cache.nbytes) == (2, 8)


def test_two_threads_making_one_key_share_one_object():
    cache = _cache(100)
    both_making = threading.Barrier(2, timeout=10)

    def make() -> Sized:
        both_making.wait()  # neither has stored its value yet
        return Sized(5)

    found = []
    threads = [threading.Thread(target=lambda: found.append(cache.get("k", make))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 2 and found[0] is found[1]
    assert (len(cache), cache.nbytes) == (1, 5)


def test_many_threads_stay_within_the_budget():
    cache = _cache(20)  # room for six values of 3 bytes
    over = []

    def hammer(seed: int) -> None:
        for i in range(400):
            cache.get((seed * 7 + i) % 37, lambda: Sized(3))
            if cache.nbytes > cache.budget:
                over.append(cache.nbytes)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not over
    assert len(cache) == 6 and cache.nbytes == 18  # the count of bytes matches what is held


def test_a_flood_of_long_texts_stays_within_the_budget(monkeypatch):
    """Distinct long texts through the page's analyze(): what is held never passes the budget."""
    monkeypatch.setenv(state.ANALYSIS_CACHE_ENV, "12")
    state.analysis_cache.clear()
    try:
        cache = state.analysis_cache()
        assert cache.budget == 12 * 2**20
        review = "这个热水器太费电了，千万不能买。"
        texts = [f"第{i}条：" + review * 120 for i in range(8)]  # about 1,000 tokens each
        results = []
        for text in texts:
            results.append(state.analyze("lstm", text, "word"))
            assert 0 < cache.nbytes <= cache.budget
        assert results[0].analysis.nbytes > 2 * 2**20  # each is several MiB: the budget really binds
        assert 1 < len(cache) < len(texts)
        assert cache.nbytes == sum(r.analysis.nbytes for r in results[-len(cache):])  # the latest are held
        assert state.analyze("lstm", texts[-1], "word") is results[-1]  # a hit: the very same object
        assert state.analyze("lstm", texts[0], "word") is not results[0]  # the oldest was dropped
    finally:
        state.analysis_cache.clear()


def test_analysis_bytes_count_every_array_once():
    result = state.analyze("gru", "我爱人工智能", "word")
    trace = result.analysis.trace
    arrays = [trace.hidden, trace.probabilities, *trace.gates.values(), *trace.terms.values()]
    assert result.analysis.nbytes == sum(a.nbytes for a in arrays)  # one sentence: its views cover the buffers


def test_edited_runs_are_keyed_by_their_edits_in_a_cache_of_their_own(monkeypatch):
    """Many what-if edits never push out the analyses the tabs read: they have their own, smaller budget."""
    from models.asking.intervene import Edit

    monkeypatch.setenv(state.ANALYSIS_CACHE_ENV, "12")
    state.analysis_cache.clear()
    state.edited_cache.clear()
    try:
        text = "这个热水器太费电了，千万不能买。"
        page = state.analyze("lstm", text, "word")
        plain = state.analyze_edited("lstm", text, "word")
        edited = state.analyze_edited("lstm", text, "word", (Edit("forget", [2, 3], set=1.0),))
        again = state.analyze_edited("lstm", text, "word", (Edit("forget", range(2, 4), set=1.0),))
        assert again is edited  # equal edits are one key
        assert state.analyze_edited("lstm", text, "word", (Edit("forget", [2, 3], set=0.0),)) is not edited
        assert state.edited_cache().budget == int(12 * 2**20 * state.EDITED_CACHE_SHARE)
        review = "第{}条：" + text * 60  # long enough to fill the edited runs' budget several times
        for i in range(12):
            state.analyze_edited("lstm", review.format(i), "word", (Edit("input", [0], set=0.0),))
            assert state.edited_cache().nbytes <= state.edited_cache().budget
        assert state.analyze("lstm", text, "word") is page  # the page's analysis is still held
        assert state.analyze_edited("lstm", text, "word") is not plain  # the edited runs' oldest went
    finally:
        state.analysis_cache.clear()
        state.edited_cache.clear()
