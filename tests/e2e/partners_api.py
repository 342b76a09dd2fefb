"""GraphQL documents and set-up helpers of the partners end-to-end tests."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.e2e.api import USER_ERRORS, Api, Gql, ago, result
from tests.e2e.loyalty_api import LoyaltyApi, line

MONEY = "{ amount currencyCode }"

PARTNER_FIELDS = f"""
fragment PartnerFields on Partner {{
  id code name industry currencyCode contactName contactEmail termsDays earnRate
  pointValue {MONEY} status version createdAt updatedAt
}}
"""

OFFER_FIELDS = f"""
fragment OfferFields on Offer {{
  id code title description status validFrom validUntil grantValidDays redeemUntil version
  benefit {{ kind item amount {MONEY} percent multiplier }}
  eligibility {{ tierCodes interests programmeCode }}
  trigger {{ kind category sku minSpend tierCode }}
  quota {{ total perMember perPeriod period }}
  cost {{ payer unitCost {MONEY} brandShare brandOwes {MONEY} }}
  partner {{ id code }}
}}
"""

GRANT_FIELDS = """
fragment GrantFields on Grant {
  id code state issuedAt expiresAt issuedBy reason redeemedAt revokedAt
  offer { id code title } partner { id code }
  redemptions { id location reversed }
}
"""

REDEMPTION_FIELDS = f"""
fragment RedemptionFields on Redemption {{
  id code location redeemedAt redeemedBy reversed reversedAt reverseReason
  amount {MONEY} offer {{ id code }}
}}
"""

PURCHASE_FIELDS = f"""
fragment PartnerPurchaseFields on PartnerPurchase {{
  id orderId amount {MONEY} occurredAt recordedAt points returnedAmount {MONEY} returnedPoints
}}
"""

CHECK_FIELDS = """
fragment CheckFields on GrantCheck {
  code valid problem expiresAt member { firstName tierName } offer { id code title }
}
"""

SETTLEMENT_FIELDS = f"""
fragment SettlementFields on Settlement {{
  period currencyCode closed partner {{ code }}
  lines {{ kind direction count amount {MONEY} points offer {{ code }} }}
  brandOwes {MONEY} partnerOwes {MONEY} netToPartner {MONEY} csv
}}
"""


def _mutation(name: str, input_type: str, result_fields: str, fragment: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ {result_fields} {USER_ERRORS} }}
}}
{fragment}
"""


PARTNER_CREATE = _mutation("partnerCreate", "PartnerCreateInput", "partner { ...PartnerFields }",
                           PARTNER_FIELDS)
PARTNER_UPDATE = _mutation("partnerUpdate", "PartnerUpdateInput", "partner { ...PartnerFields }",
                           PARTNER_FIELDS)
PARTNER_SUSPEND = _mutation("partnerSuspend", "PartnerSuspendInput",
                            "partner { ...PartnerFields }", PARTNER_FIELDS)
PARTNER_REACTIVATE = _mutation("partnerReactivate", "PartnerReactivateInput",
                               "partner { ...PartnerFields }", PARTNER_FIELDS)
PARTNER_API_CLIENT_CREATE = """
mutation($input: PartnerApiClientCreateInput!) {
  partnerApiClientCreate(input: $input) {
    apiClient { id name role partnerCode } secret userErrors { field code message }
  }
}
"""
OFFER_CREATE = _mutation("offerCreate", "OfferCreateInput", "offer { ...OfferFields }",
                         OFFER_FIELDS)
OFFER_UPDATE = _mutation("offerUpdate", "OfferUpdateInput", "offer { ...OfferFields }",
                         OFFER_FIELDS)
OFFER_STATUS_CHANGE = _mutation("offerStatusChange", "OfferStatusChangeInput",
                                "offer { ...OfferFields }", OFFER_FIELDS)
GRANT_ISSUE = _mutation("grantIssue", "GrantIssueInput", "grant { ...GrantFields }",
                        GRANT_FIELDS)
GRANT_REVOKE = _mutation("grantRevoke", "GrantRevokeInput", "grant { ...GrantFields }",
                         GRANT_FIELDS)
GRANT_REDEEM = _mutation("grantRedeem", "GrantRedeemInput",
                         "redemption { ...RedemptionFields } replayed", REDEMPTION_FIELDS)
GRANT_REDEMPTION_REVERSE = _mutation("grantRedemptionReverse", "GrantRedemptionReverseInput",
                                     "redemption { ...RedemptionFields }", REDEMPTION_FIELDS)
PARTNER_PURCHASE_RECORD = _mutation("partnerPurchaseRecord", "PartnerPurchaseRecordInput",
                                    "purchase { ...PartnerPurchaseFields } replayed",
                                    PURCHASE_FIELDS)
PARTNER_PURCHASE_RETURN = _mutation("partnerPurchaseReturn", "PartnerPurchaseReturnInput",
                                    "purchase { ...PartnerPurchaseFields } replayed",
                                    PURCHASE_FIELDS)

GRANT_VALIDATE = f"""
query($code: String!) {{ grantValidate(code: $code) {{ ...CheckFields }} }}
{CHECK_FIELDS}
"""

PARTNER_OFFERS = f"""
query($status: OfferStatus) {{
  partnerOffers(status: $status, first: 50) {{ nodes {{ ...OfferFields }} }}
}}
{OFFER_FIELDS}
"""

OFFERS = f"""
query($partnerId: ID, $status: OfferStatus) {{
  offers(partnerId: $partnerId, status: $status, first: 50) {{ nodes {{ ...OfferFields }} }}
}}
{OFFER_FIELDS}
"""

PARTNERS = f"""
query($status: PartnerStatus) {{
  partners(status: $status, first: 50) {{
    nodes {{ ...PartnerFields offers(first: 10) {{ nodes {{ code status }} }} }}
  }}
}}
{PARTNER_FIELDS}
"""

SETTLEMENT = f"""
query($partnerId: ID, $period: String!) {{
  partnerSettlement(partnerId: $partnerId, period: $period) {{ ...SettlementFields }}
}}
{SETTLEMENT_FIELDS}
"""

BENEFITS = f"""
query($id: ID!, $state: GrantState) {{
  customer(id: $id) {{ benefits(state: $state, first: 20) {{ nodes {{ ...GrantFields }} }} }}
}}
{GRANT_FIELDS}
"""

CINEMA: dict[str, Any] = {
    "code": "wanda-cinema", "name": "Wanda Cinema", "industry": "cinema",
    "currencyCode": "CNY", "contactName": "Zhao Min", "contactEmail": "partners@wanda.example",
}
CAFE: dict[str, Any] = {
    "code": "harbour-cafe", "name": "Harbour Café", "industry": "food", "currencyCode": "CNY",
    "earnRate": "2", "pointValue": "0.01",
}

# A movie ticket for a mascara bought by a member who loves films; the brand pays 35 CNY.
OFFER_INPUT: dict[str, Any] = {
    "code": "mascara-movie", "title": "A movie ticket with your mascara",
    "benefit": {"kind": "FREE_ITEM", "item": "movie ticket"},
    "eligibility": {"interests": ["loves-films"]},
    "trigger": {"kind": "PURCHASE", "category": "mascara"},
    "quota": {"perMember": 1},
    "cost": {"payer": "BRAND", "unitCost": "35.00"},
}


def payload(body: dict[str, Any], mutation: str) -> dict[str, Any]:
    """The mutation's payload, asserting it succeeded with no userErrors."""
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"][mutation]
    assert found["userErrors"] == [], found["userErrors"]
    return found


def bearer(secret: str) -> dict[str, str]:
    """The header keywords of `gql` for a request with this API key."""
    return {"authorization": f"Bearer {secret}"}


class PartnersApi:
    """Alliance set-up through the public API, as the admin; every call asserts success."""

    def __init__(self, gql: Gql) -> None:
        self.gql = gql

    async def partner(self, **fields: Any) -> dict[str, Any]:
        body = await self.gql(PARTNER_CREATE, {"input": {**CINEMA, **fields}})
        created: dict[str, Any] = result(body, "partnerCreate")
        return created

    async def offer(self, partner_id: str, *, active: bool = False,
                    **fields: Any) -> dict[str, Any]:
        body = await self.gql(OFFER_CREATE, {"input": {**OFFER_INPUT, "partnerId": partner_id,
                                                       **fields}})
        offer: dict[str, Any] = result(body, "offerCreate")
        if active:
            offer = await self.status(offer["id"], "ACTIVE")
        return offer

    async def status(self, offer_id: str, status: str) -> dict[str, Any]:
        body = await self.gql(OFFER_STATUS_CHANGE, {"input": {"offerId": offer_id,
                                                              "status": status}})
        changed: dict[str, Any] = result(body, "offerStatusChange")
        return changed

    async def key(self, partner_id: str, name: str = "counter") -> str:
        """A new API client of the partner: its secret."""
        body = await self.gql(PARTNER_API_CLIENT_CREATE, {"input": {"partnerId": partner_id,
                                                                    "name": name}})
        secret: str = payload(body, "partnerApiClientCreate")["secret"]
        return secret

    async def suspend(self, partner_id: str) -> dict[str, Any]:
        body = await self.gql(PARTNER_SUSPEND, {"input": {"partnerId": partner_id,
                                                          "reason": "unpaid invoices"}})
        suspended: dict[str, Any] = result(body, "partnerSuspend")
        return suspended

    async def issue(self, offer_id: str, customer_id: str) -> dict[str, Any]:
        body = await self.gql(GRANT_ISSUE, {"input": {"offerId": offer_id,
                                                      "customerId": customer_id,
                                                      "reason": "made good a complaint"}})
        issued: dict[str, Any] = result(body, "grantIssue")
        return issued

    async def benefits(self, customer_id: str, state: str | None = None) -> list[dict[str, Any]]:
        body = await self.gql(BENEFITS, {"id": customer_id, "state": state})
        assert "errors" not in body, body
        nodes: list[dict[str, Any]] = body["data"]["customer"]["benefits"]["nodes"]
        return nodes


class PartnerCounter:
    """One partner's own API client: what its counter and its back office call."""

    def __init__(self, gql: Gql, secret: str) -> None:
        self.gql, self.headers = gql, bearer(secret)

    async def ask(self, document: str, variables: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
        return await self.gql(document, variables, **self.headers)

    async def validate(self, code: str) -> dict[str, Any]:
        body = await self.ask(GRANT_VALIDATE, {"code": code})
        assert "errors" not in body, body
        check: dict[str, Any] = body["data"]["grantValidate"]
        return check

    async def redeem(self, code: str, key: str = "till-1-0001", **fields: Any
                     ) -> dict[str, Any]:
        return await self.ask(GRANT_REDEEM, {"input": {
            "code": code, "idempotencyKey": key, "location": "Jing'an counter 2", **fields}})

    async def settlement(self, period: str, partner_id: str | None = None) -> dict[str, Any]:
        body = await self.ask(SETTLEMENT, {"period": period, "partnerId": partner_id})
        assert "errors" not in body, body
        settlement: dict[str, Any] = body["data"]["partnerSettlement"]
        return settlement

    async def earn(self, order_id: str, amount: str, member: str = "LISA-1",
                   **fields: Any) -> dict[str, Any]:
        return await self.ask(PARTNER_PURCHASE_RECORD, {"input": {
            "member": {"system": "pos-card", "value": member}, "orderId": order_id,
            "amount": amount, "currencyCode": "CNY", "occurredAt": ago(minutes=10), **fields}})


# --- the alliance most tests start from -----------------------------------------------


def this_period() -> str:
    now = datetime.now(UTC)
    return f"{now.year:04d}-{now.month:02d}"


def money(value: dict[str, str]) -> str:
    return f"{value['amount']} {value['currencyCode']}"


@dataclass(frozen=True)
class Alliance:
    store: str
    lisa: str
    cinema: str
    offer: str
    cinema_key: str
    cafe: str
    cafe_key: str


async def lisa_customer(api: Api, store: str, *, shares: bool = True,
                        ref: str = "LISA-1", name: str = "Lisa", **fields: Any) -> str:
    """A film lover sharing with partners (unless `shares` is False); more fields as
    `customerCreate` takes them."""
    customer = await api.customer(
        displayName=f"{name} Wang", givenName=name, familyName="Wang", homeStoreId=store,
        interests=["loves-films"], tags=["white-collar"],
        contactPoints=[{"kind": "EMAIL", "value": f"{name.lower()}@example.com",
                        "consents": [{"purpose": "PARTNER_SHARING", "granted": shares}]}],
        externalRefs=[{"system": "pos-card", "value": ref}], **fields)
    return str(customer["id"])


async def set_up_alliance(api: Api, loyalty: LoyaltyApi, gql: Gql) -> Alliance:
    """The Jing'an Temple store, the womenswear programme, Lisa (sharing with partners,
    loving films, card LISA-1), the cinema with its active mascara offer and the café
    (earning 2 points a yuan), each partner with an API key."""
    store = (await api.store("sh-jingan", name="Jing'an Temple"))["id"]
    await loyalty.programme()
    lisa = await lisa_customer(api, store)
    partners = PartnersApi(gql)
    cinema = (await partners.partner())["id"]
    offer = (await partners.offer(cinema, active=True))["id"]
    cafe = (await partners.partner(**CAFE))["id"]
    return Alliance(store=store, lisa=lisa, cinema=cinema, offer=offer,
                    cinema_key=await partners.key(cinema, "cinema-counter"), cafe=cafe,
                    cafe_key=await partners.key(cafe, "cafe-till"))


async def buy_mascara(loyalty: LoyaltyApi, alliance: Alliance, order: str = "JA-1001"
                      ) -> dict[str, Any]:
    return await loyalty.purchase(alliance.lisa, order,
                                  line("MASCARA-01", "180.00", category="mascara"),
                                  line("TISSUE", "5.00", category="sundries"),
                                  storeId=alliance.store)
