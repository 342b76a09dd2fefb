"""The vocabulary of read mappings: how each GraphQL type and field is read from Postgres.

A mapping is declared once per GraphQL type, in the module of its bounded context, with SQL
templates in which `{t}` stands for the alias of the row the field is read from. The
compiler (compiler.py) puts the templates together into one statement per operation.

A plain scalar field needs no template when its type's mapping names its `table`: the field
`birthDate` is then the column `birth_date` of the row, written as its GraphQL type says
(`by_convention`). So adding a column to a compiled type is adding it to the GraphQL type;
only fields that differ (computed, renamed, read from JSON) are declared here.

Fields whose answer depends on arguments (connections, root lookups) have a `bind`
function: it turns the arguments, already checked and converted to the domain's query
objects by the API layer, into a `PageQuery` or `RowQuery`. Their SQL text depends only on
which arguments were given (the shape); the values travel as bind parameters, so one
compiled statement serves every request of the same shape.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.shared.paging import PageRequest
from infrastructure.postgres.compiled.sql import (
    SORT_KEY_KINDS,
    date_json,
    datetime_json,
    decimal_json,
    float_json,
    global_id,
    json_quoted,
)
from infrastructure.postgres.paging import Ordering

Template = str
PARAMETER = "$?"  # where a bind value goes in a Condition; numbered when compiled


@dataclass(frozen=True)
class Value:
    """A scalar, scalar list or JSON value computed from the row. `{now}` in the template is
    the request's time, from the service clock. The compiler writes the value as JSON by its
    GraphQL type, unless `is_json`: then the template writes its JSON text itself, never
    null."""

    sql: Template
    is_json: bool = False


@dataclass(frozen=True)
class Embedded:
    """An object read from the same row (a geo point); null when `present` is false, never
    when it is None. `names` fill the placeholders of the object's own templates: Money's
    `{amount}` and `{currency}` are a different pair of expressions wherever it appears."""

    type_name: str
    present: Template | None
    names: Mapping[str, Template] = field(default_factory=dict)


@dataclass(frozen=True)
class Expression:
    """A value's SQL for one request's arguments: each `$?` in it takes the next of
    `values`."""

    sql: Template
    values: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        assert self.sql.count(PARAMETER) == len(self.values), self.sql

    @property
    def shape(self) -> object:
        return self.sql


@dataclass(frozen=True)
class Computed:
    """A scalar field with arguments (points expiring within so many days): `bind` turns
    them into its Expression on the row."""

    bind: Callable[..., Expression]


@dataclass(frozen=True)
class Reference:
    """One object of `type_name` found by `key`, an expression on this row."""

    type_name: str
    key: Template


@dataclass(frozen=True)
class Children:
    """A list of objects: `rows` is a FROM item where `{c}` is the child's alias and `{t}`
    the parent's; `order` sorts them."""

    type_name: str
    rows: Template
    order: Template


@dataclass(frozen=True)
class Condition:
    """A WHERE term; each `$?` in it takes the next of `values`."""

    sql: Template
    values: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        assert self.sql.count(PARAMETER) == len(self.values), self.sql


@dataclass(frozen=True)
class SortKey:
    sql: Template
    kind: str  # one of sql.SORT_KEY_KINDS: how its cursor value is written

    def __post_init__(self) -> None:
        assert self.kind in SORT_KEY_KINDS, self.kind


@dataclass(frozen=True)
class RowQuery:
    """At most one row: `sql` is "FROM … WHERE … [ORDER BY … LIMIT 1]" with `{t}` the row's
    alias; None finds nothing."""

    sql: Template | None
    values: tuple[Any, ...] = ()

    @property
    def shape(self) -> object:
        return self.sql


@dataclass(frozen=True)
class PageQuery:
    """One page of a connection over `table`, in the order of `keys` (the last one unique).
    `{p}` in a condition is the parent row's alias. `ordering` decodes cursors exactly as
    the query service does; a bad cursor raises the same DomainError."""

    table: str
    conditions: tuple[Condition, ...]
    keys: tuple[SortKey, ...]
    descending: bool
    page: PageRequest
    ordering: Ordering
    cursor_values: tuple[Any, ...] | None = field(init=False)

    def __post_init__(self) -> None:
        cursor, argument = (
            (self.page.before, "before") if self.page.backwards else (self.page.after, "after")
        )
        decoded = None if cursor is None else tuple(
            _bindable(v) for v in self.ordering.decode(cursor, argument)
        )
        object.__setattr__(self, "cursor_values", decoded)

    @property
    def shape(self) -> object:
        # The page size is written into the SQL, not bound: a generic plan of `LIMIT $n`
        # assumes a tenth of the table is wanted, and at a million customers chooses a
        # parallel scan and sort of all of them over the index that gives the first 50.
        return (self.table, tuple(c.sql for c in self.conditions), self.keys, self.descending,
                self.page.backwards, self.page.after is not None, self.page.before is not None,
                self.page.size)

    @property
    def values(self) -> tuple[Any, ...]:
        values = [v for c in self.conditions for v in c.values]
        values.extend(self.cursor_values or ())
        return tuple(values)


def _bindable(value: Any) -> Any:
    # Timestamps travel as text (see paging._bind_timestamp).
    return value.isoformat() if isinstance(value, datetime) else value


Bind = Callable[..., RowQuery | PageQuery]


@dataclass(frozen=True)
class Lookup:
    """A field with arguments answering one object, or null: at the root, or below an
    object whose row is `{p}` in the RowQuery (a customer's loyalty in a programme)."""

    type_name: str
    bind: Callable[..., RowQuery]


@dataclass(frozen=True)
class Listing:
    """A root field answering every row of a table, in order."""

    type_name: str
    rows: Template
    order: Template


@dataclass(frozen=True)
class Paged:
    """A connection (edges, nodes, pageInfo, totalCount when `counted`)."""

    type_name: str  # the node type
    bind: Callable[..., PageQuery]
    counted: bool = False
    connection: str | None = None  # its type's name, when not the node type's + Connection

    @property
    def connection_name(self) -> str:
        return self.connection or f"{self.type_name}Connection"


FieldMapping = Value | Computed | Embedded | Reference | Children | Lookup | Listing | Paged


@dataclass(frozen=True)
class Leaf:
    """What the GraphQL schema says of a scalar or enum field: the named type, and whether
    it is a list of them."""

    type_name: str
    is_list: bool = False


@dataclass(frozen=True)
class ObjectMapping:
    """A GraphQL object type. `row` finds the row with id `{key}` (a FROM item and WHERE,
    `{t}` its alias), for references to this type. With `table`, the rows are that table's
    (or hold its columns) and the scalar fields not in `fields` are read by convention."""

    type_name: str
    fields: Mapping[str, FieldMapping]
    row: Template | None = None
    table: str | None = None

    def field(self, name: str, leaf: Leaf | None) -> FieldMapping | None:
        """The field's mapping: declared, else by convention for a scalar field."""
        declared = self.fields.get(name)
        if declared is not None or self.table is None or leaf is None:
            return declared
        return by_convention(self.type_name, name, leaf)


# The JSON the GraphQL scalars are written as (api/graphql/schema.py's scalars, strawberry's
# own); any other scalar or enum is the column's value as it is.
_WRITERS: Mapping[str, Callable[[str], str]] = {
    "Date": date_json, "DateTime": datetime_json, "Decimal": decimal_json,
    "Float": float_json,
}


def by_convention(type_name: str, name: str, leaf: Leaf) -> Value | None:
    """`fooBar` → the column `foo_bar` of the row `{t}`; `id` → the type's global id. None
    for what has no convention (a list of dates, an ID other than `id`)."""
    column = "{t}." + column_of(name)
    if leaf.type_name == "ID":
        return id_value(type_name, column) if name == "id" and not leaf.is_list else None
    writer = _WRITERS.get(leaf.type_name)
    if writer is None:
        return Value(column)
    return None if leaf.is_list else Value(writer(column))


def id_value(type_name: str, expression: Template) -> Value:
    """The global id of the uuid `expression`: base64, so quoted with nothing to escape."""
    return Value(json_quoted(global_id(type_name, expression)), is_json=True)


def column_of(name: str) -> str:
    """The column a field reads by convention: camelCase → snake_case."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def value_fields(**templates: Template) -> dict[str, Value]:
    return {name: Value(sql) for name, sql in templates.items()}


def sort_keys(*keys: tuple[Template, str]) -> tuple[SortKey, ...]:
    return tuple(SortKey(sql, kind) for sql, kind in keys)


def conditions(*terms: Condition | None) -> tuple[Condition, ...]:
    return tuple(term for term in terms if term is not None)


def when(given: Any, sql: Template, *values: Any) -> Condition | None:
    """The condition if `given` is set (not None, not empty), else nothing."""
    if given is None or (isinstance(given, tuple | list | set | frozenset) and not given):
        return None
    return Condition(sql, values)
