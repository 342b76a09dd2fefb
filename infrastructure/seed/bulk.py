"""`seed_bulk`: a large, realistic data set loaded fast with COPY, in one transaction.

Rows stream to the server while later ones are drawn, so on a small machine Python and
PostgreSQL work at the same time. Indexes and foreign keys stay as they are: a bulk seed may
run on a database that already serves, and its timings per table say what indexing costs.
No outbox events are written: seeded history is not news to publish.
"""

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from tqdm import tqdm

from infrastructure.seed.bulk_data import (
    CONTACT_POINTS,
    CUSTOMERS,
    EXTERNAL_REFS,
    HOUSEHOLD_MEMBERS,
    STAFF_COLUMNS,
    STORE_COLUMNS,
    BulkData,
    BulkSpec,
    CaseRow,
    InteractionRow,
    Row,
)

TICK_EVERY = 5_000


@dataclass(frozen=True)
class BulkReport:
    run_tag: str
    rows: dict[str, int]  # table → rows written
    seconds: dict[str, float]  # table → seconds its COPY took; "analyze" too
    total_seconds: float

    def __str__(self) -> str:
        written = ", ".join(f"{count:,} {table}" for table, count in self.rows.items())
        timings = ", ".join(f"{step} {spent:.1f}s" for step, spent in self.seconds.items())
        return (f"bulk seed {self.run_tag}: {written} in {self.total_seconds:.1f}s "
                f"({timings})")


async def seed_bulk(
    url: str,
    *,
    customers: int,
    interactions_per_customer: int = 5,
    stores: int = 20,
    staff: int = 60,
    seed: int = 0,
    progress: bool = True,
    now: datetime | None = None,
) -> BulkReport:
    """Adds `customers` customers with their contact points, household, references,
    `interactions_per_customer` interactions each and cases for about 2% of them, plus their
    stores and staff. The same seed on the same database state gives the same data; `now`
    (default: the current time) anchors it."""
    started = time.perf_counter()
    connection = await asyncpg.connect(url)
    try:
        run_tag = f"b{seed}-{await _rows_present(connection):x}"
        data = BulkData(BulkSpec(
            customers=customers, interactions_per_customer=interactions_per_customer,
            stores=stores, staff=staff, seed=seed, now=now or datetime.now(UTC), run_tag=run_tag,
        ))
        streamed = customers * (1 + interactions_per_customer)
        with tqdm(total=streamed, unit=" rows", unit_scale=True, disable=not progress,
                  desc="bulk seed") as bar:
            copier = _Copier(connection, bar)
            async with connection.transaction():
                await _copy_everything(copier, data)
            await copier.analyze()
        return BulkReport(run_tag, copier.rows, copier.seconds,
                          time.perf_counter() - started)
    finally:
        await connection.close()


async def _copy_everything(copier: "_Copier", data: BulkData) -> None:
    """Parents before children, for the foreign keys; each child list is complete once the
    stream that drew it has ended."""
    await copier.copy_list("stores", STORE_COLUMNS, data.store_rows())
    await copier.copy_list("staff", STAFF_COLUMNS, data.staff_rows())
    await copier.copy_stream("customers", CUSTOMERS.columns, data.customer_rows())
    await copier.copy_list("contact_points", CONTACT_POINTS.columns, data.contact_point_rows)
    await copier.copy_list("household_members", HOUSEHOLD_MEMBERS.columns, data.household_rows)
    await copier.copy_list("external_refs", EXTERNAL_REFS.columns, data.external_ref_rows)
    await copier.copy_stream("interactions", InteractionRow._fields, data.interaction_rows())
    await copier.copy_list("cases", CaseRow._fields, data.case_rows)


async def _rows_present(connection: asyncpg.Connection) -> int:
    """Grows with every run that adds anything, so it tells runs on one database apart."""
    count: int = await connection.fetchval(
        "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM stores)"
        " + (SELECT count(*) FROM staff)"
    )
    return count


class _Copier:
    def __init__(self, connection: asyncpg.Connection, bar: "tqdm[Any]") -> None:
        self._connection = connection
        self._bar = bar
        self.rows: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    async def copy_list(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        self._bar.total = (self._bar.total or 0) + len(rows)
        await self.copy_stream(table, columns, rows)

    async def copy_stream(self, table: str, columns: Sequence[str], rows: Iterable[Row]) -> None:
        started = time.perf_counter()
        counted = _Counted(rows, self._bar)
        await self._connection.copy_records_to_table(
            table, records=counted, columns=list(columns)
        )
        self.rows[table] = counted.count
        self.seconds[table] = time.perf_counter() - started

    async def analyze(self) -> None:
        """Fresh statistics, so the first queries on the new data get good plans."""
        started = time.perf_counter()
        await self._connection.execute(f"ANALYZE {', '.join(self.rows)}")
        self.seconds["analyze"] = time.perf_counter() - started


class _Counted:
    """Passes rows through, counting them and moving the progress bar now and then."""

    def __init__(self, rows: Iterable[Row], bar: "tqdm[Any]") -> None:
        self._rows = rows
        self._bar = bar
        self.count = 0

    def __iter__(self) -> Iterator[Row]:
        pending = 0
        for row in self._rows:
            yield row
            pending += 1
            if pending == TICK_EVERY:
                self._tick(pending)
                pending = 0
        self._tick(pending)

    def _tick(self, rows: int) -> None:
        self.count += rows
        self._bar.update(rows)
