"""`rapport migrate` and `rapport seed`: the database's schema and data."""

import argparse
from typing import Any

from api.cli.jobs import positive, resolved_database, run_job
from infrastructure.bootstrap import Container, seeding
from infrastructure.bootstrap.service import Settings


def add_commands(commands: Any) -> None:
    commands.add_parser("migrate", help="upgrade the database schema to head").set_defaults(
        run=migrate)

    seeding = commands.add_parser("seed", help="load demo data or a large generated data set")
    seeding.add_argument("--demo", action="store_true", help="the people of the stories")
    seeding.add_argument("--customers", type=positive, metavar="N",
                         help="generate N customers with their history")
    seeding.add_argument("--interactions-per-customer", type=int, default=5, metavar="K",
                         help="interactions of each generated customer (default 5)")
    seeding.set_defaults(run=seed)


def migrate(args: argparse.Namespace, settings: Settings) -> int:
    with resolved_database(settings) as resolved:
        run_job(resolved, _nothing, migrate=True)
    return 0


def seed(args: argparse.Namespace, settings: Settings) -> int:
    async def work(container: Container) -> None:
        if args.demo:
            print(await seeding.seed_demo(container), flush=True)
        if args.customers:
            print(await seeding.seed_bulk(container.settings, args.customers,
                                          args.interactions_per_customer), flush=True)

    with resolved_database(settings) as resolved:
        run_job(resolved, work, migrate=settings.embedded)
    return 0


async def _nothing(container: Container) -> None:
    """A job that only needs the schema at head."""
