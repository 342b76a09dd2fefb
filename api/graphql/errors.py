"""Expected failures become `userErrors` in payloads (mutations) or GraphQL errors with a
code (queries); anything else is masked by the HTTP layer."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import strawberry

from domain.shared.errors import DomainError, ErrorCode, FieldError

P = TypeVar("P")

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode",
                                description="Why an input was refused.")


Renames = Mapping[str, tuple[str, ...]]
"""Where a command's field sits in the mutation's input when the two differ, e.g.
`{"customer_id": ("id",)}`: userErrors point at the input the client sent."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@strawberry.type(description="An expected failure: which input field, why, and a code to act on.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field, from the mutation's input (list indexes as text)."
    )
    code: UserErrorCode  # type: ignore[valid-type]
    message: str

    @classmethod
    def from_domain(cls, error: FieldError, renames: Renames | None = None) -> "UserError":
        path = error.field
        if path and renames and path[0] in renames:
            path = (*renames[path[0]], *path[1:])
        return cls(field=[_camel(part) for part in path] or None, code=error.code,
                   message=error.message)


async def payload_of(
    make: Callable[..., P], attempt: Callable[[], Awaitable[Mapping[str, Any]]],
    renames: Renames | None = None, *, refused_fields: Mapping[str, Any] | None = None,
) -> P:
    """Runs a mutation: the payload with the fields `attempt` gives, or with userErrors (and
    `refused_fields`) when the use case refused."""
    try:
        fields = await attempt()
    except DomainError as error:
        user_errors = [UserError.from_domain(e, renames) for e in error.errors]
        return make(**(refused_fields or {}), user_errors=user_errors)
    return make(**fields, user_errors=[])


async def payload_or_user_errors(
    make: Callable[..., P], result_field: str, attempt: Callable[[], Awaitable[Any]],
    renames: Renames | None = None,
) -> P:
    """Runs a mutation: its result in `result_field`, or userErrors when the use case refused."""
    async def result() -> Mapping[str, Any]:
        return {result_field: await attempt()}

    return await payload_of(make, result, renames, refused_fields={result_field: None})
