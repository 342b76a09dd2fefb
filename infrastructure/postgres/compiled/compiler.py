"""Selections → one SQL statement whose single text value is the `data` JSON.

A `Plan` is made once per operation (the API layer caches it) from the selected fields,
already resolved by the API layer into plain `Selection` trees. Per request, the plan binds
the arguments of its connections and lookups, and renders SQL for their shape (which
arguments were given) the first time that shape is seen; the values go as bind parameters.

What the SQL looks like:
- an object is JSON text concatenated from its keys and values, keys in selection order
  (sql.json_object; every value is JSON text, never null);
- a reference is a scalar subquery on the target's row, a list the JSON texts of a subquery
  as an array joined by commas (no aggregate to set up: an ordered one costs a sort per
  list);
- a connection pages its rows in a subquery (keyset condition, `LIMIT n + 1`), numbers them,
  and aggregates edges, nodes and pageInfo from the first n (without pageInfo, edges and
  nodes are arrays of `LIMIT n` rows); totalCount counts the same
  conditions without the cursor.
"""

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.shared.access import Restricted
from domain.shared.lru import LruCache
from infrastructure.postgres.compiled.mapping import (
    PARAMETER,
    Children,
    Computed,
    Embedded,
    Expression,
    Leaf,
    Listing,
    Lookup,
    ObjectMapping,
    Paged,
    PageQuery,
    Reference,
    RowQuery,
    SortKey,
    Template,
    Value,
)
from infrastructure.postgres.compiled.sql import (
    cursor,
    json_array,
    json_nullable,
    json_object,
    json_quoted,
    json_string,
    json_text,
    json_value,
)

# Who may see which (type, field): the rest get the masked value, written into the SQL.
Rules = Mapping[tuple[str, str], Restricted]
STATEMENTS_PER_PLAN = 32
# The fields the compiler writes itself for every connection (mapping.Paged).
CONNECTION_PARTS = {
    "connection": {"edges", "nodes", "pageInfo", "totalCount"},
    "edge": {"node", "cursor"},
    "pageInfo": {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"},
}
_CASTS = {"timestamp": "::text::timestamptz", "text": "::text", "uuid": "::uuid"}


class Unmapped(Exception):
    """The selection has a field without a SQL mapping: execute it field by field."""


@dataclass(frozen=True)
class Selection:
    """One response key: the field it reads, its subselection, for fields with arguments
    the position of their bound query in a request's argument list, and for a scalar or
    enum field what the schema says it is (mappings read such fields by convention)."""

    key: str
    name: str
    selections: tuple["Selection", ...] = ()
    slot: int | None = None
    scalar: str | None = None  # a scalar or enum field's GraphQL type
    is_list: bool = False  # of such values
    enum: bool = False  # the scalar is an enum

    @property
    def leaf(self) -> Leaf | None:
        return None if self.scalar is None else Leaf(self.scalar, self.is_list)


@dataclass(frozen=True)
class _Bound:
    """One slot's query for one request's arguments, with what the statement needs of it:
    its shape, numbered (equal shapes, equal numbers: a cheap key), and its values."""

    query: RowQuery | PageQuery | Expression
    shape: int
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: list[Any]


class Plan:
    def __init__(
        self, mappings: dict[str, ObjectMapping], root: str, selections: tuple[Selection, ...],
        rules: Rules,
    ) -> None:
        self._mappings = mappings
        self._rules = rules
        self._root = root
        self._selections = selections
        self._binds: dict[int, Any] = {}
        self._fields: set[tuple[str, str]] = set()
        self._check(mappings[root], selections)
        self._slots = sorted(self._binds)
        self._rendered: LruCache[object, tuple[str, bool]] = LruCache(STATEMENTS_PER_PLAN)
        self._shape_numbers: dict[object, int] = {}
        self._last_bound: list[tuple[object, _Bound] | None] = [None] * len(self._slots)
        self.root_fields = frozenset(s.name for s in selections)
        self.fields = frozenset(self._fields)  # every (type, field) selected, at any depth

    def _check(self, mapping: ObjectMapping, selections: tuple[Selection, ...]) -> None:
        for selection in selections:
            if selection.name == "__typename":
                continue
            field = mapping.field(selection.name, selection.leaf)
            if field is None:
                raise Unmapped(f"{mapping.type_name}.{selection.name}")
            self._fields.add((mapping.type_name, selection.name))
            if isinstance(field, Lookup | Paged | Computed):
                if selection.slot is None:
                    raise Unmapped(f"{mapping.type_name}.{selection.name} has no arguments")
                self._binds[selection.slot] = field.bind
            if isinstance(field, Paged):
                self._check_connection(field.type_name, selection.selections)
            elif not isinstance(field, Value | Computed):
                self._check(self._mappings[field.type_name], selection.selections)

    def _check_connection(self, node_type: str, selections: tuple[Selection, ...]) -> None:
        node = self._mappings[node_type]
        for part in selections:
            if part.name == "nodes":
                self._check(node, part.selections)
            for edge_part in part.selections if part.name == "edges" else ():
                if edge_part.name == "node":
                    self._check(node, edge_part.selections)

    @property
    def argument_slots(self) -> list[int]:
        return self._slots

    def statement(self, arguments: Sequence[tuple[Any, ...]], scopes: frozenset[str],
                  now: datetime) -> Statement:
        """The SQL and parameters for one request. `arguments[i]` are the arguments of the
        field in slot `argument_slots[i]`, as the mapping's bind takes them; a DomainError
        from binding (a bad cursor) means the request must be executed normally."""
        if len(arguments) != len(self._slots):
            raise ValueError(f"{len(arguments)} arguments for {len(self._slots)} slots")
        bound = [self._bound(index, args) for index, args in enumerate(arguments)]
        shape = (scopes, tuple(b.shape for b in bound))
        sql, uses_now = self._rendered.get_or_add(shape, lambda: _Renderer(
            self._mappings, self._rules,
            {slot: b.query for slot, b in zip(self._slots, bound, strict=True)}, scopes,
        ).statement(self._root, self._selections))
        parameters = [value for b in bound for value in b.values]
        if uses_now:
            parameters.append(now)
        return Statement(sql, parameters)

    def _bound(self, index: int, arguments: tuple[Any, ...]) -> _Bound:
        """The slot's query for these arguments. Arguments that are the very object of the
        slot's last request (an operation's literal arguments, read once by the API layer)
        are not bound again: binding a page and hashing its shape is most of the Python
        time a compiled read spends here."""
        last = self._last_bound[index]
        if last is not None and last[0] is arguments:
            return last[1]
        query = self._binds[self._slots[index]](*arguments)
        number = self._shape_numbers.setdefault(query.shape, len(self._shape_numbers))
        bound = _Bound(query, number, query.values)
        self._last_bound[index] = (arguments, bound)
        return bound


class _Renderer:
    """Writes the SQL for one shape. Parameters are numbered slot by slot, in slot order,
    so the values of any request of the same shape line up with them."""

    def __init__(
        self, mappings: dict[str, ObjectMapping], rules: Rules,
        bound: dict[int, RowQuery | PageQuery | Expression], scopes: frozenset[str],
    ) -> None:
        self._mappings = mappings
        self._rules = rules
        self._bound = bound
        self._scopes = scopes
        self._aliases = itertools.count()
        self._first_parameter: dict[int, int] = {}
        number = 1
        for slot in sorted(bound):
            self._first_parameter[slot] = number
            number += len(bound[slot].values)
        self._now = f"${number}::timestamptz"
        self._uses_now = False

    def statement(self, root: str, selections: tuple[Selection, ...]) -> tuple[str, bool]:
        body = self._object(self._mappings[root], "", selections)
        return f"SELECT convert_to({body}, 'UTF8')", self._uses_now

    def _alias(self) -> str:
        return f"t{next(self._aliases)}"

    def _sql(self, template: Template, **names: str) -> str:
        if "{now}" in template:
            self._uses_now = True
            template = template.replace("{now}", self._now)
        for name, value in names.items():
            template = template.replace("{" + name + "}", value)
        return template

    def _object(self, mapping: ObjectMapping, alias: str,
                selections: tuple[Selection, ...], names: Mapping[str, str] | None = None,
                ) -> str:
        return json_object((s.key, self._field(mapping, alias, s, names or {}))
                           for s in selections)

    def _field(self, mapping: ObjectMapping, alias: str, selection: Selection,
               names: Mapping[str, str]) -> str:
        if selection.name == "__typename":
            return json_string(mapping.type_name)
        field = mapping.field(selection.name, selection.leaf)
        assert field is not None, f"{mapping.type_name}.{selection.name} was checked"
        if isinstance(field, Value):
            rule = self._rules.get((mapping.type_name, selection.name))
            if rule is not None and rule.scope not in self._scopes:
                return "'null'" if rule.masked is None else json_string(rule.masked)
            sql = self._sql(field.sql, t=alias, **names)
            return sql if field.is_json else self._value(selection, sql)
        if isinstance(field, Computed):
            assert selection.slot is not None
            expression = self._bound[selection.slot]
            assert isinstance(expression, Expression)
            return self._value(
                selection, self._numbered(selection.slot, self._sql(expression.sql, t=alias))[0])
        if isinstance(field, Paged):
            return self._connection(field, alias, selection)
        target = self._mappings[field.type_name]
        if isinstance(field, Embedded):
            inner = {name: self._sql(sql, t=alias, **names) for name, sql in field.names.items()}
            value = self._object(target, alias, selection.selections, {**names, **inner})
            if field.present is None:
                return value
            return (f"CASE WHEN {self._sql(field.present, t=alias, **names)} THEN {value}"
                    " ELSE 'null' END")
        if isinstance(field, Reference):
            assert target.row is not None, f"{target.type_name} has no row to refer to"
            child = self._alias()
            rows = self._sql(target.row, t=child, key=self._sql(field.key, t=alias))
            return json_nullable(
                f"(SELECT {self._object(target, child, selection.selections)} FROM {rows})")
        if isinstance(field, Lookup):
            return self._lookup(target, alias, selection)
        return self._list(field, target, alias, selection)

    @staticmethod
    def _value(selection: Selection, sql: str) -> str:
        return json_value(sql, selection.scalar, is_list=selection.is_list, enum=selection.enum)

    def _list(self, field: Children | Listing, target: ObjectMapping, alias: str,
              selection: Selection) -> str:
        child = self._alias()
        node = self._object(target, child, selection.selections)
        rows = self._sql(field.rows, t=alias, c=child)
        order = self._sql(field.order, c=child)
        return json_array(f"ARRAY(SELECT {node} FROM {rows} ORDER BY {order})")

    def _lookup(self, target: ObjectMapping, parent: str, selection: Selection) -> str:
        assert selection.slot is not None
        query = self._bound[selection.slot]
        assert isinstance(query, RowQuery)
        row = self._alias()
        if query.sql is None:
            # Finds nothing, but the arguments of fields below it are bound all the same:
            # select from no row, so that their parameters still appear in the statement
            # (Postgres refuses one it can't see, "could not determine data type").
            assert target.row is not None, f"{target.type_name} has no row to find none of"
            empty = self._sql(target.row, t=row, key="NULL")
            return json_nullable(
                f"(SELECT {self._object(target, row, selection.selections)} FROM {empty})")
        found = self._numbered(selection.slot, self._sql(query.sql, t=row, p=parent))[0]
        return json_nullable(f"(SELECT {self._object(target, row, selection.selections)} {found})")

    def _numbered(self, slot: int, *templates: str) -> list[str]:
        """Each `$?` → the next parameter of `slot`, across `templates` in order."""
        numbers = itertools.count(self._first_parameter[slot])
        out = []
        for template in templates:
            parts = template.split(PARAMETER)
            out.append("".join(
                part + (f"${next(numbers)}" if i < len(parts) - 1 else "")
                for i, part in enumerate(parts)
            ))
        return out

    def _connection(self, field: Paged, parent: str, selection: Selection) -> str:
        assert selection.slot is not None
        query = self._bound[selection.slot]
        assert isinstance(query, PageQuery)
        page = _PageSql(self, field, query, parent, selection.slot)
        parts = {s.name for s in selection.selections}
        if "pageInfo" not in parts and parts & {"edges", "nodes"}:
            # Without pageInfo no part needs the row past the page nor the page's first and
            # last rows: each list is an array of the page's rows, with no aggregate (whose
            # set-up, a sort and a group per connection, cost more than its rows). With no
            # list either, the page below still binds the size and cursor parameters.
            return json_object((s.key, page.listed_part(s)) for s in selection.selections)
        connection = json_object((s.key, page.part(s)) for s in selection.selections)
        # GROUP BY (): one row even when no part aggregates (only totalCount, say).
        return f"(SELECT {connection} FROM {page.rows()} GROUP BY ())"


class _PageSql:
    """The SQL of one connection: its page of rows (alias `row`, numbered `_rn` in the order
    of the edges' fetch) and the parts built from them."""

    def __init__(self, renderer: _Renderer, field: Paged, query: PageQuery, parent: str,
                 slot: int) -> None:
        self.r, self.field, self.query = renderer, field, query
        self.node = renderer._mappings[field.type_name]
        conditions = [c.sql for c in query.conditions]
        cursor_parameters = [PARAMETER + _CASTS[k.kind] for k in query.keys] \
            if query.cursor_values is not None else []
        *self.conditions, cursor_text = renderer._numbered(
            slot, *conditions, ", ".join(cursor_parameters))
        self.conditions = [renderer._sql(c, p=parent) for c in self.conditions]
        self.size, self.cursor = int(query.page.size), cursor_text  # see PageQuery.shape
        self.row = renderer._alias()
        backwards = query.page.backwards
        # Rows are fetched from the cursor outwards: for `last`, in reverse.
        self.fetch_descending = query.descending != backwards
        self.edge_order = f"{self.row}._rn {'DESC' if backwards else 'ASC'}"
        self.reverse_edge_order = f"{self.row}._rn {'ASC' if backwards else 'DESC'}"

    def _where(self, alias: str, with_cursor: bool) -> str:
        terms = [self.r._sql(c, t=alias) for c in self.conditions]
        if with_cursor and self.query.cursor_values is not None:
            keys = ", ".join(self.r._sql(k.sql, t=alias) for k in self.query.keys)
            terms.append(f"({keys}) {'<' if self.fetch_descending else '>'} ({self.cursor})")
        return " AND ".join(terms) or "TRUE"

    def _order(self, alias: str) -> str:
        direction = " DESC" if self.fetch_descending else ""
        return ", ".join(self.r._sql(k.sql, t=alias) + direction for k in self.query.keys)

    def rows(self) -> str:
        inner, fetched = self.r._alias(), self.r._alias()
        page = (f"SELECT {inner}.* FROM {self.query.table} {inner}"
                f" WHERE {self._where(inner, with_cursor=True)}"
                f" ORDER BY {self._order(inner)} LIMIT {self.size} + 1")
        return (f"(SELECT {fetched}.*, row_number() OVER (ORDER BY {self._order(fetched)}) AS _rn"
                f" FROM ({page}) {fetched}) {self.row}")

    def _listed(self, value: str) -> str:
        """`value` of each row of the page, in the edges' order, as a JSON array."""
        inner = self.r._alias()
        page = (f"SELECT {inner}.* FROM {self.query.table} {inner}"
                f" WHERE {self._where(inner, with_cursor=True)}"
                f" ORDER BY {self._order(inner)} LIMIT {self.size}")
        direction = " DESC" if self.query.descending else ""
        order = ", ".join(self.r._sql(k.sql, t=self.row) + direction for k in self.query.keys)
        return json_array(f"ARRAY(SELECT {value} FROM ({page}) {self.row} ORDER BY {order})")

    def listed_part(self, selection: Selection) -> str:
        """A part of a connection without pageInfo."""
        if selection.name == "nodes":
            return self._listed(self._node(selection))
        if selection.name == "edges":
            return self._listed(self._edge(selection))
        return self.part(selection)

    def _in_page(self) -> str:
        return f"FILTER (WHERE {self.row}._rn <= {self.size})"

    def _edges_of(self, value: str) -> str:
        joined = f"string_agg({value}, ',' ORDER BY {self.edge_order}) {self._in_page()}"
        return f"('[' || coalesce({joined}, '') || ']')"

    def _cursor(self, key_of: Callable[[SortKey], str] | None = None) -> str:
        """The cursor of the current row, or of the keys `key_of` picks."""
        key_of = key_of or (lambda key: self.r._sql(key.sql, t=self.row))
        return cursor([json_text(k.kind, key_of(k)) for k in self.query.keys])

    def part(self, selection: Selection) -> str:
        name = selection.name
        if name == "__typename":
            return json_string(self.field.connection_name)
        if name == "nodes":
            return self._edges_of(self._node(selection))
        if name == "edges":
            return self._edges_of(self._edge(selection))
        if name == "pageInfo":
            return json_object((s.key, self._page_info(s.name)) for s in selection.selections)
        if name == "totalCount" and self.field.counted:
            counted = self.r._alias()
            return (f"(SELECT count(*) FROM {self.query.table} {counted}"
                    f" WHERE {self._where(counted, with_cursor=False)})::text")
        raise AssertionError(f"{self.field.connection_name}.{name} is not mapped")

    def _node(self, selection: Selection) -> str:
        return self.r._object(self.node, self.row, selection.selections)

    def _edge(self, selection: Selection) -> str:
        return json_object((s.key, self._edge_part(s)) for s in selection.selections)

    def _edge_part(self, selection: Selection) -> str:
        if selection.name == "node":
            return self._node(selection)
        if selection.name == "cursor":
            return _json_cursor(self._cursor())
        return json_string(f"{self.field.type_name}Edge")

    def _page_info(self, name: str) -> str:
        page = self.query.page
        more = f"(count(*) > {self.size})::text"
        if name == "hasNextPage":
            return more if not page.backwards else _boolean(page.before is not None)
        if name == "hasPreviousPage":
            return more if page.backwards else _boolean(page.after is not None)
        if name in ("startCursor", "endCursor"):
            # The first (last) edge's sort keys, then one cursor of them: not a cursor
            # written for every row to keep one.
            order = self.edge_order if name == "startCursor" else self.reverse_edge_order
            return _json_cursor(self._cursor(lambda key: (
                f"(array_agg({self.r._sql(key.sql, t=self.row)} ORDER BY {order})"
                f" {self._in_page()})[1]")))
        return json_string("PageInfo")


def _boolean(value: bool) -> str:
    return "'true'" if value else "'false'"


def _json_cursor(text: str) -> str:
    """A cursor (URL-safe base64: nothing to escape) as a JSON string; null on an empty
    page."""
    return json_nullable(json_quoted(text))
