"""Unit-test fixtures: a fake unit of work at a fixed instant (tests/fakes.py)."""

from collections.abc import Iterator

import pytest

from domain.cases.model import SlaPolicy
from domain.customers.model import Customer
from domain.loyalty.model import Programme
from tests.builders import a_customer, a_programme, a_uow, assert_ledger_holds
from tests.fakes import FakeUnitOfWork, FixedClock


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return a_uow()


@pytest.fixture
def clock(uow: FakeUnitOfWork) -> FixedClock:
    return uow.fixed_clock


@pytest.fixture
def sla() -> SlaPolicy:
    return SlaPolicy.default()


@pytest.fixture
async def programme(uow: FakeUnitOfWork) -> Programme:
    """The brand's loyalty programme, the default one (tests/builders.py)."""
    return await a_programme(uow)


@pytest.fixture
async def mrs_li(uow: FakeUnitOfWork, programme: Programme) -> Customer:
    """Mrs. Li of Hangzhou, not yet a member: her first purchase enrols her."""
    return await a_customer(uow)


@pytest.fixture
def ledger_holds(uow: FakeUnitOfWork) -> Iterator[None]:
    """Checks the ledger invariant once the test has run (`usefixtures("ledger_holds")`)."""
    yield
    assert_ledger_holds(uow)
