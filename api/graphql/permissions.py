"""Which `Operation` each root field performs: the schema's side of `domain.shared.access`.

Mutations are decided in their use cases, which refuse with a NOT_ALLOWED userError; query
fields are checked here, before their resolvers run, on both execution paths (the compiled
path leaves to normal execution any operation the viewer may not fully read). A root
field without an entry fails tests/e2e/test_role_matrix.py."""

import functools
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema

from api.graphql.context import Context, Info
from api.graphql.errors import named
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError

Op = Operation
ROOT_OPERATIONS: Mapping[str, Operation] = {
    "Query.node": Op.NODE_READ,
    "Query.nodes": Op.NODE_READ,
    "Query.customer": Op.CUSTOMER_READ,
    "Query.customers": Op.CUSTOMER_SEARCH,
    "Query.cases": Op.CASE_READ,
    "Query.caseRoutingRules": Op.ROUTING_READ,
    "Query.stores": Op.ORGANISATION_READ,
    "Query.staff": Op.ORGANISATION_READ,
    "Query.apiClients": Op.API_CLIENT_MANAGE,
    "Query.auditLog": Op.AUDIT_READ,
    "Query.loyaltyProgramme": Op.PROGRAMME_READ,
    "Query.memberPrice": Op.LOYALTY_READ,
    "Query.partners": Op.PARTNER_READ,
    "Query.partner": Op.PARTNER_READ,
    "Query.offers": Op.OFFER_READ,
    "Query.partnerOffers": Op.OWN_OFFERS_READ,
    "Query.grantValidate": Op.GRANT_REDEEM,
    "Query.partnerSettlement": Op.SETTLEMENT_READ,
    "Mutation.customerCreate": Op.CUSTOMER_CREATE,
    "Mutation.customerUpdate": Op.CUSTOMER_EDIT,
    "Mutation.customerArchive": Op.CUSTOMER_ARCHIVE,
    "Mutation.customerRestore": Op.CUSTOMER_ARCHIVE,
    "Mutation.customerMerge": Op.CUSTOMER_MERGE,
    "Mutation.contactPointAdd": Op.CUSTOMER_EDIT,
    "Mutation.contactPointUpdate": Op.CUSTOMER_EDIT,
    "Mutation.contactPointRemove": Op.CUSTOMER_EDIT,
    "Mutation.householdMemberAdd": Op.CUSTOMER_EDIT,
    "Mutation.householdMemberUpdate": Op.CUSTOMER_EDIT,
    "Mutation.householdMemberRemove": Op.CUSTOMER_EDIT,
    "Mutation.externalReferenceAdd": Op.CUSTOMER_EDIT,
    "Mutation.externalReferenceUpdate": Op.CUSTOMER_EDIT,
    "Mutation.externalReferenceRemove": Op.CUSTOMER_EDIT,
    "Mutation.customerExportData": Op.CUSTOMER_EXPORT,
    "Mutation.customerErase": Op.CUSTOMER_ERASE,
    "Mutation.interactionRecord": Op.INTERACTION_RECORD,
    "Mutation.caseOpen": Op.CASE_OPEN,
    "Mutation.caseAssign": Op.CASE_WORK,
    "Mutation.caseStart": Op.CASE_WORK,
    "Mutation.caseResolve": Op.CASE_WORK,
    "Mutation.caseClose": Op.CASE_WORK,
    "Mutation.caseReopen": Op.CASE_WORK,
    "Mutation.caseRoutingRuleCreate": Op.ROUTING_MANAGE,
    "Mutation.caseRoutingRuleDelete": Op.ROUTING_MANAGE,
    "Mutation.storeCreate": Op.ORGANISATION_MANAGE,
    "Mutation.staffCreate": Op.ORGANISATION_MANAGE,
    "Mutation.apiClientCreate": Op.API_CLIENT_MANAGE,
    "Mutation.apiKeyRotate": Op.API_CLIENT_MANAGE,
    "Mutation.apiClientRevoke": Op.API_CLIENT_MANAGE,
    "Mutation.loyaltyProgrammeSave": Op.PROGRAMME_MANAGE,
    "Mutation.purchaseRecord": Op.PURCHASE_RECORD,
    "Mutation.purchaseRecordBatch": Op.PURCHASE_RECORD,
    "Mutation.purchaseRefund": Op.PURCHASE_REFUND,
    "Mutation.rewardRedeem": Op.POINTS_REDEEM,
    "Mutation.pointsPay": Op.POINTS_REDEEM,
    "Mutation.pointsAdjust": Op.POINTS_ADJUST,
    "Mutation.loyaltyTierOverride": Op.TIER_OVERRIDE,
    "Mutation.partnerCreate": Op.PARTNER_MANAGE,
    "Mutation.partnerUpdate": Op.PARTNER_MANAGE,
    "Mutation.partnerSuspend": Op.PARTNER_MANAGE,
    "Mutation.partnerReactivate": Op.PARTNER_MANAGE,
    "Mutation.partnerApiClientCreate": Op.PARTNER_MANAGE,
    "Mutation.offerCreate": Op.OFFER_MANAGE,
    "Mutation.offerUpdate": Op.OFFER_MANAGE,
    "Mutation.offerStatusChange": Op.OFFER_MANAGE,
    "Mutation.grantIssue": Op.GRANT_ISSUE,
    "Mutation.grantRevoke": Op.GRANT_REVOKE,
    "Mutation.grantRedeem": Op.GRANT_REDEEM,
    "Mutation.grantRedemptionReverse": Op.GRANT_REDEEM,
    "Mutation.partnerPurchaseRecord": Op.PARTNER_PURCHASE_RECORD,
    "Mutation.partnerPurchaseReturn": Op.PARTNER_PURCHASE_RECORD,
    "Query.pipelines": Op.PIPELINE_READ,
    "Query.pipeline": Op.PIPELINE_READ,
    "Query.pipelineBoard": Op.DEAL_READ,
    "Query.deals": Op.DEAL_READ,
    "Query.leads": Op.DEAL_READ,
    "Query.pipelineAnalytics": Op.PIPELINE_ANALYTICS,
    "Mutation.pipelineCreate": Op.PIPELINE_MANAGE,
    "Mutation.pipelineUpdate": Op.PIPELINE_MANAGE,
    "Mutation.pipelineStageAdd": Op.PIPELINE_MANAGE,
    "Mutation.pipelineStageUpdate": Op.PIPELINE_MANAGE,
    "Mutation.pipelineStagesReorder": Op.PIPELINE_MANAGE,
    "Mutation.pipelineStageRetire": Op.PIPELINE_MANAGE,
    "Mutation.leadCreate": Op.DEAL_WORK,
    "Mutation.leadUpdate": Op.DEAL_WORK,
    "Mutation.leadQualify": Op.DEAL_WORK,
    "Mutation.leadDisqualify": Op.DEAL_WORK,
    "Mutation.dealCreate": Op.DEAL_WORK,
    "Mutation.dealUpdate": Op.DEAL_WORK,
    "Mutation.dealMove": Op.DEAL_WORK,
    "Mutation.dealReopen": Op.DEAL_WORK,
    "Mutation.dealLink": Op.DEAL_WORK,
}

# Fields below the root that check the viewer's role themselves (require_loyalty_read,
# require_benefit_read, require_customer_of_grant): the
# compiled path takes an operation selecting one only for viewers who may.
FIELD_OPERATIONS: Mapping[tuple[str, str], Operation] = {
    ("Customer", "loyalty"): Op.LOYALTY_READ,
    ("Customer", "purchases"): Op.LOYALTY_READ,
    ("Customer", "benefits"): Op.BENEFIT_READ,
    ("Grant", "customer"): Op.CUSTOMER_READ,
    ("Grant", "purchase"): Op.LOYALTY_READ,
    ("Customer", "deals"): Op.DEAL_READ,
    ("Staff", "deals"): Op.DEAL_READ,
}

# Root fields whose answers depend on which customers the viewer reaches; the compiled
# path takes them only for viewers who reach everyone.
REACH_DEPENDENT = frozenset({"customer", "customers", "cases", "node", "nodes",
                             "memberPrice", "pipelineBoard"})


def not_allowed_error(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "NOT_ALLOWED"})


def require_field_operation(info: Info, operation: Operation) -> None:
    """What a field below the root checks itself (FIELD_OPERATIONS): a viewer whose role may
    not perform `operation` gets a NOT_ALLOWED error for the field."""
    viewer = info.context.viewer
    if not viewer.may(operation):
        raise not_allowed_error(f"{viewer.role.value} may not {operation.value}")


def refused_read(refusal: DomainError) -> GraphQLError:
    """A read the domain refused (NOT_ALLOWED, a reach), as a GraphQL error with its code."""
    first = refusal.errors[0]
    return GraphQLError(named(first.field, first.message), extensions={"code": first.code.value})


def require_query_operations(schema: GraphQLSchema) -> None:
    """Wraps every Query field's resolver: a viewer whose role may not perform the field's
    operation gets a NOT_ALLOWED error, and the resolver never runs."""
    query = schema.query_type
    assert isinstance(query, GraphQLObjectType)
    for name, field in query.fields.items():
        operation = ROOT_OPERATIONS.get(f"Query.{name}")
        if operation is not None and field.resolve is not None:
            field.resolve = _checked(field.resolve, operation)


def _checked(resolve: Any, operation: Operation) -> Any:
    def resolve_if_allowed(source: Any, info: GraphQLResolveInfo[Context], **arguments: Any) -> Any:
        viewer: Viewer = info.context.viewer
        if not viewer.may(operation):
            raise not_allowed_error(f"{viewer.role.value} may not {operation.value}")
        return resolve(source, info, **arguments)

    return resolve_if_allowed


def may_compile(viewer: Viewer, root_fields: frozenset[str],
                fields: frozenset[tuple[str, str]] = frozenset()) -> bool:
    """The compiled path answers only what this viewer may read in full; the rest is
    executed, where the checks run (and answer with their errors). `fields` are all the
    operation selects, at any depth."""
    operations, reach_dependent = _compile_requirements(root_fields, fields)
    if reach_dependent and not viewer.customer_reach.everyone:
        return False
    return all(viewer.may(operation) for operation in operations)


@functools.lru_cache(maxsize=1024)
def _compile_requirements(root_fields: frozenset[str], fields: frozenset[tuple[str, str]]
                          ) -> tuple[frozenset[Operation], bool]:
    """What a viewer needs to read these fields in full: the operations, and whether she
    must reach every customer. Worked out once per operation's fields: a plan's are the
    same frozensets on every request."""
    operations = {FIELD_OPERATIONS[key] for key in fields if key in FIELD_OPERATIONS}
    operations.update(ROOT_OPERATIONS[f"Query.{name}"] for name in root_fields
                      if f"Query.{name}" in ROOT_OPERATIONS)
    return frozenset(operations), not REACH_DEPENDENT.isdisjoint(root_fields)
