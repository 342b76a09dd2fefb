"""Customer mutations: translate input to a command, run the use case, answer with the
customer as it now reads, or with userErrors."""

from collections.abc import Callable
from typing import Protocol, TypeVar
from uuid import UUID

import strawberry

from api.graphql.context import Info
from api.graphql.customers import inputs
from api.graphql.customers.types import CustomerType
from api.graphql.errors import Renames, UserError
from api.graphql.payloads import mutation_payload
from api.graphql.relay import uuid_of
from domain.customers import commands
from domain.customers.model import Customer
from infrastructure.bootstrap import UseCase

C = TypeVar("C")


@strawberry.type
class CustomerPayload:
    customer: CustomerType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


CP = TypeVar("CP", bound=CustomerPayload, covariant=True)


class CustomerPayloadClass(Protocol[CP]):
    def __call__(
        self, *, customer: CustomerType | None = ..., user_errors: list[UserError] = ...
    ) -> CP: ...


async def customer_payload(
    info: Info,
    payload: CustomerPayloadClass[CP],
    use_case: UseCase[C, Customer],
    command: Callable[[], C],
    renames: Renames | None = None,
) -> CP:
    """The customer as it reads after the write: the loaders, forgotten, read it afresh."""

    async def answer(customer: Customer) -> CP:
        summary = await info.context.loaders.customer.load(customer.id)
        return payload(customer=None if summary is None else CustomerType.from_summary(summary))

    return await mutation_payload(info, use_case, command, answer, payload, renames)


@strawberry.type(description="The new customer.")
class CustomerCreatePayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after the change.")
class CustomerUpdatePayload(CustomerPayload):
    pass


@strawberry.type(description="The archived customer.")
class CustomerArchivePayload(CustomerPayload):
    pass


@strawberry.type(description="The restored customer.")
class CustomerRestorePayload(CustomerPayload):
    pass


@strawberry.type(description="The surviving customer.")
class CustomerMergePayload(CustomerPayload):
    pass


@strawberry.type(description="The customer with the new point.")
class ContactPointAddPayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class ContactPointUpdatePayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class ContactPointRemovePayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class HouseholdMemberAddPayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class HouseholdMemberUpdatePayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class HouseholdMemberRemovePayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class ExternalReferenceAddPayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class ExternalReferenceUpdatePayload(CustomerPayload):
    pass


@strawberry.type(description="The customer after it.")
class ExternalReferenceRemovePayload(CustomerPayload):
    pass


# Command fields that sit elsewhere in the mutation's input (see `Renames`).
BY_ID = {"customer_id": ("id",)}


def _versioned(
    source: inputs.CustomerVersionInput, command: Callable[[UUID, int | None], C]
) -> Callable[[], C]:
    return lambda: command(uuid_of(source.id, "Customer", ("id",)), source.expected_version)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Creates a customer; idempotent with idempotencyKey.")
    async def customer_create(
        self, info: Info, input: inputs.CustomerCreateInput
    ) -> CustomerCreatePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, CustomerCreatePayload, use_cases.create_customer, input.to_command
        )

    @strawberry.mutation(description="Changes profile fields; stale expectedVersion → CONFLICT.")
    async def customer_update(
        self, info: Info, input: inputs.CustomerUpdateInput
    ) -> CustomerUpdatePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, CustomerUpdatePayload, use_cases.update_customer, input.to_command, BY_ID
        )

    @strawberry.mutation(description="Hides a customer from lists; reversible.")
    async def customer_archive(
        self, info: Info, input: inputs.CustomerVersionInput
    ) -> CustomerArchivePayload:
        command = _versioned(input, commands.ArchiveCustomer)
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, CustomerArchivePayload, use_cases.archive_customer, command, BY_ID
        )

    @strawberry.mutation(description="Brings an archived customer back.")
    async def customer_restore(
        self, info: Info, input: inputs.CustomerVersionInput
    ) -> CustomerRestorePayload:
        command = _versioned(input, commands.RestoreCustomer)
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, CustomerRestorePayload, use_cases.restore_customer, command, BY_ID
        )

    @strawberry.mutation(
        description="Merges a duplicate into a survivor: interactions, cases, "
        "contact points and references move over."
    )
    async def customer_merge(
        self, info: Info, input: inputs.CustomerMergeInput
    ) -> CustomerMergePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, CustomerMergePayload, use_cases.merge_customers, input.to_command
        )

    @strawberry.mutation
    async def contact_point_add(
        self, info: Info, input: inputs.ContactPointAddInput
    ) -> ContactPointAddPayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, ContactPointAddPayload, use_cases.add_contact_point, input.to_command
        )

    @strawberry.mutation
    async def contact_point_update(
        self, info: Info, input: inputs.ContactPointUpdateInput
    ) -> ContactPointUpdatePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info,
            ContactPointUpdatePayload,
            use_cases.update_contact_point,
            input.to_command,
            {"contact_point": ()},
        )

    @strawberry.mutation
    async def contact_point_remove(
        self, info: Info, input: inputs.CustomerItemRemoveInput
    ) -> ContactPointRemovePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info,
            ContactPointRemovePayload,
            use_cases.remove_contact_point,
            lambda: input.to_command("ContactPoint"),
            {"contact_point_id": ("id",)},
        )

    @strawberry.mutation
    async def household_member_add(
        self, info: Info, input: inputs.HouseholdMemberAddInput
    ) -> HouseholdMemberAddPayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, HouseholdMemberAddPayload, use_cases.add_household_member, input.to_command
        )

    @strawberry.mutation
    async def household_member_update(
        self, info: Info, input: inputs.HouseholdMemberUpdateInput
    ) -> HouseholdMemberUpdatePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info,
            HouseholdMemberUpdatePayload,
            use_cases.update_household_member,
            input.to_command,
            {"member": ()},
        )

    @strawberry.mutation
    async def household_member_remove(
        self, info: Info, input: inputs.CustomerItemRemoveInput
    ) -> HouseholdMemberRemovePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info,
            HouseholdMemberRemovePayload,
            use_cases.remove_household_member,
            lambda: input.to_command("HouseholdMember"),
            {"member_id": ("id",)},
        )

    @strawberry.mutation
    async def external_reference_add(
        self, info: Info, input: inputs.ExternalReferenceAddInput
    ) -> ExternalReferenceAddPayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info, ExternalReferenceAddPayload, use_cases.add_external_reference, input.to_command
        )

    @strawberry.mutation
    async def external_reference_update(
        self, info: Info, input: inputs.ExternalReferenceUpdateInput
    ) -> ExternalReferenceUpdatePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info,
            ExternalReferenceUpdatePayload,
            use_cases.update_external_reference,
            input.to_command,
            {"reference": ()},
        )

    @strawberry.mutation
    async def external_reference_remove(
        self, info: Info, input: inputs.CustomerItemRemoveInput
    ) -> ExternalReferenceRemovePayload:
        use_cases = info.context.use_cases.customers
        return await customer_payload(
            info,
            ExternalReferenceRemovePayload,
            use_cases.remove_external_reference,
            lambda: input.to_command("ExternalReference"),
            {"reference_id": ("id",)},
        )
