"""Acting for a partner: only a PARTNER viewer does, for the partner its client is bound
to, and only while that partner exists and is active. Shared by the partner's writes
(`partners.acting_partner`, the counter) and its reads (`queries.own_partner`)."""

from domain.partners.model import Partner
from domain.shared.access import Role, Viewer, not_allowed
from domain.shared.errors import DomainError, ErrorCode


def partner_code_of(viewer: Viewer, doing: str = "do this") -> str:
    """The code of the partner a PARTNER viewer acts for; anyone else is refused."""
    if viewer.role is not Role.PARTNER or viewer.partner_code is None:
        raise not_allowed(f"only a partner's own API client may {doing}")
    return viewer.partner_code


def existing(partner: Partner | None) -> Partner:
    if partner is None:
        raise no_partner()
    return partner


def no_partner() -> DomainError:
    return not_allowed("this API client's partner does not exist")


def still_active(partner: Partner) -> Partner:
    if not partner.active:
        raise DomainError.single((), ErrorCode.SUSPENDED, "your partnership is suspended")
    return partner
