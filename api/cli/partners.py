"""`rapport partners`: the alliance's jobs (closing a settlement period, expiring grants,
pruning failed code lookups), the settlement's CSV export, and a partner's API clients.
The jobs are safe twice or concurrently (domain/partners): a scheduler may run them as
often as it likes."""

import argparse
import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from api.cli.jobs import CommandError, run_action, say
from domain.partners.commands import (
    ClosePeriod,
    CreatePartnerApiClient,
    ExpireGrants,
    PruneCodeMisses,
)
from domain.partners.model import Partner, period_of
from domain.partners.settlement import CSV_COLUMNS, PERIOD_FORMAT, checked_period, csv_rows
from domain.shared.errors import DomainError
from infrastructure.bootstrap import Container
from infrastructure.bootstrap.service import Settings

EXIT_REFUSED = 2


def add_commands(commands: Any) -> None:
    group = commands.add_parser(
        "partners", help="alliance jobs, settlement exports and partners' API clients")
    group.set_defaults(run=partners)
    actions = group.add_subparsers(dest="action_name", required=True, metavar="ACTION")

    closing = actions.add_parser(
        "close-period", help="close a settlement month for good; prints the partners closed")
    closing.add_argument("--period", type=_period, metavar=PERIOD_FORMAT,
                         help="a month that has ended (default: the previous month, in UTC)")
    closing.add_argument("--partner", metavar="CODE", help="only this partner (default: all)")
    closing.set_defaults(action=_close_period)

    expiring = actions.add_parser(
        "expire-grants", help="mark issued grants past their expiry as expired; run it daily")
    expiring.set_defaults(action=_expire_grants)

    pruning = actions.add_parser(
        "prune-code-misses",
        help="delete failed code lookups older than the lock-out counts; run it hourly")
    pruning.set_defaults(action=_prune_code_misses)

    exporting = actions.add_parser(
        "export", help="a partner's settlement entries for a month, as CSV")
    exporting.add_argument("--partner", metavar="CODE", required=True)
    exporting.add_argument("--period", type=_period, metavar=PERIOD_FORMAT, required=True)
    exporting.add_argument("--output", type=Path, metavar="FILE",
                           help="write the file here (default: standard output)")
    exporting.set_defaults(action=_export)

    creating = actions.add_parser(
        "create-client", help="a new API client of the partner; prints its key once")
    creating.add_argument("--partner", metavar="CODE", required=True)
    creating.add_argument("--name", required=True, help="unique among active clients")
    creating.set_defaults(action=_create_client)


def partners(args: argparse.Namespace, settings: Settings) -> int:
    return run_action(args, settings, refused_exit_code=EXIT_REFUSED)


def previous_period(now: datetime) -> str:
    """The month before the one `now` falls in (UTC): the one a monthly close is for."""
    year, month = (int(part) for part in period_of(now.astimezone(UTC)).split("-"))
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def _period(text: str) -> str:
    """Checked as the use case will check it, so a typo fails before any connection."""
    try:
        return checked_period(text)
    except DomainError:
        raise argparse.ArgumentTypeError(
            f"a period is a month, {PERIOD_FORMAT}: not {text!r}") from None


async def _partner(container: Container, code: str) -> Partner:
    partner = await container.queries.partners.partner_by_code(code.strip())
    if partner is None:
        raise CommandError(f"no partner has the code {code!r}", EXIT_REFUSED)
    return partner


async def _close_period(container: Container, args: argparse.Namespace) -> None:
    period = args.period or previous_period(container.clock.now())
    partner_id = (await _partner(container, args.partner)).id if args.partner else None
    closed = await container.use_cases.partners.close_settlement_period(
        ClosePeriod(period, partner_id))
    named = await container.queries.partners.partners_by_ids(list(closed.closed))
    print(f"{closed.period}: closed {len(closed.closed)} partners, "
          f"{closed.already_closed} closed already")
    for partner_id in closed.closed:
        print(named[partner_id].code if partner_id in named else partner_id)
    sys.stdout.flush()


async def _expire_grants(container: Container, args: argparse.Namespace) -> None:
    expired = await container.use_cases.partners.expire_grants(ExpireGrants())
    print(f"expired {expired} grants", flush=True)


async def _prune_code_misses(container: Container, args: argparse.Namespace) -> None:
    pruned = await container.use_cases.partners.prune_code_misses(PruneCodeMisses())
    print(f"pruned {pruned} failed code lookups", flush=True)


async def _export(container: Container, args: argparse.Namespace) -> None:
    partner = await _partner(container, args.partner)
    entries = await container.queries.partners.settlement_entries(partner.id, args.period)
    with _opened(args.output) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(entries))
    if args.output is not None:
        say(f"{len(entries)} entries of {partner.code} for {args.period} written to "
            f"{args.output}")


@contextmanager
def _opened(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            yield out
    except OSError as error:
        raise CommandError(f"cannot write {path}: {error.strerror}") from None


async def _create_client(container: Container, args: argparse.Namespace) -> None:
    partner = await _partner(container, args.partner)
    issued = await container.use_cases.partners.create_partner_api_client(
        CreatePartnerApiClient(partner.id, args.name))
    say(f"API client {issued.client.name} of {partner.code} created with id "
        f"{issued.client.id}.")
    say("Its key follows, shown this once: Rapport keeps only a hash of it.")
    print(issued.key, flush=True)
