"""Compiled reads: a GraphQL query operation whose fields all map to SQL runs as one
statement in which Postgres builds the whole `data` JSON (docs/performance.md).

The mappings of each bounded context are in its module here; `MAPPINGS` gathers them, and
`RESOLVED_IN_PYTHON` names what deliberately has none (an operation selecting it is
executed field by field instead).
"""

from infrastructure.postgres.compiled import cases, customers, interactions, organisation
from infrastructure.postgres.compiled.compiler import Plan, Rules, Selection
from infrastructure.postgres.compiled.mapping import ObjectMapping

_QUERY = ObjectMapping("Query", {
    **customers.ROOT_FIELDS, **cases.ROOT_FIELDS, **organisation.ROOT_FIELDS,
})
_CUSTOMER = ObjectMapping(
    "Customer",
    {**customers.CUSTOMER.fields, **interactions.CUSTOMER_FIELDS, **cases.CUSTOMER_FIELDS},
    row=customers.CUSTOMER.row,
)

MAPPINGS: dict[str, ObjectMapping] = {
    mapping.type_name: mapping
    for mapping in (
        _QUERY, _CUSTOMER,
        *customers.MAPPINGS, *interactions.MAPPINGS, *cases.MAPPINGS, *organisation.MAPPINGS,
    )
    if mapping is not customers.CUSTOMER
}

# (type, field) pairs answered only by normal execution, and why.
RESOLVED_IN_PYTHON: dict[tuple[str, str], str] = {
    ("Query", "node"): "the type is known only from the id at run time",
    ("Query", "nodes"): "the types are known only from the ids at run time",
    ("Query", "apiClients"): "admin-only and rare: a use case checks the viewer first",
    **{("ApiClient", name): "reached only through apiClients and mutations" for name in (
        "id", "name", "role", "partnerCode", "createdAt", "revokedAt", "keys")},
    **{("ApiKey", name): "reached only through apiClients and mutations" for name in (
        "id", "prefix", "createdAt", "expiresAt", "revokedAt", "lastUsedAt")},
    ("Query", "auditLog"): "the admin's audit log: rare reads, needn't be compiled",
    **{(type_name, name): "reached only through auditLog" for type_name, names in (
        ("AuditEntry", ("at", "action", "operation", "subject", "role", "clientId", "staffId",
                        "targetIds", "outcome", "detail", "requestId")),
        ("AuditEntryConnection", ("edges", "pageInfo", "nodes")),
        ("AuditEntryEdge", ("node", "cursor")),
    ) for name in names},
    **{key: "loyalty reads are executed: not mapped to SQL yet" for key in (
        ("Query", "loyaltyProgramme"), ("Query", "memberPrice"),
        ("Customer", "loyalty"), ("Customer", "purchases"),
    )},
    **{(type_name, name): "reached only through loyalty fields, which are executed"
       for type_name, names in (
        ("LoyaltyProgramme", ("id", "code", "name", "currencyCode", "measure",
                              "qualificationWindow", "downgradePolicy", "graceMonths",
                              "pointsPerUnit", "birthdayMultiplier", "pointsExpireAfterMonths",
                              "pointValue", "timeZone", "version", "tiers", "bonusRules",
                              "rewards")),
        ("LoyaltyTier", ("code", "name", "rank", "threshold", "discountPercent",
                         "earnMultiplier", "perks")),
        ("BonusRule", ("name", "multiplier", "category", "startsOn", "endsOn")),
        ("Reward", ("code", "name", "pointsCost", "description", "active")),
        ("Money", ("amount", "currencyCode")),
        ("LoyaltyMembership", ("programme", "tier", "earnedTier", "nextTier",
                               "spendToNextTier", "pointsToNextTier", "qualifyingSpend",
                               "qualifyingPoints", "qualificationWindowStart", "pointsBalance",
                               "pointsExpiringSoon", "tierOverride", "downgradeDueAt",
                               "memberSince", "ledger", "tierHistory")),
        ("TierOverride", ("tier", "reason", "setBy", "setAt", "expiresAt")),
        ("TierChange", ("fromTier", "toTier", "reason", "occurredAt", "actor", "note")),
        ("PointsLedgerEntry", ("id", "kind", "points", "occurredAt", "recordedAt", "actor",
                               "reason", "expiresAt", "orderRef", "moneyValue", "purchase",
                               "reward", "reverses")),
        ("Purchase", ("id", "channel", "orderId", "occurredAt", "recordedAt", "paymentTotal",
                      "netAmount", "refundedAmount", "pointsEarned", "lines", "refunds",
                      "customer", "store")),
        ("PurchaseLine", ("lineNo", "sku", "name", "category", "quantity", "unitPrice",
                          "discount", "margin", "netAmount", "points", "refundedQuantity")),
        ("Refund", ("id", "refundRef", "occurredAt", "recordedAt", "amount", "points",
                    "lines")),
        ("RefundLine", ("lineNo", "quantity", "amount", "points")),
        ("MemberPriceQuote", ("programme", "tier", "lines", "subtotal", "memberDiscount",
                              "total")),
        ("MemberPriceLine", ("sku", "quantity", "amount", "memberDiscount", "memberAmount")),
        ("PointsLedgerConnection", ("edges", "pageInfo", "nodes")),
        ("PointsLedgerEntryEdge", ("node", "cursor")),
        ("PurchaseConnection", ("edges", "pageInfo", "nodes")),
        ("PurchaseEdge", ("node", "cursor")),
    ) for name in names},
}
# Mutations never compile: they run use cases, and their payloads are built in Python.
RESOLVED_IN_PYTHON_TYPES = ("Mutation",)


def plan(root: str, selections: tuple[Selection, ...], rules: Rules) -> Plan:
    """The plan of an operation over these mappings; raises Unmapped when a selected field
    has none."""
    return Plan(MAPPINGS, root, selections, rules)
