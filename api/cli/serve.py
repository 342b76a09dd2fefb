"""`rapport serve`: the GraphQL API over HTTP, after the schema check (and the demo data
when asked), on the configured database or the embedded one, which stops with the server."""

import argparse
import dataclasses
import os
from typing import Any

from api.cli.jobs import positive, resolved_database, run_job, say
from infrastructure.bootstrap import Container, seeding
from infrastructure.bootstrap.service import Settings

APP_FACTORY = "api.http.app:create_app_from_environment"


def add_commands(commands: Any) -> None:
    serving = commands.add_parser("serve", help="serve the GraphQL API")
    serving.add_argument("--host", help="interface to listen on (RAPPORT_HOST)")
    serving.add_argument("--port", type=positive, help="port to listen on (RAPPORT_PORT)")
    serving.add_argument("--workers", type=positive, help="processes (RAPPORT_WORKERS)")
    serving.add_argument("--migrate", action="store_true",
                         help="upgrade the database schema to head before serving")
    serving.add_argument("--seed-demo", action="store_true", help="load the demo data first")
    serving.set_defaults(run=serve)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    settings = dataclasses.replace(
        settings,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
    )

    async def prepare(container: Container) -> None:
        if args.seed_demo:
            print(await seeding.seed_demo(container), flush=True)

    try:
        with resolved_database(settings) as resolved:
            run_job(resolved, prepare, migrate=args.migrate or settings.embedded)
            _serve_http(resolved)
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM is how a server is meant to end
    say("rapport stopped")
    return 0


def _serve_http(settings: Settings) -> None:
    import uvicorn

    assert settings.database_url, "resolve the database first"
    # The app (in every worker process) reads its settings from the environment.
    os.environ["RAPPORT_DATABASE_URL"] = settings.database_url
    say(f"serving http://{settings.host}:{settings.port}/graphql  (Ctrl-C stops)")
    # SIGTERM (a pod being replaced): uvicorn stops accepting, lets the requests in flight
    # finish for up to RAPPORT_SHUTDOWN_TIMEOUT seconds, closes what is left, then the
    # app's lifespan closes the pools.
    # No access log: its line quotes the URL, whose query string holds a GET's variables;
    # the app logs one line per request without them (api/http/observation.py).
    uvicorn.run(APP_FACTORY, factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level=settings.log_level.lower(),
                timeout_graceful_shutdown=settings.shutdown_timeout_s, access_log=False)
