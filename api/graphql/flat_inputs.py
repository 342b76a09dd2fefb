"""Inputs of scalars only, built from graphql-core's coerced value in one step.

Strawberry converts an input field by field (`convert_argument`: a type dispatch per field,
then the class). For an input whose fields are all scalars, which graphql-core has coerced
already, that conversion only renames the keys: a hot mutation's input (the counter's
`GrantRedeemInput`) is made here directly, through strawberry's own hook for inputs that
build themselves (`StrawberryObjectDefinition.from_input`). The class and its schema are
unchanged; unset fields are None, as strawberry makes them.
"""

from collections.abc import Mapping
from dataclasses import MISSING
from typing import Any, TypeVar

from strawberry.relay import GlobalID
from strawberry.scalars import is_scalar
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryObjectDefinition, StrawberryOptional

T = TypeVar("T")


def flat_input(cls: type[T]) -> type[T]:
    """Decorates a `@strawberry.input` class (below it) whose fields are all built-in
    scalars, optional or not: refused for ids, enums, lists and nested inputs, which
    strawberry converts itself."""
    definition = getattr(cls, "__strawberry_definition__", None)
    if not isinstance(definition, StrawberryObjectDefinition) or not definition.is_input:
        raise TypeError("flat_input goes above @strawberry.input")
    for field in definition.fields:
        field_type = field.resolve_type(type_definition=definition)
        if isinstance(field_type, StrawberryOptional):
            field_type = field_type.of_type
        if field_type is GlobalID or not is_scalar(field_type, DEFAULT_SCALAR_REGISTRY):
            raise TypeError(f"{cls.__name__}.{field.python_name} is not a built-in scalar")
    unset = {field.python_name: None for field in definition.fields
             if field.default_value is MISSING and field.default_factory is MISSING}
    # The GraphQL and Python names of its fields, for the last schema config asked about
    # (one in an app; the names depend on its name converter).
    named: list[tuple[StrawberryConfig, list[tuple[str, str]]]] = []

    def from_input(type_: type, value: Mapping[str, Any], context: InputContext) -> Any:
        if not named or named[0][0] is not context.config:
            named[:] = [(context.config, _names(definition, context.config))]
        given = {python: value[name] for name, python in named[0][1] if name in value}
        return type_(**(unset | given))

    definition.from_input = from_input
    return cls


def _names(definition: StrawberryObjectDefinition,
           config: StrawberryConfig) -> list[tuple[str, str]]:
    return [(config.name_converter.from_field(field), field.python_name)
            for field in definition.fields]
