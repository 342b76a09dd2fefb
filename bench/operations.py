"""The operations the bench measures. To add one: write its baseline read in
`bench/baseline_reads.py` and append an `Operation` to `OPERATIONS`; the runner, the answer
check and the report pick it up from here."""

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench import baseline_reads


@dataclass(frozen=True)
class Dataset:
    """What variables are drawn from: facts about the seeded data, loaded once per run."""

    customer_ids: tuple[str, ...]  # global ids, in a stable order


Variables = dict[str, Any]
VariablesFactory = Callable[[Dataset, random.Random], Variables]
BaselineRead = Callable[[asyncpg.Pool, Variables], Awaitable[bytes]]


@dataclass(frozen=True)
class Operation:
    key: str  # what `--operations` selects, e.g. "a"
    name: str
    document: str  # sent verbatim to both servers; the baseline dispatches on it
    variables: VariablesFactory  # one request's variables; drawn from a seeded generator
    baseline: BaselineRead  # the baseline's hand-written answer to the same request


def no_variables(dataset: Dataset, rng: random.Random) -> Variables:
    return {}


def any_customer(dataset: Dataset, rng: random.Random) -> Variables:
    return {"id": rng.choice(dataset.customer_ids)}


CUSTOMER_BY_ID = """query CustomerById($id: ID!) {
  customer(id: $id) {
    id displayName givenName familyName gender birthDate tags interests createdAt version
  }
}"""

CUSTOMERS_WITH_TIMELINE = """query CustomersWithTimeline {
  customers(first: 50) {
    edges { node {
      id displayName tags
      timeline(first: 5) { edges { node { id channel kind occurredAt summary } } }
    } }
  }
}"""

OPERATIONS: tuple[Operation, ...] = (
    Operation("a", "customer_by_id", CUSTOMER_BY_ID, any_customer,
              baseline_reads.customer_by_id),
    Operation("b", "customers_with_timeline", CUSTOMERS_WITH_TIMELINE, no_variables,
              baseline_reads.customers_with_timeline),
)


def select_operations(keys: str) -> list[Operation]:
    """`"a,b"` → those operations, in the order given; accepts keys or names."""
    by_key = {name: op for op in OPERATIONS for name in (op.key, op.name)}
    wanted = [key.strip() for key in keys.split(",") if key.strip()]
    unknown = [key for key in wanted if key not in by_key]
    if unknown:
        known = ", ".join(f"{op.key} ({op.name})" for op in OPERATIONS)
        raise ValueError(f"unknown operations {unknown}; known: {known}")
    return [by_key[key] for key in wanted]
