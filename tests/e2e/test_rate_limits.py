"""Rate limits per caller: a caller over its budget gets 429 with
Retry-After before any SQL runs; every answer carries the RateLimit headers; budgets are per
API client (else per subject, else per address) and shared through Redis by every process."""

import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.types import ASGIApp

from api.http.app import create_app
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container
from infrastructure.settings import Settings
from tests.conftest import StatementCounter

COUNT = "{ customers { totalCount } }"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"

AppMaker = Callable[..., Awaitable[httpx.AsyncClient]]


def _api_client(client_id: uuid.UUID | None = None) -> Viewer:
    client_id = client_id or uuid.uuid4()
    return Viewer(Role.ADMIN, f"client:{client_id}", client_id=client_id)


@pytest.fixture
async def app_with(settings: Settings, container: Container) -> AsyncIterator[AppMaker]:
    """`await app_with(viewers, rate_limit="3/minute")`: a client of a new app acting, per
    request, as `viewers[the request's X-Viewer header]`, or as the anonymous caller without
    that header, from `address=`. The viewers share the app, hence its limiter."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(viewers: dict[str, Viewer] | None = None, *, address: str = "127.0.0.1",
                       **changes: Any) -> httpx.AsyncClient:
            known = viewers or {}

            def viewer_of(request: Request) -> Viewer:
                name = request.headers.get("x-viewer")
                return known[name] if name else Viewer(Role.ADMIN, "anonymous")

            application = create_app(replace(settings, **changes), container=container,
                                     viewer_of=viewer_of)
            await stack.enter_async_context(application.router.lifespan_context(application))
            return await stack.enter_async_context(_client_of(application, address))

        yield make


def _client_of(application: ASGIApp, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://rapport")


def _from_elsewhere(http: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    """A client of the same app as `http`, calling from `address`."""
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    return _client_of(transport.app, address)


async def _ask(http: httpx.AsyncClient, viewer: str | None = None,
               query: str = COUNT) -> httpx.Response:
    headers = {"x-viewer": viewer} if viewer else {}
    return await http.post("/graphql", json={"query": query}, headers=headers)


async def _spend(http: httpx.AsyncClient, times: int, viewer: str | None = None) -> None:
    for _ in range(times):
        response = await _ask(http, viewer)
        assert response.status_code == 200, response.text


async def test_a_caller_over_its_budget_gets_429_with_retry_after(app_with: AppMaker) -> None:
    http = await app_with(rate_limit="3/minute")
    await _spend(http, 3)

    response = await _ask(http)

    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 120
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-limit"] == "3"


async def test_the_429_body_is_a_graphql_error_with_code_rate_limited(
    app_with: AppMaker,
) -> None:
    http = await app_with(rate_limit="1/minute")
    await _spend(http, 1)

    body = (await _ask(http)).json()

    assert "data" not in body
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED"}
    assert "Retry after" in error["message"]


async def test_every_answer_carries_the_budget_in_ratelimit_headers(
    app_with: AppMaker,
) -> None:
    http = await app_with(rate_limit="5/minute")
    await _spend(http, 1)

    response = await _ask(http)

    assert response.status_code == 200
    assert response.headers["ratelimit-limit"] == "5"
    assert response.headers["ratelimit-remaining"] == "3"
    assert response.headers["ratelimit-policy"] == "5;w=60"
    assert 0 <= int(response.headers["ratelimit-reset"]) <= 120


async def test_an_invalid_document_spends_budget_and_carries_the_headers(
    app_with: AppMaker,
) -> None:
    http = await app_with(rate_limit="5/minute")

    response = await _ask(http, query="{ customers { noSuchField } }")

    assert response.json()["errors"]
    assert response.headers["ratelimit-remaining"] == "4"


async def test_budgets_are_per_api_client(app_with: AppMaker) -> None:
    http = await app_with({"web": _api_client(), "pos": _api_client()}, rate_limit="2/minute")
    await _spend(http, 2, viewer="web")

    assert (await _ask(http, viewer="web")).status_code == 429
    assert (await _ask(http, viewer="pos")).status_code == 200


async def test_two_subjects_of_one_api_client_share_its_budget(app_with: AppMaker) -> None:
    client_id = uuid.uuid4()
    first, second = _api_client(client_id), replace(_api_client(client_id), subject="other")
    http = await app_with({"first": first, "second": second}, rate_limit="2/minute")
    await _spend(http, 2, viewer="first")

    assert (await _ask(http, viewer="second")).status_code == 429


async def test_staff_without_an_api_client_are_counted_per_subject(app_with: AppMaker) -> None:
    ana, bo = Viewer(Role.ADMIN, "staff:ana"), Viewer(Role.ADMIN, "staff:bo")
    http = await app_with({"ana": ana, "bo": bo}, rate_limit="1/minute")
    await _spend(http, 1, viewer="ana")

    assert (await _ask(http, viewer="ana")).status_code == 429
    assert (await _ask(http, viewer="bo")).status_code == 200


async def test_anonymous_callers_are_counted_per_address(app_with: AppMaker) -> None:
    shop = await app_with(rate_limit="1/minute", address="10.0.0.1")
    await _spend(shop, 1)
    assert (await _ask(shop)).status_code == 429

    async with _from_elsewhere(shop, "10.0.0.2") as other:
        assert (await _ask(other)).status_code == 200


async def test_a_rate_limit_of_off_disables_it(app_with: AppMaker) -> None:
    http = await app_with(rate_limit="off")
    await _spend(http, 20)

    response = await _ask(http)

    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers


async def test_no_sql_runs_for_a_refused_request(
    app_with: AppMaker, statement_counter: StatementCounter
) -> None:
    http = await app_with(rate_limit="1/minute")
    await _spend(http, 1)

    with statement_counter() as statements:
        create = 'mutation { customerCreate(input: {displayName: "Li"}) { customer { id } } }'
        response = await _ask(http, query=create)

    assert response.status_code == 429
    assert statements == []


async def test_an_unreachable_storage_lets_requests_through(app_with: AppMaker) -> None:
    http = await app_with(rate_limit="1/minute", rate_limit_storage=UNREACHABLE_REDIS)

    responses = [await _ask(http) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all("ratelimit-limit" not in r.headers for r in responses)


async def _redis_reachable() -> bool:
    import coredis

    redis: Any = coredis.Redis.from_url(LOCAL_REDIS, connect_timeout=0.5, stream_timeout=0.5)
    try:
        return bool(await redis.ping())
    except Exception:
        return False


async def test_two_app_instances_share_a_budget_through_redis(app_with: AppMaker) -> None:
    if not await _redis_reachable():
        pytest.skip(f"no Redis answers at {LOCAL_REDIS}, so there is no shared storage to test")
    caller = {"web": _api_client()}  # a new client id: no earlier run's budget is in Redis
    first = await app_with(caller, rate_limit="3/minute", rate_limit_storage=LOCAL_REDIS)
    second = await app_with(caller, rate_limit="3/minute", rate_limit_storage=LOCAL_REDIS)
    await _spend(first, 2, viewer="web")
    await _spend(second, 1, viewer="web")

    assert (await _ask(first, viewer="web")).status_code == 429
    assert (await _ask(second, viewer="web")).status_code == 429
