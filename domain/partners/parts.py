"""The alliance as a part of the customer record (domain/customers/parts.py): her grants in
her data export, and the duplicate's grants moved to the survivor when two records merge
(a code she was given keeps working, whichever record she is found by)."""

from collections.abc import Sequence
from uuid import UUID

from domain.partners.codes import displayed
from domain.partners.model import Grant
from domain.ports import UnitOfWork
from domain.shared.documents import Document


class PartnersPart:
    section = "partnerBenefits"

    async def export(
        self, uow: UnitOfWork, customer_id: UUID, merged_ids: Sequence[UUID]
    ) -> Document:
        """Merged records' grants were moved to her, so her own list is complete."""
        grants = await uow.partners.grants_of_customer(customer_id)
        return {"grants": [_grant(grant) for grant in grants]}

    async def merge(
        self, uow: UnitOfWork, duplicate_id: UUID, survivor_id: UUID, actor: str
    ) -> None:
        await uow.partners.move_to_customer(duplicate_id, survivor_id)


def _grant(grant: Grant) -> Document:
    return {
        "code": displayed(grant.code), "offerId": str(grant.offer_id),
        "partnerId": str(grant.partner_id), "state": grant.state.value,
        "issuedAt": grant.issued_at.isoformat(), "expiresAt": grant.expires_at.isoformat(),
        "redeemedAt": grant.redeemed_at.isoformat() if grant.redeemed_at else None,
        "revokedAt": grant.revoked_at.isoformat() if grant.revoked_at else None,
        "reason": grant.reason,
    }
