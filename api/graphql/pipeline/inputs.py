"""Sales pipeline inputs and their commands. Decimals arrive as strings; a text that is no
number, like a bad id, becomes a userError at its field (api/graphql/money.py)."""

from datetime import date, datetime
from decimal import Decimal

import strawberry

from api.graphql.customers.inputs import CustomerCreateInput
from api.graphql.interactions.types import ChannelEnum
from api.graphql.loyalty.inputs import PurchaseLineInput
from api.graphql.loyalty.types import SalesChannelEnum
from api.graphql.money import decimal_of
from api.graphql.pipeline.types import StageKindEnum
from api.graphql.relay import optional_uuid_of, uuid_of
from api.graphql.updates import sent
from domain.interactions.model import Channel
from domain.loyalty.model import SalesChannel
from domain.pipeline import commands
from domain.pipeline.model import DealProduct, Source, StageKind
from domain.shared.errors import errors_within

Path = tuple[str, ...]


# --- pipelines ----------------------------------------------------------------------------


@strawberry.input(description="A stage: open ones need a probability (0 to 1); won and lost "
                              "ones have 1 and 0.")
class PipelineStageInput:
    name: str
    kind: StageKindEnum = StageKind.OPEN
    probability: Decimal = Decimal(0)
    sla_days: int | None = strawberry.field(
        default=None, description="Days a deal is expected to stay (open stages only).")

    def to_domain(self, at: Path) -> commands.StageSpec:
        return commands.StageSpec(name=self.name, kind=StageKind(self.kind),
                                  probability=decimal_of(self.probability, (*at, "probability")),
                                  sla_days=self.sla_days)


@strawberry.input(description="A pipeline and its stages, in order: at least one open, one "
                              "won and one lost.")
class PipelineCreateInput:
    code: str
    name: str
    currency_code: str
    stages: list[PipelineStageInput]
    allow_skips: bool = False

    def to_command(self) -> commands.CreatePipeline:
        return commands.CreatePipeline(
            code=self.code, name=self.name, currency=self.currency_code,
            stages=tuple(s.to_domain(("stages", str(i))) for i, s in enumerate(self.stages)),
            allow_skips=self.allow_skips)


@strawberry.input(description="Only the fields sent change.")
class PipelineUpdateInput:
    pipeline_id: strawberry.ID
    expected_version: int | None = None
    name: str | None = strawberry.UNSET
    allow_skips: bool | None = strawberry.UNSET

    def to_command(self) -> commands.UpdatePipeline:
        return commands.UpdatePipeline(
            pipeline_id=uuid_of(self.pipeline_id, "Pipeline", ("pipeline_id",)),
            changes=sent(self, ("name", "allow_skips")), expected_version=self.expected_version)


@strawberry.input
class PipelineStageAddInput:
    pipeline_id: strawberry.ID
    stage: PipelineStageInput
    before_stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: after the last stage.")
    expected_version: int | None = None

    def to_command(self) -> commands.AddStage:
        return commands.AddStage(
            pipeline_id=uuid_of(self.pipeline_id, "Pipeline", ("pipeline_id",)),
            stage=self.stage.to_domain(("stage",)),
            before_stage_id=optional_uuid_of(self.before_stage_id, "PipelineStage",
                                             ("before_stage_id",)),
            expected_version=self.expected_version)


@strawberry.input(description="Only the fields sent change; a stage's kind never does.")
class PipelineStageUpdateInput:
    stage_id: strawberry.ID
    expected_version: int | None = strawberry.field(default=None,
                                                    description="The pipeline's version.")
    name: str | None = strawberry.UNSET
    probability: Decimal | None = strawberry.UNSET
    sla_days: int | None = strawberry.UNSET

    def to_command(self) -> commands.UpdateStage:
        changes = sent(self, ("name", "probability", "sla_days"))
        if changes.get("probability") is not None:
            changes["probability"] = decimal_of(changes["probability"], ("probability",))
        return commands.UpdateStage(
            stage_id=uuid_of(self.stage_id, "PipelineStage", ("stage_id",)), changes=changes,
            expected_version=self.expected_version)


@strawberry.input(description="Every active stage, each once, in the new order.")
class PipelineStagesReorderInput:
    pipeline_id: strawberry.ID
    stage_ids: list[strawberry.ID]
    expected_version: int | None = None

    def to_command(self) -> commands.ReorderStages:
        return commands.ReorderStages(
            pipeline_id=uuid_of(self.pipeline_id, "Pipeline", ("pipeline_id",)),
            stage_ids=tuple(uuid_of(s, "PipelineStage", ("stage_ids", str(i)))
                            for i, s in enumerate(self.stage_ids)),
            expected_version=self.expected_version)


@strawberry.input(description="Refused while deals are in the stage.")
class PipelineStageRetireInput:
    stage_id: strawberry.ID
    expected_version: int | None = strawberry.field(default=None,
                                                    description="The pipeline's version.")

    def to_command(self) -> commands.RetireStage:
        return commands.RetireStage(
            stage_id=uuid_of(self.stage_id, "PipelineStage", ("stage_id",)),
            expected_version=self.expected_version)


# --- sources and deal terms ---------------------------------------------------------------


@strawberry.input(description="Where a lead or deal came from; all optional.")
class DealSourceInput:
    channel: ChannelEnum | None = None
    campaign: str | None = None
    referred_by_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer who referred her.")
    interaction_id: strawberry.ID | None = strawberry.field(
        default=None, description="The interaction that started it.")

    def to_domain(self, at: Path = ("source",)) -> Source:
        return Source(
            channel=Channel(self.channel) if self.channel else None, campaign=self.campaign,
            referred_by_id=optional_uuid_of(self.referred_by_id, "Customer",
                                            (*at, "referred_by_id")),
            interaction_id=optional_uuid_of(self.interaction_id, "Interaction",
                                            (*at, "interaction_id")))


def _source(source: DealSourceInput | None) -> Source:
    return source.to_domain() if source is not None else Source()


@strawberry.input
class DealProductInput:
    sku: str
    quantity: int = 1

    def to_domain(self) -> DealProduct:
        return DealProduct(sku=self.sku, quantity=self.quantity)


@strawberry.input(description="What a deal is about when it opens.")
class DealTermsInput:
    pipeline_id: strawberry.ID
    title: str
    amount: Decimal
    currency_code: str
    stage_id: strawberry.ID | None = strawberry.field(
        default=None, description="An open stage; null: the pipeline's first.")
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the clerk opening it (or the lead's owner).")
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the customer's home store (or the lead's store).")
    expected_close_on: date | None = None
    products: list[DealProductInput] | None = None
    opened_at: datetime | None = strawberry.field(
        default=None, description="When it was agreed, if not now.")

    def to_domain(self, at: Path = ()) -> commands.DealTerms:
        return commands.DealTerms(
            pipeline_id=uuid_of(self.pipeline_id, "Pipeline", (*at, "pipeline_id")),
            title=self.title, amount=decimal_of(self.amount, (*at, "amount")),
            currency=self.currency_code,
            stage_id=optional_uuid_of(self.stage_id, "PipelineStage", (*at, "stage_id")),
            owner_id=optional_uuid_of(self.owner_id, "Staff", (*at, "owner_id")),
            store_id=optional_uuid_of(self.store_id, "Store", (*at, "store_id")),
            expected_close_on=self.expected_close_on,
            products=tuple(p.to_domain() for p in self.products or ()),
            opened_at=self.opened_at)


# --- deals --------------------------------------------------------------------------------


@strawberry.input(description="A deal for a customer, in a pipeline. The same "
                              "idempotencyKey again replays the first result.")
class DealCreateInput(DealTermsInput):
    customer_id: strawberry.ID
    source: DealSourceInput | None = None
    idempotency_key: str | None = None

    def to_command(self) -> commands.CreateDeal:
        return commands.CreateDeal(
            customer_id=uuid_of(self.customer_id, "Customer", ("customer_id",)),
            terms=self.to_domain(), source=_source(self.source),
            idempotency_key=self.idempotency_key)


@strawberry.input(description="Only the fields sent change; a won or lost deal does not.")
class DealUpdateInput:
    deal_id: strawberry.ID
    expected_version: int | None = None
    title: str | None = strawberry.UNSET
    amount: Decimal | None = strawberry.UNSET
    owner_id: strawberry.ID | None = strawberry.UNSET
    store_id: strawberry.ID | None = strawberry.UNSET
    expected_close_on: date | None = strawberry.UNSET
    products: list[DealProductInput] | None = strawberry.UNSET

    def to_command(self) -> commands.UpdateDeal:
        changes = sent(self, ("title", "amount", "owner_id", "store_id", "expected_close_on",
                              "products"))
        if changes.get("amount") is not None:
            changes["amount"] = decimal_of(changes["amount"], ("amount",))
        for name, type_name in (("owner_id", "Staff"), ("store_id", "Store")):
            if name in changes:
                changes[name] = optional_uuid_of(changes[name], type_name, (name,))
        if "products" in changes:
            changes["products"] = tuple(p.to_domain() for p in changes["products"] or ())
        return commands.UpdateDeal(deal_id=uuid_of(self.deal_id, "Deal", ("deal_id",)),
                                   changes=changes, expected_version=self.expected_version)


@strawberry.input(description="The sale that wins the deal at pickup, recorded as "
                              "purchaseRecord records one, for the deal's customer: "
                              "(channel, orderId) keeps it once.")
class DealSaleInput:
    channel: SalesChannelEnum
    order_id: str
    occurred_at: datetime
    currency_code: str
    payment_total: Decimal
    lines: list[PurchaseLineInput]
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the deal's store.")
    programme: str | None = None

    def to_domain(self) -> commands.DealSale:
        at = ("sale",)
        return commands.DealSale(
            channel=SalesChannel(self.channel), order_id=self.order_id,
            occurred_at=self.occurred_at, currency=self.currency_code,
            payment_total=decimal_of(self.payment_total, (*at, "payment_total")),
            lines=tuple(line.to_domain((*at, "lines", str(i)))
                        for i, line in enumerate(self.lines)),
            store_id=optional_uuid_of(self.store_id, "Store", (*at, "store_id")),
            programme_code=self.programme)


@strawberry.input(description="Moves a deal to another stage of its pipeline. A lost stage "
                              "needs lostReason; a won one may record the sale. The same "
                              "idempotencyKey again replays the first result.")
class DealMoveInput:
    deal_id: strawberry.ID
    to_stage_id: strawberry.ID
    expected_version: int | None = None
    lost_reason: str | None = None
    sale: DealSaleInput | None = None
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened, if not now (never before its last move).")
    idempotency_key: str | None = None

    def to_command(self) -> commands.MoveDeal:
        return commands.MoveDeal(
            deal_id=uuid_of(self.deal_id, "Deal", ("deal_id",)),
            to_stage_id=uuid_of(self.to_stage_id, "PipelineStage", ("to_stage_id",)),
            expected_version=self.expected_version, lost_reason=self.lost_reason,
            sale=self.sale.to_domain() if self.sale else None, occurred_at=self.occurred_at,
            idempotency_key=self.idempotency_key)


@strawberry.input(description="A won or lost deal back into an open stage, with why.")
class DealReopenInput:
    deal_id: strawberry.ID
    to_stage_id: strawberry.ID
    reason: str
    expected_version: int | None = None
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened, if not now (never before its last move).")

    def to_command(self) -> commands.ReopenDeal:
        return commands.ReopenDeal(
            deal_id=uuid_of(self.deal_id, "Deal", ("deal_id",)),
            to_stage_id=uuid_of(self.to_stage_id, "PipelineStage", ("to_stage_id",)),
            reason=self.reason, expected_version=self.expected_version,
            occurred_at=self.occurred_at)


@strawberry.input(description="An interaction or a case of the deal's customer (one).")
class DealLinkInput:
    deal_id: strawberry.ID
    interaction_id: strawberry.ID | None = None
    case_id: strawberry.ID | None = None

    def to_command(self) -> commands.LinkToDeal:
        return commands.LinkToDeal(
            deal_id=uuid_of(self.deal_id, "Deal", ("deal_id",)),
            interaction_id=optional_uuid_of(self.interaction_id, "Interaction",
                                            ("interaction_id",)),
            case_id=optional_uuid_of(self.case_id, "Case", ("case_id",)))


# --- leads --------------------------------------------------------------------------------


@strawberry.input(description="A prospect: a customer (customerId) or a new one created with "
                              "the lead (customer). The same idempotencyKey again replays the "
                              "first result.")
class LeadCreateInput:
    customer_id: strawberry.ID | None = None
    customer: CustomerCreateInput | None = None
    source: DealSourceInput | None = None
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the clerk creating it.")
    store_id: strawberry.ID | None = strawberry.field(
        default=None, description="Null: the customer's home store.")
    next_follow_up_on: date | None = None
    idempotency_key: str | None = None

    def to_command(self) -> commands.CreateLead:
        with errors_within("customer"):
            new_customer = self.customer.to_command() if self.customer else None
        return commands.CreateLead(
            source=_source(self.source),
            customer_id=optional_uuid_of(self.customer_id, "Customer", ("customer_id",)),
            new_customer=new_customer,
            owner_id=optional_uuid_of(self.owner_id, "Staff", ("owner_id",)),
            store_id=optional_uuid_of(self.store_id, "Store", ("store_id",)),
            next_follow_up_on=self.next_follow_up_on, idempotency_key=self.idempotency_key)


@strawberry.input(description="Only the fields sent change, while the lead is open.")
class LeadUpdateInput:
    lead_id: strawberry.ID
    expected_version: int | None = None
    owner_id: strawberry.ID | None = strawberry.UNSET
    store_id: strawberry.ID | None = strawberry.UNSET
    next_follow_up_on: date | None = strawberry.UNSET

    def to_command(self) -> commands.UpdateLead:
        changes = sent(self, ("owner_id", "store_id", "next_follow_up_on"))
        for name, type_name in (("owner_id", "Staff"), ("store_id", "Store")):
            if name in changes:
                changes[name] = optional_uuid_of(changes[name], type_name, (name,))
        return commands.UpdateLead(lead_id=uuid_of(self.lead_id, "Lead", ("lead_id",)),
                                   changes=changes, expected_version=self.expected_version)


@strawberry.input(description="The lead is a target: it opens a deal on these terms.")
class LeadQualifyInput:
    lead_id: strawberry.ID
    deal: DealTermsInput
    expected_version: int | None = None

    def to_command(self) -> commands.QualifyLead:
        return commands.QualifyLead(lead_id=uuid_of(self.lead_id, "Lead", ("lead_id",)),
                                    terms=self.deal.to_domain(("deal",)),
                                    expected_version=self.expected_version)


@strawberry.input(description="No intent, with the reason.")
class LeadDisqualifyInput:
    lead_id: strawberry.ID
    reason: str
    expected_version: int | None = None

    def to_command(self) -> commands.DisqualifyLead:
        return commands.DisqualifyLead(lead_id=uuid_of(self.lead_id, "Lead", ("lead_id",)),
                                       reason=self.reason,
                                       expected_version=self.expected_version)
