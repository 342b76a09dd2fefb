"""The demo seed tells the stories of DESIGN.md §1, and a second run changes nothing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.cases.model import CaseKind, CaseStatus
from domain.customers.model import ConsentPurpose, ContactKind, Customer, Occasion, Relationship
from domain.interactions.model import Channel, Direction, GeoPoint, Interaction
from domain.loyalty.model import LedgerKind
from domain.partners.model import EntryKind, GrantState, OfferStatus, Payer, TriggerKind, period_of
from domain.partners.queries import GrantFilter, OfferFilter
from domain.shared.access import Role
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container, build_container
from infrastructure.postgres.api_keys import PgApiKeys
from infrastructure.postgres.cases_repository import case_from_row
from infrastructure.postgres.customers_repository import PgCustomerRepository
from infrastructure.postgres.interactions_repository import interaction_from_row
from infrastructure.postgres.tables import ALL_TABLES, cases, interactions, staff
from infrastructure.seed.demo import (
    CAFE,
    CINEMA,
    GOLD_TICKET,
    LISA_COFFEE,
    PROGRAMME_CODE,
    SERVICE_LEAD,
    TICKET_OFFER,
    SeedReport,
    seed_demo,
)
from infrastructure.settings import Settings


@pytest.fixture
def container(db: AsyncEngine) -> Container:
    return build_container(Settings(database_url="postgresql://unused"), db)


@pytest.fixture
async def seeded(container: Container) -> SeedReport:
    return await seed_demo(container)


async def _customer(db: AsyncEngine, system: str, value: str) -> Customer:
    async with db.connect() as connection:
        repository = PgCustomerRepository(connection)
        customer_id = await repository.find_by_external_ref(system, value)
        assert customer_id is not None, f"no customer with {system} {value}"
        customer = await repository.get(customer_id)
    assert customer is not None
    return customer


async def _timeline(db: AsyncEngine, customer_id: UUID) -> list[Interaction]:
    query = select(interactions).where(interactions.c.customer_id == customer_id)
    async with db.connect() as connection:
        return [interaction_from_row(r) for r in (await connection.execute(query)).mappings()]


async def _row_counts(db: AsyncEngine) -> dict[str, int]:
    async with db.connect() as connection:
        return {
            table.name: (await connection.execute(select(func.count()).select_from(table)))
            .scalar_one()
            for table in ALL_TABLES
        }


async def test_mrs_li_is_known_by_her_card_with_her_tastes_and_family(
    seeded: SeedReport, db: AsyncEngine
) -> None:
    li = await _customer(db, "pos-card", "HZ-000187")
    assert li.profile.family_name == "李"
    assert {"vip", "villa-owner"} <= set(li.profile.tags)
    assert "gardening" in li.profile.interests
    assert "silk" in li.profile.preferences
    assert li.profile.home_store_id is not None
    assert li.profile.owner_id is not None
    email = next(c for c in li.contact_points if c.kind is ContactKind.EMAIL)
    assert email.consent_for(ConsentPurpose.MARKETING_EMAIL)
    family = {member.relationship: member for member in li.household}
    assert family[Relationship.CHILD].birth_date is not None
    occasions = {d.occasion for d in family[Relationship.SPOUSE].important_dates}
    assert occasions == {Occasion.ANNIVERSARY, Occasion.TRIP}


async def test_mrs_li_has_her_visits_and_the_gift_on_her_timeline(
    seeded: SeedReport, db: AsyncEngine
) -> None:
    li = await _customer(db, "pos-card", "HZ-000187")
    timeline = await _timeline(db, li.id)
    sale_notes = [i for i in timeline if i.channel is Channel.POS and i.kind == "purchase"
                  and "purchase_id" not in i.payload]  # the others are loyalty purchases
    assert sale_notes
    assert all(i.payload["lines"] for i in sale_notes)
    assert any(i.channel is Channel.VISIT and "gardening" in (i.summary or "") for i in timeline)
    assert any(i.direction is Direction.OUTBOUND and i.payload.get("gift") == "mosquito repellent"
               for i in timeline)
    assert all(i.occurred_at <= i.recorded_at for i in timeline)


async def test_lisa_checked_in_at_jingan_temple_after_buying_eye_shadow(
    seeded: SeedReport, db: AsyncEngine
) -> None:
    lisa = await _customer(db, "wechat", "oLisa9Zr3kT2mQ8vX1pN4dY7wH0e")
    assert {"white-collar", "loves-films"} <= set(lisa.profile.tags)
    assert "films" in lisa.profile.interests
    timeline = await _timeline(db, lisa.id)
    check_in = next(i for i in timeline if i.channel is Channel.CHECK_IN)
    assert check_in.geo == GeoPoint(31.2231, 121.4454)
    assert check_in.place == "Jing'an Temple counter"
    purchase = next(i for i in timeline if i.kind == "purchase" and i.channel is Channel.POS
                    and "purchase_id" not in i.payload)  # the loyalty purchase's has one
    assert purchase.payload["lines"][0]["category"] == "eye make-up"
    assert any(i.channel is Channel.SOCIAL for i in timeline)


async def test_the_complaint_went_to_the_service_lead_and_was_resolved_with_a_follow_up(
    seeded: SeedReport, db: AsyncEngine
) -> None:
    async with db.connect() as connection:
        [row] = (await connection.execute(select(cases))).mappings().all()
        lead_id = (await connection.execute(
            select(staff.c.id).where(staff.c.email == SERVICE_LEAD)
        )).scalar_one()
    complaint = case_from_row(row)
    assert complaint.kind is CaseKind.COMPLAINT
    assert complaint.status is CaseStatus.RESOLVED
    assert complaint.owner_id == lead_id
    assert complaint.resolution_note
    assert complaint.follow_up_at is not None
    assert complaint.resolved_at is not None
    assert complaint.follow_up_at > complaint.resolved_at
    timeline = await _timeline(db, complaint.customer_id)
    origin = next(i for i in timeline if i.id == complaint.origin_interaction_id)
    assert origin.channel is Channel.PHONE
    assert any(i.case_id == complaint.id and i.channel is Channel.VISIT for i in timeline)


async def test_mrs_li_is_silver_with_a_balance_that_is_her_ledgers_sum(
    seeded: SeedReport, container: Container, db: AsyncEngine
) -> None:
    li = await _customer(db, "pos-card", "HZ-000187")
    loyalty = container.queries.loyalty
    programme = await loyalty.programme(PROGRAMME_CODE)
    assert programme is not None
    membership = (await loyalty.memberships(programme.id, [li.id]))[li.id]
    ledger = (await loyalty.ledgers(programme.id, [li.id], PageRequest(first=100)))[li.id]

    assert programme.tier(membership.tier_id).code == "silver"
    assert membership.points_balance == sum(entry.points for entry in ledger.nodes) > 0
    kinds = [entry.kind for entry in ledger.nodes]
    assert sorted(kinds) == sorted([LedgerKind.EARN] * 4 + [LedgerKind.REVERSE, LedgerKind.REDEEM])
    assert await loyalty.ledger_mismatches() == []


async def test_mrs_li_went_from_member_to_silver_with_a_purchase(
    seeded: SeedReport, container: Container, db: AsyncEngine
) -> None:
    li = await _customer(db, "pos-card", "HZ-000187")
    loyalty = container.queries.loyalty
    programme = await loyalty.programme(PROGRAMME_CODE)
    assert programme is not None

    history = (await loyalty.tier_histories(programme.id, [li.id]))[li.id]

    assert [(change.reason.value, programme.tier(change.to_tier_id).code)
            for change in history] == [("ENROLLED", "member"), ("QUALIFIED", "silver")]


async def test_lisa_is_a_member_with_the_points_of_her_orders_and_her_coffee(
    seeded: SeedReport, container: Container, db: AsyncEngine
) -> None:
    lisa = await _customer(db, "wechat", "oLisa9Zr3kT2mQ8vX1pN4dY7wH0e")
    loyalty = container.queries.loyalty
    programme = await loyalty.programme(PROGRAMME_CODE)
    assert programme is not None
    cafe = await container.queries.partners.partner_by_code(CAFE)
    assert cafe is not None

    membership = (await loyalty.memberships(programme.id, [lisa.id]))[lisa.id]
    purchases = (await loyalty.purchases([lisa.id], PageRequest(first=10)))[lisa.id].nodes
    ledger = (await loyalty.ledgers(programme.id, [lisa.id], PageRequest(first=10)))[lisa.id]

    assert programme.tier(membership.tier_id).code == "member"
    assert sorted(p.channel.value for p in purchases) == ["MOBILE_APP", "POS"]
    coffee = [entry for entry in ledger.nodes if entry.partner_id == cafe.id]
    assert [(entry.kind, entry.points) for entry in coffee] == [(LedgerKind.EARN, 58)]
    assert membership.points_balance == sum(p.points for p in purchases) + 58
    assert await loyalty.ledger_mismatches() == []


async def test_the_cinema_and_the_cafe_are_partners_with_lisas_ticket_and_her_coffee(
    seeded: SeedReport, container: Container, db: AsyncEngine
) -> None:
    partners = container.queries.partners
    cinema, cafe = await partners.partner_by_code(CINEMA), await partners.partner_by_code(CAFE)
    assert cinema is not None
    assert cafe is not None
    assert (cinema.industry, cinema.currency, cinema.active) == ("cinema", "CNY", True)
    assert (cafe.earn_rate, cafe.point_value) == (Decimal(1), Decimal("0.05"))
    [offer] = (await partners.offers(OfferFilter(partner_id=cinema.id),
                                     PageRequest(first=10))).nodes
    assert (offer.code, offer.title, offer.status) == (
        TICKET_OFFER, "A free movie ticket", OfferStatus.ACTIVE)
    assert (offer.trigger.kind, offer.trigger.category) == (TriggerKind.PURCHASE, "eye make-up")
    assert offer.eligibility.interests == ("loves-films",)
    assert (offer.cost.payer, offer.cost.brand_owes) == (Payer.BRAND, Decimal("35.00"))

    lisa = await _customer(db, "wechat", "oLisa9Zr3kT2mQ8vX1pN4dY7wH0e")
    assert any(point.consent_for(ConsentPurpose.PARTNER_SHARING)
               for point in lisa.contact_points)
    now = datetime.now(UTC)
    [grant] = (await partners.grants_of_customers(
        [lisa.id], GrantFilter(now), PageRequest(first=10)))[lisa.id].nodes
    mascara = next(p for p in (await container.queries.loyalty.purchases(
        [lisa.id], PageRequest(first=10)))[lisa.id].nodes
        if any(line.sku == "CS-MASCARA-12" for line in p.lines))
    assert (grant.offer_id, grant.purchase_id, grant.state_at(now)) == (
        offer.id, mascara.id, GrantState.ISSUED)
    period = period_of(lisa.created_at - timedelta(days=LISA_COFFEE.days_before))
    [owed] = await partners.settlement_entries(cafe.id, period)
    assert (owed.kind, owed.points, owed.amount, owed.customer_id) == (
        EntryKind.COALITION_EARN, 58, Decimal("2.90"), lisa.id)


async def test_gold_s_movie_ticket_perk_points_at_the_cinema_s_offer(
    seeded: SeedReport, container: Container
) -> None:
    programme = await container.queries.loyalty.programme(PROGRAMME_CODE)
    cinema = await container.queries.partners.partner_by_code(CINEMA)
    assert programme is not None
    assert cinema is not None
    [ticket] = (await container.queries.partners.offers(
        OfferFilter(partner_id=cinema.id), PageRequest(first=10))).nodes

    top = programme.tiers[-1]
    assert top.code == "gold"
    assert [(perk.text, perk.offer_id) for perk in top.perks] == [
        ("free alterations", None), ("private shopping evenings", None),
        (GOLD_TICKET, ticket.id)]


async def test_the_seed_prints_a_working_key_for_each_partner(
    seeded: SeedReport, api_keys: PgApiKeys
) -> None:
    keys = api_keys
    assert [code for code, _ in seeded.keys] == [CINEMA, CAFE]
    for code, key in seeded.keys:
        identity = await keys.verify(key)
        assert identity is not None
        assert (identity.role, identity.partner_code) == (Role.PARTNER, code)
        assert f"API key of {code} (shown this once): {key}" in str(seeded).splitlines()


async def test_the_first_run_reports_what_it_created(seeded: SeedReport) -> None:
    assert (seeded.stores, seeded.staff, seeded.routing_rules, seeded.customers) == (2, 3, 1, 2)
    assert seeded.interactions == 11  # Mr. Wu's call among them
    assert (seeded.cases, seeded.case_transitions) == (1, 2)
    assert (seeded.programmes, seeded.purchases, seeded.refunds, seeded.redemptions) == (
        1, 6, 1, 1)
    assert (seeded.partners, seeded.offers, seeded.partner_purchases, seeded.api_clients) == (
        2, 1, 1, 2)
    assert seeded.consents == 0  # given when she was created
    assert (seeded.pipelines, seeded.leads, seeded.deals, seeded.deal_moves) == (1, 4, 8, 19)
    assert str(seeded).startswith("demo data seeded: 2 stores")


async def test_a_second_run_changes_nothing(
    seeded: SeedReport, container: Container, db: AsyncEngine
) -> None:
    before = await _row_counts(db)
    again = await seed_demo(container)
    assert again.changed_nothing, again
    assert str(again) == "demo data already present: nothing changed"
    assert await _row_counts(db) == before


async def test_the_sales_floor_has_deals_in_every_stage_with_their_history(
    seeded: SeedReport, db: AsyncEngine
) -> None:
    async with db.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT s.name, count(DISTINCT d.id) AS deals, count(m.id) AS moves"
            " FROM pipeline_stages s JOIN deals d ON d.stage_id = s.id"
            " JOIN deal_moves m ON m.deal_id = d.id GROUP BY s.name, s.position"
            " ORDER BY s.position"))).all()
        kinds = {row[0] for row in await connection.execute(text(
            "SELECT DISTINCT kind FROM deal_moves"))}
    assert [row[0] for row in rows] == ["Phone contact", "Meeting", "Product inspection",
                                        "Contract signed", "Pickup/delivery", "Won", "Lost"]
    assert all(moves > deals for _, deals, moves in rows if _ != "Phone contact")
    assert kinds == {"OPENED", "MOVED", "WON", "LOST", "REOPENED"}


async def test_the_prospects_leads_are_in_every_state(
    seeded: SeedReport, db: AsyncEngine
) -> None:
    async with db.connect() as connection:
        statuses = sorted(row[0] for row in await connection.execute(text(
            "SELECT status FROM leads")))
    assert statuses == ["CONTACTED", "NEW", "QUALIFIED", "UNQUALIFIED"]
