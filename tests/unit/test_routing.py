"""Case routing: rules by kind, category, channel and store send a new case to an owner or a
queue; the most specific matching rule wins, then the oldest."""

from datetime import timedelta

from domain.cases.commands import CreateRoutingRule, DeleteRoutingRule
from domain.cases.model import DEFAULT_QUEUE, CaseKind, Route, RoutingRule, route
from domain.cases.services import create_routing_rule, delete_routing_rule
from domain.interactions.model import Channel
from domain.shared.errors import ErrorCode
from domain.shared.ids import new_id
from tests.builders import (
    ADMIN,
    a_case,
    a_customer,
    a_routing_rule,
    a_staff_member,
    a_store,
    an_interaction,
    problems,
    refused,
)
from tests.fakes import DEFAULT_NOW, FakeUnitOfWork, FixedClock

COMPLAINT, REQUEST = CaseKind.COMPLAINT, CaseKind.REQUEST


class TestRouting:
    async def test_without_rules_a_case_goes_to_the_default_queue_unowned(
        self, uow: FakeUnitOfWork
    ) -> None:
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id)
        assert (case.queue, case.owner_id) == (DEFAULT_QUEUE, None)

    async def test_a_matching_rule_sends_the_case_to_its_queue_and_owner(
        self, uow: FakeUnitOfWork
    ) -> None:
        clerk = await a_staff_member(uow)
        await a_routing_rule(uow, kind=COMPLAINT, queue="complaints", owner_id=clerk.id)
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, kind=COMPLAINT)
        assert (case.queue, case.owner_id) == ("complaints", clerk.id)
        assert uow.events[-1].data == {"queue": "complaints"}

    async def test_a_rule_that_does_not_match_is_ignored(self, uow: FakeUnitOfWork) -> None:
        await a_routing_rule(uow, kind=COMPLAINT, channel=Channel.PHONE, queue="hotline")
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, kind=COMPLAINT, channel=Channel.EMAIL)
        assert case.queue == DEFAULT_QUEUE

    async def test_the_most_specific_matching_rule_wins(self, uow: FakeUnitOfWork) -> None:
        await a_routing_rule(uow, kind=COMPLAINT, queue="complaints")
        await a_routing_rule(uow, kind=COMPLAINT, category="quality", queue="quality")
        await a_routing_rule(uow, queue="everything")
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, kind=COMPLAINT, category="Quality")
        assert case.queue == "quality"

    async def test_among_equally_specific_rules_the_oldest_wins(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        store, now = await a_store(uow), clock.now()
        await a_routing_rule(uow, kind=COMPLAINT, queue="newer")
        clock.set(now - timedelta(hours=1))  # made second, but dated earlier
        await a_routing_rule(uow, store_id=store.id, queue="older")
        clock.set(now)
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, kind=COMPLAINT, store_id=store.id)
        assert case.queue == "older"

    async def test_an_owner_given_overrides_the_rules_owner_but_not_its_queue(
        self, uow: FakeUnitOfWork
    ) -> None:
        routed_to, chosen = await a_staff_member(uow), await a_staff_member(uow)
        await a_routing_rule(uow, kind=COMPLAINT, queue="complaints", owner_id=routed_to.id)
        customer = await a_customer(uow)
        case = await a_case(uow, customer.id, kind=COMPLAINT, owner_id=chosen.id)
        assert (case.owner_id, case.queue) == (chosen.id, "complaints")

    async def test_rules_see_the_channel_and_store_inherited_from_the_interaction(
        self, uow: FakeUnitOfWork
    ) -> None:
        store = await a_store(uow)
        await a_routing_rule(uow, channel=Channel.POS, store_id=store.id, queue="west-lake")
        customer = await a_customer(uow)
        sale = await an_interaction(uow, customer.id, channel=Channel.POS, store_id=store.id)
        case = await a_case(uow, customer.id, kind=REQUEST, interaction_id=sale.id)
        assert case.queue == "west-lake"


class TestRoute:
    """The rule itself, whatever order the rules come in."""

    def test_ties_go_to_the_oldest_rule_in_any_order(self) -> None:
        older = RoutingRule(new_id(), DEFAULT_NOW, queue="older", kind=COMPLAINT)
        newer = RoutingRule(
            new_id(), DEFAULT_NOW + timedelta(seconds=1), queue="newer", channel=Channel.PHONE
        )
        facts = {"kind": COMPLAINT, "channel": Channel.PHONE}
        assert route([newer, older], facts) == Route(owner_id=None, queue="older")
        assert route([older, newer], facts) == Route(owner_id=None, queue="older")

    def test_more_criteria_beat_an_older_rule(self) -> None:
        broad = RoutingRule(new_id(), DEFAULT_NOW, queue="broad", kind=COMPLAINT)
        narrow = RoutingRule(
            new_id(),
            DEFAULT_NOW + timedelta(days=1),
            queue="narrow",
            kind=COMPLAINT,
            channel=Channel.PHONE,
        )
        facts = {"kind": COMPLAINT, "channel": Channel.PHONE}
        assert route([broad, narrow], facts).queue == "narrow"

    def test_a_rule_without_criteria_matches_everything(self) -> None:
        catch_all = RoutingRule(new_id(), DEFAULT_NOW, queue="triage")
        assert route([catch_all], {"kind": REQUEST}).queue == "triage"


class TestRoutingRules:
    async def test_a_rule_is_stored_with_its_criteria_and_the_default_queue(
        self, uow: FakeUnitOfWork, clock: FixedClock
    ) -> None:
        store = await a_store(uow)
        rule = await a_routing_rule(
            uow, kind=COMPLAINT, category="Quality", channel=Channel.PHONE, store_id=store.id
        )
        assert uow.data.routing_rules == {rule.id: rule}
        assert (rule.queue, rule.category, rule.created_at) == (
            DEFAULT_QUEUE,
            "quality",
            clock.now(),
        )
        assert rule.criteria() == {
            "kind": COMPLAINT,
            "category": "quality",
            "channel": Channel.PHONE,
            "store_id": store.id,
        }

    async def test_queue_and_category_must_be_slugs(self, uow: FakeUnitOfWork) -> None:
        command = CreateRoutingRule(queue="VIP desk", category="bad category")
        error = await refused(uow, create_routing_rule(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {
            (("queue",), ErrorCode.INVALID),
            (("category",), ErrorCode.INVALID),
        }

    async def test_an_unknown_owner_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = CreateRoutingRule(owner_id=new_id())
        error = await refused(uow, create_routing_rule(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("owner_id",), ErrorCode.NOT_FOUND)}

    async def test_an_unknown_store_is_not_found(self, uow: FakeUnitOfWork) -> None:
        command = CreateRoutingRule(store_id=new_id())
        error = await refused(uow, create_routing_rule(command, uow=uow, viewer=ADMIN))
        assert problems(error) == {(("store_id",), ErrorCode.NOT_FOUND)}

    async def test_a_deleted_rule_no_longer_routes(self, uow: FakeUnitOfWork) -> None:
        rule = await a_routing_rule(uow, kind=COMPLAINT, queue="complaints")
        assert (
            await delete_routing_rule(DeleteRoutingRule(rule.id), uow=uow, viewer=ADMIN) == rule.id
        )
        assert uow.data.routing_rules == {}
        customer = await a_customer(uow)
        assert (await a_case(uow, customer.id, kind=COMPLAINT)).queue == DEFAULT_QUEUE

    async def test_deleting_an_unknown_rule_is_not_found(self, uow: FakeUnitOfWork) -> None:
        await a_routing_rule(uow, queue="complaints")
        error = await refused(
            uow, delete_routing_rule(DeleteRoutingRule(new_id()), uow=uow, viewer=ADMIN)
        )
        assert problems(error) == {(("rule_id",), ErrorCode.NOT_FOUND)}
