"""Partner queries: the alliance as the brand sees it (partners, offers), and the partner
API (its own offers, a code at its counter, its settlement). A member's grants are read
through the customer (`Customer.benefits`)."""

import strawberry

from api.graphql.context import Info
from api.graphql.partners.types import (
    GrantCheckType,
    OfferConnection,
    OfferStatusEnum,
    OfferType,
    PartnerConnection,
    PartnerStatusEnum,
    PartnerType,
    SettlementType,
)
from api.graphql.permissions import refused_read
from api.graphql.relay import connection_parts, filter_uuid, lookup_uuid, page_request
from domain.partners.commands import ReadSettlement, ValidateGrant
from domain.partners.queries import OfferFilter, own_partner
from domain.partners.settlement import read_settlement
from domain.shared.access import Role, not_allowed
from domain.shared.errors import DomainError, not_found


@strawberry.type
class PartnerQueries:
    @strawberry.field(description="The alliance's partners, by name.")
    async def partners(
        self, info: Info, status: PartnerStatusEnum | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> PartnerConnection:
        page = await info.context.queries.partners.partners(
            status, page_request(first, after, last, before))
        return PartnerConnection(**connection_parts(page, PartnerType.from_domain))

    @strawberry.field(description="A partner by id; null when there is none.")
    async def partner(self, info: Info, id: strawberry.ID) -> PartnerType | None:
        partner_id = lookup_uuid(id, "Partner")
        found = None if partner_id is None else await info.context.loaders.partner.load(
            partner_id)
        return PartnerType.from_domain(found) if found else None

    @strawberry.field(description="Offers, oldest first: every partner's, or one's. A "
                                  "partner's own API client sees its own only.")
    async def offers(
        self, info: Info, partner_id: strawberry.ID | None = None,
        status: OfferStatusEnum | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> OfferConnection:
        wanted = filter_uuid(partner_id, "Partner", ("partner_id",))
        request = page_request(first, after, last, before)
        viewer = info.context.viewer
        try:
            if viewer.role is Role.PARTNER:
                own = await own_partner(info.context.queries.partners, viewer)
                if wanted not in (None, own.id):
                    raise not_allowed("a partner reads only its own offers")
                wanted = own.id
        except DomainError as refusal:
            raise refused_read(refusal) from None
        page = await info.context.queries.partners.offers(OfferFilter(wanted, status), request)
        return OfferConnection(**connection_parts(page, OfferType.from_domain))

    @strawberry.field(description="Your own offers, oldest first (a partner's API client).")
    async def partner_offers(
        self, info: Info, status: OfferStatusEnum | None = None, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> OfferConnection:
        request = page_request(first, after, last, before)
        try:
            own = await own_partner(info.context.queries.partners, info.context.viewer)
        except DomainError as refusal:
            raise refused_read(refusal) from None
        page = await info.context.queries.partners.offers(OfferFilter(own.id, status), request)
        return OfferConnection(**connection_parts(page, OfferType.from_domain))

    @strawberry.field(description="Checks a member's code at your counter: good now or why "
                                  "not, for what, until when, and what she shares. An "
                                  "unknown code counts against your key's limit.")
    async def grant_validate(self, info: Info, code: str) -> GrantCheckType:
        try:
            check = await info.context.use_cases.partners.validate_grant(ValidateGrant(code))
        except DomainError as refusal:
            raise refused_read(refusal) from None
        return GrantCheckType.from_domain(check)

    @strawberry.field(description="What a partner and the brand owe each other for a period "
                                  "(YYYY-MM), by offer and kind, with a CSV of its entries. "
                                  "Admins name the partner; a partner reads its own.")
    async def partner_settlement(
        self, info: Info, period: str, partner_id: strawberry.ID | None = None,
    ) -> SettlementType:
        try:
            wanted = None if partner_id is None else lookup_uuid(partner_id, "Partner")
            if partner_id is not None and wanted is None:
                raise not_found(("partner_id",), "partner")
            settlement = await read_settlement(ReadSettlement(wanted, period),
                                               info.context.queries.partners,
                                               info.context.viewer)
        except DomainError as refusal:
            raise refused_read(refusal) from None
        return SettlementType.from_domain(settlement)

