"""Audit of reads of personal data: one entry per answered query that selected a
personal-data field (`api/graphql/visibility.py: PERSONAL_DATA_FIELDS`), when the caller is an ADMIN
or STAFF viewer allowed to see personal data. STOREFRONT callers read their own member's
record, and PARTNER and ANALYTICS callers never get personal data: theirs are not logged.

What a document reads is worked out once per (query text, operation name) and cached, from
the document alone, so both execution paths (compiled SQL and field by field) log the same
thing and a query without personal data costs a dictionary lookup. A field under `@skip` or
`@include` counts as selected: the log may name a field the answer left out, never the
reverse. Per logged request the work is reading the `id` arguments of the root fields and
one INSERT, before the answer is sent: if the entry can't be written, the request fails
rather than hand out personal data unlogged.

Mutations are recorded by the use cases themselves (`domain/audit/recording.py`); this
module only gives them the request's id (`X-Request-ID`), through `REQUEST_ID`.
"""

import contextlib
import dataclasses
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    is_abstract_type,
    visit,
)
from graphql.execution.values import get_argument_values
from starlette.requests import Request

from api.graphql.relay import lookup_uuid, parse_global_id
from api.http.headers import headers_of
from domain.audit.model import ERROR, OK, AuditAction, AuditEntry
from domain.audit.recording import REQUEST_ID
from domain.shared.access import Role, Scope, Viewer
from domain.shared.errors import DomainError
from domain.shared.lru import LruCache

# Root fields whose arguments name the records read: field → (argument, type it must be).
TARGET_ARGUMENTS: Mapping[str, tuple[str, str | None]] = {
    "customer": ("id", "Customer"),  # never email/phone/externalRef: those are personal data
    "node": ("id", None),
    "nodes": ("ids", None),
}
AUDITED_ROLES = frozenset({Role.ADMIN, Role.STAFF})
# The development caller without credentials (RAPPORT_ANONYMOUS_ROLE; production has none).
UNIDENTIFIED_SUBJECTS = frozenset({"anonymous"})
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,100}")


def reads_are_audited(viewer: Viewer) -> bool:
    return (viewer.role in AUDITED_ROLES and viewer.may_see(Scope.PERSONAL_DATA)
            and viewer.subject not in UNIDENTIFIED_SUBJECTS)


class Params(Protocol):
    @property
    def query(self) -> str: ...

    @property
    def operation_name(self) -> str | None: ...


@dataclass(frozen=True)
class PersonalRead:
    """What one operation reads of personal data: the fields (`Customer.birthDate`), and the
    root fields that name the records read."""

    operation: str
    fields: tuple[str, ...]
    targets: tuple[tuple[FieldNode, str, str | None], ...]  # node, argument, type


@contextlib.contextmanager
def request_id_of(request: Request) -> Iterator[None]:
    """The caller's `X-Request-ID`, for the audit entries written while answering it (only
    a plain token is kept: it is the caller's text)."""
    token = REQUEST_ID.set(given_request_id(request))
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


def given_request_id(request: Request) -> str | None:
    """The caller's `X-Request-ID`, if it is a plain token (it is the caller's text)."""
    given = headers_of(request).get("x-request-id")
    return given if given and _REQUEST_ID.fullmatch(given) else None


class ReadAudit:
    def __init__(self, schema: GraphQLSchema, rules: Mapping[tuple[str, str], Any],
                 cache_size: int = 1000) -> None:
        self._schema = schema
        self._rules = frozenset(rules)
        self._reads: LruCache[tuple[str, str | None], PersonalRead | None] = LruCache(cache_size)

    async def record(
        self, context: Any, params: Params, document: DocumentNode,
        operation: OperationDefinitionNode, variables: Any, result: ExecutionResult | bytes,
    ) -> None:
        """Appends the READ entry of an answered query, if it selected personal data."""
        viewer: Viewer = context.viewer
        if operation.operation is not OperationType.QUERY or not reads_are_audited(viewer):
            return
        read = self.personal_read(params.query, params.operation_name, document, operation)
        if read is None:
            return
        container = context.container
        entry = AuditEntry.of(viewer, AuditAction.READ, read.operation, container.clock.now(),
                              REQUEST_ID.get())
        entry = dataclasses.replace(
            entry.targeting(self._targets(read, variables)), outcome=_outcome(result),
            detail={"fields": list(read.fields), "compiled": isinstance(result, bytes)},
        )
        await container.audit_log.append([entry])

    def personal_read(self, query: str, operation_name: str | None, document: DocumentNode,
                      operation: OperationDefinitionNode) -> PersonalRead | None:
        return self._reads.get_or_add((query, operation_name),
                                      lambda: self._analysed(document, operation))

    def _analysed(self, document: DocumentNode,
                  operation: OperationDefinitionNode) -> PersonalRead | None:
        fields = sorted(self._personal_fields(document, operation))
        if not fields:
            return None
        roots = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
        name = operation.name.value if operation.name else ",".join(
            dict.fromkeys(s.name.value for s in roots))
        targets = tuple((node, *TARGET_ARGUMENTS[node.name.value]) for node in roots
                        if node.name.value in TARGET_ARGUMENTS)
        return PersonalRead(name, tuple(fields), targets)

    def _personal_fields(self, document: DocumentNode,
                         operation: OperationDefinitionNode) -> set[str]:
        """`Type.field` of every personal-data field the operation (and the fragments it
        spreads) selects. On an interface, a field counts if any implementation's does."""
        fragments = {d.name.value: d for d in document.definitions
                     if isinstance(d, FragmentDefinitionNode)}
        found: set[str] = set()
        spread: list[str] = []
        schema, rules = self._schema, self._rules

        class Collector(Visitor):
            def __init__(self, type_info: TypeInfo) -> None:
                super().__init__()
                self.type_info = type_info

            def enter_field(self, node: FieldNode, *_: Any) -> None:
                parent = self.type_info.get_parent_type()
                if parent is None:
                    return
                owners = (schema.get_possible_types(parent) if is_abstract_type(parent)
                          else [parent])
                for owner in owners:
                    if isinstance(owner, GraphQLObjectType) and \
                            (owner.name, node.name.value) in rules:
                        found.add(f"{owner.name}.{node.name.value}")

            def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
                spread.append(node.name.value)

        seen: set[str] = set()
        pending: list[OperationDefinitionNode | FragmentDefinitionNode] = [operation]
        while pending:
            type_info = TypeInfo(schema)
            visit(pending.pop(), TypeInfoVisitor(type_info, Collector(type_info)))
            for name in spread:
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name])
            spread.clear()
        return found

    def _targets(self, read: PersonalRead, variables: Any) -> list[UUID]:
        query_type = self._schema.query_type
        assert query_type is not None
        found: list[UUID] = []
        for node, argument, type_name in read.targets:
            try:
                values = get_argument_values(query_type.fields[node.name.value], node, variables)
            except GraphQLError:
                continue
            given = values.get(argument)
            for global_id in given if isinstance(given, list) else [given]:
                found += _uuid_of(global_id, type_name)
        return found


def _uuid_of(global_id: Any, type_name: str | None) -> list[UUID]:
    if not isinstance(global_id, str):
        return []
    if type_name is not None:
        found = lookup_uuid(global_id, type_name)
        return [found] if found else []
    parsed = parse_global_id(global_id)
    return [parsed[1]] if parsed else []


def _outcome(result: ExecutionResult | bytes) -> str:
    """OK, or the codes of the errors answered (NOT_ALLOWED, BAD_USER_INPUT…; ERROR for
    unexpected ones)."""
    if isinstance(result, bytes):
        return OK if result.startswith(b'{"data":') else ERROR
    if not result.errors:
        return OK
    codes: list[str] = []
    for error in result.errors:
        original = error.original_error
        if isinstance(original, DomainError):
            codes += [e.code.value for e in original.errors]
        elif error.extensions and isinstance(error.extensions.get("code"), str):
            codes.append(error.extensions["code"])
        else:
            codes.append(ERROR)
    return ",".join(dict.fromkeys(codes))
