"""Loyalty queries: a programme, and a member's prices. A member's standing, ledger and
purchases are read through the customer (`Customer.loyalty`, `Customer.purchases`)."""

import strawberry

from api.graphql.context import Info
from api.graphql.loaders import MemberKey
from api.graphql.loyalty.inputs import MemberPriceLineInput
from api.graphql.loyalty.types import LoyaltyProgrammeType, MemberPriceQuoteType
from api.graphql.permissions import refused_read
from api.graphql.relay import uuid_of
from domain.loyalty.commands import QuoteMemberPrice
from domain.loyalty.queries import MemberPriceQuote, quote_member_price
from domain.shared.errors import DomainError, not_found


@strawberry.type
class LoyaltyQueries:
    @strawberry.field(description="A programme by code; no code: the default programme.")
    async def loyalty_programme(
        self, info: Info, code: str | None = None
    ) -> LoyaltyProgrammeType | None:
        programme = await info.context.loaders.loyalty_programme.load(code)
        return LoyaltyProgrammeType.from_domain(programme) if programme else None

    @strawberry.field(description="What these lines cost the customer with the discount of "
                                  "the customer's tier, for a till to show before it takes "
                                  "payment. A customer who is "
                                  "not a member yet gets the entry tier's prices.")
    async def member_price(
        self, info: Info, customer_id: strawberry.ID, currency_code: str,
        lines: list[MemberPriceLineInput], programme: str | None = None,
    ) -> MemberPriceQuoteType | None:
        try:
            quote = await _quote(info, customer_id, currency_code, lines, programme)
        except DomainError as refusal:
            raise refused_read(refusal) from None
        return MemberPriceQuoteType.from_domain(quote)


async def _quote(info: Info, customer_id: str, currency_code: str,
                 lines: list[MemberPriceLineInput], programme_code: str | None
                 ) -> MemberPriceQuote:
    query = QuoteMemberPrice(
        customer_id=uuid_of(customer_id, "Customer", ("customer_id",)),
        currency=currency_code,
        lines=tuple(line.to_domain(("lines", str(i))) for i, line in enumerate(lines)),
        programme_code=programme_code,
    )
    loaders = info.context.loaders
    customer = await loaders.customer.load(query.customer_id)
    if customer is None:
        raise not_found(("customer_id",), "customer")
    profile = customer.profile
    info.context.viewer.require_reach(customer.id, profile.home_store_id, profile.owner_id)
    programme = await loaders.loyalty_programme.load(programme_code)
    membership = None if programme is None else await loaders.membership.load(
        MemberKey(programme.id, customer.id))
    return quote_member_price(query, programme, membership, info.context.now)
