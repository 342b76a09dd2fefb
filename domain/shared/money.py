"""Money: a Decimal amount and an ISO 4217 currency, never a float (DESIGN.md §4)."""

import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from domain.shared.errors import ErrorCode
from domain.shared.validation import Problems

_CURRENCY = re.compile(r"^[A-Z]{3}$")
# Currencies whose smallest unit is not the hundredth (ISO 4217); the rest use 2 decimals.
MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3,
                "JOD": 3, "OMR": 3, "TND": 3}
MAX_AMOUNT = Decimal("1000000000")


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


def smallest_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def in_units(amount: Decimal, currency: str) -> Decimal:
    """`amount` with its currency's decimals (4800 CNY is 4800.00); an amount finer than
    that (a point's value) keeps its own."""
    unit = smallest_unit(currency)
    return amount.quantize(unit) if amount == amount.quantize(unit) else amount


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as events, timelines, exports and the API write it: fixed point with its
    currency's decimals ("1000.00"). `str()` would keep a till's "1E+3" as it came."""
    return format(in_units(amount, currency), "f")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(Decimal(0).quantize(smallest_unit(currency)), currency)

    @classmethod
    def rounded(cls, amount: Decimal, currency: str, *, down: bool = False) -> "Money":
        """`amount` to the currency's smallest unit: half up, or down (what a customer is
        credited for points is never rounded in her favour by accident)."""
        rounding = ROUND_DOWN if down else ROUND_HALF_UP
        return cls(amount.quantize(smallest_unit(currency), rounding=rounding), currency)


def check_currency(problems: Problems, field: tuple[str, ...], currency: str) -> str:
    cleaned = currency.strip().upper()
    if not _CURRENCY.match(cleaned):
        problems.add(field, ErrorCode.INVALID, "not an ISO 4217 code such as CNY or EUR")
    return cleaned


def check_amount(
    problems: Problems, field: tuple[str, ...], amount: Decimal, currency: str, *,
    positive: bool = False,
) -> None:
    """An amount a till can pay: finite, not negative (or positive), in the currency's
    smallest unit (no fractions of a cent), below a billion."""
    if not amount.is_finite():
        problems.add(field, ErrorCode.INVALID, "must be a number")
        return
    if amount < 0 or (positive and amount == 0):
        problems.add(field, ErrorCode.INVALID,
                     "must be more than zero" if positive else "must not be negative")
    elif amount >= MAX_AMOUNT:
        problems.add(field, ErrorCode.TOO_LARGE, "must be less than 1,000,000,000")
    elif _CURRENCY.match(currency) and amount != amount.quantize(smallest_unit(currency)):
        problems.add(field, ErrorCode.INVALID,
                     f"{currency} has {minor_units(currency)} decimals at most")
