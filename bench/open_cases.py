"""Open cases for operation (c). The bulk seed opens a case for ~2% of customers and settles
most of them, which leaves about one customer in a thousand with anything open: too few for
the clerk's view to show cases. So the bench gives a tenth of the active customers one to
three open or in-progress cases, once per database (later runs find them and add nothing).
The application's seed stays as it is."""

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg

from domain.cases.model import OPEN_STATUSES, CasePriority, CaseStatus, SlaPolicy
from infrastructure.seed.vocabulary import CASE_SUBJECTS

SHARE = 0.10  # of active customers, at least, with open cases
CASES_PER_CUSTOMER = (1, 1, 1, 2, 2, 3)
PRIORITIES = (CasePriority.LOW, CasePriority.NORMAL, CasePriority.NORMAL, CasePriority.HIGH,
              CasePriority.URGENT)
OPENED_WITHIN = timedelta(days=10)
SEED = 4  # fixed: every run opens the same cases, so runs compare
COLUMNS = ("id", "customer_id", "kind", "category", "subject", "channel", "priority", "status",
           "queue", "due_at", "opened_at", "updated_at", "version")
Row = tuple[object, ...]
OPEN = [status.value for status in OPEN_STATUSES]


def _case(customer_id: UUID, rng: random.Random, now: datetime) -> Row:
    kind = rng.choice(sorted(CASE_SUBJECTS))
    category, subject = rng.choice(CASE_SUBJECTS[kind])
    priority = rng.choice(PRIORITIES)
    opened = now - rng.random() * OPENED_WITHIN
    in_progress = rng.random() < 0.45
    status = CaseStatus.IN_PROGRESS if in_progress else CaseStatus.OPEN
    updated = opened + rng.random() * (now - opened) if in_progress else opened
    return (UUID(int=rng.getrandbits(128), version=4), customer_id, kind, category, subject,
            rng.choice(("PHONE", "EMAIL", "WEB", "VISIT")), priority.value, status.value,
            "complaints" if kind == "COMPLAINT" else "default",
            opened + SlaPolicy.default().resolve_within[priority], opened, updated,
            2 if in_progress else 1)


async def _customers_without_open_cases(
    connection: asyncpg.Connection,
) -> tuple[list[UUID], int]:
    """Active customers without open cases (in id order), and how many have some."""
    rows = await connection.fetch(
        "SELECT c.id, EXISTS (SELECT 1 FROM cases k WHERE k.customer_id = c.id"
        " AND k.status = ANY($1::text[])) AS has_open"
        " FROM customers c WHERE c.merged_into_id IS NULL ORDER BY c.id", OPEN)
    without = [row["id"] for row in rows if not row["has_open"]]
    return without, len(rows) - len(without)


async def add_open_cases(url: str) -> None:
    """Tops the share of active customers with open cases up to SHARE; idempotent."""
    connection = await asyncpg.connect(url)
    try:
        without, with_open = await _customers_without_open_cases(connection)
        missing = int(SHARE * (len(without) + with_open)) - with_open
        if missing <= 0:
            return
        print(f"opening cases for {missing:,} customers (once; later runs reuse them)...",
              flush=True)
        rng, now = random.Random(SEED), datetime.now(UTC)
        rows = [_case(customer_id, rng, now)
                for customer_id in rng.sample(without, missing)
                for _ in range(rng.choice(CASES_PER_CUSTOMER))]
        await connection.copy_records_to_table("cases", records=rows, columns=list(COLUMNS))
        await connection.execute("VACUUM ANALYZE cases")
    finally:
        await connection.close()
