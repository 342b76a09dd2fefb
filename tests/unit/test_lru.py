"""The one LRU cache (domain/shared/lru.py): bounded, least recent out first."""

import pytest

from domain.shared.lru import LruCache


def test_past_its_capacity_the_least_recently_used_entry_goes() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recent

    cache.put("c", 3)

    assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)
    assert len(cache) == 2


def test_storing_a_key_again_replaces_its_value_and_makes_it_recent() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)

    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b")) == (10, None)


def test_get_or_add_makes_a_value_once_and_keeps_a_cached_none() -> None:
    cache: LruCache[str, int | None] = LruCache(4)
    made: list[str] = []

    def make(key: str) -> None:
        made.append(key)

    assert cache.get_or_add("a", lambda: make("a")) is None
    assert cache.get_or_add("a", lambda: make("a")) is None
    assert made == ["a"]


def test_looking_without_reading_does_not_make_an_entry_recent() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert "a" in cache

    cache.put("c", 3)

    assert "a" not in cache


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError, match="at least one"):
        LruCache(0)
