"""Expected failures become `userErrors` in payloads (mutations) or GraphQL errors with a
code (queries); anything else is masked by the HTTP layer."""

from collections.abc import Iterable, Mapping, Sequence

import strawberry

from domain.shared.errors import DomainError, ErrorCode, FieldError

# GraphQL enums are the domain's classes themselves, registered under their schema names.
UserErrorCode = ErrorCode
strawberry.enum(UserErrorCode, name="UserErrorCode", description="Why an input was refused.")


Renames = Mapping[str, tuple[str, ...]]
"""Where a command's field sits in the mutation's input when the two differ, e.g.
`{"customer_id": ("id",)}`: userErrors point at the input the client sent. A key may name a
nested field by its path, `"sale.currency"`, for a command nested in another's input; the
longest key that starts the error's path applies."""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def graphql_path(path: Sequence[str]) -> str:
    """An input path as the client wrote it: GraphQL names, list indexes in brackets
    (`lines[2].sku`)."""
    text = ""
    for part in path:
        if part.isdigit():
            text += f"[{part}]"
        else:
            text += f".{_camel(part)}" if text else _camel(part)
    return text


def named(path: Sequence[str], message: str) -> str:
    """A refusal's message, starting with what was refused: `customerId: not a Customer id`.
    Both execution paths and every payload say it this way (messages are for people: code
    acts on `code` and `field`)."""
    return f"{graphql_path(path)}: {message}" if path else message


def refusal_message(error: DomainError) -> str:
    """A refused read's message: each of its errors, named."""
    return "; ".join(named(e.field, e.message) for e in error.errors)


@strawberry.type(description="An expected failure: which input field, why, and a code to act on.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path to the input field, from the mutation's input (list indexes as text)."
    )
    code: UserErrorCode
    message: str

    @classmethod
    def from_domain(cls, error: FieldError, renames: Renames | None = None,
                    at: tuple[str, ...] = ()) -> "UserError":
        path = _renamed(error.field, renames or {})
        path = (*at, *path)
        return cls(field=[_camel(part) for part in path] or None, code=error.code,
                   message=named(path, error.message))


def _renamed(path: tuple[str, ...], renames: Renames) -> tuple[str, ...]:
    for size in range(len(path), 0, -1):
        key = ".".join(path[:size])
        if key in renames:
            return (*renames[key], *path[size:])
    return path


def user_errors_of(errors: Iterable[FieldError], renames: Renames | None = None,
                   at: tuple[str, ...] = ()) -> list[UserError]:
    """The userErrors of a refusal, their paths under `at` (a batch item's place in the
    input)."""
    return [UserError.from_domain(e, renames, at) for e in errors]
