"""The loyalty write ports: programmes, and members with their purchases, ledger and lots."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.loyalty.model import (
    LedgerEntry,
    LoyaltyRecord,
    Membership,
    PointLot,
    Programme,
    Purchase,
    QualifyingTotals,
    Refund,
    SalesChannel,
)


class ProgrammeRepository(Protocol):
    async def get(self, programme_id: UUID) -> Programme | None: ...

    async def get_by_code(self, code: str) -> Programme | None: ...

    async def default(self) -> Programme | None:
        """The programme used when a caller names none: the oldest one."""
        ...

    async def save(self, programme: Programme) -> None:
        """Inserts it, or replaces a stored one's definition (same id): its settings, tiers
        (matched by id; a tier members hold is never deleted, see `tiers_in_use`), bonus
        rules and rewards (a reward dropped from the list is kept inactive)."""
        ...

    async def tiers_in_use(self, programme_id: UUID) -> set[UUID]:
        """Tiers some membership holds, retains or was overridden to, or that a tier history
        names: the history keeps pointing at them."""
        ...


class LoyaltyRepository(Protocol):
    """Every write to a member's points goes through `lock_membership` first: it locks her
    membership row until the transaction ends, so concurrent tills take turns."""

    async def lock_membership(self, programme_id: UUID, customer_id: UUID) -> Membership | None:
        ...

    async def enrol(self, membership: Membership) -> Membership:
        """Inserts the membership row unless a concurrent transaction just did, and returns
        the membership, locked: `membership` itself when it was inserted (its pending tier
        changes and events are written by `save_membership` and the caller), else the
        stored one."""
        ...

    async def save_membership(self, membership: Membership) -> None:
        """Writes tier, balance, grace, override and review fields, and appends its pending
        `tier_changes` to the history."""
        ...

    async def append_entries(self, entries: Sequence[LedgerEntry]) -> None: ...

    async def get_entry(self, entry_id: UUID) -> LedgerEntry | None: ...

    async def open_lots(self, programme_id: UUID, customer_id: UUID) -> list[PointLot]:
        """Lots with points left, oldest first (by earned_at, then entry id)."""
        ...

    async def save_lots(self, lots: Sequence[PointLot]) -> None:
        """Inserts new lots and writes `remaining` of known ones."""
        ...

    async def get_purchase(self, purchase_id: UUID) -> Purchase | None:
        """With its lines and refunds."""
        ...

    async def find_purchase(self, channel: SalesChannel, order_id: str) -> Purchase | None: ...

    async def add_purchase(self, purchase: Purchase) -> None: ...

    async def move_purchases(self, from_customer_id: UUID, to_customer_id: UUID) -> None:
        """A merge: the duplicate's purchases become the survivor's, with every row of
        theirs (lines, refunds and their lines carry the customer's id too)."""
        ...

    async def record_of(self, customer_id: UUID) -> LoyaltyRecord:
        """Her memberships, tier history, purchases and ledger, each oldest first."""
        ...

    async def programmes_of(self, customer_id: UUID) -> list[UUID]:
        """The programmes she is a member of."""
        ...

    async def add_refund(self, refund: Refund) -> None:
        """Appends the refund and adds its quantities to its purchase's lines'
        `refunded_quantity` (as `Purchase.with_refund`)."""
        ...

    async def qualifying_totals(
        self, programme_id: UUID, customer_id: UUID, since: datetime, until: datetime | None
    ) -> QualifyingTotals:
        """Purchases that occurred in [since, until) (no end when `until` is None): net
        spend and points earned, less what their refunds returned and reversed."""
        ...

    # Batch jobs: which members have something to do, in customer id order, a page at a time.

    async def members_to_review(
        self, programme_id: UUID, period_end: datetime, now: datetime,
        after: UUID | None, limit: int,
    ) -> list[UUID]:
        """Members enrolled before `period_end` not yet reviewed through it, and those whose
        grace period or tier override has run out by `now`."""
        ...

    async def members_with_expired_lots(
        self, programme_id: UUID, now: datetime, after: UUID | None, limit: int
    ) -> list[UUID]:
        """Members holding a lot with points left that expired by `now`."""
        ...
