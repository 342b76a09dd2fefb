"""The schema as SQLAlchemy Core tables. Migrations are written by hand from these; the
application never creates tables itself."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TIMESTAMP, UUID

# Stable constraint names, so Alembic migrations can refer to them.
metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

TZ = TIMESTAMP(timezone=True)
# Sorting by last interaction puts never-contacted customers first (or last when reversed);
# the earliest datetime Python can hold stands in for "never".
LAST_INTERACTION_SORT_KEY = func.coalesce(
    text("last_interaction_at"), text("'0001-01-01 00:00:00+00'::timestamptz")
)
Labels = ARRAY(Text)


def _id() -> Column[object]:
    return Column("id", UUID(as_uuid=True), primary_key=True)


stores = Table(
    "stores", metadata, _id(),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("city", Text),
    Column("created_at", TZ, nullable=False),
)

staff = Table(
    "staff", metadata, _id(),
    Column("name", Text, nullable=False),
    Column("email", Text, nullable=False, unique=True),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
    Column("created_at", TZ, nullable=False),
)

customers = Table(
    "customers", metadata, _id(),
    Column("kind", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("family_name", Text),
    Column("given_name", Text),
    Column("gender", Text),
    Column("birth_date", Date),
    Column("occupation", Text),
    Column("preferences", Labels, nullable=False, server_default="{}"),
    Column("interests", Labels, nullable=False, server_default="{}"),
    Column("tags", Labels, nullable=False, server_default="{}"),
    Column("custom_attributes", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("staff.id")),
    Column("home_store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
    Column("version", Integer, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("archived_at", TZ),
    Column("merged_into_id", UUID(as_uuid=True), ForeignKey("customers.id")),
    Column("last_interaction_at", TZ),
    # Set once by customerErase: the personal data is gone and the record cannot be edited.
    Column("erased_at", TZ),
    # Names, emails and phones in one lower-cased string, indexed with trigrams for search.
    Column("search_text", Text, nullable=False, server_default=""),
    Index("ix_customers_search_text", "search_text",
          postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}),
    Index("ix_customers_tags", "tags", postgresql_using="gin"),
    Index("ix_customers_interests", "interests", postgresql_using="gin"),
    Index("ix_customers_display_name_id", "display_name", "id"),
    Index("ix_customers_created_at_id", "created_at", "id"),
    Index("ix_customers_last_interaction_id", LAST_INTERACTION_SORT_KEY, "id"),
    Index("ix_customers_home_store_id", "home_store_id"),
    Index("ix_customers_owner_id", "owner_id"),
    Index("ix_customers_merged_into_id", "merged_into_id"),
)

contact_points = Table(
    "contact_points", metadata, _id(),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("label", Text),
    Column("platform", Text),
    Column("verified", Boolean, nullable=False),
    # [{"purpose": ..., "granted": ..., "recorded_at": ...}]
    Column("consents", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Index("ix_contact_points_customer_id", "customer_id", "position"),
    Index("ix_contact_points_kind_value", "kind", "value"),
)

household_members = Table(
    "household_members", metadata, _id(),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("relationship", Text, nullable=False),
    Column("birth_date", Date),
    # [{"occasion": ..., "date": "YYYY-MM-DD", "label": ...}]
    Column("important_dates", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Index("ix_household_members_customer_id", "customer_id", "position"),
)

external_refs = Table(
    "external_refs", metadata, _id(),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("system", Text, nullable=False),
    Column("value", Text, nullable=False),
    UniqueConstraint("system", "value"),
    Index("ix_external_refs_customer_id", "customer_id"),
)

cases = Table(
    "cases", metadata, _id(),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("category", Text),
    Column("subject", Text, nullable=False),
    Column("description", Text),
    Column("channel", Text),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
    Column("origin_interaction_id", UUID(as_uuid=True)),
    Column("priority", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("staff.id")),
    Column("queue", Text, nullable=False),
    Column("due_at", TZ, nullable=False),
    Column("opened_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("resolved_at", TZ),
    Column("closed_at", TZ),
    Column("resolution_note", Text),
    Column("follow_up_at", TZ),
    Column("version", Integer, nullable=False),
    Index("ix_cases_customer_id", "customer_id", "opened_at"),
    Index("ix_cases_owner_id", "owner_id", "status"),
    Index("ix_cases_status_due_at", "status", "due_at"),
    Index("ix_cases_opened_at_id", "opened_at", "id"),
)

interactions = Table(
    "interactions", metadata, _id(),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("channel", Text, nullable=False),
    Column("direction", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("recorded_at", TZ, nullable=False),
    Column("summary", Text),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
    Column("latitude", Double),
    Column("longitude", Double),
    Column("place", Text),
    Column("staff_id", UUID(as_uuid=True), ForeignKey("staff.id")),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id")),
    Index("ix_interactions_customer_timeline", "customer_id",
          text("occurred_at DESC"), text("id DESC")),
)

case_routing_rules = Table(
    "case_routing_rules", metadata, _id(),
    Column("created_at", TZ, nullable=False),
    Column("queue", Text, nullable=False),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("staff.id")),
    Column("kind", Text),
    Column("category", Text),
    Column("channel", Text),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope", Text, nullable=False),
    Column("key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("result_id", UUID(as_uuid=True)),
    Column("created_at", TZ, nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("scope", "key"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("aggregate_id", UUID(as_uuid=True), nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("published_at", TZ),
    Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
)

# Append-only: every consent given or withdrawn, per contact point and purpose. No foreign
# key to contact_points: the history is the proof of consent and outlives the point (removed,
# or deleted by an erasure); it holds no contact value.
consent_events = Table(
    "consent_events", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("contact_point_id", UUID(as_uuid=True), nullable=False),
    Column("purpose", Text, nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("source", Text, nullable=False),
    Column("recorded_at", TZ, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Index("ix_consent_events_contact_point_id", "contact_point_id", "recorded_at", "id"),
    Index("ix_consent_events_customer_id", "customer_id"),
)

api_clients = Table(
    "api_clients", metadata, _id(),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("partner_code", Text),
    Column("created_at", TZ, nullable=False),
    Column("revoked_at", TZ),
    # One active client per name (the audit log's "client:<name>"); a revoked one's name may
    # be given again.
    Index("uq_api_clients_active_name", "name", unique=True,
          postgresql_where=text("revoked_at IS NULL")),
)

api_keys = Table(
    "api_keys", metadata, _id(),
    Column("client_id", UUID(as_uuid=True), ForeignKey("api_clients.id"), nullable=False),
    Column("prefix", Text, nullable=False, unique=True),  # the public part: finds the row
    Column("secret_hash", Text, nullable=False),  # sha256 hex of the secret, never the secret
    Column("created_at", TZ, nullable=False),
    Column("expires_at", TZ),
    Column("revoked_at", TZ),
    Column("last_used_at", TZ),
    Index("ix_api_keys_client_id", "client_id"),
)

# Append-only (migration 0004: a trigger refuses UPDATE, DELETE and TRUNCATE). Not in
# ALL_TABLES: the test fixtures empty it apart (tests/conftest.py), and a refused mutation's
# entry must not count as a change in the e2e `snapshot`.
audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", TZ, nullable=False),
    Column("action", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("client_id", UUID(as_uuid=True)),
    Column("staff_id", UUID(as_uuid=True)),
    Column("target_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default="{}"),
    Column("outcome", Text, nullable=False),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("request_id", Text),
    Index("ix_audit_log_at_id", "at", "id"),
    Index("ix_audit_log_subject_at_id", "subject", "at", "id"),
    Index("ix_audit_log_target_ids", "target_ids", postgresql_using="gin"),
)

# Every table, children first: the order TRUNCATE and deletes can use.
ALL_TABLES = [
    consent_events,
    outbox, idempotency_keys, case_routing_rules, interactions, cases, external_refs,
    household_members, contact_points, customers, staff, stores, api_keys, api_clients,
]
