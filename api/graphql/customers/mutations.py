"""Customer mutations: translate input to a command, run the use case, answer with the
customer as it now reads, or with userErrors."""

from collections.abc import Callable
from typing import Any

import strawberry

from api.graphql.context import Info
from api.graphql.customers import inputs
from api.graphql.customers.types import CustomerType
from api.graphql.errors import Renames, payload_or_user_errors
from api.graphql.payloads import payload_type
from api.graphql.relay import uuid_of
from domain.customers import commands


def _payload(name: str, description: str) -> Any:
    return payload_type(name, "customer", CustomerType, description)


CustomerCreatePayload = _payload("CustomerCreatePayload", "The new customer.")
CustomerUpdatePayload = _payload("CustomerUpdatePayload", "The customer after the change.")
CustomerArchivePayload = _payload("CustomerArchivePayload", "The archived customer.")
CustomerRestorePayload = _payload("CustomerRestorePayload", "The restored customer.")
CustomerMergePayload = _payload("CustomerMergePayload", "The surviving customer.")
ContactPointAddPayload = _payload("ContactPointAddPayload", "The customer with the new point.")
ContactPointUpdatePayload = _payload("ContactPointUpdatePayload", "The customer after it.")
ContactPointRemovePayload = _payload("ContactPointRemovePayload", "The customer after it.")
HouseholdMemberAddPayload = _payload("HouseholdMemberAddPayload", "The customer after it.")
HouseholdMemberUpdatePayload = _payload("HouseholdMemberUpdatePayload", "The customer after it.")
HouseholdMemberRemovePayload = _payload("HouseholdMemberRemovePayload", "The customer after it.")
ExternalReferenceAddPayload = _payload("ExternalReferenceAddPayload", "The customer after it.")
ExternalReferenceUpdatePayload = _payload("ExternalReferenceUpdatePayload",
                                          "The customer after it.")
ExternalReferenceRemovePayload = _payload("ExternalReferenceRemovePayload",
                                          "The customer after it.")


# Command fields that sit elsewhere in the mutation's input (see `Renames`).
BY_ID = {"customer_id": ("id",)}


async def _run(
    info: Info, payload: Any, use_case: str, command: Callable[[], Any],
    renames: Renames | None = None,
) -> Any:
    async def attempt() -> CustomerType:
        customer = await getattr(info.context.use_cases, use_case)(command())
        summary = await info.context.loaders.customer.load(customer.id)
        return CustomerType.from_summary(summary)

    return await payload_or_user_errors(payload, "customer", attempt, renames)


def _versioned(source: inputs.CustomerVersionInput, command: Any) -> Callable[[], Any]:
    return lambda: command(uuid_of(source.id, "Customer", ("id",)), source.expected_version)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Creates a customer; idempotent with idempotencyKey.")
    async def customer_create(
        self, info: Info, input: inputs.CustomerCreateInput
    ) -> CustomerCreatePayload:  # type: ignore[valid-type]
        return await _run(info, CustomerCreatePayload, "create_customer", input.to_command)

    @strawberry.mutation(description="Changes profile fields; stale expectedVersion → CONFLICT.")
    async def customer_update(
        self, info: Info, input: inputs.CustomerUpdateInput
    ) -> CustomerUpdatePayload:  # type: ignore[valid-type]
        return await _run(info, CustomerUpdatePayload, "update_customer", input.to_command, BY_ID)

    @strawberry.mutation(description="Hides a customer from lists; reversible.")
    async def customer_archive(
        self, info: Info, input: inputs.CustomerVersionInput
    ) -> CustomerArchivePayload:  # type: ignore[valid-type]
        command = _versioned(input, commands.ArchiveCustomer)
        return await _run(info, CustomerArchivePayload, "archive_customer", command, BY_ID)

    @strawberry.mutation(description="Brings an archived customer back.")
    async def customer_restore(
        self, info: Info, input: inputs.CustomerVersionInput
    ) -> CustomerRestorePayload:  # type: ignore[valid-type]
        command = _versioned(input, commands.RestoreCustomer)
        return await _run(info, CustomerRestorePayload, "restore_customer", command, BY_ID)

    @strawberry.mutation(description="Merges a duplicate into a survivor: interactions, cases, "
                                     "contact points and references move over.")
    async def customer_merge(
        self, info: Info, input: inputs.CustomerMergeInput
    ) -> CustomerMergePayload:  # type: ignore[valid-type]
        return await _run(info, CustomerMergePayload, "merge_customers", input.to_command)

    @strawberry.mutation
    async def contact_point_add(
        self, info: Info, input: inputs.ContactPointAddInput
    ) -> ContactPointAddPayload:  # type: ignore[valid-type]
        return await _run(info, ContactPointAddPayload, "add_contact_point", input.to_command)

    @strawberry.mutation
    async def contact_point_update(
        self, info: Info, input: inputs.ContactPointUpdateInput
    ) -> ContactPointUpdatePayload:  # type: ignore[valid-type]
        return await _run(info, ContactPointUpdatePayload, "update_contact_point",
                          input.to_command, {"contact_point": ()})

    @strawberry.mutation
    async def contact_point_remove(
        self, info: Info, input: inputs.CustomerItemRemoveInput
    ) -> ContactPointRemovePayload:  # type: ignore[valid-type]
        return await _run(info, ContactPointRemovePayload, "remove_contact_point",
                          lambda: input.to_command("ContactPoint"), {"contact_point_id": ("id",)})

    @strawberry.mutation
    async def household_member_add(
        self, info: Info, input: inputs.HouseholdMemberAddInput
    ) -> HouseholdMemberAddPayload:  # type: ignore[valid-type]
        return await _run(info, HouseholdMemberAddPayload, "add_household_member",
                          input.to_command)

    @strawberry.mutation
    async def household_member_update(
        self, info: Info, input: inputs.HouseholdMemberUpdateInput
    ) -> HouseholdMemberUpdatePayload:  # type: ignore[valid-type]
        return await _run(info, HouseholdMemberUpdatePayload, "update_household_member",
                          input.to_command, {"member": ()})

    @strawberry.mutation
    async def household_member_remove(
        self, info: Info, input: inputs.CustomerItemRemoveInput
    ) -> HouseholdMemberRemovePayload:  # type: ignore[valid-type]
        return await _run(info, HouseholdMemberRemovePayload, "remove_household_member",
                          lambda: input.to_command("HouseholdMember"), {"member_id": ("id",)})

    @strawberry.mutation
    async def external_reference_add(
        self, info: Info, input: inputs.ExternalReferenceAddInput
    ) -> ExternalReferenceAddPayload:  # type: ignore[valid-type]
        return await _run(info, ExternalReferenceAddPayload, "add_external_reference",
                          input.to_command)

    @strawberry.mutation
    async def external_reference_update(
        self, info: Info, input: inputs.ExternalReferenceUpdateInput
    ) -> ExternalReferenceUpdatePayload:  # type: ignore[valid-type]
        return await _run(info, ExternalReferenceUpdatePayload, "update_external_reference",
                          input.to_command, {"reference": ()})

    @strawberry.mutation
    async def external_reference_remove(
        self, info: Info, input: inputs.CustomerItemRemoveInput
    ) -> ExternalReferenceRemovePayload:  # type: ignore[valid-type]
        return await _run(info, ExternalReferenceRemovePayload, "remove_external_reference",
                          lambda: input.to_command("ExternalReference"),
                          {"reference_id": ("id",)})
