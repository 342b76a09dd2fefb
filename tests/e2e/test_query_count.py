"""A page of customers with nested lists costs a constant number of SQL statements: one
when compiled, and the same for 5 rows as for 50 (no N+1) when executed field by field."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from domain.cases.commands import OpenCase, StartCase
from domain.cases.model import CaseKind
from domain.customers.commands import ContactPointInput, CreateCustomer, ExternalReferenceInput
from domain.customers.model import ContactKind
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel
from domain.loyalty.commands import LineInput, RecordPurchase, SaveProgramme, TierSpec
from domain.loyalty.model import SalesChannel
from infrastructure.bootstrap import Container
from tests.conftest import StatementCounter
from tests.e2e.api import Api, Gql
from tests.e2e.loyalty_api import LoyaltyApi
from tests.e2e.partners_api import (
    PartnerCounter,
    PartnersApi,
    lisa_customer,
    payload,
    set_up_alliance,
)

PAGE_WITH_NESTED_LISTS = """
query Page($first: Int!) {
  customers(first: $first) {
    edges {
      node {
        id displayName tags
        contactPoints { kind value verified }
        timeline(first: 5) { edges { node { id channel kind occurredAt summary } } }
        cases(status: [OPEN, IN_PROGRESS]) { nodes { id subject status dueAt } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


async def _customer_with_history(container: Container, number: int) -> None:
    use_cases, now = container.use_cases, datetime.now(UTC)
    customer = await use_cases.customers.create_customer(CreateCustomer(
        profile={"display_name": f"Customer {number}", "tags": ("vip", "films")},
        contact_points=(
            ContactPointInput(ContactKind.EMAIL, f"c{number}@example.com"),
            ContactPointInput(ContactKind.PHONE, f"+86 138 0000 {number:04d}"),
        ),
    ))
    for day in range(7):
        await use_cases.interactions.record_interaction(RecordInteraction(
            customer.id, Channel.POS, "purchase", now - timedelta(days=day), summary="till",
        ))
    opened = await use_cases.cases.open_case(OpenCase(CaseKind.REQUEST, "alteration", customer.id))
    await use_cases.cases.start_case(StartCase(opened.id))
    await use_cases.cases.open_case(OpenCase(CaseKind.ENQUIRY, "stock", customer.id))


async def _statements_for_page(
    client: httpx.AsyncClient, statement_counter: StatementCounter, size: int
) -> int:
    with statement_counter() as statements:
        response = await client.post(
            "/graphql", json={"query": PAGE_WITH_NESTED_LISTS, "variables": {"first": size}}
        )
    body = response.json()
    assert "errors" not in body, body
    edges = body["data"]["customers"]["edges"]
    assert len(edges) == size
    assert all(len(e["node"]["timeline"]["edges"]) == 5 for e in edges)
    assert all(len(e["node"]["cases"]["nodes"]) == 2 for e in edges)
    assert all(len(e["node"]["contactPoints"]) == 2 for e in edges)
    return len(statements)


async def test_a_compiled_page_of_customers_with_nested_lists_is_one_statement(
    container: Container, client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    for number in range(50):
        await _customer_with_history(container, number)
    await _statements_for_page(client, statement_counter, 50)  # warm-up, as below

    assert await _statements_for_page(client, statement_counter, 5) == 1
    assert await _statements_for_page(client, statement_counter, 50) == 1



async def test_a_compiled_page_writes_its_size_into_the_statement(
    container: Container, client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    """Compiled reads run generic plans, and a generic plan of `LIMIT $1` is planned for a
    tenth of the table: at a million customers, a scan and sort of all of them. A size
    written into the statement is planned as the index read it is."""
    for number in range(3):
        await _customer_with_history(container, number)
    query = "query($first: Int!) { customers(first: $first) { nodes { id } } }"

    sizes_seen = []
    for size in (2, 3):
        with statement_counter() as statements:
            await client.post("/graphql", json={"query": query, "variables": {"first": size}})
        sizes_seen.append([f"LIMIT {size}" in statement for statement in statements])

    assert sizes_seen == [[True], [True]]

async def test_an_executed_page_of_customers_with_nested_lists_costs_constant_statements(
    container: Container, executed_client: httpx.AsyncClient,
    statement_counter: StatementCounter,
) -> None:
    for number in range(50):
        await _customer_with_history(container, number)
    # asyncpg introspects a type the first time a connection meets it: a one-off per pooled
    # connection, not a cost of the request, so the counted requests come after one warm-up.
    await _statements_for_page(executed_client, statement_counter, 50)

    for_five = await _statements_for_page(executed_client, statement_counter, 5)
    for_fifty = await _statements_for_page(executed_client, statement_counter, 50)

    assert for_five == for_fifty, (for_five, for_fifty)
    assert for_fifty <= 6


async def test_the_counter_sees_prepared_reads_that_bypass_sqlalchemy(
    container: Container, executed_client: httpx.AsyncClient,
    statement_counter: StatementCounter,
) -> None:
    client = executed_client
    await _customer_with_history(container, 1)
    listed = await client.post("/graphql", json={"query": "{ customers { nodes { id } } }"})
    customer_id = listed.json()["data"]["customers"]["nodes"][0]["id"]
    request = {
        "query": "query($id: ID!) { customer(id: $id) { contactPoints { value } } }",
        "variables": {"id": customer_id},
    }
    await client.post("/graphql", json=request)  # warm-up, as above

    with statement_counter() as statements:
        await client.post("/graphql", json=request)

    assert len(statements) == 2, statements


# Loyalty: compiled into one statement, and batched like the rest when executed.

PAGE_WITH_LOYALTY = """
query Page($first: Int!) {
  customers(first: $first) {
    nodes {
      id displayName
      loyalty {
        tier { code discountPercent } nextTier { code } spendToNextTier { amount }
        pointsBalance pointsExpiringSoon
        ledger(first: 5) { edges { node { id kind points purchase { orderId } } } }
        tierHistory { reason toTier { code } }
      }
      purchases(first: 5) { nodes { id orderId netAmount { amount } lines { sku points } } }
    }
  }
}
"""


async def _member_with_purchases(container: Container, programme: str, number: int) -> None:
    use_cases, now = container.use_cases, datetime.now(UTC)
    customer = await use_cases.customers.create_customer(CreateCustomer(
        profile={"display_name": f"Member {number}"}))
    for sale in range(3):
        await use_cases.loyalty.record_purchase(RecordPurchase(
            customer.id, SalesChannel.POS, f"Q-{number}-{sale}", now - timedelta(days=sale),
            "CNY", Decimal("120.00"), (LineInput("COAT", 1, Decimal("120.00")),),
            programme_code=programme,
        ))


async def _statements_for_loyalty_page(
    client: httpx.AsyncClient, statement_counter: StatementCounter, size: int
) -> int:
    with statement_counter() as statements:
        response = await client.post(
            "/graphql", json={"query": PAGE_WITH_LOYALTY, "variables": {"first": size}})
    body = response.json()
    assert "errors" not in body, body
    nodes = body["data"]["customers"]["nodes"]
    assert len(nodes) == size
    assert all(len(n["loyalty"]["ledger"]["edges"]) == 3 for n in nodes)
    assert all(len(n["purchases"]["nodes"]) == 3 for n in nodes)
    return len(statements)


async def _club_members(container: Container, members: int) -> None:
    tiers = (TierSpec("member", "Member", Decimal(0)), TierSpec("silver", "Silver", Decimal(300)))
    await container.use_cases.loyalty.save_programme(SaveProgramme("club", "Club", "CNY", tiers))
    for number in range(members):
        await _member_with_purchases(container, "club", number)


async def test_a_compiled_page_of_members_with_their_loyalty_and_purchases_is_one_statement(
    container: Container, client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    await _club_members(container, 50)
    await _statements_for_loyalty_page(client, statement_counter, 50)  # warm-up, as above

    assert await _statements_for_loyalty_page(client, statement_counter, 5) == 1
    assert await _statements_for_loyalty_page(client, statement_counter, 50) == 1


# What the till shows when a member hands over her card.
POS_MEMBER_SCREEN = """
query PosMemberScreen($card: String!) {
  customer(externalRef: {system: "pos-card", value: $card}) {
    id displayName
    loyalty {
      tier { name discountPercent } nextTier { name } spendToNextTier { amount currencyCode }
      pointsBalance pointsExpiringSoon
      ledger(first: 10) { edges { node { id kind points occurredAt purchase { orderId } } } }
      tierHistory { fromTier { name } toTier { name } reason occurredAt }
    }
    purchases(first: 5) {
      nodes { id orderId occurredAt netAmount { amount currencyCode }
              lines { sku name quantity netAmount { amount } points } }
    }
  }
}
"""


async def test_the_pos_member_screen_is_one_statement(
    container: Container, client: httpx.AsyncClient, statement_counter: StatementCounter
) -> None:
    await _club_members(container, 0)
    customer = await container.use_cases.customers.create_customer(CreateCustomer(
        profile={"display_name": "Mrs. Li"},
        external_refs=(ExternalReferenceInput("pos-card", "HZ-000001"),)))
    for sale in range(3):
        await container.use_cases.loyalty.record_purchase(RecordPurchase(
            customer.id, SalesChannel.POS, f"HZ-{sale}", datetime.now(UTC), "CNY",
            Decimal("120.00"), (LineInput("COAT", 1, Decimal("120.00")),)))
    request = {"query": POS_MEMBER_SCREEN, "variables": {"card": "HZ-000001"}}
    await client.post("/graphql", json=request)  # warm-up, as above

    with statement_counter() as statements:
        response = await client.post("/graphql", json=request)

    member = response.json()["data"]["customer"]
    assert (member["displayName"], member["loyalty"]["tier"]["name"]) == ("Mrs. Li", "Silver")
    assert len(member["purchases"]["nodes"]) == 3
    assert len(statements) == 1, statements


async def test_an_executed_page_of_members_with_their_loyalty_costs_constant_statements(
    container: Container, executed_client: httpx.AsyncClient,
    statement_counter: StatementCounter,
) -> None:
    client = executed_client
    await _club_members(container, 50)
    await _statements_for_loyalty_page(client, statement_counter, 50)  # warm-up, as above

    for_five = await _statements_for_loyalty_page(client, statement_counter, 5)
    for_fifty = await _statements_for_loyalty_page(client, statement_counter, 50)

    assert for_five == for_fifty, (for_five, for_fifty)
    # The customers; the programme with its tiers, rules and rewards; memberships, totals,
    # expiring points, ledgers, tier histories; purchases (by page and by id, each with
    # lines and refunds): one statement each, whatever the page size.
    assert for_fifty <= 16, for_fifty


# A partner's counter: a redemption's writes are fixed statements, a constant number.

# What a till asks (as bench/operations.py): nothing read back beyond the redemption.
TILL_REDEEM = """mutation GrantRedeem($input: GrantRedeemInput!) {
  grantRedeem(input: $input) {
    redemption { id location redeemedAt }
    replayed
    userErrors { field code message }
  }
}"""


async def test_a_redemption_at_the_counter_costs_ten_statements(
    api: Api, loyalty: LoyaltyApi, gql: Gql, statement_counter: StatementCounter
) -> None:
    alliance = await set_up_alliance(api, loyalty, gql)
    partners, cinema = PartnersApi(gql), PartnerCounter(gql, alliance.cinema_key)
    mei = await lisa_customer(api, alliance.store, ref="MEI-1", name="Mei")
    first, second = [(await partners.issue(alliance.offer, member))["code"]
                     for member in (alliance.lisa, mei)]

    async def redeem(code: str, key: str) -> dict[str, Any]:
        return payload(await cinema.ask(TILL_REDEEM, {"input": {
            "code": code, "idempotencyKey": key, "location": "Jing'an counter 2"}}),
            "grantRedeem")

    assert (await redeem(first, "warm-up"))["redemption"]
    with statement_counter() as statements:
        redeemed = await redeem(second, "counted")

    assert redeemed["redemption"]
    # asyncpg reads the types of a statement's values on a connection's first use of them:
    # once per pooled connection, which the warm-up may not have been.
    sent = [sql for sql in statements
            if "typeinfo_tree" not in sql and "set_config('jit'" not in sql]
    # Her key; the partner with its misses; the member held; the grant locked with its
    # offer; an earlier redemption of the key; the redemption, the grant, the period held,
    # the settlement entry; the outbox row with the audit entry. With BEGIN and COMMIT,
    # which are not counted here, 12 on the wire.
    assert len(sent) == 10, "\n---\n".join(sent)
