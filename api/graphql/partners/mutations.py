"""Partner mutations: each translates its input into a command, runs the use case, and turns
what it returns into a payload, or its DomainError into userErrors.

The partner's own (grantRedeem, grantRedemptionReverse, partnerPurchaseRecord,
partnerPurchaseReturn) answer with types that lead to no customer: a redemption, a partner
purchase."""

import strawberry

from api.graphql.access.mutations import IssuedKeyPayload
from api.graphql.access.types import ApiClientType
from api.graphql.context import Info
from api.graphql.errors import Renames, UserError
from api.graphql.partners.inputs import (
    GrantIssueInput,
    GrantRedeemInput,
    GrantRedemptionReverseInput,
    GrantRevokeInput,
    OfferCreateInput,
    OfferStatusChangeInput,
    OfferUpdateInput,
    PartnerApiClientCreateInput,
    PartnerCreateInput,
    PartnerPurchaseRecordInput,
    PartnerPurchaseReturnInput,
    PartnerReactivateInput,
    PartnerSuspendInput,
    PartnerUpdateInput,
)
from api.graphql.partners.types import (
    GrantType,
    OfferType,
    PartnerPurchaseType,
    PartnerType,
    RedemptionType,
)
from api.graphql.payloads import mutation_payload
from domain.access.model import IssuedKey
from domain.partners.coalition import PartnerPurchaseRecorded
from domain.partners.model import Grant, Offer, Partner
from domain.partners.redemptions import Redeemed

# Where a command's field sits in the input when the names differ.
RENAMES: Renames = {
    "currency": ("currency_code",),
    "programme_code": ("programme",),
    "member_system": ("member", "system"),
    "member_reference": ("member", "value"),
    "changes": (),
}


@strawberry.type
class PartnerPayload:
    partner: PartnerType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new partner.")
class PartnerCreatePayload(PartnerPayload):
    pass


@strawberry.type(description="The partner as saved.")
class PartnerUpdatePayload(PartnerPayload):
    pass


@strawberry.type(description="The partner, suspended: its keys fail and its offers issue "
                             "nothing until it is reactivated.")
class PartnerSuspendPayload(PartnerPayload):
    pass


@strawberry.type(description="The partner, active again.")
class PartnerReactivatePayload(PartnerPayload):
    pass


@strawberry.type(description="The partner's new API client (role PARTNER) and its first key.")
class PartnerApiClientCreatePayload(IssuedKeyPayload):
    pass


@strawberry.type
class OfferPayload:
    offer: OfferType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The new offer, a DRAFT.")
class OfferCreatePayload(OfferPayload):
    pass


@strawberry.type(description="The offer as saved.")
class OfferUpdatePayload(OfferPayload):
    pass


@strawberry.type(description="The offer in its new status.")
class OfferStatusChangePayload(OfferPayload):
    pass


@strawberry.type
class GrantPayload:
    grant: GrantType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The grant issued, with its code.")
class GrantIssuePayload(GrantPayload):
    pass


@strawberry.type(description="The grant, revoked.")
class GrantRevokePayload(GrantPayload):
    pass


@strawberry.type(description="The redemption (the first one, when its key is replayed).")
class GrantRedeemPayload:
    redemption: RedemptionType | None = None
    replayed: bool | None = strawberry.field(
        default=None, description="True: this key redeemed before; this is that result, "
                                  "nothing was redeemed now (`redemption.reversed` says "
                                  "whether it was reversed since).")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The redemption, reversed: the grant is good again.")
class GrantRedemptionReversePayload:
    redemption: RedemptionType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PartnerPurchasePayload:
    purchase: PartnerPurchaseType | None = None
    replayed: bool | None = strawberry.field(
        default=None, description="True: this was recorded before; this is that result.")
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The purchase and the points she earned.")
class PartnerPurchaseRecordPayload(PartnerPurchasePayload):
    pass


@strawberry.type(description="The purchase as it stands after the return.")
class PartnerPurchaseReturnPayload(PartnerPurchasePayload):
    pass


@strawberry.type
class PartnerMutations:
    # --- partners (ADMIN) ----------------------------------------------------------------

    @strawberry.mutation(description="Onboards a partner company (ADMIN).")
    async def partner_create(self, info: Info, input: PartnerCreateInput) -> PartnerCreatePayload:
        def answer(partner: Partner) -> PartnerCreatePayload:
            return PartnerCreatePayload(partner=PartnerType.from_domain(partner))

        return await mutation_payload(info, info.context.use_cases.partners.create_partner,
                                      input.to_command, answer, PartnerCreatePayload, RENAMES)

    @strawberry.mutation(description="Edits a partner; its code and currency never change.")
    async def partner_update(self, info: Info, input: PartnerUpdateInput) -> PartnerUpdatePayload:
        def answer(partner: Partner) -> PartnerUpdatePayload:
            return PartnerUpdatePayload(partner=PartnerType.from_domain(partner))

        return await mutation_payload(info, info.context.use_cases.partners.update_partner,
                                      input.to_command, answer, PartnerUpdatePayload, RENAMES)

    @strawberry.mutation(description="Suspends a partner: its keys stop working at once and "
                                     "its offers stop issuing.")
    async def partner_suspend(
        self, info: Info, input: PartnerSuspendInput
    ) -> PartnerSuspendPayload:
        def answer(partner: Partner) -> PartnerSuspendPayload:
            return PartnerSuspendPayload(partner=PartnerType.from_domain(partner))

        return await mutation_payload(info, info.context.use_cases.partners.suspend_partner,
                                      input.to_command, answer, PartnerSuspendPayload, RENAMES)

    @strawberry.mutation(description="Reactivates a suspended partner.")
    async def partner_reactivate(
        self, info: Info, input: PartnerReactivateInput
    ) -> PartnerReactivatePayload:
        def answer(partner: Partner) -> PartnerReactivatePayload:
            return PartnerReactivatePayload(partner=PartnerType.from_domain(partner))

        return await mutation_payload(info, info.context.use_cases.partners.reactivate_partner,
                                      input.to_command, answer, PartnerReactivatePayload,
                                      RENAMES)

    @strawberry.mutation(description="An API client for the partner (role PARTNER, bound to "
                                     "it); its key is in this payload, once.")
    async def partner_api_client_create(
        self, info: Info, input: PartnerApiClientCreateInput
    ) -> PartnerApiClientCreatePayload:
        def answer(issued: IssuedKey) -> PartnerApiClientCreatePayload:
            return PartnerApiClientCreatePayload(
                api_client=ApiClientType.from_domain(issued.client), secret=issued.key)

        return await mutation_payload(
            info, info.context.use_cases.partners.create_partner_api_client, input.to_command,
            answer, PartnerApiClientCreatePayload, RENAMES)

    # --- offers (ADMIN) ------------------------------------------------------------------

    @strawberry.mutation(description="Defines an offer of a partner, as a DRAFT.")
    async def offer_create(self, info: Info, input: OfferCreateInput) -> OfferCreatePayload:
        def answer(offer: Offer) -> OfferCreatePayload:
            return OfferCreatePayload(offer=OfferType.from_domain(offer))

        return await mutation_payload(info, info.context.use_cases.partners.create_offer,
                                      input.to_command, answer, OfferCreatePayload, RENAMES)

    @strawberry.mutation(description="Edits an offer that has not ended; grants issued keep "
                                     "their code and expiry.")
    async def offer_update(self, info: Info, input: OfferUpdateInput) -> OfferUpdatePayload:
        def answer(offer: Offer) -> OfferUpdatePayload:
            return OfferUpdatePayload(offer=OfferType.from_domain(offer))

        return await mutation_payload(info, info.context.use_cases.partners.update_offer,
                                      input.to_command, answer, OfferUpdatePayload, RENAMES)

    @strawberry.mutation(description="Activates, pauses or ends an offer.")
    async def offer_status_change(
        self, info: Info, input: OfferStatusChangeInput
    ) -> OfferStatusChangePayload:
        def answer(offer: Offer) -> OfferStatusChangePayload:
            return OfferStatusChangePayload(offer=OfferType.from_domain(offer))

        return await mutation_payload(info, info.context.use_cases.partners.change_offer_status,
                                      input.to_command, answer, OfferStatusChangePayload,
                                      RENAMES)

    # --- grants (STAFF) ------------------------------------------------------------------

    @strawberry.mutation(description="Gives a member an offer by hand, with a reason (ADMIN "
                                     "and STAFF); her consent, the offer's dates and quota "
                                     "still hold.")
    async def grant_issue(self, info: Info, input: GrantIssueInput) -> GrantIssuePayload:
        def answer(grant: Grant) -> GrantIssuePayload:
            return GrantIssuePayload(grant=GrantType.from_domain(grant))

        return await mutation_payload(info, info.context.use_cases.partners.issue_grant,
                                      input.to_command, answer, GrantIssuePayload, RENAMES)

    @strawberry.mutation(description="Takes back a grant not redeemed yet (ADMIN and STAFF).")
    async def grant_revoke(self, info: Info, input: GrantRevokeInput) -> GrantRevokePayload:
        def answer(grant: Grant) -> GrantRevokePayload:
            return GrantRevokePayload(grant=GrantType.from_domain(grant))

        return await mutation_payload(info, info.context.use_cases.partners.revoke_grant,
                                      input.to_command, answer, GrantRevokePayload, RENAMES)

    # --- the partner's counter (PARTNER) --------------------------------------------------

    @strawberry.mutation(description="Redeems a grant of yours, once; the same "
                                     "idempotencyKey again replays the first redemption.")
    async def grant_redeem(self, info: Info, input: GrantRedeemInput) -> GrantRedeemPayload:
        def answer(redeemed: Redeemed) -> GrantRedeemPayload:
            return GrantRedeemPayload(redemption=RedemptionType.from_domain(redeemed.redemption),
                                      replayed=redeemed.replayed)

        return await mutation_payload(info, info.context.use_cases.partners.redeem_grant,
                                      input.to_command, answer, GrantRedeemPayload, RENAMES)

    @strawberry.mutation(description="Reverses a redemption made by mistake, within 24 "
                                     "hours: the grant is good again.")
    async def grant_redemption_reverse(
        self, info: Info, input: GrantRedemptionReverseInput
    ) -> GrantRedemptionReversePayload:
        def answer(reversed_: Redeemed) -> GrantRedemptionReversePayload:
            return GrantRedemptionReversePayload(
                redemption=RedemptionType.from_domain(reversed_.redemption))

        return await mutation_payload(info, info.context.use_cases.partners.reverse_redemption,
                                      input.to_command, answer, GrantRedemptionReversePayload,
                                      RENAMES)

    @strawberry.mutation(description="Reports a member's purchase with you: she earns the "
                                     "brand's points, and you owe the brand their value.")
    async def partner_purchase_record(
        self, info: Info, input: PartnerPurchaseRecordInput
    ) -> PartnerPurchaseRecordPayload:
        def answer(recorded: PartnerPurchaseRecorded) -> PartnerPurchaseRecordPayload:
            return PartnerPurchaseRecordPayload(
                purchase=PartnerPurchaseType.from_domain(recorded.purchase),
                replayed=recorded.replayed)

        return await mutation_payload(
            info, info.context.use_cases.partners.record_partner_purchase, input.to_command,
            answer, PartnerPurchaseRecordPayload, RENAMES)

    @strawberry.mutation(description="Reports a return of a purchase with you: its share of "
                                     "the points and of what you owe is taken back.")
    async def partner_purchase_return(
        self, info: Info, input: PartnerPurchaseReturnInput
    ) -> PartnerPurchaseReturnPayload:
        def answer(recorded: PartnerPurchaseRecorded) -> PartnerPurchaseReturnPayload:
            return PartnerPurchaseReturnPayload(
                purchase=PartnerPurchaseType.from_domain(recorded.purchase),
                replayed=recorded.replayed)

        return await mutation_payload(
            info, info.context.use_cases.partners.return_partner_purchase, input.to_command,
            answer, PartnerPurchaseReturnPayload, RENAMES)
