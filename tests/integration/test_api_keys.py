"""PgApiKeys.verify against PostgreSQL: who a key belongs to, or None, in one statement; a
revoked or ended key fails on the very next request; last use noted at most once a minute."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.access.commands import CreateApiClient, RevokeApiClient, RotateApiKey
from domain.access.model import ApiClientIdentity, IssuedKey
from domain.partners.model import Partner, PartnerStatus
from domain.shared.access import Role
from domain.shared.errors import DomainError, ErrorCode
from infrastructure.bootstrap import Container, build_container
from infrastructure.postgres.api_keys import PgApiKeys
from infrastructure.postgres.tables import api_keys
from infrastructure.settings import Settings
from tests.conftest import StatementCounter
from tests.contract import records
from tests.fakes import FixedClock


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def container(db: AsyncEngine, clock: FixedClock) -> AsyncIterator[Container]:
    built = build_container(Settings(database_url="postgresql://unused"), db, clock=clock)
    yield built
    await built.close()  # the asyncpg pool the checks ran on


@pytest.fixture
def keys(container: Container) -> PgApiKeys:
    return container.api_keys


async def _client(
    container: Container, name: str = "web-shop", role: Role = Role.STOREFRONT,
    partner_code: str | None = None,
) -> IssuedKey:
    issued: IssuedKey = await container.use_cases.access.create_api_client(
        CreateApiClient(name, role.value, partner_code))
    return issued


async def _rotate(container: Container, client_id: UUID, overlap_hours: int) -> IssuedKey:
    issued: IssuedKey = await container.use_cases.access.rotate_api_key(
        RotateApiKey(client_id, overlap_hours))
    return issued


async def _last_used(db: AsyncEngine, key_id: UUID) -> datetime | None:
    async with db.connect() as connection:
        query = select(api_keys.c.last_used_at).where(api_keys.c.id == key_id)
        used: datetime | None = (await connection.execute(query)).scalar_one()
        return used


def _tampered(key: str) -> str:
    """The same prefix with another secret of the right shape."""
    last = "A" if key[-1] != "A" else "B"
    return key[:-1] + last


async def test_a_valid_key_gives_its_client(container: Container, keys: PgApiKeys) -> None:
    issued = await _client(container)
    assert await keys.verify(issued.key) == ApiClientIdentity(
        client_id=issued.client.id, client_name="web-shop", role=Role.STOREFRONT,
        partner_code=None, key_id=issued.client.keys[0].id,
    )


async def _partner(container: Container, code: str) -> Partner:
    partner = records.a_partner(container.clock.now(), code)
    async with container.uow_factory() as uow:
        await uow.partners.add(partner)
        await uow.commit()
    return partner


async def _set_status(container: Container, partner: Partner, status: PartnerStatus) -> None:
    async with container.uow_factory() as uow:
        await uow.partners.save(replace(partner, status=status))
        await uow.commit()


async def test_a_partner_key_gives_its_partner_code(
    container: Container, keys: PgApiKeys
) -> None:
    await _partner(container, "wanda-cinema")
    issued = await _client(container, "wanda", Role.PARTNER, "wanda-cinema")
    identity = await keys.verify(issued.key)
    assert identity is not None
    assert (identity.role, identity.partner_code) == (Role.PARTNER, "wanda-cinema")


async def test_a_key_of_a_partner_that_does_not_exist_fails(
    container: Container, keys: PgApiKeys
) -> None:
    await _partner(container, "wanda-cinema")
    issued = await _client(container, "ghost", Role.PARTNER, "ghost-cinema")
    assert await keys.verify(issued.key) is None


async def test_a_suspended_partner_s_keys_fail_on_the_next_request_until_it_is_reactivated(
    container: Container, keys: PgApiKeys
) -> None:
    wanda = await _partner(container, "wanda-cinema")
    first = await _client(container, "wanda", Role.PARTNER, "wanda-cinema")
    second = await _rotate(container, first.client.id, overlap_hours=24)
    other = await _client(container, "web-shop")
    assert await keys.verify(first.key) is not None

    await _set_status(container, wanda, PartnerStatus.SUSPENDED)
    assert await keys.verify(first.key) is None
    assert await keys.verify(second.key) is None
    assert await keys.verify(other.key) is not None  # other roles need no partner

    await _set_status(container, wanda, PartnerStatus.ACTIVE)
    assert await keys.verify(first.key) is not None
    assert await keys.verify(second.key) is not None


async def test_a_wrong_secret_fails(container: Container, keys: PgApiKeys) -> None:
    issued = await _client(container)
    assert await keys.verify(_tampered(issued.key)) is None


async def test_an_unknown_prefix_fails(container: Container, keys: PgApiKeys) -> None:
    issued = await _client(container)
    _, _, secret = issued.key.split("_", 2)
    assert await keys.verify(f"rk_{'0' * 16}_{secret}") is None


@pytest.mark.parametrize("presented", [
    "", "rk_", "Bearer rk_x", "rk_zzzz_secret", "rk_" + "a" * 10_000, "\x00", "rk_é_é",
])
async def test_a_malformed_key_fails_without_asking_the_database(
    keys: PgApiKeys, statement_counter: StatementCounter, presented: str
) -> None:
    with statement_counter() as statements:
        assert await keys.verify(presented) is None
    assert statements == []


async def test_every_key_of_a_revoked_client_fails_on_the_next_request(
    container: Container, keys: PgApiKeys
) -> None:
    first = await _client(container)
    second = await _rotate(container, first.client.id, overlap_hours=24)
    assert await keys.verify(first.key) is not None

    await container.use_cases.access.revoke_api_client(RevokeApiClient(first.client.id))

    assert await keys.verify(first.key) is None
    assert await keys.verify(second.key) is None


async def test_after_a_rotation_both_keys_work_until_the_overlap_ends(
    container: Container, keys: PgApiKeys, clock: FixedClock
) -> None:
    old = await _client(container)
    new = await _rotate(container, old.client.id, overlap_hours=1)

    clock.advance(minutes=59)
    assert await keys.verify(old.key) is not None
    assert await keys.verify(new.key) is not None

    clock.advance(minutes=1)
    assert await keys.verify(old.key) is None
    assert await keys.verify(new.key) is not None


async def test_a_rotation_without_overlap_ends_the_old_key_at_once(
    container: Container, keys: PgApiKeys
) -> None:
    old = await _client(container)
    new = await _rotate(container, old.client.id, overlap_hours=0)
    assert await keys.verify(old.key) is None
    assert await keys.verify(new.key) is not None


async def test_the_first_use_of_a_key_is_noted(
    container: Container, keys: PgApiKeys, clock: FixedClock, db: AsyncEngine
) -> None:
    issued = await _client(container)
    key_id = issued.client.keys[0].id
    assert await _last_used(db, key_id) is None

    await keys.verify(issued.key)

    assert await _last_used(db, key_id) == clock.now()


async def test_last_use_is_noted_at_most_once_a_minute(
    container: Container, keys: PgApiKeys, clock: FixedClock, db: AsyncEngine
) -> None:
    issued = await _client(container)
    key_id = issued.client.keys[0].id
    first_use = clock.now()
    await keys.verify(issued.key)

    clock.advance(seconds=59)
    await keys.verify(issued.key)
    assert await _last_used(db, key_id) == first_use

    clock.advance(seconds=2)
    await keys.verify(issued.key)
    assert await _last_used(db, key_id) == clock.now()


async def test_a_wrong_secret_is_not_noted_as_a_use(
    container: Container, keys: PgApiKeys, db: AsyncEngine
) -> None:
    issued = await _client(container)
    await keys.verify(_tampered(issued.key))
    assert await _last_used(db, issued.client.keys[0].id) is None


async def test_a_rotation_keeps_the_last_use_of_the_old_key(
    container: Container, keys: PgApiKeys, clock: FixedClock, db: AsyncEngine
) -> None:
    old = await _client(container)
    used_at = clock.now()
    await keys.verify(old.key)
    clock.advance(minutes=5)

    await _rotate(container, old.client.id, overlap_hours=1)

    assert await _last_used(db, old.client.keys[0].id) == used_at


@pytest.mark.parametrize("noted", [False, True], ids=["already-noted", "noting"])
async def test_a_verification_is_one_statement(
    container: Container, keys: PgApiKeys, clock: FixedClock,
    statement_counter: StatementCounter, noted: bool,
) -> None:
    issued = await _client(container)
    if noted:
        await keys.verify(issued.key)
    with statement_counter() as statements:
        assert await keys.verify(issued.key) is not None
    assert len(statements) == 1, statements


async def test_the_lookup_uses_the_prefix_index(db: AsyncEngine) -> None:
    async with db.connect() as connection:
        await connection.execute(text("SET enable_seqscan = off"))
        plan = "\n".join((await connection.execute(text(
            "EXPLAIN SELECT id FROM api_keys WHERE prefix = '0123456789abcdef'"
        ))).scalars())
    assert "uq_api_keys_prefix" in plan


async def test_clients_racing_for_one_name_leave_one_and_a_duplicate_error(
    container: Container, db: AsyncEngine
) -> None:
    outcomes = await asyncio.gather(*(_client(container, "web-shop") for _ in range(4)),
                                    return_exceptions=True)

    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(refused) == 3
    assert {e.errors[0].code for e in refused} == {ErrorCode.DUPLICATE}
    async with db.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM api_clients"))).scalar() == 1
