"""A GraphQL operation → the plain `Selection` trees the SQL compiler takes.

Fields are collected as the executor collects them: fragments spread by type condition,
`@skip`/`@include` decided, fields with the same response key merged. Anything the compiler
can't answer the same way (introspection, an abstract type, an unknown directive, a field
with arguments but no reader) raises `Unmapped`, and the operation is executed normally.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.execution.values import VariableValues, get_directive_values

from infrastructure.bootstrap.edge import Selection, Unmapped

Readers = dict[tuple[str, str], Callable[..., tuple[Any, ...]]]
_DIRECTIVES = {"skip": GraphQLSkipDirective, "include": GraphQLIncludeDirective}


@dataclass(frozen=True)
class ArgumentSite:
    """A selected field with arguments: read them per request into a bind's arguments."""

    parent: GraphQLObjectType
    node: FieldNode
    reader: Callable[..., tuple[Any, ...]]


@dataclass
class SelectionTree:
    selections: tuple[Selection, ...]
    sites: list[ArgumentSite] = field(default_factory=list)


def selection_tree(
    schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
    operation: OperationDefinitionNode, variables: VariableValues, readers: Readers,
) -> SelectionTree:
    builder = _Builder(schema, fragments, variables, readers)
    root = schema.query_type
    assert root is not None
    tree = SelectionTree(())
    tree.selections = builder.selections(root, [operation.selection_set], tree.sites)
    return tree


def directive_variables(operation: OperationDefinitionNode,
                        fragments: Iterable[FragmentDefinitionNode]) -> tuple[str, ...]:
    """Variables that decide @skip/@include: the tree depends on their values."""
    names: list[str] = []

    def visit(selection_set: SelectionSetNode | None) -> None:
        for selection in selection_set.selections if selection_set else ():
            for directive in selection.directives or ():
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.append(argument.value.name.value)
            visit(getattr(selection, "selection_set", None))

    visit(operation.selection_set)
    for fragment in fragments:
        visit(fragment.selection_set)
    return tuple(dict.fromkeys(names))


class _Builder:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: VariableValues, readers: Readers) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.readers = readers

    def selections(self, parent: GraphQLObjectType, selection_sets: list[SelectionSetNode],
                   sites: list[ArgumentSite]) -> tuple[Selection, ...]:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(parent, selection_set, grouped)
        return tuple(self._selection(parent, key, nodes, sites) for key, nodes in grouped.items())

    def _selection(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode],
                   sites: list[ArgumentSite]) -> Selection:
        name = nodes[0].name.value
        if name == "__typename":
            return Selection(key, name)
        if name.startswith("__"):
            raise Unmapped("introspection")
        definition = parent.fields[name]
        slot = None
        if definition.args:
            reader = self.readers.get((parent.name, name))
            if reader is None:
                raise Unmapped(f"{parent.name}.{name} has arguments and no reader")
            slot = len(sites)
            sites.append(ArgumentSite(parent, nodes[0], reader))
        named = get_named_type(definition.type)
        children: tuple[Selection, ...] = ()
        if nodes[0].selection_set is not None:
            if not isinstance(named, GraphQLObjectType):
                raise Unmapped(f"{parent.name}.{name} is abstract")
            children = self.selections(
                named, [n.selection_set for n in nodes if n.selection_set], sites)
        return Selection(key, name, children, slot, *leaf_of(definition.type),
                         enum=isinstance(named, GraphQLEnumType))

    def _collect(self, parent: GraphQLObjectType, selection_set: SelectionSetNode,
                 grouped: dict[str, list[FieldNode]]) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self._applies(condition.name.value, parent):
                    self._collect(parent, selection.selection_set, grouped)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if self._applies(fragment.type_condition.name.value, parent):
                    self._collect(parent, fragment.selection_set, grouped)

    def _applies(self, condition: str, parent: GraphQLObjectType) -> bool:
        if condition == parent.name:
            return True
        abstract = self.schema.get_type(condition)
        return isinstance(abstract, GraphQLInterfaceType | GraphQLUnionType) and \
            self.schema.is_sub_type(abstract, parent)

    def _included(self, selection: Any) -> bool:
        for directive in selection.directives or ():
            definition = _DIRECTIVES.get(directive.name.value)
            if definition is None:
                raise Unmapped(f"@{directive.name.value}")
            values = get_directive_values(definition, selection, self.variables)
            if values is not None and values["if"] == (directive.name.value == "skip"):
                return False
        return True


def leaf_of(type_: GraphQLOutputType) -> tuple[str | None, bool]:
    """A scalar or enum field's named type and whether it is a list of them, as the
    mappings' conventions take it; (None, False) for an object."""
    named = get_named_type(type_)
    if not isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return None, False
    return named.name, isinstance(get_nullable_type(type_), GraphQLList)
