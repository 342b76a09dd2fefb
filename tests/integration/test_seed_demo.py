"""The demo seed tells the stories of DESIGN.md §1, and a second run changes nothing."""

from uuid import UUID

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.cases.model import CaseKind, CaseStatus
from domain.customers.model import ConsentPurpose, ContactKind, Customer, Occasion, Relationship
from domain.interactions.model import Channel, Direction, GeoPoint, Interaction
from domain.loyalty.model import LedgerKind
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container, build_container
from infrastructure.postgres.cases_repository import case_from_row
from infrastructure.postgres.customers_repository import PgCustomerRepository
from infrastructure.postgres.interactions_repository import interaction_from_row
from infrastructure.postgres.tables import ALL_TABLES, cases, interactions, staff
from infrastructure.seed.demo import PROGRAMME_CODE, SERVICE_LEAD, SeedReport, seed_demo
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
    purchase = next(i for i in timeline if i.kind == "purchase" and i.channel is Channel.POS)
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


async def test_lisa_is_a_member_with_the_points_of_her_app_order(
    seeded: SeedReport, container: Container, db: AsyncEngine
) -> None:
    lisa = await _customer(db, "wechat", "oLisa9Zr3kT2mQ8vX1pN4dY7wH0e")
    loyalty = container.queries.loyalty
    programme = await loyalty.programme(PROGRAMME_CODE)
    assert programme is not None

    membership = (await loyalty.memberships(programme.id, [lisa.id]))[lisa.id]
    purchases = (await loyalty.purchases([lisa.id], PageRequest(first=10)))[lisa.id].nodes

    assert programme.tier(membership.tier_id).code == "member"
    assert [p.channel.value for p in purchases] == ["MOBILE_APP"]
    assert membership.points_balance == purchases[0].points > 0


async def test_the_first_run_reports_what_it_created(seeded: SeedReport) -> None:
    assert (seeded.stores, seeded.staff, seeded.routing_rules, seeded.customers) == (2, 3, 1, 2)
    assert seeded.interactions == 10
    assert (seeded.cases, seeded.case_transitions) == (1, 2)
    assert (seeded.programmes, seeded.purchases, seeded.refunds, seeded.redemptions) == (
        1, 5, 1, 1)
    assert str(seeded).startswith("demo data seeded: 2 stores")


async def test_a_second_run_changes_nothing(
    seeded: SeedReport, container: Container, db: AsyncEngine
) -> None:
    before = await _row_counts(db)
    again = await seed_demo(container)
    assert again.changed_nothing, again
    assert str(again) == "demo data already present: nothing changed"
    assert await _row_counts(db) == before
