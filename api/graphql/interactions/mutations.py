"""Recording interactions: the only write; the timeline is append-only."""

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.errors import UserError
from api.graphql.interactions.types import (
    ChannelEnum,
    DirectionEnum,
    GeoPointInput,
    InteractionType,
)
from api.graphql.payloads import mutation_payload
from api.graphql.relay import optional_uuid_of, uuid_of
from domain.interactions.commands import RecordInteraction
from domain.interactions.model import Channel, Direction, GeoPoint, Interaction


@strawberry.type(
    description="The recorded interaction (the first one, when an idempotency key is replayed).")
class InteractionRecordPayload:
    interaction: InteractionType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class InteractionRecordInput:
    customer_id: strawberry.ID
    channel: ChannelEnum
    kind: str = strawberry.field(description="purchase, visit, check-in, note… (lower-case)")
    occurred_at: datetime
    direction: DirectionEnum = Direction.INBOUND
    summary: str | None = None
    payload: JSON | None = None
    store_id: strawberry.ID | None = None
    geo: GeoPointInput | None = None
    place: str | None = strawberry.field(default=None, description="Where, in words.")
    staff_id: strawberry.ID | None = None
    case_id: strawberry.ID | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retrying with the same key returns the first result."
    )

    def to_command(self) -> RecordInteraction:
        return RecordInteraction(
            customer_id=uuid_of(self.customer_id, "Customer", ("customer_id",)),
            channel=Channel(self.channel), kind=self.kind, occurred_at=self.occurred_at,
            direction=Direction(self.direction), summary=self.summary,
            payload=self.payload if self.payload is not None else {},
            store_id=optional_uuid_of(self.store_id, "Store", ("store_id",)),
            geo=GeoPoint(self.geo.latitude, self.geo.longitude) if self.geo else None,
            place=self.place,
            staff_id=optional_uuid_of(self.staff_id, "Staff", ("staff_id",)),
            case_id=optional_uuid_of(self.case_id, "Case", ("case_id",)),
            idempotency_key=self.idempotency_key,
        )


@strawberry.type
class InteractionMutations:
    @strawberry.mutation(description="Appends a touchpoint to a customer's timeline.")
    async def interaction_record(
        self, info: Info, input: InteractionRecordInput
    ) -> InteractionRecordPayload:
        def answer(recorded: Interaction) -> InteractionRecordPayload:
            return InteractionRecordPayload(interaction=InteractionType.from_domain(recorded))

        return await mutation_payload(info, info.context.use_cases.interactions.record_interaction,
                                      input.to_command, answer, InteractionRecordPayload)
