"""The schema as SQLAlchemy Core tables. Migrations are written by hand from these; the
application never creates tables itself."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    Numeric,
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

# --- loyalty (migration 0005): programmes, members, purchases, the points ledger ---------

Amount = Numeric(asdecimal=True)  # exact, as given: money and rates are never floats

loyalty_programmes = Table(
    "loyalty_programmes", metadata, _id(),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("measure", Text, nullable=False),
    Column("qualification_window", Text, nullable=False),
    Column("downgrade_policy", Text, nullable=False),
    Column("grace_months", Integer, nullable=False),
    Column("points_per_unit", Amount, nullable=False),
    Column("birthday_multiplier", Amount, nullable=False),
    Column("points_expire_after_months", Integer),
    Column("point_value", Amount, nullable=False),
    Column("time_zone", Text, nullable=False, server_default="UTC"),  # migration 0006
    # [{name, multiplier, category, starts_on, ends_on}]: read and written with the programme
    Column("bonus_rules", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("version", Integer, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
)

loyalty_tiers = Table(
    "loyalty_tiers", metadata, _id(),
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("threshold", Amount, nullable=False),
    Column("discount_percent", Amount, nullable=False),
    Column("earn_multiplier", Amount, nullable=False),
    Column("perks", Labels, nullable=False, server_default="{}"),
    UniqueConstraint("programme_id", "code"),
)

loyalty_rewards = Table(
    "loyalty_rewards", metadata, _id(),
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("points_cost", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    UniqueConstraint("programme_id", "code"),
)

loyalty_memberships = Table(
    "loyalty_memberships", metadata,
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("tier_id", UUID(as_uuid=True), ForeignKey("loyalty_tiers.id"), nullable=False),
    Column("tier_since", TZ, nullable=False),
    Column("retained_tier_id", UUID(as_uuid=True), ForeignKey("loyalty_tiers.id"),
           nullable=False),
    Column("enrolled_at", TZ, nullable=False),
    Column("points_balance", BigInteger, nullable=False),  # the ledger's sum, kept in step
    Column("downgrade_due_at", TZ),
    Column("override_tier_id", UUID(as_uuid=True), ForeignKey("loyalty_tiers.id")),
    Column("override_reason", Text),
    Column("override_set_by", Text),
    Column("override_set_at", TZ),
    Column("override_expires_at", TZ),
    Column("reviewed_through", TZ),
    PrimaryKeyConstraint("programme_id", "customer_id"),
    Index("ix_loyalty_memberships_customer_id", "customer_id"),
)

loyalty_tier_changes = Table(
    "loyalty_tier_changes", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("from_tier_id", UUID(as_uuid=True), ForeignKey("loyalty_tiers.id")),
    Column("to_tier_id", UUID(as_uuid=True), ForeignKey("loyalty_tiers.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("actor", Text, nullable=False),
    Column("note", Text),
    Index("ix_loyalty_tier_changes_member", "customer_id", "programme_id", "id"),
)

purchases = Table(
    "purchases", metadata, _id(),
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("channel", Text, nullable=False),
    Column("order_id", Text, nullable=False),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
    Column("occurred_at", TZ, nullable=False),
    Column("recorded_at", TZ, nullable=False),
    Column("currency", Text, nullable=False),
    Column("payment_total", Amount, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("earn_entry_id", UUID(as_uuid=True)),
    # Kept in step with the lines and refunds, so a tier's qualifying sum reads one row each.
    Column("net_amount", Amount, nullable=False),
    Column("points", Integer, nullable=False),
    Column("refunded_amount", Amount, nullable=False, server_default="0"),
    Column("refunded_points", Integer, nullable=False, server_default="0"),
    UniqueConstraint("channel", "order_id"),
    Index("ix_purchases_customer_occurred", "customer_id", "programme_id", "occurred_at"),
)

purchase_lines = Table(
    "purchase_lines", metadata,
    Column("purchase_id", UUID(as_uuid=True), ForeignKey("purchases.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", Text, nullable=False),
    Column("name", Text),
    Column("category", Text),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Amount, nullable=False),
    Column("discount", Amount, nullable=False),
    Column("margin", Amount),
    Column("points", Integer, nullable=False),
    Column("refunded_quantity", Integer, nullable=False, server_default="0"),
    # The purchase's customer (migration 0010): the future distribution column, DESIGN.md §9.
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    PrimaryKeyConstraint("purchase_id", "line_no"),
    CheckConstraint("quantity > 0 AND refunded_quantity BETWEEN 0 AND quantity",
                    name="refunded_at_most_bought"),
)

purchase_refunds = Table(
    "purchase_refunds", metadata, _id(),
    Column("purchase_id", UUID(as_uuid=True), ForeignKey("purchases.id"), nullable=False),
    Column("refund_ref", Text, nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("recorded_at", TZ, nullable=False),
    # The purchase's customer (migration 0010): the future distribution column, DESIGN.md §9.
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    UniqueConstraint("purchase_id", "refund_ref"),
)

purchase_refund_lines = Table(
    "purchase_refund_lines", metadata,
    Column("refund_id", UUID(as_uuid=True), ForeignKey("purchase_refunds.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("points", Integer, nullable=False),
    # The purchase's customer (migration 0010): the future distribution column, DESIGN.md §9.
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    PrimaryKeyConstraint("refund_id", "line_no"),
)

# Append-only (migration 0005: a trigger refuses UPDATE, DELETE and TRUNCATE, as for the
# audit log). A balance is the sum of a member's entries.
loyalty_ledger = Table(
    "loyalty_ledger", metadata, _id(),
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("recorded_at", TZ, nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", Text),
    Column("purchase_id", UUID(as_uuid=True), ForeignKey("purchases.id")),
    Column("refund_id", UUID(as_uuid=True), ForeignKey("purchase_refunds.id")),
    Column("reward_id", UUID(as_uuid=True), ForeignKey("loyalty_rewards.id")),
    Column("reverses_id", UUID(as_uuid=True), ForeignKey("loyalty_ledger.id")),
    Column("lot_id", UUID(as_uuid=True), ForeignKey("loyalty_ledger.id")),
    Column("expires_at", TZ),
    Column("money_value", Amount),
    Column("order_ref", Text),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id")),  # migration 0007
    CheckConstraint(
        "(kind = 'EARN' AND points > 0) OR (kind IN ('REDEEM', 'EXPIRE', 'REVERSE') AND "
        "points < 0) OR (kind = 'ADJUST' AND points <> 0)", name="points_sign_fits_kind"),
    Index("ix_loyalty_ledger_member", "customer_id", "programme_id", "recorded_at", "id"),
)

# What is left of each lot of points (an EARN or positive ADJUST entry): spending and
# expiry take from them, oldest first. Their sum is the balance when it is not negative.
loyalty_point_lots = Table(
    "loyalty_point_lots", metadata,
    Column("entry_id", UUID(as_uuid=True), ForeignKey("loyalty_ledger.id"), primary_key=True),
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("earned_at", TZ, nullable=False),
    Column("expires_at", TZ),
    Column("points", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    CheckConstraint("remaining BETWEEN 0 AND points", name="remaining_within_lot"),
    Index("ix_loyalty_point_lots_open", "customer_id", "programme_id", "earned_at",
          postgresql_where=text("remaining > 0")),
    Index("ix_loyalty_point_lots_expiring", "programme_id", "expires_at",
          postgresql_where=text("remaining > 0")),
)

# --- partners (migration 0007): the alliance, its offers, grants, redemptions, settlement ---

partners = Table(
    "partners", metadata, _id(),
    Column("code", Text, nullable=False, unique=True),  # what its API clients are bound to
    Column("name", Text, nullable=False),
    Column("industry", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("contact_name", Text),
    Column("contact_email", Text),
    Column("terms_days", Integer, nullable=False),
    Column("earn_rate", Amount),
    Column("point_value", Amount, nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
)

# Benefit, eligibility, trigger, quota and cost as columns: issuing reads the trigger kind
# on every purchase, and money stays NUMERIC.
partner_offers = Table(
    "partner_offers", metadata, _id(),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("code", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("benefit_kind", Text, nullable=False),
    Column("benefit_item", Text),
    Column("benefit_amount", Amount),
    Column("benefit_percent", Amount),
    Column("benefit_multiplier", Amount),
    Column("eligible_tier_codes", Labels, nullable=False, server_default="{}"),
    Column("eligible_interests", Labels, nullable=False, server_default="{}"),
    Column("eligible_programme_code", Text),
    Column("trigger_kind", Text, nullable=False),
    Column("trigger_category", Text),
    Column("trigger_sku", Text),
    Column("trigger_min_spend", Amount),
    Column("trigger_tier_code", Text),
    Column("quota_total", Integer),
    Column("quota_per_member", Integer),
    Column("quota_per_period", Integer),
    Column("quota_period", Text, nullable=False),
    Column("cost_payer", Text, nullable=False),
    Column("cost_unit", Amount, nullable=False),
    Column("cost_brand_share", Amount, nullable=False),
    Column("valid_from", TZ),
    Column("valid_until", TZ),
    Column("grant_valid_days", Integer, nullable=False),
    Column("redeem_until", TZ),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    UniqueConstraint("partner_id", "code"),
    Index("ix_partner_offers_issuing", "trigger_kind",
          postgresql_where=text("status = 'ACTIVE'::text")),
)

# The perks of a tier that point at a partner offer (migration 0009), by the perk's text.
# The texts, in order, stay in loyalty_tiers.perks: the release before 0009 reads and
# writes them there and knows nothing of these rows, so a perk it renames or drops just
# stops finding its row (ignored on read, cleared by the next save). Deleting a tier
# takes its rows along; an offer is never deleted.
loyalty_tier_perk_offers = Table(
    "loyalty_tier_perk_offers", metadata,
    Column("tier_id", UUID(as_uuid=True), ForeignKey("loyalty_tiers.id", ondelete="CASCADE"),
           nullable=False),
    Column("perk", Text, nullable=False),
    Column("offer_id", UUID(as_uuid=True), ForeignKey("partner_offers.id"), nullable=False),
    PrimaryKeyConstraint("tier_id", "perk"),
    UniqueConstraint("tier_id", "offer_id"),  # an offer is one perk of a tier, not two
)

partner_grants = Table(
    "partner_grants", metadata, _id(),
    Column("offer_id", UUID(as_uuid=True), ForeignKey("partner_offers.id"), nullable=False),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("code", Text, nullable=False, unique=True),
    Column("source_key", Text, nullable=False),
    Column("issued_at", TZ, nullable=False),
    Column("expires_at", TZ, nullable=False),
    Column("issued_by", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("purchase_id", UUID(as_uuid=True), ForeignKey("purchases.id")),
    Column("reason", Text),
    Column("redeemed_at", TZ),
    Column("revoked_at", TZ),
    # A trigger issues once per source; a revoked grant holds its source no longer
    # (migration 0011): her birthday purchase returned, her next one that month issues it.
    Index("uq_partner_grants_unrevoked_source", "offer_id", "customer_id", "source_key",
          unique=True, postgresql_where=text("state <> 'REVOKED'::text")),
    Index("ix_partner_grants_customer", "customer_id", "issued_at"),
    Index("ix_partner_grants_purchase_id", "purchase_id"),
    Index("ix_partner_grants_offer_issued", "offer_id", "issued_at"),  # the quota's counts
    Index("ix_partner_grants_expiring", "expires_at",
          postgresql_where=text("state = 'ISSUED'::text")),
)

partner_redemptions = Table(
    "partner_redemptions", metadata, _id(),
    Column("grant_id", UUID(as_uuid=True), ForeignKey("partner_grants.id"), nullable=False),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("offer_id", UUID(as_uuid=True), ForeignKey("partner_offers.id"), nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("idempotency_key", Text, nullable=False),
    Column("fingerprint", Text, nullable=False),
    Column("location", Text, nullable=False),
    Column("redeemed_at", TZ, nullable=False),
    Column("redeemed_by", Text, nullable=False),
    Column("amount", Amount),
    Column("reversed_at", TZ),
    Column("reverse_reason", Text),
    UniqueConstraint("partner_id", "idempotency_key"),
    Index("ix_partner_redemptions_grant_id", "grant_id"),
    Index("ix_partner_redemptions_customer_id", "customer_id"),
)

partner_purchases = Table(
    "partner_purchases", metadata, _id(),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("programme_id", UUID(as_uuid=True), ForeignKey("loyalty_programmes.id"),
           nullable=False),
    Column("order_id", Text, nullable=False),  # the partner's own: its idempotency key
    Column("fingerprint", Text, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", Text, nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("recorded_at", TZ, nullable=False),
    Column("points", Integer, nullable=False),
    Column("earn_entry_id", UUID(as_uuid=True)),
    Column("returned_amount", Amount, nullable=False, server_default="0"),
    Column("returned_points", Integer, nullable=False, server_default="0"),
    UniqueConstraint("partner_id", "order_id"),
    Index("ix_partner_purchases_customer_id", "customer_id"),
)

# A row per period a writer opened or a close closed; a closed one is never written to.
partner_settlement_periods = Table(
    "partner_settlement_periods", metadata,
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("period", Text, nullable=False),  # "2026-12"
    Column("closed_at", TZ),
    Column("closed_by", Text),
    PrimaryKeyConstraint("partner_id", "period"),
)

# Append-only (migration 0007: a trigger refuses UPDATE, DELETE and TRUNCATE, as for the
# ledger). Each entry's period has its row: the one the writer held open (FOR SHARE).
partner_settlement_entries = Table(
    "partner_settlement_entries", metadata, _id(),
    Column("partner_id", UUID(as_uuid=True), ForeignKey("partners.id"), nullable=False),
    Column("period", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("amount", Amount, nullable=False),  # signed, in the partner's currency
    Column("currency", Text, nullable=False),
    Column("occurred_at", TZ, nullable=False),
    Column("offer_id", UUID(as_uuid=True), ForeignKey("partner_offers.id")),
    Column("redemption_id", UUID(as_uuid=True), ForeignKey("partner_redemptions.id")),
    Column("partner_purchase_id", UUID(as_uuid=True),
           ForeignKey("partner_purchases.id",
                      name="fk_partner_settlement_entries_partner_purchase")),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"),
           nullable=False),  # NOT NULL since migration 0010
    Column("points", Integer, nullable=False),
    ForeignKeyConstraint(
        ["partner_id", "period"],
        ["partner_settlement_periods.partner_id", "partner_settlement_periods.period"],
        name="fk_partner_settlement_entries_period"),
    Index("ix_partner_settlement_entries_period", "partner_id", "period", "occurred_at", "id"),
)

# Failed grant lookups per caller (an API key): what the lock-out counts.
partner_code_misses = Table(
    "partner_code_misses", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("caller", Text, nullable=False),
    Column("at", TZ, nullable=False),
    Index("ix_partner_code_misses_caller_at", "caller", "at"),
)

# Every table, children first: the order TRUNCATE and deletes can use.

# --- the sales pipeline (migration 0008) ---------------------------------------------------

pipelines = Table(
    "pipelines", metadata, _id(),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("allow_skips", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
)

# Never deleted: a retired stage still names the moves into it.
pipeline_stages = Table(
    "pipeline_stages", metadata, _id(),
    Column("pipeline_id", UUID(as_uuid=True), ForeignKey("pipelines.id"), nullable=False),
    Column("name", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("probability", Amount, nullable=False),
    Column("sla_days", Integer),
    Column("retired_at", TZ),
    UniqueConstraint("pipeline_id", "id"),  # what a deal's (pipeline, stage) refers to
)

OPEN_LEAD = text("status = ANY (ARRAY['NEW'::text, 'CONTACTED'::text])")


def _source() -> list[Column[object]]:
    """Where a lead or a deal came from."""
    return [
        Column("source_channel", Text),
        Column("source_campaign", Text),
        Column("source_referred_by_id", UUID(as_uuid=True), ForeignKey("customers.id")),
        Column("source_interaction_id", UUID(as_uuid=True), ForeignKey("interactions.id")),
    ]


leads = Table(
    "leads", metadata, _id(),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("status", Text, nullable=False),
    *_source(),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("staff.id")),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
    Column("next_follow_up_on", Date),
    Column("unqualified_reason", Text),
    Column("deal_id", UUID(as_uuid=True),
           ForeignKey("deals.id", use_alter=True, name="fk_leads_deal_id_deals")),
    Column("created_at", TZ, nullable=False),
    Column("updated_at", TZ, nullable=False),
    Column("closed_at", TZ),
    Column("version", Integer, nullable=False),
    Index("uq_leads_open_customer", "customer_id", unique=True, postgresql_where=OPEN_LEAD),
    Index("ix_leads_customer_id", "customer_id", "created_at"),
    Index("ix_leads_created_at", "created_at", "id"),
)

# The products of interest are two arrays of one length (sku, quantity): read with the deal,
# in the board's one statement, without a table of their own.
deals = Table(
    "deals", metadata, _id(),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("pipeline_id", UUID(as_uuid=True), ForeignKey("pipelines.id"), nullable=False),
    Column("stage_id", UUID(as_uuid=True), nullable=False),
    Column("lead_id", UUID(as_uuid=True), ForeignKey("leads.id")),
    Column("title", Text, nullable=False),
    Column("amount", Amount, nullable=False),
    Column("currency", Text, nullable=False),
    Column("owner_id", UUID(as_uuid=True), ForeignKey("staff.id")),
    Column("store_id", UUID(as_uuid=True), ForeignKey("stores.id")),
    Column("expected_close_on", Date),
    *_source(),
    Column("status", Text, nullable=False),
    Column("lost_reason", Text),
    Column("purchase_id", UUID(as_uuid=True), ForeignKey("purchases.id")),
    Column("product_skus", Labels, nullable=False, server_default="{}"),
    Column("product_quantities", ARRAY(Integer), nullable=False, server_default="{}"),
    Column("opened_at", TZ, nullable=False),
    Column("stage_entered_at", TZ, nullable=False),
    Column("closed_at", TZ),
    Column("updated_at", TZ, nullable=False),
    Column("version", Integer, nullable=False),
    CheckConstraint("amount >= 0", name="amount_not_negative"),
    CheckConstraint("cardinality(product_skus) = cardinality(product_quantities)",
                    name="products_paired"),
    ForeignKeyConstraint(["pipeline_id", "stage_id"],
                         ["pipeline_stages.pipeline_id", "pipeline_stages.id"],
                         name="fk_deals_stage"),
    Index("ix_deals_stage", "stage_id", "stage_entered_at", "id"),  # the board's columns
    Index("ix_deals_customer_id", "customer_id", "opened_at"),
    Index("ix_deals_owner_id", "owner_id", "opened_at"),
    Index("ix_deals_store_id", "store_id", "opened_at"),
    Index("ix_deals_pipeline_opened", "pipeline_id", "opened_at"),
    Index("ix_deals_pipeline_closed", "pipeline_id", "closed_at"),
    Index("ix_deals_opened_at_id", "opened_at", "id"),
)

# Append-only (migration 0008: a trigger refuses UPDATE, DELETE and TRUNCATE, but for an
# UPDATE of customer_id alone, a merge's).
deal_moves = Table(
    "deal_moves", metadata, _id(),
    Column("deal_id", UUID(as_uuid=True), ForeignKey("deals.id"), nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("pipeline_id", UUID(as_uuid=True), ForeignKey("pipelines.id"), nullable=False),
    Column("from_stage_id", UUID(as_uuid=True), ForeignKey("pipeline_stages.id")),
    Column("to_stage_id", UUID(as_uuid=True), ForeignKey("pipeline_stages.id"),
           nullable=False),
    Column("kind", Text, nullable=False),
    Column("moved_at", TZ, nullable=False),
    Column("moved_by", Text, nullable=False),
    Column("staff_id", UUID(as_uuid=True), ForeignKey("staff.id")),
    Column("reason", Text),
    Index("ix_deal_moves_deal", "deal_id", "moved_at", "id",
          postgresql_include=["to_stage_id", "pipeline_id"]),  # time in stage, index-only
    Index("ix_deal_moves_pipeline", "pipeline_id", "moved_at"),
)

deal_links = Table(
    "deal_links", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("deal_id", UUID(as_uuid=True), ForeignKey("deals.id"), nullable=False),
    Column("customer_id", UUID(as_uuid=True), ForeignKey("customers.id"), nullable=False),
    Column("interaction_id", UUID(as_uuid=True), ForeignKey("interactions.id")),
    Column("case_id", UUID(as_uuid=True), ForeignKey("cases.id")),
    Column("linked_at", TZ, nullable=False),
    Column("linked_by", Text, nullable=False),
    CheckConstraint("num_nonnulls(interaction_id, case_id) = 1", name="one_target"),
    UniqueConstraint("deal_id", "interaction_id"),
    UniqueConstraint("deal_id", "case_id"),
    Index("ix_deal_links_customer_id", "customer_id"),
)

ALL_TABLES = [
    deal_links, deal_moves, leads, deals, pipeline_stages, pipelines,
    partner_code_misses, partner_settlement_entries, partner_settlement_periods,
    partner_redemptions, partner_grants, partner_purchases,
    loyalty_point_lots, loyalty_ledger, purchase_refund_lines, purchase_refunds,
    purchase_lines, purchases, loyalty_tier_changes, loyalty_memberships, loyalty_rewards,
    loyalty_tier_perk_offers, loyalty_tiers, loyalty_programmes, partner_offers, partners,
    consent_events,
    outbox, idempotency_keys, case_routing_rules, interactions, cases, external_refs,
    household_members, contact_points, customers, staff, stores, api_keys, api_clients,
]
