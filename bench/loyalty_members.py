"""Members for operation (d), the POS member screen. The bulk seed writes no loyalty, so the
bench enrols card holders in the demo programme by recording what they bought through the
use cases, as the tills would: a year and more of purchases (some outside the qualification
window, some whose points expire within days), a return now and then, and a reward taken.
Once per database: later runs find the programme's members and add nothing."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import asyncpg

from domain.loyalty.commands import (
    LineInput,
    RecordPurchase,
    RedeemReward,
    RefundLineInput,
    RefundPurchase,
)
from domain.loyalty.model import SalesChannel
from infrastructure.bootstrap import build_container
from infrastructure.postgres.engine import create_engine
from infrastructure.seed.demo import PROGRAMME_CODE, rewards_programme
from infrastructure.seed.vocabulary import PRODUCTS
from infrastructure.settings import Settings

MEMBERS = 1000
SEED = 12
PURCHASES_PER_MEMBER = (2, 3, 4, 5, 6, 8)
# The demo's points last 24 months: a purchase this many days ago has points expiring soon.
ABOUT_TO_EXPIRE = 715
CARD = "pos-card"


async def _card_holders(connection: asyncpg.Connection, count: int) -> list[UUID]:
    rows = await connection.fetch(
        "SELECT r.customer_id FROM external_refs r JOIN customers c ON c.id = r.customer_id"
        " WHERE r.system = $1 AND c.merged_into_id IS NULL AND c.erased_at IS NULL"
        " ORDER BY r.value LIMIT $2", CARD, count)
    return [row["customer_id"] for row in rows]


async def _members(connection: asyncpg.Connection) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM loyalty_memberships m JOIN loyalty_programmes p"
        " ON p.id = m.programme_id WHERE p.code = $1", PROGRAMME_CODE)
    return count


def _lines(rng: random.Random) -> tuple[LineInput, ...]:
    return tuple(
        LineInput(product.sku, rng.choice((1, 1, 2)), Decimal(product.price),
                  Decimal("20.00") if rng.random() < 0.2 else Decimal(0),
                  name=product.name, category=product.category)
        for product in rng.sample(PRODUCTS, rng.randint(1, 3)))


async def add_loyalty_members(url: str, members: int = MEMBERS) -> None:
    """Gives `members` card holders a purchase history in the demo programme; idempotent."""
    connection = await asyncpg.connect(url)
    try:
        if await _members(connection) >= members:
            return
        holders = await _card_holders(connection, members)
    finally:
        await connection.close()
    print(f"recording purchases for {len(holders):,} loyalty members (once; later runs "
          "reuse them)...", flush=True)
    engine = create_engine(url, pooled=False)
    try:
        use = build_container(Settings(database_url=url), engine).use_cases.loyalty
        now = datetime.now(UTC).replace(microsecond=0)
        await use.save_programme(rewards_programme(now.date(), partner_perks=False))
        rng = random.Random(SEED)
        for number, customer_id in enumerate(holders):
            days = sorted((rng.uniform(1, 420) for _ in range(rng.choice(PURCHASES_PER_MEMBER))),
                          reverse=True)
            if number % 4 == 0:
                days.insert(0, ABOUT_TO_EXPIRE - rng.uniform(0, 20))
            for sale, ago in enumerate(days):
                lines = _lines(rng)
                recorded = await use.record_purchase(RecordPurchase(
                    customer_id, SalesChannel.POS if sale % 3 else SalesChannel.WEB,
                    f"BENCH-{number}-{sale}", now - timedelta(days=ago), "CNY",
                    sum((line.quantity * line.unit_price - line.discount for line in lines),
                        Decimal(0)),
                    lines, programme_code=PROGRAMME_CODE))
                if rng.random() < 0.1:
                    await use.refund_purchase(RefundPurchase(
                        f"BENCH-R-{number}-{sale}", now - timedelta(days=ago / 2),
                        purchase_id=recorded.purchase.id, lines=(RefundLineInput(1, 1),)))
            if number % 7 == 0:
                await use.redeem_reward(RedeemReward(customer_id, "gift-wrap",
                                                     programme_code=PROGRAMME_CODE))
    finally:
        await engine.dispose()
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def member_cards(connection: asyncpg.Connection) -> list[str]:
    """The cards of the demo programme's members, in a stable order."""
    rows = await connection.fetch(
        "SELECT r.value FROM external_refs r JOIN loyalty_memberships m"
        " ON m.customer_id = r.customer_id JOIN loyalty_programmes p ON p.id = m.programme_id"
        " WHERE r.system = $1 AND p.code = $2 ORDER BY r.value", CARD, PROGRAMME_CODE)
    return [row["value"] for row in rows]
