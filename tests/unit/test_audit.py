"""Audit entries of use case calls (domain/audit): one per call, written with the mutation's
commit when it succeeds, apart when it is refused or fails; ids, field names and codes only,
never personal data."""

import functools
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar
from uuid import uuid4

import pytest

from domain.audit.model import (
    ERROR,
    OK,
    AuditAction,
    AuditEntry,
    ids_in_command,
    ids_in_result,
)
from domain.audit.recording import REQUEST_ID, recorded
from domain.customers.commands import ArchiveCustomer, MergeCustomers
from domain.customers.services import archive_customer, create_customer, merge_customers
from domain.interactions.services import record_interaction
from domain.shared.access import Role, Viewer
from domain.shared.errors import DomainError, ErrorCode
from tests.builders import (
    PARTS,
    a_customer,
    a_phone,
    an_email,
    create_command,
    record_command,
)
from tests.fakes import FakeAuditLog, FakeUnitOfWork

T = TypeVar("T")
CLERK = Viewer(Role.STAFF, "staff:wang@brand.example", client_id=uuid4(), staff_id=uuid4())
ADMIN = Viewer(Role.ADMIN, "client:crm-console", client_id=uuid4())


async def _run(
    name: str, command: Any, viewer: Viewer, use_case: Callable[..., Awaitable[T]],
    uow: FakeUnitOfWork, audit_log: FakeAuditLog,
) -> T:
    return await recorded(
        name, command, viewer, lambda: use_case(command, uow=uow, viewer=viewer),
        uow=uow, audit_log=audit_log, clock=uow.clock,
    )


def _every_entry(uow: FakeUnitOfWork, audit_log: FakeAuditLog) -> list[AuditEntry]:
    return [*uow.data.audit_log, *audit_log.entries]


# The entry itself


def test_a_command_names_its_targets_by_its_id_fields_only() -> None:
    survivor, duplicate = uuid4(), uuid4()

    assert ids_in_command(MergeCustomers(survivor, duplicate)) == [survivor, duplicate]
    assert ids_in_command(create_command(contact_points=(an_email(),))) == []


def test_a_result_names_itself_and_its_customer() -> None:
    customer_id, case_id = uuid4(), uuid4()

    case = SimpleNamespace(id=case_id, customer_id=customer_id)

    assert ids_in_result(case) == [case_id, customer_id]
    assert ids_in_result(case_id) == [case_id]
    assert ids_in_result(None) == []


def test_an_entry_starts_as_who_did_what_and_when(uow: FakeUnitOfWork) -> None:
    entry = AuditEntry.of(CLERK, AuditAction.MUTATION, "create_customer", uow.clock.now(), "r1")

    assert (entry.subject, entry.role, entry.client_id, entry.staff_id) == (
        CLERK.subject, "STAFF", CLERK.client_id, CLERK.staff_id)
    assert (entry.at, entry.outcome, entry.request_id) == (uow.clock.now(), OK, "r1")


def test_a_refusal_keeps_codes_and_input_paths_but_not_its_messages(
    uow: FakeUnitOfWork,
) -> None:
    error = DomainError.single(("contact_points", "0", "value"), ErrorCode.INVALID,
                               "'li@@example' is not an email address")
    entry = AuditEntry.of(CLERK, AuditAction.MUTATION, "x", uow.clock.now()).refused(error)

    assert entry.outcome == "INVALID"
    assert entry.detail == {"errors": [{"field": "contact_points.0.value", "code": "INVALID"}]}
    assert "li@@example" not in repr(entry)


def test_targets_keep_their_first_order_without_repeats(uow: FakeUnitOfWork) -> None:
    a, b = uuid4(), uuid4()
    entry = AuditEntry.of(CLERK, AuditAction.MUTATION, "x", uow.clock.now())

    assert entry.targeting([a, b]).targeting([b, a]).target_ids == (a, b)


# Recording use case calls


async def test_a_creation_is_logged_in_its_commit_with_the_new_id_and_no_personal_data(
    uow: FakeUnitOfWork,
) -> None:
    audit_log = FakeAuditLog()
    command = create_command(display_name="Li Na", given_name="Na",
                             contact_points=(an_email("li.na@example.com"), a_phone()))

    customer = await _run("create_customer", command, CLERK, create_customer, uow, audit_log)

    (entry,) = uow.data.audit_log  # committed with the customer
    assert audit_log.entries == []
    assert (entry.operation, entry.action, entry.outcome) == (
        "create_customer", AuditAction.MUTATION, OK)
    assert entry.target_ids == (customer.id,)
    assert entry.detail == {}
    for personal in ("Li Na", "li.na@example.com", "138"):
        assert personal not in repr(entry)


async def test_a_change_is_logged_against_the_customer_it_names(uow: FakeUnitOfWork) -> None:
    customer = await a_customer(uow)

    await _run("archive_customer", ArchiveCustomer(customer.id), ADMIN, archive_customer, uow,
               FakeAuditLog())

    assert uow.data.audit_log[-1].target_ids == (customer.id,)


async def test_a_recorded_interaction_is_logged_with_the_interaction_and_its_customer(
    uow: FakeUnitOfWork,
) -> None:
    customer = await a_customer(uow)
    command = record_command(customer.id, uow.clock.now(), summary="asked about the silk scarf")

    interaction = await _run("record_interaction", command, ADMIN, record_interaction, uow,
                             FakeAuditLog())

    (entry,) = uow.data.audit_log
    assert set(entry.target_ids) == {customer.id, interaction.id}
    assert "silk" not in repr(entry)


async def test_a_refused_call_is_logged_apart_with_its_code_and_writes_nothing_else(
    uow: FakeUnitOfWork,
) -> None:
    audit_log = FakeAuditLog()
    analyst = Viewer(Role.ANALYTICS, "client:bi")
    before = uow.snapshot()

    with pytest.raises(DomainError):
        await _run("create_customer", create_command(), analyst, create_customer, uow,
                   audit_log)

    (entry,) = audit_log.entries
    assert (entry.outcome, entry.subject, entry.role) == ("NOT_ALLOWED", "client:bi",
                                                          "ANALYTICS")
    assert uow.data == before


async def test_a_call_that_changed_nothing_is_logged_apart_with_its_result(
    uow: FakeUnitOfWork,
) -> None:
    customer = await a_customer(uow)
    await archive_customer(ArchiveCustomer(customer.id), uow=uow, viewer=ADMIN)
    audit_log = FakeAuditLog()

    # Archiving what is archived commits nothing.
    await _run("archive_customer", ArchiveCustomer(customer.id), ADMIN, archive_customer, uow,
               audit_log)

    (entry,) = audit_log.entries
    assert (entry.outcome, entry.target_ids) == (OK, (customer.id,))


async def test_an_unexpected_failure_is_logged_as_error_by_type_only_and_raised(
    uow: FakeUnitOfWork,
) -> None:
    audit_log = FakeAuditLog()

    async def explode(command: Any, **_: Any) -> None:
        raise RuntimeError("password=hunter2")

    with pytest.raises(RuntimeError):
        await _run("merge_customers", MergeCustomers(uuid4(), uuid4()), ADMIN, explode, uow,
                   audit_log)

    (entry,) = audit_log.entries
    assert (entry.outcome, entry.detail) == (ERROR, {"exception": "RuntimeError"})
    assert "hunter2" not in repr(entry)


async def test_a_refused_merge_is_logged_against_both_customers(uow: FakeUnitOfWork) -> None:
    audit_log = FakeAuditLog()
    survivor, duplicate = uuid4(), uuid4()

    with pytest.raises(DomainError):
        await _run("merge_customers", MergeCustomers(survivor, duplicate), ADMIN,
                   functools.partial(merge_customers, parts=PARTS), uow, audit_log)

    (entry,) = audit_log.entries
    assert entry.outcome == "NOT_FOUND"
    assert entry.target_ids == (survivor, duplicate)


async def test_the_request_id_of_the_call_is_logged(uow: FakeUnitOfWork) -> None:
    token = REQUEST_ID.set("req-7")
    try:
        await _run("create_customer", create_command(), ADMIN, create_customer, uow,
                   FakeAuditLog())
    finally:
        REQUEST_ID.reset(token)

    assert uow.data.audit_log[0].request_id == "req-7"


async def test_a_failure_to_write_a_refusal_does_not_hide_the_refusal(
    uow: FakeUnitOfWork,
) -> None:
    class BrokenLog:
        async def append(self, entries: Any) -> None:
            raise ConnectionError("database gone")

    with pytest.raises(DomainError):
        await recorded(
            "create_customer", create_command(), Viewer(Role.PARTNER, "client:cinema"),
            lambda: create_customer(create_command(), uow=uow,
                                    viewer=Viewer(Role.PARTNER, "client:cinema")),
            uow=uow, audit_log=BrokenLog(), clock=uow.clock,
        )

    assert _every_entry(uow, FakeAuditLog()) == []
