"""Fields only some viewers may see, and what the others get. Declared once here; both
execution paths obey it: the compiled path writes the masked value into its SQL, and
`mask_restricted_fields` wraps the resolvers of normal execution.

The rules look only at the viewer's scopes, not at how the caller authenticated: they hold
for any viewer without a scope (tests/e2e/test_visibility.py)."""

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema, default_field_resolver

from api.graphql.context import Context
from domain.shared.access import Restricted, Scope

PERSONAL_DATA = Restricted(Scope.PERSONAL_DATA)
PARTNER_TERMS = Restricted(Scope.PARTNER_TERMS)

FIELD_RULES: Mapping[tuple[str, str], Restricted] = {
    ("Customer", "birthDate"): PERSONAL_DATA,
    ("HouseholdMember", "birthDate"): PERSONAL_DATA,
    ("ContactPoint", "value"): Restricted(Scope.PERSONAL_DATA, masked="***"),
    # A web shop reaches offers through a tier's perks and a member's benefits: it shows
    # what she gets, never what the brand pays for it or agreed with the partner.
    **{("Offer", name): PARTNER_TERMS for name in ("cost", "quota")},
    **{("Partner", name): PARTNER_TERMS
       for name in ("termsDays", "pointValue", "contactName", "contactEmail", "offers")},
}
# Reads of these are audited (api/http/audit.py); the partnership's terms are not personal.
PERSONAL_DATA_FIELDS: Mapping[tuple[str, str], Restricted] = {
    key: rule for key, rule in FIELD_RULES.items() if rule.scope is Scope.PERSONAL_DATA}


def mask_restricted_fields(
    schema: GraphQLSchema, rules: Mapping[tuple[str, str], Restricted]
) -> None:
    for (type_name, field_name), rule in rules.items():
        type_ = schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType), type_name
        field = type_.fields[field_name]
        field.resolve = _masked(field.resolve or default_field_resolver, rule)


def _masked(resolve: Any, rule: Restricted) -> Any:
    def resolve_if_visible(source: Any, info: GraphQLResolveInfo[Context], **arguments: Any) -> Any:
        if not info.context.viewer.may_see(rule.scope):
            return rule.masked
        return resolve(source, info, **arguments)

    return resolve_if_visible
