"""docs/pipeline.md, run: every example of the pipeline guide, in its order, on the demo
data, answers exactly what the guide shows; and every document it shows is valid."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

from api.graphql.schema import schema
from domain.pipeline.queries import DealFilter
from domain.shared.ids import global_id
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container
from infrastructure.seed.demo import seed_demo
from infrastructure.seed.demo_pipeline import CONTRACT, MEETING, SALES_FLOOR
from tests.e2e.guide import documents, examples, filled, mismatches
from tests.e2e.pipeline_api import uuid

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "pipeline.md"


async def _names(container: Container, client: httpx.AsyncClient) -> dict[str, str]:
    """The guide's `$NAME`s: the sales floor, two of its stages, the gloves' deal, the range."""
    body = (await client.post("/graphql", json={
        "query": "{ pipelines { id code stages { id name } } }"})).json()
    floor = next(p for p in body["data"]["pipelines"] if p["code"] == SALES_FLOOR)
    stages = {stage["name"]: stage["id"] for stage in floor["stages"]}
    deals = await container.queries.pipeline.deals(
        DealFilter(pipeline_id=uuid(floor["id"])), PageRequest(first=50))
    gloves = next(deal for deal in deals.nodes if deal.title.startswith("Leather gloves"))
    today = datetime.now(UTC).date()
    return {"PIPELINE": floor["id"], "MEETING": stages[MEETING], "CONTRACT": stages[CONTRACT],
            "GLOVES": global_id("Deal", gloves.id), "FROM": str(today - timedelta(days=60)),
            "TO": str(today)}


@pytest.mark.usefixtures("db")
async def test_every_example_of_the_pipeline_guide_answers_as_shown(
    container: Container, client: httpx.AsyncClient
) -> None:
    await seed_demo(container)
    names = await _names(container, client)
    ran = 0
    for example in examples(GUIDE.read_text()):
        response = await client.post("/graphql", json={
            "query": example.document, "variables": filled(example.variables, names)})
        assert mismatches(example.answer, response.json()) == [], example.document
        ran += 1
    assert ran == 7  # every example the guide shows


def test_every_document_of_the_pipeline_guide_is_valid() -> None:
    shown = documents(GUIDE.read_text())
    assert len(shown) == 6
    for document in shown:
        assert validate(schema._schema, parse(document)) == [], document
