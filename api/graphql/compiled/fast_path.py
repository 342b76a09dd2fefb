"""Answers a query operation with one compiled SQL statement, or says it can't (None), in
which case the endpoint executes it normally.

Per operation (query text and name) the selection tree and its SQL plan are made once and
kept in a bounded LRU. Per request: read the arguments with the resolvers' own readers
(arguments without variables only once), bind them, run the statement, and wrap the JSON
text Postgres built in `{"data": …}`. Any argument a resolver would refuse (a bad cursor,
`first: 500`) falls back to normal execution, which answers with the usual error.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    get_named_type,
    is_non_null_type,
    visit,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import Visitor
from strawberry.types.arguments import convert_argument

from api.graphql.compiled.selection import (
    ArgumentSite,
    Readers,
    directive_variables,
    selection_tree,
)
from domain.shared.errors import DomainError
from domain.shared.lru import LruCache
from infrastructure.bootstrap.edge import Plan, Unmapped

log = logging.getLogger("rapport.graphql.compiled")
Arguments = tuple[Any, ...]


@dataclass(frozen=True)
class _Compiled:
    plan: Plan
    readers: list[Callable[[VariableValues | None], Arguments]]
    constants: dict[int, Arguments]  # arguments without variables, read once


class _Operation:
    """One operation of one document: its plans, by the values of @skip/@include variables."""

    def __init__(self, document: DocumentNode, operation: OperationDefinitionNode) -> None:
        self.operation = operation
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.switches = directive_variables(operation, self.fragments.values())
        self.compiled: dict[tuple[Any, ...], _Compiled | None] = {}


class FastPath:
    def __init__(self, schema: strawberry.Schema, readers: Readers,
                 make_plan: Callable[..., Plan], cache_size: int) -> None:
        self._schema = schema
        self._readers = readers
        self._make_plan = make_plan
        self._operations: LruCache[tuple[str, str | None], _Operation] = LruCache(cache_size)

    def compiled(self, query: str, operation_name: str | None, document: DocumentNode,
                 operation: OperationDefinitionNode, variables: VariableValues
                 ) -> tuple[Plan, list[Arguments]] | None:
        """The plan and this request's arguments; None when it must be executed normally."""
        entry = self._entry((query, operation_name), document, operation)
        # graphql-core 3.3 coerces variables into a VariableValues, the dict in `coerced`.
        switches = tuple(variables.coerced.get(name) for name in entry.switches)
        if switches not in entry.compiled:
            entry.compiled[switches] = self._compile(entry, variables)
        compiled = entry.compiled[switches]
        if compiled is None:
            return None
        try:
            arguments = [
                compiled.constants[i] if i in compiled.constants else read(variables)
                for i, read in enumerate(compiled.readers)
            ]
        except (GraphQLError, DomainError, ValueError, TypeError):
            return None
        return compiled.plan, arguments

    def _entry(self, key: tuple[str, str | None], document: DocumentNode,
               operation: OperationDefinitionNode) -> _Operation:
        return self._operations.get_or_add(key, lambda: _Operation(document, operation))

    def _compile(self, entry: _Operation, variables: VariableValues) -> _Compiled | None:
        try:
            tree = selection_tree(self._schema._schema, entry.fragments, entry.operation,
                                  variables, self._readers)
            plan = self._make_plan("Query", tree.selections)
        except Unmapped as reason:
            log.debug("executed field by field: %s", reason)
            return None
        readers = [self._reader(site) for site in tree.sites]
        constants: dict[int, Arguments] = {}
        for i, (site, read) in enumerate(zip(tree.sites, readers, strict=True)):
            if not _has_variables(site):
                try:
                    constants[i] = read(None)
                except (GraphQLError, DomainError, ValueError, TypeError):
                    return None  # refused every time: normal execution says why
        return _Compiled(plan, readers, constants)

    def _reader(self, site: ArgumentSite) -> Callable[[VariableValues | None], Arguments]:
        """Reads a site's arguments as its resolver gets them: graphql-core coerces them,
        strawberry turns input objects into their classes (scalars and enums need nothing,
        and skipping strawberry's generic conversion for them halves the cost)."""
        name = site.node.name.value
        definition = site.parent.fields[name]
        field = self._schema.get_field_for_type(name, site.parent.name)
        assert field is not None
        converter = self._schema.config.name_converter
        registry = self._schema.schema_converter.scalar_registry
        config = self._schema.config
        plain: dict[str, Any] = {}
        converted: dict[str, Any] = {}
        for argument in field.arguments:
            graphql_name = converter.from_argument(argument)
            is_input = isinstance(get_named_type(definition.args[graphql_name].type),
                                  GraphQLInputObjectType)
            (converted if is_input else plain)[graphql_name] = argument

        direct = _direct_arguments(definition, site.node)

        def read(variables: VariableValues | None) -> Arguments:
            if direct is None:
                raw = get_argument_values(definition, site.node, variables)
            else:
                raw = direct(variables.coerced if variables else {})
            kwargs = {a.python_name: _copied(raw[n]) for n, a in plain.items() if n in raw}
            for graphql_name, argument in converted.items():
                value = raw.get(graphql_name)
                if value is not None:
                    kwargs[argument.python_name] = convert_argument(
                        value, argument.type, registry, config)
                elif graphql_name in raw:
                    kwargs[argument.python_name] = None
            return site.reader(**kwargs)

        return read


def _direct_arguments(
    definition: GraphQLField, node: FieldNode
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """For a field whose arguments are all nullable and each given as a variable or left
    to its default (the common case: `customer(id: $id)`), their values straight from the
    coerced variables, as get_argument_values would give them at a fraction of its cost.
    None for anything else (literals, non-null arguments): that goes the long way."""
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    defaults: dict[str, Any] = {}
    from_variables: dict[str, tuple[str, Any]] = {}
    for name, argument in definition.args.items():
        value = given.get(name)
        if is_non_null_type(argument.type) or not isinstance(value, VariableNode | None):
            return None
        if value is not None:
            from_variables[name] = (value.name.value, argument.default_value)
        elif argument.default_value is not Undefined:
            defaults[name] = argument.default_value

    def arguments(coerced: dict[str, Any]) -> dict[str, Any]:
        values = dict(defaults)
        for name, (variable, default) in from_variables.items():
            if variable in coerced:
                values[name] = coerced[variable]
            elif default is not Undefined:
                values[name] = default
        return values

    return arguments


def _copied(value: Any) -> Any:
    # graphql-core shares one default list across requests: never hand it out.
    return list(value) if isinstance(value, list) else value


def _has_variables(site: ArgumentSite) -> bool:
    found: list[bool] = []

    class Finder(Visitor):
        def enter_variable(self, node: VariableNode, *args: Any) -> None:
            found.append(True)

    for argument in site.node.arguments or ():
        visit(argument, Finder())
    return bool(found)
