"""A unique key taken by a concurrent transaction: the repository raises the port-level
`Duplicate` (the use case's own check saw the key free), and the use case translates it to
a DUPLICATE error at the input that held the key. The fakes' lookups are blinded here to
stand in for the other transaction, whose write the check could not see."""

from typing import Any

import pytest

from domain.access.commands import CreateApiClient
from domain.access.services import create_api_client
from domain.customers.commands import AddExternalReference, UpdateExternalReference
from domain.customers.services import (
    add_external_reference,
    create_customer,
    update_external_reference,
)
from domain.shared.errors import Duplicate, ErrorCode, UniqueKey, duplicate_as
from tests.builders import (
    ADMIN,
    a_customer,
    a_programme,
    a_ref,
    create_command,
    problems,
    refused,
    saving_programme,
)
from tests.fakes import (
    FakeApiClientRepository,
    FakeCustomerRepository,
    FakeProgrammeRepository,
    FakeUnitOfWork,
)


async def _nobody(*_: Any, **__: Any) -> None:
    return None


@pytest.fixture
def blind_to_refs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(FakeCustomerRepository, "find_by_external_ref", _nobody)


class TestExternalReferenceTakenMeanwhile:
    @pytest.mark.usefixtures("blind_to_refs")
    async def test_creating_a_customer_with_it(self, uow: FakeUnitOfWork) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        command = create_command(external_refs=(a_ref("pos-card", "HZ-1"),))
        error = await refused(uow, create_customer(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("external_refs",), ErrorCode.DUPLICATE)}

    async def test_adding_it(self, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        other = await a_customer(uow)
        monkeypatch.setattr(FakeCustomerRepository, "find_by_external_ref", _nobody)
        command = AddExternalReference(other.id, a_ref("pos-card", "HZ-1"))
        error = await refused(uow, add_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("reference",), ErrorCode.DUPLICATE)}

    async def test_changing_a_reference_to_it(
        self, uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-1"),))
        other = await a_customer(uow, external_refs=(a_ref("pos-card", "HZ-2"),))
        monkeypatch.setattr(FakeCustomerRepository, "find_by_external_ref", _nobody)
        command = UpdateExternalReference(other.id, other.external_refs[0].id, "HZ-1")
        error = await refused(uow, update_external_reference(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("value",), ErrorCode.DUPLICATE)}


async def test_a_programme_code_created_meanwhile(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    await a_programme(uow)
    monkeypatch.setattr(FakeProgrammeRepository, "get_by_code", _nobody)
    attempt = saving_programme(uow)
    assert problems(await refused(uow, attempt)) == {(("code",), ErrorCode.DUPLICATE)}


async def test_an_api_client_name_taken_meanwhile(
    uow: FakeUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_api_client(CreateApiClient("web-shop", "STOREFRONT"), uow=uow, viewer=ADMIN)
    taken = FakeApiClientRepository.get_active_by_name
    calls = 0

    async def blind_once(self: FakeApiClientRepository, name: str) -> Any:
        nonlocal calls
        calls += 1
        return None if calls == 1 else await taken(self, name)

    monkeypatch.setattr(FakeApiClientRepository, "get_active_by_name", blind_once)
    attempt = create_api_client(CreateApiClient("web-shop", "STOREFRONT"), uow=uow,
                                viewer=ADMIN)
    assert problems(await refused(uow, attempt)) == {(("name",), ErrorCode.DUPLICATE)}


def test_a_duplicate_of_another_key_is_not_translated() -> None:
    with pytest.raises(Duplicate) as passed, duplicate_as(UniqueKey.PROGRAMME_CODE, ("code",),
                                                           "taken"):
        raise Duplicate(UniqueKey.EXTERNAL_REF)
    assert passed.value.key is UniqueKey.EXTERNAL_REF
