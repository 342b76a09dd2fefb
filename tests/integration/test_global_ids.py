"""One global-id codec: the ids PostgreSQL builds in a compiled read are the ids Python builds
on the executed path, and both parse back to what they encode."""

import uuid

import pytest
from graphql import GraphQLObjectType, build_schema
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.graphql.schema import export_sdl
from domain.shared.ids import global_id, new_id, parse_global_id
from infrastructure.postgres.compiled.sql import global_id as sql_global_id

NODE_TYPES = sorted(
    name for name, kind in build_schema(export_sdl()).type_map.items()
    if isinstance(kind, GraphQLObjectType) and any(i.name == "Node" for i in kind.interfaces)
)
# From 20 characters on, PostgreSQL's base64 of "TypeName:uuid" has a line break.
LONG_NAMES = ["NineteenLettersLong", "ExactlyTwentyLetters", "TwentyOneLettersLongX",
              "AFarLongerTypeNameThanAnyWeHave", "Zoë"]
UUIDS = [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1), uuid.uuid4(), new_id()]


def test_every_node_type_is_listed() -> None:
    assert {"Customer", "Case", "Interaction", "Purchase"} <= set(NODE_TYPES)


@pytest.mark.parametrize("type_name", [*NODE_TYPES, *LONG_NAMES])
async def test_postgres_and_python_build_the_same_id(engine: AsyncEngine, type_name: str) -> None:
    expression = sql_global_id(type_name, "CAST(:value AS uuid)")
    async with engine.connect() as connection:
        built = [(await connection.execute(text(f"SELECT {expression}"), {"value": value}))
                 .scalar_one() for value in UUIDS]

    assert built == [global_id(type_name, value) for value in UUIDS]
    assert [parse_global_id(one) for one in built] == [(type_name, value) for value in UUIDS]


def test_a_uuid_and_its_text_give_the_same_id() -> None:
    value = new_id()
    assert global_id("Customer", value) == global_id("Customer", str(value))


@pytest.mark.parametrize("given", [
    "", "garbage", "!!!", "Q3VzdG9tZXI=",  # "Customer": no colon, no uuid
    global_id("Customer", uuid.uuid4())[:-2],  # cut short
    "Q3VzdG9tZXI6bm90LWEtdXVpZA==",  # "Customer:not-a-uuid"
    "//46MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",  # not UTF-8 before the colon
    "Customer:00000000-0000-0000-0000-000000000000",  # not base64
])
def test_anything_else_is_no_global_id(given: str) -> None:
    assert parse_global_id(given) is None


def test_a_type_name_with_a_colon_is_refused() -> None:
    with pytest.raises(ValueError, match="colon"):
        global_id("Cus:tomer", uuid.uuid4())
