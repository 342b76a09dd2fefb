"""Every role against every query and mutation of the schema.

`ROOT_OPERATIONS` names the operation each root field performs and `POLICY` the roles that
may perform it; here every role calls every root field, on both read paths, and is refused
with NOT_ALLOWED exactly when the policy says so. A root field with no operation, or with no
call below, fails the test: a new field cannot arrive without a rule.

The viewers reach the world's customer (the clerk works in her store; the web shop acts for
her), so a refusal here is the role's, never the reach's: reach has its own tests."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from api.graphql.permissions import ROOT_OPERATIONS
from api.graphql.schema import schema
from domain.shared.access import POLICY, Role, Viewer
from tests.e2e.api import Api, ago, unknown_id, uuid_in
from tests.e2e.partners_api import OFFER_INPUT, PartnersApi

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]


@dataclass(frozen=True)
class World:
    store: str
    staff: str
    customer: str
    contact_point: str
    member: str
    reference: str
    case: str
    rule: str
    partner: str
    offer: str


@pytest.fixture
async def world(api: Api) -> World:
    store = (await api.store("hz-matrix"))["id"]
    staff = (await api.staff("clerk@matrix.example", storeId=store))["id"]
    customer = await api.customer(
        displayName="Mrs. Li", homeStoreId=store,
        contactPoints=[{"kind": "EMAIL", "value": "li@matrix.example"}],
        household=[{"name": "Xiao Li", "relationship": "CHILD"}],
        externalRefs=[{"system": "pos-card", "value": "MATRIX-1"}],
    )
    case = await api.case(customer["id"], storeId=store)
    rule = await api.routing_rule(queue="matrix")
    partners = PartnersApi(api.gql)
    partner = await partners.partner(code="cinema", earnRate="1")  # the PARTNER viewer's
    offer = await partners.offer(partner["id"])
    return World(
        store=store, staff=staff, customer=customer["id"],
        contact_point=customer["contactPoints"][0]["id"],
        member=customer["household"][0]["id"], reference=customer["externalRefs"][0]["id"],
        case=case["id"], rule=rule["id"], partner=partner["id"], offer=offer["id"],
    )


def viewers(world: World) -> dict[Role, Viewer]:
    return {
        Role.PARTNER: Viewer(Role.PARTNER, "client:cinema", partner_code="cinema"),
        Role.ANALYTICS: Viewer(Role.ANALYTICS, "client:bi"),
        Role.STOREFRONT: Viewer(Role.STOREFRONT, "client:web-shop",
                                member_id=uuid_in(world.customer)),
        Role.STAFF: Viewer(Role.STAFF, "staff:clerk@matrix.example", staff_id=uuid_in(world.staff),
                           store_ids=frozenset({uuid_in(world.store)})),
        Role.ADMIN: Viewer(Role.ADMIN, "client:platform"),
    }


def calls(w: World) -> dict[str, tuple[str, dict[str, Any]]]:
    """One well-formed call of every root field: (document, variables)."""
    customer_item = {"customerId": w.customer}
    return {
        "Query.node": ("query($id: ID!) { node(id: $id) { id } }", {"id": w.customer}),
        "Query.nodes": ("query($id: ID!) { nodes(ids: [$id]) { id } }", {"id": w.case}),
        "Query.customer": ("query($id: ID!) { customer(id: $id) { id } }", {"id": w.customer}),
        "Query.customers": ("{ customers(first: 5) { nodes { id } } }", {}),
        "Query.cases": ("{ cases(first: 5) { nodes { id } } }", {}),
        "Query.caseRoutingRules": ("{ caseRoutingRules { id } }", {}),
        "Query.stores": ("{ stores { id } }", {}),
        "Query.staff": ("{ staff { id } }", {}),
        "Query.apiClients": ("{ apiClients { id } }", {}),
        "Query.auditLog": ("{ auditLog(first: 5) { nodes { operation } } }", {}),
        "Mutation.customerCreate": _mutation("customerCreate", "CustomerCreateInput!", {
            "displayName": "New member"}),
        "Mutation.customerUpdate": _mutation("customerUpdate", "CustomerUpdateInput!", {
            "id": w.customer, "occupation": "gardener"}),
        "Mutation.customerArchive": _mutation("customerArchive", "CustomerVersionInput!", {
            "id": w.customer}),
        "Mutation.customerRestore": _mutation("customerRestore", "CustomerVersionInput!", {
            "id": w.customer}),
        "Mutation.customerMerge": _mutation("customerMerge", "CustomerMergeInput!", {
            "survivorId": w.customer, "duplicateId": w.customer}),
        "Mutation.contactPointAdd": _mutation("contactPointAdd", "ContactPointAddInput!", {
            **customer_item, "contactPoint": {"kind": "PHONE", "value": "+8613800000000"}}),
        "Mutation.contactPointUpdate": _mutation(
            "contactPointUpdate", "ContactPointUpdateInput!",
            {**customer_item, "contactPointId": w.contact_point, "label": "home"}),
        "Mutation.contactPointRemove": _mutation(
            "contactPointRemove", "CustomerItemRemoveInput!",
            {**customer_item, "id": w.contact_point}),
        "Mutation.householdMemberAdd": _mutation(
            "householdMemberAdd", "HouseholdMemberAddInput!",
            {**customer_item, "member": {"name": "Lao Li", "relationship": "SPOUSE"}}),
        "Mutation.householdMemberUpdate": _mutation(
            "householdMemberUpdate", "HouseholdMemberUpdateInput!",
            {**customer_item, "memberId": w.member, "name": "Li Xiaoming"}),
        "Mutation.householdMemberRemove": _mutation(
            "householdMemberRemove", "CustomerItemRemoveInput!",
            {**customer_item, "id": w.member}),
        "Mutation.externalReferenceAdd": _mutation(
            "externalReferenceAdd", "ExternalReferenceAddInput!",
            {**customer_item, "reference": {"system": "shop", "value": "MATRIX-2"}}),
        "Mutation.externalReferenceUpdate": _mutation(
            "externalReferenceUpdate", "ExternalReferenceUpdateInput!",
            {**customer_item, "referenceId": w.reference, "value": "MATRIX-3"}),
        "Mutation.externalReferenceRemove": _mutation(
            "externalReferenceRemove", "CustomerItemRemoveInput!",
            {**customer_item, "id": w.reference}),
        "Mutation.customerExportData": _mutation(
            "customerExportData", "CustomerExportDataInput!", customer_item, result="document"),
        "Mutation.customerErase": _mutation("customerErase", "CustomerEraseInput!", {
            **customer_item, "reason": "member asked"}),
        "Mutation.interactionRecord": _mutation(
            "interactionRecord", "InteractionRecordInput!",
            {**customer_item, "channel": "POS", "kind": "visit",
             "occurredAt": "2026-11-01T10:00:00+08:00"}, result="interaction { id }"),
        "Mutation.caseOpen": _mutation("caseOpen", "CaseOpenInput!", {
            **customer_item, "kind": "REQUEST", "subject": "alteration"}, result="case { id }"),
        **{f"Mutation.{name}": _mutation(name, input_type, {"caseId": w.case, **extra},
                                         result="case { id }")
           for name, input_type, extra in (
               ("caseAssign", "CaseAssignInput!", {"ownerId": w.staff}),
               ("caseStart", "CaseTransitionInput!", {}),
               ("caseResolve", "CaseResolveInput!", {"resolutionNote": "done"}),
               ("caseClose", "CaseTransitionInput!", {}),
               ("caseReopen", "CaseTransitionInput!", {}))},
        "Mutation.caseRoutingRuleCreate": _mutation(
            "caseRoutingRuleCreate", "CaseRoutingRuleCreateInput!", {"queue": "vip"},
            result="rule { id }"),
        "Mutation.caseRoutingRuleDelete": (
            "mutation($id: ID!) { caseRoutingRuleDelete(id: $id) { userErrors { code } } }",
            {"id": w.rule}),
        "Mutation.storeCreate": _mutation("storeCreate", "StoreCreateInput!", {
            "code": "hz-new", "name": "New store"}, result="store { id }"),
        "Mutation.staffCreate": _mutation("staffCreate", "StaffCreateInput!", {
            "name": "Zhou", "email": "zhou@matrix.example"}, result="staff { id }"),
        "Mutation.apiClientCreate": _mutation("apiClientCreate", "ApiClientCreateInput!", {
            "name": "matrix-shop", "role": "STOREFRONT"}, result="secret"),
        "Mutation.apiKeyRotate": _mutation("apiKeyRotate", "ApiKeyRotateInput!", {
            "apiClientId": w.customer}, result="secret"),
        "Mutation.apiClientRevoke": _mutation("apiClientRevoke", "ApiClientRevokeInput!", {
            "apiClientId": w.customer}, result="apiClient { id }"),
        **loyalty_calls(w),
        **partner_calls(w),
        **pipeline_calls(w),
    }


def loyalty_calls(w: World) -> dict[str, tuple[str, dict[str, Any]]]:
    """The world has no programme: an allowed role gets NOT_FOUND, a refused one NOT_ALLOWED."""
    customer_item = {"customerId": w.customer}
    sale = {**customer_item, "channel": "POS", "orderId": "MATRIX-1",
            "occurredAt": "2026-11-01T10:00:00+08:00", "currencyCode": "CNY",
            "paymentTotal": "100.00",
            "lines": [{"sku": "COAT", "quantity": 1, "unitPrice": "100.00"}]}
    return {
        "Query.loyaltyProgramme": ("{ loyaltyProgramme { code } }", {}),
        "Query.memberPrice": (
            "query($id: ID!) { memberPrice(customerId: $id, currencyCode: \"CNY\", "
            "lines: [{sku: \"COAT\", quantity: 1, unitPrice: \"100.00\"}]) { total { amount } } }",
            {"id": w.customer}),
        "Mutation.loyaltyProgrammeSave": _mutation(
            "loyaltyProgrammeSave", "LoyaltyProgrammeSaveInput!", {
                "code": "matrix", "name": "Matrix Club", "currencyCode": "CNY",
                "tiers": [{"code": "member", "name": "Member", "threshold": "0"}]},
            result="programme { id }"),
        "Mutation.purchaseRecord": _mutation("purchaseRecord", "PurchaseRecordInput!", sale,
                                             result="purchase { id }"),
        "Mutation.purchaseRecordBatch": _mutation(
            "purchaseRecordBatch", "PurchaseRecordBatchInput!", {"purchases": [sale]},
            result="results { status userErrors { code } }"),
        "Mutation.purchaseRefund": _mutation("purchaseRefund", "PurchaseRefundInput!", {
            "purchaseId": unknown_id("Purchase"), "refundRef": "R-1",
            "occurredAt": "2026-11-01T11:00:00+08:00"}, result="refund { id }"),
        "Mutation.rewardRedeem": _mutation("rewardRedeem", "RewardRedeemInput!", {
            **customer_item, "rewardCode": "scarf"}, result="entry { id }"),
        "Mutation.pointsPay": _mutation("pointsPay", "PointsPayInput!", {
            **customer_item, "points": 100, "orderRef": "WEB-1"}, result="entry { id }"),
        "Mutation.pointsAdjust": _mutation("pointsAdjust", "PointsAdjustInput!", {
            **customer_item, "points": 100, "reason": "goodwill"}, result="entry { id }"),
        "Mutation.loyaltyTierOverride": _mutation(
            "loyaltyTierOverride", "LoyaltyTierOverrideInput!", {
                **customer_item, "tierCode": "gold", "reason": "vip"},
            result="loyalty { pointsBalance }"),
    }


def partner_calls(w: World) -> dict[str, tuple[str, dict[str, Any]]]:
    """The world's partner is the PARTNER viewer's; codes and ids that find nothing answer
    an allowed role with CODE_MISTYPED or NOT_FOUND, never NOT_ALLOWED."""
    partner, offer = {"partnerId": w.partner}, {"offerId": w.offer}
    return {
        "Query.partners": ("{ partners(first: 5) { nodes { id } } }", {}),
        "Query.partner": ("query($id: ID!) { partner(id: $id) { id } }", {"id": w.partner}),
        "Query.offers": ("{ offers(first: 5) { nodes { id } } }", {}),
        "Query.partnerOffers": ("{ partnerOffers(first: 5) { nodes { id } } }", {}),
        "Query.grantValidate": ('{ grantValidate(code: "7K3M") { valid problem } }', {}),
        "Query.partnerSettlement": (
            "query($id: ID!) { partnerSettlement(partnerId: $id, period: \"2026-11\") "
            "{ closed } }", {"id": w.partner}),
        "Mutation.partnerCreate": _mutation("partnerCreate", "PartnerCreateInput!", {
            "code": "matrix-cafe", "name": "Matrix Café", "industry": "food",
            "currencyCode": "CNY"}, result="partner { id }"),
        "Mutation.partnerUpdate": _mutation("partnerUpdate", "PartnerUpdateInput!", {
            **partner, "name": "Cinema City"}, result="partner { id }"),
        "Mutation.partnerSuspend": _mutation("partnerSuspend", "PartnerSuspendInput!", {
            **partner, "reason": "audit"}, result="partner { id }"),
        "Mutation.partnerReactivate": _mutation(
            "partnerReactivate", "PartnerReactivateInput!", partner, result="partner { id }"),
        "Mutation.partnerApiClientCreate": _mutation(
            "partnerApiClientCreate", "PartnerApiClientCreateInput!", {
                **partner, "name": "matrix-counter"}, result="secret"),
        "Mutation.offerCreate": _mutation("offerCreate", "OfferCreateInput!", {
            **OFFER_INPUT, **partner, "code": "matrix-offer"}, result="offer { id }"),
        "Mutation.offerUpdate": _mutation("offerUpdate", "OfferUpdateInput!", {
            **offer, "title": "Two tickets"}, result="offer { id }"),
        "Mutation.offerStatusChange": _mutation(
            "offerStatusChange", "OfferStatusChangeInput!", {**offer, "status": "ACTIVE"},
            result="offer { id }"),
        "Mutation.grantIssue": _mutation("grantIssue", "GrantIssueInput!", {
            **offer, "customerId": w.customer, "reason": "complaint"}, result="grant { id }"),
        "Mutation.grantRevoke": _mutation("grantRevoke", "GrantRevokeInput!", {
            "grantId": unknown_id("Grant"), "reason": "mistake"}, result="grant { id }"),
        "Mutation.grantRedeem": _mutation("grantRedeem", "GrantRedeemInput!", {
            "code": "7K3M", "idempotencyKey": "k-1", "location": "counter 1"},
            result="redemption { id }"),
        "Mutation.grantRedemptionReverse": _mutation(
            "grantRedemptionReverse", "GrantRedemptionReverseInput!", {
                "redemptionId": unknown_id("Redemption"), "reason": "mistake"},
            result="redemption { id }"),
        "Mutation.partnerPurchaseRecord": _mutation(
            "partnerPurchaseRecord", "PartnerPurchaseRecordInput!", {
                "member": {"system": "pos-card", "value": "MATRIX-1"}, "orderId": "C-1",
                "amount": "38.00", "currencyCode": "CNY", "occurredAt": ago(minutes=5)},
            result="purchase { id }"),
        "Mutation.partnerPurchaseReturn": _mutation(
            "partnerPurchaseReturn", "PartnerPurchaseReturnInput!", {
                "orderId": "C-404", "returnRef": "R-1"}, result="purchase { id }"),
    }


def pipeline_calls(w: World) -> dict[str, tuple[str, dict[str, Any]]]:
    """Ids that find nothing answer an allowed role with NOT_FOUND, never NOT_ALLOWED."""
    pipeline, stage = unknown_id("Pipeline"), unknown_id("PipelineStage")
    deal, lead = {"dealId": unknown_id("Deal")}, {"leadId": unknown_id("Lead")}
    terms = {"pipelineId": pipeline, "title": "Coat", "amount": "4800.00",
             "currencyCode": "CNY"}
    return {
        "Query.pipelines": ("{ pipelines { id } }", {}),
        "Query.pipeline": ("query($id: ID!) { pipeline(id: $id) { id } }", {"id": pipeline}),
        "Query.pipelineBoard": (
            "query($id: ID!) { pipelineBoard(pipelineId: $id) { dealCount } }", {"id": pipeline}),
        "Query.deals": ("{ deals(first: 5) { nodes { id } } }", {}),
        "Query.leads": ("{ leads(first: 5) { nodes { id } } }", {}),
        "Query.pipelineAnalytics": (
            'query($id: ID!) { pipelineAnalytics(pipelineId: $id, from: "2026-11-01", '
            'to: "2026-11-30") { to } }', {"id": pipeline}),
        "Mutation.pipelineCreate": _mutation("pipelineCreate", "PipelineCreateInput!", {
            "code": "matrix-floor", "name": "Floor", "currencyCode": "CNY", "stages": [
                {"name": "Call", "probability": "0.2"}, {"name": "Won", "kind": "WON"},
                {"name": "Lost", "kind": "LOST"}]}, result="pipeline { id }"),
        "Mutation.pipelineUpdate": _mutation("pipelineUpdate", "PipelineUpdateInput!", {
            "pipelineId": pipeline, "allowSkips": True}, result="pipeline { id }"),
        "Mutation.pipelineStageAdd": _mutation("pipelineStageAdd", "PipelineStageAddInput!", {
            "pipelineId": pipeline, "stage": {"name": "Fitting", "probability": "0.5"}},
            result="pipeline { id }"),
        "Mutation.pipelineStageUpdate": _mutation(
            "pipelineStageUpdate", "PipelineStageUpdateInput!", {"stageId": stage,
                                                                 "name": "Visit"},
            result="pipeline { id }"),
        "Mutation.pipelineStagesReorder": _mutation(
            "pipelineStagesReorder", "PipelineStagesReorderInput!", {
                "pipelineId": pipeline, "stageIds": [stage]}, result="pipeline { id }"),
        "Mutation.pipelineStageRetire": _mutation(
            "pipelineStageRetire", "PipelineStageRetireInput!", {"stageId": stage},
            result="pipeline { id }"),
        "Mutation.leadCreate": _mutation("leadCreate", "LeadCreateInput!", {
            "customerId": w.customer, "source": {"channel": "PHONE"}}, result="lead { id }"),
        "Mutation.leadUpdate": _mutation("leadUpdate", "LeadUpdateInput!", {
            **lead, "nextFollowUpOn": "2026-11-20"}, result="lead { id }"),
        "Mutation.leadQualify": _mutation("leadQualify", "LeadQualifyInput!", {
            **lead, "deal": terms}, result="lead { id }"),
        "Mutation.leadDisqualify": _mutation("leadDisqualify", "LeadDisqualifyInput!", {
            **lead, "reason": "no intent"}, result="lead { id }"),
        "Mutation.dealCreate": _mutation("dealCreate", "DealCreateInput!", {
            **terms, "customerId": w.customer}, result="deal { id }"),
        "Mutation.dealUpdate": _mutation("dealUpdate", "DealUpdateInput!", {
            **deal, "title": "Two coats"}, result="deal { id }"),
        "Mutation.dealMove": _mutation("dealMove", "DealMoveInput!", {
            **deal, "toStageId": stage}, result="deal { id }"),
        "Mutation.dealReopen": _mutation("dealReopen", "DealReopenInput!", {
            **deal, "toStageId": stage, "reason": "called back"}, result="deal { id }"),
        "Mutation.dealLink": _mutation("dealLink", "DealLinkInput!", {
            **deal, "caseId": w.case}, result="deal { id }"),
    }


def _mutation(name: str, input_type: str, fields: dict[str, Any],
              result: str = "customer { id }") -> tuple[str, dict[str, Any]]:
    document = (f"mutation($input: {input_type}) {{ {name}(input: $input) {{ "
                f"{result} userErrors {{ field code message }} }} }}")
    return document, {"input": fields}


def root_fields() -> set[str]:
    sdl_schema = schema._schema
    roots = (("Query", sdl_schema.query_type), ("Mutation", sdl_schema.mutation_type))
    return {f"{kind}.{name}" for kind, type_ in roots if type_ is not None
            for name in type_.fields}


def test_every_root_field_has_an_operation_and_a_call_here() -> None:
    dummy = World(*(["X"] * 10))
    assert root_fields() - ROOT_OPERATIONS.keys() == set(), "root fields without a rule"
    assert ROOT_OPERATIONS.keys() - root_fields() == set(), "rules for no field"
    assert root_fields() - calls(dummy).keys() == set(), "root fields without a call"


def refused_as_not_allowed(field: str, body: dict[str, Any]) -> bool:
    """NOT_ALLOWED as a GraphQL error (queries) or a userError (mutations)."""
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors", [])]
    data = body.get("data") or {}
    payload = data.get(field.split(".")[1]) or {}
    if isinstance(payload, dict):
        codes += [e["code"] for e in payload.get("userErrors", [])]
    return "NOT_ALLOWED" in codes


# Roles that may change the world go last, so refused calls meet it as the fixture made it.
ROLE_ORDER = (Role.PARTNER, Role.ANALYTICS, Role.STOREFRONT, Role.STAFF, Role.ADMIN)


# Queries on both read paths; mutations have one.
CASES = [(field, compiled) for field in sorted(root_fields())
         for compiled in ((True, False) if field.startswith("Query.") else (True,))]


@pytest.mark.parametrize(("field", "compiled"), CASES,
                         ids=[f"{f}-{'compiled' if c else 'executed'}" for f, c in CASES])
async def test_each_role_is_refused_exactly_what_the_policy_denies(
    field: str, compiled: bool, world: World, client_as: ClientAs
) -> None:
    document, variables = calls(world)[field]
    allowed_roles = POLICY[ROOT_OPERATIONS[field]]
    outcome = {}
    for role in ROLE_ORDER:
        http = await client_as(viewers(world)[role], compiled_reads=compiled)
        response = await http.post("/graphql", json={"query": document, "variables": variables})
        body = response.json()
        # A call the document got wrong would fail validation, with no code: not a test.
        assert all(e.get("extensions", {}).get("code") for e in body.get("errors", [])), body
        outcome[role] = not refused_as_not_allowed(field, body)
    assert outcome == {role: role in allowed_roles for role in ROLE_ORDER}
