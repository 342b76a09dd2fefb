"""A revoked grant no longer holds its source: a member's grant of an offer is unique per
source ("birthday:2026", "tier:<id>", "purchase:<id>") among the grants not revoked, so
that a birthday purchase returned whole gives her birthday benefit back to her next
purchase that month, as the quota already did (its counts leave revoked grants out).
Redeemed and expired grants still hold theirs: she had the benefit, or let it lapse.

The unique constraint of 0007 becomes a partial unique index on the same columns. Both
releases run on this schema during the rolling upgrade: the previous one inserts grants
with ON CONFLICT DO NOTHING, which the partial index serves as the constraint did, so it
only learns to reissue a revoked grant's source too. A revoked grant never becomes
anything else (only an issued one is revoked, and a revoked one is never reinstated), so
no update can make two grants of one source both live.

Locks: the index is built before the constraint is dropped, so no moment is without
either, under one ACCESS EXCLUSIVE lock taken first (a lock taken weaker and upgraded
later deadlocks with a writer that read the table before it wrote). On a large table,
build the index beforehand without blocking anyone, and this migration then only swaps
the catalog entries, in milliseconds (docs/operations.md, upgrades):

    CREATE UNIQUE INDEX CONCURRENTLY uq_partner_grants_unrevoked_source
        ON partner_grants (offer_id, customer_id, source_key) WHERE state <> 'REVOKED';

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-16
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEX = "uq_partner_grants_unrevoked_source"
CONSTRAINT = "uq_partner_grants_offer_id_customer_id_source_key"

UPGRADE = [
    # Never wait behind a long query with every request queued behind us.
    "SET LOCAL lock_timeout = '5s'",
    "LOCK TABLE partner_grants IN ACCESS EXCLUSIVE MODE",
    # A concurrent build that failed leaves an invalid index of the name, which IF NOT
    # EXISTS would take for the real one: refuse, rather than drop the constraint for it.
    f"""DO $$
    BEGIN
        IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   WHERE c.relname = '{INDEX}' AND NOT i.indisvalid) THEN
            RAISE EXCEPTION 'index {INDEX} is invalid (a concurrent build failed):'
                ' drop it and build it again, or let this migration build it';
        END IF;
    END
    $$""",
    f"""CREATE UNIQUE INDEX IF NOT EXISTS {INDEX}
        ON partner_grants (offer_id, customer_id, source_key) WHERE state <> 'REVOKED'""",
    f"ALTER TABLE partner_grants DROP CONSTRAINT {CONSTRAINT}",
]

DOWNGRADE = [
    "SET LOCAL lock_timeout = '5s'",
    "LOCK TABLE partner_grants IN ACCESS EXCLUSIVE MODE",
    # A revoked grant whose source was issued again, or revoked again, shares it with
    # another grant: it keeps its source apart, as a merge keeps a clashing one, so that
    # the constraint can hold and no grant is lost.
    """UPDATE partner_grants g SET source_key = g.source_key || ' revoked ' || g.id::text
        WHERE g.state = 'REVOKED' AND EXISTS (
            SELECT 1 FROM partner_grants other
            WHERE other.offer_id = g.offer_id AND other.customer_id = g.customer_id
                AND other.source_key = g.source_key AND other.id <> g.id)""",
    f"""ALTER TABLE partner_grants ADD CONSTRAINT {CONSTRAINT}
        UNIQUE (offer_id, customer_id, source_key)""",
    f"DROP INDEX IF EXISTS {INDEX}",
]


def upgrade() -> None:
    # One statement at a time: the asyncpg driver prepares each.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
