"""The interactions read port: timelines, newest first."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.interactions.model import Channel, Interaction
from domain.shared.paging import Page, PageRequest


@dataclass(frozen=True)
class TimelineFilter:
    channels: tuple[Channel, ...] = ()
    kinds: tuple[str, ...] = ()
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None


class InteractionQueries(Protocol):
    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, Interaction]: ...

    async def timelines(
        self, customer_ids: Sequence[UUID], where: TimelineFilter, page: PageRequest
    ) -> dict[UUID, Page[Interaction]]:
        """One page per customer, all in one round trip."""
        ...
