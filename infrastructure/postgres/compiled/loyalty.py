"""How loyalty is read, for compiled operations (see mapping.py): programmes and their tiers,
a member's standing as of the request (`{now}`), her ledger, tier history and purchases.

A standing is computed as domain.loyalty.queries.standing computes it, from one row per
member: the membership joined to its programme, to the window's qualifying totals and to
the next tier up (see _MEMBER). Scalar fields that are their columns are read by convention
(mapping.ObjectMapping.table); the others are declared.
"""

from domain.loyalty.model import QualificationWindow, QualifyingMeasure
from domain.shared.paging import PageRequest
from infrastructure.postgres.compiled.mapping import (
    Children,
    Computed,
    Condition,
    Embedded,
    Expression,
    FieldMapping,
    Lookup,
    ObjectMapping,
    Paged,
    PageQuery,
    Reference,
    RowQuery,
    Template,
    Value,
    conditions,
    sort_keys,
    value_fields,
)
from infrastructure.postgres.compiled.sql import (
    datetime_json,
    decimal_json,
    money_amount,
    quoted,
)
from infrastructure.postgres.loyalty_queries import LEDGER_NEWEST_FIRST, PURCHASES_NEWEST_FIRST


def money(amount: Template, currency: Template, present: Template | None = None) -> Embedded:
    """A Money of `amount` in `currency` (expressions on the row); null unless `present`."""
    return Embedded("Money", present, {"amount": amount, "currency": currency})


MONEY = ObjectMapping("Money", value_fields(
    amount=money_amount("{amount}", "{currency}"),
    currencyCode="{currency}",
))

LOYALTY_TIER = ObjectMapping("LoyaltyTier", {
    "perkDetails": Children(
        "TierPerk", "unnest({t}.perks) WITH ORDINALITY AS {c}(text, position)", "{c}.position"),
}, row="loyalty_tiers {t} WHERE {t}.id = {key}", table="loyalty_tiers")

# A perk's text, from its tier's array; the offer it points at is the alliance's, executed
# (compiled/partners.py).
TIER_PERK = ObjectMapping("TierPerk", value_fields(text="{t}.text"))

# Stored as loyalty_rows.bonus_rules_to_json writes them: decimals and dates as strings.
BONUS_RULE = ObjectMapping("BonusRule", value_fields(
    name="{t}.item->>'name'",
    multiplier=decimal_json("({t}.item->>'multiplier')::numeric"),
    category="{t}.item->>'category'",
    startsOn="{t}.item->>'starts_on'",
    endsOn="{t}.item->>'ends_on'",
))

REWARD = ObjectMapping("Reward", {}, row="loyalty_rewards {t} WHERE {t}.id = {key}",
                       table="loyalty_rewards")

LOYALTY_PROGRAMME = ObjectMapping(
    "LoyaltyProgramme",
    row="loyalty_programmes {t} WHERE {t}.id = {key}",
    table="loyalty_programmes",
    fields={
        "currencyCode": Value("{t}.currency"),
        "pointValue": money("{t}.point_value", "{t}.currency"),
        "tiers": Children("LoyaltyTier", "loyalty_tiers {c} WHERE {c}.programme_id = {t}.id",
                          "{c}.rank"),
        "bonusRules": Children(
            "BonusRule",
            "jsonb_array_elements({t}.bonus_rules) WITH ORDINALITY AS {c}(item, position)",
            "{c}.position"),
        "rewards": Children("Reward", "loyalty_rewards {c} WHERE {c}.programme_id = {t}.id",
                            "{c}.code"),
    },
)

# --- a member's standing -----------------------------------------------------------------

# As QualificationWindow's rules.qualification_start: 1 January where the programme is, or
# twelve months back (the session's zone is UTC, as the service clock's).
_WINDOW_START = (
    f"CASE WHEN g.qualification_window = {quoted(QualificationWindow.CALENDAR_YEAR.value)}"
    " THEN date_trunc('year', {now} AT TIME ZONE g.time_zone) AT TIME ZONE g.time_zone"
    " ELSE {now} - interval '12 months' END"
)
# As Membership.effective_tier_id: an override while it lasts, else the earned tier.
_OVERRIDE_ACTIVE = ("{m}.override_tier_id IS NOT NULL"
                    " AND ({m}.override_expires_at IS NULL OR {now} < {m}.override_expires_at)")
# One row per member with what her standing is computed from; the aggregates are LATERAL
# subqueries so that each is computed once, however many fields use it.
_MEMBER = (
    "FROM (SELECT m.*, g.currency, g.measure, w.window_start,"
    " e.tier_id AS effective_tier_id, n.id AS next_tier_id, n.threshold AS next_threshold,"
    " q.spend AS qualifying_spend, q.points AS qualifying_points"
    " FROM loyalty_memberships m JOIN loyalty_programmes g ON g.id = m.programme_id"
    f" CROSS JOIN LATERAL (SELECT {_WINDOW_START} AS window_start) w"
    " CROSS JOIN LATERAL (SELECT CASE WHEN "
    + _OVERRIDE_ACTIVE.replace("{m}", "m") + " THEN m.override_tier_id ELSE m.tier_id END"
    " AS tier_id) e"
    " LEFT JOIN LATERAL (SELECT x.id, x.threshold FROM loyalty_tiers x"
    " WHERE x.programme_id = m.programme_id"
    " AND x.rank > (SELECT r.rank FROM loyalty_tiers r WHERE r.id = e.tier_id)"
    " ORDER BY x.rank LIMIT 1) n ON TRUE"
    " CROSS JOIN LATERAL (SELECT coalesce(sum(s.net_amount - s.refunded_amount), 0) AS spend,"
    " coalesce(sum(s.points - s.refunded_points), 0) AS points FROM purchases s"
    " WHERE s.customer_id = m.customer_id AND s.programme_id = m.programme_id"
    " AND s.occurred_at >= w.window_start) q"
    " WHERE m.customer_id = {p}.id AND m.programme_id = PROGRAMME) {t}"
)
_NAMED = "(SELECT id FROM loyalty_programmes WHERE code = $?::text)"
# As loyalty_rows.is_default_programme: the oldest.
_DEFAULT = "(SELECT id FROM loyalty_programmes ORDER BY created_at, id LIMIT 1)"


_OF_DEFAULT = _MEMBER.replace("PROGRAMME", _DEFAULT)
_OF_NAMED = _MEMBER.replace("PROGRAMME", _NAMED)


def membership_row(programme: str | None) -> RowQuery:
    """Her membership of the programme named, or of the default one when none is."""
    if programme is None:
        return RowQuery(_OF_DEFAULT)
    return RowQuery(_OF_NAMED, (programme,))


_EXPIRING = ("(SELECT coalesce(sum(l.remaining), 0)::bigint FROM loyalty_point_lots l"
             " WHERE l.customer_id = {t}.customer_id AND l.programme_id = {t}.programme_id"
             " AND l.remaining > 0 AND l.expires_at > {now}"
             " AND l.expires_at <= {now} + $?::int * interval '1 day')")


def points_expiring(within_days: int) -> Expression:
    """As PgLoyaltyQueries.points_expiring: what is left in lots expiring in (now, now +
    within_days]."""
    return Expression(_EXPIRING, (within_days,))


_MEMBERS_ENTRIES = conditions(Condition("{t}.customer_id = {p}.customer_id"),
                              Condition("{t}.programme_id = {p}.programme_id"))
_RECORDED_NEWEST_FIRST = sort_keys(("{t}.recorded_at", "timestamp"), ("{t}.id", "uuid"))


def ledger_page(page: PageRequest) -> PageQuery:
    return PageQuery("loyalty_ledger", _MEMBERS_ENTRIES, _RECORDED_NEWEST_FIRST,
                     descending=True, page=page, ordering=LEDGER_NEWEST_FIRST)


_SPEND = quoted(QualifyingMeasure.SPEND.value)
_TO_NEXT_TIER = "greatest(0, {t}.next_threshold - {t}.%s)"

LOYALTY_MEMBERSHIP = ObjectMapping("LoyaltyMembership", table="loyalty_memberships", fields={
    "programme": Reference("LoyaltyProgramme", "{t}.programme_id"),
    "tier": Reference("LoyaltyTier", "{t}.effective_tier_id"),
    "earnedTier": Reference("LoyaltyTier", "{t}.tier_id"),
    "nextTier": Reference("LoyaltyTier", "{t}.next_tier_id"),
    "spendToNextTier": money(_TO_NEXT_TIER % "qualifying_spend", "{t}.currency",
                             present=f"{{t}}.measure = {_SPEND} AND {{t}}.next_tier_id"
                                     " IS NOT NULL"),
    "pointsToNextTier": Value(
        f"CASE WHEN {{t}}.measure <> {_SPEND} AND {{t}}.next_tier_id IS NOT NULL"
        f" THEN ceil({_TO_NEXT_TIER % 'qualifying_points'})::bigint END"),
    "qualifyingSpend": money("{t}.qualifying_spend", "{t}.currency"),
    "qualifyingPoints": Value("{t}.qualifying_points"),
    "qualificationWindowStart": Value(datetime_json("{t}.window_start")),
    "pointsExpiringSoon": Computed(points_expiring),
    "tierOverride": Embedded("TierOverride", _OVERRIDE_ACTIVE.replace("{m}", "{t}")),
    "memberSince": Value(datetime_json("{t}.enrolled_at")),
    "ledger": Paged("PointsLedgerEntry", ledger_page, connection="PointsLedgerConnection"),
    "tierHistory": Children(
        "TierChange", "loyalty_tier_changes {c} WHERE {c}.customer_id = {t}.customer_id"
        " AND {c}.programme_id = {t}.programme_id", "{c}.id"),
})

# Read from the membership's row.
TIER_OVERRIDE = ObjectMapping("TierOverride", {
    "tier": Reference("LoyaltyTier", "{t}.override_tier_id"),
    **value_fields(
        reason="{t}.override_reason",
        setBy="{t}.override_set_by",
        setAt=datetime_json("{t}.override_set_at"),
        expiresAt=datetime_json("{t}.override_expires_at"),
    ),
})

TIER_CHANGE = ObjectMapping("TierChange", table="loyalty_tier_changes", fields={
    "fromTier": Reference("LoyaltyTier", "{t}.from_tier_id"),
    "toTier": Reference("LoyaltyTier", "{t}.to_tier_id"),
})

POINTS_LEDGER_ENTRY = ObjectMapping(
    "PointsLedgerEntry",
    row="loyalty_ledger {t} WHERE {t}.id = {key}",
    table="loyalty_ledger",
    fields={
        "moneyValue": money(
            "{t}.money_value",
            "(SELECT g.currency FROM loyalty_programmes g WHERE g.id = {t}.programme_id)",
            present="{t}.money_value IS NOT NULL"),
        "purchase": Reference("Purchase", "{t}.purchase_id"),
        "reward": Reference("Reward", "{t}.reward_id"),
        "reverses": Reference("PointsLedgerEntry", "{t}.reverses_id"),
    },
)

# --- purchases ---------------------------------------------------------------------------

PURCHASE = ObjectMapping(
    "Purchase",
    row="purchases {t} WHERE {t}.id = {key}",
    table="purchases",
    fields={
        # The sums kept in step with the lines and refunds (tables.purchases).
        "pointsEarned": Value("{t}.points"),
        "paymentTotal": money("{t}.payment_total", "{t}.currency"),
        "netAmount": money("{t}.net_amount", "{t}.currency"),
        "refundedAmount": money("{t}.refunded_amount", "{t}.currency"),
        "lines": Children(
            "PurchaseLine",
            "(SELECT l.*, {t}.currency FROM purchase_lines l WHERE l.purchase_id = {t}.id) {c}",
            "{c}.line_no"),
        "refunds": Children(
            "Refund",
            "(SELECT r.*, {t}.currency, a.amount, a.points FROM purchase_refunds r"
            " CROSS JOIN LATERAL (SELECT coalesce(sum(x.amount), 0) AS amount,"
            " coalesce(sum(x.points), 0) AS points FROM purchase_refund_lines x"
            " WHERE x.refund_id = r.id) a WHERE r.purchase_id = {t}.id) {c}",
            "{c}.recorded_at, {c}.id"),
        "customer": Reference("Customer", "{t}.customer_id"),
        "store": Reference("Store", "{t}.store_id"),
    },
)

# Lines carry their purchase's currency (see PURCHASE.lines).
PURCHASE_LINE = ObjectMapping("PurchaseLine", table="purchase_lines", fields={
    "unitPrice": money("{t}.unit_price", "{t}.currency"),
    "discount": money("{t}.discount", "{t}.currency"),
    "margin": money("{t}.margin", "{t}.currency", present="{t}.margin IS NOT NULL"),
    "netAmount": money("({t}.quantity * {t}.unit_price - {t}.discount)", "{t}.currency"),
})

# Refunds carry their lines' sums (see PURCHASE.refunds).
REFUND = ObjectMapping("Refund", table="purchase_refunds", fields={
    "points": Value("{t}.points"),
    "amount": money("{t}.amount", "{t}.currency"),
    "lines": Children(
        "RefundLine",
        "(SELECT x.*, {t}.currency FROM purchase_refund_lines x WHERE x.refund_id = {t}.id)"
        " {c}", "{c}.line_no"),
})

REFUND_LINE = ObjectMapping("RefundLine", table="purchase_refund_lines", fields={
    "amount": money("{t}.amount", "{t}.currency"),
})


_CUSTOMERS_PURCHASES = (Condition("{t}.customer_id = {p}.id"),)
_OCCURRED_NEWEST_FIRST = sort_keys(("{t}.occurred_at", "timestamp"), ("{t}.id", "uuid"))


def purchases_page(page: PageRequest) -> PageQuery:
    """A customer's purchases, as PgLoyaltyQueries.purchases pages them."""
    return PageQuery("purchases", _CUSTOMERS_PURCHASES, _OCCURRED_NEWEST_FIRST,
                     descending=True, page=page, ordering=PURCHASES_NEWEST_FIRST)


def programme_row(code: str | None) -> RowQuery:
    """As PgLoyaltyQueries.programme: by code, or the default one."""
    if code is None:
        return RowQuery("FROM loyalty_programmes {t} ORDER BY {t}.created_at, {t}.id LIMIT 1")
    return RowQuery("FROM loyalty_programmes {t} WHERE {t}.code = $?::text", (code,))


CUSTOMER_FIELDS: dict[str, FieldMapping] = {
    "loyalty": Lookup("LoyaltyMembership", membership_row),
    "purchases": Paged("Purchase", purchases_page),
}
ROOT_FIELDS = {"loyaltyProgramme": Lookup("LoyaltyProgramme", programme_row)}
MAPPINGS = (MONEY, LOYALTY_TIER, TIER_PERK, BONUS_RULE, REWARD, LOYALTY_PROGRAMME,
            LOYALTY_MEMBERSHIP, TIER_OVERRIDE, TIER_CHANGE, POINTS_LEDGER_ENTRY, PURCHASE,
            PURCHASE_LINE, REFUND, REFUND_LINE)
