"""Same answers: whatever a client asks, a compiled read answers exactly what
field-by-field execution answers — the same JSON, keys in the same order, the same ids,
timestamps, enums, nulls, cursors and pageInfo; the same status and errors when refused.

Both paths run over one database: `client` compiles what it can, `executed_client` never
does. Documents are generated from the schema (tests/e2e/selections.py) over a rich data
set (tests/e2e/rich_data.py); the stories of DESIGN.md §1 and refusals are spelt out.
"""

import asyncio
import difflib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta, timezone
from typing import Any

import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, get_named_type
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from api.graphql.permissions import may_compile
from api.graphql.schema import schema
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap import Container
from infrastructure.postgres.compiled.compiler import Statement
from infrastructure.postgres.compiled.reads import PgCompiledReads
from infrastructure.settings import Settings
from tests.conftest import StatementCounter
from tests.e2e.conftest import MovableClock
from tests.e2e.rich_data import RichData, seed_rich_data
from tests.e2e.selections import NOT_COMPILED, Document, Pools, documents

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
GENERATED = 500
SETTLED_AFTER = 10  # polls a millisecond apart that find no connection checked out



@pytest.fixture(name="settings")
def unlimited_settings(settings: Settings) -> Settings:
    """Generated documents go far past the query limits (tests/e2e/test_limits.py): here
    both paths must answer them, so the limits are lifted."""
    return replace(settings, max_query_tokens=10**7,
                   max_query_depth=10**3, max_query_aliases=10**5, max_query_cost=10**12)

@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    compiled: bool


class DuplicateKey(AssertionError):
    pass


def _parsed(text: str) -> Any:
    """JSON with its key order; a key twice in one object is an error, not a last-wins."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise DuplicateKey(f"duplicate keys in {keys}")
        return dict(items)

    return json.loads(text, object_pairs_hook=pairs)


def _canonical(body: Any) -> str:
    """Equal texts: the same keys in the same order, the same values and number types."""
    return json.dumps(body, indent=1)


class BothPaths:
    """Asks each question of the compiled and the executed app and asserts the answers are
    identical; says whether the compiled one came from one compiled statement."""

    def __init__(self, compiled: httpx.AsyncClient, executed: httpx.AsyncClient,
                 compiled_reads: list[str], statement_counter: StatementCounter,
                 engine: AsyncEngine) -> None:
        self._compiled, self._executed = compiled, executed
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool), pool  # counts the connections it lent
        self._pool = pool
        self._compiled_reads = compiled_reads
        self._statements = statement_counter
        self.executed_twice_differently = 0

    async def ask(self, query: str, variables: dict[str, Any] | None = None,
                  operation_name: str | None = None, accept: str = JSON) -> Answer:
        request: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name is not None:
            request["operationName"] = operation_name
        headers = {"accept": accept}
        await self._settled()
        reads = len(self._compiled_reads)
        with self._statements() as statements:
            fast = await self._compiled.post("/graphql", json=request, headers=headers)
        compiled = len(self._compiled_reads) > reads
        slow = await self._executed.post("/graphql", json=request, headers=headers)
        where = f"\nquery:\n{query}\nvariables: {json.dumps(variables, ensure_ascii=False)}"
        assert fast.status_code == slow.status_code, where
        assert fast.headers["content-type"] == slow.headers["content-type"], where
        fast_text, slow_text = _canonical(_parsed(fast.text)), _canonical(_parsed(slow.text))
        if fast_text != slow_text and not compiled:
            slow_text = await self._executed_again(request, headers, fast_text, slow_text)
        if fast_text != slow_text:
            diff = "\n".join(difflib.unified_diff(
                slow_text.splitlines(), fast_text.splitlines(), "executed", "compiled",
                lineterm="", n=2))
            raise AssertionError(f"compiled={compiled}, answers differ:{where}\n{diff}")
        if compiled:
            assert len(statements) == 1, "\n".join(s[:300] for s in statements)
        return Answer(fast.status_code, _parsed(fast.text), compiled)

    async def _settled(self) -> None:
        """Waits for the database work an executed request left running after it answered
        (graphql-core settles the resolvers of a nulled subtree in the background), so that
        the statements counted next are the compiled request's own. Idle for a while, not
        for a moment: a customer's loyalty is loaded in steps (the programme, then the
        membership, then its parts), and between two steps no connection is out."""
        idle = 0
        for _ in range(2000):
            idle = 0 if self._pool.checkedout() else idle + 1
            if idle == SETTLED_AFTER:
                return
            await asyncio.sleep(0.001)
        raise AssertionError("the engine's connections stay checked out")

    async def _executed_again(self, request: dict[str, Any], headers: dict[str, str],
                              wanted: str, first: str) -> str:
        """Both answers were executed field by field, and differ: when several resolvers fail
        under one non-null parent, only the first error to happen is kept, and which is
        first depends on how the DataLoaders' queries interleave. Nothing compiled is at
        stake; the two apps must still be able to give the same answer. Both are asked
        again, as either one may have given the rarer of the possible answers."""
        seen_fast, seen_slow = {wanted}, {first}
        for _ in range(20):
            for app, seen in ((self._executed, seen_slow), (self._compiled, seen_fast)):
                again = await app.post("/graphql", json=request, headers=headers)
                seen.add(_canonical(_parsed(again.text)))
            if seen_fast & seen_slow:
                self.executed_twice_differently += 1
                return wanted
        return first


@pytest.fixture
def both(client: httpx.AsyncClient, executed_client: httpx.AsyncClient,
         statement_counter: StatementCounter, container: Container,
         monkeypatch: pytest.MonkeyPatch) -> BothPaths:
    """Counts compiled reads by wrapping the one port they all go through (on the class, so
    that `statement_counter` still sees them)."""
    reads: list[str] = []
    data_json = PgCompiledReads.data_json

    async def counted(self: PgCompiledReads, statement: Statement) -> bytes:
        reads.append(statement.sql)
        return await data_json(self, statement)

    monkeypatch.setattr(PgCompiledReads, "data_json", counted)
    return BothPaths(client, executed_client, reads, statement_counter, container.engine)


@pytest.fixture
async def rich(container: Container, clock: MovableClock) -> RichData:
    """The data, and then a clock that stands still: a standing is as of the request (its
    qualification window starts twelve months before it), and the two paths answer one
    after the other."""
    data = await seed_rich_data(container, clock)
    instant = clock.now()
    clock.now = lambda: instant  # type: ignore[method-assign]  # a test's clock is told the time
    return data


# Generated documents.

DISCOVER = """
query($sortKey: CustomerSortKey!, $reverse: Boolean!) {
  customers(first: 100, sortKey: $sortKey, reverse: $reverse, filter: {archived: null}) {
    edges { cursor node {
      createdAt updatedAt lastInteractionAt
      timeline(first: 100) { edges { cursor node { occurredAt recordedAt } } }
      cases(first: 100) { edges { cursor node { openedAt dueAt } } }
      purchases(first: 100) { edges { cursor node { occurredAt } } }
      loyalty { ledger(first: 100) { edges { cursor node { recordedAt expiresAt } } } }
      miles: loyalty(programme: "miles") { ledger(first: 100) { edges { cursor } } }
    } }
  }
  cases(first: 100) { edges { cursor } }
}
"""


def _strings_under(body: Any, wanted: Callable[[str], bool]) -> Iterator[str]:
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, str) and wanted(key):
                yield value
            yield from _strings_under(value, wanted)
    elif isinstance(body, list):
        for item in body:
            yield from _strings_under(item, wanted)


async def _pools(both: BothPaths, rich: RichData) -> Pools:
    """Cursors and times from real answers; ids and handles from the seed."""
    cursors: list[str] = []
    moments: list[str] = []
    for sort_key in ("NAME", "CREATED_AT", "LAST_INTERACTION_AT"):
        for reverse in (False, True):
            answer = await both.ask(DISCOVER, {"sortKey": sort_key, "reverse": reverse})
            assert answer.compiled
            assert "errors" not in answer.body
            cursors += _strings_under(answer.body, lambda key: key == "cursor")
            moments += _strings_under(answer.body, lambda key: key.endswith("At"))
    china = timezone(timedelta(hours=8))
    instants = sorted(set(rich.moments))
    moments += [m.isoformat() for m in instants] + [m.astimezone(china).isoformat()
                                                   for m in instants[::3]]
    moments += ["2000-01-01T00:00:00+00:00", "2100-01-01T00:00:00-05:00"]
    emails = [*rich.emails, "  ZOE@Example.com ", "LI.XIUYING@163.COM", "nobody@example.com",
              ""]
    phones = [*rich.phones, "+86-139-5712-0187", "+8613957120187", "abc", "+86 21-5555-0100"]
    return Pools(
        ids=rich.ids,
        cursors=sorted(set(cursors)),
        strings={
            "search": ["li", "LI", "秀英", "zhou", "163.com", "0187", "%", "_", "\\", "O'N",
                       '"Silk', "😀", "", "  ", "nobody", "Customer 0", "张", "zoë"],
            "email": emails, "phone": phones,
            "queue": ["complaints", "returns", "enquiries", "default", "none"],
            "tags": ["vip", "villa-owner", "white-collar", "loves-films", "b2b", "会员",
                     "regular", "films", "nope"],
            "interests": ["gardening", "films", "running", "silk", "nope"],
            "kinds": ["purchase", "visit", "check-in", "follow-up", "call", "pos", "web",
                      "complaint", "social", "gift", "nope"],
            "programme": [*rich.programmes, "nope", ""],
            "code": [*rich.programmes, "nope", ""],
            "*": ["x", "Zoë", ""],
        },
        external_refs=[*rich.external_refs, ("pos-card", "HZ-999999"), ("nope", "nope")],
        moments=sorted(set(moments)),
    )


async def test_compiled_and_executed_answers_are_identical_for_generated_selections(
    both: BothPaths, rich: RichData,
) -> None:
    pools = await _pools(both, rich)
    loop = asyncio.get_running_loop()
    outcomes: list[tuple[Document, Answer]] = []

    def ask(document: Document) -> Answer:
        """From Hypothesis' thread, on the test's event loop (where the app's engine is)."""
        asked = both.ask(document.query, document.variables, document.operation_name)
        return asyncio.run_coroutine_threadsafe(asked, loop).result()

    # No shrinking: each attempt is two requests, and these documents shrink slowly (minutes);
    # a failure shows the whole document and the diff of the two answers instead.
    @settings(max_examples=GENERATED, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(documents(schema._schema, pools))
    def answers_are_the_same(document: Document) -> None:
        answer = ask(document)
        assert answer.status == 200, document
        # Compiled exactly when every argument is accepted; then no errors at all.
        assert answer.compiled == document.compiles, document
        if document.compiles:
            assert "errors" not in answer.body, document
        outcomes.append((document, answer))

    await asyncio.to_thread(answers_are_the_same)

    compiled = sum(answer.compiled for _, answer in outcomes)
    assert len(outcomes) >= GENERATED
    assert compiled >= 0.7 * len(outcomes), (compiled, len(outcomes))
    assert not _missing_variety([document for document, _ in outcomes])
    print(f"{len(outcomes)} generated documents, {compiled} compiled;"
          f" executed twice differently: {both.executed_twice_differently}")


def _missing_variety(generated: list[Document]) -> list[str]:
    """What the generated documents never did: each way of writing a selection, every
    compiled root field, argument and input field, the values of short enums."""
    text = "\n".join(d.query + json.dumps(d.variables) for d in generated)
    wanted = ["fragment ", "... on ", "... {", "...F", "@skip(if: $", "@include(if: $",
              "@skip(if: true)", "@include(if: false)", "__typename", " = ", "query Other"]
    query = schema._schema.query_type
    assert query is not None
    wanted += [name for name in query.fields if ("Query", name) not in NOT_COMPILED]
    for type_name in ("Query", "Customer"):
        parent = schema._schema.type_map[type_name]
        assert isinstance(parent, GraphQLObjectType)
        for name, field in parent.fields.items():
            if (type_name, name) not in NOT_COMPILED:
                for argument_name, argument in field.args.items():
                    wanted += [f"{argument_name}:", *_inputs(argument.type)]
    return [w for w in dict.fromkeys(wanted) if w not in text]


def _inputs(type_: Any) -> list[str]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLEnumType):  # short ones: each value is sure to come up
        return list(named.values) if len(named.values) <= 4 else []
    if isinstance(named, GraphQLInputObjectType):
        return [part for name, field in named.fields.items()
                for part in (f"{name}", *_inputs(field.type))]
    return []


# The stories of DESIGN.md §1, as the front ends ask them.

MRS_LI = """
query($email: String!, $phone: String!) {
  byCard: customer(externalRef: {system: "pos-card", value: "HZ-000187"}) {
    id displayName gender birthDate interests preferences tags customAttributes
    homeStore { code name city } owner { name email store { code } }
    household { name relationship birthDate importantDates { occasion date label } }
    contactPoints { kind value label verified consents { purpose granted recordedAt } }
    visits: timeline(first: 10, filter: {channels: [POS]}) {
      edges { cursor node { occurredAt kind summary payload store { code } staff { name } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
  byEmail: customer(email: $email) { id }
  byPhone: customer(phone: $phone) { id }
}
"""

LISA = """
{
  customer(externalRef: {system: "wechat", value: "oLisa9Zr3kT2mQ8vX1pN4dY7wH0e"}) {
    displayName tags interests
    checkIns: timeline(first: 5, filter: {channels: [CHECK_IN]}) {
      nodes { channel kind occurredAt place geo { latitude longitude } store { code } payload }
    }
    purchases: timeline(filter: {kinds: ["purchase"]}) { nodes { summary payload } }
  }
}
"""

COMPLAINT = """
query($customer: ID!) {
  cases(filter: {customerId: $customer, status: [RESOLVED]}) {
    nodes {
      id kind subject category priority status queue overdue openedAt resolvedAt followUpAt
      resolutionNote owner { name } store { code } customer { displayName }
      originInteraction { channel kind summary case { id } }
    }
  }
  routed: caseRoutingRules { queue kind owner { name } }
}
"""

MERGED_DUPLICATE = """
query($duplicate: ID!) {
  customer(id: $duplicate) {
    id displayName externalRefs { system value } contactPoints { kind value }
    timeline { nodes { kind summary customer { id } } }
    cases { nodes { subject customer { id } } }
  }
}
"""


async def test_the_stories_are_compiled_and_answered_as_executed(
    both: BothPaths, rich: RichData,
) -> None:
    li = await both.ask(MRS_LI, {"email": "Li.Xiuying@163.com", "phone": "+86-139-5712-0187"})
    lisa = await both.ask(LISA)
    complaint = await both.ask(COMPLAINT, {"customer": rich.li})
    merged = await both.ask(MERGED_DUPLICATE, {"duplicate": next(
        duplicate for duplicate, survivor in rich.merged.items() if survivor == rich.lisa)})

    assert all(a.compiled and "errors" not in a.body for a in (li, lisa, complaint, merged))
    her = li.body["data"]["byCard"]
    assert (her["id"], her["displayName"], her["interests"]) == (
        rich.li, "李秀英 Mrs. Li", ["gardening"])
    assert li.body["data"]["byEmail"] == li.body["data"]["byPhone"] == {"id": rich.li}
    assert "Family trip to Sanya" in [d["label"] for m in her["household"]
                                      for d in m["importantDates"]]
    # Her till visits: the demo's purchases, and the return the loyalty demo records.
    assert {n["node"]["kind"] for n in her["visits"]["edges"]} == {"purchase", "return"}
    she = lisa.body["data"]["customer"]
    assert she["tags"] == ["white-collar", "loves-films"]
    (check_in,) = she["checkIns"]["nodes"]
    assert (check_in["place"], check_in["geo"]) == (
        "Jing'an Temple counter", {"latitude": 31.2231, "longitude": 121.4454})
    (case,) = complaint.body["data"]["cases"]["nodes"]
    assert (case["id"], case["owner"], case["queue"]) == (
        rich.complaint, {"name": "Zhou Min 周敏"}, "complaints")
    assert case["followUpAt"]
    assert case["originInteraction"]["kind"] == "complaint"
    survivor = merged.body["data"]["customer"]
    assert survivor["id"] == rich.lisa
    assert ["shop", "u-42"] in [[r["system"], r["value"]] for r in survivor["externalRefs"]]


# Refusals: the compiled path falls back, and both answer with the same errors.

REFUSED: list[tuple[str, str, dict[str, Any]]] = [
    ("a variable of the wrong type",
     "query($first: Int) { customers(first: $first) { totalCount } }", {"first": "ten"}),
    ("a required variable missing", "query($id: ID!) { customer(id: $id) { id } }", {}),
    ("a variable that is not a value of its enum",
     "query($s: CustomerSortKey!) { customers(sortKey: $s) { totalCount } }", {"s": "AGE"}),
    ("a cursor that is not one", '{ customers(after: "not-a-cursor") { totalCount } }', {}),
    ("a forged cursor", '{ cases(after: "WyJ4IiwgNV0=") { nodes { id } } }', {}),
    ("a cursor of another sort",
     "query($c: String) { customers(sortKey: CREATED_AT, after: $c) { nodes { id } } }",
     {"c": "WyJaaGFuZyIsICIwMWEyMDg0Yi1jNGViLTc3MzAtYjg0OS01NjJlZGE5ZWJjNWMiXQ=="}),
    ("a page too large", "{ customers(first: 101) { nodes { id } } }", {}),
    ("a negative page", "query($n: Int) { cases(last: $n) { nodes { id } } }", {"n": -1}),
    ("first and last together", "{ cases(first: 2, last: 2) { nodes { id } } }", {}),
    ("a customer by two handles",
     '{ customer(email: "li.xiuying@163.com", phone: "+86 139 5712 0187") { id } }', {}),
    ("a customer by no handle", "{ customer { id } }", {}),
    ("a filter naming an id of another type",
     'query($id: ID) { customers(filter: {ownerId: $id}) { totalCount } }',
     {"id": "U3RvcmU6MDFhMjA4NGItYzI4NS03OWE5LTk4NGMtNmY0NzBkMTdkMWFl"}),
    ("a nested page too large",
     '{ customer(externalRef: {system: "pos-card", value: "HZ-000187"})'
     " { displayName timeline(first: 500) { nodes { id } } } }", {}),
    ("a syntax error", "{ customers { nodes { id } }", {}),
    ("a field that does not exist", "{ customers { nodes { shoeSize } } }", {}),
    ("conflicting arguments under one key",
     "{ customers(first: 1) { totalCount } customers(first: 2) { totalCount } }", {}),
]


async def test_refused_requests_get_the_same_status_and_errors_on_both_paths(
    both: BothPaths, rich: RichData,
) -> None:
    for accept in (JSON, GRAPHQL_RESPONSE):
        for why, query, variables in REFUSED:
            answer = await both.ask(query, variables, accept=accept)
            assert not answer.compiled, why
            assert answer.body["errors"], why


# Cursors: every page of every order, forwards and backwards.

PAGE = """
query($first: Int, $after: String, $last: Int, $before: String,
      $sortKey: CustomerSortKey!, $reverse: Boolean!) {
  customers(first: $first, after: $after, last: $last, before: $before, sortKey: $sortKey,
            reverse: $reverse, filter: {archived: null}) {
    totalCount
    edges { cursor node { displayName createdAt lastInteractionAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

NESTED_PAGE = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  customer(id: $id) {
    timeline(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { occurredAt channel } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
    cases(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { openedAt subject } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


async def _walk(both: BothPaths, query: str, variables: dict[str, Any],
                connection: Callable[[Any], Any], backwards: bool) -> int:
    """Follows a connection to its end, three at a time; the number of pages."""
    pages, cursor = 0, None
    while True:
        page = ({"last": 3, "before": cursor} if backwards
                else {"first": 3, "after": cursor})
        answer = await both.ask(query, {**variables, **page})
        assert answer.compiled
        assert "errors" not in answer.body
        pages += 1
        info = connection(answer.body["data"])["pageInfo"]
        more = info["hasPreviousPage"] if backwards else info["hasNextPage"]
        if not more:
            return pages
        cursor = info["startCursor"] if backwards else info["endCursor"]


async def test_paging_every_order_both_ways_gives_the_same_pages_and_cursors(
    both: BothPaths, rich: RichData,
) -> None:
    for sort_key in ("NAME", "CREATED_AT", "LAST_INTERACTION_AT"):
        for reverse in (False, True):
            for backwards in (False, True):
                pages = await _walk(both, PAGE, {"sortKey": sort_key, "reverse": reverse},
                                    lambda data: data["customers"], backwards)
                assert pages == -(-len(rich.ids["Customer"][:-2]) // 3)  # all but 2 merged
    for customer in rich.ids["Customer"]:  # merged ones too: their id gives the survivor
        for backwards in (False, True):
            await _walk(both, NESTED_PAGE, {"id": customer},
                        lambda data: data["customer"]["timeline"], backwards)


async def test_an_error_in_one_subtree_leaves_the_objects_it_shares_answered_elsewhere(
    both: BothPaths, rich: RichData,
) -> None:
    """Both subtrees load the same owner; the bad cursor nulls the first while the owner is
    still loading (this used to fail the whole request now and then: CancelledError)."""
    query = """query($id: ID!) {
      a: customer(id: $id) { owner { name } timeline(after: "W10=") { nodes { id } } }
      b: customer(id: $id) { owner { name } }
    }"""
    for _ in range(10):
        answer = await both.ask(query, {"id": rich.li})
        assert answer.body["data"] == {"a": None, "b": {"owner": {"name": "Wang Fang 王芳"}}}


# Loyalty: a member's standing as of the request, her ledger and purchases.

MONEY = "{ amount currencyCode }"

# What the till shows when a member hands over her card.
POS_MEMBER_SCREEN = f"""
query PosMemberScreen($system: String!, $value: String!) {{
  customer(externalRef: {{system: $system, value: $value}}) {{
    id displayName
    loyalty {{
      tier {{ name discountPercent }} nextTier {{ name }} spendToNextTier {MONEY}
      pointsBalance pointsExpiringSoon
      ledger(first: 10) {{
        edges {{ cursor node {{ id kind points occurredAt reason expiresAt
                                 purchase {{ orderId }} }} }}
        pageInfo {{ hasNextPage endCursor }}
      }}
      tierHistory {{ fromTier {{ name }} toTier {{ name }} reason occurredAt actor note }}
    }}
    purchases(first: 5) {{
      nodes {{
        id orderId channel occurredAt pointsEarned paymentTotal {MONEY} netAmount {MONEY}
        refundedAmount {MONEY}
        lines {{ lineNo sku name quantity unitPrice {MONEY} discount {MONEY}
                netAmount {MONEY} points refundedQuantity }}
        refunds {{ refundRef amount {MONEY} points }}
      }}
    }}
  }}
}}
"""

TIER = "{ code name rank threshold discountPercent earnMultiplier perks perkDetails { text } }"
PROGRAMME = f"""{{
  id code name currencyCode measure qualificationWindow downgradePolicy graceMonths
  pointsPerUnit birthdayMultiplier pointsExpireAfterMonths pointValue {MONEY} timeZone
  version tiers {TIER} bonusRules {{ name multiplier category startsOn endsOn }}
  rewards {{ code name pointsCost description active }} __typename
}}"""
PURCHASE = f"""{{
  id channel orderId occurredAt recordedAt pointsEarned paymentTotal {MONEY}
  netAmount {MONEY} refundedAmount {MONEY}
  lines {{ lineNo sku name category quantity unitPrice {MONEY} discount {MONEY}
          margin {MONEY} netAmount {MONEY} points refundedQuantity }}
  refunds {{ id refundRef occurredAt recordedAt amount {MONEY} points
            lines {{ lineNo quantity amount {MONEY} points }} }}
  customer {{ id }} store {{ code }}
}}"""
ENTRY = f"""id kind points occurredAt recordedAt actor reason expiresAt orderRef
  moneyValue {MONEY} purchase {{ orderId }} reward {{ code active }}
  reverses {{ id kind points reverses {{ id }} }}"""

MEMBER = f"""
query Member($id: ID!, $programme: String, $days: Int!) {{
  customer(id: $id) {{
    id
    loyalty(programme: $programme) {{
      programme {PROGRAMME}
      tier {TIER} earnedTier {{ code }} nextTier {TIER}
      spendToNextTier {MONEY} pointsToNextTier qualifyingSpend {MONEY} qualifyingPoints
      qualificationWindowStart pointsBalance pointsExpiringSoon
      soon: pointsExpiringSoon(withinDays: $days) never: pointsExpiringSoon(withinDays: 0)
      tierOverride {{ tier {{ code }} reason setBy setAt expiresAt }}
      downgradeDueAt memberSince
      ledger {{ edges {{ cursor node {{ {ENTRY} }} }}
               pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }}
      tierHistory {{ fromTier {{ code }} toTier {TIER} reason occurredAt actor note }}
      __typename
    }}
    purchases {{ totalCount: __typename nodes {PURCHASE}
                pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} }}
  }}
}}
"""

PROGRAMMES = f"""
query Programmes($code: String) {{
  named: loyaltyProgramme(code: $code) {PROGRAMME}
  default: loyaltyProgramme {{ code }}
}}
"""

LEDGER_PAGE = f"""
query($id: ID!, $programme: String, $first: Int, $after: String, $last: Int,
      $before: String) {{
  customer(id: $id) {{
    loyalty(programme: $programme) {{
      ledger(first: $first, after: $after, last: $last, before: $before) {{
        edges {{ cursor node {{ {ENTRY} }} }}
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      }}
    }}
  }}
}}
"""

PURCHASES_PAGE = f"""
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {{
  customer(id: $id) {{
    purchases(first: $first, after: $after, last: $last, before: $before) {{
      edges {{ cursor node {PURCHASE} }}
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    }}
  }}
}}
"""


async def test_the_pos_member_screen_is_one_statement_answered_as_executed(
    both: BothPaths, rich: RichData,
) -> None:
    for system, value in rich.external_refs:
        answer = await both.ask(POS_MEMBER_SCREEN, {"system": system, "value": value})
        assert answer.compiled, (system, value)
        assert "errors" not in answer.body, (system, value)
    li = (await both.ask(POS_MEMBER_SCREEN, {"system": "pos-card", "value": "HZ-000187"})
          ).body["data"]["customer"]
    assert li["loyalty"]["tier"]["name"] == "Silver"
    assert li["loyalty"]["spendToNextTier"]["currencyCode"] == "CNY"
    assert li["purchases"]["nodes"][0]["lines"]
    assert any(p["refunds"] for p in li["purchases"]["nodes"])


CARD_LOOKUP = """query($card: String!) {
  customer(externalRef: {system: "pos-card", value: $card}) { id displayName }
}"""
# A nullable variable with a default may stand where null may not: an explicit null is
# refused then, when the argument is read.
LI_BY_DEFAULT = CARD_LOOKUP.replace("$card: String!", '$card: String = "HZ-000187"')


async def test_an_input_object_of_a_literal_and_a_variable_compiles_and_reads_as_executed(
    both: BothPaths, rich: RichData,
) -> None:
    found = await both.ask(CARD_LOOKUP, {"card": "HZ-000187"})
    unknown = await both.ask(CARD_LOOKUP, {"card": "HZ-999999"})
    by_default = await both.ask(LI_BY_DEFAULT, {})

    assert (found.compiled, unknown.compiled, by_default.compiled) == (True, True, True)
    assert found.body["data"]["customer"]["id"] == rich.li
    assert by_default.body == found.body
    assert unknown.body["data"]["customer"] is None


async def test_a_null_for_an_input_object_field_that_may_not_be_null_is_refused_as_executed(
    both: BothPaths,
) -> None:
    answer = await both.ask(LI_BY_DEFAULT, {"card": None})

    assert not answer.compiled
    assert answer.body["data"] == {"customer": None}
    assert [e["path"] for e in answer.body["errors"]] == [["customer"]]


async def test_every_member_standing_ledger_and_purchase_is_answered_as_executed(
    both: BothPaths, rich: RichData,
) -> None:
    seen: dict[str, set[Any]] = {"kinds": set(), "override": set(), "next": set(),
                                 "expiring": set(), "money": set()}
    for customer in rich.ids["Customer"]:
        for programme in (None, *rich.programmes, "nope"):
            for days in (1, 30, 3660):
                answer = await both.ask(MEMBER, {"id": customer, "programme": programme,
                                                 "days": days})
                assert answer.compiled
                assert "errors" not in answer.body
                membership = (answer.body["data"]["customer"] or {}).get("loyalty")
                if membership:
                    seen["kinds"] |= {e["node"]["kind"] for e in membership["ledger"]["edges"]}
                    seen["override"].add(membership["tierOverride"] is not None)
                    seen["next"].add(membership["nextTier"] is not None)
                    seen["expiring"].add(membership["soon"] > 0)
                    seen["money"] |= {e["node"]["moneyValue"]["amount"]
                                      for e in membership["ledger"]["edges"]
                                      if e["node"]["moneyValue"]}
    # The data set has what the comparison needs to mean something.
    assert seen["kinds"] == {"EARN", "REDEEM", "EXPIRE", "ADJUST", "REVERSE"}, seen
    assert seen["override"] == seen["next"] == seen["expiring"] == {True, False}, seen
    assert seen["money"], seen
    for code in (None, *rich.programmes, "nope", ""):
        answer = await both.ask(PROGRAMMES, {"code": code})
        assert answer.compiled
        assert "errors" not in answer.body


async def test_paging_ledgers_and_purchases_both_ways_gives_the_same_pages(
    both: BothPaths, rich: RichData,
) -> None:
    for customer in rich.ids["Customer"]:
        for backwards in (False, True):
            for programme in rich.programmes:
                await _walk(both, LEDGER_PAGE, {"id": customer, "programme": programme},
                            lambda data: (data["customer"]["loyalty"]
                                          or {"ledger": {"pageInfo": {
                                              "hasNextPage": False,
                                              "hasPreviousPage": False}}})["ledger"],
                            backwards)
            await _walk(both, PURCHASES_PAGE, {"id": customer},
                        lambda data: data["customer"]["purchases"], backwards)


async def test_a_refused_loyalty_argument_is_executed_with_its_error(
    both: BothPaths, rich: RichData,
) -> None:
    answer = await both.ask(
        "query($id: ID!) { customer(id: $id) { loyalty { pointsBalance } } }",
        {"id": rich.li})
    assert answer.compiled
    for days in (-1, 3661):
        refused = await both.ask(
            "query($id: ID!, $days: Int!) { customer(id: $id) {"
            " loyalty { pointsExpiringSoon(withinDays: $days) } } }",
            {"id": rich.li, "days": days})
        assert not refused.compiled
        assert refused.body["errors"]


def test_only_a_viewer_who_may_read_loyalty_has_it_compiled() -> None:
    """Customer.loyalty and Customer.purchases check the role below the root; the compiled
    path leaves them to that check for anyone else."""
    root = frozenset({"loyaltyProgramme"})
    fields = frozenset({("Query", "loyaltyProgramme"), ("Customer", "loyalty")})
    assert may_compile(Viewer(Role.STAFF, "staff"), root, fields)
    for role in (Role.ANALYTICS, Role.PARTNER):
        assert not may_compile(Viewer(role, "them"), root, fields)
        assert may_compile(Viewer(role, "them"), root, frozenset({("Query", "loyaltyProgramme")}))


SALES_BOARD = f"""
query($pipeline: ID!, $store: ID, $owner: ID, $first: Int, $after: String) {{
  pipelineBoard(pipelineId: $pipeline, storeId: $store, ownerId: $owner) {{
    dealCount amount {MONEY} weightedAmount {MONEY}
    pipeline {{ id code name currencyCode allowSkips version createdAt updatedAt }}
    columns {{
      stage {{ id name position kind probability slaDays retiredAt pipeline {{ code }} }}
      dealCount amount {MONEY} weightedAmount {MONEY} stalledCount
      deals(first: $first, after: $after) {{
        edges {{ cursor node {{
          id title status lostReason expectedCloseOn openedAt stageEnteredAt closedAt
          updatedAt version amount {MONEY}
          customer {{ id displayName }} owner {{ id name }} store {{ code }} stage {{ name }}
        }} }}
        pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      }}
    }}
  }}
}}
"""


async def test_the_sales_board_is_one_statement_answered_as_executed(
    both: BothPaths, rich: RichData,
) -> None:
    [pipeline] = rich.ids["Pipeline"]
    for store in (None, *rich.ids["Store"]):
        for owner in (None, *rich.ids["Staff"][:3]):
            answer = await both.ask(SALES_BOARD, {"pipeline": pipeline, "store": store,
                                                  "owner": owner, "first": 1})
            assert answer.compiled
            assert "errors" not in answer.body
    whole = (await both.ask(SALES_BOARD, {"pipeline": pipeline})).body["data"]["pipelineBoard"]
    assert whole["dealCount"] == 6
    for column in whole["columns"]:  # each column paged on from its first deal
        first = (await both.ask(SALES_BOARD, {"pipeline": pipeline, "first": 1}))
        cursor = next(c for c in first.body["data"]["pipelineBoard"]["columns"]
                      if c["stage"]["id"] == column["stage"]["id"])["deals"]["pageInfo"]
        answer = await both.ask(SALES_BOARD, {"pipeline": pipeline, "first": 1,
                                              "after": cursor["endCursor"]})
        assert answer.compiled
