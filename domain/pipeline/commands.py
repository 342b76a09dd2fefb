"""What callers ask of the sales pipeline: plain inputs, checked by the use cases."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.customers.commands import CreateCustomer
from domain.loyalty.commands import LineInput
from domain.loyalty.model import SalesChannel
from domain.pipeline.model import DealProduct, Source, StageKind


@dataclass(frozen=True)
class StageSpec:
    name: str
    kind: StageKind = StageKind.OPEN
    probability: Decimal = Decimal(0)
    sla_days: int | None = None


@dataclass(frozen=True)
class CreatePipeline:
    """Its stages in order; at least one open, one won and one lost."""

    code: str
    name: str
    currency: str
    stages: tuple[StageSpec, ...]
    allow_skips: bool = False


PIPELINE_EDITABLE = frozenset({"name", "allow_skips"})


@dataclass(frozen=True)
class UpdatePipeline:
    pipeline_id: UUID
    changes: Mapping[str, Any]  # of PIPELINE_EDITABLE
    expected_version: int | None = None


@dataclass(frozen=True)
class AddStage:
    """`before_stage_id` None: after the last stage."""

    pipeline_id: UUID
    stage: StageSpec
    before_stage_id: UUID | None = None
    expected_version: int | None = None


STAGE_EDITABLE = frozenset({"name", "probability", "sla_days"})


@dataclass(frozen=True)
class UpdateStage:
    """A stage renamed, or given another probability or SLA; its kind never changes."""

    stage_id: UUID
    changes: Mapping[str, Any]  # of STAGE_EDITABLE
    expected_version: int | None = None  # the pipeline's


@dataclass(frozen=True)
class ReorderStages:
    """Every active stage of the pipeline, each once, in the new order."""

    pipeline_id: UUID
    stage_ids: tuple[UUID, ...]
    expected_version: int | None = None


@dataclass(frozen=True)
class RetireStage:
    stage_id: UUID
    expected_version: int | None = None  # the pipeline's


@dataclass(frozen=True)
class CreateLead:
    """For a customer (`customer_id`), or for a new one created with it (`new_customer`)."""

    source: Source = field(default_factory=Source)
    customer_id: UUID | None = None
    new_customer: CreateCustomer | None = None
    owner_id: UUID | None = None
    store_id: UUID | None = None
    next_follow_up_on: date | None = None
    idempotency_key: str | None = None


LEAD_EDITABLE = frozenset({"owner_id", "store_id", "next_follow_up_on"})


@dataclass(frozen=True)
class UpdateLead:
    lead_id: UUID
    changes: Mapping[str, Any]  # of LEAD_EDITABLE
    expected_version: int | None = None


@dataclass(frozen=True)
class DealTerms:
    """What a deal is about when it opens: in a pipeline, `stage_id` None its first open
    stage; `opened_at` None now (a deal agreed on the phone yesterday, recorded today)."""

    pipeline_id: UUID
    title: str
    amount: Decimal
    currency: str
    stage_id: UUID | None = None
    owner_id: UUID | None = None
    store_id: UUID | None = None
    expected_close_on: date | None = None
    products: tuple[DealProduct, ...] = ()
    opened_at: datetime | None = None


@dataclass(frozen=True)
class QualifyLead:
    """The lead is a target: it opens a deal on `terms` (its source, owner and store unless
    the terms give them)."""

    lead_id: UUID
    terms: DealTerms
    expected_version: int | None = None


@dataclass(frozen=True)
class DisqualifyLead:
    lead_id: UUID
    reason: str
    expected_version: int | None = None


@dataclass(frozen=True)
class CreateDeal:
    customer_id: UUID
    terms: DealTerms
    source: Source = field(default_factory=Source)
    idempotency_key: str | None = None


DEAL_EDITABLE = frozenset({"title", "amount", "owner_id", "store_id", "expected_close_on",
                           "products"})


@dataclass(frozen=True)
class UpdateDeal:
    deal_id: UUID
    changes: Mapping[str, Any]  # of DEAL_EDITABLE
    expected_version: int | None = None


@dataclass(frozen=True)
class DealSale:
    """The sale that wins a deal at pickup, recorded as loyalty records any (the deal's
    customer, and its store unless given): (channel, order id) keeps it once."""

    channel: SalesChannel
    order_id: str
    occurred_at: datetime
    currency: str
    payment_total: Decimal
    lines: tuple[LineInput, ...]
    store_id: UUID | None = None
    programme_code: str | None = None


@dataclass(frozen=True)
class MoveDeal:
    """`occurred_at` None: now; else when it happened (not before the deal's last move, not
    in the future). A move to a lost stage needs `lost_reason`; one to a won stage may
    record the `sale` with it."""

    deal_id: UUID
    to_stage_id: UUID
    expected_version: int | None = None
    lost_reason: str | None = None
    sale: DealSale | None = None
    occurred_at: datetime | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class ReopenDeal:
    """`occurred_at` as a move's."""

    deal_id: UUID
    to_stage_id: UUID
    reason: str
    expected_version: int | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class LinkToDeal:
    """An interaction or a case of the deal's customer (exactly one)."""

    deal_id: UUID
    interaction_id: UUID | None = None
    case_id: UUID | None = None
