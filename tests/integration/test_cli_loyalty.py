"""`rapport loyalty` as a scheduler or an operator runs it: the period close and the point
expiry print what they changed and change nothing the second time; `check` proves the
ledger. One test starts the command as a user does (a subprocess); the others run it in a
thread of the test process."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import CommandError, build_parser
from infrastructure.bootstrap import Container
from infrastructure.postgres.tables import loyalty_memberships
from infrastructure.settings import Settings
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import a_container, a_customer, a_line, a_programme, a_purchase
from tests.integration.test_cli import rapport

Outcome = tuple[int, str, str]


def _run(database_url: str, arguments: tuple[str, ...]) -> int:
    args = build_parser().parse_args(["loyalty", *arguments])
    exit_code: int = args.run(args, Settings(database_url=database_url))
    return exit_code


async def loyalty(database_url: str, capsys: pytest.CaptureFixture[str],
                  *arguments: str) -> Outcome:
    """Runs the command to completion: (exit code, stdout, stderr)."""
    exit_code = await asyncio.to_thread(_run, database_url, arguments)
    captured = capsys.readouterr()
    return exit_code, captured.out, captured.err


@pytest.fixture
def container(db: AsyncEngine) -> Container:
    # The command runs on the system clock: arrange around the real now.
    return a_container(db, FixedClock(datetime.now(UTC)))


async def _lapsed_member(container: Container) -> UUID:
    """Mrs. Li reached silver over a year ago and bought nothing since: the next close
    drops her to classic, and her points have expired."""
    clock = container.clock
    assert isinstance(clock, FixedClock)
    now = clock.now()
    clock.set(now - timedelta(days=430))
    await a_programme(container)
    li = await a_customer(container)
    await a_purchase(container, li.id, "old", clock.now(), a_line("1200.00"))
    clock.set(now)
    return li.id


async def test_close_period_prints_the_tier_changes_and_then_that_nothing_changed(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    li = await _lapsed_member(container)

    first = await loyalty(database_url, capsys, "close-period", "--programme", "silk-club")
    second = await loyalty(database_url, capsys, "close-period")

    assert first[0] == 0
    lines = first[1].splitlines()
    assert lines[1].startswith("reviewed 1, upgraded 0, downgraded 1,")
    assert lines[2:] == [f"{li}: silver → classic"]
    assert second[0] == 0
    assert second[1].splitlines()[1].startswith("reviewed 0, upgraded 0, downgraded 0,")
    assert len(second[1].splitlines()) == 2


async def test_expire_points_prints_what_it_expired_once(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    await _lapsed_member(container)

    first = await loyalty(database_url, capsys, "expire-points")
    second = await loyalty(database_url, capsys, "expire-points")

    assert first[:2] == (0, "silk-club: expired 1200 points in 1 lots of 1 members\n")
    assert second[:2] == (0, "silk-club: expired 0 points in 0 lots of 0 members\n")


async def test_a_job_as_of_a_past_time_acts_for_that_time(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    await _lapsed_member(container)
    before_expiry = (datetime.now(UTC) - timedelta(days=200)).isoformat()

    outcome = await loyalty(database_url, capsys, "expire-points", "--as-of", before_expiry)

    assert outcome[:2] == (0, "silk-club: expired 0 points in 0 lots of 0 members\n")


@pytest.mark.parametrize(("arguments", "field"), [
    (("close-period", "--programme", "nope"), "programme_code"),
    (("expire-points", "--as-of", (datetime.now(UTC) + timedelta(days=1)).isoformat()), "as_of"),
])
async def test_a_refused_job_exits_2_with_the_user_error(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str],
    arguments: tuple[str, ...], field: str,
) -> None:
    await _lapsed_member(container)

    with pytest.raises(CommandError) as refused:
        await loyalty(database_url, capsys, *arguments)

    assert refused.value.exit_code == 2
    assert str(refused.value).startswith(f"{field}: ")
    assert capsys.readouterr().out == ""


async def test_check_reports_no_mismatch_on_a_sound_ledger(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    await _lapsed_member(container)

    assert (await loyalty(database_url, capsys, "check"))[:2] == (0, "0 mismatches\n")


async def test_check_reports_a_tampered_balance_and_exits_1(
    database_url: str, db: AsyncEngine, container: Container
) -> None:
    li = await _lapsed_member(container)
    programme = await container.queries.loyalty.programme(None)
    assert programme is not None
    async with db.begin() as connection:
        await connection.execute(update(loyalty_memberships).values(points_balance=99))

    done = rapport("loyalty", "check", RAPPORT_DATABASE_URL=database_url)

    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "1 mismatches",
        f"programme {programme.id} customer {li}: "
        "balance 99, ledger sum 1200, lots remaining 1200",
    ]


async def test_a_refused_job_run_by_an_operator_says_why_in_one_line(
    database_url: str, container: Container
) -> None:
    await _lapsed_member(container)

    done = rapport("loyalty", "close-period", "--programme", "nope",
                   RAPPORT_DATABASE_URL=database_url)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1].startswith("rapport loyalty: programme_code: ")
    assert "Traceback" not in done.stderr
