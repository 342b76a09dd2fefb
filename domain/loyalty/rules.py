"""The programme's rules as plain functions: windows and periods, earning, returns, spending
and expiry of lots, tier reviews, member prices. docs/loyalty.md explains them with examples.

Days, months and years are the programme's (`Programme.time_zone`): a calendar year starts
at 00:00 on 1 January there, a campaign day and a birthday month are read there.
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from uuid import UUID

from domain.loyalty.model import (
    DowngradePolicy,
    Membership,
    PointLot,
    Programme,
    PurchaseLine,
    QualificationWindow,
    Tier,
)
from domain.shared.money import smallest_unit

# --- windows and periods -------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (or earlier); the 31st becomes the month's last."""
    month_index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def qualification_start(programme: Programme, at: datetime) -> datetime:
    """Where the window that counts towards her tier at `at` begins."""
    if programme.window is QualificationWindow.CALENDAR_YEAR:
        return _local_midnight(programme, at.astimezone(programme.zone).year, 1)
    return add_months(at, -12)


def last_period_end(programme: Programme, now: datetime) -> datetime:
    """The most recent review date: 1 January (calendar year) or the 1st of the month
    (rolling 12 months), at 00:00 in the programme's time zone."""
    local = now.astimezone(programme.zone)
    if programme.window is QualificationWindow.CALENDAR_YEAR:
        return _local_midnight(programme, local.year, 1)
    return _local_midnight(programme, local.year, local.month)


def period_start(programme: Programme, period_end: datetime) -> datetime:
    """Where the window reviewed at `period_end` began."""
    local = period_end.astimezone(programme.zone)
    if programme.window is QualificationWindow.CALENDAR_YEAR:
        return _local_midnight(programme, local.year - 1, 1)
    return add_months(local, -12).astimezone(UTC)


def _local_midnight(programme: Programme, year: int, month: int) -> datetime:
    """00:00 on the 1st of that month where the programme is, as a UTC instant."""
    return datetime(year, month, 1, tzinfo=programme.zone).astimezone(UTC)


# --- earning ---------------------------------------------------------------------------


def bonus_multiplier(
    programme: Programme, category: str | None, on: date, birthday_month: bool
) -> Decimal:
    """The highest multiplier among the bonus rules matching the line and her birthday month;
    1 when none does. Bonuses don't stack (a birthday in a campaign is not x4)."""
    candidates = [rule.multiplier for rule in programme.bonus_rules if rule.applies(category, on)]
    if birthday_month:
        candidates.append(programme.birthday_multiplier)
    return max([Decimal(1), *candidates])


def line_points(
    programme: Programme, tier: Tier, net: Decimal, category: str | None, on: date,
    birthday_month: bool,
) -> int:
    """Points for one line: net amount * base rate * tier multiplier * bonus, rounded down
    to a whole point per line (so a return of the line reverses exactly what it earned)."""
    if net <= 0:
        return 0
    raw = (net * programme.points_per_unit * tier.earn_multiplier
           * bonus_multiplier(programme, category, on, birthday_month))
    return int(raw.to_integral_value(rounding=ROUND_DOWN))


def is_birthday_month(birth_date: date | None, on: date) -> bool:
    return birth_date is not None and birth_date.month == on.month


# --- returns ----------------------------------------------------------------------------


def refund_share(line: PurchaseLine, quantity: int, currency: str) -> tuple[Decimal, int]:
    """What returning `quantity` more of the line gives back: its share of the net amount
    (rounded half up to the cent) and of the points (rounded down). Shares are computed on
    the cumulative quantity, so returning a line piece by piece gives back exactly what it
    cost and earned, no cent or point more or less."""
    before, after = line.refunded_quantity, line.refunded_quantity + quantity

    def amount_for(returned: int) -> Decimal:
        share = line.net * returned / line.quantity
        return share.quantize(smallest_unit(currency), rounding=ROUND_HALF_UP)

    def points_for(returned: int) -> int:
        return line.points * returned // line.quantity

    return amount_for(after) - amount_for(before), points_for(after) - points_for(before)


# --- lots: spending and expiry -------------------------------------------------------------


def new_lot_points(points: int, balance_before: int) -> int:
    """Of points added to a balance, what goes into a new lot: a negative balance (points
    reversed after they were spent) is paid back first."""
    return max(0, points + min(0, balance_before))


def take_from_lots(
    lots: Sequence[PointLot], points: int, *, first: UUID | None = None
) -> list[PointLot]:
    """Takes `points` from the lots, from lot `first` if given (a return takes back its own
    purchase's points), then oldest first. Changes the lots in place and returns those
    changed. Takes what there is: the caller decides whether a shortfall is allowed."""
    ordered = sorted(lots, key=lambda lot: (lot.entry_id != first, lot.earned_at, lot.entry_id))
    changed = []
    for lot in ordered:
        if points <= 0:
            break
        taken = min(lot.remaining, points)
        if taken > 0:
            lot.remaining -= taken
            points -= taken
            changed.append(lot)
    return changed


def expired_lots(lots: Sequence[PointLot], now: datetime) -> list[PointLot]:
    return [lot for lot in lots
            if lot.remaining > 0 and lot.expires_at is not None and lot.expires_at <= now]


def points_expiring(lots: Sequence[PointLot], now: datetime, until: datetime) -> int:
    return sum(lot.remaining for lot in lots
               if lot.expires_at is not None and now < lot.expires_at <= until)


# --- tiers --------------------------------------------------------------------------------


def higher(programme: Programme, first: UUID, second: UUID) -> UUID:
    return first if programme.tier(first).rank >= programme.tier(second).rank else second


@dataclass(frozen=True)
class Review:
    """What a period close decides for one member."""

    tier_id: UUID
    retained_tier_id: UUID
    downgrade_due_at: datetime | None


def review_at_period_end(
    programme: Programme, membership: Membership, qualified_in_period: Tier,
    qualified_now: Tier, period_end: datetime,
) -> Review:
    """The downgrade policy applied at a period's end.

    - NEVER: she keeps the higher of her tier and what she qualified for, and keeps it.
    - AT_PERIOD_END: her tier becomes what the closed period qualified her for (or what she
      has already qualified for since, if higher); that tier is hers until the next close.
    - GRACE_PERIOD: short of her tier, she keeps it `grace_months` more; `apply_due_grace`
      drops it then unless she re-qualified meanwhile.
    """
    current = membership.tier_id
    earned = higher(programme, qualified_in_period.id, qualified_now.id)
    if programme.downgrade is DowngradePolicy.NEVER:
        kept = higher(programme, current, earned)
        return Review(kept, kept, None)
    if programme.downgrade is DowngradePolicy.AT_PERIOD_END:
        return Review(earned, qualified_in_period.id, None)
    if programme.tier(earned).rank >= programme.tier(current).rank:
        return Review(earned, earned, None)
    due = membership.downgrade_due_at or add_months(period_end, programme.grace_months)
    return Review(current, current, due)


def tier_after_return(programme: Programme, membership: Membership, qualified_now: Tier) -> UUID:
    """A return can undo an upgrade it paid for, but not go below what the last period close
    guaranteed her."""
    return higher(programme, membership.retained_tier_id, qualified_now.id)


# --- member prices ---------------------------------------------------------------------------


def member_discount(amount: Decimal, tier: Tier, currency: str) -> Decimal:
    """The tier's discount on a line's amount, rounded half up to the cent."""
    if amount <= 0 or tier.discount_percent <= 0:
        return Decimal(0).quantize(smallest_unit(currency))
    return (amount * tier.discount_percent / 100).quantize(
        smallest_unit(currency), rounding=ROUND_HALF_UP)
