"""The data the CLI loads: the demo's people, or a large generated set. Imported only when a
seed runs, since generating data sets needs modules no request does."""

from infrastructure.bootstrap import Container
from infrastructure.settings import Settings


async def seed_demo(container: Container) -> str:
    """The people of the stories; reseeding changes nothing. Returns what it did."""
    from infrastructure.seed.demo import seed_demo as seed

    return str(await seed(container))


async def seed_bulk(settings: Settings, customers: int, interactions_per_customer: int) -> str:
    """`customers` generated customers with their history, copied in. Returns what it did."""
    from infrastructure.seed.bulk import seed_bulk as seed

    assert settings.database_url, "resolve the database first"
    return str(await seed(settings.database_url, customers=customers,
                          interactions_per_customer=interactions_per_customer))
