"""Rate limits per caller: each API client, staff member or anonymous address has a
budget of requests, counted in a storage every process shares (Redis for several pods).

The strategy is limits' *sliding window counter*, the closest it has to a token bucket: a
caller may spend its whole budget at once (the bucket is full), and once it is spent the
budget comes back gradually as the previous window's requests weigh less (the bucket
refills at `limit` per window), not all at once at the end of a fixed window. It keeps two
counters per caller, so a budget of thousands costs Redis no more than a budget of ten
(limits' moving window keeps one entry per request). Refused requests spend nothing.

The HTTP endpoint asks before any SQL runs and tells the caller its budget
(api/http/limits.py: the RateLimit header fields, and 429 with `Retry-After` once spent).

The limiter fails open: when the storage is unreachable the request goes through, the
failure is logged, and the storage is left alone for a few seconds, so that Redis being
down costs neither availability nor a connection timeout per request.
"""

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from domain.shared.access import Viewer

log = logging.getLogger("rapport.rate_limits")

OFF = frozenset({"", "off", "none"})
ANONYMOUS_SUBJECTS = frozenset({"", "anonymous"})
STORAGE_TIMEOUT_SECONDS = 0.5  # a slow storage delays no request for longer than this
PAUSE_AFTER_FAILURE_SECONDS = 5.0  # how long a failed storage is left alone


def parse_budget(text: str | None) -> RateLimitItem | None:
    """`600/minute` (limits' notation: `10 per second`, `1000/hour`…) as a limit; None when
    rate limiting is off (`off`, `none` or empty)."""
    if text is None or text.strip().lower() in OFF:
        return None
    try:
        return parse(text)
    except ValueError as error:
        raise ValueError(
            f"RAPPORT_RATE_LIMIT {text!r} is not a rate limit such as 600/minute or off"
        ) from error


def async_storage_uri(uri: str) -> str:
    """limits' asynchronous storages take `async+` schemes (`async+redis://host:6379/0`,
    `async+memory://`); the plain form (`redis://…`, `memory://`) means the same here."""
    uri = uri.strip() or "memory://"
    return uri if uri.startswith("async+") else f"async+{uri}"


def caller_key(viewer: Viewer, address: str | None) -> str:
    """Whose budget a request spends: its API client's, else its subject's (a staff member
    signed in with a token), else, for anonymous callers, its network address's."""
    if viewer.client_id is not None:
        return f"client:{viewer.client_id}"
    if viewer.subject not in ANONYMOUS_SUBJECTS:
        return f"subject:{viewer.subject}"
    return f"address:{address or 'unknown'}"


@dataclass(frozen=True)
class Budget:
    """A caller's budget after its request: `remaining` of `limit` requests per `window`
    seconds; `reset_after` seconds until it starts coming back."""

    limit: int
    remaining: int
    reset_after: int
    window: int


class RateLimited(Exception):
    """Over budget: nothing of the request is done."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.retry_after = max(1, budget.reset_after)
        super().__init__(
            f"Too many requests: the budget is {budget.limit} per {budget.window} seconds. "
            f"Retry after {self.retry_after} seconds."
        )


class RateLimiter:
    """One budget, `limit`, for every caller, each counted under its own key in `storage`."""

    def __init__(
        self, limit: RateLimitItem, storage: Storage, *,
        timeout: float = STORAGE_TIMEOUT_SECONDS,
        pause_after_failure: float = PAUSE_AFTER_FAILURE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._limit = limit
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._timeout = timeout
        self._pause_after_failure = pause_after_failure
        self._monotonic = monotonic
        self._paused_until = 0.0

    @classmethod
    def from_settings(cls, budget: str | None, storage_uri: str) -> "RateLimiter | None":
        """The limiter the settings ask for, or None when rate limiting is off. Connects to
        nothing yet: a storage down at start-up fails open like one that goes down later."""
        limit = parse_budget(budget)
        if limit is None:
            return None
        storage = storage_from_string(
            async_storage_uri(storage_uri), wrap_exceptions=True,
            **_redis_options(storage_uri),
        )
        if not isinstance(storage, Storage):
            raise ValueError(f"RAPPORT_RATE_LIMIT_STORAGE {storage_uri!r} is not async")
        return cls(limit, storage)

    async def admit(self, viewer: Viewer, address: str | None) -> Budget | None:
        """The caller's budget after spending one request; raises `RateLimited` when
        nothing is left. None when the storage failed (the request goes through)."""
        spent = await self._spend(caller_key(viewer, address))
        if spent is None:
            return None
        allowed, budget = spent
        if not allowed:
            raise RateLimited(budget)
        return budget

    async def _spend(self, key: str) -> tuple[bool, Budget] | None:
        """Whether one more request fits `key`'s budget (spending it if so) and the budget
        left, or None if the storage failed: the request then goes through (fail open)."""
        if self._monotonic() < self._paused_until:
            return None
        try:
            async with asyncio.timeout(self._timeout):
                allowed = await self._strategy.hit(self._limit, key)
                stats = await self._strategy.get_window_stats(self._limit, key)
        except Exception:  # any storage failure: the API stays up, without limits for now
            self._paused_until = self._monotonic() + self._pause_after_failure
            log.warning("rate limit storage failed; requests go through unlimited for %.0f s",
                        self._pause_after_failure, exc_info=True)
            return None
        reset_after = max(0, math.ceil(stats.reset_time - time.time()))
        return allowed, Budget(self._limit.amount, stats.remaining, reset_after,
                               self._limit.get_expiry())


def _redis_options(storage_uri: str) -> dict[str, float | str | bool]:
    """Short timeouts for Redis, so that an unreachable server is noticed quickly."""
    if "redis" not in storage_uri.split("://", 1)[0]:
        return {}
    return {"connect_timeout": STORAGE_TIMEOUT_SECONDS, "stream_timeout": STORAGE_TIMEOUT_SECONDS}
