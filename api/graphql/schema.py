"""The schema: every context's queries and mutations merged into one."""

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from api.graphql.access.mutations import AccessMutations
from api.graphql.access.queries import AccessQueries
from api.graphql.audit.queries import AuditQueries
from api.graphql.cases.mutations import CaseMutations
from api.graphql.cases.queries import CaseQueries
from api.graphql.cases.types import CustomerCasesFields, InteractionCaseFields
from api.graphql.customers.mutations import CustomerMutations
from api.graphql.customers.privacy import CustomerPrivacyMutations
from api.graphql.customers.queries import CustomerQueries
from api.graphql.customers.types import (
    ContactPointType,
    CustomerType,
    ExternalReferenceType,
    HouseholdMemberType,
)
from api.graphql.extending import add_fields
from api.graphql.interactions.mutations import InteractionMutations
from api.graphql.interactions.types import CustomerTimelineFields, InteractionType
from api.graphql.loyalty.mutations import LoyaltyMutations
from api.graphql.loyalty.queries import LoyaltyQueries
from api.graphql.loyalty.types import (
    CustomerLoyaltyFields,
    GrantLoyaltyFields,
    PointsLedgerEntryType,
    TierPerkType,
)
from api.graphql.money import SCALARS
from api.graphql.node import NodeQueries
from api.graphql.organisation.mutations import OrganisationMutations
from api.graphql.organisation.queries import OrganisationQueries
from api.graphql.organisation.types import StaffType
from api.graphql.partners.mutations import PartnerMutations
from api.graphql.partners.queries import PartnerQueries
from api.graphql.partners.types import (
    CustomerPartnerFields,
    GrantType,
    LedgerEntryPartnerFields,
    TierPerkPartnerFields,
)
from api.graphql.permissions import require_query_operations
from api.graphql.pipeline.mutations import PipelineMutations
from api.graphql.pipeline.queries import PipelineQueries
from api.graphql.pipeline.types import CustomerPipelineFields, StaffPipelineFields
from api.graphql.visibility import FIELD_RULES, mask_restricted_fields

# Each context gives other contexts' types its own fields (api/graphql/extending.py).
add_fields(CustomerType, CustomerTimelineFields, CustomerCasesFields, CustomerLoyaltyFields,
           CustomerPartnerFields, CustomerPipelineFields)
add_fields(StaffType, StaffPipelineFields)
add_fields(InteractionType, InteractionCaseFields)
add_fields(PointsLedgerEntryType, LedgerEntryPartnerFields)
add_fields(TierPerkType, TierPerkPartnerFields)
add_fields(GrantType, GrantLoyaltyFields)

Query = merge_types(
    "Query", (NodeQueries, CustomerQueries, CaseQueries, OrganisationQueries, AccessQueries,
              AuditQueries, LoyaltyQueries, PartnerQueries, PipelineQueries)
)
Mutation = merge_types(
    "Mutation", (CustomerMutations, CustomerPrivacyMutations, InteractionMutations,
                 CaseMutations, OrganisationMutations,
                 AccessMutations, LoyaltyMutations, PartnerMutations, PipelineMutations)
)

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    # Node implementations reached only through the interface must still be in the schema.
    types=[CustomerType, ContactPointType, HouseholdMemberType, ExternalReferenceType],
    config=StrawberryConfig(scalar_map=SCALARS),
)
mask_restricted_fields(schema._schema, FIELD_RULES)
require_query_operations(schema._schema)


def export_sdl() -> str:
    """The schema as committed in schema.graphql."""
    return schema.as_str() + "\n"
