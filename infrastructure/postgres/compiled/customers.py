"""How Customer and its parts are read, for compiled operations (see mapping.py)."""

from domain.customers.queries import (
    ByEmail,
    ByExternalRef,
    ById,
    ByPhone,
    CustomerFilter,
    CustomerLookup,
    CustomerSortKey,
)
from domain.shared.paging import PageRequest
from infrastructure.postgres.compiled.mapping import (
    Children,
    Condition,
    FieldMapping,
    Lookup,
    ObjectMapping,
    Paged,
    PageQuery,
    Reference,
    RowQuery,
    conditions,
    sort_keys,
    value_fields,
    when,
)
from infrastructure.postgres.customers_queries import ordering_for, search_pattern

# Scalar fields are their columns, by convention (mapping.ObjectMapping.table).
CUSTOMER = ObjectMapping(
    "Customer",
    table="customers",
    row="customers {t} WHERE {t}.id = "
        "(SELECT coalesce(m.merged_into_id, m.id) FROM customers m WHERE m.id = {key})",
    fields={
        "owner": Reference("Staff", "{t}.owner_id"),
        "homeStore": Reference("Store", "{t}.home_store_id"),
        "contactPoints": Children(
            "ContactPoint", "contact_points {c} WHERE {c}.customer_id = {t}.id", "{c}.position"),
        "household": Children(
            "HouseholdMember", "household_members {c} WHERE {c}.customer_id = {t}.id",
            "{c}.position"),
        "externalRefs": Children(
            "ExternalReference", "external_refs {c} WHERE {c}.customer_id = {t}.id", "{c}.id"),
        # timeline and cases are declared with their own contexts' mappings.
    },
)

CONTACT_POINT = ObjectMapping("ContactPoint", table="contact_points", fields={
    "consents": Children(
        "Consent", "jsonb_array_elements({t}.consents) WITH ORDINALITY AS {c}(item, position)",
        "{c}.position"),
    "consentHistory": Children(
        "ConsentEvent", "consent_events {c} WHERE {c}.contact_point_id = {t}.id",
        "{c}.recorded_at, {c}.id"),
})

CONSENT_EVENT = ObjectMapping("ConsentEvent", {}, table="consent_events")

# Stored as the domain writes it: names of enums, isoformat() timestamps and dates.
CONSENT = ObjectMapping("Consent", value_fields(
    purpose="{t}.item->>'purpose'",
    granted="{t}.item->'granted'",
    recordedAt="{t}.item->>'recorded_at'",
))

HOUSEHOLD_MEMBER = ObjectMapping("HouseholdMember", table="household_members", fields={
    "importantDates": Children(
        "ImportantDate",
        "jsonb_array_elements({t}.important_dates) WITH ORDINALITY AS {c}(item, position)",
        "{c}.position"),
})

IMPORTANT_DATE = ObjectMapping("ImportantDate", value_fields(
    occasion="{t}.item->>'occasion'",
    date="{t}.item->>'date'",
    label="{t}.item->>'label'",
))

EXTERNAL_REFERENCE = ObjectMapping("ExternalReference", {}, table="external_refs")

_CUSTOMER = "FROM customers {t} WHERE "
_BY_CONTACT = (
    _CUSTOMER + "{t}.id IN (SELECT customer_id FROM contact_points"
    " WHERE kind = $?::text AND value = $?::text) AND {t}.merged_into_id IS NULL"
    " ORDER BY {t}.archived_at IS NOT NULL, {t}.created_at, {t}.id LIMIT 1"
)


def customer_row(lookup: CustomerLookup | None) -> RowQuery:
    """As PgCustomerQueries finds one customer by id, external reference, email or phone."""
    match lookup:
        case ById(customer_id):
            return RowQuery(
                _CUSTOMER + "{t}.id = (SELECT coalesce(m.merged_into_id, m.id)"
                " FROM customers m WHERE m.id = $?::uuid)", (customer_id,))
        case ByExternalRef(system, value):
            return RowQuery(
                _CUSTOMER + "{t}.id IN (SELECT customer_id FROM external_refs"
                " WHERE system = $?::text AND value = $?::text)", (system, value))
        case ByEmail(email):
            return RowQuery(_BY_CONTACT, ("EMAIL", email.strip().lower()))
        case ByPhone(phone):
            return RowQuery(_BY_CONTACT, ("PHONE", phone))
    return RowQuery(None)


_SORT_KEYS = {
    CustomerSortKey.NAME: sort_keys(("{t}.display_name", "text"), ("{t}.id", "uuid")),
    CustomerSortKey.CREATED_AT: sort_keys(("{t}.created_at", "timestamp"), ("{t}.id", "uuid")),
    CustomerSortKey.LAST_INTERACTION_AT: sort_keys(
        # The expression of the index ix_customers_last_interaction_id.
        ("coalesce({t}.last_interaction_at, '0001-01-01 00:00:00+00'::timestamptz)",
         "timestamp"),
        ("{t}.id", "uuid"),
    ),
}


def customer_conditions(where: CustomerFilter) -> tuple[Condition, ...]:
    """As customers_queries._conditions."""
    archived = {True: "{t}.archived_at IS NOT NULL", False: "{t}.archived_at IS NULL"}
    return conditions(
        Condition("{t}.merged_into_id IS NULL"),
        Condition("{t}.erased_at IS NULL"),
        Condition(archived[where.archived]) if where.archived is not None else None,
        Condition("{t}.search_text ILIKE $?::text ESCAPE '\\'", (search_pattern(where.search),))
        if where.search else None,
        when(where.tags, "{t}.tags @> $?::text[]", list(where.tags)),
        when(where.interests, "{t}.interests @> $?::text[]", list(where.interests)),
        when(where.home_store_id, "{t}.home_store_id = $?::uuid", where.home_store_id),
        when(where.owner_id, "{t}.owner_id = $?::uuid", where.owner_id),
        when(where.created_after, "{t}.created_at >= $?::text::timestamptz",
             where.created_after and where.created_after.isoformat()),
        when(where.created_before, "{t}.created_at < $?::text::timestamptz",
             where.created_before and where.created_before.isoformat()),
    )


def customers_page(
    where: CustomerFilter, sort: CustomerSortKey, reverse: bool, page: PageRequest
) -> PageQuery:
    return PageQuery("customers", customer_conditions(where), _SORT_KEYS[sort],
                     descending=reverse, page=page, ordering=ordering_for(sort, reverse))


ROOT_FIELDS: dict[str, FieldMapping] = {
    "customer": Lookup("Customer", customer_row),
    "customers": Paged("Customer", customers_page, counted=True),
}
MAPPINGS = (CUSTOMER, CONTACT_POINT, CONSENT, CONSENT_EVENT, HOUSEHOLD_MEMBER, IMPORTANT_DATE,
            EXTERNAL_REFERENCE)
