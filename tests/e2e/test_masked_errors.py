"""Unexpected failures are masked (DESIGN.md §4): the client gets "Internal server error" and an
error id; the log gets the same id with the details; nothing internal reaches the client."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

import httpx
import pytest

from infrastructure.bootstrap import Container
from tests.e2e.api import CUSTOMER_CREATE

SECRET = "secret SQL detail: SELECT * FROM customers WHERE password = 'hunter2'"
PAGE = "query { customers(first: 5) { totalCount nodes { id } } }"
CASES = "query { cases { nodes { id } } }"


async def _explode(*_: Any, **__: Any) -> NoReturn:
    raise RuntimeError(SECRET)


def _masked(response: httpx.Response) -> dict[str, Any]:
    """The one error of a masked answer, after checking nothing leaked."""
    assert response.status_code == 200
    assert "secret" not in response.text
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    (error,) = response.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    return dict(error)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.ERROR, logger="rapport.graphql")
    return caplog


async def test_a_failing_query_is_masked_and_its_error_id_logged_with_the_detail(
    executed_client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch,
    logged: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(container.queries.customers, "page", _explode)

    response = await executed_client.post("/graphql", json={"query": PAGE})

    error = _masked(response)
    assert error["path"] == ["customers"]
    error_id = error["extensions"]["errorId"]
    assert error_id
    (record,) = [r for r in logged.records if error_id in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])


async def test_a_failing_compiled_read_is_masked_and_its_error_id_logged_with_the_detail(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch,
    logged: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(container.queries.compiled, "data_json", _explode)

    response = await client.post("/graphql", json={"query": PAGE})

    error = _masked(response)
    assert response.json()["data"] is None
    error_id = error["extensions"]["errorId"]
    (record,) = [r for r in logged.records if error_id in r.getMessage()]
    assert record.exc_info is not None
    assert SECRET in str(record.exc_info[1])


async def test_a_failing_mutation_is_masked_and_writes_nothing(
    client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch,
    logged: pytest.LogCaptureFixture, row_counts: Callable[[], Awaitable[dict[str, int]]],
) -> None:
    # A request's use cases are `acting_as(viewer)` copies, which share the bound runner.
    monkeypatch.setattr(container.use_cases.customers.create_customer, "_run", _explode)
    before = await row_counts()

    response = await client.post("/graphql", json={
        "query": CUSTOMER_CREATE, "variables": {"input": {"displayName": "Mrs. Li"}},
    })

    error = _masked(response)
    assert error["path"] == ["customerCreate"]
    assert error["extensions"]["errorId"] in logged.text
    assert response.json()["data"] is None
    assert await row_counts() == before


async def test_every_failure_gets_its_own_error_id(
    executed_client: httpx.AsyncClient, container: Container, monkeypatch: pytest.MonkeyPatch,
    logged: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(container.queries.cases, "page", _explode)

    first = _masked(await executed_client.post("/graphql", json={"query": CASES}))
    second = _masked(await executed_client.post("/graphql", json={"query": CASES}))

    assert first["extensions"]["errorId"] != second["extensions"]["errorId"]


async def test_an_expected_query_error_is_not_masked(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={
        "query": "query { customers(first: 101) { totalCount } }",
    })
    (error,) = response.json()["errors"]
    assert error["message"] != "Internal server error"
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "errorId" not in error["extensions"]
