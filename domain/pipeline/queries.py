"""The sales pipeline's read port, and who reaches which deals.

A clerk (STAFF) sees the deals and leads of her stores and those she owns, an admin every
one, a partner none (the policy refuses it before any read). The reach is a filter of every
read, so a clerk's board, deals and analytics count only what she may see.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from domain.pipeline.analytics import (
    ForecastMonth,
    FunnelStep,
    OutcomeBreakdown,
    SourceConversion,
    StageTiming,
)
from domain.pipeline.model import (
    Deal,
    DealLink,
    DealMove,
    DealStatus,
    Lead,
    LeadStatus,
    Pipeline,
    Stage,
)
from domain.shared.access import EVERYONE, CustomerReach, Role, Viewer
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.paging import Page, PageRequest

MAX_RANGE_DAYS = 3 * 366  # a range of analytics: beyond three years, a typo


class DealOrder(StrEnum):
    NEWEST_FIRST = "NEWEST_FIRST"  # by opening, newest first
    LONGEST_IN_STAGE = "LONGEST_IN_STAGE"  # by when it came into its stage, oldest first


@dataclass(frozen=True)
class DealFilter:
    """Every field given must match. `stalled`: open, in an open stage, longer than its
    SLA, by the adapter's clock. `closes_from`/`closes_until`: the expected close date,
    both days included. `reach`: only deals of these stores or this owner."""

    pipeline_id: UUID | None = None
    stage_ids: tuple[UUID, ...] = ()
    owner_id: UUID | None = None
    store_id: UUID | None = None
    customer_id: UUID | None = None
    statuses: tuple[DealStatus, ...] = ()
    stalled: bool | None = None
    closes_from: date | None = None
    closes_until: date | None = None
    order: DealOrder = DealOrder.NEWEST_FIRST
    reach: CustomerReach = EVERYONE


@dataclass(frozen=True)
class LeadFilter:
    statuses: tuple[LeadStatus, ...] = ()
    owner_id: UUID | None = None
    store_id: UUID | None = None
    customer_id: UUID | None = None
    follow_up_due_by: date | None = None  # open, with a follow-up on or before this day
    reach: CustomerReach = EVERYONE


@dataclass(frozen=True)
class FollowUps:
    """The interactions on the customer's timeline since her lead came in."""

    count: int = 0
    last_at: datetime | None = None


@dataclass(frozen=True)
class BoardFilter:
    owner_id: UUID | None = None
    store_id: UUID | None = None
    reach: CustomerReach = EVERYONE

    def deals(self) -> DealFilter:
        """The board's deals, as a column pages them: longest in their stage first."""
        return DealFilter(owner_id=self.owner_id, store_id=self.store_id, reach=self.reach,
                          order=DealOrder.LONGEST_IN_STAGE)


@dataclass(frozen=True)
class BoardColumn:
    """An active stage with the deals in it now: how many, their amount, that amount times
    the stage's probability (rounded once), and how many are stalled. The deals themselves
    are read by page (`deals_in_stages`), every column's in one statement."""

    stage: Stage
    deals: int
    amount: Decimal
    weighted_amount: Decimal
    stalled: int


@dataclass(frozen=True)
class AnalyticsScope:
    """One pipeline's deals over [since, until), of one owner or store if given, within the
    viewer's reach; `now` is when "stalled" is judged."""

    pipeline_id: UUID
    since: datetime
    until: datetime
    now: datetime
    owner_id: UUID | None = None
    store_id: UUID | None = None
    reach: CustomerReach = EVERYONE

    @property
    def first_day(self) -> date:
        return self.since.date()

    @property
    def last_day(self) -> date:
        return (self.until - timedelta(days=1)).date()


def analytics_reach(viewer: Viewer) -> CustomerReach:
    """Whose deals a viewer's analytics count: an analytics client's every deal (it sees
    aggregates, never a deal), anyone else's those they reach (a clerk: her stores', her
    own)."""
    return EVERYONE if viewer.role is Role.ANALYTICS else viewer.customer_reach


def days_range(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """Both days included, as [since, until) in UTC; refused when backwards or too long."""
    if last_day < first_day:
        raise DomainError.single(("to",), ErrorCode.INVALID, "must not be before from")
    if (last_day - first_day).days > MAX_RANGE_DAYS:
        raise DomainError.single(("to",), ErrorCode.TOO_LARGE,
                                 f"a range of at most {MAX_RANGE_DAYS} days")
    since = datetime.combine(first_day, time(), UTC)
    return since, datetime.combine(last_day + timedelta(days=1), time(), UTC)


class PipelineQueries(Protocol):
    async def pipelines(self) -> list[Pipeline]:
        """Every pipeline, by name, with its stages."""
        ...

    async def pipelines_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Pipeline]: ...

    async def stages_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Stage]: ...

    async def deals(self, where: DealFilter, page: PageRequest) -> Page[Deal]: ...

    async def deals_of_customers(
        self, customer_ids: Sequence[UUID], where: DealFilter, page: PageRequest
    ) -> dict[UUID, Page[Deal]]: ...

    async def deals_of_owners(
        self, staff_ids: Sequence[UUID], where: DealFilter, page: PageRequest
    ) -> dict[UUID, Page[Deal]]: ...

    async def deals_in_stages(
        self, stage_ids: Sequence[UUID], where: DealFilter, page: PageRequest
    ) -> dict[UUID, Page[Deal]]:
        """A page of each stage's deals: a board's columns."""
        ...

    async def deals_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Deal]: ...

    async def moves_of_deals(self, deal_ids: Sequence[UUID]) -> dict[UUID, list[DealMove]]:
        """Each deal's moves, oldest first."""
        ...

    async def links_of_deals(self, deal_ids: Sequence[UUID]) -> dict[UUID, list[DealLink]]: ...

    async def leads(self, where: LeadFilter, page: PageRequest) -> Page[Lead]:
        """Newest first."""
        ...

    async def leads_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Lead]: ...

    async def follow_ups(self, lead_ids: Sequence[UUID]) -> dict[UUID, FollowUps]: ...

    async def board(self, pipeline_id: UUID, where: BoardFilter) -> list[BoardColumn]:
        """Every active stage in order, in one statement."""
        ...

    # --- analytics, computed in the database ---------------------------------------------
    async def funnel(self, scope: AnalyticsScope) -> list[FunnelStep]: ...

    async def stage_timings(self, scope: AnalyticsScope) -> list[StageTiming]:
        """The active open stages, in order."""
        ...

    async def outcomes(self, scope: AnalyticsScope) -> OutcomeBreakdown: ...

    async def forecast(self, scope: AnalyticsScope) -> list[ForecastMonth]: ...

    async def lead_sources(self, scope: AnalyticsScope) -> list[SourceConversion]:
        """Leads are in no pipeline until qualified: every lead of the range counts, of the
        owner and store asked and within reach."""
        ...
