"""Decimals and money as the API shows them (DESIGN.md §4): amounts travel as strings,
never floats, and money is `{amount currencyCode}`."""

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

import strawberry
from strawberry.types.scalar import ScalarDefinition

from domain.shared.errors import DomainError, ErrorCode
from domain.shared.money import in_units

NOT_A_NUMBER = Decimal("NaN")


def _parse_decimal(value: object) -> Decimal:
    """A string (or an integer) as a Decimal. Text that is no number becomes NaN, so that
    the mutation reports it as a userError on its field (see `decimal_of`) instead of the
    whole request failing; a JSON float is refused: it has already lost digits."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("send a decimal as a string, such as \"12.50\"")
    try:
        return Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        return NOT_A_NUMBER


# The schema's scalars (api/graphql/schema.py): `Decimal` in a type or input is this one.
SCALARS: Mapping[object, ScalarDefinition] = {
    Decimal: strawberry.scalar(
        name="Decimal",
        description="A decimal number as a string (\"1280.00\"), never a float.",
        serialize=lambda value: format(value, "f"),  # "20000", never "2E+4"
        parse_value=_parse_decimal,
    ),
}


def decimal_of(value: Decimal, field: tuple[str, ...]) -> Decimal:
    """An input decimal, or a userError at `field` when it was no number."""
    if not value.is_finite():
        raise DomainError.single(field, ErrorCode.INVALID,
                                 "not a number: send a decimal such as \"12.50\"")
    return value


def optional_decimal_of(value: Decimal | None, field: tuple[str, ...]) -> Decimal | None:
    return None if value is None else decimal_of(value, field)


@strawberry.type(name="Money", description="An amount in a currency.")
class MoneyType:
    amount: Decimal = strawberry.field(
        description="In the currency's smallest unit at least (\"4800.00\" CNY, \"500\" JPY)."
    )
    currency_code: str = strawberry.field(description="ISO 4217, such as CNY.")

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> "MoneyType":
        """Shown with the currency's decimals (4800 CNY is "4800.00"); an amount finer than
        that (a point's value) keeps its own."""
        return cls(amount=in_units(amount, currency), currency_code=currency)

    @classmethod
    def maybe(cls, amount: Decimal | None, currency: str) -> "MoneyType | None":
        return None if amount is None else cls.of(amount, currency)
