"""Customer queries: one customer by any of its handles, or a filtered, sorted page."""

from dataclasses import replace
from datetime import datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from api.graphql.context import Info
from api.graphql.customers.inputs import ExternalReferenceInput
from api.graphql.customers.types import CustomerConnection, CustomerType
from api.graphql.permissions import refused_read
from api.graphql.relay import connection_parts, filter_uuid, lookup_uuid, page_request
from domain.customers.queries import (
    ByEmail,
    ByExternalRef,
    ById,
    ByPhone,
    CustomerFilter,
    CustomerLookup,
    CustomerSortKey,
    CustomerSummary,
    require_lookup_reach,
)
from domain.shared.errors import DomainError
from domain.shared.paging import PageRequest

# GraphQL enums are the domain's classes themselves, registered under their schema names.
CustomerSortKeyEnum = CustomerSortKey
strawberry.enum(CustomerSortKeyEnum, name="CustomerSortKey")


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
            home_store_id=filter_uuid(self.home_store_id, "Store", ("filter", "home_store_id")),
            owner_id=filter_uuid(self.owner_id, "Staff", ("filter", "owner_id")),
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
        (lookup,) = customer_arguments(id, external_ref, email, phone)
        if lookup is None:
            return None
        summary = await _find(info, lookup)
        if summary is None:
            return None
        try:
            require_lookup_reach(info.context.viewer, lookup, summary)
        except DomainError as refusal:
            raise refused_read(refusal) from None
        return CustomerType.from_summary(summary)

    @strawberry.field(description="Customers matching a search and filters, one page at a time.")
    async def customers(
        self, info: Info, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
        search: Annotated[str | None, strawberry.argument(
            description="Part of a name, email or phone number.")] = None,
        filter: CustomerFilterInput | None = None,
        sort_key: CustomerSortKeyEnum = CustomerSortKey.CREATED_AT,
        reverse: bool = False,
    ) -> CustomerConnection:
        queries = info.context.queries.customers
        where, sort, reverse, page_asked = customers_arguments(
            first, after, last, before, search, filter, sort_key, reverse)
        where = replace(where, reach=info.context.viewer.customer_reach)
        page = await queries.page(where, sort, reverse, page_asked)
        return CustomerConnection(
            **connection_parts(page, CustomerType.from_summary),
            count=lambda: queries.count(where),
        )


# The arguments of a field as the query services (and compiled reads) take them.


def customer_arguments(
    id: str | None = None, external_ref: ExternalReferenceInput | None = None,
    email: str | None = None, phone: str | None = None,
) -> tuple[CustomerLookup | None]:
    """None: an id of another type, or no id at all, finds nobody."""
    given = [arg for arg in (id, external_ref, email, phone) if arg is not None]
    if len(given) != 1:
        raise GraphQLError("give exactly one of id, externalRef, email, phone",
                           extensions={"code": "BAD_USER_INPUT"})
    if id is not None:
        customer_id = lookup_uuid(id, "Customer")
        return (ById(customer_id) if customer_id else None,)
    if external_ref is not None:
        return (ByExternalRef.of(external_ref.system, external_ref.value),)
    if email is not None:
        return (ByEmail.of(email),)
    return (ByPhone.of(phone or ""),)


def customers_arguments(
    first: int | None = None, after: str | None = None, last: int | None = None,
    before: str | None = None, search: str | None = None,
    filter: CustomerFilterInput | None = None,
    sort_key: CustomerSortKey = CustomerSortKey.CREATED_AT, reverse: bool = False,
) -> tuple[CustomerFilter, CustomerSortKey, bool, PageRequest]:
    where = (filter or CustomerFilterInput()).to_domain(search)
    return where, CustomerSortKey(sort_key), reverse, page_request(first, after, last, before)


async def _find(info: Info, lookup: CustomerLookup) -> CustomerSummary | None:
    queries = info.context.queries.customers
    match lookup:
        case ById(customer_id):
            # A root lookup is one key: straight to the query, without a batch to schedule.
            return (await queries.by_ids([customer_id])).get(customer_id)
        case ByExternalRef(system, value):
            return await queries.by_external_ref(system, value)
        case ByEmail(email):
            return await queries.by_email(email)
        case ByPhone(phone):
            return await queries.by_phone(phone)
