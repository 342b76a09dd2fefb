"""Use cases of the customers context.

Each takes a command and a fresh unit of work, validates before touching the database, and
commits once; a DomainError leaves nothing written.
"""

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, replace
from typing import TypeVar
from uuid import UUID

from domain.customers.commands import (
    AddContactPoint,
    AddExternalReference,
    AddHouseholdMember,
    ArchiveCustomer,
    ContactPointInput,
    CreateCustomer,
    ExternalReferenceInput,
    HouseholdMemberInput,
    ImportantDateInput,
    MergeCustomers,
    RemoveCustomerItem,
    RestoreCustomer,
    UpdateContactPoint,
    UpdateCustomer,
    UpdateExternalReference,
    UpdateHouseholdMember,
)
from domain.customers.consents import (
    check_consent_sources,
    folded_contact_points,
    record_consent_changes,
)
from domain.customers.events import CustomerEvent
from domain.customers.model import Customer, CustomerHeader, ExternalReference, Profile
from domain.customers.parts import CustomerPart
from domain.customers.rules import (
    contact_point_from,
    external_ref_from,
    household_member_from,
    merge_consents,
    profile_from,
)
from domain.organisation.services import require_staff, require_store
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import (
    DomainError,
    ErrorCode,
    UniqueKey,
    check_version,
    duplicate_as,
    not_found,
)
from domain.shared.events import Event
from domain.shared.idempotency import first_result, remember_result
from domain.shared.ids import new_id
from domain.shared.validation import Problems

CREATE_SCOPE = "customerCreate"
T = TypeVar("T")
C = TypeVar("C", Customer, CustomerHeader)


async def create_customer(cmd: CreateCustomer, *, uow: UnitOfWork, viewer: Viewer) -> Customer:
    async with uow:
        customer, added = await add_customer(uow, viewer, cmd)
        if added:
            await uow.commit()
    return customer


async def add_customer(
    uow: UnitOfWork, viewer: Viewer, cmd: CreateCustomer
) -> tuple[Customer, bool]:
    """`create_customer` inside a unit of work the caller entered and commits: another
    context's use case that creates her with a record of its own (a lead, a prospect who
    is new), in one transaction. Whether she was added now: False for a replay."""
    viewer.require(Operation.CUSTOMER_CREATE)
    now = uow.clock.now()
    problems = Problems()
    profile = profile_from(cmd.profile, problems, today=now.date())
    contacts = [
        contact_point_from(c, ("contact_points", str(i)), problems, now)
        for i, c in enumerate(cmd.contact_points)
    ]
    household = [
        household_member_from(m, ("household", str(i)), problems, today=now.date())
        for i, m in enumerate(cmd.household)
    ]
    refs = [
        external_ref_from(r, ("external_refs", str(i)), problems)
        for i, r in enumerate(cmd.external_refs)
    ]
    _check_distinct_refs(refs, ("external_refs",), problems)
    problems.raise_if_any()
    first = await first_result(uow.idempotency, CREATE_SCOPE, cmd)
    if first is not None:
        return require_reach(viewer, await _get_existing(uow, first)), False
    await _check_profile_links(uow, profile)
    for index, ref in enumerate(refs):
        await _check_ref_free(uow, ref, ("external_refs", str(index)))
    customer = Customer(
        id=new_id(), profile=profile, created_at=now, updated_at=now,
        contact_points=contacts, household=household, external_refs=refs,
    )
    customer.events.append(Event(CustomerEvent.CREATED, customer.id, now))
    for point, given in zip(contacts, cmd.contact_points, strict=True):
        record_consent_changes(customer, point, (), given.consents, viewer.subject)
    with _refs_taken_meanwhile(("external_refs",)):
        await uow.customers.add(customer)
    await remember_result(uow.idempotency, CREATE_SCOPE, cmd, customer.id)
    return customer, True


async def update_customer(cmd: UpdateCustomer, *, uow: UnitOfWork, viewer: Viewer) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    async def change(customer: Customer) -> None:
        problems = Problems()
        profile = profile_from(
            cmd.changes, problems, today=uow.clock.now().date(), base=customer.profile
        )
        problems.raise_if_any()
        await _check_profile_links(uow, profile)
        customer.change_profile(profile, uow.clock.now())

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change)


async def archive_customer(cmd: ArchiveCustomer, *, uow: UnitOfWork, viewer: Viewer) -> Customer:
    viewer.require(Operation.CUSTOMER_ARCHIVE)
    async with uow:
        customer = await _load_unmerged(
            uow, viewer, cmd.customer_id, cmd.expected_version, "archived"
        )
        if not customer.is_archived:
            now = uow.clock.now()
            customer.archived_at = now
            customer.touch(now, CustomerEvent.ARCHIVED)
            await uow.customers.save(customer)
            await uow.commit()
    return customer


async def restore_customer(cmd: RestoreCustomer, *, uow: UnitOfWork, viewer: Viewer) -> Customer:
    viewer.require(Operation.CUSTOMER_ARCHIVE)
    async with uow:
        customer = await _load_unmerged(
            uow, viewer, cmd.customer_id, cmd.expected_version, "restored"
        )
        if customer.is_archived:
            customer.archived_at = None
            customer.touch(uow.clock.now(), CustomerEvent.RESTORED)
            await uow.customers.save(customer)
            await uow.commit()
    return customer


async def merge_customers(
    cmd: MergeCustomers, *, uow: UnitOfWork, viewer: Viewer, parts: Sequence[CustomerPart]
) -> Customer:
    """Moves everything the duplicate holds to the survivor, its record here and what the
    other contexts' `parts` keep (timeline, cases, loyalty); the duplicate's id then
    resolves to the survivor."""
    viewer.require(Operation.CUSTOMER_MERGE)
    if cmd.survivor_id == cmd.duplicate_id:
        raise DomainError.single(
            ("duplicate_id",), ErrorCode.SELF_MERGE, "a customer cannot be merged into itself"
        )
    async with uow:
        # Lock both rows in id order so two opposite merges cannot deadlock; the other
        # contexts' writes of theirs hold her row before her other rows too
        # (customer_to_act_on, held_customer).
        locked = {}
        for customer_id in sorted((cmd.survivor_id, cmd.duplicate_id)):
            locked[customer_id] = await uow.customers.get(customer_id, for_update=True)
        survivor, duplicate = locked[cmd.survivor_id], locked[cmd.duplicate_id]
        if survivor is None or survivor.merged_into_id is not None:
            raise not_found(("survivor_id",), "customer")
        if duplicate is None:
            raise not_found(("duplicate_id",), "customer")
        require_reach(viewer, survivor)
        require_reach(viewer, duplicate)
        if duplicate.merged_into_id is not None:
            raise DomainError.single(
                ("duplicate_id",), ErrorCode.CONFLICT, "this customer was already merged"
            )
        if survivor.is_archived:
            raise DomainError.single(
                ("survivor_id",), ErrorCode.ARCHIVED, "restore the survivor before merging into it"
            )
        refuse_erased(survivor, "survivor_id")
        refuse_erased(duplicate, "duplicate_id")
        now = uow.clock.now()
        folded = folded_contact_points(survivor, duplicate)
        # The duplicate gives up its references first: they are unique across customers.
        survivor.absorb(duplicate, now)
        duplicate.become_merged_into(survivor.id, now)
        await uow.customers.save(duplicate)
        with _refs_taken_meanwhile(("duplicate_id",)):
            await uow.customers.save(survivor)
        await uow.customers.redirect_merged(duplicate.id, survivor.id)
        await uow.customers.move_consent_history(duplicate.id, survivor.id, folded)
        for part in parts:
            await part.merge(uow, duplicate.id, survivor.id, viewer.subject)
        await uow.commit()
    return survivor


async def add_contact_point(cmd: AddContactPoint, *, uow: UnitOfWork, viewer: Viewer) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    async def change(customer: Customer) -> None:
        problems = Problems()
        point = contact_point_from(cmd.contact_point, ("contact_point",), problems, uow.clock.now())
        problems.raise_if_any()
        customer.contact_points.append(point)
        record_consent_changes(customer, point, (), cmd.contact_point.consents, viewer.subject)
        customer.touch(uow.clock.now(), CustomerEvent.CONTACT_POINT_ADDED, kind=point.kind.value)

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change)


async def update_contact_point(
    cmd: UpdateContactPoint, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    async def change(customer: Customer) -> None:
        current = _item(customer.contact_points, cmd.contact_point_id, "contact_point_id")
        fields = {k: v for k, v in cmd.changes.items() if k != "consents"}
        wanted = ContactPointInput(
            kind=current.kind, value=current.value, label=current.label,
            platform=current.platform, verified=current.verified,
        )
        problems = Problems()
        now = uow.clock.now()
        point = contact_point_from(
            replace(wanted, **fields), ("contact_point",), problems, now,
            point_id=current.id, earlier=current.consents,
        )
        answers = tuple(cmd.changes.get("consents", ()))
        check_consent_sources(answers, ("contact_point", "consents"), problems)
        point = replace(point, consents=merge_consents(current.consents, answers, now))
        problems.raise_if_any()
        customer.replace_item(customer.contact_points, point)
        record_consent_changes(customer, point, current.consents, answers, viewer.subject)
        customer.touch(now, CustomerEvent.CONTACT_POINT_UPDATED, kind=point.kind.value)

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change)


async def add_household_member(
    cmd: AddHouseholdMember, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    async def change(customer: Customer) -> None:
        problems = Problems()
        member = household_member_from(
            cmd.member, ("member",), problems, today=uow.clock.now().date()
        )
        problems.raise_if_any()
        customer.household.append(member)
        customer.touch(uow.clock.now(), CustomerEvent.HOUSEHOLD_MEMBER_ADDED)

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change)


async def update_household_member(
    cmd: UpdateHouseholdMember, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    async def change(customer: Customer) -> None:
        current = _item(customer.household, cmd.member_id, "member_id")
        wanted = HouseholdMemberInput(
            name=current.name, relationship=current.relationship, birth_date=current.birth_date,
            important_dates=tuple(ImportantDateInput(**asdict(d)) for d in current.important_dates),
        )
        problems = Problems()
        member = household_member_from(
            replace(wanted, **cmd.changes), ("member",), problems,
            today=uow.clock.now().date(), member_id=current.id,
        )
        problems.raise_if_any()
        customer.replace_item(customer.household, member)
        customer.touch(uow.clock.now(), CustomerEvent.HOUSEHOLD_MEMBER_UPDATED)

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change)


async def add_external_reference(
    cmd: AddExternalReference, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    async def change(customer: Customer) -> None:
        problems = Problems()
        ref = external_ref_from(cmd.reference, ("reference",), problems)
        problems.raise_if_any()
        await _check_ref_free(uow, ref, ("reference",))
        customer.external_refs.append(ref)
        customer.touch(uow.clock.now(), CustomerEvent.EXTERNAL_REFERENCE_ADDED, system=ref.system)

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change,
                       refs_at=("reference",))


async def update_external_reference(
    cmd: UpdateExternalReference, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    async def change(customer: Customer) -> None:
        current = _item(customer.external_refs, cmd.reference_id, "reference_id")
        problems = Problems()
        wanted = ExternalReferenceInput(system=current.system, value=cmd.value)
        ref = external_ref_from(wanted, ("reference",), problems, ref_id=current.id)
        problems.raise_if_any()
        if ref.value != current.value:
            await _check_ref_free(uow, ref, ("value",))
        customer.replace_item(customer.external_refs, ref)
        customer.touch(uow.clock.now(), CustomerEvent.EXTERNAL_REFERENCE_UPDATED, system=ref.system)

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change,
                       refs_at=("value",))


async def remove_contact_point(
    cmd: RemoveCustomerItem, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    return await _remove(
        uow, viewer, cmd, "contact_points", "contact_point_id", CustomerEvent.CONTACT_POINT_REMOVED
    )


async def remove_household_member(
    cmd: RemoveCustomerItem, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    return await _remove(uow, viewer, cmd, "household", "member_id",
                         CustomerEvent.HOUSEHOLD_MEMBER_REMOVED)


async def remove_external_reference(
    cmd: RemoveCustomerItem, *, uow: UnitOfWork, viewer: Viewer
) -> Customer:
    viewer.require(Operation.CUSTOMER_EDIT)
    return await _remove(
        uow, viewer, cmd, "external_refs", "reference_id", CustomerEvent.EXTERNAL_REFERENCE_REMOVED
    )


async def _remove(
    uow: UnitOfWork, viewer: Viewer, cmd: RemoveCustomerItem, collection: str, field: str,
    event: CustomerEvent,
) -> Customer:
    async def change(customer: Customer) -> None:
        items = getattr(customer, collection)
        items.remove(_item(items, cmd.item_id, field))
        customer.touch(uow.clock.now(), event)

    return await _edit(uow, viewer, cmd.customer_id, cmd.expected_version, change)


async def _edit(
    uow: UnitOfWork,
    viewer: Viewer,
    customer_id: UUID,
    expected_version: int | None,
    change: Callable[[Customer], Awaitable[None]],
    *, refs_at: tuple[str, ...] = ("external_refs",),
) -> Customer:
    """`refs_at`: the input a reference taken meanwhile by another customer is blamed on."""
    async with uow:
        customer = await _load(uow, viewer, customer_id, expected_version)
        if customer.is_archived:
            raise DomainError.single(
                ("customer_id",), ErrorCode.ARCHIVED, "restore the customer before editing"
            )
        await change(customer)
        with _refs_taken_meanwhile(refs_at):
            await uow.customers.save(customer)
        await uow.commit()
    return customer


async def _load(
    uow: UnitOfWork, viewer: Viewer, customer_id: UUID, expected_version: int | None
) -> Customer:
    """The customer to change, locked; a merged duplicate's id leads to its survivor."""
    customer = await uow.customers.get(customer_id, for_update=True)
    if customer is not None and customer.merged_into_id is not None:
        customer = await uow.customers.get(customer.merged_into_id, for_update=True)
    if customer is None:
        raise not_found(("customer_id",), "customer")
    require_reach(viewer, customer)
    refuse_erased(customer, "customer_id")
    check_version(expected_version, customer.version)
    return customer


async def _load_unmerged(
    uow: UnitOfWork, viewer: Viewer, customer_id: UUID, expected_version: int | None, verb: str
) -> Customer:
    """Archiving and restoring act on the record itself: a merged duplicate's id does not
    lead to its survivor here, which would surprise the caller."""
    stored = await uow.customers.get(customer_id, for_update=True)
    if stored is not None and stored.merged_into_id is not None:
        raise DomainError.single(
            ("customer_id",), ErrorCode.INVALID,
            f"a merged duplicate cannot be {verb}; act on the customer it was merged into",
        )
    return await _load(uow, viewer, customer_id, expected_version)


async def _get_existing(uow: UnitOfWork, customer_id: UUID) -> Customer:
    customer = await uow.customers.get(customer_id)
    if customer is None:
        raise not_found(("customer_id",), "customer")
    return customer


def require_reach(viewer: Viewer, customer: C) -> C:
    """The viewer may act on this customer: one of her stores', hers, or the member herself."""
    viewer.require_reach(customer.id, customer.profile.home_store_id, customer.profile.owner_id)
    return customer


async def customer_to_act_on(
    uow: UnitOfWork, viewer: Viewer, customer_id: UUID, *, hold: bool = False
) -> CustomerHeader:
    """The customer another context's use case writes about (an interaction, a case, a
    purchase): a merged duplicate's id finds the survivor; she must be the viewer's to act
    on, and not erased. Her own row only: such use cases don't change her.

    `hold`: her row is held until the transaction ends, before the use case takes any
    other row of hers. A merge locks both customers' rows first, then moves their rows
    (purchases, memberships, grants); a write that took her membership or her purchase
    first and reached her row later (a foreign key to it, her last interaction) would wait
    for a merge waiting for it. Held first, the two take turns, and a merge that commits
    while we wait is seen: the survivor is held and written to, not the duplicate."""
    customer = await _followed(uow.customers.hold if hold else uow.customers.header,
                               customer_id)
    if customer is None:
        raise not_found(("customer_id",), "customer")
    require_reach(viewer, customer)
    refuse_erased(customer, "customer_id")
    return customer


async def held_customer(uow: UnitOfWork, customer_id: UUID) -> CustomerHeader | None:
    """Her row held as `customer_to_act_on(…, hold=True)` holds it, a merged duplicate's id
    finding the survivor, for a writer that reaches her through no viewer of hers (a
    partner's counter names her by her card, her grant's code)."""
    return await _followed(uow.customers.hold, customer_id)


async def _followed(
    read: Callable[[UUID], Awaitable[CustomerHeader | None]], customer_id: UUID
) -> CustomerHeader | None:
    customer = await read(customer_id)
    while customer is not None and customer.merged_into_id is not None:
        customer = await read(customer.merged_into_id)
    return customer


def refuse_erased(customer: Customer | CustomerHeader, field: str) -> None:
    """An erased customer stays erased: nothing may write personal data to it again."""
    if customer.is_erased:
        raise DomainError.single(
            (field,), ErrorCode.ERASED, "this customer's personal data was erased"
        )


def _item(items: list[T], item_id: UUID, field: str) -> T:
    for item in items:
        if getattr(item, "id", None) == item_id:
            return item
    raise not_found((field,), "item of this customer")


async def _check_profile_links(uow: UnitOfWork, profile: Profile) -> None:
    await require_staff(uow, profile.owner_id, ("owner_id",))
    await require_store(uow, profile.home_store_id, ("home_store_id",))


async def _check_ref_free(uow: UnitOfWork, ref: ExternalReference, path: tuple[str, ...]) -> None:
    if await uow.customers.find_by_external_ref(ref.system, ref.value) is not None:
        raise DomainError.single(
            path, ErrorCode.DUPLICATE,
            f"{ref.system} reference {ref.value} already belongs to a customer",
        )


def _refs_taken_meanwhile(path: tuple[str, ...]) -> AbstractContextManager[None]:
    """A reference `_check_ref_free` found free, written by another customer since."""
    return duplicate_as(UniqueKey.EXTERNAL_REF, path,
                        "an external reference already belongs to another customer")


def _check_distinct_refs(
    refs: list[ExternalReference], path: tuple[str, ...], problems: Problems
) -> None:
    seen: set[tuple[str, str]] = set()
    for index, ref in enumerate(refs):
        if (ref.system, ref.value) in seen:
            problems.add((*path, str(index)), ErrorCode.DUPLICATE, "listed twice")
        seen.add((ref.system, ref.value))
