"""Loyalty: programmes, tiers, rewards, memberships, purchases and returns, and
the points ledger with its lots.

The ledger is append-only in the database, like the audit log (0004): a trigger refuses
every UPDATE, DELETE and TRUNCATE of `loyalty_ledger`; a mistake is put right by another
entry. Balances (`loyalty_memberships.points_balance`) and lots' `remaining` are snapshots
kept in step with it; `rapport loyalty check` compares them with the sums.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = [
    """CREATE TABLE loyalty_programmes (
        id UUID NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        currency TEXT NOT NULL,
        measure TEXT NOT NULL,
        qualification_window TEXT NOT NULL,
        downgrade_policy TEXT NOT NULL,
        grace_months INTEGER NOT NULL,
        points_per_unit NUMERIC NOT NULL,
        birthday_multiplier NUMERIC NOT NULL,
        points_expire_after_months INTEGER,
        point_value NUMERIC NOT NULL,
        bonus_rules JSONB DEFAULT '[]'::jsonb NOT NULL,
        version INTEGER NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_loyalty_programmes PRIMARY KEY (id),
        CONSTRAINT uq_loyalty_programmes_code UNIQUE (code)
    )""",
    """CREATE TABLE loyalty_tiers (
        id UUID NOT NULL,
        programme_id UUID NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        rank INTEGER NOT NULL,
        threshold NUMERIC NOT NULL,
        discount_percent NUMERIC NOT NULL,
        earn_multiplier NUMERIC NOT NULL,
        perks TEXT[] DEFAULT '{}' NOT NULL,
        CONSTRAINT pk_loyalty_tiers PRIMARY KEY (id),
        CONSTRAINT uq_loyalty_tiers_programme_id_code UNIQUE (programme_id, code),
        CONSTRAINT fk_loyalty_tiers_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id)
    )""",
    """CREATE TABLE loyalty_rewards (
        id UUID NOT NULL,
        programme_id UUID NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        points_cost INTEGER NOT NULL,
        active BOOLEAN NOT NULL,
        CONSTRAINT pk_loyalty_rewards PRIMARY KEY (id),
        CONSTRAINT uq_loyalty_rewards_programme_id_code UNIQUE (programme_id, code),
        CONSTRAINT fk_loyalty_rewards_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id)
    )""",
    """CREATE TABLE loyalty_memberships (
        programme_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        tier_id UUID NOT NULL,
        tier_since TIMESTAMP WITH TIME ZONE NOT NULL,
        retained_tier_id UUID NOT NULL,
        enrolled_at TIMESTAMP WITH TIME ZONE NOT NULL,
        points_balance BIGINT NOT NULL,
        downgrade_due_at TIMESTAMP WITH TIME ZONE,
        override_tier_id UUID,
        override_reason TEXT,
        override_set_by TEXT,
        override_set_at TIMESTAMP WITH TIME ZONE,
        override_expires_at TIMESTAMP WITH TIME ZONE,
        reviewed_through TIMESTAMP WITH TIME ZONE,
        CONSTRAINT pk_loyalty_memberships PRIMARY KEY (programme_id, customer_id),
        CONSTRAINT fk_loyalty_memberships_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id),
        CONSTRAINT fk_loyalty_memberships_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_loyalty_memberships_tier_id_loyalty_tiers
            FOREIGN KEY(tier_id) REFERENCES loyalty_tiers (id),
        CONSTRAINT fk_loyalty_memberships_retained_tier_id_loyalty_tiers
            FOREIGN KEY(retained_tier_id) REFERENCES loyalty_tiers (id),
        CONSTRAINT fk_loyalty_memberships_override_tier_id_loyalty_tiers
            FOREIGN KEY(override_tier_id) REFERENCES loyalty_tiers (id)
    )""",
    "CREATE INDEX ix_loyalty_memberships_customer_id ON loyalty_memberships (customer_id)",
    """CREATE TABLE loyalty_tier_changes (
        id BIGSERIAL NOT NULL,
        programme_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        from_tier_id UUID,
        to_tier_id UUID NOT NULL,
        reason TEXT NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        actor TEXT NOT NULL,
        note TEXT,
        CONSTRAINT pk_loyalty_tier_changes PRIMARY KEY (id),
        CONSTRAINT fk_loyalty_tier_changes_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id),
        CONSTRAINT fk_loyalty_tier_changes_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_loyalty_tier_changes_from_tier_id_loyalty_tiers
            FOREIGN KEY(from_tier_id) REFERENCES loyalty_tiers (id),
        CONSTRAINT fk_loyalty_tier_changes_to_tier_id_loyalty_tiers
            FOREIGN KEY(to_tier_id) REFERENCES loyalty_tiers (id)
    )""",
    "CREATE INDEX ix_loyalty_tier_changes_member"
    " ON loyalty_tier_changes (customer_id, programme_id, id)",
    """CREATE TABLE purchases (
        id UUID NOT NULL,
        programme_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        channel TEXT NOT NULL,
        order_id TEXT NOT NULL,
        store_id UUID,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
        currency TEXT NOT NULL,
        payment_total NUMERIC NOT NULL,
        fingerprint TEXT NOT NULL,
        earn_entry_id UUID,
        net_amount NUMERIC NOT NULL,
        points INTEGER NOT NULL,
        refunded_amount NUMERIC DEFAULT '0' NOT NULL,
        refunded_points INTEGER DEFAULT '0' NOT NULL,
        CONSTRAINT pk_purchases PRIMARY KEY (id),
        CONSTRAINT uq_purchases_channel_order_id UNIQUE (channel, order_id),
        CONSTRAINT fk_purchases_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id),
        CONSTRAINT fk_purchases_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_purchases_store_id_stores FOREIGN KEY(store_id) REFERENCES stores (id)
    )""",
    "CREATE INDEX ix_purchases_customer_occurred"
    " ON purchases (customer_id, programme_id, occurred_at)",
    """CREATE TABLE purchase_lines (
        purchase_id UUID NOT NULL,
        line_no INTEGER NOT NULL,
        sku TEXT NOT NULL,
        name TEXT,
        category TEXT,
        quantity INTEGER NOT NULL,
        unit_price NUMERIC NOT NULL,
        discount NUMERIC NOT NULL,
        margin NUMERIC,
        points INTEGER NOT NULL,
        refunded_quantity INTEGER DEFAULT '0' NOT NULL,
        CONSTRAINT pk_purchase_lines PRIMARY KEY (purchase_id, line_no),
        CONSTRAINT ck_purchase_lines_refunded_at_most_bought
            CHECK (quantity > 0 AND refunded_quantity BETWEEN 0 AND quantity),
        CONSTRAINT fk_purchase_lines_purchase_id_purchases
            FOREIGN KEY(purchase_id) REFERENCES purchases (id)
    )""",
    """CREATE TABLE purchase_refunds (
        id UUID NOT NULL,
        purchase_id UUID NOT NULL,
        refund_ref TEXT NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_purchase_refunds PRIMARY KEY (id),
        CONSTRAINT uq_purchase_refunds_purchase_id_refund_ref UNIQUE (purchase_id, refund_ref),
        CONSTRAINT fk_purchase_refunds_purchase_id_purchases
            FOREIGN KEY(purchase_id) REFERENCES purchases (id)
    )""",
    """CREATE TABLE purchase_refund_lines (
        refund_id UUID NOT NULL,
        line_no INTEGER NOT NULL,
        quantity INTEGER NOT NULL,
        amount NUMERIC NOT NULL,
        points INTEGER NOT NULL,
        CONSTRAINT pk_purchase_refund_lines PRIMARY KEY (refund_id, line_no),
        CONSTRAINT fk_purchase_refund_lines_refund_id_purchase_refunds
            FOREIGN KEY(refund_id) REFERENCES purchase_refunds (id)
    )""",
    """CREATE TABLE loyalty_ledger (
        id UUID NOT NULL,
        programme_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        kind TEXT NOT NULL,
        points BIGINT NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
        actor TEXT NOT NULL,
        reason TEXT,
        purchase_id UUID,
        refund_id UUID,
        reward_id UUID,
        reverses_id UUID,
        lot_id UUID,
        expires_at TIMESTAMP WITH TIME ZONE,
        money_value NUMERIC,
        order_ref TEXT,
        CONSTRAINT pk_loyalty_ledger PRIMARY KEY (id),
        CONSTRAINT ck_loyalty_ledger_points_sign_fits_kind
            CHECK ((kind = 'EARN' AND points > 0)
            OR (kind IN ('REDEEM', 'EXPIRE', 'REVERSE') AND points < 0)
            OR (kind = 'ADJUST' AND points <> 0)),
        CONSTRAINT fk_loyalty_ledger_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id),
        CONSTRAINT fk_loyalty_ledger_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_loyalty_ledger_purchase_id_purchases
            FOREIGN KEY(purchase_id) REFERENCES purchases (id),
        CONSTRAINT fk_loyalty_ledger_refund_id_purchase_refunds
            FOREIGN KEY(refund_id) REFERENCES purchase_refunds (id),
        CONSTRAINT fk_loyalty_ledger_reward_id_loyalty_rewards
            FOREIGN KEY(reward_id) REFERENCES loyalty_rewards (id),
        CONSTRAINT fk_loyalty_ledger_reverses_id_loyalty_ledger
            FOREIGN KEY(reverses_id) REFERENCES loyalty_ledger (id),
        CONSTRAINT fk_loyalty_ledger_lot_id_loyalty_ledger
            FOREIGN KEY(lot_id) REFERENCES loyalty_ledger (id)
    )""",
    "CREATE INDEX ix_loyalty_ledger_member"
    " ON loyalty_ledger (customer_id, programme_id, recorded_at, id)",
    """CREATE TABLE loyalty_point_lots (
        entry_id UUID NOT NULL,
        programme_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        earned_at TIMESTAMP WITH TIME ZONE NOT NULL,
        expires_at TIMESTAMP WITH TIME ZONE,
        points BIGINT NOT NULL,
        remaining BIGINT NOT NULL,
        CONSTRAINT pk_loyalty_point_lots PRIMARY KEY (entry_id),
        CONSTRAINT ck_loyalty_point_lots_remaining_within_lot
            CHECK (remaining BETWEEN 0 AND points),
        CONSTRAINT fk_loyalty_point_lots_entry_id_loyalty_ledger
            FOREIGN KEY(entry_id) REFERENCES loyalty_ledger (id),
        CONSTRAINT fk_loyalty_point_lots_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id),
        CONSTRAINT fk_loyalty_point_lots_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id)
    )""",
    "CREATE INDEX ix_loyalty_point_lots_expiring"
    " ON loyalty_point_lots (programme_id, expires_at) WHERE remaining > 0",
    "CREATE INDEX ix_loyalty_point_lots_open"
    " ON loyalty_point_lots (customer_id, programme_id, earned_at) WHERE remaining > 0",
    """CREATE FUNCTION loyalty_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'loyalty_ledger is append-only: ' || TG_OP || ' refused';
    END
    $$""",
    """CREATE TRIGGER loyalty_ledger_no_update_or_delete BEFORE UPDATE OR DELETE
        ON loyalty_ledger FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_is_append_only()""",
    """CREATE TRIGGER loyalty_ledger_no_truncate BEFORE TRUNCATE ON loyalty_ledger
        FOR EACH STATEMENT EXECUTE FUNCTION loyalty_ledger_is_append_only()""",
]

DOWNGRADE = [
    "DROP TABLE IF EXISTS loyalty_point_lots",
    "DROP TABLE IF EXISTS loyalty_ledger",
    "DROP TABLE IF EXISTS purchase_refund_lines",
    "DROP TABLE IF EXISTS purchase_refunds",
    "DROP TABLE IF EXISTS purchase_lines",
    "DROP TABLE IF EXISTS purchases",
    "DROP TABLE IF EXISTS loyalty_tier_changes",
    "DROP TABLE IF EXISTS loyalty_memberships",
    "DROP TABLE IF EXISTS loyalty_rewards",
    "DROP TABLE IF EXISTS loyalty_tiers",
    "DROP TABLE IF EXISTS loyalty_programmes",
    "DROP FUNCTION IF EXISTS loyalty_ledger_is_append_only()",
]


def upgrade() -> None:
    # One statement at a time: the asyncpg driver prepares each.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
