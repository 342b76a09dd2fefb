"""A viewer's reach (domain.shared.access.CustomerReach) as a SQL condition."""

from typing import Any

from sqlalchemy import false, or_

from domain.shared.access import CustomerReach


def reach_condition(reach: CustomerReach, customer_id: Any, store_id: Any,
                    owner_id: Any) -> Any | None:
    """None when the viewer reaches everyone; else rows of her stores, hers, or her own."""
    if reach.everyone:
        return None
    either = []
    if reach.store_ids:
        either.append(store_id.in_(sorted(reach.store_ids)))
    if reach.owner_id is not None:
        either.append(owner_id == reach.owner_id)
    if reach.customer_id is not None:
        either.append(customer_id == reach.customer_id)
    return or_(*either) if either else false()
