"""An audit entry as administrators read it: who, when, what, from which client, outcome."""

from datetime import datetime
from typing import cast
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.graphql.access.types import RoleEnum
from api.graphql.relay import Connection
from api.graphql.same_named import same_named
from domain.audit import model
from domain.shared.access import Role

# GraphQL enums are the domain's classes themselves, registered under their schema names.
AuditActionEnum = model.AuditAction
strawberry.enum(AuditActionEnum, name="AuditAction",
                description="A change (a use case) or a read of personal data.")


@strawberry.type(name="AuditEntry", description=(
    "One mutation or one read of personal data. Holds ids, field names and codes only: never "
    "the personal data itself."))
class AuditEntryType:
    at: datetime
    action: AuditActionEnum
    operation: str = strawberry.field(description=(
        "The use case (create_customer) or the GraphQL operation's name (else its root "
        "fields)."))
    subject: str = strawberry.field(description="Who: client:<name>, staff:<email>, user:<sub>.")
    role: RoleEnum
    client_id: UUID | None = strawberry.field(description="The API client used, if any.")
    staff_id: UUID | None = strawberry.field(description="The staff member, if any.")
    target_ids: list[UUID] = strawberry.field(description=(
        "The records it concerned (customers, cases, …), as the UUIDs inside their ids."))
    outcome: str = strawberry.field(description=(
        "OK, ERROR (unexpected failure), or the refusal's codes, e.g. NOT_ALLOWED."))
    detail: JSON = strawberry.field(description=(
        "Field names and codes: the personal-data fields read, the refused input paths."))
    request_id: str | None = strawberry.field(description="The caller's X-Request-ID.")

    @classmethod
    def from_domain(cls, entry: model.AuditEntry) -> "AuditEntryType":
        return cls(role=Role(entry.role), detail=cast(JSON, dict(entry.detail)),
                   **same_named(cls, entry))


@strawberry.type
class AuditEntryConnection(Connection[AuditEntryType]):
    pass
