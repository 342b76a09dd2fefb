"""The privacy mutations: a customer's data export (access request) and erasure."""

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.customers.mutations import CustomerPayload, customer_payload
from api.graphql.errors import UserError
from api.graphql.payloads import mutation_payload
from api.graphql.relay import uuid_of
from domain.customers import commands
from domain.shared.documents import Document


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
        default=None,
        description="format, version, exportedAt, customer, contactPoints (with consents and "
                    "consentHistory), household, externalRefs, interactions, cases, "
                    "mergedRecords; ids are the records' UUIDs."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="The customer as erased.")
class CustomerErasePayload(CustomerPayload):
    pass


@strawberry.type
class CustomerPrivacyMutations:
    @strawberry.mutation(description="A copy of all data held about one customer (GDPR/PIPL "
                                     "access request). A merged duplicate's id exports the "
                                     "customer it was merged into.")
    async def customer_export_data(
        self, info: Info, input: CustomerExportDataInput
    ) -> CustomerExportDataPayload:
        def answer(document: Document) -> CustomerExportDataPayload:
            return CustomerExportDataPayload(document=JSON(document))

        return await mutation_payload(info, info.context.use_cases.customers.export_customer_data,
                                      input.to_command, answer, CustomerExportDataPayload)

    @strawberry.mutation(description="Erases a customer's personal data for good (right to "
                                     "erasure); sales facts and the consent history stay. "
                                     "ADMIN only; erasing twice changes nothing.")
    async def customer_erase(
        self, info: Info, input: CustomerEraseInput
    ) -> CustomerErasePayload:
        return await customer_payload(info, CustomerErasePayload,
                                      info.context.use_cases.customers.erase_customer,
                                      input.to_command)
