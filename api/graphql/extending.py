"""One context's fields on another context's type, without the two importing each other.

A customer has a timeline, cases, a loyalty standing and purchases, but the customers context
knows nothing of interactions, cases or loyalty: each of those declares the fields it gives
a customer as a small strawberry class of its own (`CustomerCasesFields`), whose resolvers
take the customer as `strawberry.Parent`. `api/graphql/schema.py`, which sees every context,
adds them to the type before the schema is built. Contexts then depend one way only, which
import-linter checks.
"""

from strawberry.types.base import get_object_definition


def add_fields(target: type, *contributions: type) -> None:
    """Appends the fields of each contribution, in order, to `target`'s GraphQL type."""
    definition = get_object_definition(target, strict=True)
    for contribution in contributions:
        for field in get_object_definition(contribution, strict=True).fields:
            taken = {f.python_name for f in definition.fields}
            if field.python_name in taken:
                raise ValueError(f"{target.__name__} already has a field {field.python_name}")
            definition.fields.append(field)
