"""The privacy mutations: a customer's data export (access request) and erasure."""

from typing import Any

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.customers.types import CustomerType
from api.graphql.errors import UserError, payload_or_user_errors
from api.graphql.payloads import payload_type
from api.graphql.relay import uuid_of
from domain.customers import commands


@strawberry.input
class CustomerExportDataInput:
    customer_id: strawberry.ID

    def to_command(self) -> commands.ExportCustomerData:
        return commands.ExportCustomerData(uuid_of(self.customer_id, "Customer", ("customer_id",)))


@strawberry.input
class CustomerEraseInput:
    customer_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why, for the record: a request reference such as \"DSR-2026-114\". "
                    "It is kept in the CustomerErased event, so write no personal data in it."
    )

    def to_command(self) -> commands.EraseCustomer:
        return commands.EraseCustomer(
            uuid_of(self.customer_id, "Customer", ("customer_id",)), self.reason
        )


@strawberry.type(description="Everything Rapport holds about the customer, as one document.")
class CustomerExportDataPayload:
    document: JSON | None = strawberry.field(
        description="format, version, exportedAt, customer, contactPoints (with consents and "
                    "consentHistory), household, externalRefs, interactions, cases, "
                    "mergedRecords; ids are the records' UUIDs."
    )
    user_errors: list[UserError]


CustomerErasePayload: Any = payload_type(
    "CustomerErasePayload", "customer", CustomerType, "The customer as erased."
)


@strawberry.type
class CustomerPrivacyMutations:
    @strawberry.mutation(description="A copy of all data held about one customer (GDPR/PIPL "
                                     "access request). A merged duplicate's id exports the "
                                     "customer it was merged into.")
    async def customer_export_data(
        self, info: Info, input: CustomerExportDataInput
    ) -> CustomerExportDataPayload:
        async def attempt() -> Any:
            return await info.context.use_cases.export_customer_data(input.to_command())

        return await payload_or_user_errors(CustomerExportDataPayload, "document", attempt)

    @strawberry.mutation(description="Erases a customer's personal data for good (right to "
                                     "erasure); sales facts and the consent history stay. "
                                     "ADMIN only; erasing twice changes nothing.")
    async def customer_erase(
        self, info: Info, input: CustomerEraseInput
    ) -> CustomerErasePayload:
        async def attempt() -> CustomerType:
            customer = await info.context.use_cases.erase_customer(input.to_command())
            summary = await info.context.loaders.customer.load(customer.id)
            return CustomerType.from_summary(summary)

        return await payload_or_user_errors(CustomerErasePayload, "customer", attempt)
