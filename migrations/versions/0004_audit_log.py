"""The append-only audit log.

Append-only is enforced by the database, not only by the code: a trigger refuses every
UPDATE, DELETE and TRUNCATE of `audit_log`. Triggers do not fire for a session with
`session_replication_role = replica`, which only a superuser (or a role granted
`SET ON PARAMETER session_replication_role`) can set: that is the door for an operator's
retention job and for the test fixtures, and it is closed to the application's role.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = [
    """CREATE TABLE audit_log (
        id BIGSERIAL NOT NULL,
        at TIMESTAMP WITH TIME ZONE NOT NULL,
        action TEXT NOT NULL,
        operation TEXT NOT NULL,
        subject TEXT NOT NULL,
        role TEXT NOT NULL,
        client_id UUID,
        staff_id UUID,
        target_ids UUID[] DEFAULT '{}' NOT NULL,
        outcome TEXT NOT NULL,
        detail JSONB DEFAULT '{}'::jsonb NOT NULL,
        request_id TEXT,
        CONSTRAINT pk_audit_log PRIMARY KEY (id)
    )""",
    # Listing newest first, by everyone, by one subject, or by what it concerned.
    "CREATE INDEX ix_audit_log_at_id ON audit_log (at, id)",
    "CREATE INDEX ix_audit_log_subject_at_id ON audit_log (subject, at, id)",
    "CREATE INDEX ix_audit_log_target_ids ON audit_log USING gin (target_ids)",
    """CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
            MESSAGE = 'audit_log is append-only: ' || TG_OP || ' refused';
    END
    $$""",
    """CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
        FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only()""",
    """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only()""",
]

DOWNGRADE = [
    "DROP TABLE IF EXISTS audit_log",
    "DROP FUNCTION IF EXISTS audit_log_is_append_only()",
]


def upgrade() -> None:
    # One statement at a time: the asyncpg driver prepares each.
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
