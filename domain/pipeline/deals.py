"""Use cases for deals: opening one, editing it, moving it through its pipeline's stages,
reopening it, and linking the interactions and cases about it. Every move is recorded in
the deal's history with the deal's change, in one transaction; a deal won at pickup can
record its sale (loyalty's purchase) in that same transaction.

A clerk (STAFF) works the deals of her stores and those she owns (`Viewer.require_reach`
on the deal's store and owner); a deal she opens is hers and her customer's home store's
unless she says otherwise, so she never opens one she could not see.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.customers.services import customer_to_act_on
from domain.loyalty.commands import RecordPurchase
from domain.loyalty.model import Purchase
from domain.loyalty.purchases import purchase_in
from domain.organisation.services import require_staff, require_store
from domain.pipeline.commands import (
    DEAL_EDITABLE,
    CreateDeal,
    DealSale,
    DealTerms,
    LinkToDeal,
    MoveDeal,
    ReopenDeal,
    UpdateDeal,
)
from domain.pipeline.events import PipelineEvent
from domain.pipeline.model import (
    Deal,
    DealLink,
    DealMove,
    DealProduct,
    MoveKind,
    Pipeline,
    Source,
    Stage,
)
from domain.pipeline.rules import check_opening_stage, check_reopen, move_kind, moved
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import (
    DomainError,
    ErrorCode,
    check_version,
    errors_within,
    not_found,
)
from domain.shared.events import Event
from domain.shared.idempotency import first_result, remember_result
from domain.shared.ids import new_id
from domain.shared.money import check_amount, check_currency
from domain.shared.validation import Problems

CREATE_SCOPE = "dealCreate"
MOVE_SCOPE = "dealMove"
MAX_PRODUCTS = 50
# Tablets' clocks drift; a move a few minutes "in the future" is still a real move.
CLOCK_SKEW = timedelta(minutes=5)
Path = tuple[str, ...]


@dataclass(frozen=True)
class DealMoved:
    """The deal after the move, the move, and the sale a win recorded. `replayed`: this
    call repeated one that was done already, and changed nothing (no move then)."""

    deal: Deal
    move: DealMove | None
    purchase: Purchase | None = None
    replayed: bool = False


async def create_deal(cmd: CreateDeal, *, uow: UnitOfWork, viewer: Viewer) -> Deal:
    viewer.require(Operation.DEAL_WORK)
    check_terms(cmd.terms, (), uow.clock.now())
    check_source(cmd.source)
    async with uow:
        first = await first_result(uow.idempotency, CREATE_SCOPE, cmd)
        if first is not None:
            return reached(viewer, await _existing(uow, first))
        customer = await customer_to_act_on(uow, viewer, cmd.customer_id)
        await check_source_links(uow, customer.id, cmd.source)
        deal = await open_deal(uow, viewer, customer.id, customer.profile.home_store_id,
                               cmd.terms, cmd.source)
        await remember_result(uow.idempotency, CREATE_SCOPE, cmd, deal.id)
        await uow.commit()
    return deal


async def update_deal(cmd: UpdateDeal, *, uow: UnitOfWork, viewer: Viewer) -> Deal:
    """An open deal's title, amount, owner, store, expected close date or products; a won
    or lost deal is as it closed."""
    viewer.require(Operation.DEAL_WORK)
    problems = Problems()
    problems.editable(cmd.changes, DEAL_EDITABLE)
    problems.raise_if_any()
    async with uow:
        deal = await _locked(uow, viewer, cmd.deal_id, cmd.expected_version)
        if deal.closed:
            raise DomainError.single(("deal_id",), ErrorCode.DEAL_CLOSED,
                                     f"the deal is {deal.status.value}; reopen it first")
        changes = _checked_changes(problems, dict(cmd.changes), deal.currency)
        problems.raise_if_any()
        await require_staff(uow, changes.get("owner_id"), ("owner_id",))
        await require_store(uow, changes.get("store_id"), ("store_id",))
        now = uow.clock.now()
        changed = replace(deal, **changes, version=deal.version + 1, updated_at=now)
        reached(viewer, changed)  # a clerk does not give her deal away out of her sight
        await uow.pipeline.save_deal(changed)
        uow.emit(_event(PipelineEvent.DEAL_UPDATED, changed, now, fields=sorted(changes)))
        await uow.commit()
    return changed


async def move_deal(cmd: MoveDeal, *, uow: UnitOfWork, viewer: Viewer) -> DealMoved:
    """To another stage of its pipeline, as `rules.move_kind` allows. A retry replays: with
    the same idempotency key, or, for a win, with the same sale (its order id) after the
    deal was won with it."""
    viewer.require(Operation.DEAL_WORK)
    problems = Problems()
    reason = problems.text(("lost_reason",), cmd.lost_reason, max_length=500)
    _check_time(problems, ("occurred_at",), cmd.occurred_at, uow.clock.now())
    problems.raise_if_any()
    async with uow:
        first = await first_result(uow.idempotency, MOVE_SCOPE, cmd)
        if first is not None:
            return DealMoved(reached(viewer, await _existing(uow, first)), None, replayed=True)
        deal = await _locked(uow, viewer, cmd.deal_id, None)
        if cmd.sale is not None and deal.purchase_id is not None:
            recorded = await _record_sale(uow, viewer, deal, cmd.sale)
            if recorded.id == deal.purchase_id:
                return DealMoved(deal, None, recorded, replayed=True)
        check_version(cmd.expected_version, deal.version)
        pipeline = await _pipeline(uow, deal.pipeline_id)
        to = await _target(uow, pipeline, cmd.to_stage_id)
        kind = move_kind(pipeline, deal, to)
        if kind is MoveKind.LOST and reason is None:
            raise DomainError.single(("lost_reason",), ErrorCode.REQUIRED,
                                     "say why the deal was lost")
        if kind is not MoveKind.LOST and reason is not None:
            raise DomainError.single(("lost_reason",), ErrorCode.INVALID,
                                     "only a lost deal has a lost reason")
        if cmd.sale is not None and kind is not MoveKind.WON:
            raise DomainError.single(("sale",), ErrorCode.INVALID,
                                     "only a deal moved to a won stage records a sale")
        changed, move = await _moved(uow, viewer, deal, to, kind, cmd.occurred_at, reason)
        purchase = None
        if cmd.sale is not None:
            purchase = await _record_sale(uow, viewer, deal, cmd.sale)
            changed = replace(changed, purchase_id=purchase.id)
        await uow.pipeline.save_deal(changed)
        await remember_result(uow.idempotency, MOVE_SCOPE, cmd, deal.id)
        await uow.commit()
    return DealMoved(changed, move, purchase)


async def reopen_deal(cmd: ReopenDeal, *, uow: UnitOfWork, viewer: Viewer) -> DealMoved:
    """A won or lost deal back into an open stage, with why; the reopening is a move of its
    history like any other."""
    viewer.require(Operation.DEAL_WORK)
    problems = Problems()
    reason = problems.text(("reason",), cmd.reason, max_length=500, required=True)
    _check_time(problems, ("occurred_at",), cmd.occurred_at, uow.clock.now())
    problems.raise_if_any()
    async with uow:
        deal = await _locked(uow, viewer, cmd.deal_id, cmd.expected_version)
        pipeline = await _pipeline(uow, deal.pipeline_id)
        to = await _target(uow, pipeline, cmd.to_stage_id)
        check_reopen(pipeline, deal, to)
        changed, move = await _moved(uow, viewer, deal, to, MoveKind.REOPENED,
                                     cmd.occurred_at, reason)
        await uow.pipeline.save_deal(changed)
        await uow.commit()
    return DealMoved(changed, move)


async def link_to_deal(cmd: LinkToDeal, *, uow: UnitOfWork, viewer: Viewer) -> Deal:
    """An interaction or a case of the deal's customer; linking one twice changes nothing."""
    viewer.require(Operation.DEAL_WORK)
    if (cmd.interaction_id is None) == (cmd.case_id is None):
        raise DomainError.single(("interaction_id",), ErrorCode.INVALID,
                                 "give an interaction or a case, not both")
    async with uow:
        deal = await uow.pipeline.get_deal(cmd.deal_id)
        if deal is None:
            raise not_found(("deal_id",), "deal")
        reached(viewer, deal)
        if cmd.interaction_id is not None:
            interaction = await uow.interactions.get(cmd.interaction_id)
            _of_customer(deal, interaction.customer_id if interaction else None,
                         ("interaction_id",), "interaction")
        if cmd.case_id is not None:
            case = await uow.cases.get(cmd.case_id)
            _of_customer(deal, case.customer_id if case else None, ("case_id",), "case")
        now = uow.clock.now()
        link = DealLink(deal_id=deal.id, customer_id=deal.customer_id, linked_at=now,
                        linked_by=viewer.subject, interaction_id=cmd.interaction_id,
                        case_id=cmd.case_id)
        if await uow.pipeline.add_link(link):
            uow.emit(_event(PipelineEvent.DEAL_LINKED, deal, now,
                            interaction_id=cmd.interaction_id, case_id=cmd.case_id))
            await uow.commit()
    return deal


# --- shared with leads ------------------------------------------------------------------


async def open_deal(uow: UnitOfWork, viewer: Viewer, customer_id: UUID,
                    home_store_id: UUID | None, terms: DealTerms, source: Source,
                    lead_id: UUID | None = None, at: Path = ()) -> Deal:
    """A new deal on `terms` in the caller's unit of work, with its opening move. Owned by
    the clerk opening it and at the customer's home store unless the terms say; `at` is
    where the terms sit in the caller's input."""
    pipeline = await uow.pipeline.get(terms.pipeline_id, for_share=True)
    if pipeline is None:
        raise not_found((*at, "pipeline_id"), "pipeline")
    if terms.currency.strip().upper() != pipeline.currency:
        raise DomainError.single((*at, "currency"), ErrorCode.CURRENCY_MISMATCH,
                                 f"{pipeline.name} counts in {pipeline.currency}")
    if terms.stage_id is None:
        stage = pipeline.open_stages[0]
    else:
        with errors_within(*at):
            stage = await _stage(uow, pipeline, terms.stage_id, ("stage_id",))
            check_opening_stage(pipeline, stage)
    owner_id = terms.owner_id or viewer.staff_id
    store_id = terms.store_id or home_store_id
    await require_staff(uow, terms.owner_id, (*at, "owner_id"))
    await require_store(uow, terms.store_id, (*at, "store_id"))
    now = uow.clock.now()
    opened_at = (terms.opened_at or now).astimezone(UTC)
    deal = Deal(
        id=new_id(), customer_id=customer_id, pipeline_id=pipeline.id, stage_id=stage.id,
        title=(terms.title or "").strip(), amount=terms.amount, currency=pipeline.currency,
        opened_at=opened_at, stage_entered_at=opened_at, updated_at=now, owner_id=owner_id,
        store_id=store_id, expected_close_on=terms.expected_close_on, source=source,
        lead_id=lead_id, products=_products(terms.products),
    )
    reached(viewer, deal)
    await uow.pipeline.add_deal(deal)
    await uow.pipeline.add_move(DealMove(
        id=new_id(), deal_id=deal.id, customer_id=customer_id, pipeline_id=pipeline.id,
        to_stage_id=stage.id, kind=MoveKind.OPENED, moved_at=opened_at,
        moved_by=viewer.subject, staff_id=viewer.staff_id))
    uow.emit(_event(PipelineEvent.DEAL_OPENED, deal, now, stage_id=stage.id))
    return deal


def check_terms(terms: DealTerms, at: Path, now: datetime) -> None:
    problems = Problems()
    problems.text((*at, "title"), terms.title, max_length=200, required=True)
    currency = check_currency(problems, (*at, "currency"), terms.currency)
    check_amount(problems, (*at, "amount"), terms.amount, currency)
    _check_products(problems, (*at, "products"), terms.products)
    _check_time(problems, (*at, "opened_at"), terms.opened_at, now)
    problems.raise_if_any()


def check_source(source: Source, at: Path = ("source",)) -> None:
    problems = Problems()
    problems.text((*at, "campaign"), source.campaign, max_length=100)
    problems.raise_if_any()


async def check_source_links(uow: UnitOfWork, customer_id: UUID, source: Source,
                             at: Path = ("source",)) -> None:
    """Who referred her is another customer; the interaction that started it is hers."""
    if source.referred_by_id is not None:
        referrer = await uow.customers.header(source.referred_by_id)
        if referrer is None:
            raise not_found((*at, "referred_by_id"), "customer")
        if referrer.id == customer_id:
            raise DomainError.single((*at, "referred_by_id"), ErrorCode.INVALID,
                                     "a customer does not refer herself")
    if source.interaction_id is not None:
        interaction = await uow.interactions.get(source.interaction_id)
        if interaction is None:
            raise not_found((*at, "interaction_id"), "interaction")
        if interaction.customer_id != customer_id:
            raise DomainError.single((*at, "interaction_id"), ErrorCode.INVALID,
                                     "the interaction is another customer's")


def reached(viewer: Viewer, deal: Deal) -> Deal:
    """A clerk works the deals of her stores and those she owns."""
    viewer.require_reach(deal.customer_id, deal.store_id, deal.owner_id)
    return deal


# --- helpers ------------------------------------------------------------------------------


async def _locked(uow: UnitOfWork, viewer: Viewer, deal_id: UUID,
                  expected_version: int | None) -> Deal:
    deal = await uow.pipeline.get_deal(deal_id, for_update=True)
    if deal is None:
        raise not_found(("deal_id",), "deal")
    reached(viewer, deal)
    check_version(expected_version, deal.version)
    return deal


async def _existing(uow: UnitOfWork, deal_id: UUID) -> Deal:
    deal = await uow.pipeline.get_deal(deal_id)
    if deal is None:
        raise not_found(("idempotency_key",), "first result")
    return deal


async def _pipeline(uow: UnitOfWork, pipeline_id: UUID) -> Pipeline:
    pipeline = await uow.pipeline.get(pipeline_id, for_share=True)
    assert pipeline is not None, "a deal's pipeline is never removed"
    return pipeline


async def _target(uow: UnitOfWork, pipeline: Pipeline, stage_id: UUID) -> Stage:
    return await _stage(uow, pipeline, stage_id, ("to_stage_id",))


async def _stage(uow: UnitOfWork, pipeline: Pipeline, stage_id: UUID, field: Path) -> Stage:
    """A stage by id: its own pipeline's, or another's (which the rules then refuse)."""
    stage = pipeline.stage(stage_id) or await uow.pipeline.stage(stage_id)
    if stage is None:
        raise not_found(field, "stage")
    return stage


async def _moved(uow: UnitOfWork, viewer: Viewer, deal: Deal, to: Stage, kind: MoveKind,
                 occurred_at: datetime | None, reason: str | None) -> tuple[Deal, DealMove]:
    """The deal moved and its move recorded (the caller saves the deal)."""
    now = uow.clock.now()
    at = (occurred_at or now).astimezone(UTC)
    if at < deal.stage_entered_at:
        raise DomainError.single(("occurred_at",), ErrorCode.INVALID,
                                 "before the deal came into its stage")
    changed = replace(moved(deal, to, kind, at, reason), updated_at=now)
    move = DealMove(id=new_id(), deal_id=deal.id, customer_id=deal.customer_id,
                    pipeline_id=deal.pipeline_id, to_stage_id=to.id, kind=kind, moved_at=at,
                    moved_by=viewer.subject, from_stage_id=deal.stage_id,
                    staff_id=viewer.staff_id, reason=reason)
    await uow.pipeline.add_move(move)
    uow.emit(_event(_MOVE_EVENTS[kind], changed, now, from_stage_id=deal.stage_id,
                    to_stage_id=to.id))
    return changed, move


async def _record_sale(uow: UnitOfWork, viewer: Viewer, deal: Deal, sale: DealSale) -> Purchase:
    """Loyalty records the sale (points, tier, her timeline) in this transaction."""
    command = RecordPurchase(
        customer_id=deal.customer_id, channel=sale.channel, order_id=sale.order_id,
        occurred_at=sale.occurred_at, currency=sale.currency,
        payment_total=sale.payment_total, lines=sale.lines,
        store_id=sale.store_id or deal.store_id, programme_code=sale.programme_code)
    with errors_within("sale"):
        return (await purchase_in(uow, viewer, command)).purchase


def _of_customer(deal: Deal, customer_id: UUID | None, field: Path, what: str) -> None:
    if customer_id is None:
        raise not_found(field, what)
    if customer_id != deal.customer_id:
        raise DomainError.single(field, ErrorCode.INVALID, f"the {what} is another customer's")


def _checked_changes(problems: Problems, changes: dict[str, Any], currency: str
                     ) -> dict[str, Any]:
    if "title" in changes:
        changes["title"] = problems.text(("title",), changes["title"], max_length=200,
                                         required=True)
    if "amount" in changes:
        if changes["amount"] is None:
            problems.add(("amount",), ErrorCode.REQUIRED, "a deal has an amount")
        else:
            check_amount(problems, ("amount",), changes["amount"], currency)
    if "products" in changes:
        products = tuple(changes["products"] or ())
        _check_products(problems, ("products",), products)
        changes["products"] = _products(products)
    return changes


def _check_products(problems: Problems, at: Path, products: Sequence[DealProduct]) -> None:
    if len(products) > MAX_PRODUCTS:
        problems.add(at, ErrorCode.TOO_LARGE, f"at most {MAX_PRODUCTS} products")
    for index, product in enumerate(products):
        problems.text((*at, str(index), "sku"), product.sku, max_length=64, required=True)
        if not 1 <= product.quantity <= 10_000:
            problems.add((*at, str(index), "quantity"), ErrorCode.INVALID,
                         "between 1 and 10000")


def _products(products: Sequence[DealProduct]) -> tuple[DealProduct, ...]:
    return tuple(replace(product, sku=product.sku.strip()) for product in products)


def _check_time(problems: Problems, field: Path, moment: datetime | None,
                now: datetime) -> None:
    if moment is None:
        return
    if moment.tzinfo is None:
        problems.add(field, ErrorCode.INVALID, "needs a time zone offset")
    elif moment > now + CLOCK_SKEW:
        problems.add(field, ErrorCode.INVALID, "in the future")


_MOVE_EVENTS = {
    MoveKind.MOVED: PipelineEvent.DEAL_MOVED, MoveKind.WON: PipelineEvent.DEAL_WON,
    MoveKind.LOST: PipelineEvent.DEAL_LOST, MoveKind.REOPENED: PipelineEvent.DEAL_REOPENED,
}


def _event(name: PipelineEvent, deal: Deal, now: datetime, **data: object) -> Event:
    """The deal's events name its customer: the audit and the outbox follow her."""
    values = {key: str(value) if isinstance(value, UUID) else value
              for key, value in data.items() if value is not None}
    return Event(name, deal.id, now, {"customer_id": str(deal.customer_id), **values})
