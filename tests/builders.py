"""Terse arrangement of unit-test scenarios on the fakes.

Everything is made through its use case, so an arranged scenario is one the domain itself
could have produced. Inputs default to Mrs. Li of Hangzhou (DESIGN.md §1).
"""

from collections.abc import Awaitable
from datetime import date, datetime
from itertools import count
from typing import Any
from uuid import UUID

import pytest

from domain.cases.commands import CloseCase, CreateRoutingRule, OpenCase, ResolveCase, StartCase
from domain.cases.model import Case, CaseKind, CaseStatus, RoutingRule, SlaPolicy
from domain.cases.services import (
    close_case,
    create_routing_rule,
    open_case,
    resolve_case,
    start_case,
)
from domain.customers.commands import (
    ConsentInput,
    ContactPointInput,
    CreateCustomer,
    ExternalReferenceInput,
    HouseholdMemberInput,
    ImportantDateInput,
)
from domain.customers.model import (
    ConsentPurpose,
    ContactKind,
    Customer,
    Occasion,
    Relationship,
)
from domain.customers.services import create_customer
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel, Interaction
from domain.interactions.services import record_interaction
from domain.organisation.commands import CreateStaff, CreateStore
from domain.organisation.model import Staff, Store
from domain.organisation.services import create_staff, create_store
from domain.shared.access import Viewer
from domain.shared.errors import DomainError, ErrorCode
from tests.fakes import DEFAULT_NOW, FakeData, FakeUnitOfWork, FixedClock

ADMIN = Viewer.system("test")

Problem = tuple[tuple[str, ...], ErrorCode]

_serial = count(1)


def a_uow(now: datetime = DEFAULT_NOW) -> FakeUnitOfWork:
    return FakeUnitOfWork(FixedClock(now))


# Reading errors and checking that nothing was written.


def problems(error: DomainError) -> set[Problem]:
    """The (field path, code) pairs of a refusal; messages are for people, not tests."""
    return {(e.field, e.code) for e in error.errors}


def assert_nothing_committed(uow: FakeUnitOfWork, before: FakeData) -> None:
    assert not uow.committed
    assert uow.snapshot() == before


async def refused(uow: FakeUnitOfWork, attempt: Awaitable[object]) -> DomainError:
    """Awaits a use case that must refuse its input, checks it committed nothing (no commit,
    committed state and outbox as before) and returns the error."""
    before = uow.snapshot()
    uow.committed = False
    with pytest.raises(DomainError) as caught:
        await attempt
    assert_nothing_committed(uow, before)
    return caught.value


# Organisation.


async def a_store(uow: FakeUnitOfWork, code: str | None = None, name: str = "West Lake") -> Store:
    return await create_store(
        CreateStore(code=code or f"hz-{next(_serial):03d}", name=name, city="Hangzhou"),
        uow=uow,
        viewer=ADMIN,
    )


async def a_staff_member(
    uow: FakeUnitOfWork, name: str = "Wang Fang", store_id: UUID | None = None
) -> Staff:
    email = f"clerk{next(_serial)}@brand.example"
    return await create_staff(
        CreateStaff(name=name, email=email, store_id=store_id), uow=uow, viewer=ADMIN
    )


# Customers.


def an_email(value: str = "mrs.li@example.com", **fields: Any) -> ContactPointInput:
    return ContactPointInput(kind=ContactKind.EMAIL, value=value, **fields)


def a_phone(value: str = "+86 138 0571 0187", **fields: Any) -> ContactPointInput:
    return ContactPointInput(kind=ContactKind.PHONE, value=value, **fields)


def a_consent(purpose: ConsentPurpose, granted: bool = True) -> ConsentInput:
    return ConsentInput(purpose=purpose, granted=granted)


def a_ref(system: str = "pos-card", value: str | None = None) -> ExternalReferenceInput:
    return ExternalReferenceInput(system=system, value=value or f"HZ-{next(_serial):06d}")


def a_member(
    name: str = "Li Xiaoming", relationship: Relationship = Relationship.CHILD, **fields: Any
) -> HouseholdMemberInput:
    return HouseholdMemberInput(name=name, relationship=relationship, **fields)


def a_birthday(on: date, label: str | None = None) -> ImportantDateInput:
    return ImportantDateInput(occasion=Occasion.BIRTHDAY, date=on, label=label)


def create_command(**fields: Any) -> CreateCustomer:
    """`create_command(given_name="Mei", contact_points=(an_email(),))`: CreateCustomer
    fields go to the command, anything else into the profile."""
    own = {k: fields.pop(k) for k in list(fields) if k in CreateCustomer.__dataclass_fields__}
    profile = fields if fields else {"display_name": "Mrs. Li"}
    return CreateCustomer(**{"profile": profile, **own})


async def a_customer(uow: FakeUnitOfWork, **fields: Any) -> Customer:
    return await create_customer(create_command(**fields), uow=uow, viewer=ADMIN)


async def customers(uow: FakeUnitOfWork, n: int) -> list[Customer]:
    return [await a_customer(uow, display_name=f"Customer {i}") for i in range(n)]


# Interactions.


def record_command(customer_id: UUID, at: datetime, **fields: Any) -> RecordInteraction:
    defaults: dict[str, Any] = {"channel": Channel.POS, "kind": "purchase"}
    return RecordInteraction(customer_id=customer_id, occurred_at=at, **{**defaults, **fields})


async def an_interaction(
    uow: FakeUnitOfWork, customer_id: UUID, at: datetime | None = None, **fields: Any
) -> Interaction:
    command = record_command(customer_id, at or uow.clock.now(), **fields)
    return await record_interaction(command, uow=uow, viewer=ADMIN)


# Cases.


def open_command(customer_id: UUID | None = None, **fields: Any) -> OpenCase:
    defaults: dict[str, Any] = {"kind": CaseKind.COMPLAINT, "subject": "Scarf came torn"}
    return OpenCase(customer_id=customer_id, **{**defaults, **fields})


async def a_case(
    uow: FakeUnitOfWork, customer_id: UUID | None, *, sla: SlaPolicy | None = None, **fields: Any
) -> Case:
    command = open_command(customer_id, **fields)
    return await open_case(command, uow=uow, viewer=ADMIN, sla=sla or SlaPolicy.default())


async def a_case_in(uow: FakeUnitOfWork, status: CaseStatus) -> Case:
    """A case of a new customer, driven through the use cases to `status`."""
    customer = await a_customer(uow)
    case = await a_case(uow, customer.id)
    path = [CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED]
    for step in path[1 : path.index(status) + 1]:
        if step is CaseStatus.IN_PROGRESS:
            case = await start_case(StartCase(case.id), uow=uow, viewer=ADMIN)
        elif step is CaseStatus.RESOLVED:
            case = await resolve_case(
                ResolveCase(case.id, "Replaced the scarf"),
                uow=uow,
                viewer=ADMIN,
                sla=SlaPolicy.default(),
            )
        else:
            case = await close_case(CloseCase(case.id), uow=uow, viewer=ADMIN)
    assert case.status is status
    return case


async def a_routing_rule(uow: FakeUnitOfWork, **fields: Any) -> RoutingRule:
    return await create_routing_rule(CreateRoutingRule(**fields), uow=uow, viewer=ADMIN)
