"""The typed container holds every use case `domain/` has, each once, acting as who asks."""

import importlib
import inspect
import pkgutil
from typing import Any

import domain
from domain.cases.model import SlaPolicy
from domain.organisation.commands import CreateStore
from domain.shared.access import Role, Viewer
from infrastructure.bootstrap.use_cases import UseCase, UseCases, Wiring, build_use_cases
from infrastructure.clock import SystemClock
from tests.fakes import FakeUnitOfWork


def _use_cases(uow: Any = None) -> UseCases:
    return build_use_cases(Wiring(lambda: uow, SlaPolicy.default(), None, SystemClock()))


def _bound(use_cases: UseCases) -> list[UseCase[Any, Any]]:
    return [use_case for group in use_cases.groups().values()
            for use_case in vars(group).values()]


def _domain_use_cases() -> set[str]:
    """Public coroutine functions of domain/ that take a unit of work (or a factory of them)
    and a viewer: the use cases, whatever module they are in."""
    found = set()
    for module_info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(module_info.name)
        for name, function in inspect.getmembers(module, inspect.iscoroutinefunction):
            keywords = {p.name for p in inspect.signature(function).parameters.values()
                        if p.kind is inspect.Parameter.KEYWORD_ONLY}
            takes_a_transaction = bool(keywords & {"uow", "new_uow"})
            if (function.__module__ == module.__name__ and not name.startswith("_")
                    and takes_a_transaction and "viewer" in keywords):
                found.add(name)
    return found


def test_every_use_case_of_the_domain_is_in_the_container_once() -> None:
    names = [use_case.name for use_case in _bound(_use_cases())]

    assert sorted(names) == sorted(set(names))
    assert set(names) == _domain_use_cases()


def test_the_container_acts_as_the_system_until_told_otherwise() -> None:
    clerk = Viewer(Role.STAFF, "wang@example.com")
    use_cases = _use_cases()

    acting = use_cases.acting_as(clerk)

    assert {u.viewer for u in _bound(use_cases)} == {Viewer.system()}
    assert {u.viewer for u in _bound(acting)} == {clerk}
    assert acting.viewer == clerk


async def test_a_use_case_runs_in_the_unit_of_work_the_container_provides() -> None:
    uow = FakeUnitOfWork()

    store = await _use_cases(uow).organisation.create_store(CreateStore("hz-westlake", "West Lake"))

    async with uow:
        assert await uow.stores.get(store.id) == store


def test_a_callers_use_cases_are_bound_once_and_act_as_her() -> None:
    clerk = Viewer(Role.STAFF, "wang@example.com")
    use_cases = _use_cases()

    first, again = use_cases.acting_as(clerk), use_cases.acting_as(Viewer(Role.STAFF,
                                                                         "wang@example.com"))
    other = use_cases.acting_as(Viewer(Role.STAFF, "li@example.com"))

    assert first is again
    assert {u.viewer for u in _bound(other)} == {Viewer(Role.STAFF, "li@example.com")}
