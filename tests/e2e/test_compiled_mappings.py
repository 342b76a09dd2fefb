"""Every field of the schema either has a SQL mapping (compiled reads) or is marked as
resolved in Python, so a new field can't silently push its operations off the fast path;
a field read by convention reads a column its table has."""

from collections.abc import Iterator

from graphql import GraphQLField, GraphQLObjectType, get_named_type

from api.graphql.compiled.selection import leaf_of
from api.graphql.schema import schema
from infrastructure.postgres.compiled import (
    MAPPINGS,
    RESOLVED_IN_PYTHON,
    RESOLVED_IN_PYTHON_TYPES,
)
from infrastructure.postgres.compiled.compiler import CONNECTION_PARTS
from infrastructure.postgres.compiled.mapping import (
    Leaf,
    ObjectMapping,
    Paged,
    Value,
    column_of,
)
from infrastructure.postgres.tables import metadata

SCHEMA = schema._schema


def _object_types() -> Iterator[GraphQLObjectType]:
    for type_ in SCHEMA.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            yield type_


def _reachable(root: str, skip: set[str]) -> set[str]:
    """Object types reachable from `root` without passing through `skip`."""
    seen: set[str] = set()
    stack = [root]
    while stack:
        name = stack.pop()
        if name in seen or name in skip:
            continue
        seen.add(name)
        type_ = SCHEMA.type_map[name]
        assert isinstance(type_, GraphQLObjectType)
        for field in type_.fields.values():
            target = get_named_type(field.type)
            if isinstance(target, GraphQLObjectType):
                stack.append(target.name)
    return seen


def _connection_types() -> dict[str, str]:
    """Connection, edge and PageInfo types, which the compiler writes itself, by the
    structure it gives them."""
    parts: dict[str, str] = {}
    for mapping in MAPPINGS.values():
        for field in mapping.fields.values():
            if isinstance(field, Paged):
                parts[field.connection_name] = "connection"
                parts[f"{field.type_name}Edge"] = "edge"
                parts["PageInfo"] = "pageInfo"
    return parts


def _python_only() -> set[str]:
    """Types reached only through what is marked resolved in Python (mutation payloads)."""
    through_query = _reachable("Query", skip=set(RESOLVED_IN_PYTHON_TYPES))
    return {t.name for t in _object_types()} - through_query


def test_every_field_is_mapped_to_sql_or_marked_resolved_in_python() -> None:
    connections, python_only = _connection_types(), _python_only()
    missing = []
    for type_ in _object_types():
        if type_.name in python_only:
            continue
        mapping = MAPPINGS.get(type_.name)
        known = CONNECTION_PARTS[connections[type_.name]] if type_.name in connections \
            else _mapped(mapping, type_) if mapping else set()
        missing += [
            f"{type_.name}.{name}" for name in type_.fields
            if name not in known and (type_.name, name) not in RESOLVED_IN_PYTHON
        ]
    assert not missing, f"map these in infrastructure/postgres/compiled or mark them: {missing}"


def _leaf(field: GraphQLField) -> Leaf | None:
    scalar, is_list = leaf_of(field.type)
    return None if scalar is None else Leaf(scalar, is_list)


def _mapped(mapping: ObjectMapping, type_: GraphQLObjectType) -> set[str]:
    return {name for name, field in type_.fields.items()
            if mapping.field(name, _leaf(field)) is not None}


def _by_convention() -> Iterator[tuple[ObjectMapping, str]]:
    """(mapping, field) of every field read by convention rather than declared."""
    for mapping in MAPPINGS.values():
        type_ = SCHEMA.type_map.get(mapping.type_name)
        if mapping.table is None or not isinstance(type_, GraphQLObjectType):
            continue
        for name, field in type_.fields.items():
            if name not in mapping.fields and mapping.field(name, _leaf(field)):
                yield mapping, name


def test_a_field_read_by_convention_reads_a_column_of_its_table() -> None:
    missing = []
    for mapping, name in _by_convention():
        assert mapping.table is not None
        column = "id" if name == "id" else column_of(name)
        if column not in metadata.tables[mapping.table].columns:
            missing.append(f"{mapping.type_name}.{name}: no {mapping.table}.{column}")
    assert not missing, f"declare these in infrastructure/postgres/compiled: {missing}"


def test_conventions_cover_the_plain_columns() -> None:
    """Most scalar fields need no declaration: only those that differ are declared."""
    conventional = list(_by_convention())
    declared = [(m.type_name, n) for m in MAPPINGS.values() if m.table is not None
                for n, f in m.fields.items() if isinstance(f, Value)]
    assert len(conventional) > 100, len(conventional)
    assert len(declared) < 20, declared


def _fields(type_name: str) -> dict[str, GraphQLField]:
    type_ = SCHEMA.type_map.get(type_name)
    return dict(type_.fields) if isinstance(type_, GraphQLObjectType) else {}


def test_every_mapping_names_a_field_of_the_schema() -> None:
    stale = [
        f"{type_name}.{name}"
        for type_name, mapping in MAPPINGS.items()
        for name in mapping.fields
        if name not in _fields(type_name)
    ]
    assert not stale


def test_only_mutation_payloads_are_left_to_python_whole() -> None:
    # A partner purchase is what partnerPurchaseRecord and partnerPurchaseReturn answer, and
    # nothing reads it back: the partner keeps its own orders.
    assert {name for name in _python_only() if not name.endswith("Payload")} == {
        "Mutation", "UserError", "PartnerPurchase",
    }


def test_connections_counted_in_the_schema_are_counted_by_the_compiler() -> None:
    for mapping in MAPPINGS.values():
        for name, field in mapping.fields.items():
            if isinstance(field, Paged):
                connection = get_named_type(_fields(mapping.type_name)[name].type).name
                counted = "totalCount" in _fields(connection)
                assert counted == field.counted, f"{mapping.type_name}.{name}"
