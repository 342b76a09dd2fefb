"""The sales pipeline: pipelines and their ordered stages, leads, deals, the history of
their moves, and the interactions and cases linked to a deal.

A deal's stage is one of its own pipeline's: the foreign key is (pipeline_id, stage_id), so
no write can put a deal in another pipeline's stage. Stages are never deleted (retired).
The moves are append-only like the settlement entries (0007): a trigger refuses DELETE,
TRUNCATE and every UPDATE but one that changes `customer_id` alone, which is how a merge
moves her history with her. A customer has one open lead at most (a partial unique index).
Every table of a customer's data carries `customer_id`, the future distribution column.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-09
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OPEN_LEAD = "status = ANY (ARRAY['NEW'::text, 'CONTACTED'::text])"

UPGRADE = [
    """CREATE TABLE pipelines (
        id UUID NOT NULL,
        code TEXT NOT NULL,
        name TEXT NOT NULL,
        currency TEXT NOT NULL,
        allow_skips BOOLEAN NOT NULL,
        version INTEGER NOT NULL,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
        CONSTRAINT pk_pipelines PRIMARY KEY (id),
        CONSTRAINT uq_pipelines_code UNIQUE (code)
    )""",
    """CREATE TABLE pipeline_stages (
        id UUID NOT NULL,
        pipeline_id UUID NOT NULL,
        name TEXT NOT NULL,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL,
        probability NUMERIC NOT NULL,
        sla_days INTEGER,
        retired_at TIMESTAMP WITH TIME ZONE,
        CONSTRAINT pk_pipeline_stages PRIMARY KEY (id),
        CONSTRAINT uq_pipeline_stages_pipeline_id_id UNIQUE (pipeline_id, id),
        CONSTRAINT fk_pipeline_stages_pipeline_id_pipelines
            FOREIGN KEY(pipeline_id) REFERENCES pipelines (id)
    )""",
    """CREATE TABLE leads (
        id UUID NOT NULL,
        customer_id UUID NOT NULL,
        status TEXT NOT NULL,
        source_channel TEXT,
        source_campaign TEXT,
        source_referred_by_id UUID,
        source_interaction_id UUID,
        owner_id UUID,
        store_id UUID,
        next_follow_up_on DATE,
        unqualified_reason TEXT,
        deal_id UUID,
        created_at TIMESTAMP WITH TIME ZONE NOT NULL,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
        closed_at TIMESTAMP WITH TIME ZONE,
        version INTEGER NOT NULL,
        CONSTRAINT pk_leads PRIMARY KEY (id),
        CONSTRAINT fk_leads_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_leads_source_referred_by_id_customers
            FOREIGN KEY(source_referred_by_id) REFERENCES customers (id),
        CONSTRAINT fk_leads_source_interaction_id_interactions
            FOREIGN KEY(source_interaction_id) REFERENCES interactions (id),
        CONSTRAINT fk_leads_owner_id_staff FOREIGN KEY(owner_id) REFERENCES staff (id),
        CONSTRAINT fk_leads_store_id_stores FOREIGN KEY(store_id) REFERENCES stores (id)
    )""",
    f"CREATE UNIQUE INDEX uq_leads_open_customer ON leads (customer_id) WHERE {OPEN_LEAD}",
    "CREATE INDEX ix_leads_customer_id ON leads (customer_id, created_at)",
    "CREATE INDEX ix_leads_created_at ON leads (created_at, id)",
    """CREATE TABLE deals (
        id UUID NOT NULL,
        customer_id UUID NOT NULL,
        pipeline_id UUID NOT NULL,
        stage_id UUID NOT NULL,
        lead_id UUID,
        title TEXT NOT NULL,
        amount NUMERIC NOT NULL,
        currency TEXT NOT NULL,
        owner_id UUID,
        store_id UUID,
        expected_close_on DATE,
        source_channel TEXT,
        source_campaign TEXT,
        source_referred_by_id UUID,
        source_interaction_id UUID,
        status TEXT NOT NULL,
        lost_reason TEXT,
        purchase_id UUID,
        product_skus TEXT[] DEFAULT '{}' NOT NULL,
        product_quantities INTEGER[] DEFAULT '{}' NOT NULL,
        opened_at TIMESTAMP WITH TIME ZONE NOT NULL,
        stage_entered_at TIMESTAMP WITH TIME ZONE NOT NULL,
        closed_at TIMESTAMP WITH TIME ZONE,
        updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
        version INTEGER NOT NULL,
        CONSTRAINT pk_deals PRIMARY KEY (id),
        CONSTRAINT ck_deals_amount_not_negative CHECK (amount >= 0),
        CONSTRAINT ck_deals_products_paired
            CHECK (cardinality(product_skus) = cardinality(product_quantities)),
        CONSTRAINT fk_deals_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_deals_pipeline_id_pipelines
            FOREIGN KEY(pipeline_id) REFERENCES pipelines (id),
        CONSTRAINT fk_deals_stage FOREIGN KEY(pipeline_id, stage_id)
            REFERENCES pipeline_stages (pipeline_id, id),
        CONSTRAINT fk_deals_lead_id_leads FOREIGN KEY(lead_id) REFERENCES leads (id),
        CONSTRAINT fk_deals_owner_id_staff FOREIGN KEY(owner_id) REFERENCES staff (id),
        CONSTRAINT fk_deals_store_id_stores FOREIGN KEY(store_id) REFERENCES stores (id),
        CONSTRAINT fk_deals_source_referred_by_id_customers
            FOREIGN KEY(source_referred_by_id) REFERENCES customers (id),
        CONSTRAINT fk_deals_source_interaction_id_interactions
            FOREIGN KEY(source_interaction_id) REFERENCES interactions (id),
        CONSTRAINT fk_deals_purchase_id_purchases
            FOREIGN KEY(purchase_id) REFERENCES purchases (id)
    )""",
    "CREATE INDEX ix_deals_stage ON deals (stage_id, stage_entered_at, id)",
    "CREATE INDEX ix_deals_customer_id ON deals (customer_id, opened_at)",
    "CREATE INDEX ix_deals_owner_id ON deals (owner_id, opened_at)",
    "CREATE INDEX ix_deals_store_id ON deals (store_id, opened_at)",
    "CREATE INDEX ix_deals_pipeline_opened ON deals (pipeline_id, opened_at)",
    "CREATE INDEX ix_deals_pipeline_closed ON deals (pipeline_id, closed_at)",
    "CREATE INDEX ix_deals_opened_at_id ON deals (opened_at, id)",
    """ALTER TABLE leads ADD CONSTRAINT fk_leads_deal_id_deals
        FOREIGN KEY(deal_id) REFERENCES deals (id)""",
    """CREATE TABLE deal_moves (
        id UUID NOT NULL,
        deal_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        pipeline_id UUID NOT NULL,
        from_stage_id UUID,
        to_stage_id UUID NOT NULL,
        kind TEXT NOT NULL,
        moved_at TIMESTAMP WITH TIME ZONE NOT NULL,
        moved_by TEXT NOT NULL,
        staff_id UUID,
        reason TEXT,
        CONSTRAINT pk_deal_moves PRIMARY KEY (id),
        CONSTRAINT fk_deal_moves_deal_id_deals FOREIGN KEY(deal_id) REFERENCES deals (id),
        CONSTRAINT fk_deal_moves_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_deal_moves_pipeline_id_pipelines
            FOREIGN KEY(pipeline_id) REFERENCES pipelines (id),
        CONSTRAINT fk_deal_moves_from_stage_id_pipeline_stages
            FOREIGN KEY(from_stage_id) REFERENCES pipeline_stages (id),
        CONSTRAINT fk_deal_moves_to_stage_id_pipeline_stages
            FOREIGN KEY(to_stage_id) REFERENCES pipeline_stages (id),
        CONSTRAINT fk_deal_moves_staff_id_staff FOREIGN KEY(staff_id) REFERENCES staff (id)
    )""",
    # With the stage a move went to: time in stage reads a deal's moves in order, from the
    # index alone.
    "CREATE INDEX ix_deal_moves_deal ON deal_moves (deal_id, moved_at, id)"
    " INCLUDE (to_stage_id, pipeline_id)",
    "CREATE INDEX ix_deal_moves_pipeline ON deal_moves (pipeline_id, moved_at)",
    """CREATE TABLE deal_links (
        id BIGSERIAL NOT NULL,
        deal_id UUID NOT NULL,
        customer_id UUID NOT NULL,
        interaction_id UUID,
        case_id UUID,
        linked_at TIMESTAMP WITH TIME ZONE NOT NULL,
        linked_by TEXT NOT NULL,
        CONSTRAINT pk_deal_links PRIMARY KEY (id),
        CONSTRAINT ck_deal_links_one_target CHECK (num_nonnulls(interaction_id, case_id) = 1),
        CONSTRAINT uq_deal_links_deal_id_interaction_id UNIQUE (deal_id, interaction_id),
        CONSTRAINT uq_deal_links_deal_id_case_id UNIQUE (deal_id, case_id),
        CONSTRAINT fk_deal_links_deal_id_deals FOREIGN KEY(deal_id) REFERENCES deals (id),
        CONSTRAINT fk_deal_links_customer_id_customers
            FOREIGN KEY(customer_id) REFERENCES customers (id),
        CONSTRAINT fk_deal_links_interaction_id_interactions
            FOREIGN KEY(interaction_id) REFERENCES interactions (id),
        CONSTRAINT fk_deal_links_case_id_cases FOREIGN KEY(case_id) REFERENCES cases (id)
    )""",
    "CREATE INDEX ix_deal_links_customer_id ON deal_links (customer_id)",
    """CREATE FUNCTION deal_moves_are_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        -- A merge moves her history with her: customer_id alone may change.
        IF TG_OP = 'UPDATE' THEN
            IF (to_jsonb(NEW) - 'customer_id') = (to_jsonb(OLD) - 'customer_id') THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'deal_moves is append-only: ' || TG_OP || ' refused';
    END
    $$""",
    """CREATE TRIGGER deal_moves_no_update_or_delete BEFORE UPDATE OR DELETE
        ON deal_moves FOR EACH ROW EXECUTE FUNCTION deal_moves_are_append_only()""",
    """CREATE TRIGGER deal_moves_no_truncate BEFORE TRUNCATE
        ON deal_moves FOR EACH STATEMENT EXECUTE FUNCTION deal_moves_are_append_only()""",
]

DOWNGRADE = [
    "DROP TABLE IF EXISTS deal_links",
    "DROP TABLE IF EXISTS deal_moves",
    "ALTER TABLE IF EXISTS leads DROP CONSTRAINT IF EXISTS fk_leads_deal_id_deals",
    "DROP TABLE IF EXISTS deals",
    "DROP TABLE IF EXISTS leads",
    "DROP TABLE IF EXISTS pipeline_stages",
    "DROP TABLE IF EXISTS pipelines",
    "DROP FUNCTION IF EXISTS deal_moves_are_append_only()",
]


def upgrade() -> None:
    # One statement at a time: the asyncpg driver prepares each.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
