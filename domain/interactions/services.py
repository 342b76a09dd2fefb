"""Recording interactions. POS and web shops retry, so a key makes the write idempotent."""

from datetime import UTC, timedelta

from domain.customers.services import customer_to_act_on
from domain.interactions.commands import RecordInteraction
from domain.interactions.events import InteractionEvent
from domain.interactions.model import Interaction
from domain.organisation.services import require_staff, require_store
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import DomainError, ErrorCode, not_found
from domain.shared.events import Event
from domain.shared.idempotency import first_result, remember_result
from domain.shared.ids import new_id
from domain.shared.validation import Problems

RECORD_SCOPE = "interactionRecord"
MAX_PAYLOAD_BYTES = 64 * 1024
# Tills' clocks drift; an event a few minutes "in the future" is still a real event.
CLOCK_SKEW = timedelta(minutes=5)


async def record_interaction(
    cmd: RecordInteraction, *, uow: UnitOfWork, viewer: Viewer
) -> Interaction:
    viewer.require(Operation.INTERACTION_RECORD)
    now = uow.clock.now()
    problems = Problems()
    kind = problems.slug(("kind",), cmd.kind)
    summary = problems.text(("summary",), cmd.summary, max_length=2000)
    place = problems.text(("place",), cmd.place, max_length=200)
    payload = problems.json_object(("payload",), cmd.payload, max_bytes=MAX_PAYLOAD_BYTES)
    if cmd.occurred_at.tzinfo is None:
        problems.add(("occurred_at",), ErrorCode.INVALID, "needs a time zone offset")
    elif cmd.occurred_at > now + CLOCK_SKEW:
        problems.add(("occurred_at",), ErrorCode.INVALID, "in the future")
    if cmd.geo and not (-90 <= cmd.geo.latitude <= 90 and -180 <= cmd.geo.longitude <= 180):
        problems.add(("geo",), ErrorCode.INVALID, "latitude -90..90, longitude -180..180")
    problems.raise_if_any()
    async with uow:
        first = await first_result(uow.idempotency, RECORD_SCOPE, cmd)
        if first is not None:
            existing = await uow.interactions.get(first)
            if existing is None:
                raise not_found(("idempotency_key",), "first result")
            viewer.require_reach(existing.customer_id, existing.store_id, existing.staff_id)
            return existing
        # Held, so that one recorded while she is merged lands on the survivor, not on the
        # duplicate the merge just emptied.
        customer = await customer_to_act_on(uow, viewer, cmd.customer_id, hold=True)
        await require_store(uow, cmd.store_id, ("store_id",))
        await require_staff(uow, cmd.staff_id, ("staff_id",))
        if cmd.case_id is not None:
            case = await uow.cases.get(cmd.case_id)
            if case is None:
                raise not_found(("case_id",), "case")
            if case.customer_id != customer.id:
                raise DomainError.single(
                    ("case_id",), ErrorCode.INVALID, "the case belongs to another customer"
                )
        interaction = Interaction(
            id=new_id(), customer_id=customer.id, channel=cmd.channel, direction=cmd.direction,
            kind=kind, occurred_at=cmd.occurred_at.astimezone(UTC),  # answers are in UTC
            recorded_at=now, summary=summary, payload=payload, store_id=cmd.store_id,
            geo=cmd.geo, place=place, staff_id=cmd.staff_id, case_id=cmd.case_id,
        )
        await uow.interactions.add(interaction)
        uow.emit(Event(InteractionEvent.RECORDED, customer.id, now, {
            "interaction_id": str(interaction.id), "channel": interaction.channel.value,
            "kind": interaction.kind,
        }))
        await remember_result(uow.idempotency, RECORD_SCOPE, cmd, interaction.id)
        await uow.commit()
    return interaction
