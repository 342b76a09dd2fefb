"""Expected failures become `userErrors` in payloads (mutations) or GraphQL errors with a
code (queries); anything else is masked by the HTTP layer."""

from collections.abc import Iterable, Mapping

import strawberry

from domain.shared.errors import ErrorCode, FieldError

# GraphQL enums are the domain's classes themselves, registered under their schema names.
UserErrorCode = ErrorCode
strawberry.enum(UserErrorCode, name="UserErrorCode",
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
    code: UserErrorCode
    message: str

    @classmethod
    def from_domain(cls, error: FieldError, renames: Renames | None = None) -> "UserError":
        path = error.field
        if path and renames and path[0] in renames:
            path = (*renames[path[0]], *path[1:])
        return cls(field=[_camel(part) for part in path] or None, code=error.code,
                   message=error.message)


def user_errors_of(errors: Iterable[FieldError], renames: Renames | None = None,
                   at: tuple[str, ...] = ()) -> list[UserError]:
    """The userErrors of a refusal, their paths under `at` (a batch item's place in the
    input)."""
    user_errors = (UserError.from_domain(e, renames) for e in errors)
    return [UserError(field=[*at, *(e.field or ())] or None, code=e.code, message=e.message)
            for e in user_errors]
