"""`rapport api-client` as an operator runs it: the first ADMIN key comes from here.

Two tests start the command as a user does (a subprocess); the others run it in a thread of
the test process, which spares starting Python each time."""

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.cli import CommandError, build_parser
from domain.shared.access import Role
from infrastructure.postgres.api_keys import PgApiKeys
from infrastructure.settings import Settings
from tests.integration.test_cli import rapport


@pytest.fixture
def keys(api_keys: PgApiKeys) -> PgApiKeys:
    return api_keys


def _run(database_url: str, arguments: tuple[str, ...]) -> int:
    args = build_parser().parse_args(["api-client", *arguments])
    exit_code: int = args.run(args, Settings(database_url=database_url))
    return exit_code


async def api_client(
    database_url: str, capsys: pytest.CaptureFixture[str], *arguments: str
) -> tuple[str, str]:
    """Runs the command to completion; its (stdout, stderr)."""
    assert await asyncio.to_thread(_run, database_url, arguments) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


async def _created_key(
    database_url: str, capsys: pytest.CaptureFixture[str], *arguments: str
) -> str:
    out, _ = await api_client(database_url, capsys, "create", *arguments)
    return out.strip()


async def test_create_prints_a_working_key_once_on_stdout(
    database_url: str, keys: PgApiKeys
) -> None:
    done = rapport("api-client", "create", "--name", "ops", "--role", "admin",
                   RAPPORT_DATABASE_URL=database_url)

    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert done.stdout == f"{key}\n"
    assert key not in done.stderr
    identity = await keys.verify(key)
    assert identity is not None
    assert (identity.client_name, identity.role) == ("ops", Role.ADMIN)


async def test_a_refused_create_is_one_line_and_writes_nothing(
    database_url: str, db: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    done = rapport("api-client", "create", "--name", "cinema", "--role", "PARTNER",
                   RAPPORT_DATABASE_URL=database_url)

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == "rapport api-client: partner_code: must not be empty"
    assert "Traceback" not in done.stderr
    listed, _ = await api_client(database_url, capsys, "list")
    assert listed == ""


async def test_list_shows_clients_and_key_prefixes_but_never_secrets(
    database_url: str, db: AsyncEngine, capsys: pytest.CaptureFixture[str]
) -> None:
    key = await _created_key(database_url, capsys, "--name", "cinema", "--role", "PARTNER",
                             "--partner", "wanda")
    prefix, secret = key.split("_", 2)[1:]

    out, err = await api_client(database_url, capsys, "list")

    assert "  cinema  PARTNER partner=wanda  active\n" in out
    assert f"    key rk_{prefix}_...  created " in out
    assert secret not in out + err


async def test_rotate_prints_a_new_key_and_the_old_one_ends_after_the_overlap(
    database_url: str, keys: PgApiKeys, capsys: pytest.CaptureFixture[str]
) -> None:
    old = await _created_key(database_url, capsys, "--name", "pos", "--role", "STOREFRONT")
    identity = await keys.verify(old)
    assert identity is not None

    out, _ = await api_client(database_url, capsys, "rotate", str(identity.client_id),
                              "--overlap-hours", "0")

    assert await keys.verify(out.strip()) is not None
    assert await keys.verify(old) is None


async def test_revoke_makes_the_key_fail_at_once(
    database_url: str, keys: PgApiKeys, capsys: pytest.CaptureFixture[str]
) -> None:
    key = await _created_key(database_url, capsys, "--name", "pos", "--role", "STOREFRONT")
    identity = await keys.verify(key)
    assert identity is not None

    _, err = await api_client(database_url, capsys, "revoke", str(identity.client_id))

    assert "API client pos revoked at" in err
    assert await keys.verify(key) is None


@pytest.mark.parametrize(("client_id", "said"), [
    ("nonsense", "is not an API client id"),
    ("018f3a5e-0000-7000-8000-000000000000", "API client does not exist"),
])
async def test_revoking_no_client_is_refused(
    database_url: str, db: AsyncEngine, client_id: str, said: str
) -> None:
    with pytest.raises(CommandError, match=said):
        await asyncio.to_thread(_run, database_url, ("revoke", client_id))
