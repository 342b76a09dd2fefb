"""`auditLog`: the audit log, newest first, for ADMIN callers only."""

from datetime import datetime
from uuid import UUID

import strawberry
from graphql import GraphQLError

from api.graphql.audit.types import AuditActionEnum, AuditEntryConnection, AuditEntryType
from api.graphql.context import Info
from api.graphql.errors import named
from api.graphql.permissions import refused_read
from api.graphql.relay import connection_parts, page_request, parse_global_id
from domain.audit.model import AuditAction
from domain.audit.queries import AuditFilter, audit_log_page
from domain.shared.errors import DomainError, ErrorCode


@strawberry.input(description="Every field given must match.")
class AuditFilterInput:
    subject: str | None = None
    action: AuditActionEnum | None = None
    operation: str | None = None
    target_id: strawberry.ID | None = strawberry.field(
        default=None, description="Entries about this record: its global id, or its UUID.")
    since: datetime | None = strawberry.field(default=None, description="At or after.")
    until: datetime | None = strawberry.field(default=None, description="Before.")

    def to_domain(self) -> AuditFilter:
        return AuditFilter(
            subject=self.subject, action=AuditAction(self.action) if self.action else None,
            operation=self.operation, target_id=_target_uuid(self.target_id),
            since=self.since, until=self.until,
        )


@strawberry.type
class AuditQueries:
    @strawberry.field(description="Every mutation and read of personal data, newest first "
                                  "(ADMIN only).")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: AuditFilterInput | None = None,
    ) -> AuditEntryConnection:
        where = (filter or AuditFilterInput()).to_domain()
        try:
            page = await audit_log_page(info.context.queries.audit, where,
                                        page_request(first, after, None, None),
                                        viewer=info.context.viewer)
        except DomainError as error:
            if error.errors[0].code is not ErrorCode.NOT_ALLOWED:
                raise  # a bad page or cursor: answered as BAD_USER_INPUT
            raise refused_read(error) from None
        return AuditEntryConnection(**connection_parts(page, AuditEntryType.from_domain))


def _target_uuid(given: str | None) -> UUID | None:
    if given is None:
        return None
    parsed = parse_global_id(given)
    if parsed is not None:
        return parsed[1]
    try:
        return UUID(given)
    except ValueError:
        raise GraphQLError(named(("filter", "target_id"), "neither a global id nor a UUID"),
                           extensions={"code": "BAD_USER_INPUT"}) from None
