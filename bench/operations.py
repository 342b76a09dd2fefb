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
    customers_with_open_cases: tuple[str, ...] = ()  # global ids, in a stable order
    member_cards: tuple[str, ...] = ()  # pos-card numbers of loyalty members, stable order


Variables = dict[str, Any]
VariablesFactory = Callable[[Dataset, random.Random], Variables]
BaselineRead = Callable[[asyncpg.Pool, Variables], Awaitable[bytes]]


@dataclass(frozen=True)
class Goal:
    """What Rapport must reach against the baseline, reads and writes alike."""

    throughput_ratio: float | None = None  # req/s ÷ baseline's, at least; None: no target
    p99_ratio: float | None = 1.5  # p99 ÷ baseline's, at most
    statements: float | None = 1  # SQL statements per request, at most
    p99_ms: float | None = None  # p99 itself, at most (writes: a till waits for it)


@dataclass(frozen=True)
class Operation:
    key: str  # what `--operations` selects, e.g. "a"
    name: str
    document: str  # sent verbatim to every server; the baseline dispatches on it
    variables: VariablesFactory  # one request's variables; drawn from a seeded generator
    baseline: BaselineRead  # the baseline's hand-written answer to the same request
    goal: Goal = Goal()


def no_variables(dataset: Dataset, rng: random.Random) -> Variables:
    return {}


def any_customer(dataset: Dataset, rng: random.Random) -> Variables:
    return {"id": rng.choice(dataset.customer_ids)}


def customer_at_the_counter(dataset: Dataset, rng: random.Random) -> Variables:
    """One request in two is for a customer with open cases: they come back to the shop
    more than most, and so the cases part of the answer is measured, not only its empty
    list (and the answer check sees both)."""
    with_cases = dataset.customers_with_open_cases
    ids = with_cases if with_cases and rng.random() < 0.5 else dataset.customer_ids
    return {"id": rng.choice(ids)}


def member_at_the_till(dataset: Dataset, rng: random.Random) -> Variables:
    return {"card": rng.choice(dataset.member_cards)}


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

# What a clerk's tablet shows when a customer walks in: the latest of their history (with
# cursors, to scroll further) and what is still open for them.
CUSTOMER_WITH_TIMELINE_AND_CASES = """query CustomerActivity($id: ID!) {
  customer(id: $id) {
    id displayName
    timeline(first: 20) {
      edges { cursor node { id channel kind occurredAt summary } }
      pageInfo { hasNextPage endCursor }
    }
    cases(status: [OPEN, IN_PROGRESS]) { nodes { id subject status priority dueAt } }
  }
}"""

# What the till shows when a member hands over her card (bench/loyalty_members.py).
POS_MEMBER_SCREEN = """query PosMemberScreen($card: String!) {
  customer(externalRef: {system: "pos-card", value: $card}) {
    id displayName
    loyalty {
      tier { name discountPercent } nextTier { name } spendToNextTier { amount currencyCode }
      pointsBalance pointsExpiringSoon
      ledger(first: 10) { edges { node { id kind points occurredAt reason purchase { orderId } } } }
      tierHistory { fromTier { name } toTier { name } reason occurredAt }
    }
    purchases(first: 5) {
      nodes {
        id orderId channel occurredAt netAmount { amount currencyCode } pointsEarned
        lines { sku name quantity netAmount { amount currencyCode } points }
      }
    }
  }
}"""

# The write benchmark (bench/purchases.py): a till recording a sale that earns points.
PURCHASE_RECORD = """mutation PurchaseRecord($input: PurchaseRecordInput!) {
  purchaseRecord(input: $input) {
    purchase { id pointsEarned }
    replayed
    userErrors { field code message }
  }
}"""

# The partner's counter (bench/redemptions.py), with the partner's own API key: what a
# code is good for and what the member shares, then redeeming it.
GRANT_VALIDATE = """query GrantValidate($code: String!) {
  grantValidate(code: $code) {
    code valid problem expiresAt
    member { firstName tierName }
    offer { id title benefit { kind item } }
  }
}"""

GRANT_REDEEM = """mutation GrantRedeem($input: GrantRedeemInput!) {
  grantRedeem(input: $input) {
    redemption { id location redeemedAt }
    replayed
    userErrors { field code message }
  }
}"""

# A store manager's sales board (bench/pipeline.py): each stage's deals of her store.
PIPELINE_BOARD = """query Board($pipeline: ID!, $store: ID) {
  pipelineBoard(pipelineId: $pipeline, storeId: $store) {
    dealCount amount { amount currencyCode } weightedAmount { amount currencyCode }
    columns {
      stage { id name }
      dealCount amount { amount currencyCode } weightedAmount { amount currencyCode }
      stalledCount
      deals(first: 10) {
        nodes {
          id title amount { amount currencyCode } stageEnteredAt
          customer { id displayName } owner { id name }
        }
        pageInfo { hasNextPage }
      }
    }
  }
}"""

OPERATIONS: tuple[Operation, ...] = (
    Operation("a", "customer_by_id", CUSTOMER_BY_ID, any_customer,
              baseline_reads.customer_by_id, Goal(throughput_ratio=0.8)),
    Operation("b", "customers_with_timeline", CUSTOMERS_WITH_TIMELINE, no_variables,
              baseline_reads.customers_with_timeline, Goal(throughput_ratio=0.6)),
    Operation("c", "customer_with_timeline_and_cases", CUSTOMER_WITH_TIMELINE_AND_CASES,
              customer_at_the_counter, baseline_reads.customer_with_timeline_and_cases),
    Operation("d", "pos_member_screen", POS_MEMBER_SCREEN, member_at_the_till,
              baseline_reads.pos_member_screen, Goal(throughput_ratio=0.8)),
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
