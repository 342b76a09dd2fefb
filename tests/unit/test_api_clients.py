"""API clients and their keys: created by an admin with the secret shown once, rotated with an
overlap, revoked at once."""

import hashlib
from datetime import timedelta

import pytest

from domain.access.commands import CreateApiClient, ListApiClients, RevokeApiClient, RotateApiKey
from domain.access.model import ApiClient, IssuedKey, PresentedKey
from domain.access.services import (
    MAX_OVERLAP_HOURS,
    create_api_client,
    list_api_clients,
    revoke_api_client,
    rotate_api_key,
)
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import ADMIN, problems, refused
from tests.fakes import FakeUnitOfWork, FixedClock

NOT_ADMINS = [Viewer(role, f"test:{role.value}") for role in Role if role is not Role.ADMIN]


async def a_client(
    uow: FakeUnitOfWork, name: str = "web-shop", role: str = "STOREFRONT",
    partner_code: str | None = None,
) -> IssuedKey:
    return await create_api_client(CreateApiClient(name, role, partner_code), uow=uow,
                                   viewer=ADMIN)


def stored(uow: FakeUnitOfWork, client: ApiClient) -> ApiClient:
    return uow.data.api_clients[client.id]


def secret_of(issued: IssuedKey) -> str:
    parsed = PresentedKey.parse(issued.key)
    assert parsed is not None
    return parsed.secret


class TestCreateApiClient:
    async def test_the_client_is_stored_with_one_key(self, uow: FakeUnitOfWork) -> None:
        issued = await a_client(uow, name=" web-shop ", role="STOREFRONT")
        client = stored(uow, issued.client)
        assert (client.name, client.role, client.partner_code) == ("web-shop", Role.STOREFRONT,
                                                                    None)
        assert [k.client_id for k in client.keys] == [client.id]
        assert client.keys[0].expires_at is None

    async def test_the_key_is_rk_prefix_secret_with_the_stored_prefix(
        self, uow: FakeUnitOfWork
    ) -> None:
        issued = await a_client(uow)
        scheme, prefix, _ = issued.key.split("_", 2)
        assert (scheme, prefix) == ("rk", stored(uow, issued.client).keys[0].prefix)

    async def test_only_the_sha256_of_the_secret_is_stored(self, uow: FakeUnitOfWork) -> None:
        issued = await a_client(uow)
        secret = secret_of(issued)
        assert stored(uow, issued.client).keys[0].secret_hash == \
            hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in repr(uow.data)

    async def test_the_secret_is_kept_out_of_repr_and_events(self, uow: FakeUnitOfWork) -> None:
        issued = await a_client(uow)
        assert secret_of(issued) not in repr(issued)
        assert uow.event_names == ["ApiClientCreated"]
        assert secret_of(issued) not in repr(uow.events)

    async def test_every_key_is_different(self, uow: FakeUnitOfWork) -> None:
        one, other = await a_client(uow, name="one"), await a_client(uow, name="other")
        assert PresentedKey.parse(one.key) != PresentedKey.parse(other.key)
        assert one.key.split("_")[1] != other.key.split("_")[1]

    async def test_a_partner_client_keeps_its_partner_code(self, uow: FakeUnitOfWork) -> None:
        issued = await a_client(uow, name="cinema", role="PARTNER", partner_code=" Wanda-Cinema ")
        assert stored(uow, issued.client).partner_code == "wanda-cinema"

    async def test_a_partner_client_needs_a_partner_code(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, a_client(uow, role="PARTNER"))
        assert problems(error) == {(("partner_code",), ErrorCode.REQUIRED)}

    async def test_only_partner_clients_have_a_partner_code(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, a_client(uow, role="STAFF", partner_code="wanda"))
        assert problems(error) == {(("partner_code",), ErrorCode.INVALID)}

    async def test_every_problem_is_reported_at_once(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, a_client(uow, name=" ", role="ROOT"))
        assert problems(error) == {(("name",), ErrorCode.REQUIRED), (("role",), ErrorCode.INVALID)}

    async def test_a_name_over_100_characters_is_too_long(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, a_client(uow, name="n" * 101))
        assert problems(error) == {(("name",), ErrorCode.TOO_LONG)}

    async def test_the_name_of_an_active_client_is_a_duplicate(self, uow: FakeUnitOfWork) -> None:
        await a_client(uow, name="web-shop")
        error = await refused(uow, a_client(uow, name="web-shop"))
        assert problems(error) == {(("name",), ErrorCode.DUPLICATE)}

    async def test_the_name_of_a_revoked_client_may_be_given_again(
        self, uow: FakeUnitOfWork
    ) -> None:
        first = await a_client(uow, name="web-shop")
        await revoke_api_client(RevokeApiClient(first.client.id), uow=uow, viewer=ADMIN)
        second = await a_client(uow, name="web-shop")
        assert second.client.id != first.client.id

    @pytest.mark.parametrize("viewer", NOT_ADMINS, ids=lambda v: v.role.value)
    async def test_only_admins_may_create_clients(
        self, uow: FakeUnitOfWork, viewer: Viewer
    ) -> None:
        command = CreateApiClient("web-shop", "ADMIN")
        error = await refused(uow, create_api_client(command, uow=uow, viewer=viewer))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestRotateApiKey:
    async def test_the_old_key_works_for_the_overlap_beside_the_new_one(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created = await a_client(uow)
        clock.advance(minutes=1)  # keys come oldest first: the old key is older
        rotated = await rotate_api_key(RotateApiKey(created.client.id, overlap_hours=2),
                                       uow=uow, viewer=ADMIN)
        old, new = stored(uow, created.client).keys
        assert old.expires_at == clock.now() + timedelta(hours=2)
        assert new.expires_at is None
        assert rotated.key.split("_")[1] == new.prefix
        assert old.usable_at(clock.advance(hours=1, minutes=59))
        assert not old.usable_at(clock.advance(minutes=1))
        assert new.usable_at(clock.now())

    async def test_the_overlap_is_a_day_by_default(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created = await a_client(uow)
        clock.advance(minutes=1)  # keys come oldest first: the old key is older
        await rotate_api_key(RotateApiKey(created.client.id), uow=uow, viewer=ADMIN)
        assert stored(uow, created.client).keys[0].expires_at == clock.now() + timedelta(days=1)

    async def test_no_overlap_ends_the_old_key_at_once(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created = await a_client(uow)
        clock.advance(minutes=1)  # keys come oldest first: the old key is older
        await rotate_api_key(RotateApiKey(created.client.id, overlap_hours=0), uow=uow,
                             viewer=ADMIN)
        assert not stored(uow, created.client).keys[0].usable_at(clock.now())

    async def test_a_rotation_never_extends_an_older_keys_end(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created = await a_client(uow)
        clock.advance(minutes=1)  # keys come oldest first: the old key is older
        client_id = created.client.id
        await rotate_api_key(RotateApiKey(client_id, overlap_hours=1), uow=uow, viewer=ADMIN)
        first_end = clock.now() + timedelta(hours=1)
        clock.advance(minutes=30)
        await rotate_api_key(RotateApiKey(client_id, overlap_hours=24), uow=uow, viewer=ADMIN)
        first, second, _ = stored(uow, created.client).keys
        assert first.expires_at == first_end
        assert second.expires_at == clock.now() + timedelta(hours=24)

    async def test_the_rotation_is_recorded_without_the_secret(
        self, uow: FakeUnitOfWork
    ) -> None:
        created = await a_client(uow)
        rotated = await rotate_api_key(RotateApiKey(created.client.id), uow=uow, viewer=ADMIN)
        assert uow.event_names == ["ApiClientCreated", "ApiKeyRotated"]
        assert secret_of(rotated) not in repr(uow.events)

    @pytest.mark.parametrize("hours", [-1, MAX_OVERLAP_HOURS + 1])
    async def test_an_overlap_out_of_range_is_invalid(
        self, uow: FakeUnitOfWork, hours: int
    ) -> None:
        created = await a_client(uow)
        command = RotateApiKey(created.client.id, overlap_hours=hours)
        error = await refused(uow, rotate_api_key(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("overlap_hours",), ErrorCode.INVALID)}

    async def test_a_revoked_client_gets_no_new_key(self, uow: FakeUnitOfWork) -> None:
        created = await a_client(uow)
        await revoke_api_client(RevokeApiClient(created.client.id), uow=uow, viewer=ADMIN)
        command = RotateApiKey(created.client.id)
        error = await refused(uow, rotate_api_key(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("api_client_id",), ErrorCode.INVALID_TRANSITION)}

    async def test_an_unknown_client_is_not_found(self, uow: FakeUnitOfWork) -> None:
        error = await refused(uow, rotate_api_key(RotateApiKey(new_id()), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("api_client_id",), ErrorCode.NOT_FOUND)}

    @pytest.mark.parametrize("viewer", NOT_ADMINS, ids=lambda v: v.role.value)
    async def test_only_admins_may_rotate_keys(
        self, uow: FakeUnitOfWork, viewer: Viewer
    ) -> None:
        created = await a_client(uow)
        command = RotateApiKey(created.client.id)
        error = await refused(uow, rotate_api_key(command, uow=uow, viewer=viewer))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestRevokeApiClient:
    async def test_every_key_of_a_revoked_client_stops_working_at_once(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created = await a_client(uow)
        await rotate_api_key(RotateApiKey(created.client.id), uow=uow, viewer=ADMIN)
        revoked = await revoke_api_client(RevokeApiClient(created.client.id), uow=uow,
                                          viewer=ADMIN)
        assert revoked == stored(uow, created.client)
        assert revoked.revoked_at == clock.now()
        assert [k.revoked_at for k in revoked.keys] == [clock.now(), clock.now()]
        assert not any(k.usable_at(clock.now()) for k in revoked.keys)
        assert uow.event_names[-1] == "ApiClientRevoked"

    async def test_revoking_a_revoked_client_changes_nothing(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        created = await a_client(uow)
        first = await revoke_api_client(RevokeApiClient(created.client.id), uow=uow,
                                        viewer=ADMIN)
        before = uow.snapshot()
        clock.advance(hours=1)
        again = await revoke_api_client(RevokeApiClient(created.client.id), uow=uow,
                                        viewer=ADMIN)
        assert again == first
        assert uow.snapshot() == before

    async def test_an_unknown_client_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = RevokeApiClient(new_id())
        error = await refused(uow, revoke_api_client(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("api_client_id",), ErrorCode.NOT_FOUND)}

    @pytest.mark.parametrize("viewer", NOT_ADMINS, ids=lambda v: v.role.value)
    async def test_only_admins_may_revoke_clients(
        self, uow: FakeUnitOfWork, viewer: Viewer
    ) -> None:
        created = await a_client(uow)
        command = RevokeApiClient(created.client.id)
        error = await refused(uow, revoke_api_client(command, uow=uow, viewer=viewer))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestListApiClients:
    async def test_clients_are_listed_oldest_first_revoked_ones_too(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        first = await a_client(uow, name="first")
        clock.advance(minutes=1)
        second = await a_client(uow, name="second")
        await revoke_api_client(RevokeApiClient(first.client.id), uow=uow, viewer=ADMIN)
        listed = await list_api_clients(ListApiClients(), uow=uow, viewer=ADMIN)
        assert [(c.name, c.revoked) for c in listed] == [("first", True), ("second", False)]
        assert listed[1] == second.client

    @pytest.mark.parametrize("viewer", NOT_ADMINS, ids=lambda v: v.role.value)
    async def test_only_admins_may_list_clients(
        self, uow: FakeUnitOfWork, viewer: Viewer
    ) -> None:
        error = await refused(uow, list_api_clients(ListApiClients(), uow=uow, viewer=viewer))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestPresentedKey:
    @pytest.mark.parametrize("presented", [
        "", "rk_", "rk__", "Bearer x", "rk_0123456789abcdef",
        "rk_0123456789abcdef_" + "s" * 42, "rk_0123456789abcdef_" + "s" * 44,
        "rk_0123456789ABCDEF_" + "s" * 43, "xk_0123456789abcdef_" + "s" * 43,
        "rk_0123456789abcdef_" + "s" * 42 + "é", "rk_0123456789abcdef_" + "s" * 42 + "=",
        None, 42, b"rk_0123456789abcdef_" + b"s" * 43,
    ])
    def test_anything_but_a_well_formed_key_parses_to_none(self, presented: object) -> None:
        assert PresentedKey.parse(presented) is None

    def test_a_key_splits_into_prefix_and_secret(self) -> None:
        secret = "s_-" + "x" * 40
        parsed = PresentedKey.parse(f" rk_0123456789abcdef_{secret} ")
        assert parsed == PresentedKey("0123456789abcdef", secret)
        assert parsed is not None
        assert parsed.matches(hashlib.sha256(secret.encode()).hexdigest())
        assert not parsed.matches(hashlib.sha256(b"another").hexdigest())
