"""GraphQL documents and set-up helpers of the loyalty end-to-end tests."""

from decimal import Decimal
from typing import Any

from tests.e2e.api import USER_ERRORS, Gql, ago

MONEY = "{ amount currencyCode }"

PROGRAMME_FIELDS = f"""
fragment ProgrammeFields on LoyaltyProgramme {{
  id code name currencyCode measure qualificationWindow downgradePolicy graceMonths
  pointsPerUnit birthdayMultiplier pointsExpireAfterMonths pointValue {MONEY} version
  tiers {{ code name rank threshold discountPercent earnMultiplier perks }}
  bonusRules {{ name multiplier category startsOn endsOn }}
  rewards {{ code name pointsCost description active }}
}}
"""

PURCHASE_FIELDS = f"""
fragment PurchaseFields on Purchase {{
  id channel orderId occurredAt recordedAt pointsEarned
  paymentTotal {MONEY} netAmount {MONEY} refundedAmount {MONEY}
  lines {{ lineNo sku name category quantity unitPrice {MONEY} discount {MONEY}
          margin {MONEY} netAmount {MONEY} points refundedQuantity }}
  refunds {{ id refundRef amount {MONEY} points lines {{ lineNo quantity amount {MONEY} points }} }}
  customer {{ id }} store {{ id }}
}}
"""

ENTRY_FIELDS = f"""
fragment EntryFields on PointsLedgerEntry {{
  id kind points occurredAt recordedAt actor reason expiresAt orderRef moneyValue {MONEY}
  purchase {{ id orderId }} reward {{ code }} reverses {{ id kind points }}
}}
"""

MEMBERSHIP_FIELDS = f"""
fragment MembershipFields on LoyaltyMembership {{
  programme {{ code }}
  tier {{ code discountPercent }} earnedTier {{ code }} nextTier {{ code }}
  spendToNextTier {MONEY} pointsToNextTier qualifyingSpend {MONEY} qualifyingPoints
  pointsBalance pointsExpiringSoon
  tierOverride {{ tier {{ code }} reason setBy expiresAt }}
  downgradeDueAt memberSince
  tierHistory {{ fromTier {{ code }} toTier {{ code }} reason actor }}
}}
"""

PROGRAMME_SAVE = f"""
mutation($input: LoyaltyProgrammeSaveInput!) {{
  loyaltyProgrammeSave(input: $input) {{ programme {{ ...ProgrammeFields }} {USER_ERRORS} }}
}}
{PROGRAMME_FIELDS}
"""

PURCHASE_RECORD = f"""
mutation($input: PurchaseRecordInput!) {{
  purchaseRecord(input: $input) {{
    purchase {{ ...PurchaseFields }} replayed loyalty {{ ...MembershipFields }} {USER_ERRORS}
  }}
}}
{PURCHASE_FIELDS}
{MEMBERSHIP_FIELDS}
"""

PURCHASE_RECORD_BATCH = f"""
mutation($input: PurchaseRecordBatchInput!) {{
  purchaseRecordBatch(input: $input) {{
    results {{ index status purchase {{ id orderId }} {USER_ERRORS} }}
    recordedCount replayedCount rejectedCount {USER_ERRORS}
  }}
}}
"""

PURCHASE_REFUND = f"""
mutation($input: PurchaseRefundInput!) {{
  purchaseRefund(input: $input) {{
    refund {{ id refundRef amount {MONEY} points lines {{ lineNo quantity }} }}
    purchase {{ ...PurchaseFields }} replayed loyalty {{ ...MembershipFields }} {USER_ERRORS}
  }}
}}
{PURCHASE_FIELDS}
{MEMBERSHIP_FIELDS}
"""

REWARD_REDEEM = f"""
mutation($input: RewardRedeemInput!) {{
  rewardRedeem(input: $input) {{
    entry {{ ...EntryFields }} pointsBalance reward {{ code pointsCost }}
    loyalty {{ pointsBalance }} {USER_ERRORS}
  }}
}}
{ENTRY_FIELDS}
"""

POINTS_PAY = f"""
mutation($input: PointsPayInput!) {{
  pointsPay(input: $input) {{
    entry {{ ...EntryFields }} pointsBalance amount {MONEY} {USER_ERRORS}
  }}
}}
{ENTRY_FIELDS}
"""

POINTS_ADJUST = f"""
mutation($input: PointsAdjustInput!) {{
  pointsAdjust(input: $input) {{ entry {{ ...EntryFields }} pointsBalance {USER_ERRORS} }}
}}
{ENTRY_FIELDS}
"""

TIER_OVERRIDE = f"""
mutation($input: LoyaltyTierOverrideInput!) {{
  loyaltyTierOverride(input: $input) {{ loyalty {{ ...MembershipFields }} {USER_ERRORS} }}
}}
{MEMBERSHIP_FIELDS}
"""

LOYALTY = f"""
query($id: ID!, $first: Int, $after: String, $withinDays: Int!) {{
  customer(id: $id) {{
    loyalty {{
      ...MembershipFields
      expiringWithin: pointsExpiringSoon(withinDays: $withinDays)
      ledger(first: $first, after: $after) {{
        edges {{ cursor node {{ ...EntryFields }} }}
        pageInfo {{ hasNextPage hasPreviousPage endCursor }}
      }}
    }}
  }}
}}
{MEMBERSHIP_FIELDS}
{ENTRY_FIELDS}
"""

PURCHASES = f"""
query($id: ID!, $first: Int) {{
  customer(id: $id) {{ purchases(first: $first) {{ nodes {{ ...PurchaseFields }} }} }}
}}
{PURCHASE_FIELDS}
"""

MEMBER_PRICE = f"""
query($customerId: ID!, $currencyCode: String!, $lines: [MemberPriceLineInput!]!) {{
  memberPrice(customerId: $customerId, currencyCode: $currencyCode, lines: $lines) {{
    programme {{ code }} tier {{ code discountPercent }}
    lines {{ sku quantity amount {MONEY} memberDiscount {MONEY} memberAmount {MONEY} }}
    subtotal {MONEY} memberDiscount {MONEY} total {MONEY}
  }}
}}
"""

PROGRAMME = f"""
query($code: String) {{ loyaltyProgramme(code: $code) {{ ...ProgrammeFields }} }}
{PROGRAMME_FIELDS}
"""

# Mrs. Li's brand: Member 0 / Silver 5000 CNY, 5% off, x1.25 / Gold 20000, 10%, x1.5.
WOMENSWEAR: dict[str, Any] = {
    "code": "womenswear", "name": "Womenswear Club", "currencyCode": "CNY",
    "pointsPerUnit": "1",
    "tiers": [
        {"code": "member", "name": "Member", "threshold": "0"},
        {"code": "silver", "name": "Silver", "threshold": "5000", "discountPercent": "5",
         "earnMultiplier": "1.25", "perks": ["free alterations"]},
        {"code": "gold", "name": "Gold", "threshold": "20000", "discountPercent": "10",
         "earnMultiplier": "1.5", "perks": ["free alterations", "private shopping"]},
    ],
    "rewards": [{"code": "scarf", "name": "Silk scarf", "pointsCost": 1000}],
}


def payload(body: dict[str, Any], mutation: str) -> dict[str, Any]:
    """The mutation's payload, asserting it succeeded with no userErrors."""
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"][mutation]
    assert found["userErrors"] == [], found["userErrors"]
    return found


def line(sku: str, unit_price: str, quantity: int = 1, **fields: Any) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "unitPrice": unit_price, **fields}


def purchase_input(customer_id: str, order_id: str, *lines: dict[str, Any],
                   **fields: Any) -> dict[str, Any]:
    """A POS sale an hour ago, paid in full, in CNY."""
    total = sum((Decimal(item["unitPrice"]) * item["quantity"] for item in lines), Decimal(0))
    return {"customerId": customer_id, "channel": "POS", "orderId": order_id,
            "occurredAt": ago(hours=1), "currencyCode": "CNY",
            "paymentTotal": f"{total:.2f}", "lines": list(lines), **fields}


class LoyaltyApi:
    """Loyalty set-up through the public API; every call asserts success."""

    def __init__(self, gql: Gql) -> None:
        self.gql = gql

    async def programme(self, **changes: Any) -> dict[str, Any]:
        body = await self.gql(PROGRAMME_SAVE, {"input": {**WOMENSWEAR, **changes}})
        saved: dict[str, Any] = payload(body, "loyaltyProgrammeSave")["programme"]
        return saved

    async def purchase(self, customer_id: str, order_id: str, *lines: dict[str, Any],
                       **fields: Any) -> dict[str, Any]:
        body = await self.gql(PURCHASE_RECORD, {
            "input": purchase_input(customer_id, order_id, *lines, **fields)})
        return payload(body, "purchaseRecord")

    async def refund(self, **fields: Any) -> dict[str, Any]:
        fields.setdefault("occurredAt", ago(minutes=5))
        return payload(await self.gql(PURCHASE_REFUND, {"input": fields}), "purchaseRefund")

    async def adjust(self, customer_id: str, points: int, reason: str = "goodwill"
                     ) -> dict[str, Any]:
        body = await self.gql(POINTS_ADJUST, {"input": {
            "customerId": customer_id, "points": points, "reason": reason}})
        return payload(body, "pointsAdjust")

    async def loyalty(self, customer_id: str, first: int = 20, after: str | None = None,
                      within_days: int = 30) -> dict[str, Any]:
        body = await self.gql(LOYALTY, {"id": customer_id, "first": first, "after": after,
                                        "withinDays": within_days})
        assert "errors" not in body, body
        membership: dict[str, Any] = body["data"]["customer"]["loyalty"]
        return membership

    async def quote(self, customer_id: str, *lines: dict[str, Any],
                    currency: str = "CNY") -> dict[str, Any]:
        body = await self.gql(MEMBER_PRICE, {"customerId": customer_id,
                                             "currencyCode": currency, "lines": list(lines)})
        assert "errors" not in body, body
        quote: dict[str, Any] = body["data"]["memberPrice"]
        return quote
