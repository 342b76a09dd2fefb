"""Answers a query operation with one compiled SQL statement, or says it can't (None), in
which case the endpoint executes it normally.

Per operation (query text and name) the selection tree and its SQL plan are made once and
kept in a bounded LRU. Per request: read the arguments with the resolvers' own readers
(arguments without variables only once), bind them, run the statement, and wrap the JSON
text Postgres built in `{"data": …}`. Any argument a resolver would refuse (a bad cursor,
`first: 500`) falls back to normal execution, which answers with the usual error.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import MISSING, dataclass
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    get_named_type,
    is_non_null_type,
    value_from_ast,
    visit,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.language import Visitor
from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryObjectDefinition, StrawberryOptional

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
        convert = {name: _flat_input(argument.type, registry, config)
                   or functools.partial(_strawberry_convert, type_=argument.type,
                                        registry=registry, config=config)
                   for name, argument in converted.items()}

        def read(variables: VariableValues | None) -> Arguments:
            try:
                if direct is None:
                    raise _LongWay
                raw = direct(variables.coerced if variables else {})
            except _LongWay:
                raw = get_argument_values(definition, site.node, variables)
            kwargs = {a.python_name: _copied(raw[n]) for n, a in plain.items() if n in raw}
            for graphql_name, argument in converted.items():
                value = raw.get(graphql_name)
                if value is not None:
                    kwargs[argument.python_name] = convert[graphql_name](value)
                elif graphql_name in raw:
                    kwargs[argument.python_name] = None
            return site.reader(**kwargs)

        return read


Coerced = dict[str, Any]


class _LongWay(Exception):
    """This request's values need graphql-core's own coercion (a null where an input
    object's field may not be null): get_argument_values answers, or refuses."""


def _direct_arguments(
    definition: GraphQLField, node: FieldNode
) -> Callable[[Coerced], Coerced] | None:
    """For a field whose arguments are all nullable and each given as a variable, as an
    input object of variables and literals, or left to its default (the common cases:
    `customer(id: $id)`, `customer(externalRef: {system: "pos-card", value: $card})`),
    their values straight from the coerced variables, as get_argument_values would give
    them at a fraction of its cost. None for anything else (other literals, non-null
    arguments): that goes the long way."""
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    defaults: dict[str, Any] = {}
    readers: dict[str, Callable[[Coerced], Any]] = {}
    for name, argument in definition.args.items():
        value = given.get(name)
        if is_non_null_type(argument.type):
            return None
        if isinstance(value, VariableNode):
            readers[name] = _variable(value.name.value, argument.default_value)
        elif isinstance(value, ObjectValueNode):
            read = _input_object(value, argument.type)
            if read is None:
                return None
            readers[name] = read
        elif value is not None:
            return None
        elif argument.default_value is not Undefined:
            defaults[name] = argument.default_value

    def arguments(coerced: Coerced) -> Coerced:
        values = dict(defaults)
        for name, read in readers.items():
            found = read(coerced)
            if found is not Undefined:
                values[name] = found
        return values

    return arguments


def _variable(name: str, default: Any) -> Callable[[Coerced], Any]:
    """A variable's coerced value; else the default (Undefined: leave the argument out)."""
    return lambda coerced: coerced.get(name, default)


def _input_object(node: ObjectValueNode, type_: Any) -> Callable[[Coerced], Any] | None:
    """An input object written in the document, its fields literals (coerced once, here)
    or variables: as value_from_ast gives it. None for nested objects, lists, or fields
    the type lacks (validation refused those already)."""
    if not isinstance(type_, GraphQLInputObjectType) or type_.is_one_of:
        return None
    written = {field.name.value: field.value for field in node.fields}
    constants: Coerced = {}
    from_variables: list[tuple[str, str, GraphQLInputField]] = []  # out name, variable
    for name, field in type_.fields.items():
        out = field.out_name or name
        value = written.get(name)
        if isinstance(value, VariableNode):
            from_variables.append((out, value.name.value, field))
        elif value is None:
            if field.default_value is not Undefined:
                constants[out] = field.default_value
            elif is_non_null_type(field.type):
                return None
        elif isinstance(value, ObjectValueNode | ListValueNode):
            return None
        else:
            literal = value_from_ast(value, field.type)
            if literal is Undefined:
                return None
            constants[out] = literal
    if set(written) - set(type_.fields):
        return None

    def read(coerced: Coerced) -> Coerced:
        values = dict(constants)
        for out, variable, field in from_variables:
            if variable in coerced:
                found = coerced[variable]
            elif field.default_value is not Undefined:
                found = field.default_value
            else:
                found = None  # left out, as a missing variable is
                if not is_non_null_type(field.type):
                    continue
            if found is None and is_non_null_type(field.type):
                raise _LongWay
            values[out] = found
        return values

    return read


def _flat_input(type_: Any, registry: Any, config: StrawberryConfig
                ) -> Callable[[Coerced], Any] | None:
    """For an input class whose fields are all scalars (an ExternalReferenceInput), the
    class made from graphql-core's coerced dict directly, as convert_argument would make
    it (unset fields None) at a fraction of its cost. None for anything else: enums,
    ids, lists and nested inputs are converted by strawberry."""
    cls: Any = type_.of_type if isinstance(type_, StrawberryOptional) else type_
    definition = getattr(cls, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryObjectDefinition) or not definition.is_input \
            or definition.from_input is not None:
        return None
    names: list[tuple[str, str]] = []  # GraphQL name, Python name
    for field in definition.fields:
        field_type = field.resolve_type(type_definition=definition)
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        if field_type is GlobalID or not is_scalar(field_type, registry):
            return None
        names.append((config.name_converter.from_field(field), field.python_name))
    unset = {field.python_name: None for field in definition.fields
             if field.default_value is MISSING and field.default_factory is MISSING}

    def make(value: Coerced) -> Any:
        given = {python: value[name] for name, python in names if name in value}
        return cls(**(unset | given))

    return make


def _strawberry_convert(value: Any, *, type_: Any, registry: Any,
                        config: StrawberryConfig) -> Any:
    return convert_argument(value, type_, registry, config)


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
