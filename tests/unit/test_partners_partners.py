"""Partners themselves (domain/partners/partners.py): onboarding, editing, suspending and
reactivating one, and giving it API clients. A refusal writes nothing."""

from decimal import Decimal
from typing import Any

import pytest

from domain.partners.commands import (
    CreatePartnerApiClient,
    ReactivatePartner,
    SuspendPartner,
    UpdatePartner,
)
from domain.partners.model import Partner, PartnerStatus
from domain.partners.partners import (
    create_partner,
    create_partner_api_client,
    reactivate_partner,
    suspend_partner,
    update_partner,
)
from domain.shared.access import Role, Viewer
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    Problem,
    a_partner,
    a_partner_command,
    problems,
    refused,
    suspend,
)
from tests.fakes import FakeUnitOfWork

CLERK = Viewer(Role.STAFF, "staff:wang-fang")


async def _creating(uow: FakeUnitOfWork, viewer: Viewer = ADMIN,
                    **changes: Any) -> set[Problem]:
    attempt = create_partner(a_partner_command(**changes), uow=uow, viewer=viewer)
    return problems(await refused(uow, attempt))


async def _updating(uow: FakeUnitOfWork, partner: Partner, *, expected_version: int | None = None,
                    **changes: Any) -> set[Problem]:
    command = UpdatePartner(partner.id, changes, expected_version)
    return problems(await refused(uow, update_partner(command, uow=uow, viewer=ADMIN)))


class TestCreatePartner:
    async def test_a_new_partner_is_active_at_version_one_and_announced(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema = await a_partner(uow, code="wanda-jingan")
        assert uow.data.partners[cinema.id] == cinema
        assert (cinema.status, cinema.version) == (PartnerStatus.ACTIVE, 1)
        assert uow.event_names == ["PartnerCreated"]

    async def test_its_code_and_currency_are_kept_in_their_canonical_form(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema = await a_partner(uow, code=" Wanda-Jingan ", currency="cny")
        assert (cinema.code, cinema.currency) == ("wanda-jingan", "CNY")

    async def test_its_contact_email_is_normalised(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow, contact_email=" Alliance@Wanda.Example ")
        assert cinema.contact_email == "alliance@wanda.example"

    async def test_a_code_another_partner_has_is_a_duplicate(
        self, uow: FakeUnitOfWork
    ) -> None:
        await a_partner(uow, code="wanda")
        assert await _creating(uow, code="wanda", name="Wanda rival") == {
            (("code",), ErrorCode.DUPLICATE)}

    async def test_a_code_that_is_not_a_slug(self, uow: FakeUnitOfWork) -> None:
        assert await _creating(uow, code="Wanda Cinema!") == {(("code",), ErrorCode.INVALID)}

    @pytest.mark.parametrize("currency", ["yuan", "C1Y", ""])
    async def test_a_currency_that_is_not_an_iso_code(
        self, uow: FakeUnitOfWork, currency: str
    ) -> None:
        assert await _creating(uow, currency=currency) == {(("currency",), ErrorCode.INVALID)}

    async def test_a_contact_email_that_is_not_one(self, uow: FakeUnitOfWork) -> None:
        assert await _creating(uow, contact_email="alliance at wanda") == {
            (("contact_email",), ErrorCode.INVALID)}

    async def test_a_name_that_is_blank(self, uow: FakeUnitOfWork) -> None:
        assert await _creating(uow, name="  ") == {(("name",), ErrorCode.REQUIRED)}

    @pytest.mark.parametrize("days", [-1, 366])
    async def test_payment_terms_outside_a_year(self, uow: FakeUnitOfWork, days: int) -> None:
        assert await _creating(uow, terms_days=days) == {(("terms_days",), ErrorCode.INVALID)}

    @pytest.mark.parametrize("rate", [Decimal(0), Decimal(-1), Decimal(1001)])
    async def test_an_earn_rate_that_is_not_above_zero_or_is_a_typo(
        self, uow: FakeUnitOfWork, rate: Decimal
    ) -> None:
        assert await _creating(uow, earn_rate=rate) == {(("earn_rate",), ErrorCode.INVALID)}

    async def test_a_negative_point_value(self, uow: FakeUnitOfWork) -> None:
        assert await _creating(uow, point_value=Decimal("-0.01")) == {
            (("point_value",), ErrorCode.INVALID)}

    async def test_every_bad_field_is_reported_at_once(self, uow: FakeUnitOfWork) -> None:
        assert await _creating(uow, currency="yuan", contact_email="nope") == {
            (("currency",), ErrorCode.INVALID), (("contact_email",), ErrorCode.INVALID)}

    async def test_staff_may_not_onboard_a_partner(self, uow: FakeUnitOfWork) -> None:
        assert await _creating(uow, viewer=CLERK) == {((), ErrorCode.NOT_ALLOWED)}


class TestUpdatePartner:
    async def test_a_change_is_saved_with_the_next_version(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow)
        changed = await update_partner(
            UpdatePartner(cinema.id, {"name": "Wanda IMAX", "terms_days": 45}, 1),
            uow=uow, viewer=ADMIN)
        assert (changed.name, changed.terms_days, changed.version) == ("Wanda IMAX", 45, 2)
        assert uow.data.partners[cinema.id] == changed

    async def test_none_clears_an_optional_field(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow)
        changed = await update_partner(UpdatePartner(cinema.id, {"contact_email": None}),
                                       uow=uow, viewer=ADMIN)
        assert changed.contact_email is None

    async def test_a_stale_version_is_a_conflict(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow)
        await update_partner(UpdatePartner(cinema.id, {"name": "Wanda IMAX"}), uow=uow,
                             viewer=ADMIN)
        assert await _updating(uow, cinema, expected_version=1, name="Wanda 4D") == {
            (("expected_version",), ErrorCode.CONFLICT)}

    @pytest.mark.parametrize("field", ["code", "currency", "status"])
    async def test_its_code_currency_and_status_are_not_editable(
        self, uow: FakeUnitOfWork, field: str
    ) -> None:
        cinema = await a_partner(uow)
        edit: dict[str, Any] = {field: "x"}
        assert await _updating(uow, cinema, **edit) == {
            (("changes",), ErrorCode.INVALID)}

    async def test_a_bad_email(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow)
        assert await _updating(uow, cinema, contact_email="alliance at wanda") == {
            (("contact_email",), ErrorCode.INVALID)}

    async def test_an_unknown_partner(self, uow: FakeUnitOfWork) -> None:
        command = UpdatePartner(new_id(), {"name": "Nobody"})
        error = await refused(uow, update_partner(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("partner_id",), ErrorCode.NOT_FOUND)}


class TestSuspendAndReactivate:
    async def test_a_suspended_partner_is_saved_suspended_and_announced(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema = await a_partner(uow)
        suspended = await suspend(uow, cinema)
        assert (suspended.status, suspended.version) == (PartnerStatus.SUSPENDED, 2)
        assert uow.data.partners[cinema.id] == suspended
        assert uow.events[-1].name == "PartnerSuspended"
        assert uow.events[-1].data == {"reason": "Contract under review"}

    async def test_suspending_needs_a_reason(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow)
        attempt = suspend_partner(SuspendPartner(cinema.id, " "), uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("reason",), ErrorCode.REQUIRED)}

    async def test_suspending_a_suspended_partner_changes_nothing(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema = await suspend(uow, await a_partner(uow))
        before = uow.snapshot()
        again = await suspend(uow, cinema)
        assert again == cinema
        assert uow.snapshot() == before

    async def test_suspending_with_a_stale_version_is_a_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema = await a_partner(uow)
        await update_partner(UpdatePartner(cinema.id, {"name": "Wanda IMAX"}), uow=uow,
                             viewer=ADMIN)
        command = SuspendPartner(cinema.id, "Contract under review", expected_version=1)
        error = await refused(uow, suspend_partner(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}

    async def test_a_reactivated_partner_is_active_again(self, uow: FakeUnitOfWork) -> None:
        cinema = await suspend(uow, await a_partner(uow))
        active = await reactivate_partner(ReactivatePartner(cinema.id, cinema.version),
                                          uow=uow, viewer=ADMIN)
        assert (active.status, active.version) == (PartnerStatus.ACTIVE, 3)
        assert uow.event_names[-1] == "PartnerReactivated"

    async def test_reactivating_with_a_stale_version_is_a_conflict(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema = await a_partner(uow)
        await suspend(uow, cinema)
        command = ReactivatePartner(cinema.id, expected_version=cinema.version)
        error = await refused(uow, reactivate_partner(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}

    async def test_staff_may_not_suspend_a_partner(self, uow: FakeUnitOfWork) -> None:
        cinema = await a_partner(uow)
        attempt = suspend_partner(SuspendPartner(cinema.id, "Late payments"), uow=uow,
                                  viewer=CLERK)
        assert problems(await refused(uow, attempt)) == {((), ErrorCode.NOT_ALLOWED)}


class TestPartnerApiClients:
    async def test_a_client_is_a_partner_client_bound_to_the_partners_code(
        self, uow: FakeUnitOfWork
    ) -> None:
        cinema = await a_partner(uow, code="wanda-jingan")
        issued = await create_partner_api_client(CreatePartnerApiClient(cinema.id, "box-office"),
                                                 uow=uow, viewer=ADMIN)
        stored = uow.data.api_clients[issued.client.id]
        assert (stored.role, stored.partner_code) == (Role.PARTNER, "wanda-jingan")

    async def test_a_suspended_partner_gets_no_new_client(self, uow: FakeUnitOfWork) -> None:
        cinema = await suspend(uow, await a_partner(uow))
        attempt = create_partner_api_client(CreatePartnerApiClient(cinema.id, "box-office"),
                                            uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("partner_id",), ErrorCode.SUSPENDED)}

    async def test_an_unknown_partner_gets_no_client(self, uow: FakeUnitOfWork) -> None:
        attempt = create_partner_api_client(CreatePartnerApiClient(new_id(), "box-office"),
                                            uow=uow, viewer=ADMIN)
        assert problems(await refused(uow, attempt)) == {(("partner_id",), ErrorCode.NOT_FOUND)}
