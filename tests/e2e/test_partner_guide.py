"""docs/partners.md, run: every request of the partner guide, in its order, with the real
keys the demo seed gives the cinema and the café, answers exactly what the guide shows.

The guide's blocks are read in order: a ```graphql block is the document of the examples
after it; a ```json block without "data" is its variables; a ```json block with "data" is
the answer of the request before it; a ```bash block that posts with `curl -d '…'` is a
request of its own. `$NAME`s in variables are filled from the run (Lisa's code, the
redemption the guide made), and `<…>` in an answer stands for a value that differs each run.
"""

from pathlib import Path

import httpx
import pytest

from domain.partners.codes import displayed
from domain.partners.model import period_of
from domain.partners.queries import GrantFilter
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container
from infrastructure.postgres.customers_repository import PgCustomerRepository
from infrastructure.seed.demo import CAFE, CINEMA, LISA_OPEN_ID, seed_demo
from tests.e2e.conftest import MovableClock
from tests.e2e.guide import examples, filled, mismatches

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "partners.md"
CAFE_OPERATIONS = ("mutation Earn", "mutation Return")


async def lisas_code(container: Container, clock: MovableClock) -> str:
    async with container.engine.connect() as connection:
        lisa = await PgCustomerRepository(connection).find_by_external_ref(
            LISA_OPEN_ID.system, LISA_OPEN_ID.value)
    assert lisa is not None
    grants = await container.queries.partners.grants_of_customers(
        [lisa], GrantFilter(now=clock.now()), PageRequest(first=10))
    [grant] = grants[lisa].nodes
    return displayed(grant.code)


@pytest.mark.usefixtures("db")
async def test_every_example_of_the_partner_guide_answers_as_shown(
    container: Container, client: httpx.AsyncClient, clock: MovableClock
) -> None:
    keys = dict((await seed_demo(container)).keys)
    names = {"LISA_CODE": await lisas_code(container, clock), "NOW": clock.now().isoformat(),
             "THIS_MONTH": period_of(clock.now())}
    ran = 0
    for example in examples(GUIDE.read_text()):
        partner = CAFE if example.document.lstrip().startswith(CAFE_OPERATIONS) else CINEMA
        response = await client.post(
            "/graphql", json={"query": example.document,
                              "variables": filled(example.variables, names)},
            headers={"Authorization": f"Bearer {keys[partner]}"})
        answer = response.json()
        assert mismatches(example.answer, answer) == [], example.document
        redeemed = (answer["data"].get("grantRedeem") or {}).get("redemption")
        if redeemed and "REDEMPTION_ID" not in names:
            names["REDEMPTION_ID"] = redeemed["id"]
        ran += 1
    assert ran == 11  # every example the guide shows
