"""`rapport loyalty`: the period close, point expiry and the ledger check. Safe twice or
concurrently (domain/loyalty): a scheduler may run them as often as it likes."""

import argparse
import sys
from datetime import datetime
from typing import Any

from api.cli.jobs import run_action
from domain.loyalty.commands import ClosePeriod, ExpirePoints
from infrastructure.bootstrap import Container
from infrastructure.bootstrap.service import Settings

EXIT_REFUSED = 2
EXIT_LEDGER_MISMATCH = 1


def add_commands(commands: Any) -> None:
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


def loyalty(args: argparse.Namespace, settings: Settings) -> int:
    return run_action(args, settings, refused_exit_code=EXIT_REFUSED)


def _moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 time: {text!r}") from None


async def _close_period(container: Container, args: argparse.Namespace) -> None:
    report = await container.use_cases.loyalty.close_period(ClosePeriod(args.programme, args.as_of))
    print(f"{report.programme_code}: period ending {report.period_end.isoformat()}")
    print(f"reviewed {report.reviewed}, upgraded {report.upgraded}, "
          f"downgraded {report.downgraded}, grace started {report.grace_started}, "
          f"grace ended {report.grace_ended}, overrides ended {report.overrides_ended}")
    for change in report.changes:
        print(change)
    sys.stdout.flush()


async def _expire_points(container: Container, args: argparse.Namespace) -> None:
    report = await container.use_cases.loyalty.expire_points(
        ExpirePoints(args.programme, args.as_of))
    print(f"{report.programme_code}: expired {report.points} points "
          f"in {report.lots} lots of {report.members} members", flush=True)


async def _check_ledger(container: Container, args: argparse.Namespace) -> int:
    mismatches = await container.queries.loyalty.ledger_mismatches()
    print(f"{len(mismatches)} mismatches")
    for m in mismatches:
        print(f"programme {m.programme_id} customer {m.customer_id}: balance {m.balance}, "
              f"ledger sum {m.ledger_sum}, lots remaining {m.lots_remaining}")
    sys.stdout.flush()
    return EXIT_LEDGER_MISMATCH if mismatches else 0
