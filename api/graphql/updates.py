"""An update's input as the client sent it: the fields it gave, null included (null clears
an optional field), without those it left out (strawberry.UNSET)."""

from typing import Any

import strawberry


def sent(source: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The fields of `names` the client sent in the update input `source`."""
    return {n: getattr(source, n) for n in names if getattr(source, n) is not strawberry.UNSET}
