"""API clients with their keys. `save` writes revocations and expiries and adds keys; when a
key was last used belongs to the key verifier, never to the use cases."""

from dataclasses import replace
from datetime import timedelta

from domain.access.model import ApiKey, hash_secret
from domain.shared.ids import new_id
from tests.contract import records
from tests.contract.conftest import UowFactory
from tests.fakes import FixedClock


async def test_a_client_added_and_committed_is_found_by_id_with_its_keys(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    web_shop = records.an_api_client(clock.now(), "web-shop")
    async with uow_factory() as uow:
        await uow.api_clients.add(web_shop)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.api_clients.get(web_shop.id) == web_shop
        assert await uow.api_clients.get(web_shop.id, for_update=True) == web_shop


async def test_a_client_s_keys_come_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    pos = records.an_api_client(clock.now(), "pos-back-end", keys=0)
    newer = ApiKey(new_id(), pos.id, "rk-newer", hash_secret("newer"), clock.advance(hours=1))
    older = ApiKey(new_id(), pos.id, "rk-older", hash_secret("older"), clock.advance(hours=-2))
    async with uow_factory() as uow:
        await uow.api_clients.add(replace(pos, keys=(newer, older)))
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.api_clients.get(pos.id)
    assert stored is not None
    assert stored.keys == (older, newer)


async def test_a_missing_client_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.api_clients.get(new_id()) is None
        assert await uow.api_clients.get_active_by_name("web-shop") is None


async def test_a_revoked_client_is_not_found_by_its_name(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    web_shop = records.an_api_client(clock.now(), "web-shop")
    async with uow_factory() as uow:
        await uow.api_clients.add(web_shop)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.api_clients.get_active_by_name("web-shop") == web_shop
        revoked = web_shop.revoked_on(clock.advance(days=1))
        await uow.api_clients.save(revoked)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.api_clients.get_active_by_name("web-shop") is None
        assert await uow.api_clients.get(web_shop.id) == revoked


async def test_a_revoked_client_s_name_can_be_given_again(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    old = records.an_api_client(clock.now(), "web-shop")
    async with uow_factory() as uow:
        await uow.api_clients.add(old)
        await uow.api_clients.save(old.revoked_on(clock.now()))
        await uow.commit()
    new = records.an_api_client(clock.advance(days=1), "web-shop")
    async with uow_factory() as uow:
        await uow.api_clients.add(new)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.api_clients.get_active_by_name("web-shop") == new


async def test_clients_are_listed_oldest_first(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    newer = records.an_api_client(clock.advance(hours=1))
    older = records.an_api_client(clock.advance(hours=-2))
    async with uow_factory() as uow:
        await uow.api_clients.add(newer)
        await uow.api_clients.add(older)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.api_clients.all() == [older, newer]


async def test_a_rotation_saves_the_new_key_and_ends_the_old_one(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    pos = records.an_api_client(clock.now(), "pos-back-end")
    async with uow_factory() as uow:
        await uow.api_clients.add(pos)
        await uow.commit()
    now = clock.advance(days=30)
    key = ApiKey(new_id(), pos.id, "rk-rotated", hash_secret("rotated"), now)
    rotated = pos.with_new_key(key, old_keys_end=now + timedelta(days=7))
    async with uow_factory() as uow:
        await uow.api_clients.save(rotated)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.api_clients.get(pos.id) == rotated


async def test_saving_a_client_never_writes_when_its_keys_were_last_used(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    pos = records.an_api_client(clock.now(), "pos-back-end")
    used = replace(pos, keys=tuple(replace(k, last_used_at=clock.now()) for k in pos.keys))
    async with uow_factory() as uow:
        await uow.api_clients.add(used)
        await uow.api_clients.save(used)
        await uow.commit()

    async with uow_factory() as uow:
        stored = await uow.api_clients.get(pos.id)
    assert stored is not None
    assert [k.last_used_at for k in stored.keys] == [None]
