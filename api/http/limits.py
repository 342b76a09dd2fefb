"""What a careless or hostile client may ask: how often (the rate limit, checked before
anything else is read), and how much in one request (limits checked while the document is
validated, and introspection where it is off), so that a request over them is refused
before any SQL runs.

Every answer carries the caller's rate-limit budget in the RateLimit header fields of
draft-ietf-httpapi-ratelimit-headers-06 (`RateLimit-Limit`, `-Remaining`, `-Reset`,
`-Policy`); a request over budget gets 429 with `Retry-After`.

In one document:

- tokens: counted by the parser, which stops reading at the limit;
- depth: the deepest chain of selections, fragments included;
- aliases: fields renamed in the document (each alias can repeat a costly field);
- cost: each field costs 1, times the size of every list it sits in. A connection's size is
  its `first`/`last` (the default page when absent, the maximum page when a variable, since
  validation is cached per document whatever the variables); any other list counts as
  `LIST_SIZE` entries.
"""

from dataclasses import dataclass, replace
from typing import Any, Protocol

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request

from api.http.negotiation import RequestError
from domain.shared.access import Viewer
from domain.shared.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from infrastructure.bootstrap.edge import Budget, RateLimited

LIST_SIZE = 10  # a customer's contact points, household, references: a handful


class RateLimiter(Protocol):
    async def admit(self, viewer: Viewer, address: str | None) -> Budget | None: ...


async def admit(limiter: RateLimiter, viewer: Viewer, request: Request) -> dict[str, str]:
    """The caller's budget headers after spending one request on `request` (none when the
    limiter could not count it); a RequestError (429) when nothing is left."""
    try:
        budget = await limiter.admit(viewer, request.client.host if request.client else None)
    except RateLimited as refused:
        headers = {**budget_headers(refused.budget), "Retry-After": str(refused.retry_after)}
        raise RequestError(str(refused), 429, headers, "RATE_LIMITED") from refused
    return {} if budget is None else budget_headers(budget)


def budget_headers(budget: Budget) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(budget.limit),
        "RateLimit-Remaining": str(budget.remaining),
        "RateLimit-Reset": str(budget.reset_after),
        "RateLimit-Policy": f"{budget.limit};w={budget.window}",
    }


@dataclass(frozen=True)
class QueryLimits:
    max_tokens: int = 5_000
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 250_000


@dataclass
class _Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


def limit_rule(limits: QueryLimits) -> type[ValidationRule]:
    """A validation rule refusing each operation over `limits`, with an error code."""

    class OperationLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            if root is None:
                return
            measure = _Measure()
            _walk(self.context, _Place(root, 1, 1), node.selection_set, measure, frozenset())
            for code, value, limit, what in (
                ("QUERY_TOO_DEEP", measure.depth, limits.max_depth, "levels deep"),
                ("TOO_MANY_ALIASES", measure.aliases, limits.max_aliases, "aliases"),
                ("QUERY_TOO_COSTLY", measure.cost, limits.max_cost, "in cost"),
            ):
                if value > limit:
                    self.report_error(GraphQLError(
                        f"The operation is {value} {what}; at most {limit} is allowed.",
                        node, extensions={"code": code},
                    ))

    return OperationLimits


@dataclass(frozen=True)
class _Place:
    """Where a selection set sits: its type, depth, how many times it is answered, and
    whether it is a connection (whose edges and nodes lists its page size already counts)."""

    parent: GraphQLNamedType
    depth: int
    multiplier: int
    connection: bool = False


def _walk(context: ValidationContext, place: _Place, selection_set: SelectionSetNode,
          measure: _Measure, fragments: frozenset[str]) -> None:
    measure.depth = max(measure.depth, place.depth)
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            _field(context, place, selection, measure, fragments)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = context.schema.get_type(condition.name.value) if condition else None
            _walk(context, replace(place, parent=target or place.parent),
                  selection.selection_set, measure, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is None or name in fragments:  # unknown or cyclic: other rules say so
                continue
            target = context.schema.get_type(fragment.type_condition.name.value)
            _walk(context, replace(place, parent=target or place.parent),
                  fragment.selection_set, measure, fragments | {name})


def _field(context: ValidationContext, place: _Place, node: FieldNode, measure: _Measure,
           fragments: frozenset[str]) -> None:
    measure.aliases += node.alias is not None
    measure.cost += place.multiplier
    parent = place.parent
    if node.selection_set is None or not isinstance(parent, GraphQLObjectType):
        return
    definition = parent.fields.get(node.name.value)
    if definition is None:
        return
    connection = "first" in definition.args
    if connection:
        size = _page_size(node)
    elif is_list_type(get_nullable_type(definition.type)) and not place.connection:
        size = LIST_SIZE
    else:
        size = 1
    inner = _Place(get_named_type(definition.type), place.depth + 1, place.multiplier * size,
                   connection)
    _walk(context, inner, node.selection_set, measure, fragments)


def _page_size(node: FieldNode) -> int:
    """The page a connection field asks for: its literal first/last, else the default page,
    or the largest page when it comes from a variable."""
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            return int(value.value) if isinstance(value, IntValueNode) else MAX_PAGE_SIZE
    return DEFAULT_PAGE_SIZE


class IntrospectionDisabled(NoSchemaIntrospectionCustomRule):
    """graphql-core's rule refusing `__schema` and `__type` (`__typename` still answers),
    with a code a client can act on."""

    def report_error(self, error: GraphQLError) -> None:
        # The base rule reports every field selected inside `__schema` too; one error for
        # `__schema` or `__type` itself says it all.
        node = error.nodes[0] if error.nodes else None
        if isinstance(node, FieldNode) and not node.name.value.startswith("__"):
            return
        error.extensions = {"code": "INTROSPECTION_DISABLED"}
        super().report_error(error)
