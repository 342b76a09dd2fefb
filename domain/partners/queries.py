"""The alliance's read port, and who may read what of it.

Reads come in batches, like loyalty's: a page of customers asking for their benefits, or a
page of partners asking for their offers, is one statement per nested list. A partner
reads only its own partner's offers and settlement (`own_partner`), and never a grant as
such: what its counter sees of one is `GrantCheck` (domain/partners/redemptions.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.partners.acting import existing, partner_code_of, still_active
from domain.partners.model import (
    Grant,
    GrantState,
    Offer,
    OfferStatus,
    Partner,
    PartnerStatus,
    Redemption,
    SettlementEntry,
    SettlementLine,
)
from domain.shared.access import Viewer
from domain.shared.paging import Page, PageRequest


@dataclass(frozen=True)
class OfferFilter:
    """Every field given must match; `partner_id` None: every partner's."""

    partner_id: UUID | None = None
    status: OfferStatus | None = None


@dataclass(frozen=True)
class GrantFilter:
    """`state` as the member sees it at `now`: an issued grant past its expiry is EXPIRED
    whether or not the daily job marked it yet (`Grant.state_at`). None: every state."""

    now: datetime
    state: GrantState | None = None


class SettlementQueries(Protocol):
    async def settlement_lines(self, partner_id: UUID, period: str) -> list[SettlementLine]:
        """Totals by kind and offer, summed in the database."""
        ...

    async def period_closed(self, partner_id: UUID, period: str) -> bool: ...

    async def partner(self, partner_id: UUID) -> Partner | None: ...

    async def partner_by_code(self, code: str) -> Partner | None: ...

    async def settlement_entries(self, partner_id: UUID, period: str) -> list[SettlementEntry]:
        """Oldest first: the lines of a CSV export."""
        ...


class PartnerQueries(SettlementQueries, Protocol):
    async def partners(self, status: PartnerStatus | None,
                       page: PageRequest) -> Page[Partner]:
        """By name, then id."""
        ...

    async def partners_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Partner]: ...

    async def offers(self, where: OfferFilter, page: PageRequest) -> Page[Offer]:
        """Oldest first (by creation)."""
        ...

    async def offers_of_partners(
        self, partner_ids: Sequence[UUID], status: OfferStatus | None, page: PageRequest
    ) -> dict[UUID, Page[Offer]]:
        """A page of each partner's offers, oldest first."""
        ...

    async def offers_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Offer]: ...

    async def grants_of_customers(
        self, customer_ids: Sequence[UUID], where: GrantFilter, page: PageRequest
    ) -> dict[UUID, Page[Grant]]:
        """A page of each member's grants, newest first (by issue)."""
        ...

    async def grants_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Grant]: ...

    async def redemptions_of_grants(
        self, grant_ids: Sequence[UUID]
    ) -> dict[UUID, list[Redemption]]:
        """Each grant's redemptions, reversed ones too, oldest first."""
        ...

    async def redemptions_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Redemption]: ...


async def own_partner(queries: SettlementQueries, viewer: Viewer) -> Partner:
    """The partner a PARTNER viewer is, while it is active: what the partner API reads
    through. A suspended partner reads nothing, as it may write nothing."""
    code = partner_code_of(viewer, "read this")
    return still_active(existing(await queries.partner_by_code(code)))
