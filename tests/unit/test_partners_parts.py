"""Her grants follow her record: a merge moves the duplicate's to the survivor, so a code
she was given still works, and her data export lists them."""

from domain.customers.commands import ExportCustomerData, MergeCustomers
from domain.customers.privacy import export_customer_data
from domain.customers.services import merge_customers
from domain.partners.codes import displayed
from domain.partners.parts import PartnersPart
from tests.builders import ADMIN, a_consenting_member, a_grant, a_partner, an_offer
from tests.fakes import FakeUnitOfWork

PARTS = (PartnersPart(),)


async def test_a_merge_moves_the_duplicates_grants_to_the_survivor(
    uow: FakeUnitOfWork,
) -> None:
    survivor, duplicate = await a_consenting_member(uow), await a_consenting_member(uow)
    grant = await a_grant(uow, await an_offer(uow, await a_partner(uow)), duplicate)
    await merge_customers(MergeCustomers(survivor.id, duplicate.id), uow=uow, viewer=ADMIN,
                          parts=PARTS)
    async with uow:
        moved = await uow.partners.get_grant(grant.id)
    assert moved is not None
    assert moved.customer_id == survivor.id


async def test_her_export_lists_her_grants_by_the_code_she_was_shown(
    uow: FakeUnitOfWork,
) -> None:
    lisa = await a_consenting_member(uow)
    grant = await a_grant(uow, await an_offer(uow, await a_partner(uow)), lisa)
    document = await export_customer_data(ExportCustomerData(lisa.id), uow=uow, viewer=ADMIN,
                                          parts=PARTS)
    [exported] = document["partnerBenefits"]["grants"]
    assert (exported["code"], exported["state"]) == (displayed(grant.code), "ISSUED")
