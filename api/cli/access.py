"""`rapport api-client`: the way an operator gets the first ADMIN key, and manages clients.
The CLI acts as the system viewer (an ADMIN) through the same use cases as GraphQL."""

import argparse
import contextlib
import sys
from datetime import datetime
from typing import Any
from uuid import UUID

from api.cli.jobs import CommandError, run_action, say
from domain.access.commands import (
    DEFAULT_OVERLAP_HOURS,
    CreateApiClient,
    ListApiClients,
    RevokeApiClient,
    RotateApiKey,
)
from domain.shared.access import Role
from infrastructure.bootstrap import Container
from infrastructure.bootstrap.service import Settings


def add_commands(commands: Any) -> None:
    group = commands.add_parser("api-client", help="create, list, rotate and revoke API clients")
    group.set_defaults(run=api_client)
    actions = group.add_subparsers(dest="action_name", required=True, metavar="ACTION")

    creating = actions.add_parser("create", help="a new client; prints its key once")
    creating.add_argument("--name", required=True, help="unique among active clients")
    creating.add_argument("--role", required=True, type=str.upper,
                          choices=[role.value for role in Role])
    creating.add_argument("--partner", metavar="CODE", help="which partner (PARTNER only)")
    creating.set_defaults(action=_create)

    listing = actions.add_parser("list", help="every client with its keys (never their secrets)")
    listing.set_defaults(action=_list)

    revoking = actions.add_parser("revoke", help="every key of the client fails from now on")
    revoking.add_argument("id", help="the client's id, as `list` shows it")
    revoking.set_defaults(action=_revoke)

    rotating = actions.add_parser("rotate", help="a new key; prints it once")
    rotating.add_argument("id", help="the client's id, as `list` shows it")
    rotating.add_argument(
        "--overlap-hours", type=int, default=DEFAULT_OVERLAP_HOURS, metavar="N",
        help=f"hours the current keys keep working (default {DEFAULT_OVERLAP_HOURS}; 0: none)")
    rotating.set_defaults(action=_rotate)


def api_client(args: argparse.Namespace, settings: Settings) -> int:
    return run_action(args, settings)


def _client_id(text: str) -> UUID:
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


async def _create(container: Container, args: argparse.Namespace) -> None:
    issued = await container.use_cases.access.create_api_client(
        CreateApiClient(args.name, args.role, args.partner))
    client = issued.client
    say(f"API client {client.name} ({client.role.value}) created with id {client.id}.")
    say("Its key follows, shown this once: Rapport keeps only a hash of it.")
    print(issued.key, flush=True)


async def _rotate(container: Container, args: argparse.Namespace) -> None:
    issued = await container.use_cases.access.rotate_api_key(
        RotateApiKey(_client_id(args.id), args.overlap_hours))
    say(f"New key for {issued.client.name}; its older keys work {args.overlap_hours} hours more "
        "at most. The key follows, shown this once:")
    print(issued.key, flush=True)


async def _revoke(container: Container, args: argparse.Namespace) -> None:
    client = await container.use_cases.access.revoke_api_client(
        RevokeApiClient(_client_id(args.id)))
    say(f"API client {client.name} revoked at {_when(client.revoked_at)}: its keys fail.")


async def _list(container: Container, args: argparse.Namespace) -> None:
    for client in await container.use_cases.access.list_api_clients(ListApiClients()):
        state = f"revoked {_when(client.revoked_at)}" if client.revoked else "active"
        partner = f" partner={client.partner_code}" if client.partner_code else ""
        print(f"{client.id}  {client.name}  {client.role.value}{partner}  {state}")
        for key in client.keys:
            print(f"    key rk_{key.prefix}_...  created {_when(key.created_at)}  "
                  f"expires {_when(key.expires_at)}  revoked {_when(key.revoked_at)}  "
                  f"last used {_when(key.last_used_at)}")
    sys.stdout.flush()
