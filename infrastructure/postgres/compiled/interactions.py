"""How Interaction is read, for compiled operations (see mapping.py)."""

from domain.interactions.queries import TimelineFilter
from domain.shared.paging import PageRequest
from infrastructure.postgres.compiled.mapping import (
    Condition,
    Embedded,
    ObjectMapping,
    Paged,
    PageQuery,
    Reference,
    conditions,
    sort_keys,
    when,
)
from infrastructure.postgres.interactions_queries import NEWEST_FIRST

# Scalar fields are their columns, by convention (mapping.ObjectMapping.table).
INTERACTION = ObjectMapping(
    "Interaction",
    table="interactions",
    row="interactions {t} WHERE {t}.id = {key}",
    fields={
        "geo": Embedded("GeoPoint", "{t}.latitude IS NOT NULL"),
        "customer": Reference("Customer", "{t}.customer_id"),
        "store": Reference("Store", "{t}.store_id"),
        "staff": Reference("Staff", "{t}.staff_id"),
        "case": Reference("Case", "{t}.case_id"),
    },
)

# Read from the interaction's row.
GEO_POINT = ObjectMapping("GeoPoint", {}, table="interactions")

_NEWEST_FIRST = sort_keys(("{t}.occurred_at", "timestamp"), ("{t}.id", "uuid"))


def timeline_page(where: TimelineFilter, page: PageRequest) -> PageQuery:
    """A customer's interactions, as interactions_queries.timelines pages them."""
    return PageQuery(
        "interactions",
        conditions(
            Condition("{t}.customer_id = {p}.id"),
            when(where.channels, "{t}.channel = ANY($?::text[])",
                 [c.value for c in where.channels]),
            when(where.kinds, "{t}.kind = ANY($?::text[])", list(where.kinds)),
            when(where.occurred_after, "{t}.occurred_at >= $?::text::timestamptz",
                 where.occurred_after and where.occurred_after.isoformat()),
            when(where.occurred_before, "{t}.occurred_at < $?::text::timestamptz",
                 where.occurred_before and where.occurred_before.isoformat()),
        ),
        _NEWEST_FIRST, descending=True, page=page, ordering=NEWEST_FIRST,
    )


CUSTOMER_FIELDS = {"timeline": Paged("Interaction", timeline_page)}
MAPPINGS = (INTERACTION, GEO_POINT)
