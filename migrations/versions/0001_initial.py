"""Customers, contact points, household, external references, interactions, cases, staff,
stores, routing rules, idempotency keys and the outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    result_id UUID,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_idempotency_keys PRIMARY KEY (scope, key)
);
CREATE TABLE outbox (
    id BIGSERIAL NOT NULL,
    name TEXT NOT NULL,
    aggregate_id UUID NOT NULL,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
    data JSONB NOT NULL,
    published_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_outbox PRIMARY KEY (id)
);
CREATE INDEX ix_outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
CREATE TABLE stores (
    id UUID NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    city TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_stores PRIMARY KEY (id),
    CONSTRAINT uq_stores_code UNIQUE (code)
);
CREATE TABLE staff (
    id UUID NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    store_id UUID,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    CONSTRAINT pk_staff PRIMARY KEY (id),
    CONSTRAINT uq_staff_email UNIQUE (email),
    CONSTRAINT fk_staff_store_id_stores FOREIGN KEY(store_id) REFERENCES stores (id)
);
CREATE TABLE case_routing_rules (
    id UUID NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    queue TEXT NOT NULL,
    owner_id UUID,
    kind TEXT,
    category TEXT,
    channel TEXT,
    store_id UUID,
    CONSTRAINT pk_case_routing_rules PRIMARY KEY (id),
    CONSTRAINT fk_case_routing_rules_owner_id_staff FOREIGN KEY(owner_id) REFERENCES staff (id),
    CONSTRAINT fk_case_routing_rules_store_id_stores FOREIGN KEY(store_id) REFERENCES stores (id)
);
CREATE TABLE customers (
    id UUID NOT NULL,
    kind TEXT NOT NULL,
    display_name TEXT NOT NULL,
    family_name TEXT,
    given_name TEXT,
    gender TEXT,
    birth_date DATE,
    occupation TEXT,
    preferences TEXT[] DEFAULT '{}' NOT NULL,
    interests TEXT[] DEFAULT '{}' NOT NULL,
    tags TEXT[] DEFAULT '{}' NOT NULL,
    custom_attributes JSONB DEFAULT '{}'::jsonb NOT NULL,
    owner_id UUID,
    home_store_id UUID,
    version INTEGER NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    archived_at TIMESTAMP WITH TIME ZONE,
    merged_into_id UUID,
    last_interaction_at TIMESTAMP WITH TIME ZONE,
    search_text TEXT DEFAULT '' NOT NULL,
    CONSTRAINT pk_customers PRIMARY KEY (id),
    CONSTRAINT fk_customers_owner_id_staff FOREIGN KEY(owner_id) REFERENCES staff (id),
    CONSTRAINT fk_customers_home_store_id_stores FOREIGN KEY(home_store_id) REFERENCES stores (id),
    CONSTRAINT fk_customers_merged_into_id_customers FOREIGN KEY(merged_into_id) REFERENCES customers (id)
);
CREATE INDEX ix_customers_owner_id ON customers (owner_id);
CREATE INDEX ix_customers_last_interaction_id ON customers (coalesce(last_interaction_at, '0001-01-01 00:00:00+00'::timestamptz), id);
CREATE INDEX ix_customers_interests ON customers USING gin (interests);
CREATE INDEX ix_customers_merged_into_id ON customers (merged_into_id);
CREATE INDEX ix_customers_display_name_id ON customers (display_name, id);
CREATE INDEX ix_customers_tags ON customers USING gin (tags);
CREATE INDEX ix_customers_home_store_id ON customers (home_store_id);
CREATE INDEX ix_customers_created_at_id ON customers (created_at, id);
CREATE INDEX ix_customers_search_text ON customers USING gin (search_text gin_trgm_ops);
CREATE TABLE cases (
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    kind TEXT NOT NULL,
    category TEXT,
    subject TEXT NOT NULL,
    description TEXT,
    channel TEXT,
    store_id UUID,
    origin_interaction_id UUID,
    priority TEXT NOT NULL,
    status TEXT NOT NULL,
    owner_id UUID,
    queue TEXT NOT NULL,
    due_at TIMESTAMP WITH TIME ZONE NOT NULL,
    opened_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    resolved_at TIMESTAMP WITH TIME ZONE,
    closed_at TIMESTAMP WITH TIME ZONE,
    resolution_note TEXT,
    follow_up_at TIMESTAMP WITH TIME ZONE,
    version INTEGER NOT NULL,
    CONSTRAINT pk_cases PRIMARY KEY (id),
    CONSTRAINT fk_cases_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id),
    CONSTRAINT fk_cases_store_id_stores FOREIGN KEY(store_id) REFERENCES stores (id),
    CONSTRAINT fk_cases_owner_id_staff FOREIGN KEY(owner_id) REFERENCES staff (id)
);
CREATE INDEX ix_cases_status_due_at ON cases (status, due_at);
CREATE INDEX ix_cases_owner_id ON cases (owner_id, status);
CREATE INDEX ix_cases_customer_id ON cases (customer_id, opened_at);
CREATE INDEX ix_cases_opened_at_id ON cases (opened_at, id);
CREATE TABLE contact_points (
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    label TEXT,
    platform TEXT,
    verified BOOLEAN NOT NULL,
    consents JSONB DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT pk_contact_points PRIMARY KEY (id),
    CONSTRAINT fk_contact_points_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_contact_points_kind_value ON contact_points (kind, value);
CREATE INDEX ix_contact_points_customer_id ON contact_points (customer_id, position);
CREATE TABLE external_refs (
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    system TEXT NOT NULL,
    value TEXT NOT NULL,
    CONSTRAINT pk_external_refs PRIMARY KEY (id),
    CONSTRAINT uq_external_refs_system_value UNIQUE (system, value),
    CONSTRAINT fk_external_refs_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_external_refs_customer_id ON external_refs (customer_id);
CREATE TABLE household_members (
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    relationship TEXT NOT NULL,
    birth_date DATE,
    important_dates JSONB DEFAULT '[]'::jsonb NOT NULL,
    CONSTRAINT pk_household_members PRIMARY KEY (id),
    CONSTRAINT fk_household_members_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id)
);
CREATE INDEX ix_household_members_customer_id ON household_members (customer_id, position);
CREATE TABLE interactions (
    id UUID NOT NULL,
    customer_id UUID NOT NULL,
    channel TEXT NOT NULL,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    summary TEXT,
    payload JSONB DEFAULT '{}'::jsonb NOT NULL,
    store_id UUID,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    place TEXT,
    staff_id UUID,
    case_id UUID,
    CONSTRAINT pk_interactions PRIMARY KEY (id),
    CONSTRAINT fk_interactions_customer_id_customers FOREIGN KEY(customer_id) REFERENCES customers (id),
    CONSTRAINT fk_interactions_store_id_stores FOREIGN KEY(store_id) REFERENCES stores (id),
    CONSTRAINT fk_interactions_staff_id_staff FOREIGN KEY(staff_id) REFERENCES staff (id),
    CONSTRAINT fk_interactions_case_id_cases FOREIGN KEY(case_id) REFERENCES cases (id)
);
CREATE INDEX ix_interactions_customer_timeline ON interactions (customer_id, occurred_at DESC, id DESC);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS outbox, idempotency_keys, case_routing_rules, interactions, cases,
    external_refs, household_members, contact_points, customers, staff, stores CASCADE;
"""


def _statements(script: str) -> list[str]:
    # The asyncpg driver prepares each statement, so they go one at a time.
    return [s.strip() for s in script.split(";\n") if s.strip()]


def upgrade() -> None:
    for statement in _statements(UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(DOWNGRADE):
        op.execute(statement)
