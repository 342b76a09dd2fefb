"""Stores and staff: the owners customers and cases link to."""

from domain.organisation.commands import CreateStaff, CreateStore
from domain.organisation.services import create_staff, create_store
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import ADMIN, a_staff_member, a_store, problems, refused
from tests.fakes import FakeUnitOfWork


class TestCreateStore:
    async def test_a_store_is_stored_with_its_code_lower_cased(self, uow: FakeUnitOfWork) -> None:
        store = await create_store(
            CreateStore(" HZ-XiHu ", " West Lake ", "Hangzhou"), uow=uow, viewer=ADMIN
        )
        assert (store.code, store.name, store.city) == ("hz-xihu", "West Lake", "Hangzhou")
        assert uow.data.stores == {store.id: store}

    async def test_a_code_in_use_is_a_duplicate(self, uow: FakeUnitOfWork) -> None:
        await a_store(uow, code="hz-xihu")
        command = CreateStore("HZ-XIHU", "Another")
        error = await refused(uow, create_store(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("code",), ErrorCode.DUPLICATE)}

    async def test_every_problem_is_reported_at_once(self, uow: FakeUnitOfWork) -> None:
        error = await refused(
            uow, create_store(CreateStore("hz xihu", "", "c" * 101), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {
            (("code",), ErrorCode.INVALID),
            (("name",), ErrorCode.REQUIRED),
            (("city",), ErrorCode.TOO_LONG),
        }


class TestCreateStaff:
    async def test_a_staff_member_is_stored_with_the_email_lower_cased(
        self, uow: FakeUnitOfWork
    ) -> None:
        store = await a_store(uow)
        command = CreateStaff("Wang Fang", " Wang.Fang@Brand.example ", store.id)
        member = await create_staff(command, uow=uow, viewer=ADMIN)
        assert (member.email, member.store_id) == ("wang.fang@brand.example", store.id)
        assert uow.data.staff == {member.id: member}

    async def test_an_email_in_use_is_a_duplicate(self, uow: FakeUnitOfWork) -> None:
        member = await a_staff_member(uow)
        command = CreateStaff("Someone Else", member.email.upper())
        error = await refused(uow, create_staff(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("email",), ErrorCode.DUPLICATE)}

    async def test_a_malformed_email_and_missing_name_are_refused(
        self, uow: FakeUnitOfWork
    ) -> None:
        error = await refused(
            uow, create_staff(CreateStaff(" ", "wang.fang"), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {
            (("name",), ErrorCode.REQUIRED),
            (("email",), ErrorCode.INVALID),
        }

    async def test_an_unknown_store_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = CreateStaff("Wang Fang", "wang@brand.example", new_id())
        error = await refused(uow, create_staff(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("store_id",), ErrorCode.NOT_FOUND)}
