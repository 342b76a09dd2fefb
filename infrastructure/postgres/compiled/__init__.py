"""Compiled reads: a GraphQL query operation whose fields all map to SQL runs as one
statement in which Postgres builds the whole `data` JSON (docs/performance.md).

The mappings of each bounded context are in its module here; `MAPPINGS` gathers them, and
`RESOLVED_IN_PYTHON` names what deliberately has none (an operation selecting it is
executed field by field instead).
"""

from infrastructure.postgres.compiled import (
    cases,
    customers,
    interactions,
    loyalty,
    organisation,
    partners,
    pipeline,
)
from infrastructure.postgres.compiled.compiler import Plan, Rules, Selection
from infrastructure.postgres.compiled.mapping import FieldMapping, ObjectMapping

_ROOT: dict[str, FieldMapping] = {
    **customers.ROOT_FIELDS, **cases.ROOT_FIELDS, **organisation.ROOT_FIELDS,
    **loyalty.ROOT_FIELDS, **pipeline.ROOT_FIELDS,
}
_CUSTOMER_FIELDS: dict[str, FieldMapping] = {
    **customers.CUSTOMER.fields, **interactions.CUSTOMER_FIELDS, **cases.CUSTOMER_FIELDS,
    **loyalty.CUSTOMER_FIELDS,
}
_QUERY = ObjectMapping("Query", _ROOT)
_CUSTOMER = ObjectMapping("Customer", _CUSTOMER_FIELDS, row=customers.CUSTOMER.row,
                          table=customers.CUSTOMER.table)

MAPPINGS: dict[str, ObjectMapping] = {
    mapping.type_name: mapping
    for mapping in (
        _QUERY, _CUSTOMER,
        *customers.MAPPINGS, *interactions.MAPPINGS, *cases.MAPPINGS, *organisation.MAPPINGS,
        *loyalty.MAPPINGS, *pipeline.MAPPINGS,
    )
    if mapping is not customers.CUSTOMER
}

# (type, field) pairs answered only by normal execution, and why.
RESOLVED_IN_PYTHON: dict[tuple[str, str], str] = {
    ("Query", "node"): "the type is known only from the id at run time",
    ("Query", "nodes"): "the types are known only from the ids at run time",
    ("Query", "apiClients"): "admin-only and rare: a use case checks the viewer first",
    **{("ApiClient", name): "reached only through apiClients and mutations" for name in (
        "id", "name", "role", "partnerCode", "createdAt", "revokedAt", "keys")},
    **{("ApiKey", name): "reached only through apiClients and mutations" for name in (
        "id", "prefix", "createdAt", "expiresAt", "revokedAt", "lastUsedAt")},
    ("Query", "auditLog"): "the admin's audit log: rare reads, needn't be compiled",
    **{(type_name, name): "reached only through auditLog" for type_name, names in (
        ("AuditEntry", ("at", "action", "operation", "subject", "role", "clientId", "staffId",
                        "targetIds", "outcome", "detail", "requestId")),
        ("AuditEntryConnection", ("edges", "pageInfo", "nodes")),
        ("AuditEntryEdge", ("node", "cursor")),
    ) for name in names},
    ("Query", "memberPrice"): "prices the lines a till sends, in Python (domain rules)",
    **{(type_name, name): "reached only through memberPrice" for type_name, names in (
        ("MemberPriceQuote", ("programme", "tier", "lines", "subtotal", "memberDiscount",
                              "total")),
        ("MemberPriceLine", ("sku", "quantity", "amount", "memberDiscount", "memberAmount")),
    ) for name in names},
    **partners.RESOLVED_IN_PYTHON,
    **pipeline.RESOLVED_IN_PYTHON,
}
# Mutations never compile: they run use cases, and their payloads are built in Python.
RESOLVED_IN_PYTHON_TYPES = ("Mutation",)


def plan(root: str, selections: tuple[Selection, ...], rules: Rules) -> Plan:
    """The plan of an operation over these mappings; raises Unmapped when a selected field
    has none."""
    return Plan(MAPPINGS, root, selections, rules)
