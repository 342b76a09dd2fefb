"""The names of the loyalty context's events, each with a JSON Schema (events/ at the
repository's root); see domain/customers/events.py."""

from enum import StrEnum


class LoyaltyEvent(StrEnum):
    MEMBER_ENROLLED = "LoyaltyMemberEnrolled"
    TIER_CHANGED = "LoyaltyTierChanged"
    TIER_AT_RISK = "LoyaltyTierAtRisk"
    POINTS_EARNED = "PointsEarned"
    POINTS_REDEEMED = "PointsRedeemed"
    POINTS_EXPIRED = "PointsExpired"
    POINTS_ADJUSTED = "PointsAdjusted"
    POINTS_REVERSED = "PointsReversed"
    PURCHASE_RECORDED = "PurchaseRecorded"
    PURCHASE_REFUNDED = "PurchaseRefunded"
