"""Settlement (domain/partners/settlement.py): closing a month for good, entries that come
later landing in the next open one, and who may read a partner's settlement."""

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest

from domain.customers.model import Customer
from domain.loyalty.model import Programme
from domain.partners.coalition import record_partner_purchase
from domain.partners.commands import (
    ClosePeriod,
    ReadSettlement,
    RecordPartnerPurchase,
    SuspendPartner,
)
from domain.partners.model import (
    Direction,
    EntryKind,
    Grant,
    Offer,
    Partner,
    SettlementEntry,
    SettlementLine,
    direction_of,
)
from domain.partners.partners import suspend_partner
from domain.partners.redemptions import Redeemed, redeem_grant
from domain.partners.settlement import (
    PeriodClosed,
    close_settlement_period,
    csv_rows,
    read_settlement,
)
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    a_cafe,
    a_consenting_member,
    a_grant,
    a_partner,
    a_partner_client,
    a_redeem_command,
    a_ref,
    an_offer,
    problems,
    refused,
)
from tests.fakes import FakeUnitOfWork

FEBRUARY, MARCH, APRIL = "2026-02", "2026-03", "2026-04"
IN_FEBRUARY = datetime(2026, 2, 27, 18, 0, tzinfo=UTC)
IN_MARCH = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the fakes' now


class FakeSettlementQueries:
    """The read port over the fake's committed state: lines totalled by kind and offer."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    async def settlement_lines(self, partner_id: UUID, period: str) -> list[SettlementLine]:
        grouped: dict[tuple[EntryKind, UUID | None], list[SettlementEntry]] = defaultdict(list)
        for entry in await self.settlement_entries(partner_id, period):
            grouped[(entry.kind, entry.offer_id)].append(entry)
        return [SettlementLine(kind, direction_of(kind), offer_id, len(entries),
                               sum((e.amount for e in entries), Decimal(0)),
                               sum(e.points for e in entries))
                for (kind, offer_id), entries in grouped.items()]

    async def period_closed(self, partner_id: UUID, period: str) -> bool:
        held = self._uow.data.settlement_periods.get((partner_id, period))
        return held is not None and held.closed

    async def partner(self, partner_id: UUID) -> Partner | None:
        return self._uow.data.partners.get(partner_id)

    async def partner_by_code(self, code: str) -> Partner | None:
        return next((p for p in self._uow.data.partners.values() if p.code == code), None)

    async def settlement_entries(self, partner_id: UUID, period: str) -> list[SettlementEntry]:
        return [e for e in self._uow.data.settlement_entries
                if (e.partner_id, e.period) == (partner_id, period)]


@pytest.fixture
async def cinema(uow: FakeUnitOfWork, programme: Programme) -> Partner:
    return await a_partner(uow)


@pytest.fixture
async def ticket(uow: FakeUnitOfWork, cinema: Partner) -> Offer:
    return await an_offer(uow, cinema)


@pytest.fixture
async def lisa(uow: FakeUnitOfWork, programme: Programme) -> Customer:
    return await a_consenting_member(uow, external_refs=(a_ref("brand-card", "LISA-0001"),))


@pytest.fixture
def queries(uow: FakeUnitOfWork) -> FakeSettlementQueries:
    return FakeSettlementQueries(uow)


async def _redeemed_at(uow: FakeUnitOfWork, cinema: Partner, grant: Grant,
                       at: datetime) -> Redeemed:
    uow.fixed_clock.set(at)
    return await redeem_grant(a_redeem_command(grant), uow=uow, viewer=a_partner_client(cinema))


async def _closing(uow: FakeUnitOfWork, period: str, partner: Partner | None = None,
                   viewer: Viewer = ADMIN) -> PeriodClosed:
    command = ClosePeriod(period, partner.id if partner else None)
    return await close_settlement_period(command, new_uow=lambda: uow, viewer=viewer)


def _periods(uow: FakeUnitOfWork, partner: Partner) -> list[tuple[EntryKind, str]]:
    return [(e.kind, e.period) for e in uow.data.settlement_entries
            if e.partner_id == partner.id]


class TestClosePeriod:
    async def test_a_month_that_has_ended_is_closed_for_good(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        closed = await _closing(uow, FEBRUARY, cinema)
        assert (closed.closed, closed.already_closed) == ((cinema.id,), 0)
        held = uow.data.settlement_periods[(cinema.id, FEBRUARY)]
        assert (held.closed_at, held.closed_by) == (IN_MARCH, ADMIN.subject)

    @pytest.mark.parametrize("period", [MARCH, APRIL])
    async def test_a_month_not_yet_ended_is_refused(
        self, uow: FakeUnitOfWork, cinema: Partner, period: str
    ) -> None:
        error = await refused(uow, _closing(uow, period, cinema))
        assert problems(error) == {(("period",), ErrorCode.INVALID)}

    @pytest.mark.parametrize("period", ["2026-13", "2026-2", "February", ""])
    async def test_something_that_is_not_a_month_is_refused(
        self, uow: FakeUnitOfWork, cinema: Partner, period: str
    ) -> None:
        error = await refused(uow, _closing(uow, period, cinema))
        assert problems(error) == {(("period",), ErrorCode.INVALID)}

    async def test_closing_it_again_changes_nothing(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        await _closing(uow, FEBRUARY, cinema)
        before = uow.snapshot()
        again = await _closing(uow, FEBRUARY, cinema)
        assert (again.closed, again.already_closed) == ((), 1)
        assert uow.snapshot() == before

    async def test_naming_no_partner_closes_the_month_of_every_partner(
        self, uow: FakeUnitOfWork, cinema: Partner
    ) -> None:
        cafe = await a_cafe(uow)
        closed = await _closing(uow, FEBRUARY)
        assert sorted(closed.closed) == sorted([cinema.id, cafe.id])
        assert (await _closing(uow, FEBRUARY)).closed == ()

    async def test_an_unknown_partner(self, uow: FakeUnitOfWork) -> None:
        nobody = replace(await a_partner(uow), id=new_id())
        error = await refused(uow, _closing(uow, FEBRUARY, nobody))
        assert problems(error) == {(("partner_id",), ErrorCode.NOT_FOUND)}

    async def test_only_admins_close_a_month(self, uow: FakeUnitOfWork, cinema: Partner) -> None:
        error = await refused(uow, _closing(uow, FEBRUARY, cinema,
                                            viewer=a_partner_client(cinema)))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_a_closed_months_entries_stay_where_they_were(
        self, uow: FakeUnitOfWork, cinema: Partner, ticket: Offer, lisa: Customer
    ) -> None:
        await _redeemed_at(uow, cinema, await a_grant(uow, ticket, lisa), IN_FEBRUARY)
        uow.fixed_clock.set(IN_MARCH)
        before = list(uow.data.settlement_entries)
        await _closing(uow, FEBRUARY, cinema)
        assert uow.data.settlement_entries == before
        assert _periods(uow, cinema) == [(EntryKind.REDEMPTION, FEBRUARY)]

    async def test_an_entry_for_a_closed_month_lands_in_the_next_open_one(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        cafe = await a_cafe(uow)
        await _closing(uow, FEBRUARY, cafe)
        late = RecordPartnerPurchase("brand-card", "LISA-0001", "CAFE-0227", Decimal("58.00"),
                                     "CNY", IN_FEBRUARY)
        await record_partner_purchase(late, uow=uow, viewer=a_partner_client(cafe))
        assert _periods(uow, cafe) == [(EntryKind.COALITION_EARN, MARCH)]

    async def test_a_correction_skips_every_closed_month(
        self, uow: FakeUnitOfWork, lisa: Customer
    ) -> None:
        cafe = await a_cafe(uow)
        uow.fixed_clock.set(datetime(2026, 4, 2, tzinfo=UTC))
        await _closing(uow, FEBRUARY, cafe)
        await _closing(uow, MARCH, cafe)
        late = RecordPartnerPurchase("brand-card", "LISA-0001", "CAFE-0227", Decimal("58.00"),
                                     "CNY", IN_FEBRUARY)
        await record_partner_purchase(late, uow=uow, viewer=a_partner_client(cafe))
        assert _periods(uow, cafe) == [(EntryKind.COALITION_EARN, APRIL)]


class TestReadSettlement:
    async def _a_redemption_in_march(self, uow: FakeUnitOfWork, cinema: Partner,
                                     ticket: Offer, lisa: Customer) -> None:
        await _redeemed_at(uow, cinema, await a_grant(uow, ticket, lisa), IN_MARCH)

    async def test_a_partner_reads_its_own_without_naming_itself(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries, cinema: Partner,
        ticket: Offer, lisa: Customer
    ) -> None:
        await self._a_redemption_in_march(uow, cinema, ticket, lisa)
        settlement = await read_settlement(ReadSettlement(None, MARCH), queries,
                                           a_partner_client(cinema))
        assert (settlement.partner_id, settlement.currency, settlement.closed) == (
            cinema.id, "CNY", False)
        assert (settlement.brand_owes, settlement.partner_owes) == (Decimal("35.00"), Decimal(0))
        assert settlement.lines[0].direction is Direction.BRAND_OWES

    async def test_a_partner_may_name_itself(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries, cinema: Partner
    ) -> None:
        settlement = await read_settlement(ReadSettlement(cinema.id, MARCH), queries,
                                           a_partner_client(cinema))
        assert settlement.partner_id == cinema.id

    async def test_a_partner_may_not_read_another_partners(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries, cinema: Partner
    ) -> None:
        cafe = await a_cafe(uow)
        attempt = read_settlement(ReadSettlement(cinema.id, MARCH), queries,
                                  a_partner_client(cafe))
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_a_partner_naming_one_that_does_not_exist_is_refused_alike(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries, cinema: Partner
    ) -> None:
        attempt = read_settlement(ReadSettlement(new_id(), MARCH), queries,
                                  a_partner_client(cinema))
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_a_suspended_partner_reads_nothing(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries, cinema: Partner
    ) -> None:
        await suspend_partner(SuspendPartner(cinema.id, "Under review"), uow=uow, viewer=ADMIN)
        attempt = read_settlement(ReadSettlement(None, MARCH), queries,
                                  a_partner_client(cinema))
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.SUSPENDED)}

    async def test_an_admin_reads_any_partners_once_named(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries, cinema: Partner
    ) -> None:
        await _closing(uow, FEBRUARY, cinema)
        settlement = await read_settlement(ReadSettlement(cinema.id, FEBRUARY), queries, ADMIN)
        assert (settlement.partner_id, settlement.closed, settlement.lines) == (
            cinema.id, True, ())

    async def test_an_admin_must_name_the_partner(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries
    ) -> None:
        attempt = read_settlement(ReadSettlement(None, MARCH), queries, ADMIN)
        assert problems(await refused(uow, attempt)) == {(("partner_id",), ErrorCode.REQUIRED)}

    async def test_an_admin_naming_an_unknown_partner(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries
    ) -> None:
        attempt = read_settlement(ReadSettlement(new_id(), MARCH), queries, ADMIN)
        assert problems(await refused(uow, attempt)) == {
            (("partner_id",), ErrorCode.NOT_FOUND)}

    async def test_staff_may_not_read_a_settlement(
        self, uow: FakeUnitOfWork, queries: FakeSettlementQueries, cinema: Partner
    ) -> None:
        attempt = read_settlement(ReadSettlement(cinema.id, MARCH), queries,
                                  Viewer(Role.STAFF, "staff:wang"))
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}

    async def test_the_csv_export_names_no_customer(
        self, uow: FakeUnitOfWork, cinema: Partner, ticket: Offer, lisa: Customer
    ) -> None:
        await self._a_redemption_in_march(uow, cinema, ticket, lisa)
        [row] = csv_rows(uow.data.settlement_entries)
        assert str(lisa.id) not in row
        assert row[2:6] == ("REDEMPTION", "BRAND_OWES", "35.00", "CNY")
