"""Who may do what (domain/shared/access.py), and the policy as docs/security.md shows it."""

import re
from pathlib import Path
from uuid import uuid4

import pytest

from domain.shared.access import POLICY, Operation, Role, Scope, Viewer
from domain.shared.errors import DomainError, ErrorCode

STORE, OTHER_STORE, CLERK, MEMBER = uuid4(), uuid4(), uuid4(), uuid4()
CLERK_VIEWER = Viewer(Role.STAFF, "staff:wang", staff_id=CLERK, store_ids=frozenset({STORE}))


# A partner's counter acts as the partner itself (its redemptions and coalition earn are
# settled with it): no one else may, not even an admin.
PARTNER_ONLY = {Operation.GRANT_REDEEM, Operation.PARTNER_PURCHASE_RECORD,
                Operation.OWN_OFFERS_READ}


def test_every_operation_has_a_rule_and_admins_may_do_everything_but_be_a_partner() -> None:
    assert set(POLICY) == set(Operation)
    assert {op for op, roles in POLICY.items() if Role.ADMIN not in roles} == PARTNER_ONLY
    assert all(POLICY[op] == {Role.PARTNER} for op in PARTNER_ONLY)


def test_a_role_outside_the_rule_is_refused_with_not_allowed() -> None:
    analyst = Viewer(Role.ANALYTICS, "client:bi")

    with pytest.raises(DomainError) as refused:
        analyst.require(Operation.CUSTOMER_READ)

    (error,) = refused.value.errors
    assert (error.field, error.code) == ((), ErrorCode.NOT_ALLOWED)
    assert error.message == "ANALYTICS may not customer.read"


def test_personal_data_is_for_roles_that_serve_members() -> None:
    sees = {role: Viewer(role, "x").may_see(Scope.PERSONAL_DATA) for role in Role}

    assert sees == {Role.ADMIN: True, Role.STAFF: True, Role.STOREFRONT: True,
                    Role.PARTNER: False, Role.ANALYTICS: False}


def test_a_partnership_s_terms_are_for_the_brand_s_staff_and_the_partner() -> None:
    sees = {role: Viewer(role, "x").may_see(Scope.PARTNER_TERMS) for role in Role}

    assert sees == {Role.ADMIN: True, Role.STAFF: True, Role.STOREFRONT: False,
                    Role.PARTNER: True, Role.ANALYTICS: False}


def test_scopes_given_explicitly_replace_the_roles_even_when_empty() -> None:
    assert not Viewer(Role.ADMIN, "x", scopes=frozenset()).may_see(Scope.PERSONAL_DATA)


def test_a_clerk_reaches_her_stores_customers_and_those_she_owns() -> None:
    reach = CLERK_VIEWER.customer_reach

    assert reach.includes(uuid4(), STORE, None)
    assert reach.includes(uuid4(), OTHER_STORE, CLERK)
    assert not reach.includes(uuid4(), OTHER_STORE, uuid4())
    assert not reach.includes(uuid4(), None, None)


def test_a_storefront_reaches_only_the_member_it_acts_for() -> None:
    shop = Viewer(Role.STOREFRONT, "client:shop", member_id=MEMBER)

    assert shop.customer_reach.includes(MEMBER, None, None)
    assert not shop.customer_reach.includes(uuid4(), STORE, CLERK)
    assert not Viewer(Role.STOREFRONT, "client:shop").customer_reach.includes(MEMBER, None, None)


def test_admins_reach_everyone_and_partners_no_one() -> None:
    assert Viewer.system().customer_reach.everyone
    assert not Viewer(Role.PARTNER, "client:cinema").customer_reach.includes(MEMBER, STORE, CLERK)


def test_reaching_outside_is_refused_with_not_allowed() -> None:
    with pytest.raises(DomainError) as refused:
        CLERK_VIEWER.require_reach(uuid4(), OTHER_STORE, None)

    assert refused.value.errors[0].code is ErrorCode.NOT_ALLOWED


def test_the_role_table_in_the_security_docs_is_the_policy() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    operation_row = re.compile(r"\| `[a-z_]+\.[a-z_]+` \|")
    header, *rows = [line for line in docs.splitlines()
                     if operation_row.match(line) or line.startswith("| operation |")]
    roles = [Role(cell.strip()) for cell in header.strip("|").split("|")[1:]]
    documented = {}
    for row in rows:
        operation, *cells = [cell.strip() for cell in row.strip("|").split("|")]
        documented[Operation(operation.strip("`"))] = frozenset(
            role for role, cell in zip(roles, cells, strict=True) if cell == "✓")

    assert documented == dict(POLICY)
