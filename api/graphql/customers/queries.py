"""Customer queries: one customer by any of its handles, or a filtered, sorted page."""

from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from api.graphql.context import Info
from api.graphql.customers.inputs import ExternalReferenceInput
from api.graphql.customers.types import CustomerConnection, CustomerType
from api.graphql.relay import connection_parts, filter_uuid, lookup_uuid, page_request
from domain.customers.queries import CustomerFilter, CustomerSortKey, CustomerSummary
from domain.shared.validation import normalise_phone

CustomerSortKeyEnum = strawberry.enum(CustomerSortKey, name="CustomerSortKey")


@strawberry.input(description="Every field given must match.")
class CustomerFilterInput:
    tags: list[str] | None = strawberry.field(default=None, description="Has all these tags.")
    interests: list[str] | None = strawberry.field(default=None,
                                                   description="Has all these interests.")
    home_store_id: strawberry.ID | None = None
    owner_id: strawberry.ID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    archived: bool | None = strawberry.field(
        default=False, description="false: active only (default); true: archived only; "
                                   "null: both."
    )

    def to_domain(self, search: str | None) -> CustomerFilter:
        return CustomerFilter(
            search=search, tags=tuple(self.tags or ()), interests=tuple(self.interests or ()),
            home_store_id=filter_uuid(self.home_store_id, "Store"),
            owner_id=filter_uuid(self.owner_id, "Staff"),
            created_after=self.created_after, created_before=self.created_before,
            archived=self.archived,
        )


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="One customer, by exactly one of: id, externalRef, email, "
                                  "phone. A merged duplicate's id gives the survivor.")
    async def customer(
        self, info: Info, id: strawberry.ID | None = None,
        external_ref: ExternalReferenceInput | None = None,
        email: str | None = None, phone: str | None = None,
    ) -> CustomerType | None:
        given = [arg for arg in (id, external_ref, email, phone) if arg is not None]
        if len(given) != 1:
            raise GraphQLError("give exactly one of id, externalRef, email, phone",
                               extensions={"code": "BAD_USER_INPUT"})
        summary = await _find(info, id, external_ref, email, phone)
        return CustomerType.from_summary(summary) if summary else None

    @strawberry.field(description="Customers matching a search and filters, one page at a time.")
    async def customers(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        search: Annotated[str | None, strawberry.argument(
            description="Part of a name, email or phone number.")] = None,
        filter: CustomerFilterInput | None = None,
        sort_key: CustomerSortKeyEnum = CustomerSortKey.CREATED_AT,  # type: ignore[valid-type]
        reverse: bool = False,
    ) -> CustomerConnection:
        queries = info.context.queries.customers
        where = (filter or CustomerFilterInput()).to_domain(search)
        page = await queries.page(where, CustomerSortKey(sort_key), reverse,
                                  page_request(first, after, last, before))
        return CustomerConnection(
            **connection_parts(page, CustomerType.from_summary),
            count=lambda: queries.count(where),
        )


async def _find(
    info: Info, id: str | None, external_ref: ExternalReferenceInput | None,
    email: str | None, phone: str | None,
) -> CustomerSummary | None:
    queries = info.context.queries.customers
    if id is not None:
        customer_id = lookup_uuid(id, "Customer")
        if customer_id is None:
            return None
        # A root lookup is one key: straight to the query, without a batch to schedule.
        return (await queries.by_ids([customer_id])).get(customer_id)
    if external_ref is not None:
        return await queries.by_external_ref(external_ref.system.strip().lower(),
                                             external_ref.value.strip())
    if email is not None:
        return await queries.by_email(email)
    return await queries.by_phone(normalise_phone(phone or "") or "")
