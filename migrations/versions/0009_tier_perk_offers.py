"""A tier's perk may point at the partner offer that gives it ("a free movie ticket at
Lumière Cinema" → the cinema's offer).

Only an expansion: a new table of the perks that point at an offer, keyed by the tier and
the perk's text. The texts, in order, stay in loyalty_tiers.perks, which the previous
release goes on reading and writing during a rolling upgrade; a perk it renames or drops
just no longer finds its row. Its deleting a tier takes the tier's rows along (ON DELETE
CASCADE), so that release's saves never fail on them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = [
    # Creating the foreign keys locks loyalty_tiers and partner_offers briefly: never wait
    # behind a long query with every request queued behind us (docs/operations.md).
    "SET LOCAL lock_timeout = '5s'",
    """CREATE TABLE loyalty_tier_perk_offers (
        tier_id UUID NOT NULL,
        perk TEXT NOT NULL,
        offer_id UUID NOT NULL,
        CONSTRAINT pk_loyalty_tier_perk_offers PRIMARY KEY (tier_id, perk),
        CONSTRAINT uq_loyalty_tier_perk_offers_tier_id_offer_id UNIQUE (tier_id, offer_id),
        CONSTRAINT fk_loyalty_tier_perk_offers_tier_id_loyalty_tiers
            FOREIGN KEY (tier_id) REFERENCES loyalty_tiers (id) ON DELETE CASCADE,
        CONSTRAINT fk_loyalty_tier_perk_offers_offer_id_partner_offers
            FOREIGN KEY (offer_id) REFERENCES partner_offers (id)
    )""",
]

DOWNGRADE = [
    "DROP TABLE IF EXISTS loyalty_tier_perk_offers",
]


def upgrade() -> None:
    # One statement at a time: the asyncpg driver prepares each.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
