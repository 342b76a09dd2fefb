"""The partner counter benchmark: `grantValidate` (the cinema's hot read) and `grantRedeem`
(its write) over HTTP with the cinema's own API key, against the baseline's hand-written
reads and transaction (bench/baseline_partners.py), on a database of its own made fresh
for the run.

The demo's cinema and its ticket offer are created through the use cases, its API key too;
the grants are copied in (the bench measures redeeming them, not issuing them), each with
a fresh code for one of the seeded members, half of whom share with partners so that the
counter sees a member in some answers and none in others. Every redemption request names
a code no other request names, so each one redeems (none replays or is refused); the
validations read codes of their own, never redeemed, so their answers stay the same and
are compared with the baseline's before measuring.
"""

import itertools
import random
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import orjson

from bench.database import fresh_database
from bench.operations import GRANT_REDEEM, GRANT_VALIDATE, Goal
from bench.purchases import seed_members
from domain.customers.model import ConsentPurpose
from domain.partners import codes
from domain.partners.commands import ChangeOfferStatus, CreatePartnerApiClient
from domain.partners.model import GrantState, OfferStatus
from domain.shared.ids import new_id
from infrastructure.bootstrap import build_container
from infrastructure.postgres.engine import create_engine
from infrastructure.seed.demo import CINEMA, PARTNERS, ticket_offer
from infrastructure.settings import Settings

VALIDATE, REDEEM = "grant_validate", "grant_redeem"
DATABASE = "rapport_bench_redemptions"
# grantRedeem: at least half the baseline's throughput and a p99 at most 1.5 times its own
# (the issue's goal). grantValidate has none yet: its figures and statements are reported.
REDEEM_GOAL = Goal(throughput_ratio=0.5, p99_ratio=1.5, statements=None)
VALIDATE_GOAL = Goal(throughput_ratio=None, p99_ratio=None, statements=None)
VALIDATED_CODES = 2_000
LOCATION = "Lumière Jing'an, box office 2"
_GRANT_COLUMNS = ("id", "offer_id", "partner_id", "customer_id", "code", "source_key",
                  "issued_at", "expires_at", "issued_by", "state")


@dataclass(frozen=True)
class Counter:
    """What the cinema's counter has: its key, and the codes members show it."""

    key: str
    redeemable: dict[str, tuple[str, ...]]  # by stream: each code redeemed once, by it
    validated: tuple[str, ...]  # read again and again, never redeemed


@asynccontextmanager
async def redemptions_database(
    database_url: str | None, members: int, grants: Mapping[str, int]
) -> AsyncIterator[tuple[str, Counter]]:
    """A fresh database with `members` enrolled members, the cinema and its offer, and
    issued grants: as many as `grants` says for each stream, plus those validated."""
    async with fresh_database(DATABASE, database_url) as url:
        await seed_members(url, members)
        counter = await _cinema_with_grants(url, grants)
        yield url, counter


async def _cinema_with_grants(url: str, grants: Mapping[str, int]) -> Counter:
    engine = create_engine(url, pooled=False)
    try:
        use = build_container(Settings(database_url=url), engine).use_cases.partners
        cinema = await use.create_partner(next(p for p in PARTNERS if p.code == CINEMA))
        offer = await use.create_offer(ticket_offer(cinema.id))
        await use.change_offer_status(ChangeOfferStatus(offer.id, OfferStatus.ACTIVE))
        issued = await use.create_partner_api_client(
            CreatePartnerApiClient(cinema.id, "bench-box-office"))
    finally:
        await engine.dispose()
    print(f"copying {sum(grants.values()) + VALIDATED_CODES:,} grants...", flush=True)
    redeemable = {stream: tuple(codes.new_code() for _ in range(count))
                  for stream, count in grants.items()}
    validated = tuple(codes.new_code() for _ in range(VALIDATED_CODES))
    connection = await asyncpg.connect(url)
    try:
        members = [row[0] for row in await connection.fetch(
            "SELECT customer_id FROM loyalty_memberships ORDER BY customer_id")]
        await connection.execute(_SHARING, ConsentPurpose.PARTNER_SHARING.value,
                                 datetime.now(UTC).isoformat())
        now = datetime.now(UTC)
        every = itertools.chain(validated, *redeemable.values())
        await connection.copy_records_to_table("partner_grants", columns=_GRANT_COLUMNS, records=[
            (new_id(), offer.id, cinema.id, members[number % len(members)], code,
             f"bench:{number}", now, now + timedelta(days=365), "bench", GrantState.ISSUED.value)
            for number, code in enumerate(every)])
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return Counter(issued.key, redeemable, validated)


# Every other member (by id) consents to partner sharing on her first contact point.
_SHARING = """
UPDATE contact_points SET consents = consents || jsonb_build_array(jsonb_build_object(
    'purpose', $1::text, 'granted', true, 'recorded_at', $2::text))
WHERE id IN (
    SELECT first_point FROM (
        SELECT min(id::text)::uuid AS first_point, row_number() OVER (ORDER BY customer_id) AS n
        FROM contact_points GROUP BY customer_id) AS points
    WHERE n % 2 = 0)
"""


def validate_requests(counter: Counter, seed: int, count: int) -> list[bytes]:
    """`count` validations of codes drawn from those never redeemed, as members show them
    (in groups of four): the same seed gives every target the same sequence."""
    rng = random.Random(f"{seed}:{VALIDATE}")
    return [orjson.dumps({"query": GRANT_VALIDATE,
                          "variables": {"code": codes.displayed(rng.choice(counter.validated))}})
            for _ in range(count)]


def redeem_requests(counter: Counter, stream: str) -> Iterator[bytes]:
    """Each of the stream's codes redeemed once, with an idempotency key of its own."""
    for number, code in enumerate(counter.redeemable[stream], start=1):
        yield orjson.dumps({"query": GRANT_REDEEM, "variables": {"input": {
            "code": codes.displayed(code), "idempotencyKey": f"bench-{stream}-{number}",
            "location": LOCATION}}})
    raise RuntimeError(f"every code of {stream} was redeemed: run again with more --grants")


async def probe(url: str, body: bytes, headers: dict[str, str]) -> list[Any]:
    """One redemption; what refused it (userErrors, GraphQL errors), empty when redeemed."""
    async with aiohttp.ClientSession() as session, session.post(
            url, data=body, headers=headers) as response:
        answer = await response.read()
    try:
        document = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return [f"{response.status}: {answer[:500].decode(errors='replace')}"]
    if document.get("errors"):
        return list(document["errors"])
    payload = (document.get("data") or {}).get("grantRedeem") or {}
    return list(payload.get("userErrors") or []) or (
        [] if payload.get("redemption") else [payload])


@dataclass(frozen=True)
class Redeemed:
    """What one stream left in the database: its redemptions, the grants they redeemed, and
    the settlement entries owed for them."""

    redemptions: int
    grants: int
    entries: int


async def redeemed_by(url: str, stream: str) -> Redeemed:
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT count(*) AS redemptions, count(DISTINCT r.grant_id) "
            "FILTER (WHERE g.state = 'REDEEMED') AS grants, count(e.id) AS entries "
            "FROM partner_redemptions r JOIN partner_grants g ON g.id = r.grant_id "
            "LEFT JOIN partner_settlement_entries e ON e.redemption_id = r.id "
            "WHERE r.idempotency_key ~ $1", f"^bench-{stream}-[0-9]+$")
    finally:
        await connection.close()
    return Redeemed(row["redemptions"], row["grants"], row["entries"])
