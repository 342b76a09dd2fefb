from datetime import UTC, datetime


class SystemClock:
    """The real clock: UTC, timezone-aware."""

    def now(self) -> datetime:
        return datetime.now(UTC)
