"""A rolling upgrade: the new release migrates first (the Helm chart's pre-upgrade hook),
then replaces the pods of the previous one. Until replaced, those keep serving on a schema
ahead of their head, which they do not know: ready, and able to (re)start and run jobs.
Behind head stays refused (tests/e2e/test_http.py, tests/integration/test_cli.py)."""

import httpx
import pytest
from sqlalchemy import text

from api.http.app import create_app
from infrastructure.bootstrap import build_container
from infrastructure.bootstrap.service import job
from infrastructure.migrations import current_revision, head_revision, is_newer_than_head
from infrastructure.migrations import upgrade_to_head as migrate
from infrastructure.postgres.engine import create_engine
from infrastructure.settings import Settings

NEWER = "9999_of_a_newer_release"


@pytest.fixture
async def newer_database_url(empty_database_url: str) -> str:
    """A database a newer release migrated: at a revision this code does not have."""
    engine = create_engine(empty_database_url, pooled=False)
    try:
        await migrate(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = :v"),
                                     {"v": NEWER})
    finally:
        await engine.dispose()
    return empty_database_url


async def test_readyz_is_ready_on_a_schema_a_newer_release_migrated(
    newer_database_url: str
) -> None:
    settings = Settings(database_url=newer_database_url)
    engine = create_engine(newer_database_url, pooled=False)
    try:
        app = create_app(settings, container=build_container(settings, engine))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://rapport") as http:
                response = await http.get("/readyz")
    finally:
        await engine.dispose()
    assert response.status_code == 200
    assert response.json()["schema"] == "ok"


@pytest.mark.parametrize("migrate_first", [False, True])
async def test_a_job_runs_on_a_schema_a_newer_release_migrated_and_leaves_it_as_it_is(
    newer_database_url: str, migrate_first: bool
) -> None:
    told: list[str] = []
    settings = Settings(database_url=newer_database_url)
    async with job(settings, migrate=migrate_first, notify=told.append) as container:
        assert await current_revision(container.engine) == NEWER
    assert "ahead of this release's head" in told[-1]


def test_a_revision_this_release_has_is_not_newer_than_its_head() -> None:
    assert not is_newer_than_head(head_revision())
    assert not is_newer_than_head("0001")


def test_no_revision_at_all_is_behind_not_ahead() -> None:
    assert not is_newer_than_head(None)
