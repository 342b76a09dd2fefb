"""Relay conventions: the Node interface, opaque global ids, connections and page arguments."""

from collections.abc import Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

import strawberry
from graphql import GraphQLError

from api.graphql.errors import named
from domain.shared import ids
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.ids import parse_global_id as parse_global_id  # re-exported for resolvers
from domain.shared.paging import Edge as DomainEdge
from domain.shared.paging import Page, PageRequest

N = TypeVar("N")
D = TypeVar("D")


def to_global_id(type_name: str, uuid: UUID) -> strawberry.ID:
    return strawberry.ID(ids.global_id(type_name, uuid))


def uuid_of(global_id: str, type_name: str, field: tuple[str, ...]) -> UUID:
    """The UUID inside a global id of the expected type; a clear userError otherwise: INVALID
    for no global id at all, NOT_FOUND for another type's (no such object; docs/api.md)."""
    parsed = parse_global_id(global_id)
    if parsed is None:
        raise DomainError.single(field, ErrorCode.INVALID, f"not a {type_name} id")
    if parsed[0] != type_name:
        raise DomainError.single(field, ErrorCode.NOT_FOUND, f"no {type_name} has this id")
    return parsed[1]


def optional_uuid_of(
    global_id: str | None, type_name: str, field: tuple[str, ...]
) -> UUID | None:
    return None if global_id is None else uuid_of(global_id, type_name, field)


def lookup_uuid(global_id: str, type_name: str) -> UUID | None:
    """For queries: an id of another type, or no id at all, finds nothing."""
    parsed = parse_global_id(global_id)
    return parsed[1] if parsed and parsed[0] == type_name else None


def filter_uuid(global_id: str | None, type_name: str, field: tuple[str, ...]) -> UUID | None:
    """For query filters: absent is None; an id of another type is a clear error, naming
    the argument (`field`, its path from the query field's arguments)."""
    if global_id is None:
        return None
    found = lookup_uuid(global_id, type_name)
    if found is None:
        raise GraphQLError(named(field, f"not a {type_name} id"),
                           extensions={"code": "BAD_USER_INPUT"})
    return found


@strawberry.interface(description="An object with a globally unique, opaque id.")
class Node:
    id: strawberry.ID


@strawberry.type(description="Where a page sits in its connection (Relay).")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    first: strawberry.Private[DomainEdge[Any] | None]
    last: strawberry.Private[DomainEdge[Any] | None]

    @strawberry.field
    def start_cursor(self) -> str | None:
        return self.first.cursor if self.first else None

    @strawberry.field
    def end_cursor(self) -> str | None:
        return self.last.cursor if self.last else None


@strawberry.type
class Edge(Generic[N]):
    source: strawberry.Private[DomainEdge[Any]]

    @strawberry.field
    def cursor(self) -> str:
        return self.source.cursor

    node: N


@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]]
    page_info: PageInfo

    @strawberry.field(description="The nodes of the edges, for clients that need no cursors.")
    def nodes(self) -> list[N]:
        return [edge.node for edge in self.edges]


def connection_parts(page: Page[D], node: Callable[[D], Any]) -> dict[str, Any]:
    """The constructor arguments of any Connection type, from a domain page."""
    edges = page.edges
    return {
        "edges": [Edge(source=e, node=node(e.node)) for e in edges],
        "page_info": PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            first=edges[0] if edges else None,
            last=edges[-1] if edges else None,
        ),
    }


def page_request(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageRequest:
    return PageRequest(first=first, after=after, last=last, before=before).validated()
