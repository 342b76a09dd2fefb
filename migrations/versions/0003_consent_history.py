"""Consent history per contact point and purpose, and erased customers.

The history starts with what the contact points hold today: one entry per stored consent,
given or withdrawn at its recorded time, with 'migration' as its source and recorder.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = """
ALTER TABLE customers ADD COLUMN erased_at TIMESTAMP WITH TIME ZONE;
CREATE TABLE consent_events (
    id BIGSERIAL NOT NULL,
    customer_id UUID NOT NULL,
    contact_point_id UUID NOT NULL,
    purpose TEXT NOT NULL,
    granted BOOLEAN NOT NULL,
    source TEXT NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    recorded_by TEXT NOT NULL,
    CONSTRAINT pk_consent_events PRIMARY KEY (id),
    CONSTRAINT fk_consent_events_customer_id_customers FOREIGN KEY(customer_id)
        REFERENCES customers (id)
);
CREATE INDEX ix_consent_events_contact_point_id
    ON consent_events (contact_point_id, recorded_at, id);
CREATE INDEX ix_consent_events_customer_id ON consent_events (customer_id);
INSERT INTO consent_events
    (customer_id, contact_point_id, purpose, granted, source, recorded_at, recorded_by)
SELECT p.customer_id, p.id, c.item->>'purpose', (c.item->>'granted')::boolean, 'migration',
       (c.item->>'recorded_at')::timestamptz, 'migration'
FROM contact_points p, jsonb_array_elements(p.consents) AS c(item)
ORDER BY (c.item->>'recorded_at')::timestamptz, p.id, c.item->>'purpose'
"""

DOWNGRADE = """
DROP TABLE IF EXISTS consent_events;
ALTER TABLE customers DROP COLUMN IF EXISTS erased_at
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
