"""The idempotency store: the first call claims a key with its input's fingerprint, a retry
gets the first call's claim back. Claims are written in the unit of work's transaction."""

from uuid import UUID

import pytest

from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.idempotency import Claim, first_result
from domain.shared.ids import new_id
from tests.contract.conftest import UowFactory
from tests.fakes import FixedClock

SCOPE = "record_interaction"
KEY = "till-7-receipt-42"
FIRST_INPUT, OTHER_INPUT = "a" * 64, "b" * 64


async def _claim(uow_factory: UowFactory, digest: str = FIRST_INPUT, *, scope: str = SCOPE,
                 result_id: UUID | None = None) -> Claim | None:
    """Claims KEY in a unit of work of its own, committed."""
    async with uow_factory() as uow:
        earlier = await uow.idempotency.claim(scope, KEY, digest, result_id)
        await uow.commit()
    return earlier


async def test_the_first_claim_of_a_key_finds_no_earlier_one(uow_factory: UowFactory) -> None:
    assert await _claim(uow_factory) is None


async def test_a_retry_while_the_first_call_has_no_result_gets_its_claim_without_one(
    uow_factory: UowFactory,
) -> None:
    await _claim(uow_factory)

    assert await _claim(uow_factory) == Claim(FIRST_INPUT, None)


async def test_idempotency_key_replays_the_stored_result(uow_factory: UowFactory) -> None:
    visit_id = new_id()
    async with uow_factory() as uow:
        await uow.idempotency.claim(SCOPE, KEY, FIRST_INPUT)
        await uow.idempotency.complete(SCOPE, KEY, visit_id)
        await uow.commit()

    assert await _claim(uow_factory) == Claim(FIRST_INPUT, visit_id)


async def test_a_result_given_with_the_claim_is_replayed_without_completing(
    uow_factory: UowFactory,
) -> None:
    purchase_id = new_id()
    await _claim(uow_factory, result_id=purchase_id)

    assert await _claim(uow_factory) == Claim(FIRST_INPUT, purchase_id)


async def test_a_retry_with_another_input_gets_the_first_input_s_fingerprint(
    uow_factory: UowFactory,
) -> None:
    await _claim(uow_factory)

    assert await _claim(uow_factory, OTHER_INPUT) == Claim(FIRST_INPUT, None)


async def test_one_key_in_two_scopes_is_two_claims(uow_factory: UowFactory) -> None:
    await _claim(uow_factory)

    assert await _claim(uow_factory, scope="create_customer") is None


async def test_a_claim_left_without_commit_is_forgotten(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        await uow.idempotency.claim(SCOPE, KEY, FIRST_INPUT)

    assert await _claim(uow_factory, OTHER_INPUT) is None


async def test_a_key_reused_with_another_input_is_refused(
    uow_factory: UowFactory, clock: FixedClock
) -> None:
    def visit(kind: str) -> RecordInteraction:
        return RecordInteraction(new_id(), Channel.POS, kind, clock.now(), idempotency_key=KEY)

    async with uow_factory() as uow:
        assert await first_result(uow.idempotency, SCOPE, visit("purchase")) is None
        await uow.commit()

    async with uow_factory() as uow:
        with pytest.raises(DomainError) as refused:
            await first_result(uow.idempotency, SCOPE, visit("return"))
    assert [e.code for e in refused.value.errors] == [ErrorCode.IDEMPOTENCY_KEY_REUSED]
