"""Use cases for stores and staff."""

from uuid import UUID

from domain.organisation.commands import CreateStaff, CreateStore
from domain.organisation.model import Staff, Store
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, not_found
from domain.shared.ids import new_id
from domain.shared.validation import Problems, normalise_email


async def create_store(cmd: CreateStore, *, uow: UnitOfWork, viewer: Viewer) -> Store:
    viewer.require(Operation.ORGANISATION_MANAGE)
    problems = Problems()
    code = problems.slug(("code",), cmd.code, max_length=32)
    name = problems.text(("name",), cmd.name, max_length=200, required=True)
    city = problems.text(("city",), cmd.city, max_length=100)
    problems.raise_if_any()
    async with uow:
        if await uow.stores.get_by_code(code):
            raise DomainError.single(("code",), ErrorCode.DUPLICATE, f"store {code} exists")
        store = Store(
            id=new_id(), code=code, name=name or "", city=city, created_at=uow.clock.now()
        )
        await uow.stores.add(store)
        await uow.commit()
    return store


async def create_staff(cmd: CreateStaff, *, uow: UnitOfWork, viewer: Viewer) -> Staff:
    viewer.require(Operation.ORGANISATION_MANAGE)
    problems = Problems()
    name = problems.text(("name",), cmd.name, max_length=200, required=True)
    email = normalise_email(cmd.email)
    if email is None:
        problems.add(("email",), ErrorCode.INVALID, "not an email address")
    problems.raise_if_any()
    async with uow:
        await require_store(uow, cmd.store_id, ("store_id",))
        if await uow.staff.get_by_email(email or ""):
            raise DomainError.single(("email",), ErrorCode.DUPLICATE, "a staff member has it")
        staff = Staff(
            id=new_id(), name=name or "", email=email or "", store_id=cmd.store_id,
            created_at=uow.clock.now(),
        )
        await uow.staff.add(staff)
        await uow.commit()
    return staff


async def require_store(uow: UnitOfWork, store_id: UUID | None, field: tuple[str, ...]) -> None:
    if store_id is not None and await uow.stores.get(store_id) is None:
        raise not_found(field, "store")


async def require_staff(uow: UnitOfWork, staff_id: UUID | None, field: tuple[str, ...]) -> None:
    if staff_id is not None and await uow.staff.get(staff_id) is None:
        raise not_found(field, "staff member")
