"""For each compiled field with arguments: the function turning its (converted) arguments
into what the SQL mapping binds. They are the functions the resolvers call, or check what
those check, so both paths read and refuse arguments the same way (a refusal here sends the
request to normal execution, which answers with the resolver's error)."""

from api.graphql.cases.queries import cases_arguments
from api.graphql.cases.types import customer_cases_arguments
from api.graphql.compiled.selection import Readers
from api.graphql.customers.queries import customer_arguments, customers_arguments
from api.graphql.interactions.types import timeline_arguments
from api.graphql.loyalty.types import MAX_EXPIRY_HORIZON_DAYS
from api.graphql.pipeline.queries import board_arguments
from api.graphql.relay import page_request
from domain.shared.paging import PageRequest


def programme_arguments(code: str | None = None) -> tuple[str | None]:
    return (code,)


def membership_arguments(programme: str | None = None) -> tuple[str | None]:
    return (programme,)


def page_arguments(first: int | None = None, after: str | None = None,
                   last: int | None = None, before: str | None = None) -> tuple[PageRequest]:
    return (page_request(first, after, last, before),)


def expiring_arguments(within_days: int = 30) -> tuple[int]:
    if not 0 <= within_days <= MAX_EXPIRY_HORIZON_DAYS:
        raise ValueError(f"withinDays is 0 to {MAX_EXPIRY_HORIZON_DAYS}")
    return (within_days,)


READERS: Readers = {
    ("Query", "customer"): customer_arguments,
    ("Query", "customers"): customers_arguments,
    ("Query", "cases"): cases_arguments,
    ("Query", "loyaltyProgramme"): programme_arguments,
    ("Customer", "timeline"): timeline_arguments,
    ("Customer", "cases"): customer_cases_arguments,
    ("Customer", "loyalty"): membership_arguments,
    ("Customer", "purchases"): page_arguments,
    ("LoyaltyMembership", "ledger"): page_arguments,
    ("LoyaltyMembership", "pointsExpiringSoon"): expiring_arguments,
    ("Query", "pipelineBoard"): board_arguments,
    ("PipelineBoardColumn", "deals"): page_arguments,
}
