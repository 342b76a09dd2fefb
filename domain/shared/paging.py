"""Cursor pages (Relay connections) as the read ports return them. Cursors are opaque
strings made by the adapter; the domain only checks the request is sensible."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from domain.shared.errors import DomainError, ErrorCode
from domain.shared.validation import Problems

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @property
    def backwards(self) -> bool:
        return self.last is not None

    @property
    def size(self) -> int:
        chosen = self.last if self.backwards else self.first
        return DEFAULT_PAGE_SIZE if chosen is None else chosen

    def validated(self) -> "PageRequest":
        problems = Problems()
        if self.first is not None and self.last is not None:
            problems.add(("last",), ErrorCode.INVALID, "give first or last, not both")
        for name in ("first", "last"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
                problems.add((name,), ErrorCode.INVALID, f"must be between 0 and {MAX_PAGE_SIZE}")
        problems.raise_if_any()
        return self


@dataclass(frozen=True)
class Edge(Generic[T]):
    """A node and its cursor. The cursor is encoded only when someone reads it: most
    clients never ask for most cursors."""

    node: T
    encode_cursor: Callable[[], str] = field(repr=False, compare=False)

    @property
    def cursor(self) -> str:
        return self.encode_cursor()


@dataclass(frozen=True)
class Page(Generic[T]):
    edges: list[Edge[T]] = field(default_factory=list)
    has_next_page: bool = False
    has_previous_page: bool = False

    @property
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def bad_cursor(name: str) -> DomainError:
    return DomainError.single((name,), ErrorCode.INVALID, "not a cursor from this connection")
