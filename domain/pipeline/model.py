"""The sales floor as data: pipelines of ordered stages, leads being qualified, deals moving
through the stages, and the append-only history of their moves.

A pipeline's stages are open (phone contact, meeting, ...), won or lost. A deal sits in one
stage at a time; each move is recorded (`DealMove`), the opening and a reopening too, and
never changed: every analysis (conversion, time in stage, win rate) is computed from the
moves. Stages are retired rather than deleted, so a move into a stage that no longer takes
deals still names it. A lead is a customer being sorted into a target or no intent; once
qualified, it has opened a deal.
"""

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.interactions.model import Channel


class StageKind(StrEnum):
    OPEN = "OPEN"  # the deal is still being worked
    WON = "WON"  # moving a deal here wins it
    LOST = "LOST"  # moving a deal here loses it, with a reason


@dataclass(frozen=True)
class Stage:
    """`probability` is the chance a deal in this stage is won (0 to 1: 1 for a won stage,
    0 for a lost one); `sla_days` how long a deal is expected to stay (None: no limit)."""

    id: UUID
    pipeline_id: UUID
    name: str
    position: int  # its place among the pipeline's stages, from 1
    kind: StageKind
    probability: Decimal
    sla_days: int | None = None
    retired_at: datetime | None = None

    @property
    def retired(self) -> bool:
        return self.retired_at is not None


@dataclass(frozen=True)
class Pipeline:
    """`allow_skips` False: a deal goes forward one open stage at a time, and is won only
    from the last one (it may be lost, or go back, from any)."""

    id: UUID
    code: str
    name: str
    currency: str  # every deal's amount is in it, so a stage's amounts add up
    allow_skips: bool
    stages: tuple[Stage, ...]  # by position, retired ones too
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def active_stages(self) -> tuple[Stage, ...]:
        return tuple(stage for stage in self.stages if not stage.retired)

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        """The stages a deal is worked in, in order."""
        return tuple(s for s in self.active_stages if s.kind is StageKind.OPEN)

    def stage(self, stage_id: UUID) -> Stage | None:
        return next((stage for stage in self.stages if stage.id == stage_id), None)

    def with_stages(self, stages: tuple[Stage, ...]) -> "Pipeline":
        """The pipeline with `stages`, numbered 1, 2, ... in the order given."""
        numbered = tuple(replace(stage, position=number)
                         for number, stage in enumerate(stages, start=1))
        return replace(self, stages=numbered)


@dataclass(frozen=True)
class Source:
    """Where a lead or a deal came from: a channel, a campaign, the customer who referred
    it, the interaction that started it. Any of them may be unknown."""

    channel: Channel | None = None
    campaign: str | None = None
    referred_by_id: UUID | None = None
    interaction_id: UUID | None = None


class LeadStatus(StrEnum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"  # an interaction since the lead came in: followed up
    QUALIFIED = "QUALIFIED"  # a target: it opened a deal
    UNQUALIFIED = "UNQUALIFIED"  # no intent, with the reason


OPEN_LEAD_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED})


@dataclass(frozen=True)
class Lead:
    id: UUID
    customer_id: UUID
    status: LeadStatus
    source: Source
    created_at: datetime
    updated_at: datetime
    owner_id: UUID | None = None
    store_id: UUID | None = None
    next_follow_up_on: date | None = None
    unqualified_reason: str | None = None
    deal_id: UUID | None = None  # the deal qualifying it opened
    closed_at: datetime | None = None  # qualified or unqualified
    version: int = 1

    @property
    def open(self) -> bool:
        return self.status in OPEN_LEAD_STATUSES


class DealStatus(StrEnum):
    OPEN = "OPEN"
    WON = "WON"
    LOST = "LOST"


STATUS_OF_KIND = {StageKind.OPEN: DealStatus.OPEN, StageKind.WON: DealStatus.WON,
                  StageKind.LOST: DealStatus.LOST}


@dataclass(frozen=True)
class DealProduct:
    """A product the customer is interested in."""

    sku: str
    quantity: int = 1


@dataclass(frozen=True)
class Deal:
    """`stage_entered_at` is when it came into its current stage; `closed_at` when it was
    won or lost (None while open). A deal won with its sale names the purchase."""

    id: UUID
    customer_id: UUID
    pipeline_id: UUID
    stage_id: UUID
    title: str
    amount: Decimal
    currency: str
    opened_at: datetime
    stage_entered_at: datetime
    updated_at: datetime
    status: DealStatus = DealStatus.OPEN
    owner_id: UUID | None = None
    store_id: UUID | None = None
    expected_close_on: date | None = None
    source: Source = field(default_factory=Source)
    lead_id: UUID | None = None
    lost_reason: str | None = None
    closed_at: datetime | None = None
    purchase_id: UUID | None = None
    products: tuple[DealProduct, ...] = ()
    version: int = 1

    @property
    def closed(self) -> bool:
        return self.status is not DealStatus.OPEN


class MoveKind(StrEnum):
    OPENED = "OPENED"  # into its first stage
    MOVED = "MOVED"  # between open stages, forward or back
    WON = "WON"
    LOST = "LOST"
    REOPENED = "REOPENED"  # from won or lost back into an open stage


@dataclass(frozen=True)
class DealMove:
    """One transition, never changed: from where (None for the opening), to where, when,
    and who (`moved_by` the viewer's subject, `staff_id` the clerk's id when one moved it)."""

    id: UUID
    deal_id: UUID
    customer_id: UUID
    pipeline_id: UUID
    to_stage_id: UUID
    kind: MoveKind
    moved_at: datetime
    moved_by: str
    from_stage_id: UUID | None = None
    staff_id: UUID | None = None
    reason: str | None = None  # why it was lost or reopened


@dataclass(frozen=True)
class DealLink:
    """An interaction or a case about the deal (exactly one of the two)."""

    deal_id: UUID
    customer_id: UUID
    linked_at: datetime
    linked_by: str
    interaction_id: UUID | None = None
    case_id: UUID | None = None
