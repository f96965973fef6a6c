"""A cache bounded by the bytes of what it holds, least recently used out first, safe to share between threads.

Streamlit's ``st.cache_resource`` bounds entries only by count and age, and ``server.maxCacheDataSize``
covers ``st.cache_data`` only; this one keeps the analyses (tens of MB each for long texts) under a
byte budget. Values are shared, never copied: every caller gets the same object, so they must be
read-only (an ``Analysis`` is).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class ByteBoundedCache(Generic[V]):
    """Values by key, at most ``budget`` bytes in all as measured by ``size_of``; thread-safe."""

    def __init__(self, budget: int, size_of: Callable[[V], int]) -> None:
        if budget < 0:
            raise ValueError(f"a byte budget cannot be negative, got {budget}")
        self.budget = budget
        self._size_of = size_of
        self._held: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()  # oldest use first
        self._nbytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], V]) -> V:
        """The value held for ``key``, else ``make()``, held if it fits the budget on its own.

        ``make`` runs outside the lock, so one slow value does not hold up other keys. If two
        threads make the same key at once, the first one stored is kept and returned to both.
        The least recently used values are dropped to make room before the new one goes in, so
        what is held never passes the budget, not even for a moment inside ``get``.
        """
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key][0]
        value = make()
        size = self._size_of(value)
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key][0]
            if size > self.budget:
                return value
            while self._nbytes + size > self.budget:
                _, (_, dropped) = self._held.popitem(last=False)
                self._nbytes -= dropped
            self._held[key] = (value, size)
            self._nbytes += size
        return value

    @property
    def nbytes(self) -> int:
        """Bytes held now, by ``size_of``; never more than ``budget``."""
        with self._lock:
            return self._nbytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)

    def clear(self) -> None:
        with self._lock:
            self._held.clear()
            self._nbytes = 0
