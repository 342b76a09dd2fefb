"""A partner's counter (domain/partners/redemptions.py): validating a member's code,
redeeming it once, reversing a redemption made by mistake, and the limits on guessing.

Another partner's code answers exactly as a code that does not exist, and every lookup
that finds nothing is counted against the caller's key in a commit of its own, so the
refusal that follows does not roll the count back."""

from collections.abc import Awaitable
from dataclasses import fields, replace
from datetime import timedelta
from decimal import Decimal

import pytest

from domain.customers.model import Customer
from domain.loyalty.model import Programme
from domain.partners import codes
from domain.partners.commands import (
    PruneCodeMisses,
    ReactivatePartner,
    RedeemGrant,
    ReverseRedemption,
    RevokeGrant,
    SuspendPartner,
    ValidateGrant,
)
from domain.partners.grants import revoke_grant
from domain.partners.model import (
    CostSharing,
    EntryKind,
    Grant,
    GrantState,
    Offer,
    Partner,
    Payer,
    SharedMember,
)
from domain.partners.partners import reactivate_partner, suspend_partner
from domain.partners.redemptions import (
    LOCKOUT_WINDOW,
    MISSES_KEPT,
    MISSES_PER_HOUR,
    MISSES_PER_MINUTE,
    GrantCheck,
    Redeemed,
    prune_code_misses,
    redeem_grant,
    reverse_redemption,
    validate_grant,
)
from domain.shared.access import Role, Viewer
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    a_consenting_member,
    a_grant,
    a_partner,
    a_partner_client,
    a_purchase,
    a_redeem_command,
    an_offer,
    problems,
    refused,
    withdraw_partner_sharing,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork


def _well_formed(body: str) -> str:
    """`body` with the one check character that makes it a code."""
    return next(body + c for c in codes.ALPHABET if codes.canonical(body + c) is not None)


NOBODYS_CODE = _well_formed("7K3MQ9TX2HBW4RC")  # well formed, and no grant has it


@pytest.fixture
async def cinema(uow: FakeUnitOfWork, programme: Programme) -> Partner:
    return await a_partner(uow)


@pytest.fixture
def counter(cinema: Partner) -> Viewer:
    """The cinema's box office, with its own API key."""
    return a_partner_client(cinema)


@pytest.fixture
async def ticket(uow: FakeUnitOfWork, cinema: Partner) -> Offer:
    return await an_offer(uow, cinema)


@pytest.fixture
async def lisa(uow: FakeUnitOfWork, programme: Programme) -> Customer:
    """Lisa, a member of the brand's programme (in its entry tier), sharing with partners."""
    lisa = await a_consenting_member(uow)
    await a_purchase(uow, lisa.id)
    return lisa


@pytest.fixture
async def grant(uow: FakeUnitOfWork, ticket: Offer, lisa: Customer) -> Grant:
    return await a_grant(uow, ticket, lisa)


@pytest.fixture
async def rival(uow: FakeUnitOfWork) -> Partner:
    """Another cinema in the alliance."""
    return await a_partner(uow, name="CGV Cinemas")


async def _validated(uow: FakeUnitOfWork, counter: Viewer, code: str) -> GrantCheck:
    return await validate_grant(ValidateGrant(code), uow=uow, viewer=counter)


async def _redeemed(uow: FakeUnitOfWork, counter: Viewer, grant: Grant,
                    **changes: object) -> Redeemed:
    return await redeem_grant(a_redeem_command(grant, **changes), uow=uow, viewer=counter)


async def _reversed(uow: FakeUnitOfWork, counter: Viewer, redeemed: Redeemed) -> Redeemed:
    return await reverse_redemption(
        ReverseRedemption(redeemed.redemption.id, "Rang up the wrong film"), uow=uow,
        viewer=counter)


async def _missed(uow: FakeUnitOfWork, attempt: Awaitable[object]) -> DomainError:
    """Awaits a call that must be refused after a lookup that found nothing: it writes the
    miss, and nothing else."""
    before = uow.snapshot()
    with pytest.raises(DomainError) as caught:
        await attempt
    after = uow.snapshot()
    assert len(after.code_misses) == len(before.code_misses) + 1
    assert replace(after, code_misses=before.code_misses) == before
    return caught.value


def _settled(uow: FakeUnitOfWork) -> list[tuple[EntryKind, Decimal, str]]:
    return [(e.kind, e.amount, e.period) for e in uow.data.settlement_entries]


def _nobodys(grant: Grant) -> Grant:
    return replace(grant, code=codes.canonical(NOBODYS_CODE) or "")


class TestValidate:
    async def test_a_good_code_says_what_for_and_until_when(
        self, uow: FakeUnitOfWork, counter: Viewer, ticket: Offer, grant: Grant
    ) -> None:
        check = await _validated(uow, counter, codes.displayed(grant.code))
        assert check.valid
        assert (check.grant, check.offer) == (grant, ticket)

    async def test_the_member_shows_her_first_name_and_tier_only(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        check = await _validated(uow, counter, grant.code)
        assert check.member == SharedMember(first_name="Lisa", tier_name="Member")
        assert {f.name for f in fields(SharedMember)} == {"first_name", "tier_name"}

    async def test_a_member_who_withdrew_her_consent_is_hidden_at_once(
        self, uow: FakeUnitOfWork, counter: Viewer, lisa: Customer, grant: Grant
    ) -> None:
        await withdraw_partner_sharing(uow, lisa)
        check = await _validated(uow, counter, grant.code)
        assert (check.valid, check.member) == (True, None)

    async def test_a_code_is_read_however_it_was_typed(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        typed = codes.displayed(grant.code).lower().replace("-", " ")
        assert (await _validated(uow, counter, typed)).valid

    async def test_validating_writes_nothing(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        before = uow.snapshot()
        await _validated(uow, counter, grant.code)
        assert uow.snapshot() == before

    async def test_a_mistyped_code_is_caught_before_any_lookup(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        typo = grant.code[:-1] + ("0" if grant.code[-1] != "0" else "1")
        before = uow.snapshot()
        check = await _validated(uow, counter, typo)
        assert (check.problem, check.grant) == (ErrorCode.CODE_MISTYPED, None)
        assert uow.snapshot() == before  # not even a miss

    async def test_a_code_no_grant_has_is_unknown(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        check = await _validated(uow, counter, NOBODYS_CODE)
        assert (check.problem, check.grant, check.offer, check.member) == (
            ErrorCode.UNKNOWN_CODE, None, None, None)

    async def test_another_partners_code_answers_as_one_that_does_not_exist(
        self, uow: FakeUnitOfWork, rival: Partner, grant: Grant
    ) -> None:
        rivals_counter = a_partner_client(rival)
        foreign = await _validated(uow, rivals_counter, grant.code)
        unknown = await _validated(uow, rivals_counter, NOBODYS_CODE)
        assert replace(foreign, code="") == replace(unknown, code="")

    @pytest.mark.parametrize("state", [GrantState.REDEEMED, GrantState.REVOKED,
                                       GrantState.EXPIRED])
    async def test_a_grant_no_longer_good_says_why(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant, state: GrantState
    ) -> None:
        if state is GrantState.REDEEMED:
            await _redeemed(uow, counter, grant)
        elif state is GrantState.REVOKED:
            await revoke_grant(RevokeGrant(grant.id, "Issued twice"), uow=uow, viewer=ADMIN)
        else:
            uow.fixed_clock.set(grant.expires_at)
        check = await _validated(uow, counter, grant.code)
        expected = {GrantState.REDEEMED: ErrorCode.ALREADY_REDEEMED,
                    GrantState.REVOKED: ErrorCode.REVOKED, GrantState.EXPIRED: ErrorCode.EXPIRED}
        assert check.problem is expected[state]

    async def test_a_suspended_partner_may_not_validate(
        self, uow: FakeUnitOfWork, cinema: Partner, counter: Viewer, grant: Grant
    ) -> None:
        await suspend_partner(SuspendPartner(cinema.id, "Contract under review"), uow=uow,
                              viewer=ADMIN)
        error = await refused(uow, _validated(uow, counter, grant.code))
        assert problems(error) == {((), ErrorCode.SUSPENDED)}

    async def test_staff_may_not_validate_at_a_partners_counter(
        self, uow: FakeUnitOfWork, grant: Grant
    ) -> None:
        error = await refused(uow, _validated(uow, Viewer(Role.STAFF, "staff:wang"), grant.code))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestRedeem:
    async def test_a_redeemed_grant_is_used_up(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant, amount=Decimal("45.00"))
        stored = uow.data.grants[grant.id]
        assert (stored.state, stored.redeemed_at) == (GrantState.REDEEMED, DEFAULT_NOW)
        assert uow.data.redemptions[redeemed.redemption.id] == redeemed.redemption
        assert (redeemed.redemption.location, redeemed.redemption.amount) == (
            "Jing'an counter 3", Decimal("45.00"))
        assert uow.event_names[-1] == "GrantRedeemed"

    async def test_a_redemption_is_settled_at_what_the_brand_owes_for_it(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant)
        [entry] = uow.data.settlement_entries
        assert (entry.kind, entry.amount, entry.currency, entry.period) == (
            EntryKind.REDEMPTION, Decimal("35.00"), "CNY", "2026-03")
        assert (entry.redemption_id, entry.offer_id) == (redeemed.redemption.id,
                                                        redeemed.offer.id)

    async def test_a_shared_cost_is_settled_at_the_brands_share(
        self, uow: FakeUnitOfWork, cinema: Partner, counter: Viewer, lisa: Customer
    ) -> None:
        shared = await an_offer(uow, cinema, cost=CostSharing(Payer.SHARED, Decimal("35.00"),
                                                              Decimal("0.6")))
        await _redeemed(uow, counter, await a_grant(uow, shared, lisa))
        assert _settled(uow) == [(EntryKind.REDEMPTION, Decimal("21.00"), "2026-03")]

    async def test_a_benefit_the_partner_pays_for_is_settled_at_nothing(
        self, uow: FakeUnitOfWork, cinema: Partner, counter: Viewer, lisa: Customer
    ) -> None:
        free = await an_offer(uow, cinema, cost=CostSharing(Payer.PARTNER, Decimal("35.00")))
        await _redeemed(uow, counter, await a_grant(uow, free, lisa))
        assert _settled(uow) == [(EntryKind.REDEMPTION, Decimal("0.00"), "2026-03")]

    async def test_redeeming_twice_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await _redeemed(uow, counter, grant)
        error = await refused(uow, _redeemed(uow, counter, grant))
        assert problems(error) == {(("code",), ErrorCode.ALREADY_REDEEMED)}

    async def test_an_expired_grant_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        uow.fixed_clock.set(grant.expires_at)
        error = await refused(uow, _redeemed(uow, counter, grant))
        assert problems(error) == {(("code",), ErrorCode.EXPIRED)}

    async def test_a_revoked_grant_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await revoke_grant(RevokeGrant(grant.id, "Issued twice"), uow=uow, viewer=ADMIN)
        error = await refused(uow, _redeemed(uow, counter, grant))
        assert problems(error) == {(("code",), ErrorCode.REVOKED)}

    async def test_a_mistyped_code_is_refused_without_a_lookup(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        typo = grant.code[:5] + ("Z" if grant.code[5] != "Z" else "Y") + grant.code[6:]
        error = await refused(uow, _redeemed(uow, counter, grant, code=typo))
        assert problems(error) == {(("code",), ErrorCode.CODE_MISTYPED)}

    async def test_another_partners_code_is_refused_as_unknown(
        self, uow: FakeUnitOfWork, rival: Partner, grant: Grant
    ) -> None:
        error = await _missed(uow, _redeemed(uow, a_partner_client(rival), grant))
        assert problems(error) == {(("code",), ErrorCode.UNKNOWN_CODE)}
        assert uow.data.grants[grant.id].state is GrantState.ISSUED

    async def test_a_code_no_grant_has_is_refused_as_unknown(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        error = await _missed(uow, _redeemed(uow, counter, _nobodys(grant)))
        assert problems(error) == {(("code",), ErrorCode.UNKNOWN_CODE)}

    async def test_a_suspended_partner_may_not_redeem(
        self, uow: FakeUnitOfWork, cinema: Partner, counter: Viewer, grant: Grant
    ) -> None:
        await suspend_partner(SuspendPartner(cinema.id, "Contract under review"), uow=uow,
                              viewer=ADMIN)
        error = await refused(uow, _redeemed(uow, counter, grant))
        assert problems(error) == {((), ErrorCode.SUSPENDED)}

    async def test_once_reactivated_its_members_grants_are_redeemable_again(
        self, uow: FakeUnitOfWork, cinema: Partner, counter: Viewer, grant: Grant
    ) -> None:
        suspended = await suspend_partner(SuspendPartner(cinema.id, "Under review"), uow=uow,
                                          viewer=ADMIN)
        await reactivate_partner(ReactivatePartner(suspended.id), uow=uow, viewer=ADMIN)
        assert not (await _redeemed(uow, counter, grant)).replayed

    @pytest.mark.parametrize(("field", "blank"), [("idempotency_key", " "), ("location", "")])
    async def test_a_key_and_a_location_are_required(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant, field: str, blank: str
    ) -> None:
        error = await refused(uow, _redeemed(uow, counter, grant, **{field: blank}))
        assert problems(error) == {((field,), ErrorCode.REQUIRED)}

    async def test_an_amount_in_fractions_of_a_fen(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        error = await refused(uow, _redeemed(uow, counter, grant, amount=Decimal("45.001")))
        assert problems(error) == {(("amount",), ErrorCode.INVALID)}


class TestRedeemIdempotency:
    async def test_a_retry_with_the_same_key_replays_the_redemption(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        command = a_redeem_command(grant)
        first = await redeem_grant(command, uow=uow, viewer=counter)
        before = uow.snapshot()
        again = await redeem_grant(command, uow=uow, viewer=counter)
        assert (again.redemption, again.replayed) == (first.redemption, True)
        assert uow.snapshot() == before

    async def test_a_retry_typed_differently_is_the_same_redemption(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        first = await _redeemed(uow, counter, grant, idempotency_key="till-3-0001")
        again = await _redeemed(uow, counter, grant, idempotency_key="till-3-0001",
                                code=grant.code.lower(), location=" Jing'an counter 3 ")
        assert (again.redemption.id, again.replayed) == (first.redemption.id, True)

    async def test_the_same_key_with_another_input_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await _redeemed(uow, counter, grant, idempotency_key="till-3-0001")
        error = await refused(uow, _redeemed(uow, counter, grant, idempotency_key="till-3-0001",
                                             location="Pudong counter 1"))
        assert problems(error) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_the_same_key_for_another_code_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, ticket: Offer, grant: Grant
    ) -> None:
        mei = await a_consenting_member(uow, "Mei")
        hers = await a_grant(uow, ticket, mei)
        await _redeemed(uow, counter, grant, idempotency_key="till-3-0001")
        error = await refused(uow, _redeemed(uow, counter, hers, idempotency_key="till-3-0001"))
        assert problems(error) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}
        assert uow.data.grants[hers.id].state is GrantState.ISSUED

    async def test_another_partners_key_is_its_own(
        self, uow: FakeUnitOfWork, rival: Partner, counter: Viewer, lisa: Customer,
        grant: Grant
    ) -> None:
        rivals = await a_grant(uow, await an_offer(uow, rival), lisa)
        await _redeemed(uow, counter, grant, idempotency_key="till-1")
        theirs = await _redeemed(uow, a_partner_client(rival), rivals, idempotency_key="till-1")
        assert not theirs.replayed


class TestReplayAfterReversal:
    """A till that retries a redemption reversed meanwhile gets the first redemption back,
    reversed, and redeems nothing: the grant stays good for a redemption of its own."""

    async def _redeemed_then_reversed(self, uow: FakeUnitOfWork, counter: Viewer,
                                      grant: Grant) -> tuple[RedeemGrant, Redeemed]:
        command = a_redeem_command(grant)
        first = await redeem_grant(command, uow=uow, viewer=counter)
        await _reversed(uow, counter, first)
        return command, first

    async def test_the_same_key_replays_the_redemption_as_reversed_and_writes_nothing(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        command, first = await self._redeemed_then_reversed(uow, counter, grant)
        before = uow.snapshot()
        again = await redeem_grant(command, uow=uow, viewer=counter)
        assert (again.redemption.id, again.redemption.reversed, again.replayed) == (
            first.redemption.id, True, True)
        assert again.grant.state is GrantState.ISSUED
        assert uow.snapshot() == before

    async def test_once_redeemed_again_the_first_key_still_replays_the_reversed_one(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        command, first = await self._redeemed_then_reversed(uow, counter, grant)
        second = await _redeemed(uow, counter, grant)
        again = await redeem_grant(command, uow=uow, viewer=counter)
        assert (again.redemption.id, again.redemption.reversed, again.replayed) == (
            first.redemption.id, True, True)
        assert again.grant == second.grant

    async def test_the_same_key_with_another_amount_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        first = await _redeemed(uow, counter, grant, idempotency_key="till-3-0001")
        await _reversed(uow, counter, first)
        error = await refused(uow, _redeemed(uow, counter, grant, idempotency_key="till-3-0001",
                                             amount=Decimal("45.00")))
        assert problems(error) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}

    async def test_the_same_key_for_another_code_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, ticket: Offer, grant: Grant
    ) -> None:
        hers = await a_grant(uow, ticket, await a_consenting_member(uow, "Mei"))
        first = await _redeemed(uow, counter, grant, idempotency_key="till-3-0001")
        await _reversed(uow, counter, first)
        error = await refused(uow, _redeemed(uow, counter, hers, idempotency_key="till-3-0001"))
        assert problems(error) == {(("idempotency_key",), ErrorCode.IDEMPOTENCY_KEY_REUSED)}


class TestReverse:
    async def test_a_reversed_redemption_makes_the_grant_good_again(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant)
        reversed_ = await _reversed(uow, counter, redeemed)
        assert (reversed_.redemption.reversed_at, reversed_.redemption.reverse_reason) == (
            DEFAULT_NOW, "Rang up the wrong film")
        assert uow.data.grants[grant.id].state is GrantState.ISSUED
        assert (await _validated(uow, counter, grant.code)).valid
        assert uow.event_names[-1] == "GrantRedemptionReversed"

    async def test_the_grant_may_be_redeemed_again_after_a_reversal(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await _reversed(uow, counter, await _redeemed(uow, counter, grant))
        again = await _redeemed(uow, counter, grant)
        assert not again.replayed
        assert uow.data.grants[grant.id].state is GrantState.REDEEMED

    async def test_a_reversal_takes_back_what_the_brand_owed(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await _reversed(uow, counter, await _redeemed(uow, counter, grant))
        assert _settled(uow) == [(EntryKind.REDEMPTION, Decimal("35.00"), "2026-03"),
                                 (EntryKind.REDEMPTION_REVERSAL, Decimal("-35.00"), "2026-03")]

    async def test_reversing_twice_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant)
        await _reversed(uow, counter, redeemed)
        error = await refused(uow, _reversed(uow, counter, redeemed))
        assert problems(error) == {(("redemption_id",), ErrorCode.ALREADY_REVERSED)}

    async def test_a_reversal_within_a_day_is_accepted(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant)
        uow.fixed_clock.advance(hours=24)
        assert (await _reversed(uow, counter, redeemed)).redemption.reversed

    async def test_a_reversal_past_a_day_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant)
        uow.fixed_clock.advance(hours=24, seconds=1)
        error = await refused(uow, _reversed(uow, counter, redeemed))
        assert problems(error) == {(("redemption_id",), ErrorCode.WINDOW_PASSED)}

    async def test_a_grant_whose_expiry_passed_meanwhile_comes_back_expired(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        uow.fixed_clock.set(grant.expires_at - timedelta(hours=1))
        redeemed = await _redeemed(uow, counter, grant)
        uow.fixed_clock.advance(hours=2)
        await _reversed(uow, counter, redeemed)
        assert (await _validated(uow, counter, grant.code)).problem is ErrorCode.EXPIRED

    async def test_another_partners_redemption_is_not_found(
        self, uow: FakeUnitOfWork, rival: Partner, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant)
        error = await refused(uow, _reversed(uow, a_partner_client(rival), redeemed))
        assert problems(error) == {(("redemption_id",), ErrorCode.NOT_FOUND)}

    async def test_a_reason_is_required(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        redeemed = await _redeemed(uow, counter, grant)
        attempt = reverse_redemption(ReverseRedemption(redeemed.redemption.id, " "), uow=uow,
                                     viewer=counter)
        assert problems(await refused(uow, attempt)) == {(("reason",), ErrorCode.REQUIRED)}

    async def test_an_unknown_redemption(self, uow: FakeUnitOfWork, counter: Viewer) -> None:
        attempt = reverse_redemption(ReverseRedemption(new_id(), "Wrong film"), uow=uow,
                                     viewer=counter)
        assert problems(await refused(uow, attempt)) == {
            (("redemption_id",), ErrorCode.NOT_FOUND)}


class TestGuessingLimits:
    async def _misses(self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant,
                      n: int) -> None:
        for _ in range(n):
            await _missed(uow, _redeemed(uow, counter, _nobodys(grant)))

    async def test_a_miss_is_counted_though_the_call_is_refused(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._misses(uow, counter, grant, 1)
        assert uow.data.code_misses == [(f"client:{counter.client_id}", DEFAULT_NOW)]

    async def test_a_validation_that_finds_nothing_is_counted_too(
        self, uow: FakeUnitOfWork, counter: Viewer
    ) -> None:
        await _validated(uow, counter, NOBODYS_CODE)
        assert len(uow.data.code_misses) == 1

    async def test_a_mistyped_code_is_not_counted(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        for _ in range(MISSES_PER_MINUTE + 1):
            await _validated(uow, counter, grant.code[:-1] + "*")
        assert (await _validated(uow, counter, grant.code)).valid

    async def test_five_misses_in_a_minute_refuse_the_next_call_even_with_a_good_code(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._misses(uow, counter, grant, MISSES_PER_MINUTE)
        error = await refused(uow, _redeemed(uow, counter, grant))
        assert problems(error) == {(("code",), ErrorCode.TOO_MANY_ATTEMPTS)}

    async def test_validating_is_refused_as_well(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._misses(uow, counter, grant, MISSES_PER_MINUTE)
        error = await refused(uow, _validated(uow, counter, grant.code))
        assert problems(error) == {(("code",), ErrorCode.TOO_MANY_ATTEMPTS)}

    async def test_a_minute_later_the_key_may_try_again(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._misses(uow, counter, grant, MISSES_PER_MINUTE)
        uow.fixed_clock.advance(minutes=1, seconds=1)
        assert not (await _redeemed(uow, counter, grant)).replayed

    async def test_the_limit_is_per_key(
        self, uow: FakeUnitOfWork, cinema: Partner, counter: Viewer, grant: Grant
    ) -> None:
        await self._misses(uow, counter, grant, MISSES_PER_MINUTE)
        other_till = a_partner_client(cinema)
        assert (await _validated(uow, other_till, grant.code)).valid

    async def test_twenty_misses_in_an_hour_lock_the_key_out(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        for _ in range(MISSES_PER_HOUR // (MISSES_PER_MINUTE - 1)):
            await self._misses(uow, counter, grant, MISSES_PER_MINUTE - 1)
            uow.fixed_clock.advance(minutes=2)
        uow.fixed_clock.advance(minutes=30)
        error = await refused(uow, _validated(uow, counter, grant.code))
        assert problems(error) == {(("code",), ErrorCode.TOO_MANY_ATTEMPTS)}

    async def test_a_locked_out_key_works_again_an_hour_after_its_misses(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        for _ in range(MISSES_PER_HOUR // (MISSES_PER_MINUTE - 1)):
            await self._misses(uow, counter, grant, MISSES_PER_MINUTE - 1)
            uow.fixed_clock.advance(minutes=2)
        uow.fixed_clock.advance(hours=1)
        assert (await _validated(uow, counter, grant.code)).valid

    async def test_a_refused_call_adds_no_miss(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._misses(uow, counter, grant, MISSES_PER_MINUTE)
        await refused(uow, _redeemed(uow, counter, _nobodys(grant)))
        assert len(uow.data.code_misses) == MISSES_PER_MINUTE


class TestPruningMisses:
    """The hourly job: misses the lock-out counts no more are deleted."""

    async def _pruned(self, uow: FakeUnitOfWork, limit: int = 10_000) -> int:
        return await prune_code_misses(PruneCodeMisses(limit), new_uow=lambda: uow,
                                       viewer=ADMIN)

    async def _missed_at(self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant,
                         n: int, ago: timedelta) -> None:
        """`n` misses of `counter`, `ago` before now."""
        now = uow.clock.now()
        uow.fixed_clock.set(now - ago)
        for _ in range(n):
            await _missed(uow, _redeemed(uow, counter, _nobodys(grant)))
        uow.fixed_clock.set(now)

    async def test_misses_older_than_the_lock_out_counts_are_deleted(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._missed_at(uow, counter, grant, 3, MISSES_KEPT + timedelta(seconds=1))
        assert await self._pruned(uow) == 3
        assert uow.data.code_misses == []

    async def test_misses_the_lock_out_still_counts_are_kept_and_still_lock_the_key_out(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        for minutes in range(0, 2 * MISSES_PER_HOUR, 2):  # under the minute's limit
            await self._missed_at(uow, counter, grant, 1,
                                  LOCKOUT_WINDOW - timedelta(minutes=minutes + 1))
        assert await self._pruned(uow) == 0
        assert len(uow.data.code_misses) == MISSES_PER_HOUR
        error = await refused(uow, _validated(uow, counter, grant.code))
        assert problems(error) == {(("code",), ErrorCode.TOO_MANY_ATTEMPTS)}

    async def test_running_it_again_deletes_nothing_more(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._missed_at(uow, counter, grant, 2, timedelta(hours=3))
        await self._missed_at(uow, counter, grant, 1, timedelta(minutes=10))
        await self._pruned(uow)
        before = uow.snapshot()
        assert await self._pruned(uow) == 0
        assert uow.snapshot() == before

    async def test_more_misses_than_one_batch_are_all_deleted(
        self, uow: FakeUnitOfWork, counter: Viewer, grant: Grant
    ) -> None:
        await self._missed_at(uow, counter, grant, 5, timedelta(hours=3))
        assert await self._pruned(uow, limit=2) == 5

    async def test_a_partner_may_not_run_it(
        self, uow: FakeUnitOfWork, counter: Viewer
    ) -> None:
        attempt = prune_code_misses(PruneCodeMisses(), new_uow=lambda: uow, viewer=counter)
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}
