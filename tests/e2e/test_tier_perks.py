"""A tier's perks pointing at partner offers, over HTTP. The loyalty manager points Gold's
movie-ticket perk at the cinema's offer and reads it back; what she may not point it at is
refused with a code and changes nothing; a web shop shows its member her tier's perks, with
the offer while she can get it but none of the partnership's terms, compiled or executed; a
partner sees no offer on any perk, not even its own."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from domain.shared.access import Role, Viewer
from tests.e2e.api import USER_ERRORS, Api, Gql, Snapshot, gql_of, refused, result, uuid_in
from tests.e2e.loyalty_api import WOMENSWEAR, LoyaltyApi, line
from tests.e2e.partners_api import CINEMA, OFFER_INPUT, PartnersApi

ClientAs = Callable[..., Awaitable[httpx.AsyncClient]]

TICKET = "A free movie ticket at Wanda Cinema"
ALTERATIONS = "free alterations"
PERKS = "perks perkDetails { text offer { code status partner { code } } }"
PROGRAMME_SAVE = f"""
mutation($input: LoyaltyProgrammeSaveInput!) {{
  loyaltyProgrammeSave(input: $input) {{ programme {{ tiers {{ code {PERKS} }} }} {USER_ERRORS} }}
}}
"""
PROGRAMME = f"query {{ loyaltyProgramme {{ tiers {{ code {PERKS} }} }} }}"
HER_TIER = """
query($id: ID!) {
  customer(id: $id) {
    loyalty { tier { code perkDetails { text offer { title benefit { kind item } } } } }
  }
}
"""
# Everything of an offer and its partner that is the brand's business with the partner.
TERMS = """
query($id: ID!) {
  customer(id: $id) {
    loyalty { tier { code perkDetails { text offer {
      title
      cost { payer unitCost { amount } brandShare brandOwes { amount } }
      quota { total perMember perPeriod period }
      partner { name termsDays pointValue { amount } contactName contactEmail
                offers { nodes { code } } }
    } } } }
  }
}
"""
GOLD_PERKS = ["tiers", "2", "perkDetails"]


@dataclass(frozen=True)
class Cinema:
    partner: str  # its id
    offer: str  # the id of its movie ticket, active
    ticket: dict[str, str]  # the ticket as a definition names it


@pytest.fixture
async def cinema(gql: Gql) -> Cinema:
    partners = PartnersApi(gql)
    partner = (await partners.partner())["id"]
    offer = (await partners.offer(partner, active=True))["id"]
    return Cinema(partner, offer, {"partnerCode": CINEMA["code"], "code": OFFER_INPUT["code"]})


def with_gold(gold: dict[str, Any]) -> dict[str, Any]:
    """The womenswear programme's definition, Gold's perks replaced by `gold`'s."""
    member, silver, womenswear_gold = WOMENSWEAR["tiers"]
    plain = {k: v for k, v in womenswear_gold.items() if k != "perks"}
    return {**WOMENSWEAR, "tiers": [member, silver, {**plain, **gold}]}


def gold_pointing_at(*offers: dict[str, str] | None) -> dict[str, Any]:
    """Gold with the free alterations, then a movie-ticket perk for each of `offers`."""
    tickets = [{"text": f"{TICKET} ({n})" if n else TICKET, "offer": offer}
               for n, offer in enumerate(offers)]
    return with_gold({"perkDetails": [{"text": ALTERATIONS}, *tickets]})


async def _saved_gold(gql: Gql, definition: dict[str, Any]) -> dict[str, Any]:
    programme = result(await gql(PROGRAMME_SAVE, {"input": definition}), "loyaltyProgrammeSave")
    gold: dict[str, Any] = programme["tiers"][2]
    return gold


def _offer_shown(status: str = "ACTIVE") -> dict[str, Any]:
    return {"code": OFFER_INPUT["code"], "status": status, "partner": {"code": CINEMA["code"]}}


async def _change(gql: Gql, offer: str, status: str) -> None:
    await PartnersApi(gql).status(offer, status)


# --- the loyalty manager -----------------------------------------------------------------


async def test_a_perk_saved_pointing_at_an_offer_answers_with_it(
    gql: Gql, cinema: Cinema
) -> None:
    gold = await _saved_gold(gql, gold_pointing_at(cinema.ticket))

    assert gold["perks"] == [ALTERATIONS, TICKET]
    assert gold["perkDetails"] == [{"text": ALTERATIONS, "offer": None},
                                   {"text": TICKET, "offer": _offer_shown()}]


async def test_the_programme_read_again_has_its_perks_offers(gql: Gql, cinema: Cinema) -> None:
    saved = await _saved_gold(gql, gold_pointing_at(cinema.ticket))

    body = await gql(PROGRAMME)

    assert "errors" not in body, body
    assert body["data"]["loyaltyProgramme"]["tiers"][2] == saved


async def test_a_client_saving_plain_perks_keeps_the_offers_of_their_texts(
    gql: Gql, cinema: Cinema
) -> None:
    await _saved_gold(gql, gold_pointing_at(cinema.ticket))

    gold = await _saved_gold(gql, with_gold({"perks": [ALTERATIONS, TICKET]}))

    assert gold["perkDetails"][1] == {"text": TICKET, "offer": _offer_shown()}


async def test_staff_see_a_paused_offer_of_a_perk_with_its_status(
    gql: Gql, cinema: Cinema
) -> None:
    await _saved_gold(gql, gold_pointing_at(cinema.ticket))
    await _change(gql, cinema.offer, "PAUSED")

    body = await gql(PROGRAMME)

    assert body["data"]["loyaltyProgramme"]["tiers"][2]["perkDetails"][1]["offer"] == \
        _offer_shown("PAUSED")


# --- refused, and nothing changed ------------------------------------------------------------


async def _refused(gql: Gql, snapshot: Snapshot, definition: dict[str, Any]
                   ) -> list[tuple[list[str] | None, str]]:
    """Saving `definition` over the programme as it stands, expecting it refused."""
    await LoyaltyApi(gql).programme()
    return await refused(gql, snapshot, PROGRAMME_SAVE, "loyaltyProgrammeSave", definition)


async def test_a_perk_pointing_at_an_offer_the_partner_lacks_is_not_found(
    gql: Gql, snapshot: Snapshot, cinema: Cinema
) -> None:
    definition = gold_pointing_at({**cinema.ticket, "code": "free-popcorn"})
    assert await _refused(gql, snapshot, definition) == [
        ([*GOLD_PERKS, "1", "offer"], "NOT_FOUND")]


async def test_a_perk_pointing_at_an_ended_offer_is_refused(
    gql: Gql, snapshot: Snapshot, cinema: Cinema
) -> None:
    await _change(gql, cinema.offer, "ENDED")
    assert await _refused(gql, snapshot, gold_pointing_at(cinema.ticket)) == [
        ([*GOLD_PERKS, "1", "offer", "code"], "OUTSIDE_VALIDITY")]


async def test_a_perk_pointing_at_a_suspended_partner_s_offer_is_refused(
    gql: Gql, snapshot: Snapshot, cinema: Cinema
) -> None:
    await PartnersApi(gql).suspend(cinema.partner)
    assert await _refused(gql, snapshot, gold_pointing_at(cinema.ticket)) == [
        ([*GOLD_PERKS, "1", "offer", "partnerCode"], "SUSPENDED")]


async def test_two_perks_of_a_tier_pointing_at_one_offer_are_refused(
    gql: Gql, snapshot: Snapshot, cinema: Cinema
) -> None:
    definition = gold_pointing_at(cinema.ticket, cinema.ticket)
    assert await _refused(gql, snapshot, definition) == [
        ([*GOLD_PERKS, "2", "offer"], "DUPLICATE")]


async def test_perks_and_perk_details_given_together_are_refused(
    gql: Gql, snapshot: Snapshot, cinema: Cinema
) -> None:
    definition = with_gold({"perks": [ALTERATIONS], "perkDetails": [{"text": TICKET}]})
    assert await _refused(gql, snapshot, definition) == [(GOLD_PERKS, "INVALID")]


# --- who sees a perk's offer -----------------------------------------------------------------


async def _gold_member(api: Api, loyalty: LoyaltyApi) -> str:
    """A member who spent her way to Gold: her id."""
    member: str = (await api.customer(displayName="Lisa Wang"))["id"]
    await loyalty.purchase(member, "WEB-GOLD-1", line("CASHMERE-COAT", "20000.00"))
    return member


async def _web_shop_of_a_gold_member(api: Api, loyalty: LoyaltyApi, client_as: ClientAs,
                                     **changes: Any) -> tuple[Gql, str]:
    """The web shop acting for a member who spent her way to Gold (its app's settings
    changed by `changes`), and her id."""
    member = await _gold_member(api, loyalty)
    shop = await client_as(Viewer(Role.STOREFRONT, "client:web-shop", member_id=uuid_in(member)),
                           **changes)
    return gql_of(shop), member


async def _her_perks(shop: Gql, member: str) -> list[dict[str, Any]]:
    body = await shop(HER_TIER, {"id": member})
    assert "errors" not in body, body
    tier = body["data"]["customer"]["loyalty"]["tier"]
    assert tier["code"] == "gold"
    perks: list[dict[str, Any]] = tier["perkDetails"]
    return perks


async def test_a_web_shop_shows_its_member_her_tier_s_perks_with_the_offer_she_can_get(
    gql: Gql, api: Api, loyalty: LoyaltyApi, client_as: ClientAs, cinema: Cinema
) -> None:
    await _saved_gold(gql, gold_pointing_at(cinema.ticket))
    shop, member = await _web_shop_of_a_gold_member(api, loyalty, client_as)

    assert await _her_perks(shop, member) == [
        {"text": ALTERATIONS, "offer": None},
        {"text": TICKET, "offer": {"title": OFFER_INPUT["title"],
                                   "benefit": OFFER_INPUT["benefit"]}},
    ]


async def test_a_web_shop_shows_the_perk_s_text_alone_while_its_offer_is_paused(
    gql: Gql, api: Api, loyalty: LoyaltyApi, client_as: ClientAs, cinema: Cinema
) -> None:
    await _saved_gold(gql, gold_pointing_at(cinema.ticket))
    shop, member = await _web_shop_of_a_gold_member(api, loyalty, client_as)
    await _change(gql, cinema.offer, "PAUSED")

    assert (await _her_perks(shop, member))[1] == {"text": TICKET, "offer": None}


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "executed"])
async def test_a_web_shop_sees_none_of_the_partnership_s_terms_on_a_perk_s_offer(
    gql: Gql, api: Api, loyalty: LoyaltyApi, client_as: ClientAs, cinema: Cinema,
    compiled: bool,
) -> None:
    await _saved_gold(gql, gold_pointing_at(cinema.ticket))
    shop, member = await _web_shop_of_a_gold_member(api, loyalty, client_as,
                                                    compiled_reads=compiled)

    body = await shop(TERMS, {"id": member})

    assert "errors" not in body, body
    ticket = body["data"]["customer"]["loyalty"]["tier"]["perkDetails"][1]["offer"]
    assert ticket == {"title": OFFER_INPUT["title"], "cost": None, "quota": None,
                      "partner": {"name": CINEMA["name"], "termsDays": None,
                                  "pointValue": None, "contactName": None,
                                  "contactEmail": None, "offers": None}}


async def test_staff_see_the_terms_of_a_perk_s_offer(
    gql: Gql, api: Api, loyalty: LoyaltyApi, cinema: Cinema
) -> None:
    await _saved_gold(gql, gold_pointing_at(cinema.ticket))
    member = await _gold_member(api, loyalty)

    body = await gql(TERMS, {"id": member})

    assert "errors" not in body, body
    ticket = body["data"]["customer"]["loyalty"]["tier"]["perkDetails"][1]["offer"]
    assert (ticket["cost"]["unitCost"], ticket["quota"]["perMember"]) == ({"amount": "35.00"}, 1)
    assert (ticket["partner"]["contactName"], ticket["partner"]["termsDays"]) == (
        CINEMA["contactName"], 30)
    assert ticket["partner"]["offers"] == {"nodes": [{"code": OFFER_INPUT["code"]}]}


async def test_a_partner_sees_the_perks_texts_and_no_offer_not_even_its_own(
    gql: Gql, client_as: ClientAs, cinema: Cinema
) -> None:
    await _saved_gold(gql, gold_pointing_at(cinema.ticket))
    counter = await client_as(Viewer(Role.PARTNER, "client:box-office",
                                     partner_code=CINEMA["code"]))

    body = await gql_of(counter)(PROGRAMME)

    assert "errors" not in body, body
    gold = body["data"]["loyaltyProgramme"]["tiers"][2]
    assert gold["perkDetails"] == [{"text": ALTERATIONS, "offer": None},
                                   {"text": TICKET, "offer": None}]
