"""The query service of compiled reads: runs their statements."""

from sqlalchemy.ext.asyncio import AsyncEngine

from infrastructure.postgres.compiled.compiler import Statement
from infrastructure.postgres.reading import fetch_value


class PgCompiledReads:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def data_json(self, statement: Statement) -> str:
        """The `data` object of the answer, as JSON text built by Postgres."""
        text: str = await fetch_value(self._engine, statement.sql, statement.parameters)
        return text
