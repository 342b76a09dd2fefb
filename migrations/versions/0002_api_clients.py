"""API clients and their keys.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE api_clients (
    id UUID NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    partner_code TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    revoked_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_api_clients PRIMARY KEY (id)
);
CREATE UNIQUE INDEX uq_api_clients_active_name ON api_clients (name) WHERE revoked_at IS NULL;
CREATE TABLE api_keys (
    id UUID NOT NULL,
    client_id UUID NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITH TIME ZONE,
    revoked_at TIMESTAMP WITH TIME ZONE,
    last_used_at TIMESTAMP WITH TIME ZONE,
    CONSTRAINT pk_api_keys PRIMARY KEY (id),
    CONSTRAINT uq_api_keys_prefix UNIQUE (prefix),
    CONSTRAINT fk_api_keys_client_id_api_clients FOREIGN KEY(client_id) REFERENCES api_clients (id)
);
CREATE INDEX ix_api_keys_client_id ON api_keys (client_id);
"""

DOWNGRADE = """
DROP TABLE IF EXISTS api_keys, api_clients;
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
