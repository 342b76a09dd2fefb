"""Time as a port, so rules about due times and ages can be tested at a fixed instant."""

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...
