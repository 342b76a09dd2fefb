"""The sales pipeline as a part of the customer record (domain/customers/parts.py): her
leads and deals, with each deal's moves, in her data export; and the duplicate's moved to
the survivor when two records merge."""

from collections.abc import Sequence
from uuid import UUID

from domain.pipeline.model import Deal, DealMove, Lead
from domain.ports import UnitOfWork
from domain.shared.documents import Document, date_text, id_text, time_text
from domain.shared.money import money_text


class PipelinePart:
    section = "sales"

    async def export(
        self, uow: UnitOfWork, customer_id: UUID, merged_ids: Sequence[UUID]
    ) -> Document:
        """Merged records' leads and deals were moved to her, so her own are all."""
        leads = await uow.pipeline.leads_of_customer(customer_id)
        deals = await uow.pipeline.deals_of_customer(customer_id)
        return {"leads": [_lead(lead) for lead in leads],
                "deals": [_deal(deal, await uow.pipeline.moves_of(deal.id)) for deal in deals]}

    async def merge(
        self, uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID, actor: str
    ) -> None:
        await uow.pipeline.move_to_customer(duplicate_id, survivor_id,
                                            f"merged into customer {survivor_id}")


def _lead(lead: Lead) -> Document:
    return {
        "id": str(lead.id), "status": lead.status.value,
        "sourceChannel": lead.source.channel.value if lead.source.channel else None,
        "sourceCampaign": lead.source.campaign, "createdAt": time_text(lead.created_at),
        "nextFollowUpOn": date_text(lead.next_follow_up_on),
        "unqualifiedReason": lead.unqualified_reason, "dealId": id_text(lead.deal_id),
    }


def _deal(deal: Deal, moves: list[DealMove]) -> Document:
    return {
        "id": str(deal.id), "title": deal.title, "amount": money_text(deal.amount, deal.currency),
        "currency": deal.currency, "status": deal.status.value,
        "openedAt": time_text(deal.opened_at), "closedAt": time_text(deal.closed_at),
        "expectedCloseOn": date_text(deal.expected_close_on), "lostReason": deal.lost_reason,
        "products": [{"sku": p.sku, "quantity": p.quantity} for p in deal.products],
        "moves": [{"kind": m.kind.value, "fromStageId": id_text(m.from_stage_id),
                   "toStageId": str(m.to_stage_id), "movedAt": time_text(m.moved_at)}
                  for m in moves],
    }
