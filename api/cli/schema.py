"""`rapport export-schema` and `rapport check-schema`: the GraphQL schema of the code, and
whether the committed `schema.graphql` is still it."""

import argparse
import sys
from pathlib import Path
from typing import Any

from api.cli.jobs import CommandError, say
from infrastructure.bootstrap.service import Settings


def add_commands(commands: Any) -> None:
    exporting = commands.add_parser("export-schema", help="print or write the GraphQL schema")
    exporting.add_argument("--output", type=Path, help="write to this file instead of stdout")
    exporting.set_defaults(run=export_schema)

    checking = commands.add_parser(
        "check-schema", help="fail when the committed GraphQL schema differs from the code")
    checking.add_argument("--schema-file", type=Path, default=Path("schema.graphql"),
                          help="the committed schema (default schema.graphql)")
    checking.set_defaults(run=check_schema)


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
