"""Defining a pipeline and changing its stages without losing history (ADMIN only)."""

from decimal import Decimal

from domain.pipeline.commands import (
    AddStage,
    ReorderStages,
    RetireStage,
    StageSpec,
    UpdatePipeline,
    UpdateStage,
)
from domain.pipeline.model import StageKind
from domain.pipeline.pipelines import (
    add_stage,
    create_pipeline,
    reorder_stages,
    retire_stage,
    update_pipeline,
    update_stage,
)
from domain.shared.errors import ErrorCode
from tests.builders import (
    ADMIN,
    FLOOR_STAGES,
    a_clerk_of,
    a_customer,
    a_deal,
    a_pipeline,
    a_pipeline_command,
    a_staff_member,
    problems,
    refused,
    stage_named,
)
from tests.fakes import FakeUnitOfWork


class TestCreatePipeline:
    async def test_its_stages_are_numbered_in_the_order_given(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        assert [(s.position, s.name) for s in floor.stages] == [
            (n, spec.name) for n, spec in enumerate(FLOOR_STAGES, start=1)]
        assert uow.event_names == ["PipelineCreated"]

    async def test_won_and_lost_stages_have_fixed_probabilities(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        assert (stage_named(floor, "Won").probability,
                stage_named(floor, "Lost").probability) == (Decimal(1), Decimal(0))

    async def test_a_pipeline_needs_an_open_a_won_and_a_lost_stage(
        self, uow: FakeUnitOfWork
    ) -> None:
        error = await refused(uow, create_pipeline(
            a_pipeline_command(stages=FLOOR_STAGES[:5]), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("stages",), ErrorCode.REQUIRED)}

    async def test_a_code_is_one_pipelines(self, uow: FakeUnitOfWork) -> None:
        await a_pipeline(uow, code="floor")
        error = await refused(uow, create_pipeline(a_pipeline_command(code="floor"), uow=uow,
                                                   viewer=ADMIN))
        assert problems(error) == {(("code",), ErrorCode.DUPLICATE)}

    async def test_a_probability_is_between_0_and_1(self, uow: FakeUnitOfWork) -> None:
        stages = (StageSpec("Call", probability=Decimal("1.5")), *FLOOR_STAGES[5:])
        error = await refused(uow, create_pipeline(a_pipeline_command(stages=stages), uow=uow,
                                                   viewer=ADMIN))
        assert problems(error) == {(("stages", "0", "probability"), ErrorCode.INVALID)}

    async def test_only_an_open_stage_has_an_sla(self, uow: FakeUnitOfWork) -> None:
        stages = (*FLOOR_STAGES[:5], StageSpec("Won", StageKind.WON, sla_days=3),
                  FLOOR_STAGES[6])
        error = await refused(uow, create_pipeline(a_pipeline_command(stages=stages), uow=uow,
                                                   viewer=ADMIN))
        assert problems(error) == {(("stages", "5", "sla_days"), ErrorCode.INVALID)}

    async def test_two_stages_of_one_name_are_refused(self, uow: FakeUnitOfWork) -> None:
        stages = (FLOOR_STAGES[0], FLOOR_STAGES[0], *FLOOR_STAGES[5:])
        error = await refused(uow, create_pipeline(a_pipeline_command(stages=stages), uow=uow,
                                                   viewer=ADMIN))
        assert problems(error) == {(("stages",), ErrorCode.DUPLICATE)}

    async def test_a_clerk_may_not_define_pipelines(self, uow: FakeUnitOfWork) -> None:
        clerk = a_clerk_of(await a_staff_member(uow))
        error = await refused(uow, create_pipeline(a_pipeline_command(), uow=uow, viewer=clerk))
        assert problems(error) == {((), ErrorCode.NOT_ALLOWED)}


class TestChangeStages:
    async def test_a_stage_added_before_another_takes_its_place(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        changed = await add_stage(AddStage(
            floor.id, StageSpec("Fitting", probability=Decimal("0.6"), sla_days=2),
            before_stage_id=stage_named(floor, "Contract signed").id, expected_version=1),
            uow=uow, viewer=ADMIN)
        assert [s.name for s in changed.stages][2:5] == [
            "Product inspection", "Fitting", "Contract signed"]
        assert changed.version == 2

    async def test_a_renamed_stage_keeps_its_id(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        meeting = stage_named(floor, "Meeting")
        changed = await update_stage(UpdateStage(meeting.id, {"name": "Showroom visit"}),
                                     uow=uow, viewer=ADMIN)
        assert stage_named(changed, "Showroom visit").id == meeting.id

    async def test_a_stages_kind_is_not_editable(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        error = await refused(uow, update_stage(UpdateStage(
            stage_named(floor, "Meeting").id, {"kind": StageKind.WON}), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("changes",), ErrorCode.INVALID)}

    async def test_reordering_lists_every_active_stage_once(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        ids = [stage.id for stage in floor.stages]
        changed = await reorder_stages(ReorderStages(floor.id, (ids[1], ids[0], *ids[2:])),
                                       uow=uow, viewer=ADMIN)
        assert [s.name for s in changed.stages][:2] == ["Meeting", "Phone contact"]
        error = await refused(uow, reorder_stages(ReorderStages(floor.id, tuple(ids[1:])),
                                                  uow=uow, viewer=ADMIN))
        assert problems(error) == {(("stage_ids",), ErrorCode.INVALID)}

    async def test_a_retired_stage_stays_in_the_pipeline(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        meeting = stage_named(floor, "Meeting")
        changed = await retire_stage(RetireStage(meeting.id), uow=uow, viewer=ADMIN)
        assert stage_named(changed, "Meeting").retired_at == uow.clock.now()
        assert meeting.id not in {s.id for s in changed.active_stages}

    async def test_a_stage_with_deals_in_it_is_not_retired(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        await a_deal(uow, await a_customer(uow), floor)
        error = await refused(uow, retire_stage(
            RetireStage(stage_named(floor, "Phone contact").id), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("stage_id",), ErrorCode.STAGE_NOT_EMPTY)}

    async def test_the_last_won_stage_is_not_retired(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        error = await refused(uow, retire_stage(RetireStage(stage_named(floor, "Won").id),
                                                uow=uow, viewer=ADMIN))
        assert problems(error) == {(("stages",), ErrorCode.REQUIRED)}

    async def test_a_change_against_an_old_version_is_refused(self, uow: FakeUnitOfWork) -> None:
        floor = await a_pipeline(uow)
        await update_pipeline(UpdatePipeline(floor.id, {"allow_skips": True}, 1),
                              uow=uow, viewer=ADMIN)
        error = await refused(uow, update_pipeline(
            UpdatePipeline(floor.id, {"name": "Floor"}, 1), uow=uow, viewer=ADMIN))
        assert problems(error) == {(("expected_version",), ErrorCode.CONFLICT)}
