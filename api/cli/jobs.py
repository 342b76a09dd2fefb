"""How a command runs: on which database (the configured one, or the embedded server for as
long as the command runs), with the container the composition root builds, and how it
fails (one line on stderr and an exit code, never a traceback for what was expected)."""

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from domain.shared.errors import DomainError
from infrastructure.bootstrap import Container
from infrastructure.bootstrap.service import (
    DatabaseUnavailable,
    SchemaBehind,
    Settings,
    database,
    job,
)

EXIT_CONFIGURATION = 2
EXIT_SCHEMA_BEHIND = 2
EXIT_INTERRUPTED = 130
T = TypeVar("T")


class CommandError(Exception):
    """An expected failure: told in one line, without a traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def positive(text: str) -> int:
    """An argument type: a whole number of 1 or more."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def say(message: str) -> None:
    """Progress for the human at the terminal; stdout stays for what a command produces."""
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def resolved_database(settings: Settings) -> Iterator[Settings]:
    """`settings` with a database URL: the configured one, or that of the embedded server,
    which runs for as long as the block does."""
    with _told(), database(settings, say) as resolved:
        yield resolved


def run_job(
    settings: Settings, work: Callable[[Container], Awaitable[T]], *, migrate: bool,
    refused_exit_code: int = 1,
) -> T:
    """`work`'s result, run with a container over the (resolved) database of `settings`,
    whose schema is at head (migrated first when `migrate`). A use case's userErrors become
    one line on stderr and `refused_exit_code`."""

    async def run() -> T:
        async with job(settings, migrate=migrate, notify=say) as container:
            try:
                return await work(container)
            except DomainError as error:
                raise CommandError(str(error), refused_exit_code) from None

    with _told():
        return asyncio.run(run())


def run_action(args: argparse.Namespace, settings: Settings, *,
               refused_exit_code: int = 1) -> int:
    """Runs `args.action(container, args)` on the database; its exit code (None: 0)."""
    action: Callable[[Container, argparse.Namespace], Awaitable[int | None]] = args.action

    async def work(container: Container) -> int:
        return await action(container, args) or 0

    with resolved_database(settings) as resolved:
        return run_job(resolved, work, migrate=settings.embedded,
                       refused_exit_code=refused_exit_code)


@contextlib.contextmanager
def _told() -> Iterator[None]:
    """The database's refusals as command errors."""
    try:
        yield
    except DatabaseUnavailable as error:
        raise CommandError(str(error)) from None
    except SchemaBehind as error:
        raise CommandError(
            f"{error}: run `rapport migrate` (or `rapport serve --migrate`)", EXIT_SCHEMA_BEHIND
        ) from None
