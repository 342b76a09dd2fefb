"""Unit-test fixtures: a fake unit of work at a fixed instant (tests/fakes.py)."""

import pytest

from domain.cases.model import SlaPolicy
from tests.builders import a_uow
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
