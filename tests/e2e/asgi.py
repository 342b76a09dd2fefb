"""Talking to an app in process: an httpx client over ASGI, with the app's lifespan (its
pools and caches) entered for as long as the client is used."""

import contextlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette


def client_of(app: Starlette) -> httpx.AsyncClient:
    """A client of an app whose lifespan is entered elsewhere."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport")


@contextlib.asynccontextmanager
async def in_process(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app), client_of(app) as http:
        yield http
