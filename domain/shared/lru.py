"""A bounded cache that forgets the least recently used entry first.

Documents, plans and programmes are cached by the process that serves them; a client
sending ever new texts must not grow the process without limit, and what is asked for
again and again should stay. `functools.lru_cache` fits a pure function of its arguments;
this is for caches whose owner decides what to store (a value made from more than the key,
or an entry registered by one call and read by another).
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """At most `capacity` entries. Reading an entry makes it the most recent; adding one
    past the capacity drops the least recent. Values may be None: `get_or_add` tells a
    stored None from a missing entry."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"an LRU cache holds at least one entry, not {capacity}")
        self._capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: K) -> bool:
        """Whether `key` is cached, without making it more recent."""
        return key in self._entries

    def get(self, key: K) -> V | None:
        """The cached value (now the most recent), or None when there is none."""
        if key not in self._entries:
            return None
        self._entries.move_to_end(key)
        return self._entries[key]

    def put(self, key: K, value: V) -> None:
        """Stores `value` as the most recent entry, dropping the least recent if full."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def get_or_add(self, key: K, make: Callable[[], V]) -> V:
        """The cached value, or `make()`'s, stored first."""
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        value = make()
        self.put(key, value)
        return value

    def clear(self) -> None:
        self._entries.clear()
