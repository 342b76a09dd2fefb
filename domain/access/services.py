"""Use cases for API clients: create one (with its first key), rotate its key, revoke it,
list them. Only viewers allowed API_CLIENT_MANAGE (admins, and the CLI's system viewer) may.
"""

from datetime import timedelta
from uuid import UUID

from domain.access.commands import CreateApiClient, ListApiClients, RevokeApiClient, RotateApiKey
from domain.access.events import AccessEvent
from domain.access.model import ApiClient, IssuedKey, new_key
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Role, Viewer
from domain.shared.errors import DomainError, ErrorCode, UniqueKey, duplicate_as, not_found
from domain.shared.events import Event
from domain.shared.ids import new_id
from domain.shared.validation import Problems

MAX_OVERLAP_HOURS = 24 * 30  # a month: long enough for any deployment, short enough to end


async def create_api_client(
    cmd: CreateApiClient, *, uow: UnitOfWork, viewer: Viewer
) -> IssuedKey:
    viewer.require(Operation.API_CLIENT_MANAGE)
    name, role, partner_code = _checked_client(cmd)
    async with uow:
        taken = f"an active API client is named {name}"
        if await uow.api_clients.get_active_by_name(name):
            raise DomainError.single(("name",), ErrorCode.DUPLICATE, taken)
        now, client_id = uow.clock.now(), new_id()
        key, presented = new_key(new_id(), client_id, now)
        client = ApiClient(id=client_id, name=name, role=role, partner_code=partner_code,
                           created_at=now, keys=(key,))
        with duplicate_as(UniqueKey.ACTIVE_API_CLIENT_NAME, ("name",), taken):
            await uow.api_clients.add(client)
        # Names and prefixes only: a secret never leaves this function but in its result.
        uow.emit(Event(AccessEvent.API_CLIENT_CREATED, client.id, now, {
            "name": name, "role": role.value, "prefix": key.prefix,
        }))
        await uow.commit()
    return IssuedKey(client, presented)


async def rotate_api_key(cmd: RotateApiKey, *, uow: UnitOfWork, viewer: Viewer) -> IssuedKey:
    """A new key; the client's current keys keep working for `overlap_hours` more, so its
    deployments can switch one by one, then fail."""
    viewer.require(Operation.API_CLIENT_MANAGE)
    if not 0 <= cmd.overlap_hours <= MAX_OVERLAP_HOURS:
        raise DomainError.single(("overlap_hours",), ErrorCode.INVALID,
                                 f"must be between 0 and {MAX_OVERLAP_HOURS}")
    async with uow:
        client = await _active_client(uow, cmd.api_client_id)
        now = uow.clock.now()
        old_keys_end = now + timedelta(hours=cmd.overlap_hours)
        key, presented = new_key(new_id(), client.id, now)
        rotated = client.with_new_key(key, old_keys_end=old_keys_end)
        await uow.api_clients.save(rotated)
        uow.emit(Event(AccessEvent.API_KEY_ROTATED, client.id, now, {
            "prefix": key.prefix, "old_keys_end": old_keys_end.isoformat(),
        }))
        await uow.commit()
    return IssuedKey(rotated, presented)


async def revoke_api_client(
    cmd: RevokeApiClient, *, uow: UnitOfWork, viewer: Viewer
) -> ApiClient:
    """Every key of the client fails from now on. Revoking a revoked client changes nothing."""
    viewer.require(Operation.API_CLIENT_MANAGE)
    async with uow:
        client = await _client(uow, cmd.api_client_id)
        if client.revoked:
            return client
        now = uow.clock.now()
        revoked = client.revoked_on(now)
        await uow.api_clients.save(revoked)
        uow.emit(Event(AccessEvent.API_CLIENT_REVOKED, client.id, now))
        await uow.commit()
    return revoked


async def list_api_clients(
    cmd: ListApiClients, *, uow: UnitOfWork, viewer: Viewer
) -> list[ApiClient]:
    viewer.require(Operation.API_CLIENT_MANAGE)
    async with uow:
        return await uow.api_clients.all()


def _checked_client(cmd: CreateApiClient) -> tuple[str, Role, str | None]:
    problems = Problems()
    name = problems.text(("name",), cmd.name, max_length=100, required=True) or ""
    role = next((r for r in Role if r.value == cmd.role.strip().upper()), None)
    if role is None:
        problems.add(("role",), ErrorCode.INVALID,
                     f"must be one of {', '.join(r.value for r in Role)}")
    partner_code = None
    if role is Role.PARTNER:
        partner_code = problems.slug(("partner_code",), cmd.partner_code or "")
    elif cmd.partner_code and cmd.partner_code.strip():
        problems.add(("partner_code",), ErrorCode.INVALID, "only PARTNER clients have one")
    problems.raise_if_any()
    assert role is not None
    return name, role, partner_code


async def _client(uow: UnitOfWork, client_id: UUID) -> ApiClient:
    client = await uow.api_clients.get(client_id, for_update=True)
    if client is None:
        raise not_found(("api_client_id",), "API client")
    return client


async def _active_client(uow: UnitOfWork, client_id: UUID) -> ApiClient:
    client = await _client(uow, client_id)
    if client.revoked:
        raise DomainError.single(("api_client_id",), ErrorCode.INVALID_TRANSITION,
                                 "the API client is revoked; create a new one")
    return client
