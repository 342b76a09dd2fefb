"""Random valid GraphQL query documents over the compiled part of the schema, for
tests/e2e/test_compiled_equivalence.py.

The generator walks the schema object itself (types, fields, arguments, input types and
enums), so a new field or argument is generated without touching this file; only argument
*values* come from pools of the seeded data, by argument name. It varies what a client can
vary: subsets of fields, aliases (the same field twice with different arguments), repeated
fields that merge, `__typename`, inline and named fragments (on the type, on an interface
it implements, or untyped), @skip/@include with literals and variables, arguments inline or
as variables (with and without defaults, in input objects and lists too), several
operations in one document with an operationName.

Each document says whether every argument it reaches is one the resolvers accept
(`compiles`): then the compiled path must answer it, else both paths must fall back to
the same refusal.
"""

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from typing import Any, TypeVar
from uuid import UUID

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_named_type,
)
from hypothesis import strategies as st

from api.graphql.loyalty.types import MAX_EXPIRY_HORIZON_DAYS
from infrastructure.postgres.compiled import RESOLVED_IN_PYTHON

T = TypeVar("T")

# Fields the compiler deliberately leaves to normal execution, at any depth: root fields
# (node, admin lists, member prices), a customer's, and those other contexts add to
# compiled types (a ledger entry's partner).
NOT_COMPILED = set(RESOLVED_IN_PYTHON)
MAX_DEPTH = 6  # object levels below the root (a connection's edge and node count)
FIELD_BUDGET = 45  # fields per document: small enough to stay fast on both paths
PAGE_SIZES = (0, 1, 2, 3, 5, 10, 20, 100)
BAD_PAGE_SIZES = (-1, 101, 1000)
# Filter arguments naming an object of one type: any other id is refused.
FILTER_ID_TYPES = {"ownerId": "Staff", "homeStoreId": "Store", "customerId": "Customer",
                   "storeId": "Store", "staffId": "Staff"}
# Lookup arguments mostly naming an object of one type: any other id finds nothing.
LOOKUP_ID_TYPES = {"pipelineId": "Pipeline"}
# What each connection's cursors hold (docs/api.md: "Cursors hold the sort key of their row").
_BY_TIME = ("timestamp", "uuid")


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


GARBAGE_CURSORS = (
    "garbage", "", "!!!", _b64([]), _b64(["x"]), _b64({"a": 1, "b": 2}), _b64(7),
    _b64(["2026-01-01T00:00:00+00:00", 5]),  # an id that is not a string
    _b64(["2026-01-01T00:00:00+00:00", ["x"]]),
    _b64(["not a time", "00000000-0000-0000-0000-000000000000"]),
    _b64(["0001-01-01T00:00:00+00:00", "ffffffff-ffff-ffff-ffff-ffffffffffff"]),
    _b64(["2026-01-01T00:00:00", "00000000-0000-0000-0000-000000000000"]),  # no offset
    _b64(['Zoë "Zee" O\'Neil\\', "00000000-0000-0000-0000-000000000000"]),
)


@dataclass(frozen=True)
class Pools:
    """Argument values from the seeded data and real answers."""

    ids: Mapping[str, Sequence[str]]  # global ids by type name
    cursors: Sequence[str]  # taken from real answers
    strings: Mapping[str, Sequence[str]]  # by argument or input field name
    external_refs: Sequence[tuple[str, str]]
    moments: Sequence[str]  # DateTime inputs


@dataclass(frozen=True)
class Document:
    query: str
    variables: dict[str, Any]
    operation_name: str | None
    compiles: bool  # every argument it reaches is accepted: the compiled path answers it

    def __repr__(self) -> str:  # how Hypothesis shows a falsifying example
        return (f"Document(compiles={self.compiles}, operation_name={self.operation_name!r},"
                f" variables={json.dumps(self.variables, ensure_ascii=False)},\n"
                f"query=\n{self.query})")


def documents(schema: GraphQLSchema, pools: Pools) -> st.SearchStrategy[Document]:
    @st.composite
    def build(draw: st.DrawFn) -> Document:
        # Choices from a seeded Random, which Hypothesis draws: Hypothesis' own draws lean
        # towards their simplest values, which would skew every probability below.
        return _Writer(draw(st.randoms(use_true_random=True)), schema, pools).document()

    return build()


def cursor_fits(cursor: str, kinds: Sequence[str]) -> bool:
    """Whether a cursor holds values of these kinds: else it is refused as a bad cursor."""
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error):
        return False
    if not isinstance(values, list) or len(values) != len(kinds):
        return False
    return all(_fits(value, kind) for value, kind in zip(values, kinds, strict=True))


def _fits(value: Any, kind: str) -> bool:
    if kind == "text":
        return True
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value) if kind == "timestamp" else UUID(value)
    except ValueError:
        return False
    return True


@dataclass
class _Value:
    """An argument value as JSON (enums by name), and whether resolvers refuse it."""

    json: Any
    refused: bool = False


@dataclass
class _Fragment:
    name: str
    type_name: str
    body: str
    refused: bool


@dataclass
class _Writer:
    random: Random
    schema: GraphQLSchema
    pools: Pools
    definitions: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    fragments: list[_Fragment] = field(default_factory=list)
    unaliased: set[tuple[str, str]] = field(default_factory=set)
    counter: int = 0
    budget: int = FIELD_BUDGET
    nesting: int = 0  # fragments inside fragments

    def chance(self, p: float) -> bool:
        return self.random.random() < p

    def pick(self, options: Sequence[T]) -> T:
        return self.random.choice(list(options))

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    # The document.

    def document(self) -> Document:
        root = self.schema.query_type
        assert root is not None
        body, refused = self.selection_set(root, 0)
        name = self.pick([None, "Q", "Profile_2"])
        other = self.chance(0.15)
        if other:
            name = name or "Main"
        head = "query" + (f" {name}" if name else "")
        if self.definitions:
            head += "(" + ", ".join(self.definitions) + ")"
        elif not name and self.chance(0.5):
            head = ""  # the shorthand form
        parts = [f"{head} {body}".strip()]
        parts += [f"fragment {f.name} on {f.type_name} {f.body}" for f in self.fragments]
        if other:
            parts.insert(self.pick([0, 1]), "query Other { stores { code } __typename }")
        return Document("\n".join(parts), self.variables, name if other else
                        self.pick([None, name]) if name else None, not refused)

    def selection_set(self, parent: GraphQLObjectType | GraphQLInterfaceType,
                      depth: int) -> tuple[str, bool]:
        count = self.random.randint(1, 4 if depth == 0 else 6)
        items, refused = [], False
        for _ in range(count):
            text, item_refused = self.selection(parent, depth)
            items.append(text)
            refused |= item_refused
        return "{ " + " ".join(items) + " }", refused

    def selection(self, parent: GraphQLObjectType | GraphQLInterfaceType,
                  depth: int) -> tuple[str, bool]:
        """A field, `__typename` or a fragment, maybe under @skip/@include; refused only
        when included."""
        kinds = ["field"] * 8 + ["__typename"]
        if isinstance(parent, GraphQLObjectType) and self.nesting < 2:
            kinds += ["inline", "spread"]
        kind = self.pick(kinds)
        directive, included = self.directive()
        if kind == "__typename":
            alias = f"{self.fresh('t')}: " if self.chance(0.3) else ""
            return f"{alias}__typename{directive}", False
        if kind == "field":
            text, refused = self.field(parent, depth, directive)
        else:
            assert isinstance(parent, GraphQLObjectType)
            text, refused = self.fragment(parent, depth, directive, inline=kind == "inline")
        return text, refused and included

    def directive(self) -> tuple[str, bool]:
        """(" @skip(if: …)", whether the selection is included)."""
        if not self.chance(0.15):
            return "", True
        name, value = self.pick(["skip", "include"]), self.chance(0.5)
        argument = "true" if value else "false"
        if self.chance(0.6):
            argument = self.variable("Boolean!", value)
        return f" @{name}(if: {argument})", value == (name == "include")

    def fragment(self, parent: GraphQLObjectType, depth: int, directive: str,
                 inline: bool) -> tuple[str, bool]:
        conditions: list[GraphQLObjectType | GraphQLInterfaceType | None] = [
            parent, *parent.interfaces]
        if inline:
            conditions.append(None)
        condition = self.pick(conditions)
        on = condition or parent
        if not inline:
            reusable = [f for f in self.fragments if f.type_name == on.name]
            if reusable and self.chance(0.4):
                chosen = self.pick(reusable)
                return f"...{chosen.name}{directive}", chosen.refused
        self.nesting += 1
        body, refused = self.selection_set(on, depth)
        self.nesting -= 1
        if inline:
            typed = f" on {condition.name}" if condition else ""
            return f"...{typed}{directive} {body}", refused
        fragment = _Fragment(self.fresh("F"), on.name, body, refused)
        self.fragments.append(fragment)
        return f"...{fragment.name}{directive}", refused

    def field(self, parent: GraphQLObjectType | GraphQLInterfaceType, depth: int,
              directive: str) -> tuple[str, bool]:
        name = self.pick(self._candidates(parent, depth))
        definition = parent.fields[name]
        self.budget -= 1
        arguments, refused = self.arguments(parent.name, name, definition)
        if definition.args:
            alias = self._argument_alias(parent.name, name)
        else:
            alias = f"{self.fresh('a')}: " if self.chance(0.2) else ""
        text = f"{alias}{name}{arguments}{directive}"
        named = get_named_type(definition.type)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            body, body_refused = self.selection_set(named, depth + 1)
            text, refused = f"{text} {body}", refused or body_refused
        return text, refused

    def _candidates(self, parent: GraphQLObjectType | GraphQLInterfaceType,
                    depth: int) -> list[str]:
        names = [n for n in parent.fields if (parent.name, n) not in NOT_COMPILED]
        # Fields with arguments (lookups, connections) have the most to vary: more of them.
        names += [n for n in names if parent.fields[n].args] * 2
        deeper = depth < MAX_DEPTH and self.budget > 0
        leaves = [n for n in names if not _is_object(parent.fields[n])]
        if not deeper or not leaves:
            return leaves or names
        # Fewer nested objects the deeper it goes, so documents stay a readable size.
        objects = [n for n in names if _is_object(parent.fields[n])]
        return objects if objects and self.chance(0.7 - 0.1 * depth) else leaves

    def _argument_alias(self, type_name: str, name: str) -> str:
        """Fields with arguments get unique aliases, except the first unaliased one of each
        (type, field) in the document: so no two selections with one response key can
        differ in arguments (a validation error, not what is tested here)."""
        if (type_name, name) not in self.unaliased and self.chance(0.5):
            self.unaliased.add((type_name, name))
            return ""
        return f"{self.fresh('a')}: "

    # Arguments.

    def arguments(self, type_name: str, name: str, definition: GraphQLField
                  ) -> tuple[str, bool]:
        if not definition.args:
            return "", False
        chosen = self._chosen_arguments(type_name, name, definition)
        values = {arg: self.value(definition.args[arg].type, arg) for arg in chosen}
        if "first" in values or "last" in values:
            self._mostly_sensible_page(values)
        refused = any(v.refused for v in values.values())
        refused |= self._refused_together(type_name, name, chosen,
                                          {k: v.json for k, v in values.items()})
        given = [f"{arg}: {self.render(definition.args[arg].type, value.json)}"
                 for arg, value in values.items()]
        return ("(" + ", ".join(given) + ")") if given else "", refused

    def _chosen_arguments(self, type_name: str, name: str, definition: GraphQLField
                          ) -> list[str]:
        required = [a for a, arg in definition.args.items()
                    if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined]
        optional = [a for a in definition.args if a not in required]
        if (type_name, name) == ("Query", "customer") and not self.chance(0.05):
            return [self.pick(optional)]  # exactly one handle, as the resolver asks
        return required + [a for a in optional if self.chance(0.35)]

    def _mostly_sensible_page(self, values: dict[str, _Value]) -> None:
        """Most clients page one way, with cursors of the same connection: keep only one of
        first/last, and take a cursor that fits, most of the time."""
        if "first" in values and "last" in values and self.chance(0.9):
            del values[self.pick(["first", "last"])]
        kinds = ("text", "uuid") if _json(values.get("sortKey")) == "NAME" else _BY_TIME
        fitting = [c for c in self.pools.cursors if cursor_fits(c, kinds)]
        for name in ("after", "before"):
            given = _json(values.get(name))
            if isinstance(given, str) and not cursor_fits(given, kinds) and self.chance(0.85):
                values[name] = _Value(self.pick(fitting))

    def _refused_together(self, type_name: str, name: str, chosen: list[str],
                          values: dict[str, Any]) -> bool:
        """Refusals that depend on several arguments: which handles of `customer`, page
        arguments that can't go together, a cursor of another connection."""
        if (type_name, name) == ("Query", "customer"):
            return sum(values[a] is not None for a in chosen) != 1
        if "first" not in values and "last" not in values and not (
                {"after", "before"} & set(values)):
            return False
        first, last = values.get("first"), values.get("last")
        if first is not None and last is not None:
            return True
        cursor = values.get("before") if last is not None else values.get("after")
        kinds = ("text", "uuid") if values.get("sortKey") == "NAME" else _BY_TIME
        return cursor is not None and not cursor_fits(cursor, kinds)

    def value(self, type_: GraphQLInputType, name: str) -> _Value:
        if not isinstance(type_, GraphQLNonNull):
            if self.chance(0.08):
                return _Value(None)
            return self.value(GraphQLNonNull(type_), name)
        inner = type_.of_type
        if isinstance(inner, GraphQLList):
            items = [self.value(inner.of_type, name) for _ in range(self.pick([0, 1, 1, 2, 3]))]
            return _Value([i.json for i in items], any(i.refused for i in items))
        if isinstance(inner, GraphQLInputObjectType):
            return self._input_object(inner)
        if isinstance(inner, GraphQLEnumType):
            return _Value(self.pick(list(inner.values)))
        assert isinstance(inner, GraphQLScalarType)
        return self._scalar(inner.name, name)

    def _input_object(self, type_: GraphQLInputObjectType) -> _Value:
        if type_.name == "ExternalReferenceInput":
            system, value = self.pick(self.pools.external_refs)
            if self.chance(0.3):  # as other systems send it: padded, in capitals
                system, value = f" {system.upper()} ", f"{value} "
            if self.chance(0.1):
                value = "no-such-ref"
            return _Value({"system": system, "value": value})
        fields = {}
        refused = False
        for name, input_field in type_.fields.items():
            required = isinstance(input_field.type, GraphQLNonNull) and \
                input_field.default_value is Undefined
            if required or self.chance(0.45):
                given = self.value(input_field.type, name)
                fields[name], refused = given.json, refused or given.refused
        return _Value(fields, refused)

    def _scalar(self, type_name: str, name: str) -> _Value:
        if name in ("first", "last"):
            if self.chance(0.03):
                return _Value(self.pick(BAD_PAGE_SIZES), refused=True)
            return _Value(self.pick(PAGE_SIZES))
        if name in ("after", "before"):
            bad = self.chance(0.06)
            return _Value(self.pick(GARBAGE_CURSORS if bad else self.pools.cursors))
        if type_name == "ID":
            return self._id(name)
        if type_name == "DateTime":
            return _Value(self.pick(self.pools.moments))
        if type_name == "Boolean":
            return _Value(self.chance(0.5))
        if name == "withinDays":
            if self.chance(0.05):
                return _Value(self.pick([-1, MAX_EXPIRY_HORIZON_DAYS + 1]), refused=True)
            return _Value(self.pick([0, 1, 5, 30, 400, MAX_EXPIRY_HORIZON_DAYS]))
        if type_name == "Int":
            return _Value(self.pick([0, 1, 5]))
        return _Value(self.pick(self.pools.strings.get(name) or self.pools.strings["*"]))

    def _id(self, name: str) -> _Value:
        wanted = FILTER_ID_TYPES.get(name)
        every = [i for ids in self.pools.ids.values() for i in ids]
        if name in LOOKUP_ID_TYPES and self.chance(0.85):
            return _Value(self.pick(self.pools.ids[LOOKUP_ID_TYPES[name]]))
        if wanted is None:  # a lookup: a wrong id finds nothing
            return _Value(self.pick([*self.pools.ids["Customer"], *every[:: 7],
                                     "not-an-id", "Q3VzdG9tZXI6bm9wZQ=="]))
        chosen = self.pick(self.pools.ids[wanted] if self.chance(0.92)
                           else [*every[:: 5], "garbage"])
        return _Value(chosen, refused=chosen not in self.pools.ids[wanted])

    # Printing: literals, or variables.

    def render(self, type_: GraphQLInputType, value: Any) -> str:
        """The value as GraphQL: a literal, or now and then (at any depth) a variable."""
        if self.chance(0.3):
            return self.variable(str(type_), value,
                                 default=not isinstance(type_, GraphQLNonNull)
                                 and self.chance(0.25),
                                 literal=lambda: _literal(type_, value))
        if value is None:
            return "null"
        inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
        if isinstance(inner, GraphQLList):
            return "[" + ", ".join(self.render(inner.of_type, v) for v in value) + "]"
        if isinstance(inner, GraphQLInputObjectType):
            return "{" + ", ".join(f"{k}: {self.render(inner.fields[k].type, v)}"
                                   for k, v in value.items()) + "}"
        return _literal(inner, value)

    def variable(self, type_text: str, value: Any, default: bool = False,
                 literal: Callable[[], str] | None = None) -> str:
        """Declares `$vN: type` (with `= value` as its default, then not sent)."""
        name = self.fresh("v")
        if default and literal is not None:
            self.definitions.append(f"${name}: {type_text} = {literal()}")
        else:
            self.definitions.append(f"${name}: {type_text}")
            self.variables[name] = value
        return f"${name}"


def _json(value: _Value | None) -> Any:
    return None if value is None else value.json


def _is_object(definition: GraphQLField) -> bool:
    return isinstance(get_named_type(definition.type), GraphQLObjectType | GraphQLInterfaceType)


def _literal(type_: GraphQLInputType | GraphQLNamedType, value: Any) -> str:
    if value is None:
        return "null"
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        return "[" + ", ".join(_literal(inner.of_type, v) for v in value) + "]"
    if isinstance(inner, GraphQLInputObjectType):
        return "{" + ", ".join(f"{k}: {_literal(inner.fields[k].type, v)}"
                               for k, v in value.items()) + "}"
    if isinstance(inner, GraphQLEnumType):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)
