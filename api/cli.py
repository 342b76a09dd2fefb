"""The `rapport` command line (DESIGN.md §5): serve, migrate, seed, export-schema, check-schema,
api-client, loyalty.

Every command reads its configuration from `Settings.from_environment()`. With no
RAPPORT_DATABASE_URL a command runs against the embedded PostgreSQL under the data directory,
migrated to head; with a URL it refuses a schema behind head unless told to migrate.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import inspect
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.access.commands import (
    DEFAULT_OVERLAP_HOURS,
    CreateApiClient,
    ListApiClients,
    RevokeApiClient,
    RotateApiKey,
)
from domain.loyalty.commands import ClosePeriod, ExpirePoints
from domain.shared.access import Role
from domain.shared.errors import DomainError
from infrastructure.migrations import current_revision, head_revision, upgrade_to_head
from infrastructure.settings import Settings

if TYPE_CHECKING:
    from infrastructure.bootstrap import Container

APP_FACTORY = "api.http.app:create_app_from_environment"
EXIT_SCHEMA_BEHIND = 2
EXIT_INTERRUPTED = 130

DatabaseWork = Callable[[Settings, AsyncEngine], Awaitable[None]]


class CommandError(Exception):
    """An expected failure: told in one line, without a traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def say(message: str) -> None:
    """Progress for the human at the terminal; stdout stays for what a command produces."""
    print(message, file=sys.stderr, flush=True)


# --- the database a command works on ---------------------------------------------------------


@contextlib.contextmanager
def resolved_database(settings: Settings) -> Iterator[Settings]:
    """`settings` with a database URL: the configured one, or that of the embedded server,
    which runs for as long as the block does."""
    if not settings.embedded:
        yield settings
        return
    from infrastructure.embedded_postgres import EmbeddedPostgres, EmbeddedPostgresUnavailable

    data_dir = settings.data_dir / "postgres"
    server = EmbeddedPostgres(data_dir)
    try:
        server.start()
    except EmbeddedPostgresUnavailable as error:
        raise CommandError(str(error)) from None
    except subprocess.SubprocessError as error:
        raise CommandError(
            f"the embedded PostgreSQL did not start ({error}); its log is {data_dir / 'log'}"
        ) from None
    say(f"embedded PostgreSQL running in {data_dir}")
    try:
        yield dataclasses.replace(settings, database_url=server.url)
    finally:
        if server.stop():
            say("embedded PostgreSQL stopped")
        else:
            say("embedded PostgreSQL left running: another rapport process is using it")


def _create_engine(settings: Settings) -> AsyncEngine:
    assert settings.database_url, "resolve the database first"
    from infrastructure.postgres.engine import create_engine

    try:
        # Migrations and seeding run long statements on purpose; the timeout guards the API.
        return create_engine(settings.database_url, pool_size=settings.db_pool_size,
                             statement_timeout_ms=0)
    except ValueError as error:
        raise CommandError(f"RAPPORT_DATABASE_URL: {error}") from None


async def _run_with_engine(settings: Settings, work: DatabaseWork) -> None:
    engine = _create_engine(settings)
    try:
        try:
            async with engine.connect():
                pass
        except (OSError, DBAPIError) as error:
            where = make_url(str(settings.database_url)).render_as_string(hide_password=True)
            reason = getattr(error, "orig", None) or error
            raise CommandError(f"cannot connect to {where}: {reason}") from None
        await work(settings, engine)
    finally:
        await engine.dispose()


def run_with_engine(settings: Settings, work: DatabaseWork) -> None:
    """Runs `work` with an engine over the (resolved) database of `settings`."""
    asyncio.run(_run_with_engine(settings, work))


def run_on_database(settings: Settings, work: DatabaseWork) -> None:
    """Runs `work` on the database of `settings`, starting the embedded one when needed."""
    with resolved_database(settings) as resolved:
        run_with_engine(resolved, work)


async def prepare_schema(settings: Settings, engine: AsyncEngine, *, migrate: bool) -> None:
    """Migrates to head when told to; otherwise refuses a schema that is not at head."""
    current, head = await current_revision(engine), head_revision()
    if current == head:
        say(f"database schema at head ({head})")
    elif migrate:
        await upgrade_to_head(engine)
        say(f"database schema migrated from {current or 'nothing'} to {head}")
    else:
        raise CommandError(
            f"the database schema is at {current or 'no revision'}, this Rapport needs {head}: "
            "run `rapport migrate` (or `rapport serve --migrate`)",
            EXIT_SCHEMA_BEHIND,
        )


# --- commands ---------------------------------------------------------------------------------


async def _seed_demo(settings: Settings, engine: AsyncEngine) -> None:
    from infrastructure.bootstrap import build_container
    from infrastructure.seed.demo import seed_demo

    report = await seed_demo(build_container(settings, engine))
    print(report, flush=True)


def _seed_bulk(database_url: str, customers: int, interactions_per_customer: int) -> None:
    from infrastructure.seed.bulk import seed_bulk

    seeded = seed_bulk(database_url, customers=customers,
                       interactions_per_customer=interactions_per_customer)
    if inspect.iscoroutine(seeded):
        seeded = asyncio.run(seeded)
    if seeded is not None:
        print(seeded, flush=True)


def _serve_http(settings: Settings) -> None:
    import uvicorn

    assert settings.database_url, "resolve the database first"
    # The app (in every worker process) reads its settings from the environment.
    os.environ["RAPPORT_DATABASE_URL"] = settings.database_url
    say(f"serving http://{settings.host}:{settings.port}/graphql  (Ctrl-C stops)")
    uvicorn.run(APP_FACTORY, factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level=settings.log_level.lower())


def serve(args: argparse.Namespace, settings: Settings) -> int:
    settings = dataclasses.replace(
        settings,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
    )

    async def prepare(resolved: Settings, engine: AsyncEngine) -> None:
        await prepare_schema(resolved, engine, migrate=args.migrate or settings.embedded)
        if args.seed_demo:
            await _seed_demo(resolved, engine)

    try:
        with resolved_database(settings) as resolved:
            run_with_engine(resolved, prepare)
            _serve_http(resolved)
    except KeyboardInterrupt:
        pass  # Ctrl-C or SIGTERM is how a server is meant to end
    say("rapport stopped")
    return 0


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    run_on_database(settings, partial(prepare_schema, migrate=True))
    return 0


def seed(args: argparse.Namespace, settings: Settings) -> int:
    with resolved_database(settings) as resolved:
        run_with_engine(resolved, partial(prepare_schema, migrate=settings.embedded))
        if args.demo:
            run_with_engine(resolved, _seed_demo)
        if args.customers:
            assert resolved.database_url
            _seed_bulk(resolved.database_url, args.customers, args.interactions_per_customer)
    return 0


def export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from api.graphql.schema import export_sdl

    if args.output is None:
        sys.stdout.write(export_sdl())
    else:
        args.output.write_text(export_sdl())
        say(f"wrote the GraphQL schema to {args.output}")
    return 0


def check_schema(args: argparse.Namespace, settings: Settings) -> int:
    from api.graphql.schema import export_sdl

    if not args.schema_file.exists() or args.schema_file.read_text() != export_sdl():
        raise CommandError(f"{args.schema_file} is not the schema of the code: run "
                           f"`rapport export-schema --output {args.schema_file}`")
    say(f"{args.schema_file} matches the code")
    return 0


# --- api-client: the way an operator gets the first ADMIN key ---------------------------------
# The CLI acts as the system viewer (an ADMIN) through the same use cases as GraphQL.


def _api_client_id(text: str) -> UUID:
    """A client's UUID, as `api-client list` shows it, or its GraphQL global id."""
    from api.graphql.relay import parse_global_id

    with contextlib.suppress(ValueError):
        return UUID(text)
    parsed = parse_global_id(text)
    if parsed is None or parsed[0] != "ApiClient":
        raise CommandError(f"{text!r} is not an API client id (see `rapport api-client list`)")
    return parsed[1]


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S %Z")


async def _api_client_create(container: "Container", args: argparse.Namespace) -> None:
    issued = await container.use_cases.access.create_api_client(
        CreateApiClient(args.name, args.role, args.partner))
    client = issued.client
    say(f"API client {client.name} ({client.role.value}) created with id {client.id}.")
    say("Its key follows, shown this once: Rapport keeps only a hash of it.")
    print(issued.key, flush=True)


async def _api_client_rotate(container: "Container", args: argparse.Namespace) -> None:
    issued = await container.use_cases.access.rotate_api_key(
        RotateApiKey(_api_client_id(args.id), args.overlap_hours))
    say(f"New key for {issued.client.name}; its older keys work {args.overlap_hours} hours more "
        "at most. The key follows, shown this once:")
    print(issued.key, flush=True)


async def _api_client_revoke(container: "Container", args: argparse.Namespace) -> None:
    client = await container.use_cases.access.revoke_api_client(
        RevokeApiClient(_api_client_id(args.id)))
    say(f"API client {client.name} revoked at {_when(client.revoked_at)}: its keys fail.")


async def _api_client_list(container: "Container", args: argparse.Namespace) -> None:
    for client in await container.use_cases.access.list_api_clients(ListApiClients()):
        state = f"revoked {_when(client.revoked_at)}" if client.revoked else "active"
        partner = f" partner={client.partner_code}" if client.partner_code else ""
        print(f"{client.id}  {client.name}  {client.role.value}{partner}  {state}")
        for key in client.keys:
            print(f"    key rk_{key.prefix}_...  created {_when(key.created_at)}  "
                  f"expires {_when(key.expires_at)}  revoked {_when(key.revoked_at)}  "
                  f"last used {_when(key.last_used_at)}")
    sys.stdout.flush()


def run_action(args: argparse.Namespace, settings: Settings, *, refused_exit_code: int = 1) -> int:
    """Runs `args.action(container, args)` on the database; its exit code (None: 0). A use
    case's userErrors become one line on stderr and `refused_exit_code`."""
    from infrastructure.bootstrap import build_container

    exit_code = 0

    async def work(resolved: Settings, engine: AsyncEngine) -> None:
        nonlocal exit_code
        await prepare_schema(resolved, engine, migrate=settings.embedded)
        container = build_container(resolved, engine)
        try:
            exit_code = await args.action(container, args) or 0
        except DomainError as error:
            raise CommandError(str(error), refused_exit_code) from None
        finally:
            await container.close()

    run_on_database(settings, work)
    return exit_code


def api_client(args: argparse.Namespace, settings: Settings) -> int:
    return run_action(args, settings)


def _add_api_client_commands(commands: Any) -> None:
    group = commands.add_parser("api-client", help="create, list, rotate and revoke API clients")
    group.set_defaults(run=api_client)
    actions = group.add_subparsers(dest="action_name", required=True, metavar="ACTION")

    creating = actions.add_parser("create", help="a new client; prints its key once")
    creating.add_argument("--name", required=True, help="unique among active clients")
    creating.add_argument("--role", required=True, type=str.upper,
                          choices=[role.value for role in Role])
    creating.add_argument("--partner", metavar="CODE", help="which partner (PARTNER only)")
    creating.set_defaults(action=_api_client_create)

    listing = actions.add_parser("list", help="every client with its keys (never their secrets)")
    listing.set_defaults(action=_api_client_list)

    revoking = actions.add_parser("revoke", help="every key of the client fails from now on")
    revoking.add_argument("id", help="the client's id, as `list` shows it")
    revoking.set_defaults(action=_api_client_revoke)

    rotating = actions.add_parser("rotate", help="a new key; prints it once")
    rotating.add_argument("id", help="the client's id, as `list` shows it")
    rotating.add_argument(
        "--overlap-hours", type=int, default=DEFAULT_OVERLAP_HOURS, metavar="N",
        help=f"hours the current keys keep working (default {DEFAULT_OVERLAP_HOURS}; 0: none)")
    rotating.set_defaults(action=_api_client_rotate)


# --- loyalty: the period close, point expiry and the ledger check --------------------------
# Safe twice or concurrently (domain/loyalty): a scheduler may run them as often as it likes.

EXIT_REFUSED = 2
EXIT_LEDGER_MISMATCH = 1


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from None


async def _close_period(container: "Container", args: argparse.Namespace) -> None:
    report = await container.use_cases.loyalty.close_period(ClosePeriod(args.programme, args.as_of))
    print(f"{report.programme_code}: period ending {report.period_end.isoformat()}")
    print(f"reviewed {report.reviewed}, upgraded {report.upgraded}, "
          f"downgraded {report.downgraded}, grace started {report.grace_started}, "
          f"grace ended {report.grace_ended}, overrides ended {report.overrides_ended}")
    for change in report.changes:
        print(change)
    sys.stdout.flush()


async def _expire_points(container: "Container", args: argparse.Namespace) -> None:
    report = await container.use_cases.loyalty.expire_points(
        ExpirePoints(args.programme, args.as_of))
    print(f"{report.programme_code}: expired {report.points} points "
          f"in {report.lots} lots of {report.members} members", flush=True)


async def _check_ledger(container: "Container", args: argparse.Namespace) -> int:
    mismatches = await container.queries.loyalty.ledger_mismatches()
    print(f"{len(mismatches)} mismatches")
    for m in mismatches:
        print(f"programme {m.programme_id} customer {m.customer_id}: balance {m.balance}, "
              f"ledger sum {m.ledger_sum}, lots remaining {m.lots_remaining}")
    sys.stdout.flush()
    return EXIT_LEDGER_MISMATCH if mismatches else 0


def loyalty(args: argparse.Namespace, settings: Settings) -> int:
    return run_action(args, settings, refused_exit_code=EXIT_REFUSED)


def _add_loyalty_commands(commands: Any) -> None:
    group = commands.add_parser("loyalty", help="loyalty batch jobs and the ledger check")
    group.set_defaults(run=loyalty)
    actions = group.add_subparsers(dest="action_name", required=True, metavar="ACTION")

    for name, action, help_text in (
        ("close-period", _close_period,
         "review tiers for the last period ended; prints the tier changes"),
        ("expire-points", _expire_points, "expire lots whose time ran out; prints the totals"),
    ):
        job = actions.add_parser(name, help=help_text)
        job.add_argument("--programme", metavar="CODE", help="default: the oldest programme")
        job.add_argument("--as-of", type=_moment, metavar="ISO",
                         help="act as at this past time, with its offset (default: now)")
        job.set_defaults(action=action)

    checking = actions.add_parser(
        "check", help="compare balances and lots with the ledger; exit 1 on any mismatch")
    checking.set_defaults(action=_check_ledger)


# --- the parser -------------------------------------------------------------------------------


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport", description="Rapport, a headless CRM with one GraphQL API.",
        epilog="Configuration comes from RAPPORT_* environment variables (see README.md).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serving = commands.add_parser("serve", help="serve the GraphQL API")
    serving.add_argument("--host", help="interface to listen on (RAPPORT_HOST)")
    serving.add_argument("--port", type=_positive, help="port to listen on (RAPPORT_PORT)")
    serving.add_argument("--workers", type=_positive, help="processes (RAPPORT_WORKERS)")
    serving.add_argument("--migrate", action="store_true",
                         help="upgrade the database schema to head before serving")
    serving.add_argument("--seed-demo", action="store_true", help="load the demo data first")
    serving.set_defaults(run=serve)

    commands.add_parser("migrate", help="upgrade the database schema to head").set_defaults(
        run=migrate)

    seeding = commands.add_parser("seed", help="load demo data or a large generated data set")
    seeding.add_argument("--demo", action="store_true", help="the people of the stories")
    seeding.add_argument("--customers", type=_positive, metavar="N",
                         help="generate N customers with their history")
    seeding.add_argument("--interactions-per-customer", type=int, default=5, metavar="K",
                         help="interactions of each generated customer (default 5)")
    seeding.set_defaults(run=seed)

    exporting = commands.add_parser("export-schema", help="print or write the GraphQL schema")
    exporting.add_argument("--output", type=Path, help="write to this file instead of stdout")
    exporting.set_defaults(run=export_schema)

    checking = commands.add_parser(
        "check-schema", help="fail when the committed GraphQL schema differs from the code")
    checking.add_argument("--schema-file", type=Path, default=Path("schema.graphql"),
                          help="the committed schema (default schema.graphql)")
    checking.set_defaults(run=check_schema)

    _add_api_client_commands(commands)
    _add_loyalty_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "seed" and not (args.demo or args.customers):
        parser.error("seed needs --demo or --customers N")
    # SIGTERM (kill, systemd, docker stop) must unwind like Ctrl-C, so that the embedded
    # PostgreSQL is stopped on the way out instead of being left running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        settings = Settings.from_environment()
    except ValueError as error:
        say(f"rapport: configuration error: {error}")
        return 2
    command: Callable[[argparse.Namespace, Settings], int] = args.run
    try:
        return command(args, settings)
    except CommandError as error:
        say(f"rapport {args.command}: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        say(f"rapport {args.command}: interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
