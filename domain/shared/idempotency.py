"""Idempotent writes: the same key with the same input replays the first result.

POS tills and web shops retry after time-outs; a retry must not record a second visit or a
second customer. The first call claims the key with a fingerprint of its input; a repeat with
the same fingerprint gets the first result back, a repeat with another input is refused.
"""

import hashlib
import json
from dataclasses import asdict, dataclass, is_dataclass
from typing import Any, Protocol
from uuid import UUID

from domain.shared.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class Claim:
    """What a key was first used for. `result_id` is None while that first call is in flight."""

    fingerprint: str
    result_id: UUID | None


class IdempotencyStore(Protocol):
    async def claim(
        self, scope: str, key: str, fingerprint: str, result_id: UUID | None = None
    ) -> Claim | None:
        """Claims the key for this call; returns the earlier claim when the key was taken.
        A caller that knows its result's id already gives it here and needs no `complete`
        (the claim commits with the result, or not at all)."""
        ...

    async def complete(self, scope: str, key: str, result_id: UUID) -> None: ...


def fingerprint(command: Any) -> str:
    """A stable digest of a command's content, ignoring the idempotency key itself."""
    is_instance = is_dataclass(command) and not isinstance(command, type)
    content = asdict(command) if is_instance else command
    if isinstance(content, dict):
        content = {k: v for k, v in content.items() if k != "idempotency_key"}
    encoded = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def replayed_result(
    claim: Claim | None, command_fingerprint: str, *, field: str = "idempotency_key",
    key_name: str = "this idempotency key",
) -> UUID | None:
    """The first call's result when this is a faithful retry; raises when the key was reused.
    `field` and `key_name` say where the key is in the input when it is the caller's own id
    (a till's order id)."""
    if claim is None:
        return None
    if claim.fingerprint != command_fingerprint:
        raise DomainError.single(
            (field,),
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            f"{key_name} was already used with a different input",
        )
    return claim.result_id


class Idempotent(Protocol):
    @property
    def idempotency_key(self) -> str | None: ...


async def first_result(store: IdempotencyStore, scope: str, command: Idempotent) -> UUID | None:
    """Claims the command's key, if it has one. Returns the first call's result when this
    call is a faithful retry, None when it is the first; raises when the key was reused."""
    if not command.idempotency_key:
        return None
    digest = fingerprint(command)
    return replayed_result(await store.claim(scope, command.idempotency_key, digest), digest)


async def remember_result(
    store: IdempotencyStore, scope: str, command: Idempotent, result_id: UUID
) -> None:
    if command.idempotency_key:
        await store.complete(scope, command.idempotency_key, result_id)
