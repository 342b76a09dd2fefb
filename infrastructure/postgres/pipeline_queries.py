"""The sales pipeline, read side: pipelines, deals and leads as the API pages them, the
board in one statement, and the analytics computed in the database.

Every read is filtered by the viewer's reach (a clerk's stores and her own deals). The
analytics never bring a deal into Python: each is one statement over the moves and deals
of the range (window functions for the stays, percentile_cont for the medians, GROUPING
SETS for the breakdowns), answering a few rows; what each number means is
domain/pipeline/analytics.py, which tests/integration/test_pipeline_analytics.py checks
this against on ten thousand deals.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    TextClause,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PgUUID
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.interactions.model import Channel
from domain.pipeline.analytics import (
    ForecastMonth,
    FunnelStep,
    OutcomeBreakdown,
    Outcomes,
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
    StageKind,
)
from domain.pipeline.queries import (
    AnalyticsScope,
    BoardColumn,
    BoardFilter,
    DealFilter,
    DealOrder,
    FollowUps,
    LeadFilter,
)
from domain.pipeline.rules import weighted
from domain.shared.access import CustomerReach
from domain.shared.clock import Clock
from domain.shared.money import Money
from domain.shared.paging import Page, PageRequest
from infrastructure.postgres.paging import (
    Ordering,
    group_pages,
    id_column,
    pages_per_parent,
    timestamp_column,
)
from infrastructure.postgres.pipeline_rows import (
    deal_from_row,
    lead_from_row,
    link_from_row,
    move_from_row,
    pipeline_from_row,
    stage_from_row,
)
from infrastructure.postgres.reach import reach_condition
from infrastructure.postgres.reading import PreparedRead, fetch_all, rows_by_ids
from infrastructure.postgres.tables import (
    TZ,
    deal_links,
    deal_moves,
    deals,
    interactions,
    leads,
    pipeline_stages,
    pipelines,
)

_p, _s, _d, _l, _i = pipelines.c, pipeline_stages.c, deals.c, leads.c, interactions.c
NEWEST_FIRST = Ordering([timestamp_column(_d.opened_at, "opened_at"), id_column(_d.id)],
                        descending=True)
LONGEST_IN_STAGE = Ordering([timestamp_column(_d.stage_entered_at, "stage_entered_at"),
                             id_column(_d.id)])
ORDERINGS = {DealOrder.NEWEST_FIRST: NEWEST_FIRST, DealOrder.LONGEST_IN_STAGE: LONGEST_IN_STAGE}
LEADS_NEWEST_FIRST = Ordering([timestamp_column(_l.created_at, "created_at"),
                               id_column(_l.id)], descending=True)

_PIPELINES_BY_IDS = rows_by_ids(pipelines)
_STAGES_BY_IDS = rows_by_ids(pipeline_stages)
_STAGES_OF_PIPELINES = rows_by_ids(pipeline_stages, "pipeline_id", order_by="position")
_DEALS_BY_IDS = rows_by_ids(deals)
_MOVES_OF_DEALS = rows_by_ids(deal_moves, "deal_id", order_by="moved_at")
_LINKS_OF_DEALS = rows_by_ids(deal_links, "deal_id", order_by="linked_at")
_LEADS_BY_IDS = rows_by_ids(leads)
_OPEN, _WON, _LOST = StageKind.OPEN.value, DealStatus.WON.value, DealStatus.LOST.value


def stalled(deal: Any, stage: Any, now: datetime) -> ColumnElement[bool]:
    """As analytics.is_stalled: open, in an open stage with an SLA, for longer than it."""
    return and_(deal.status == DealStatus.OPEN.value, stage.kind == _OPEN,
                stage.sla_days.is_not(None),
                deal.stage_entered_at < literal(now, TZ) - func.make_interval(
                    0, 0, 0, stage.sla_days))


def _board() -> PreparedRead:
    """The board's totals, built once: every filter is a parameter (null: none), the
    viewer's reach too (everyone, or her stores, her own, her customer)."""
    d = deals.alias("d")
    uuid, maybe = PgUUID(as_uuid=True), bindparam
    owner, store = maybe("owner_id", type_=uuid), maybe("store_id", type_=uuid)
    reach_owner, reach_customer = (maybe("reach_owner", type_=uuid),
                                   maybe("reach_customer", type_=uuid))
    in_reach = or_(bindparam("everyone", type_=Boolean),
                   d.c.store_id == any_(bindparam("reach_stores", type_=ARRAY(uuid))),
                   and_(reach_owner.is_not(None), d.c.owner_id == reach_owner),
                   and_(reach_customer.is_not(None), d.c.customer_id == reach_customer))
    in_stage = [d.c.stage_id == _s.id, or_(owner.is_(None), d.c.owner_id == owner),
                or_(store.is_(None), d.c.store_id == store), in_reach]
    now = bindparam("now", type_=TZ)
    late = and_(d.c.status == DealStatus.OPEN.value, _s.kind == _OPEN, _s.sla_days.is_not(None),
                d.c.stage_entered_at < now - func.make_interval(0, 0, 0, _s.sla_days))
    totals = (select(func.count().label("deals"),
                     func.coalesce(func.sum(d.c.amount), 0).label("amount"),
                     func.count().filter(late).label("stalled"))
              .where(*in_stage).lateral("totals"))
    return PreparedRead.of(
        select(pipeline_stages, _p.currency.label("currency"), totals.c.deals,
               totals.c.amount, totals.c.stalled)
        .select_from(pipeline_stages.join(pipelines, _p.id == _s.pipeline_id)
                     .join(totals, true()))
        .where(_s.pipeline_id == bindparam("pipeline_id", type_=uuid), _s.retired_at.is_(None))
        .order_by(_s.position, _s.id))


_BOARD = _board()


class PgPipelineQueries:
    def __init__(self, engine: AsyncEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    # --- pipelines and stages -------------------------------------------------------------

    async def pipelines(self) -> list[Pipeline]:
        rows = await fetch_all(self._engine, select(pipelines).order_by(_p.name, _p.id))
        return list((await self._with_stages(rows)).values())

    async def pipelines_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Pipeline]:
        return await self._with_stages(await _PIPELINES_BY_IDS.fetch(self._engine,
                                                                     ids=list(ids)))

    async def stages_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Stage]:
        rows = await _STAGES_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: stage_from_row(row) for row in rows}

    async def _with_stages(self, rows: Sequence[Any]) -> dict[UUID, Pipeline]:
        stages: dict[UUID, list[Stage]] = defaultdict(list)
        for row in await _STAGES_OF_PIPELINES.fetch(self._engine,
                                                    ids=[row["id"] for row in rows]):
            stages[row["pipeline_id"]].append(stage_from_row(row))
        return {row["id"]: pipeline_from_row(row, sorted(stages[row["id"]],
                                                         key=lambda s: (s.position, s.id)))
                for row in rows}

    # --- deals ----------------------------------------------------------------------------

    def _deal_conditions(self, where: DealFilter) -> list[Any]:
        conditions: list[Any] = [column == value for column, value in (
            (_d.pipeline_id, where.pipeline_id), (_d.owner_id, where.owner_id),
            (_d.store_id, where.store_id), (_d.customer_id, where.customer_id))
            if value is not None]
        if where.stage_ids:
            conditions.append(_d.stage_id.in_(where.stage_ids))
        if where.statuses:
            conditions.append(_d.status.in_([status.value for status in where.statuses]))
        if where.closes_from is not None:
            conditions.append(_d.expected_close_on >= where.closes_from)
        if where.closes_until is not None:
            conditions.append(_d.expected_close_on <= where.closes_until)
        if where.stalled is not None:
            stage = pipeline_stages.alias("stage")
            late = exists().where(stage.c.id == _d.stage_id,
                                  stalled(_d, stage.c, self._clock.now()))
            conditions.append(late if where.stalled else ~late)
        return conditions + _reach(where.reach, _d)

    async def deals(self, where: DealFilter, page: PageRequest) -> Page[Deal]:
        ordering = ORDERINGS[where.order]
        query = ordering.apply(select(deals).where(*self._deal_conditions(where)),
                               page.validated())
        return ordering.page(await fetch_all(self._engine, query), page, deal_from_row)

    async def deals_of_customers(
        self, customer_ids: Sequence[UUID], where: DealFilter, page: PageRequest
    ) -> dict[UUID, Page[Deal]]:
        return await self._deals_per(_d.customer_id, customer_ids, where, page)

    async def deals_in_stages(
        self, stage_ids: Sequence[UUID], where: DealFilter, page: PageRequest
    ) -> dict[UUID, Page[Deal]]:
        return await self._deals_per(_d.stage_id, stage_ids, where, page)

    async def deals_of_owners(
        self, staff_ids: Sequence[UUID], where: DealFilter, page: PageRequest
    ) -> dict[UUID, Page[Deal]]:
        return await self._deals_per(_d.owner_id, staff_ids, where, page)

    async def _deals_per(self, column: Any, parent_ids: Sequence[UUID], where: DealFilter,
                         page: PageRequest) -> dict[UUID, Page[Deal]]:
        ordering = ORDERINGS[where.order]

        def deals_of(parent_id: ColumnElement[Any]) -> Select[Any]:
            return select(deals).where(column == parent_id, *self._deal_conditions(where))

        query = pages_per_parent(deals_of, parent_ids, ordering, page.validated())
        return group_pages(await fetch_all(self._engine, query), parent_ids, ordering, page,
                           deal_from_row)

    async def deals_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Deal]:
        rows = await _DEALS_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: deal_from_row(row) for row in rows}

    async def moves_of_deals(self, deal_ids: Sequence[UUID]) -> dict[UUID, list[DealMove]]:
        found: dict[UUID, list[DealMove]] = {deal_id: [] for deal_id in deal_ids}
        for row in await _MOVES_OF_DEALS.fetch(self._engine, ids=list(deal_ids)):
            found[row["deal_id"]].append(move_from_row(row))
        return {deal_id: sorted(moves, key=lambda m: (m.moved_at, m.id))
                for deal_id, moves in found.items()}

    async def links_of_deals(self, deal_ids: Sequence[UUID]) -> dict[UUID, list[DealLink]]:
        found: dict[UUID, list[DealLink]] = {deal_id: [] for deal_id in deal_ids}
        for row in await _LINKS_OF_DEALS.fetch(self._engine, ids=list(deal_ids)):
            found[row["deal_id"]].append(link_from_row(row))
        return found

    # --- leads ----------------------------------------------------------------------------

    async def leads(self, where: LeadFilter, page: PageRequest) -> Page[Lead]:
        conditions: list[Any] = [column == value for column, value in (
            (_l.owner_id, where.owner_id), (_l.store_id, where.store_id),
            (_l.customer_id, where.customer_id)) if value is not None]
        if where.statuses:
            conditions.append(_l.status.in_([status.value for status in where.statuses]))
        if where.follow_up_due_by is not None:
            conditions += [_l.next_follow_up_on <= where.follow_up_due_by, _l.closed_at.is_(None)]
        query = LEADS_NEWEST_FIRST.apply(
            select(leads).where(*conditions, *_reach(where.reach, _l)), page.validated())
        return LEADS_NEWEST_FIRST.page(await fetch_all(self._engine, query), page,
                                       lead_from_row)

    async def leads_by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Lead]:
        rows = await _LEADS_BY_IDS.fetch(self._engine, ids=list(ids))
        return {row["id"]: lead_from_row(row) for row in rows}

    async def follow_ups(self, lead_ids: Sequence[UUID]) -> dict[UUID, FollowUps]:
        """What happened on her timeline since the lead came in."""
        query = (select(_l.id, func.count(_i.id).label("count"),
                        func.max(_i.occurred_at).label("last_at"))
                 .select_from(leads.outerjoin(interactions, and_(
                     _i.customer_id == _l.customer_id, _i.occurred_at >= _l.created_at)))
                 .where(_l.id.in_(list(lead_ids))).group_by(_l.id))
        return {row["id"]: FollowUps(int(row["count"]), row["last_at"])
                for row in await fetch_all(self._engine, query)}

    # --- the board --------------------------------------------------------------------------

    async def board(self, pipeline_id: UUID, where: BoardFilter) -> list[BoardColumn]:
        """One statement (`_BOARD`, prepared once): each active stage with its pipeline's
        currency and its totals."""
        reach = where.reach
        rows = await _BOARD.fetch(
            self._engine, pipeline_id=pipeline_id, now=self._clock.now(),
            owner_id=where.owner_id, store_id=where.store_id, everyone=reach.everyone,
            reach_stores=sorted(reach.store_ids), reach_owner=reach.owner_id,
            reach_customer=reach.customer_id)
        columns = []
        for row in rows:
            stage = stage_from_row(row)
            columns.append(BoardColumn(
                stage=stage, deals=int(row["deals"]), amount=row["amount"],
                weighted_amount=weighted(row["amount"], stage, row["currency"]),
                stalled=int(row["stalled"])))
        return columns

    # --- analytics ------------------------------------------------------------------------

    async def funnel(self, scope: AnalyticsScope) -> list[FunnelStep]:
        rows = await self._analytics(_FUNNEL, scope)
        return [FunnelStep(row["stage_id"], int(row["reached"]), int(row["lost"]))
                for row in rows]

    async def stage_timings(self, scope: AnalyticsScope) -> list[StageTiming]:
        rows = await self._analytics(_TIMINGS, scope)
        return [StageTiming(row["stage_id"], int(row["stays"]), row["median_days"],
                            row["p90_days"], int(row["stalled"])) for row in rows]

    async def outcomes(self, scope: AnalyticsScope) -> OutcomeBreakdown:
        overall, owners, stores = Outcomes(0, 0, Decimal(0), None), [], []
        for row in await self._analytics(_OUTCOMES, scope):
            if row["per_owner"]:
                owners.append(_outcomes(row, row["owner_id"]))
            elif row["per_store"]:
                stores.append(_outcomes(row, row["store_id"]))
            else:
                overall = _outcomes(row, None)
        return OutcomeBreakdown(overall, tuple(sorted(owners, key=_by_key)),
                                tuple(sorted(stores, key=_by_key)))

    async def forecast(self, scope: AnalyticsScope) -> list[ForecastMonth]:
        rows = await self._analytics(_FORECAST, scope)
        return [ForecastMonth(row["month"], int(row["deals"]), row["amount"],
                              Money.rounded(row["weighted"], row["currency"]).amount)
                for row in rows]

    async def lead_sources(self, scope: AnalyticsScope) -> list[SourceConversion]:
        rows = await self._analytics(_LEAD_SOURCES, scope, table="l", pipeline=False)
        return [SourceConversion(
            channel=Channel(row["channel"]) if row["channel"] else None,
            campaign=row["campaign"], referral=row["referral"], leads=int(row["leads"]),
            qualified=int(row["qualified"]), unqualified=int(row["unqualified"]),
            won=int(row["won"])) for row in rows]

    async def _analytics(self, template: str, scope: AnalyticsScope, table: str = "d",
                         pipeline: bool = True) -> Sequence[Any]:
        statement, values = _scoped(template, scope, table, pipeline)
        async with self._engine.connect() as connection:
            return (await connection.execute(statement, values)).mappings().all()


def _reach(reach: CustomerReach, columns: Any) -> list[Any]:
    condition = reach_condition(reach, columns.customer_id, columns.store_id, columns.owner_id)
    return [] if condition is None else [condition]


def _by_key(outcomes: Outcomes) -> tuple[bool, str]:
    """By owner or store id, those without one last."""
    return outcomes.key is None, str(outcomes.key)


def _outcomes(row: Any, key: UUID | None) -> Outcomes:
    return Outcomes(won=int(row["won"]), lost=int(row["lost"]), won_amount=row["won_amount"],
                    average_cycle_days=row["average_cycle_days"], key=key)


def _scoped(template: str, scope: AnalyticsScope, table: str,
            pipeline: bool) -> tuple[TextClause, dict[str, Any]]:
    """The template with `{scope}` as the scope's conditions on `table`'s rows, and the
    values of its parameters."""
    values: dict[str, Any] = {"pipeline_id": scope.pipeline_id, "since": scope.since,
                              "until": scope.until, "now": scope.now,
                              "first_day": scope.first_day, "last_day": scope.last_day}
    terms = [f"{table}.pipeline_id = :pipeline_id"] if pipeline else ["TRUE"]
    for name in ("owner_id", "store_id"):
        if getattr(scope, name) is not None:
            terms.append(f"{table}.{name} = :{name}")
            values[name] = getattr(scope, name)
    binds = []
    if not scope.reach.everyone:
        either = ["FALSE"]
        if scope.reach.store_ids:
            either.append(f"{table}.store_id = ANY(:reach_stores)")
            values["reach_stores"] = sorted(scope.reach.store_ids)
            binds.append(bindparam("reach_stores", type_=ARRAY(PgUUID(as_uuid=True))))
        if scope.reach.owner_id is not None:
            either.append(f"{table}.owner_id = :reach_owner")
            values["reach_owner"] = scope.reach.owner_id
        if scope.reach.customer_id is not None:
            either.append(f"{table}.customer_id = :reach_customer")
            values["reach_customer"] = scope.reach.customer_id
        terms.append("(" + " OR ".join(either) + ")")
    narrowed = " AND ".join(terms[1:])
    # Moves carry their pipeline: they are joined to their deals only when narrowed further.
    moves = f"JOIN deals {table} ON {table}.id = m.deal_id AND {narrowed}" if narrowed else ""
    statement = text(template.replace("{scope}", " AND ".join(terms))
                     .replace("{moves_in_scope}", moves))
    used = {name: value for name, value in values.items() if f":{name}" in statement.text}
    return statement.bindparams(*binds), used


# --- the analytics' statements ----------------------------------------------------------------
# {scope}: the deals (d) or leads (l) of the pipeline, owner and store asked, within reach.

_FUNNEL = f"""
WITH ranked AS (
    SELECT s.id, s.kind, s.position,
           row_number() OVER (PARTITION BY s.kind ORDER BY s.position, s.id) AS open_rank
    FROM pipeline_stages s
    WHERE s.pipeline_id = :pipeline_id AND s.retired_at IS NULL
      AND s.kind IN ('{_OPEN}', '{StageKind.WON.value}')
), ranks AS (
    SELECT id, position,
           CASE WHEN kind = '{_OPEN}' THEN open_rank
                ELSE (SELECT count(*) FROM ranked WHERE kind = '{_OPEN}') + 1 END AS rank
    FROM ranked
), cohort AS (
    SELECT d.id FROM deals d
    WHERE {{scope}} AND d.opened_at >= :since AND d.opened_at < :until
), per_deal AS (
    -- A deal's moves are never before its opening: those of the cohort are all after since.
    SELECT m.deal_id, max(coalesce(r.rank, 0)) AS best,
           array_agg(DISTINCT m.from_stage_id) FILTER (WHERE m.kind = '{_LOST}') AS lost_from
    FROM deal_moves m JOIN cohort c ON c.id = m.deal_id LEFT JOIN ranks r ON r.id = m.to_stage_id
    WHERE m.pipeline_id = :pipeline_id AND m.moved_at >= :since
    GROUP BY m.deal_id
), lost AS (
    SELECT stage_id, count(*) AS lost
    FROM per_deal CROSS JOIN LATERAL unnest(lost_from) AS stage_id
    GROUP BY stage_id
)
SELECT r.id AS stage_id, (SELECT count(*) FROM per_deal f WHERE f.best >= r.rank) AS reached,
       coalesce(l.lost, 0) AS lost
FROM ranks r LEFT JOIN lost l ON l.stage_id = r.id
ORDER BY r.rank, r.position, r.id
"""

_TIMINGS = f"""
WITH stays AS (
    SELECT m.to_stage_id AS stage_id, m.moved_at AS entered_at,
           lead(m.moved_at) OVER (PARTITION BY m.deal_id ORDER BY m.moved_at, m.id) AS left_at
    FROM deal_moves m {{moves_in_scope}}
    WHERE m.pipeline_id = :pipeline_id AND m.moved_at < :until
), timing AS (
    SELECT stage_id, count(*) AS stays,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS median_days,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY days) AS p90_days
    FROM (SELECT stage_id, extract(epoch FROM left_at - entered_at)::float8 / 86400 AS days
          FROM stays WHERE left_at >= :since AND left_at < :until) ended
    GROUP BY stage_id
), late AS (
    SELECT d.stage_id, count(*) AS stalled
    FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id
    WHERE {{scope}} AND d.status = '{DealStatus.OPEN.value}' AND s.kind = '{_OPEN}'
      AND s.sla_days IS NOT NULL AND d.stage_entered_at < CAST(:now AS timestamptz)
          - make_interval(0, 0, 0, s.sla_days)
    GROUP BY d.stage_id
)
SELECT st.id AS stage_id, coalesce(t.stays, 0) AS stays, t.median_days, t.p90_days,
       coalesce(l.stalled, 0) AS stalled
FROM pipeline_stages st
LEFT JOIN timing t ON t.stage_id = st.id
LEFT JOIN late l ON l.stage_id = st.id
WHERE st.pipeline_id = :pipeline_id AND st.retired_at IS NULL AND st.kind = '{_OPEN}'
ORDER BY st.position, st.id
"""

_OUTCOMES = f"""
SELECT d.owner_id, d.store_id,
       GROUPING(d.owner_id) = 0 AS per_owner, GROUPING(d.store_id) = 0 AS per_store,
       count(*) FILTER (WHERE d.status = '{_WON}') AS won,
       count(*) FILTER (WHERE d.status = '{_LOST}') AS lost,
       coalesce(sum(d.amount) FILTER (WHERE d.status = '{_WON}'), 0) AS won_amount,
       avg(extract(epoch FROM d.closed_at - d.opened_at)::float8 / 86400)
           FILTER (WHERE d.status = '{_WON}') AS average_cycle_days
FROM deals d
WHERE {{scope}} AND d.status IN ('{_WON}', '{_LOST}')
  AND d.closed_at >= :since AND d.closed_at < :until
GROUP BY GROUPING SETS ((), (d.owner_id), (d.store_id))
"""

_FORECAST = f"""
SELECT to_char(d.expected_close_on, 'YYYY-MM') AS month, count(*) AS deals,
       sum(d.amount) AS amount, sum(d.amount * s.probability) AS weighted,
       min(d.currency) AS currency
FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id
WHERE {{scope}} AND d.status = '{DealStatus.OPEN.value}'
  AND d.expected_close_on >= :first_day AND d.expected_close_on <= :last_day
GROUP BY 1
ORDER BY 1
"""

_LEAD_SOURCES = f"""
SELECT l.source_channel AS channel, l.source_campaign AS campaign,
       l.source_referred_by_id IS NOT NULL AS referral, count(*) AS leads,
       count(*) FILTER (WHERE l.status = '{LeadStatus.QUALIFIED.value}') AS qualified,
       count(*) FILTER (WHERE l.status = '{LeadStatus.UNQUALIFIED.value}') AS unqualified,
       count(*) FILTER (WHERE d.status = '{_WON}') AS won
FROM leads l LEFT JOIN deals d ON d.id = l.deal_id
WHERE {{scope}} AND l.created_at >= :since AND l.created_at < :until
GROUP BY 1, 2, 3
ORDER BY leads DESC, channel NULLS LAST, campaign NULLS LAST, referral
"""
