"""The alliance's reads are not compiled yet: every partners field is answered by normal
execution (its resolvers and DataLoaders), and an operation selecting one is executed
whole. Marked here, so that `test_compiled_mappings.py` knows it is on purpose.

The partner's hot read, `grantValidate`, is a use case (an unknown code counts against
the caller's key, in a transaction): measured rather than compiled."""

_FIELDS: dict[str, tuple[str, ...]] = {
    "Partner": ("id", "code", "name", "industry", "currencyCode", "contactName",
                "contactEmail", "termsDays", "earnRate", "pointValue", "status", "version",
                "createdAt", "updatedAt", "offers"),
    "Offer": ("id", "code", "title", "description", "status", "validFrom", "validUntil",
              "grantValidDays", "redeemUntil", "eligibility", "trigger", "quota", "version",
              "createdAt", "updatedAt", "partner", "benefit", "cost"),
    "OfferBenefit": ("kind", "item", "amount", "percent", "multiplier"),
    "OfferEligibility": ("tierCodes", "interests", "programmeCode"),
    "OfferTrigger": ("kind", "category", "sku", "minSpend", "tierCode"),
    "OfferQuota": ("total", "perMember", "perPeriod", "period"),
    "OfferCost": ("payer", "unitCost", "brandShare", "brandOwes"),
    "Grant": ("id", "code", "issuedAt", "expiresAt", "issuedBy", "reason", "redeemedAt",
              "revokedAt", "state", "offer", "partner", "customer", "redemptions", "purchase"),
    "Redemption": ("id", "location", "redeemedAt", "redeemedBy", "reversedAt",
                   "reverseReason", "reversed", "amount", "code", "offer"),
    "GrantCheck": ("code", "valid", "problem", "expiresAt", "member", "offer"),
    "SharedMember": ("firstName", "tierName"),
    "PartnerName": ("code", "name", "industry"),
    "PartnerPurchase": ("id", "orderId", "amount", "occurredAt", "recordedAt", "points",
                        "returnedAmount", "returnedPoints"),
    "Settlement": ("period", "currencyCode", "closed", "lines", "brandOwes", "partnerOwes",
                   "netToPartner", "partner", "csv"),
    "SettlementLine": ("kind", "direction", "count", "amount", "points", "offer"),
    **{f"{node}Connection": ("edges", "pageInfo", "nodes")
       for node in ("Partner", "Offer", "Grant")},
    **{f"{node}Edge": ("node", "cursor") for node in ("Partner", "Offer", "Grant")},
    "Query": ("partners", "partner", "offers", "partnerOffers", "grantValidate",
              "partnerSettlement"),
    "Customer": ("benefits",),
    "PointsLedgerEntry": ("partner",),
    "TierPerk": ("offer",),
}

RESOLVED_IN_PYTHON: dict[tuple[str, str], str] = {
    (type_name, name): "the alliance's reads are executed, not compiled (yet)"
    for type_name, names in _FIELDS.items() for name in names
}
