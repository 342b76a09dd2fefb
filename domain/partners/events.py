"""The names of the partners context's events, each with a JSON Schema (events/ at the
repository's root); see domain/customers/events.py."""

from enum import StrEnum


class PartnerEvent(StrEnum):
    PARTNER_CREATED = "PartnerCreated"
    PARTNER_UPDATED = "PartnerUpdated"
    PARTNER_SUSPENDED = "PartnerSuspended"
    PARTNER_REACTIVATED = "PartnerReactivated"
    OFFER_CREATED = "OfferCreated"
    OFFER_UPDATED = "OfferUpdated"
    OFFER_STATUS_CHANGED = "OfferStatusChanged"
    GRANT_ISSUED = "GrantIssued"
    GRANT_EXPIRED = "GrantExpired"
    GRANT_REVOKED = "GrantRevoked"
    GRANT_REDEEMED = "GrantRedeemed"
    GRANT_REDEMPTION_REVERSED = "GrantRedemptionReversed"
    PURCHASE_RECORDED = "PartnerPurchaseRecorded"
    PURCHASE_RETURNED = "PartnerPurchaseReturned"
