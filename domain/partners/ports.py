"""The alliance's write port: partners, offers, grants, redemptions, partner purchases,
settlement, and the count of failed code lookups."""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.partners.model import (
    Grant,
    Offer,
    Partner,
    PartnerPurchase,
    Redemption,
    SettlementEntry,
    SharedMember,
    TriggerKind,
)


@dataclass(frozen=True)
class GrantCounts:
    """Grants of one offer not revoked: in all, to one member, and in one period (all
    members). A grant counts in the period of the fact that issued it: the purchase's time
    (never after the grant's issue: a till's clock may run ahead) when a purchase did, else
    its issue."""

    total: int
    member: int
    period: int


@dataclass(frozen=True)
class GrantAtCounter:
    """A grant as a partner's counter sees it: the grant, its offer, its partner, and what
    the member shares (None when she does not consent to partner sharing)."""

    grant: Grant
    offer: Offer
    partner: Partner
    member: SharedMember | None


@dataclass(frozen=True)
class GrantToRedeem:
    """A grant locked for its redemption, with its offer."""

    grant: Grant
    offer: Offer


@dataclass(frozen=True)
class GrantMember:
    """The member a partner's grant names, her row held (`hold_grant_member`):
    `merged_into_id` is set when it is a merged duplicate's, whose survivor is held next."""

    customer_id: UUID
    merged_into_id: UUID | None


@dataclass(frozen=True)
class PartnerOffer:
    """An offer with its partner."""

    partner: Partner
    offer: Offer


@dataclass(frozen=True)
class PartnerWithMisses:
    """A partner, and how many lookups one of its keys missed since each instant asked."""

    partner: Partner
    misses: list[int]


class PartnerRepository(Protocol):
    # --- partners ---------------------------------------------------------------------
    async def get(self, partner_id: UUID, *, for_update: bool = False) -> Partner | None: ...

    async def get_by_code(self, code: str) -> Partner | None: ...

    async def add(self, partner: Partner) -> None:
        """Raises Duplicate(PARTNER_CODE) when the code is taken."""
        ...

    async def save(self, partner: Partner) -> None: ...

    # --- offers -----------------------------------------------------------------------
    async def get_offer(self, offer_id: UUID, *, for_update: bool = False) -> Offer | None:
        """`for_update` locks it until the transaction ends: issuing against its quota
        takes turns."""
        ...

    async def add_offer(self, offer: Offer) -> None:
        """Raises Duplicate(OFFER_CODE) when the partner has an offer of that code."""
        ...

    async def save_offer(self, offer: Offer) -> None: ...

    async def offers_by_codes(self, codes: Collection[tuple[str, str]]) -> list[PartnerOffer]:
        """The offers named by (partner code, offer code), with their partners: those that
        exist, in no particular order."""
        ...

    async def issuing_offers(self, kinds: frozenset[TriggerKind], at: datetime) -> list[Offer]:
        """Active offers of active partners, valid at `at`, whose trigger is of `kinds`."""
        ...

    # --- grants -----------------------------------------------------------------------
    async def grant_counts(self, offer_id: UUID, customer_id: UUID, period_start: datetime,
                           period_end: datetime) -> GrantCounts:
        """The period is from `period_start` up to, not including, `period_end`."""
        ...

    async def add_grant(self, grant: Grant) -> None:
        """Raises Duplicate(GRANT_SOURCE) when the member has a grant of the offer from the
        same source that is not revoked, Duplicate(GRANT_CODE) in the (astronomically
        rare) case of a code clash."""
        ...

    async def get_grant(self, grant_id: UUID, *, for_update: bool = False) -> Grant | None: ...

    async def grant_at_counter(self, code: str, now: datetime) -> GrantAtCounter | None:
        """One read of everything a partner's validation answers."""
        ...

    async def hold_grant_member(self, code: str, partner_id: UUID) -> GrantMember | None:
        """The member the grant of `code` names, when it is `partner_id`'s, with her
        customer row held as `CustomerRepository.hold` holds it, in one read; None (and
        nothing held) for an unknown code or another partner's. The grant is not locked."""
        ...

    async def grant_to_redeem(self, code: str) -> GrantToRedeem | None:
        """The grant of `code` locked (`for_update`), with its offer, in one read."""
        ...

    async def save_grant(self, grant: Grant) -> None: ...

    async def grants_of_purchase(self, purchase_id: UUID, *,
                                 for_update: bool = False) -> list[Grant]: ...

    async def grants_of_customer(self, customer_id: UUID) -> list[Grant]:
        """Every grant she holds, oldest first: for her data export."""
        ...

    async def expire_grants(self, now: datetime, limit: int) -> list[Grant]:
        """Marks up to `limit` issued grants whose expiry has passed as EXPIRED and
        returns them as they are now."""
        ...

    async def move_to_customer(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        """A merge: the duplicate's grants, their redemptions and the purchases partners
        reported for her become the survivor's."""
        ...

    # --- redemptions ------------------------------------------------------------------
    async def redemption_by_key(self, partner_id: UUID,
                                idempotency_key: str) -> Redemption | None: ...

    async def get_redemption(self, redemption_id: UUID, *,
                             for_update: bool = False) -> Redemption | None: ...

    async def add_redemption(self, redemption: Redemption) -> None:
        """Raises Duplicate(REDEMPTION_KEY) when a concurrent call took the key."""
        ...

    async def save_redemption(self, redemption: Redemption) -> None: ...

    # --- partner purchases ------------------------------------------------------------
    async def partner_purchase(self, partner_id: UUID, order_id: str, *,
                               for_update: bool = False) -> PartnerPurchase | None: ...

    async def add_partner_purchase(self, purchase: PartnerPurchase) -> None:
        """Raises Duplicate(PARTNER_ORDER) when a concurrent call recorded the order."""
        ...

    async def save_partner_purchase(self, purchase: PartnerPurchase) -> None: ...

    # --- settlement -------------------------------------------------------------------
    async def open_period(self, partner_id: UUID, earliest: str) -> str:
        """The first period at or after `earliest` that is not closed, held open until the
        transaction ends (a concurrent close waits for it, so no entry lands in a period
        after it closed)."""
        ...

    async def add_entries(self, entries: Sequence[SettlementEntry]) -> None: ...

    async def close_period(self, partner_id: UUID, period: str, at: datetime,
                           by: str) -> bool:
        """Closes it (creating its row when it had none) once every transaction writing to
        it has ended; False when it was closed already."""
        ...

    async def partners_with_open_periods(self, up_to: str) -> list[UUID]:
        """Partners with a period at or before `up_to` not closed, or with none at all."""
        ...

    async def entries(self, partner_id: UUID, period: str) -> list[SettlementEntry]:
        """Oldest first."""
        ...

    # --- failed code lookups ----------------------------------------------------------
    async def record_miss(self, caller: str, at: datetime) -> None:
        """A lookup by `caller` (an API key) that found no grant of its partner."""
        ...

    async def prune_misses(self, before: datetime, limit: int) -> int:
        """Deletes up to `limit` misses, of any caller, recorded before `before`, skipping
        those another transaction is deleting; how many it deleted."""
        ...

    async def misses_since(self, caller: str, instants: Sequence[datetime]) -> list[int]:
        """How many lookups `caller` missed since each of `instants` (the limits' windows),
        in one read."""
        ...

    async def partner_with_misses(self, code: str, caller: str,
                                  instants: Sequence[datetime]) -> PartnerWithMisses | None:
        """The partner of `code` and `misses_since(caller, instants)`, in one read: what a
        counter checks before every lookup."""
        ...
