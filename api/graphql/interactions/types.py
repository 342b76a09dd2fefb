"""The Interaction type: one touchpoint on the timeline."""

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.customers.types import CustomerType, load_customer
from api.graphql.loaders import PageKey
from api.graphql.organisation.types import StaffType, StoreType, load_staff, load_store
from api.graphql.relay import Connection, Node, connection_parts, page_request, to_global_id
from api.graphql.same_named import same_named
from domain.interactions import model
from domain.interactions.queries import TimelineFilter
from domain.shared.paging import PageRequest

# GraphQL enums are the domain's classes themselves, registered under their schema names.
ChannelEnum = model.Channel
strawberry.enum(ChannelEnum, name="Channel")
DirectionEnum = model.Direction
strawberry.enum(DirectionEnum, name="Direction")


@strawberry.type(description="A point on Earth, WGS 84 degrees.")
class GeoPoint:
    latitude: float
    longitude: float


@strawberry.input(description="A point on Earth, WGS 84 degrees.")
class GeoPointInput:
    latitude: float
    longitude: float


@strawberry.type(name="Interaction", description="One touchpoint: append-only.")
class InteractionType(Node):
    customer_uuid: strawberry.Private[UUID]
    store_uuid: strawberry.Private[UUID | None]
    staff_uuid: strawberry.Private[UUID | None]
    case_uuid: strawberry.Private[UUID | None]
    channel: ChannelEnum
    direction: DirectionEnum
    kind: str = strawberry.field(description="What happened: purchase, visit, check-in, note…")
    occurred_at: datetime
    recorded_at: datetime
    summary: str | None
    payload: JSON
    geo: GeoPoint | None
    place: str | None

    @classmethod
    def from_domain(cls, i: model.Interaction) -> "InteractionType":
        return cls(
            id=to_global_id("Interaction", i.id), customer_uuid=i.customer_id,
            store_uuid=i.store_id, staff_uuid=i.staff_id, case_uuid=i.case_id,
            payload=JSON(i.payload),
            geo=GeoPoint(latitude=i.geo.latitude, longitude=i.geo.longitude) if i.geo else None,
            **same_named(cls, i),
        )

    @strawberry.field
    async def customer(self, info: Info) -> CustomerType:
        return await load_customer(info, self.customer_uuid)

    @strawberry.field
    async def store(self, info: Info) -> StoreType | None:
        return await load_store(info, self.store_uuid)

    @strawberry.field(description="The member of staff who acted, if any.")
    async def staff(self, info: Info) -> StaffType | None:
        return await load_staff(info, self.staff_uuid)


@strawberry.type
class InteractionConnection(Connection[InteractionType]):
    pass


@strawberry.input(description="Narrows a timeline; every field given must match.")
class TimelineFilterInput:
    channels: list[ChannelEnum] | None = None
    kinds: list[str] | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None

    def to_domain(self) -> TimelineFilter:
        return TimelineFilter(
            channels=tuple(model.Channel(c) for c in self.channels or ()),
            kinds=tuple(self.kinds or ()),
            occurred_after=self.occurred_after,
            occurred_before=self.occurred_before,
        )


def timeline_arguments(
    first: int | None = None, after: str | None = None, last: int | None = None,
    before: str | None = None, filter: TimelineFilterInput | None = None,
) -> tuple[TimelineFilter, PageRequest]:
    """The timeline's arguments as the query service (and the compiled read) takes them."""
    where = filter.to_domain() if filter else TimelineFilter()
    return where, page_request(first, after, last, before)


@strawberry.type
class CustomerTimelineFields:
    """What interactions give a customer (added to Customer in schema.py)."""

    @strawberry.field(description="Interactions, newest first.")
    async def timeline(
        self, root: strawberry.Parent[CustomerType], info: Info, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
        filter: TimelineFilterInput | None = None,
    ) -> InteractionConnection:
        key = PageKey(root.uuid, *timeline_arguments(first, after, last, before, filter))
        page = await info.context.loaders.timeline.load(key)
        return InteractionConnection(**connection_parts(page, InteractionType.from_domain))
