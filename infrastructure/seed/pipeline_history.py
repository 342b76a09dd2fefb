"""A generated sales history: thousands of deals walked through a pipeline's stages over
months, with everything the analytics must get right (skipped stages, deals sent back,
losses from every stage, reopenings, stalled deals, leads from every source), loaded with
COPY. The bench's board and analytics run on it, and the analytics' integration test checks
the SQL against a computation in Python on the same rows.

The moves are drawn, not made through the use cases: the walk skips a stage now and then
whatever the pipeline says, so the numbers meet every case the history can hold.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from domain.interactions.model import Channel
from domain.pipeline.model import (
    STATUS_OF_KIND,
    Deal,
    DealMove,
    DealProduct,
    DealStatus,
    Lead,
    LeadStatus,
    MoveKind,
    Pipeline,
    Source,
    Stage,
    StageKind,
)
from infrastructure.postgres.pipeline_rows import deal_to_row, lead_to_row, move_to_row
from infrastructure.seed.bulk_data import micros, uuid7

CAMPAIGNS = (None, "spring-coats", "mothers-day", "vip-preview", "wechat-live")
CHANNELS = (Channel.PHONE, Channel.VISIT, Channel.SOCIAL, Channel.WEB, Channel.CHECK_IN)
SKUS = ("WW-COAT-01", "SC-SILK-02", "BG-LEATHER-03", "SH-BOOT-04", "DR-WOOL-05")
MOVED_BY = "seed:history"


@dataclass(frozen=True)
class History:
    deals: list[Deal]
    moves: list[DealMove]
    leads: list[Lead]


@dataclass(frozen=True)
class Seller:
    """Who owns a deal, and at which store."""

    staff_id: UUID | None
    store_id: UUID | None


def generate_history(pipeline: Pipeline, customer_ids: Sequence[UUID],
                     sellers: Sequence[Seller], deals: int, *, now: datetime,
                     days: int = 180, seed: int = 0,
                     open_lead_of: set[UUID] | None = None) -> History:
    """`deals` deals opened over the `days` before `now`, each walked until it is won, lost
    or `now` comes; about half from a qualified lead, and as many leads again that never
    opened a deal. A customer has one open lead at most: `open_lead_of` holds those who have
    one (a history generated in parts shares it), and grows."""
    rng = random.Random(seed)
    walker = _Walker(pipeline, rng, now)
    made = History([], [], [])
    open_lead_of = set() if open_lead_of is None else open_lead_of
    for _ in range(deals):
        customer_id = rng.choice(customer_ids)
        seller = rng.choice(sellers)
        opened_at = now - timedelta(seconds=rng.uniform(0, days * 86_400))
        source = _source(rng, customer_ids, customer_id)
        lead = None
        if rng.random() < 0.5:
            lead = _lead(rng, customer_id, seller, source, opened_at - timedelta(
                hours=rng.uniform(1, 120)), LeadStatus.QUALIFIED, opened_at)
        deal, moves = walker.walk(customer_id, seller, source, opened_at,
                                  lead.id if lead else None)
        if lead is not None:
            made.leads.append(replace(lead, deal_id=deal.id))
        made.deals.append(deal)
        made.moves.extend(moves)
    for _ in range(deals // 2):
        customer_id = rng.choice(customer_ids)
        status = rng.choice((LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.UNQUALIFIED))
        if status is not LeadStatus.UNQUALIFIED:
            if customer_id in open_lead_of:
                status = LeadStatus.UNQUALIFIED
            open_lead_of.add(customer_id)
        created_at = now - timedelta(seconds=rng.uniform(0, days * 86_400))
        made.leads.append(_lead(rng, customer_id, rng.choice(sellers),
                                _source(rng, customer_ids, customer_id), created_at, status,
                                created_at + timedelta(days=2)))
    return made


async def copy_history(connection: asyncpg.Connection, history: History) -> None:
    """In one transaction: leads without their deal, the deals, their moves, then each
    lead's deal (the two refer to each other)."""
    async with connection.transaction():
        await _copy(connection, "leads", [lead_to_row(replace(lead, deal_id=None))
                                          for lead in history.leads])
        await _copy(connection, "deals", [deal_to_row(deal) for deal in history.deals])
        await _copy(connection, "deal_moves", [move_to_row(move) for move in history.moves])
        await connection.executemany(
            "UPDATE leads SET deal_id = $2 WHERE id = $1",
            [(lead.id, lead.deal_id) for lead in history.leads if lead.deal_id is not None])
    await connection.execute("ANALYZE leads, deals, deal_moves")


async def _copy(connection: asyncpg.Connection, table: str,
                rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        await connection.copy_records_to_table(
            table, columns=columns, records=[tuple(row[c] for c in columns) for row in rows])


class _Walker:
    """Walks a deal from its first stage: mostly forward, now and then a stage skipped, a
    step back, a loss; the last open stage mostly wins; a lost deal is sometimes reopened.
    Each stay lasts about its stage's SLA (some much longer: stalled)."""

    def __init__(self, pipeline: Pipeline, rng: random.Random, now: datetime) -> None:
        self._pipeline, self._rng, self._now = pipeline, rng, now
        self._open = pipeline.open_stages
        kinds = {stage.kind: stage for stage in reversed(pipeline.active_stages)}
        self._won, self._lost = kinds[StageKind.WON], kinds[StageKind.LOST]

    def walk(self, customer_id: UUID, seller: Seller, source: Source, opened_at: datetime,
             lead_id: UUID | None) -> tuple[Deal, list[DealMove]]:
        rng = self._rng
        deal_id = uuid7(micros(opened_at), rng)
        moves = [self._move(deal_id, customer_id, None, self._open[0], MoveKind.OPENED,
                            opened_at)]
        here, at, reopened = 0, opened_at, False
        while True:
            at = at + self._stay(self._open[here])
            if at >= self._now:
                break
            to, kind = self._next(here)
            if kind is MoveKind.LOST and not reopened and rng.random() < 0.15:
                moves.append(self._move(deal_id, customer_id, self._open[here].id, to, kind, at))
                at = at + timedelta(days=rng.uniform(1, 20))
                if at >= self._now:
                    break
                here, reopened = rng.randrange(len(self._open)), True
                moves.append(self._move(deal_id, customer_id, to.id, self._open[here],
                                        MoveKind.REOPENED, at, "she called back"))
                continue
            moves.append(self._move(deal_id, customer_id, self._open[here].id, to, kind, at))
            if kind is not MoveKind.MOVED:
                break
            here = self._open.index(to)
        last = moves[-1]
        stage = self._pipeline.stage(last.to_stage_id)
        assert stage is not None
        status = STATUS_OF_KIND[stage.kind]
        amount = Decimal(rng.randrange(50_000, 2_000_000)) / 100
        return Deal(
            id=deal_id, customer_id=customer_id, pipeline_id=self._pipeline.id,
            stage_id=stage.id, title=f"{rng.choice(('Coat', 'Scarf', 'Bag', 'Boots'))} deal",
            amount=amount, currency=self._pipeline.currency, opened_at=opened_at,
            stage_entered_at=last.moved_at, updated_at=last.moved_at, status=status,
            owner_id=seller.staff_id, store_id=seller.store_id,
            expected_close_on=(opened_at + timedelta(days=rng.randrange(10, 120))).date(),
            source=source, lead_id=lead_id,
            lost_reason=last.reason if status is DealStatus.LOST else None,
            closed_at=last.moved_at if status is not DealStatus.OPEN else None,
            products=tuple(DealProduct(rng.choice(SKUS), rng.randrange(1, 3))
                           for _ in range(rng.randrange(0, 3))),
            version=len(moves)), moves

    def _next(self, here: int) -> tuple[Stage, MoveKind]:
        roll, last = self._rng.random(), len(self._open) - 1
        if roll < 0.12:
            return self._lost, MoveKind.LOST
        if here == last:
            return self._won, MoveKind.WON
        if roll < 0.18 and here > 0:
            return self._open[self._rng.randrange(here)], MoveKind.MOVED  # back
        if roll < 0.24 and here + 2 <= last:
            return self._open[here + 2], MoveKind.MOVED  # a stage skipped
        return self._open[here + 1], MoveKind.MOVED

    def _stay(self, stage: Stage) -> timedelta:
        sla = stage.sla_days or 7
        longer = 3 if self._rng.random() < 0.1 else 1
        return timedelta(days=self._rng.expovariate(1 / (sla * 0.6 * longer)))

    def _move(self, deal_id: UUID, customer_id: UUID, from_id: UUID | None, to: Stage,
              kind: MoveKind, at: datetime, reason: str | None = None) -> DealMove:
        if kind is MoveKind.LOST:
            reason = self._rng.choice(("price", "bought elsewhere", "no stock"))
        return DealMove(id=uuid7(micros(at), self._rng), deal_id=deal_id,
                        customer_id=customer_id, pipeline_id=self._pipeline.id,
                        to_stage_id=to.id, kind=kind, moved_at=at, moved_by=MOVED_BY,
                        from_stage_id=from_id, reason=reason)


def _source(rng: random.Random, customer_ids: Sequence[UUID], customer_id: UUID) -> Source:
    referrer = rng.choice(customer_ids) if rng.random() < 0.1 else None
    return Source(channel=rng.choice((*CHANNELS, None)), campaign=rng.choice(CAMPAIGNS),
                  referred_by_id=referrer if referrer != customer_id else None)


def _lead(rng: random.Random, customer_id: UUID, seller: Seller, source: Source,
          created_at: datetime, status: LeadStatus, closed_at: datetime) -> Lead:
    closed = status not in (LeadStatus.NEW, LeadStatus.CONTACTED)
    return Lead(id=uuid7(micros(created_at), rng), customer_id=customer_id, status=status,
                source=source, created_at=created_at, updated_at=closed_at if closed else
                created_at, owner_id=seller.staff_id, store_id=seller.store_id,
                unqualified_reason="no intent" if status is LeadStatus.UNQUALIFIED else None,
                closed_at=closed_at if closed else None)
