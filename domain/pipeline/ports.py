"""The sales pipeline's write port: pipelines with their stages, leads, deals, their moves
and links."""

from typing import Protocol
from uuid import UUID

from domain.pipeline.model import Deal, DealLink, DealMove, Lead, Pipeline, Stage


class PipelineRepository(Protocol):
    # --- pipelines and stages -----------------------------------------------------------
    async def get(self, pipeline_id: UUID, *, for_update: bool = False,
                  for_share: bool = False) -> Pipeline | None:
        """With every stage, retired ones too, by position. `for_update` locks the
        pipeline until the transaction ends (a change of its stages); `for_share` holds it
        (a deal opening or moving in it): the two wait for each other, so no deal moves
        into a stage while it is being retired."""
        ...

    async def get_by_code(self, code: str) -> Pipeline | None: ...

    async def add(self, pipeline: Pipeline) -> None:
        """Raises Duplicate(PIPELINE_CODE) when the code is taken."""
        ...

    async def save(self, pipeline: Pipeline) -> None:
        """The pipeline and its stages: new stages added, the others updated; a stage is
        never removed (it is retired)."""
        ...

    async def stage(self, stage_id: UUID) -> Stage | None:
        """A stage of any pipeline."""
        ...

    async def deals_in_stage(self, stage_id: UUID) -> int:
        """How many deals are in the stage now, whatever their status."""
        ...

    # --- leads --------------------------------------------------------------------------
    async def get_lead(self, lead_id: UUID, *, for_update: bool = False) -> Lead | None: ...

    async def open_lead_of(self, customer_id: UUID) -> Lead | None:
        """Her lead still being qualified (NEW or CONTACTED): she has one at most."""
        ...

    async def add_lead(self, lead: Lead) -> None:
        """Raises Duplicate(OPEN_LEAD) when she has an open lead already."""
        ...

    async def save_lead(self, lead: Lead) -> None: ...

    # --- deals --------------------------------------------------------------------------
    async def get_deal(self, deal_id: UUID, *, for_update: bool = False) -> Deal | None: ...

    async def add_deal(self, deal: Deal) -> None: ...

    async def save_deal(self, deal: Deal) -> None: ...

    async def add_move(self, move: DealMove) -> None:
        """Appends it: moves are never changed or removed."""
        ...

    async def moves_of(self, deal_id: UUID) -> list[DealMove]:
        """Oldest first."""
        ...

    async def add_link(self, link: DealLink) -> bool:
        """False when the deal has that interaction or case already (nothing changes)."""
        ...

    async def links_of(self, deal_id: UUID) -> list[DealLink]:
        """Oldest first."""
        ...

    # --- the customer record ------------------------------------------------------------
    async def deals_of_customer(self, customer_id: UUID) -> list[Deal]:
        """Oldest first: for her data export."""
        ...

    async def leads_of_customer(self, customer_id: UUID) -> list[Lead]:
        """Oldest first."""
        ...

    async def move_to_customer(self, from_id: UUID, to_id: UUID, reason: str) -> None:
        """A merge: the duplicate's leads, deals, moves and links become the survivor's.
        Where both have an open lead, the duplicate's is closed as UNQUALIFIED first, with
        `reason` (one open lead each)."""
        ...
