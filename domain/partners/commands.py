"""What callers ask of the alliance: plain inputs, checked by the use cases."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.partners.model import (
    Benefit,
    CostSharing,
    Eligibility,
    OfferStatus,
    Quota,
    Trigger,
)


@dataclass(frozen=True)
class CreatePartner:
    code: str
    name: str
    industry: str
    currency: str
    contact_name: str | None = None
    contact_email: str | None = None
    terms_days: int = 30
    earn_rate: Decimal | None = None
    point_value: Decimal = Decimal("0.01")


# The partner's fields an update may change; its code and currency never change (keys and
# settled amounts are bound to them).
PARTNER_EDITABLE = frozenset({"name", "industry", "contact_name", "contact_email",
                              "terms_days", "earn_rate", "point_value"})


@dataclass(frozen=True)
class UpdatePartner:
    """`changes` holds only the fields to change (`PARTNER_EDITABLE`); None clears an
    optional one."""

    partner_id: UUID
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class SuspendPartner:
    partner_id: UUID
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class ReactivatePartner:
    partner_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class CreatePartnerApiClient:
    partner_id: UUID
    name: str


@dataclass(frozen=True)
class CreateOffer:
    partner_id: UUID
    code: str
    title: str
    benefit: Benefit
    trigger: Trigger
    cost: CostSharing
    description: str | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)
    quota: Quota = field(default_factory=Quota)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    grant_valid_days: int = 30
    redeem_until: datetime | None = None


OFFER_EDITABLE = frozenset({"title", "description", "benefit", "eligibility", "trigger",
                            "quota", "valid_from", "valid_until", "grant_valid_days",
                            "redeem_until", "cost"})


@dataclass(frozen=True)
class UpdateOffer:
    """`changes` holds only the fields to change (`OFFER_EDITABLE`), with their new values."""

    offer_id: UUID
    changes: Mapping[str, Any]
    expected_version: int | None = None


@dataclass(frozen=True)
class ChangeOfferStatus:
    offer_id: UUID
    status: OfferStatus
    expected_version: int | None = None


@dataclass(frozen=True)
class IssueGrant:
    """Staff giving a member an offer by hand (a complaint made good, a birthday at the
    counter); the reason is kept with the grant."""

    offer_id: UUID
    customer_id: UUID
    reason: str


@dataclass(frozen=True)
class RevokeGrant:
    grant_id: UUID
    reason: str


@dataclass(frozen=True)
class ExpireGrants:
    """The daily job: every issued grant past its expiry is marked expired."""

    limit: int = 10_000


@dataclass(frozen=True)
class PruneCodeMisses:
    """The hourly job: failed code lookups too old for the lock-out to count are deleted."""

    limit: int = 10_000


@dataclass(frozen=True)
class ValidateGrant:
    code: str


@dataclass(frozen=True)
class RedeemGrant:
    code: str
    idempotency_key: str
    location: str
    amount: Decimal | None = None


@dataclass(frozen=True)
class ReverseRedemption:
    redemption_id: UUID
    reason: str


@dataclass(frozen=True)
class RecordPartnerPurchase:
    """A member's purchase at the partner, named by her card or account with the brand
    (`member_system`, `member_reference`: an external reference of hers). `order_id` is
    the partner's own and its idempotency key."""

    member_system: str
    member_reference: str
    order_id: str
    amount: Decimal
    currency: str
    occurred_at: datetime
    programme_code: str | None = None


@dataclass(frozen=True)
class ReturnPartnerPurchase:
    """All or part (`amount`) of a partner purchase returned; `return_ref` is the partner's
    id for the return, so a retry replays."""

    order_id: str
    return_ref: str
    amount: Decimal | None = None  # None: the whole of what is left


@dataclass(frozen=True)
class ClosePeriod:
    """Closes `period` (`2026-11`) for one partner, or for every partner when None."""

    period: str
    partner_id: UUID | None = None


@dataclass(frozen=True)
class ReadSettlement:
    """`partner_id` None: the partner reading is its own (a partner's API client)."""

    partner_id: UUID | None
    period: str
