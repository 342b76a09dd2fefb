"""Rate limits without HTTP: the budget and storage settings, whose budget a request spends,
the headers, and failing open (infrastructure/rate_limits.py, api/http/limits.py)."""

import uuid

import pytest
from limits.aio.storage import MemoryStorage
from starlette.requests import Request

from api.http.limits import admit, budget_headers
from api.http.negotiation import RequestError
from domain.shared.access import Role, Viewer
from infrastructure.rate_limits import (
    Budget,
    RateLimited,
    RateLimiter,
    async_storage_uri,
    caller_key,
    parse_budget,
)


def request_from(host: str) -> Request:
    return Request({"type": "http", "method": "POST", "headers": [], "client": (host, 1)})


@pytest.mark.parametrize("text", ["off", "OFF", "none", "", "  ", None])
def test_a_budget_of_off_or_nothing_means_no_rate_limit(text: str | None) -> None:
    assert parse_budget(text) is None


def test_a_budget_is_read_in_limits_notation() -> None:
    limit = parse_budget("600/minute")

    assert limit is not None
    assert (limit.amount, limit.get_expiry()) == (600, 60)


def test_a_budget_that_is_not_a_rate_limit_names_the_setting() -> None:
    with pytest.raises(ValueError, match="RAPPORT_RATE_LIMIT"):
        parse_budget("lots")


@pytest.mark.parametrize(("given", "used"), [
    ("memory://", "async+memory://"),
    ("redis://cache:6379/0", "async+redis://cache:6379/0"),
    ("async+redis://cache:6379/0", "async+redis://cache:6379/0"),
    ("", "async+memory://"),
])
def test_storage_uris_are_used_in_their_async_form(given: str, used: str) -> None:
    assert async_storage_uri(given) == used


def test_an_api_client_is_counted_by_its_id() -> None:
    client_id = uuid.uuid4()
    viewer = Viewer(Role.STOREFRONT, "client:web-shop", client_id=client_id)

    assert caller_key(viewer, "10.0.0.1") == f"client:{client_id}"


def test_a_caller_without_a_client_is_counted_by_its_subject() -> None:
    viewer = Viewer(Role.STAFF, "staff:ana")

    assert caller_key(viewer, "10.0.0.1") == "subject:staff:ana"


def test_an_anonymous_caller_is_counted_by_its_address() -> None:
    viewer = Viewer(Role.ADMIN, "anonymous")

    assert caller_key(viewer, "10.0.0.1") == "address:10.0.0.1"


def test_budget_headers_follow_the_ietf_draft() -> None:
    headers = budget_headers(Budget(limit=600, remaining=598, reset_after=12, window=60))

    assert headers == {"RateLimit-Limit": "600", "RateLimit-Remaining": "598",
                       "RateLimit-Reset": "12", "RateLimit-Policy": "600;w=60"}


def test_a_refusal_asks_to_retry_after_at_least_a_second() -> None:
    refused = RateLimited(Budget(limit=1, remaining=0, reset_after=0, window=1))

    assert refused.retry_after == 1


async def test_a_refusal_is_a_429_with_its_budget_and_when_to_retry() -> None:
    limit = parse_budget("1/minute")
    assert limit is not None
    limiter = RateLimiter(limit, MemoryStorage())
    viewer, request = Viewer(Role.STAFF, "staff:ana"), request_from("10.0.0.1")
    await admit(limiter, viewer, request)

    with pytest.raises(RequestError) as refused:
        await admit(limiter, viewer, request)

    assert (refused.value.status, refused.value.code) == (429, "RATE_LIMITED")
    assert refused.value.headers["RateLimit-Remaining"] == "0"
    assert int(refused.value.headers["Retry-After"]) >= 1


async def test_the_budget_is_spent_one_request_at_a_time() -> None:
    limit = parse_budget("2/minute")
    assert limit is not None
    limiter = RateLimiter(limit, MemoryStorage())
    viewer, request = Viewer(Role.STAFF, "staff:ana"), request_from("10.0.0.1")

    first = await admit(limiter, viewer, request)
    second = await admit(limiter, viewer, request)

    assert (first["RateLimit-Remaining"], second["RateLimit-Remaining"]) == ("1", "0")
    with pytest.raises(RequestError):
        await admit(limiter, viewer, request)


class BrokenStorage(MemoryStorage):
    """A storage that is down, like Redis out of reach."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def acquire_sliding_window_entry(self, *args: object, **kwargs: object) -> bool:
        self.calls += 1
        raise ConnectionError("Redis is down")


async def test_a_failed_storage_lets_requests_through_and_is_left_alone_a_while() -> None:
    limit = parse_budget("1/minute")
    assert limit is not None
    storage = BrokenStorage()
    limiter = RateLimiter(limit, storage, monotonic=lambda: 100.0)
    viewer, request = Viewer(Role.STAFF, "staff:ana"), request_from("10.0.0.1")

    answers = [await admit(limiter, viewer, request) for _ in range(3)]

    assert answers == [{}, {}, {}]
    assert storage.calls == 1
