from typing import Protocol
from uuid import UUID

from domain.interactions.model import Interaction


class InteractionRepository(Protocol):
    async def get(self, interaction_id: UUID) -> Interaction | None: ...

    async def add(self, interaction: Interaction) -> None:
        """Appends it and moves the customer's last-interaction time forward if it is newer."""
        ...

    async def move_to_customer(self, from_id: UUID, to_id: UUID) -> None: ...

    async def of_customer(self, customer_id: UUID) -> list[Interaction]:
        """Every interaction of the customer, oldest first."""
        ...
