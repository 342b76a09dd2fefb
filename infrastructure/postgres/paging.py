"""Keyset pagination: cursors carry the sort key of an edge, so pages stay stable while rows
are inserted, and every page is an index range scan rather than an OFFSET."""

import base64
import binascii
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, cast, func, literal, select, true, tuple_
from sqlalchemy.dialects.postgresql import ARRAY, TIMESTAMP
from sqlalchemy.dialects.postgresql import UUID as PgUUID

from domain.shared.paging import Edge, Page, PageRequest, bad_cursor

T = TypeVar("T")


def _bind(value: Any, column: ColumnElement[Any]) -> ColumnElement[Any]:
    return literal(value, type_=column.type)


def _bind_timestamp(value: datetime, column: ColumnElement[Any]) -> ColumnElement[Any]:
    # As text: asyncpg sends 0001-01-01T00:00:00+00:00 (the "never" sort key of a customer's
    # last interaction) as -infinity, and the page after such a cursor would repeat forever.
    return cast(literal(value.isoformat()), TIMESTAMP(timezone=True))


@dataclass(frozen=True)
class SortColumn:
    expression: ColumnElement[Any]
    key: str  # the result column holding its value
    parse: Callable[[str], Any]  # cursor text back to a bind value
    bind: Callable[[Any, ColumnElement[Any]], ColumnElement[Any]] = _bind


def timestamp_column(expression: ColumnElement[Any], key: str) -> SortColumn:
    return SortColumn(expression, key, datetime.fromisoformat, _bind_timestamp)


def text_column(expression: ColumnElement[Any], key: str) -> SortColumn:
    return SortColumn(expression, key, str)


def id_column(expression: ColumnElement[Any]) -> SortColumn:
    return SortColumn(expression, "id", _uuid)


def _uuid(value: Any) -> UUID:
    # UUID() of a number or a list from a forged cursor raises AttributeError, which would
    # escape decode() as an internal error instead of a bad cursor.
    if not isinstance(value, str):
        raise TypeError(f"not a uuid: {value!r}")
    return UUID(value)


@dataclass(frozen=True)
class Ordering:
    """Sort columns, the last one unique (the id), all in one direction."""

    columns: Sequence[SortColumn]
    descending: bool = False

    def cursor(self, row: Any) -> str:
        # Non-ASCII as UTF-8, not \u escapes: Postgres' to_json writes compiled reads'
        # cursors the same way (compiled/sql.py).
        values = [_plain(row[c.key]) for c in self.columns]
        text = json.dumps(values, ensure_ascii=False)
        return base64.urlsafe_b64encode(text.encode()).decode()

    def decode(self, cursor: str, argument: str) -> list[Any]:
        try:
            values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            if len(values) != len(self.columns):
                raise ValueError(cursor)
            return [c.parse(v) for c, v in zip(self.columns, values, strict=True)]
        except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as error:
            raise bad_cursor(argument) from error

    def apply(self, query: Select[Any], page: PageRequest) -> Select[Any]:
        """Narrows `query` to the page (plus one row, to tell whether more follow)."""
        forward = not page.backwards
        descending = self.descending != (not forward)
        keys = tuple_(*(c.expression for c in self.columns))
        cursor, argument = (page.after, "after") if forward else (page.before, "before")
        if cursor is not None:
            bound = tuple_(*(
                c.bind(v, c.expression)
                for c, v in zip(self.columns, self.decode(cursor, argument), strict=True)
            ))
            query = query.where(keys < bound if descending else keys > bound)
        order = [c.expression.desc() if descending else c.expression.asc() for c in self.columns]
        return query.order_by(*order).limit(page.size + 1)

    def page(self, rows: Sequence[Any], page: PageRequest, node: Callable[[Any], T]) -> Page[T]:
        more = len(rows) > page.size
        rows = list(rows[: page.size])
        if page.backwards:
            rows.reverse()
        edges = [Edge(node(r), functools.partial(self.cursor, r)) for r in rows]
        if page.backwards:
            return Page(edges, has_next_page=page.before is not None, has_previous_page=more)
        return Page(edges, has_next_page=more, has_previous_page=page.after is not None)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def pages_per_parent(
    rows_for: Callable[[ColumnElement[Any]], Select[Any]],
    parent_ids: Sequence[UUID],
    ordering: Ordering,
    page: PageRequest,
) -> Select[Any]:
    """One statement returning a page for each parent: `unnest(ids)` joined LATERAL to the
    page query, so each parent's page is its own index range scan. Rows carry `parent_id`."""
    parents = func.unnest(literal(list(parent_ids), ARRAY(PgUUID(as_uuid=True))))
    parent = parents.table_valued("parent_id").render_derived(name="parents")
    per_parent = ordering.apply(rows_for(parent.c.parent_id), page).lateral("page")
    return select(parent.c.parent_id, per_parent).select_from(parent.join(per_parent, true()))


def group_pages(
    rows: Sequence[Any], parent_ids: Sequence[UUID], ordering: Ordering, page: PageRequest,
    node: Callable[[Any], T],
) -> dict[UUID, Page[T]]:
    """A page for every parent asked about. An empty one too: after a cursor it still has
    a previous page, as a root connection's has (and the compiled path says)."""
    grouped: dict[UUID, list[Any]] = {parent: [] for parent in parent_ids}
    for row in rows:
        grouped[row["parent_id"]].append(row)
    return {parent: ordering.page(group, page, node) for parent, group in grouped.items()}
