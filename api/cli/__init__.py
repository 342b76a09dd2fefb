"""The `rapport` command line (DESIGN.md §5), one module per command group: serve,
database (migrate, seed), schema (export-schema, check-schema), access (api-client),
loyalty, partners; jobs.py is how each runs.

Every command reads its configuration from the environment. With no RAPPORT_DATABASE_URL a
command runs against the embedded PostgreSQL under the data directory, migrated to head (in
development: in production that is a configuration error); with a URL it refuses a schema
behind head unless told to migrate.
"""

import argparse
import signal
import sys
from collections.abc import Callable, Sequence

from api.cli import access, database, loyalty, partners, schema, serve
from api.cli.jobs import EXIT_CONFIGURATION, EXIT_INTERRUPTED, CommandError, say
from infrastructure.bootstrap.service import ConfigurationError, Settings

__all__ = ["CommandError", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rapport", description="Rapport, a headless CRM with one GraphQL API.",
        epilog="Configuration comes from RAPPORT_* environment variables (see README.md).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (serve, database, schema, access, loyalty, partners):
        group.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "seed" and not (args.demo or args.customers):
        parser.error("seed needs --demo or --customers N")
    # SIGTERM (kill, systemd, docker stop) must unwind like Ctrl-C, so that the embedded
    # PostgreSQL is stopped on the way out instead of being left running.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    # Every setting is checked here, before any command does anything (no migration, no pool);
    # what a command alone needs (a database in production) it checks before it starts.
    command: Callable[[argparse.Namespace, Settings], int] = args.run
    try:
        return command(args, Settings.from_environment())
    except ConfigurationError as error:
        say(f"rapport: configuration error: {error}")
        return EXIT_CONFIGURATION
    except CommandError as error:
        say(f"rapport {args.command}: {error}")
        return error.exit_code
    except KeyboardInterrupt:
        say(f"rapport {args.command}: interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
