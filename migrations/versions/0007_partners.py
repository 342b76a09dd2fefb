"""Partners: the alliance's companies, their offers, the grants issued to members, the
redemptions and the purchases members make at partners, and what each side owes.

An offer's benefit, eligibility, trigger, quota and cost sharing are columns, not JSON:
issuing reads the trigger kind on every purchase, and amounts stay NUMERIC.
Settlement entries are append-only like the ledger (0005): a trigger refuses every UPDATE,
DELETE and TRUNCATE, and a correction is another entry. Each entry belongs to a period row
(foreign key), which is how a writer holds the period open while a close waits for it.
Every table of a member's data carries `customer_id`, the future distribution column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UPGRADE = [
    """CREATE TABLE partners (
        id UUID NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        industry TEXT NOT NULL,
        currency TEXT NOT NULL,
        contact_name TEXT,
        contact_email TEXT,
        terms_days INTEGER NOT NULL,
        earn_rate NUMERIC,
        point_value NUMERIC NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_partners PRIMARY KEY (id),
        CONSTRAINT uq_partners_code UNIQUE (code)
    )""",
    """CREATE TABLE partner_offers (
        id UUID NOT NULL,
        partner_id UUID NOT NULL,
        code TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        benefit_kind TEXT NOT NULL,
        benefit_item TEXT,
        benefit_amount NUMERIC,
        benefit_percent NUMERIC,
        benefit_multiplier NUMERIC,
        eligible_tier_codes TEXT[] DEFAULT '{}' NOT NULL,
        eligible_interests TEXT[] DEFAULT '{}' NOT NULL,
        eligible_programme_code TEXT,
        trigger_kind TEXT NOT NULL,
        trigger_category TEXT,
        trigger_sku TEXT,
        trigger_min_spend NUMERIC,
        trigger_tier_code TEXT,
        quota_total INTEGER,
        quota_per_member INTEGER,
        quota_per_period INTEGER,
        quota_period TEXT NOT NULL,
        cost_payer TEXT NOT NULL,
        cost_unit NUMERIC NOT NULL,
        cost_brand_share NUMERIC NOT NULL,
        valid_from TIMESTAMP WITH TIME ZONE,
        valid_until TIMESTAMP WITH TIME ZONE,
        grant_valid_days INTEGER NOT NULL,
        redeem_until TIMESTAMP WITH TIME ZONE,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_partner_offers PRIMARY KEY (id),
        CONSTRAINT uq_partner_offers_partner_id_code UNIQUE (partner_id, code),
        CONSTRAINT fk_partner_offers_partner_id_partners
            FOREIGN KEY(partner_id) REFERENCES partners (id)
    )""",
    "CREATE INDEX ix_partner_offers_issuing ON partner_offers (trigger_kind)"
    " WHERE status = 'ACTIVE'::text",
    """CREATE TABLE partner_grants (
        id UUID NOT NULL,
        offer_id UUID NOT NULL,
        partner_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        code TEXT NOT NULL,
        source_key TEXT NOT NULL,
        issued_at TIMESTAMP WITH TIME ZONE NOT NULL,
        expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
        issued_by TEXT NOT NULL,
        state TEXT NOT NULL,
        purchase_id UUID,
        reason TEXT,
        redeemed_at TIMESTAMP WITH TIME ZONE,
        revoked_at TIMESTAMP WITH TIME ZONE,
        CONSTRAINT pk_partner_grants PRIMARY KEY (id),
        CONSTRAINT uq_partner_grants_code UNIQUE (code),
        CONSTRAINT uq_partner_grants_offer_id_customer_id_source_key
            UNIQUE (offer_id, customer_id, source_key),
        CONSTRAINT fk_partner_grants_offer_id_partner_offers
            FOREIGN KEY(offer_id) REFERENCES partner_offers (id),
        CONSTRAINT fk_partner_grants_partner_id_partners
            FOREIGN KEY(partner_id) REFERENCES partners (id),
        CONSTRAINT fk_partner_grants_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_partner_grants_purchase_id_purchases
            FOREIGN KEY(purchase_id) REFERENCES purchases (id)
    )""",
    "CREATE INDEX ix_partner_grants_customer ON partner_grants (customer_id, issued_at)",
    "CREATE INDEX ix_partner_grants_purchase_id ON partner_grants (purchase_id)",
    "CREATE INDEX ix_partner_grants_offer_issued ON partner_grants (offer_id, issued_at)",
    "CREATE INDEX ix_partner_grants_expiring ON partner_grants (expires_at)"
    " WHERE state = 'ISSUED'::text",
    """CREATE TABLE partner_redemptions (
        id UUID NOT NULL,
        grant_id UUID NOT NULL,
        partner_id UUID NOT NULL,
        offer_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        idempotency_key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        location TEXT NOT NULL,
        redeemed_at TIMESTAMP WITH TIME ZONE NOT NULL,
        redeemed_by TEXT NOT NULL,
        amount NUMERIC,
        reversed_at TIMESTAMP WITH TIME ZONE,
        reverse_reason TEXT,
        CONSTRAINT pk_partner_redemptions PRIMARY KEY (id),
        CONSTRAINT uq_partner_redemptions_partner_id_idempotency_key
            UNIQUE (partner_id, idempotency_key),
        CONSTRAINT fk_partner_redemptions_grant_id_partner_grants
            FOREIGN KEY(grant_id) REFERENCES partner_grants (id),
        CONSTRAINT fk_partner_redemptions_partner_id_partners
            FOREIGN KEY(partner_id) REFERENCES partners (id),
        CONSTRAINT fk_partner_redemptions_offer_id_partner_offers
            FOREIGN KEY(offer_id) REFERENCES partner_offers (id),
        CONSTRAINT fk_partner_redemptions_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id)
    )""",
    "CREATE INDEX ix_partner_redemptions_grant_id ON partner_redemptions (grant_id)",
    "CREATE INDEX ix_partner_redemptions_customer_id ON partner_redemptions (customer_id)",
    """CREATE TABLE partner_purchases (
        id UUID NOT NULL,
        partner_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        programme_id UUID NOT NULL,
        order_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        amount NUMERIC NOT NULL,
        currency TEXT NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
        points INTEGER NOT NULL,
        earn_entry_id UUID,
        returned_amount NUMERIC DEFAULT '0' NOT NULL,
        returned_points INTEGER DEFAULT '0' NOT NULL,
        CONSTRAINT pk_partner_purchases PRIMARY KEY (id),
        CONSTRAINT uq_partner_purchases_partner_id_order_id UNIQUE (partner_id, order_id),
        CONSTRAINT fk_partner_purchases_partner_id_partners
            FOREIGN KEY(partner_id) REFERENCES partners (id),
        CONSTRAINT fk_partner_purchases_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_partner_purchases_programme_id_loyalty_programmes
            FOREIGN KEY(programme_id) REFERENCES loyalty_programmes (id)
    )""",
    "CREATE INDEX ix_partner_purchases_customer_id ON partner_purchases (customer_id)",
    """CREATE TABLE partner_settlement_periods (
        partner_id UUID NOT NULL,
        period TEXT NOT NULL,
        closed_at TIMESTAMP WITH TIME ZONE,
        closed_by TEXT,
        CONSTRAINT pk_partner_settlement_periods PRIMARY KEY (partner_id, period),
        CONSTRAINT fk_partner_settlement_periods_partner_id_partners
            FOREIGN KEY(partner_id) REFERENCES partners (id)
    )""",
    """CREATE TABLE partner_settlement_entries (
        id UUID NOT NULL,
        partner_id UUID NOT NULL,
        period TEXT NOT NULL,
        kind TEXT NOT NULL,
        amount NUMERIC NOT NULL,
        currency TEXT NOT NULL,
        occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
        offer_id UUID,
        redemption_id UUID,
        partner_purchase_id UUID,
        customer_id UUID,
        points INTEGER NOT NULL,
        CONSTRAINT pk_partner_settlement_entries PRIMARY KEY (id),
        CONSTRAINT fk_partner_settlement_entries_partner_id_partners
            FOREIGN KEY(partner_id) REFERENCES partners (id),
        CONSTRAINT fk_partner_settlement_entries_period
            FOREIGN KEY(partner_id, period)
            REFERENCES partner_settlement_periods (partner_id, period),
        CONSTRAINT fk_partner_settlement_entries_offer_id_partner_offers
            FOREIGN KEY(offer_id) REFERENCES partner_offers (id),
        CONSTRAINT fk_partner_settlement_entries_redemption_id_partner_redemptions
            FOREIGN KEY(redemption_id) REFERENCES partner_redemptions (id),
        CONSTRAINT fk_partner_settlement_entries_partner_purchase
            FOREIGN KEY(partner_purchase_id) REFERENCES partner_purchases (id),
        CONSTRAINT fk_partner_settlement_entries_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id)
    )""",
    "CREATE INDEX ix_partner_settlement_entries_period"
    " ON partner_settlement_entries (partner_id, period, occurred_at, id)",
    """CREATE TABLE partner_code_misses (
        id BIGSERIAL NOT NULL,
        caller TEXT NOT NULL,
        at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_partner_code_misses PRIMARY KEY (id)
    )""",
    "CREATE INDEX ix_partner_code_misses_caller_at ON partner_code_misses (caller, at)",
    "ALTER TABLE loyalty_ledger ADD COLUMN partner_id UUID",
    """ALTER TABLE loyalty_ledger ADD CONSTRAINT fk_loyalty_ledger_partner_id_partners
        FOREIGN KEY(partner_id) REFERENCES partners (id)""",
    """CREATE FUNCTION partner_settlement_entries_are_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'partner_settlement_entries is append-only: ' || TG_OP || ' refused';
    END
    $$""",
    """CREATE TRIGGER partner_settlement_entries_no_update_or_delete BEFORE UPDATE OR DELETE
        ON partner_settlement_entries FOR EACH ROW
        EXECUTE FUNCTION partner_settlement_entries_are_append_only()""",
    """CREATE TRIGGER partner_settlement_entries_no_truncate BEFORE TRUNCATE
        ON partner_settlement_entries FOR EACH STATEMENT
        EXECUTE FUNCTION partner_settlement_entries_are_append_only()""",
]

DOWNGRADE = [
    # The ledger's trigger refuses UPDATE, not ALTER: the column goes with its values.
    "ALTER TABLE loyalty_ledger DROP COLUMN IF EXISTS partner_id",
    "DROP TABLE IF EXISTS partner_code_misses",
    "DROP TABLE IF EXISTS partner_settlement_entries",
    "DROP TABLE IF EXISTS partner_settlement_periods",
    "DROP TABLE IF EXISTS partner_purchases",
    "DROP TABLE IF EXISTS partner_redemptions",
    "DROP TABLE IF EXISTS partner_grants",
    "DROP TABLE IF EXISTS partner_offers",
    "DROP TABLE IF EXISTS partners",
    "DROP FUNCTION IF EXISTS partner_settlement_entries_are_append_only()",
]


def upgrade() -> None:
    # One statement at a time: the asyncpg driver prepares each.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
