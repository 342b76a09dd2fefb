"""What one context does about another's facts in the same transaction.

A partner's benefit is issued with the purchase that earned it, or not at all: a rolled
back purchase must issue nothing, and a committed one must not lose its grant to a crash
between two transactions. So loyalty raises its events as always (`PurchaseRecorded`,
`LoyaltyTierChanged`…), and before the unit of work commits it hands each event to the
reactions registered for its name, inside the transaction; what they write and emit
commits with it. Loyalty knows nothing of partners: the composition root registers the
reactions (`REACTIONS` in infrastructure/bootstrap), and the contexts stay layered.

A reaction must be idempotent (an event of a replayed write is never raised, but a
reaction may run for a fact it has seen before, e.g. a tier reached again) and cheap when
the event does not concern it: it runs in the writer's transaction, holding its locks.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence

from domain.ports import UnitOfWork
from domain.shared.events import Event

Reaction = Callable[[Event, UnitOfWork], Awaitable[None]]
Reactions = Mapping[str, Sequence[Reaction]]

NO_REACTIONS: Reactions = {}


def combined(*registries: Reactions) -> Reactions:
    """Several contexts' reactions as one registry: to an event that two react to, both
    react, in the order given."""
    every: dict[str, tuple[Reaction, ...]] = {}
    for registry in registries:
        for name, reactions in registry.items():
            every[name] = (*every.get(name, ()), *reactions)
    return every
MAX_ROUNDS = 5  # reactions to reactions' events: a loop is a bug, not a long chain


async def react(uow: UnitOfWork, reactions: Reactions, events: Sequence[Event],
                collect: Callable[[], list[Event]]) -> list[Event]:
    """Every event to commit: `events`, and those the reactions to them raised (`collect`
    gathers what was emitted or raised by aggregates since it was last called)."""
    every, pending = list(events), list(events)
    for _ in range(MAX_ROUNDS):
        for event in pending:
            for reaction in reactions.get(event.name, ()):
                await reaction(event, uow)
        pending = collect()
        if not pending:
            return every
        every += pending
    raise RuntimeError(f"reactions still raising events after {MAX_ROUNDS} rounds")
