"""Partners' rows ↔ domain objects. A row is anything read by column name (a SQLAlchemy
mapping or an asyncpg record); a joined read names its columns with a prefix (`o_title`),
which `prefix` reads back."""

from dataclasses import fields
from typing import Any

from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Eligibility,
    EntryKind,
    Grant,
    GrantState,
    Offer,
    OfferStatus,
    Partner,
    PartnerPurchase,
    PartnerStatus,
    Payer,
    Quota,
    QuotaPeriod,
    Redemption,
    SettlementEntry,
    Trigger,
    TriggerKind,
)
from infrastructure.postgres.tables import (
    partner_grants,
    partner_offers,
    partners,
)

PARTNER_COLUMNS = tuple(column.name for column in partners.columns)
OFFER_COLUMNS = tuple(column.name for column in partner_offers.columns)
GRANT_COLUMNS = tuple(column.name for column in partner_grants.columns)
REDEMPTION_COLUMNS = tuple(f.name for f in fields(Redemption))
PURCHASE_COLUMNS = tuple(f.name for f in fields(PartnerPurchase))
ENTRY_COLUMNS = tuple(f.name for f in fields(SettlementEntry))


class Prefixed:
    """A row's columns that start with `prefix`, by their names without it."""

    def __init__(self, row: Any, prefix: str) -> None:
        self._row, self._prefix = row, prefix

    def __getitem__(self, name: str) -> Any:
        return self._row[self._prefix + name]


# --- partners --------------------------------------------------------------------------


def partner_to_row(partner: Partner) -> dict[str, Any]:
    row = {name: getattr(partner, name) for name in PARTNER_COLUMNS}
    row["status"] = partner.status.value
    return row


def partner_from_row(row: Any) -> Partner:
    values = {name: row[name] for name in PARTNER_COLUMNS}
    values["status"] = PartnerStatus(row["status"])
    return Partner(**values)


# --- offers ----------------------------------------------------------------------------


def offer_to_row(offer: Offer) -> dict[str, Any]:
    benefit, eligibility, trigger = offer.benefit, offer.eligibility, offer.trigger
    quota, cost = offer.quota, offer.cost
    return {
        "id": offer.id, "partner_id": offer.partner_id, "code": offer.code,
        "title": offer.title, "description": offer.description,
        "benefit_kind": benefit.kind.value, "benefit_item": benefit.item,
        "benefit_amount": benefit.amount, "benefit_percent": benefit.percent,
        "benefit_multiplier": benefit.multiplier,
        "eligible_tier_codes": list(eligibility.tier_codes),
        "eligible_interests": list(eligibility.interests),
        "eligible_programme_code": eligibility.programme_code,
        "trigger_kind": trigger.kind.value, "trigger_category": trigger.category,
        "trigger_sku": trigger.sku, "trigger_min_spend": trigger.min_spend,
        "trigger_tier_code": trigger.tier_code,
        "quota_total": quota.total, "quota_per_member": quota.per_member,
        "quota_per_period": quota.per_period, "quota_period": quota.period.value,
        "cost_payer": cost.payer.value, "cost_unit": cost.unit_cost,
        "cost_brand_share": cost.brand_share,
        "valid_from": offer.valid_from, "valid_until": offer.valid_until,
        "grant_valid_days": offer.grant_valid_days, "redeem_until": offer.redeem_until,
        "status": offer.status.value, "version": offer.version,
        "created_at": offer.created_at, "updated_at": offer.updated_at,
    }


def offer_from_row(row: Any) -> Offer:
    return Offer(
        id=row["id"], partner_id=row["partner_id"], code=row["code"], title=row["title"],
        description=row["description"],
        benefit=Benefit(kind=BenefitKind(row["benefit_kind"]), item=row["benefit_item"],
                        amount=row["benefit_amount"], percent=row["benefit_percent"],
                        multiplier=row["benefit_multiplier"]),
        eligibility=Eligibility(tier_codes=tuple(row["eligible_tier_codes"]),
                                interests=tuple(row["eligible_interests"]),
                                programme_code=row["eligible_programme_code"]),
        trigger=Trigger(kind=TriggerKind(row["trigger_kind"]),
                        category=row["trigger_category"], sku=row["trigger_sku"],
                        min_spend=row["trigger_min_spend"],
                        tier_code=row["trigger_tier_code"]),
        quota=Quota(total=row["quota_total"], per_member=row["quota_per_member"],
                    per_period=row["quota_per_period"],
                    period=QuotaPeriod(row["quota_period"])),
        cost=CostSharing(payer=Payer(row["cost_payer"]), unit_cost=row["cost_unit"],
                         brand_share=row["cost_brand_share"]),
        valid_from=row["valid_from"], valid_until=row["valid_until"],
        grant_valid_days=row["grant_valid_days"], redeem_until=row["redeem_until"],
        status=OfferStatus(row["status"]), version=row["version"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )


# --- grants, redemptions, partner purchases, settlement --------------------------------


def grant_to_row(grant: Grant) -> dict[str, Any]:
    row = {name: getattr(grant, name) for name in GRANT_COLUMNS}
    row["state"] = grant.state.value
    return row


def grant_from_row(row: Any) -> Grant:
    values = {name: row[name] for name in GRANT_COLUMNS}
    values["state"] = GrantState(row["state"])
    return Grant(**values)


def redemption_to_row(redemption: Redemption) -> dict[str, Any]:
    return {name: getattr(redemption, name) for name in REDEMPTION_COLUMNS}


def redemption_from_row(row: Any) -> Redemption:
    return Redemption(**{name: row[name] for name in REDEMPTION_COLUMNS})


def partner_purchase_to_row(purchase: PartnerPurchase) -> dict[str, Any]:
    return {name: getattr(purchase, name) for name in PURCHASE_COLUMNS}


def partner_purchase_from_row(row: Any) -> PartnerPurchase:
    return PartnerPurchase(**{name: row[name] for name in PURCHASE_COLUMNS})


def entry_to_row(entry: SettlementEntry) -> dict[str, Any]:
    row = {name: getattr(entry, name) for name in ENTRY_COLUMNS}
    row["kind"] = entry.kind.value
    return row


def entry_from_row(row: Any) -> SettlementEntry:
    values = {name: row[name] for name in ENTRY_COLUMNS}
    values["kind"] = EntryKind(row["kind"])
    return SettlementEntry(**values)
