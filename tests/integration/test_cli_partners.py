"""`rapport partners` as a scheduler or an operator runs it: the period close prints what it
closed and closes nothing the second time (nor twice when run concurrently); the grant
expiry is the daily job; the pruning of failed code lookups keeps the lock-out's hour; the
export is the settlement's CSV; a partner's client key is printed once. One test starts the
command as a user does (a subprocess); the others run it in a thread of the test process."""

import asyncio
import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import CommandError, build_parser
from api.cli.partners import previous_period
from domain.customers.commands import ConsentInput, ContactPointInput, CreateCustomer
from domain.customers.model import ConsentPurpose, ContactKind
from domain.partners.commands import (
    ChangeOfferStatus,
    CreateOffer,
    CreatePartner,
    RedeemGrant,
    ValidateGrant,
)
from domain.partners.model import (
    Benefit,
    BenefitKind,
    CostSharing,
    Grant,
    GrantState,
    OfferStatus,
    Payer,
    Trigger,
    TriggerKind,
    period_of,
)
from domain.partners.queries import GrantFilter
from domain.partners.redemptions import MISSES_PER_HOUR
from domain.partners.settlement import CSV_COLUMNS
from domain.shared.access import Role, Viewer
from domain.shared.errors import DomainError, ErrorCode
from domain.shared.ids import new_id
from domain.shared.paging import PageRequest
from infrastructure.bootstrap import Container
from infrastructure.postgres.api_keys import PgApiKeys
from infrastructure.postgres.tables import partner_code_misses
from infrastructure.settings import Settings
from tests.fakes import FixedClock
from tests.integration.loyalty_setup import a_container, a_line, a_programme, a_purchase
from tests.integration.test_cli import rapport

Outcome = tuple[int, str, str]
CINEMA, CAFE = "lumiere-cinema", "daily-grind-cafe"
# Long enough ago that its month has ended, whatever day the tests run on.
PAST = datetime.now(UTC).replace(microsecond=0) - timedelta(days=35)


def _run(database_url: str, arguments: tuple[str, ...]) -> int:
    args = build_parser().parse_args(["partners", *arguments])
    exit_code: int = args.run(args, Settings(database_url=database_url))
    return exit_code


async def partners(database_url: str, capsys: pytest.CaptureFixture[str],
                   *arguments: str) -> Outcome:
    """Runs the command to completion: (exit code, stdout, stderr)."""
    exit_code = await asyncio.to_thread(_run, database_url, arguments)
    captured = capsys.readouterr()
    return exit_code, captured.out, captured.err


@pytest.fixture
def container(db: AsyncEngine) -> Container:
    return a_container(db, FixedClock(PAST))


@dataclass(frozen=True)
class Alliance:
    grant: Grant  # Lisa's cinema ticket, issued with her purchase at PAST


async def _alliance(container: Container) -> Alliance:
    """The cinema and the café; Lisa, sharing with partners, buys mascara at PAST and is
    issued the cinema's ticket."""
    use = container.use_cases
    await a_programme(container)
    cinema = await use.partners.create_partner(CreatePartner(CINEMA, "Lumière", "cinema", "CNY"))
    await use.partners.create_partner(CreatePartner(CAFE, "Daily Grind", "café", "CNY"))
    offer = await use.partners.create_offer(CreateOffer(
        cinema.id, "free-ticket", "A free movie ticket", Benefit(BenefitKind.FREE_ITEM, "ticket"),
        Trigger(TriggerKind.PURCHASE, category="eye make-up"),
        CostSharing(Payer.BRAND, Decimal("35.00"))))
    await use.partners.change_offer_status(ChangeOfferStatus(offer.id, OfferStatus.ACTIVE))
    lisa = await use.customers.create_customer(CreateCustomer(
        profile={"display_name": "Lisa Zhou", "given_name": "Lisa"},
        contact_points=(ContactPointInput(
            ContactKind.PHONE, "+86 186 2100 5566",
            consents=(ConsentInput(ConsentPurpose.PARTNER_SHARING, True),)),)))
    clock = container.clock
    assert isinstance(clock, FixedClock)
    clock.set(PAST - timedelta(hours=1))
    recorded = await a_purchase(container, lisa.id, "JA-0001", clock.now(),
                                a_line("239.00", sku="CS-MASCARA-12", category="eye make-up"))
    clock.set(PAST)
    [grant] = (await container.queries.partners.grants_of_customers(
        [lisa.id], GrantFilter(clock.now()), PageRequest(first=10)))[lisa.id].nodes
    assert grant.purchase_id == recorded.purchase.id
    return Alliance(grant)


async def _redeem(container: Container, grant: Grant) -> None:
    counter = Viewer(Role.PARTNER, "client:lumiere-counter", partner_code=CINEMA)
    await container.use_cases.partners.redeem_grant.acting_as(counter)(
        RedeemGrant(grant.code, "ticket-1", "Screen 3"))


async def test_close_period_prints_the_partners_it_closed_and_then_none(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    await _alliance(container)
    period = period_of(PAST)

    first = await partners(database_url, capsys, "close-period", "--period", period)
    second = await partners(database_url, capsys, "close-period", "--period", period)
    one = await partners(database_url, capsys, "close-period", "--period", period,
                         "--partner", CINEMA)

    assert first[0] == 0
    assert first[1].splitlines()[0] == f"{period}: closed 2 partners, 0 closed already"
    assert sorted(first[1].splitlines()[1:]) == [CAFE, CINEMA]
    assert second[:2] == (0, f"{period}: closed 0 partners, 0 closed already\n")
    assert one[:2] == (0, f"{period}: closed 0 partners, 1 closed already\n")


async def test_close_period_run_twice_at_once_closes_each_partner_once(
    database_url: str, container: Container
) -> None:
    await _alliance(container)
    period = period_of(PAST)

    runs = await asyncio.gather(*(asyncio.to_thread(
        rapport, "partners", "close-period", "--period", period,
        RAPPORT_DATABASE_URL=database_url) for _ in range(2)))

    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    closed = [line for run in runs for line in run.stdout.splitlines()[1:]]
    assert sorted(closed) == [CAFE, CINEMA]


async def test_close_period_defaults_to_the_previous_month(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    await _alliance(container)

    outcome = await partners(database_url, capsys, "close-period", "--partner", CAFE)

    assert outcome[:2] == (0, f"{previous_period(datetime.now(UTC))}: closed 1 partners, "
                              f"0 closed already\n{CAFE}\n")


def test_the_previous_month_of_january_is_last_december() -> None:
    assert previous_period(datetime(2027, 1, 15, tzinfo=UTC)) == "2026-12"
    assert previous_period(datetime(2026, 11, 30, 23, 0, tzinfo=UTC)) == "2026-10"


@pytest.mark.parametrize(("arguments", "message"), [
    (("close-period", "--period", period_of(datetime.now(UTC))), "period: "),
    (("close-period", "--partner", "nope"), "no partner has the code 'nope'"),
    (("export", "--partner", "nope", "--period", "2026-01"), "no partner has the code 'nope'"),
    (("create-client", "--partner", "nope", "--name", "x"), "no partner has the code 'nope'"),
])
async def test_a_refused_command_exits_2_and_prints_nothing(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str],
    arguments: tuple[str, ...], message: str,
) -> None:
    await _alliance(container)

    with pytest.raises(CommandError) as refused:
        await partners(database_url, capsys, *arguments)

    assert refused.value.exit_code == 2
    assert str(refused.value).startswith(message)
    assert capsys.readouterr().out == ""


async def test_expire_grants_expires_what_is_due_once(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    alliance = await _alliance(container)
    assert alliance.grant.expires_at < datetime.now(UTC)  # 30 days, issued 35 days ago

    first = await partners(database_url, capsys, "expire-grants")
    second = await partners(database_url, capsys, "expire-grants")

    assert first[:2] == (0, "expired 1 grants\n")
    assert second[:2] == (0, "expired 0 grants\n")
    grant = (await container.queries.partners.grants_by_ids([alliance.grant.id]))[
        alliance.grant.id]
    assert grant.state is GrantState.EXPIRED


async def _misses(db: AsyncEngine, caller: str, n: int, ago: timedelta) -> None:
    """`n` failed code lookups by `caller`, `ago` before now."""
    at = datetime.now(UTC) - ago
    async with db.begin() as connection:
        await connection.execute(insert(partner_code_misses),
                                 [{"caller": caller, "at": at}] * n)


async def _misses_left(db: AsyncEngine) -> int:
    async with db.connect() as connection:
        left: int = (await connection.execute(
            select(func.count()).select_from(partner_code_misses))).scalar_one()
    return left


async def _lookup(container: Container, counter: Viewer, code: str) -> set[ErrorCode]:
    """What the counter's validation of `code` is refused with, now (nothing: answered)."""
    clock = container.clock
    assert isinstance(clock, FixedClock)
    clock.set(datetime.now(UTC))
    try:
        await container.use_cases.partners.validate_grant.acting_as(counter)(
            ValidateGrant(code))
    except DomainError as error:
        return {problem.code for problem in error.errors}
    return set()


async def test_prune_code_misses_deletes_those_past_the_lock_out_and_keeps_it_locked(
    database_url: str, db: AsyncEngine, container: Container,
    capsys: pytest.CaptureFixture[str]
) -> None:
    alliance = await _alliance(container)
    guesser = Viewer(Role.PARTNER, "client:guesser", client_id=new_id(), partner_code=CINEMA)
    await _misses(db, f"client:{guesser.client_id}", 3, timedelta(hours=2))
    await _misses(db, f"client:{guesser.client_id}", MISSES_PER_HOUR, timedelta(minutes=30))

    first = await partners(database_url, capsys, "prune-code-misses")

    assert first[:2] == (0, "pruned 3 failed code lookups\n")
    assert await _misses_left(db) == MISSES_PER_HOUR
    assert await _lookup(container, guesser, alliance.grant.code) == {
        ErrorCode.TOO_MANY_ATTEMPTS}


async def test_prune_code_misses_run_again_deletes_nothing_more(
    database_url: str, db: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    await _misses(db, "client:guesser", 3, timedelta(hours=2))
    await _misses(db, "client:guesser", 2, timedelta(minutes=30))
    await partners(database_url, capsys, "prune-code-misses")

    second = await partners(database_url, capsys, "prune-code-misses")

    assert second[:2] == (0, "pruned 0 failed code lookups\n")
    assert await _misses_left(db) == 2


async def test_export_writes_the_settlement_csv(
    database_url: str, container: Container, capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    alliance = await _alliance(container)
    await _redeem(container, alliance.grant)
    period = period_of(PAST)
    file = tmp_path / "settlement.csv"

    printed = await partners(database_url, capsys, "export", "--partner", CINEMA,
                             "--period", period)
    written = await partners(database_url, capsys, "export", "--partner", CINEMA,
                             "--period", period, "--output", str(file))
    empty = await partners(database_url, capsys, "export", "--partner", CAFE,
                           "--period", period)

    header, *rows = list(csv.reader(io.StringIO(printed[1])))
    assert printed[0] == 0
    assert tuple(header) == CSV_COLUMNS
    [row] = [dict(zip(header, row, strict=True)) for row in rows]
    assert (row["period"], row["kind"], row["direction"], row["amount"], row["currency"]) == (
        period, "REDEMPTION", "BRAND_OWES", "35.00", "CNY")
    assert row["offer_id"] == str(alliance.grant.offer_id)
    assert written[:2] == (0, "")
    assert f"1 entries of {CINEMA} for {period} written to {file}" in written[2]
    assert file.read_text(encoding="utf-8") == printed[1]
    assert empty[:2] == (0, ",".join(CSV_COLUMNS) + "\n")


async def test_create_client_prints_a_working_partner_key_once(
    database_url: str, container: Container, api_keys: PgApiKeys
) -> None:
    await _alliance(container)

    done = rapport("partners", "create-client", "--partner", CINEMA, "--name", "box-office",
                   RAPPORT_DATABASE_URL=database_url)

    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert done.stdout == f"{key}\n"
    assert key not in done.stderr
    identity = await api_keys.verify(key)
    assert identity is not None
    assert (identity.client_name, identity.role, identity.partner_code) == (
        "box-office", Role.PARTNER, CINEMA)
