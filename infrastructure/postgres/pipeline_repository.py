"""The sales pipeline, write side: pipelines and their stages, leads, deals, their moves
and links.

What runs concurrently, and what keeps it right:
- A deal opening or moving holds its pipeline's row FOR SHARE; a change of the pipeline's
  stages locks it FOR UPDATE. So a stage being retired waits for the moves in flight, and
  a move after it sees the stage retired: no deal lands in a retired stage.
- A deal is locked for its move (`get_deal(for_update=True)`): two clerks moving one deal
  take turns, and the second finds a new version.
- A customer's second open lead clashes on a partial unique index; the insert does nothing
  and raises Duplicate(OPEN_LEAD), leaving the transaction usable (unique.py).
- Moves are append-only (a trigger, migration 0008).
"""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.pipeline.model import (
    OPEN_LEAD_STATUSES,
    Deal,
    DealLink,
    DealMove,
    Lead,
    LeadStatus,
    Pipeline,
    Stage,
)
from domain.shared.errors import UniqueKey
from infrastructure.postgres.pipeline_rows import (
    deal_from_row,
    deal_to_row,
    lead_from_row,
    lead_to_row,
    link_from_row,
    link_to_row,
    move_from_row,
    move_to_row,
    pipeline_from_row,
    pipeline_to_row,
    stage_from_row,
    stage_to_row,
)
from infrastructure.postgres.prepared import PreparedInsert, PreparedQuery, PreparedUpdate
from infrastructure.postgres.tables import (
    deal_links,
    deal_moves,
    deals,
    leads,
    pipeline_stages,
    pipelines,
)
from infrastructure.postgres.unique import duplicate_of

_p, _s, _l, _d, _m, _k = (pipelines.c, pipeline_stages.c, leads.c, deals.c, deal_moves.c,
                          deal_links.c)


class PgPipelineRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    # --- pipelines and stages -------------------------------------------------------------

    async def get(self, pipeline_id: UUID, *, for_update: bool = False,
                  for_share: bool = False) -> Pipeline | None:
        query = _LOCK_PIPELINE if for_update else _HOLD_PIPELINE if for_share else _GET_PIPELINE
        row = await query.fetchrow(self._connection, id=pipeline_id)
        return await self._with_stages(row) if row else None

    async def get_by_code(self, code: str) -> Pipeline | None:
        row = await _PIPELINE_BY_CODE.fetchrow(self._connection, code=code)
        return await self._with_stages(row) if row else None

    async def add(self, pipeline: Pipeline) -> None:
        if not await _ADD_PIPELINE.inserted(self._connection, pipeline_to_row(pipeline)):
            raise await duplicate_of((UniqueKey.PIPELINE_CODE, lambda: self._holds(
                _PIPELINE_CODE_HELD, code=pipeline.code)))
        await _ADD_STAGES.run(self._connection, [stage_to_row(s) for s in pipeline.stages])

    async def save(self, pipeline: Pipeline) -> None:
        await _SAVE_PIPELINE.run(self._connection, pipeline_to_row(pipeline))
        await _UPSERT_STAGES.run(self._connection, [stage_to_row(s) for s in pipeline.stages])

    async def stage(self, stage_id: UUID) -> Stage | None:
        row = await _GET_STAGE.fetchrow(self._connection, id=stage_id)
        return stage_from_row(row) if row else None

    async def deals_in_stage(self, stage_id: UUID) -> int:
        row = await _DEALS_IN_STAGE.fetchrow(self._connection, stage_id=stage_id)
        assert row is not None, "an aggregate has one row"
        return int(row["deals"])

    # --- leads ----------------------------------------------------------------------------

    async def get_lead(self, lead_id: UUID, *, for_update: bool = False) -> Lead | None:
        row = await (_LOCK_LEAD if for_update else _GET_LEAD).fetchrow(self._connection,
                                                                       id=lead_id)
        return lead_from_row(row) if row else None

    async def open_lead_of(self, customer_id: UUID) -> Lead | None:
        row = await _OPEN_LEAD_OF.fetchrow(self._connection, customer_id=customer_id)
        return lead_from_row(row) if row else None

    async def add_lead(self, lead: Lead) -> None:
        if not await _ADD_LEAD.inserted(self._connection, lead_to_row(lead)):
            raise await duplicate_of((UniqueKey.OPEN_LEAD, lambda: self._holds(
                _OPEN_LEAD_OF, customer_id=lead.customer_id)))

    async def save_lead(self, lead: Lead) -> None:
        await _SAVE_LEAD.run(self._connection, lead_to_row(lead))

    # --- deals ----------------------------------------------------------------------------

    async def get_deal(self, deal_id: UUID, *, for_update: bool = False) -> Deal | None:
        row = await (_LOCK_DEAL if for_update else _GET_DEAL).fetchrow(self._connection,
                                                                       id=deal_id)
        return deal_from_row(row) if row else None

    async def add_deal(self, deal: Deal) -> None:
        await _ADD_DEAL.run(self._connection, [deal_to_row(deal)])

    async def save_deal(self, deal: Deal) -> None:
        await _SAVE_DEAL.run(self._connection, deal_to_row(deal))

    async def add_move(self, move: DealMove) -> None:
        await _ADD_MOVE.run(self._connection, [move_to_row(move)])

    async def moves_of(self, deal_id: UUID) -> list[DealMove]:
        rows = await _MOVES_OF.fetch(self._connection, deal_id=deal_id)
        return [move_from_row(row) for row in rows]

    async def add_link(self, link: DealLink) -> bool:
        return await _ADD_LINK.inserted(self._connection, link_to_row(link))

    async def links_of(self, deal_id: UUID) -> list[DealLink]:
        rows = await _LINKS_OF.fetch(self._connection, deal_id=deal_id)
        return [link_from_row(row) for row in rows]

    # --- the customer record ----------------------------------------------------------------

    async def deals_of_customer(self, customer_id: UUID) -> list[Deal]:
        rows = await _DEALS_OF_CUSTOMER.fetch(self._connection, customer_id=customer_id)
        return [deal_from_row(row) for row in rows]

    async def leads_of_customer(self, customer_id: UUID) -> list[Lead]:
        rows = await _LEADS_OF_CUSTOMER.fetch(self._connection, customer_id=customer_id)
        return [lead_from_row(row) for row in rows]

    async def move_to_customer(self, from_id: UUID, to_id: UUID, reason: str) -> None:
        ids = {"from_id": from_id, "to_id": to_id}
        await _SET_ASIDE_SECOND_OPEN_LEAD.fetch(self._connection, reason=reason, **ids)
        for statement in _MOVE_TO_CUSTOMER:
            await statement.fetch(self._connection, **ids)

    async def _with_stages(self, row: Any) -> Pipeline:
        stages = await _STAGES_OF.fetch(self._connection, pipeline_id=row["id"])
        return pipeline_from_row(row, (stage_from_row(stage) for stage in stages))

    async def _holds(self, query: PreparedQuery, **values: Any) -> bool:
        return await query.fetchrow(self._connection, **values) is not None


# --- fixed statements, sent to asyncpg directly (prepared.py) ------------------------------
# The open statuses are SQL literals, not parameters: the partial unique index names them,
# and the planner uses it with a generic plan only when the query says them as it does.

_OPEN: ColumnElement[Any] = literal_column(  # in the index's order
    "ARRAY[" + ", ".join(f"'{status.value}'::text" for status in LeadStatus
                         if status in OPEN_LEAD_STATUSES) + "]")
_IS_OPEN_LEAD: ColumnElement[bool] = _l.status == func.any(_OPEN)
_DO_NOTHING = "ON CONFLICT DO NOTHING"


def _by(table: Any, *keys: str, locked: bool = False, shared: bool = False,
        order: Sequence[Any] = (), where: Sequence[ColumnElement[bool]] = ()) -> PreparedQuery:
    query: Select[Any] = (select(table).where(*(table.c[key] == bindparam(key) for key in keys),
                                              *where).order_by(*order))
    if locked or shared:
        query = query.with_for_update(read=shared)
    return PreparedQuery(query)


def _save(table: Any) -> PreparedUpdate:
    return PreparedUpdate(table, ["id"], [c.name for c in table.columns if c.name != "id"])


_GET_PIPELINE = _by(pipelines, "id")
_LOCK_PIPELINE = _by(pipelines, "id", locked=True)
_HOLD_PIPELINE = _by(pipelines, "id", shared=True)
_PIPELINE_BY_CODE = _by(pipelines, "code")
_PIPELINE_CODE_HELD = PreparedQuery(select(literal(1)).where(_p.code == bindparam("code")))
_ADD_PIPELINE, _SAVE_PIPELINE = PreparedInsert(pipelines, _DO_NOTHING), _save(pipelines)
_STAGES_OF = _by(pipeline_stages, "pipeline_id", order=(_s.position, _s.id))
_GET_STAGE = _by(pipeline_stages, "id")
_ADD_STAGES = PreparedInsert(pipeline_stages)
_UPSERT_STAGES = PreparedInsert(pipeline_stages, "ON CONFLICT (id) DO UPDATE SET " + ", ".join(
    f"{c.name} = EXCLUDED.{c.name}" for c in pipeline_stages.columns
    if c.name not in ("id", "pipeline_id", "kind")))
_DEALS_IN_STAGE = PreparedQuery(
    select(func.count().label("deals")).where(_d.stage_id == bindparam("stage_id")))

_GET_LEAD, _LOCK_LEAD = _by(leads, "id"), _by(leads, "id", locked=True)
_OPEN_LEAD_OF = _by(leads, "customer_id", where=(_IS_OPEN_LEAD,))
_ADD_LEAD, _SAVE_LEAD = PreparedInsert(leads, _DO_NOTHING), _save(leads)
_LEADS_OF_CUSTOMER = _by(leads, "customer_id", order=(_l.created_at, _l.id))

_GET_DEAL, _LOCK_DEAL = _by(deals, "id"), _by(deals, "id", locked=True)
_ADD_DEAL, _SAVE_DEAL = PreparedInsert(deals), _save(deals)
_DEALS_OF_CUSTOMER = _by(deals, "customer_id", order=(_d.opened_at, _d.id))
_ADD_MOVE = PreparedInsert(deal_moves)
_MOVES_OF = _by(deal_moves, "deal_id", order=(_m.moved_at, _m.id))
_ADD_LINK = PreparedInsert(deal_links, _DO_NOTHING)
_LINKS_OF = _by(deal_links, "deal_id", order=(_k.linked_at, _k.id))


def _set_aside_second_open_lead() -> PreparedQuery:
    """Where the survivor has an open lead, the duplicate's is closed as UNQUALIFIED: she
    may have one open lead only, and the survivor's stays."""
    survivors = leads.alias("survivors")
    survivor_open = exists().where(survivors.c.customer_id == bindparam("to_id"),
                                   survivors.c.status == func.any(_OPEN))
    return PreparedQuery(
        update(leads).where(_l.customer_id == bindparam("from_id"), _IS_OPEN_LEAD, survivor_open)
        .values(status=literal(LeadStatus.UNQUALIFIED.value, Text),
                unqualified_reason=bindparam("reason", type_=Text))
        .returning(_l.id))


def _moving(table: Any) -> PreparedQuery:
    column = table.c.customer_id
    return PreparedQuery(update(table).where(column == bindparam("from_id"))
                         .values(customer_id=bindparam("to_id")).returning(table.c.id))


_SET_ASIDE_SECOND_OPEN_LEAD = _set_aside_second_open_lead()
# Leads first: a deal's lead is the customer's, and the history follows her deals.
_MOVE_TO_CUSTOMER = tuple(_moving(table) for table in (leads, deals, deal_moves, deal_links))
