"""Loyalty mutations: each translates its input into a command, runs the use case, and turns
what it returns into a payload, or its DomainError into userErrors."""

from typing import TypedDict
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.errors import Renames, UserError, user_errors_of
from api.graphql.loyalty.inputs import (
    LoyaltyProgrammeSaveInput,
    LoyaltyTierOverrideInput,
    PointsAdjustInput,
    PointsPayInput,
    PurchaseRecordBatchInput,
    PurchaseRecordInput,
    PurchaseRefundInput,
    RewardRedeemInput,
)
from api.graphql.loyalty.types import (
    LoyaltyMembershipType,
    LoyaltyProgrammeType,
    PointsLedgerEntryType,
    PurchaseType,
    RefundType,
    RewardType,
    load_programme_membership,
)
from api.graphql.money import MoneyType
from api.graphql.payloads import mutation_payload
from domain.loyalty.model import Membership, Programme
from domain.loyalty.points import PointsMoved
from domain.loyalty.purchases import (
    BatchItem,
    BatchRecorded,
    BatchStatus,
    PurchaseRecorded,
    RefundRecorded,
)

# Where a command's field sits in the input when the names differ.
RENAMES: Renames = {
    "programme_code": ("programme",),
    "currency": ("currency_code",),
    "window": ("qualification_window",),
    "downgrade": ("downgrade_policy",),
}
# A purchase's idempotency key is its order id; a return's, its refund reference.
PURCHASE_RENAMES: Renames = {**RENAMES, "idempotency_key": ("order_id",)}
REFUND_RENAMES: Renames = {**RENAMES, "idempotency_key": ("refund_ref",)}


@strawberry.type
class MemberPayload:
    """A payload that shows the member's standing after the change."""

    member: strawberry.Private[tuple[UUID, UUID] | None] = None  # (programme, customer)
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(description="The member's standing after this; null when refused.")
    async def loyalty(self, info: Info) -> LoyaltyMembershipType | None:
        if self.member is None:
            return None
        return await load_programme_membership(info, *self.member)


@strawberry.type(description="The programme as saved.")
class LoyaltyProgrammeSavePayload:
    programme: LoyaltyProgrammeType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The purchase (the first one, when its order id is replayed).")
class PurchaseRecordPayload(MemberPayload):
    purchase: PurchaseType | None = None
    replayed: bool | None = strawberry.field(
        default=None, description="True: this order was recorded before; this is that result.")


@strawberry.type(description="The return, and the purchase as it stands after it.")
class PurchaseRefundPayload(MemberPayload):
    refund: RefundType | None = None
    purchase: PurchaseType | None = None
    replayed: bool | None = None


@strawberry.type(description="The ledger entry and the balance after it.")
class RewardRedeemPayload(MemberPayload):
    entry: PointsLedgerEntryType | None = None
    points_balance: int | None = None
    reward: RewardType | None = None


@strawberry.type(description="The ledger entry, the balance after it, and what the points paid.")
class PointsPayPayload(MemberPayload):
    entry: PointsLedgerEntryType | None = None
    points_balance: int | None = None
    amount: MoneyType | None = None


@strawberry.type(description="The ledger entry and the balance after it.")
class PointsAdjustPayload(MemberPayload):
    entry: PointsLedgerEntryType | None = None
    points_balance: int | None = None


@strawberry.type(description="The member's standing with the override set or lifted.")
class LoyaltyTierOverridePayload(MemberPayload):
    pass


# GraphQL enums are the domain's classes themselves, registered under their schema names.
PurchaseBatchStatus = BatchStatus
strawberry.enum(PurchaseBatchStatus, name="PurchaseBatchStatus")


@strawberry.type(description="What became of one purchase of a batch.")
class PurchaseBatchItemPayload:
    index: int = strawberry.field(description="Its place in the input, from 0.")
    status: PurchaseBatchStatus
    purchase: PurchaseType | None
    user_errors: list[UserError]

    @classmethod
    def from_domain(cls, item: BatchItem) -> "PurchaseBatchItemPayload":
        result = item.result
        purchase = PurchaseType.from_domain(result.purchase) if result is not None else None
        return cls(index=item.index, status=item.status, purchase=purchase,
                   user_errors=user_errors_of(item.errors, PURCHASE_RENAMES,
                                              ("purchases", str(item.index))))


@strawberry.type(description="Each purchase's result, in the order sent.")
class PurchaseRecordBatchPayload:
    results: list[PurchaseBatchItemPayload] | None = None
    recorded_count: int | None = None
    replayed_count: int | None = None
    rejected_count: int | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _recorded(recorded: PurchaseRecorded) -> PurchaseRecordPayload:
    purchase = recorded.purchase
    return PurchaseRecordPayload(purchase=PurchaseType.from_domain(purchase),
                                 replayed=recorded.replayed,
                                 member=(purchase.programme_id, purchase.customer_id))


def _refunded(recorded: RefundRecorded) -> PurchaseRefundPayload:
    purchase = recorded.purchase
    return PurchaseRefundPayload(refund=RefundType.from_domain(recorded.refund, purchase.currency),
                                 purchase=PurchaseType.from_domain(purchase),
                                 replayed=recorded.replayed,
                                 member=(purchase.programme_id, purchase.customer_id))


class Moved(TypedDict):
    """What every points payload says of the movement: the entry, the balance, the member."""

    entry: PointsLedgerEntryType
    points_balance: int
    member: tuple[UUID, UUID]


def _moved(moved: PointsMoved) -> Moved:
    entry = moved.entry
    return Moved(entry=PointsLedgerEntryType.from_domain(entry), points_balance=moved.balance,
                 member=(entry.programme_id, entry.customer_id))


def _batch(outcome: BatchRecorded) -> PurchaseRecordBatchPayload:
    return PurchaseRecordBatchPayload(
        results=[PurchaseBatchItemPayload.from_domain(item) for item in outcome.items],
        recorded_count=outcome.recorded, replayed_count=outcome.replayed,
        rejected_count=outcome.rejected)


@strawberry.type
class LoyaltyMutations:
    @strawberry.mutation(description="Creates a programme, or replaces its definition.")
    async def loyalty_programme_save(
        self, info: Info, input: LoyaltyProgrammeSaveInput
    ) -> LoyaltyProgrammeSavePayload:
        def answer(saved: Programme) -> LoyaltyProgrammeSavePayload:
            return LoyaltyProgrammeSavePayload(programme=LoyaltyProgrammeType.from_domain(saved))

        return await mutation_payload(info, info.context.use_cases.loyalty.save_programme,
                                      input.to_command, answer, LoyaltyProgrammeSavePayload,
                                      RENAMES)

    @strawberry.mutation(description="Records a sale: points earned, tier reassessed. The "
                                     "same order again replays the first result.")
    async def purchase_record(
        self, info: Info, input: PurchaseRecordInput
    ) -> PurchaseRecordPayload:
        return await mutation_payload(info, info.context.use_cases.loyalty.record_purchase,
                                      input.to_command, _recorded, PurchaseRecordPayload,
                                      PURCHASE_RENAMES)

    @strawberry.mutation(description="Records up to 500 purchases, each on its own: a bad one "
                                     "is reported and does not hold back the others.")
    async def purchase_record_batch(
        self, info: Info, input: PurchaseRecordBatchInput
    ) -> PurchaseRecordBatchPayload:
        return await mutation_payload(info, info.context.use_cases.loyalty.record_purchase_batch,
                                      input.to_command, _batch, PurchaseRecordBatchPayload,
                                      RENAMES)

    @strawberry.mutation(description="Records a return: spend and points given back, tier "
                                     "reassessed. More than was bought is refused.")
    async def purchase_refund(
        self, info: Info, input: PurchaseRefundInput
    ) -> PurchaseRefundPayload:
        return await mutation_payload(info, info.context.use_cases.loyalty.refund_purchase,
                                      input.to_command, _refunded, PurchaseRefundPayload,
                                      REFUND_RENAMES)

    @strawberry.mutation(description="Takes a reward for points; never below a zero balance.")
    async def reward_redeem(self, info: Info, input: RewardRedeemInput) -> RewardRedeemPayload:
        def answer(moved: PointsMoved) -> RewardRedeemPayload:
            reward = RewardType.from_domain(moved.reward) if moved.reward else None
            return RewardRedeemPayload(**_moved(moved), reward=reward)

        return await mutation_payload(info, info.context.use_cases.loyalty.redeem_reward,
                                      input.to_command, answer, RewardRedeemPayload, RENAMES)

    @strawberry.mutation(description="Pays part of an order with points.")
    async def points_pay(self, info: Info, input: PointsPayInput) -> PointsPayPayload:
        def answer(moved: PointsMoved) -> PointsPayPayload:
            paid = MoneyType.of(moved.paid.amount, moved.paid.currency) if moved.paid else None
            return PointsPayPayload(**_moved(moved), amount=paid)

        return await mutation_payload(info, info.context.use_cases.loyalty.pay_with_points,
                                      input.to_command, answer, PointsPayPayload, RENAMES)

    @strawberry.mutation(description="Adds or takes away points by hand, with a reason "
                                     "(ADMIN and STAFF).")
    async def points_adjust(self, info: Info, input: PointsAdjustInput) -> PointsAdjustPayload:
        def answer(moved: PointsMoved) -> PointsAdjustPayload:
            return PointsAdjustPayload(**_moved(moved))

        return await mutation_payload(info, info.context.use_cases.loyalty.adjust_points,
                                      input.to_command, answer, PointsAdjustPayload, RENAMES)

    @strawberry.mutation(description="Sets or lifts a tier override (ADMIN and STAFF).")
    async def loyalty_tier_override(
        self, info: Info, input: LoyaltyTierOverrideInput
    ) -> LoyaltyTierOverridePayload:
        def answer(membership: Membership) -> LoyaltyTierOverridePayload:
            return LoyaltyTierOverridePayload(
                member=(membership.programme_id, membership.customer_id))

        return await mutation_payload(info, info.context.use_cases.loyalty.override_tier,
                                      input.to_command, answer, LoyaltyTierOverridePayload,
                                      RENAMES)
