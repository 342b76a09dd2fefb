"""A GraphQL type's values from the domain objects it shows, field by field of the same name.

    return cls(id=to_global_id("Case", case.id), customer_uuid=case.customer_id,
               **same_named(cls, case))

`same_named` gives each field of `cls` that a source has under the same name and with the
same type (a domain tuple for a GraphQL list); the caller gives the rest by hand, and mypy
checks those. So a new field that the domain object holds as it is shown needs no line in
`from_domain`, and one that differs (renamed, converted, another type) is given explicitly
or the type cannot be built: a field left out is a missing argument, never a silent null
(tests/unit/test_same_named.py).
"""

from functools import cache
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin, get_type_hints

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def same_named(cls: type, *sources: "DataclassInstance") -> dict[str, Any]:
    """The values of `cls`'s fields found in `sources` (the first that has the name wins)."""
    values: dict[str, Any] = {}
    for source in sources:
        for name, as_list in _plan(cls, type(source)):
            if name not in values:
                value = getattr(source, name)
                values[name] = list(value) if as_list and value is not None else value
    return values


@cache
def _plan(cls: type, source: type) -> tuple[tuple[str, bool], ...]:
    """(name, whether a tuple becomes a list) for each field of `cls` that `source` has with
    the same type."""
    shown, held = get_type_hints(cls), get_type_hints(source)
    plan = []
    for name, hint in shown.items():
        if name not in held:
            continue
        if held[name] == hint:
            plan.append((name, False))
        elif _as_list(held[name]) == hint:
            plan.append((name, True))
    return tuple(plan)


def _as_list(hint: Any) -> Any:
    """`tuple[X, ...]` as `list[X]`, also inside `| None`."""
    if get_origin(hint) in (Union, UnionType):
        args = get_args(hint)
        if NoneType in args and len(args) == 2:
            present = _as_list(next(arg for arg in args if arg is not NoneType))
            return present | None
    if get_origin(hint) is tuple:
        args = get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return list[args[0]]  # type: ignore[valid-type]  # a type built at run time
    return hint
