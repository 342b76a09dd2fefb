"""An input of scalars made in one step (api/graphql/flat_inputs.py) is the value strawberry
would have made field by field; an input that is not flat is refused where it is declared."""

from decimal import Decimal
from typing import Any

import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.types.scalar import DEFAULT_SCALAR_REGISTRY
from strawberry.types.arguments import convert_argument

from api.graphql.flat_inputs import flat_input
from api.graphql.partners.inputs import GrantRedeemInput


@strawberry.input
class _Redeem:  # GrantRedeemInput as strawberry makes it, field by field
    code: str
    idempotency_key: str
    location: str
    amount: Decimal | None = None


@pytest.mark.parametrize("value", [
    {"code": "7K3M-Q9TX", "idempotencyKey": "till-1", "location": "box office 2"},
    {"code": "7K3M-Q9TX", "idempotencyKey": "till-1", "location": "box office 2",
     "amount": Decimal("60.00")},
    {"code": "7K3M-Q9TX", "idempotencyKey": "till-1", "location": "box office 2",
     "amount": None},
])
def test_a_flat_input_is_what_strawberry_makes_of_the_coerced_value(
    value: dict[str, Any],
) -> None:
    config = StrawberryConfig()

    made = convert_argument(value, GrantRedeemInput, DEFAULT_SCALAR_REGISTRY, config)
    by_strawberry = convert_argument(value, _Redeem, DEFAULT_SCALAR_REGISTRY, config)

    assert isinstance(made, GrantRedeemInput)
    assert vars(made) == vars(by_strawberry)


def test_an_input_with_more_than_scalars_is_refused_where_it_is_declared() -> None:
    @strawberry.input
    class WithAnId:
        offer_id: strawberry.relay.GlobalID

    @strawberry.input
    class Nested:
        inner: _Redeem

    for cls in (WithAnId, Nested):
        with pytest.raises(TypeError, match="is not a built-in scalar"):
            flat_input(cls)
    with pytest.raises(TypeError, match=r"above @strawberry\.input"):
        flat_input(dict)
