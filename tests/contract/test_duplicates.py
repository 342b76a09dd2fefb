"""What a port refuses as a duplicate: the unique keys a concurrent writer can race for.

Kept apart so that how a duplicate is reported can change in one place: an adapter raises
the port-level Duplicate naming the key; the use case that wrote turns it into a userError.
"""

from collections.abc import Awaitable
from dataclasses import replace

import pytest

from domain.shared.errors import Duplicate, UniqueKey
from domain.shared.ids import new_id
from tests import builders
from tests.contract import records
from tests.contract.conftest import UowFactory
from tests.fakes import FixedClock


async def _refused_as_duplicate(attempt: Awaitable[None]) -> UniqueKey:
    """Awaits a write that must be refused as a duplicate; returns the key it names."""
    with pytest.raises(Duplicate) as refused:
        await attempt
    return refused.value.key


async def test_an_external_reference_of_another_customer_is_refused_as_duplicate(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    card = records.an_external_ref("pos-card", "HZ-000187")
    async with uow_factory() as uow:
        await uow.customers.add(records.a_customer(clock.now(), card))
        await uow.commit()

    twin = records.a_customer(clock.now(), replace(card, id=new_id()))
    async with uow_factory() as uow:
        key = await _refused_as_duplicate(uow.customers.add(twin))
    assert key is UniqueKey.EXTERNAL_REF


async def test_a_customer_saved_with_another_s_external_reference_is_refused_as_duplicate(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    card = records.an_external_ref("pos-card", "HZ-000187")
    mrs_li, other = records.a_customer(clock.now(), card), records.a_customer(clock.now())
    async with uow_factory() as uow:
        await uow.customers.add(mrs_li)
        await uow.customers.add(other)
        await uow.commit()

    async with uow_factory() as uow:
        loaded = await uow.customers.get(other.id)
        assert loaded is not None
        loaded.external_refs.append(replace(card, id=new_id()))
        key = await _refused_as_duplicate(uow.customers.save(loaded))
    assert key is UniqueKey.EXTERNAL_REF


async def test_a_second_active_api_client_of_one_name_is_refused_as_duplicate(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    async with uow_factory() as uow:
        await uow.api_clients.add(records.an_api_client(clock.now(), "web-shop"))
        await uow.commit()

    async with uow_factory() as uow:
        key = await _refused_as_duplicate(
            uow.api_clients.add(records.an_api_client(clock.now(), "web-shop")))
    assert key is UniqueKey.ACTIVE_API_CLIENT_NAME


async def test_a_second_programme_of_one_code_is_refused_as_duplicate(
    uow_factory: UowFactory,
) -> None:
    wardrobe = await builders.a_programme(uow_factory())
    rival = replace(wardrobe, id=new_id(), tiers=tuple(replace(t, id=new_id())
                                                       for t in wardrobe.tiers),
                    rewards=tuple(replace(r, id=new_id()) for r in wardrobe.rewards))

    async with uow_factory() as uow:
        key = await _refused_as_duplicate(uow.programmes.save(rival))
    assert key is UniqueKey.PROGRAMME_CODE
