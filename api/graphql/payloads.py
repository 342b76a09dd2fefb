"""Running a mutation: the one way a resolver turns a use case call into its payload.

Payloads are plain strawberry classes, `<Mutation>Payload { <result> userErrors }`, one named
type per mutation so each can grow on its own. A resolver gives `mutation_payload` the typed
use case, how to make its command, how to answer with its result, and the payload to refuse
with; mypy checks that the four agree.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, cast

from api.graphql.context import Info
from api.graphql.errors import Renames, UserError, user_errors_of
from domain.shared.errors import DomainError
from infrastructure.bootstrap import UseCase

C = TypeVar("C")
R = TypeVar("R")
P = TypeVar("P")
P_out = TypeVar("P_out", covariant=True)


class Refused(Protocol[P_out]):
    """A payload made with userErrors alone: every payload class, whose result fields
    default to null."""

    def __call__(self, *, user_errors: list[UserError]) -> P_out: ...


async def mutation_payload(
    info: Info,
    use_case: UseCase[C, R],
    command: Callable[[], C],
    answer: Callable[[R], P | Awaitable[P]],
    refused: Refused[P],
    renames: Renames | None = None,
) -> P:
    """Runs `use_case` on `command()` and answers with its result; a `DomainError`, from
    reading the input or from the use case, becomes the payload's userErrors. After a write,
    the request's loaders are forgotten: a document can hold several mutations, each
    answering with what it changed, not what an earlier one cached."""
    try:
        result = await use_case(command())
    except DomainError as error:
        return refused(user_errors=user_errors_of(error.errors, renames))
    info.context.forget_reads()
    answered = answer(result)
    if inspect.isawaitable(answered):
        return cast(P, await answered)  # an async answer's value: P, as `answer` is typed
    return answered
