"""How Case and routing rules are read, for compiled operations (see mapping.py)."""

from domain.cases.model import OPEN_STATUSES
from domain.cases.queries import CaseFilter
from domain.shared.paging import PageRequest
from infrastructure.postgres.cases_queries import NEWEST_FIRST
from infrastructure.postgres.compiled.mapping import (
    Condition,
    FieldMapping,
    Listing,
    ObjectMapping,
    Paged,
    PageQuery,
    Reference,
    Value,
    conditions,
    sort_keys,
    when,
)
from infrastructure.postgres.compiled.sql import quoted

_OPEN = ", ".join(quoted(status.value) for status in sorted(OPEN_STATUSES))
# As Case.is_overdue: still open and past its due time, by the service clock.
_OVERDUE = f"({{t}}.status IN ({_OPEN}) AND {{t}}.due_at < {{now}})"

# Scalar fields are their columns, by convention (mapping.ObjectMapping.table).
CASE = ObjectMapping(
    "Case",
    table="cases",
    row="cases {t} WHERE {t}.id = {key}",
    fields={
        "overdue": Value(_OVERDUE),
        "customer": Reference("Customer", "{t}.customer_id"),
        "owner": Reference("Staff", "{t}.owner_id"),
        "store": Reference("Store", "{t}.store_id"),
        "originInteraction": Reference("Interaction", "{t}.origin_interaction_id"),
    },
)

CASE_ROUTING_RULE = ObjectMapping("CaseRoutingRule", table="case_routing_rules", fields={
    "owner": Reference("Staff", "{t}.owner_id"),
    "store": Reference("Store", "{t}.store_id"),
})

_NEWEST_FIRST = sort_keys(("{t}.opened_at", "timestamp"), ("{t}.id", "uuid"))


def case_conditions(where: CaseFilter) -> tuple[Condition, ...]:
    """As PgCaseQueries._conditions."""
    overdue = {True: _OVERDUE, False: f"NOT {_OVERDUE}"}
    return conditions(
        when(where.owner_id, "{t}.owner_id = $?::uuid", where.owner_id),
        when(where.queue, "{t}.queue = $?::text", where.queue),
        when(where.customer_id, "{t}.customer_id = $?::uuid", where.customer_id),
        when(where.statuses, "{t}.status = ANY($?::text[])", [s.value for s in where.statuses]),
        Condition(overdue[where.overdue]) if where.overdue is not None else None,
    )


def cases_page(where: CaseFilter, page: PageRequest) -> PageQuery:
    return PageQuery("cases", case_conditions(where), _NEWEST_FIRST, descending=True,
                     page=page, ordering=NEWEST_FIRST)


def customer_cases_page(where: CaseFilter, page: PageRequest) -> PageQuery:
    parent = Condition("{t}.customer_id = {p}.id")
    return PageQuery("cases", (parent, *case_conditions(where)), _NEWEST_FIRST,
                     descending=True, page=page, ordering=NEWEST_FIRST)


CUSTOMER_FIELDS = {"cases": Paged("Case", customer_cases_page)}
ROOT_FIELDS: dict[str, FieldMapping] = {
    "cases": Paged("Case", cases_page),
    "caseRoutingRules": Listing("CaseRoutingRule", "case_routing_rules {c}",
                                "{c}.created_at, {c}.id"),
}
MAPPINGS = (CASE, CASE_ROUTING_RULE)
