"""Use cases for pipelines and their stages: defining one, and adding, renaming,
reordering and retiring stages without losing history (ADMIN only). A stage is never
removed: retired, it takes no more deals, and the moves into it still name it. The
pipeline's `version` guards every change of it or its stages."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.pipeline.commands import (
    PIPELINE_EDITABLE,
    STAGE_EDITABLE,
    AddStage,
    CreatePipeline,
    ReorderStages,
    RetireStage,
    StageSpec,
    UpdatePipeline,
    UpdateStage,
)
from domain.pipeline.events import PipelineEvent
from domain.pipeline.model import Pipeline, Stage, StageKind
from domain.ports import UnitOfWork
from domain.shared.access import Operation, Viewer
from domain.shared.errors import (
    DomainError,
    ErrorCode,
    UniqueKey,
    check_version,
    duplicate_as,
    not_found,
)
from domain.shared.events import Event
from domain.shared.ids import new_id
from domain.shared.money import check_currency
from domain.shared.validation import Problems

MAX_STAGES = 30
MAX_SLA_DAYS = 3650
# A won stage is a win for certain, a lost one never: their probabilities are not chosen.
FIXED_PROBABILITY = {StageKind.WON: Decimal(1), StageKind.LOST: Decimal(0)}


async def create_pipeline(cmd: CreatePipeline, *, uow: UnitOfWork, viewer: Viewer) -> Pipeline:
    viewer.require(Operation.PIPELINE_MANAGE)
    problems = Problems()
    code = problems.slug(("code",), cmd.code)
    name = problems.text(("name",), cmd.name, max_length=200, required=True)
    currency = check_currency(problems, ("currency",), cmd.currency)
    if not cmd.stages:
        problems.add(("stages",), ErrorCode.REQUIRED, "give its stages, in order")
    problems.raise_if_any()
    async with uow:
        taken = f"a pipeline has the code {code}"
        if await uow.pipeline.get_by_code(code) is not None:
            raise DomainError.single(("code",), ErrorCode.DUPLICATE, taken)
        now = uow.clock.now()
        pipeline_id = new_id()
        stages = tuple(_new_stage(problems, ("stages", str(i)), pipeline_id, spec)
                       for i, spec in enumerate(cmd.stages))
        problems.raise_if_any()
        pipeline = Pipeline(id=pipeline_id, code=code, name=name or "", currency=currency,
                            allow_skips=cmd.allow_skips, stages=(), created_at=now,
                            updated_at=now).with_stages(stages)
        _check_stages(pipeline)
        with duplicate_as(UniqueKey.PIPELINE_CODE, ("code",), taken):
            await uow.pipeline.add(pipeline)
        uow.emit(Event(PipelineEvent.PIPELINE_CREATED, pipeline.id, now, {"code": code}))
        await uow.commit()
    return pipeline


async def update_pipeline(cmd: UpdatePipeline, *, uow: UnitOfWork, viewer: Viewer) -> Pipeline:
    viewer.require(Operation.PIPELINE_MANAGE)
    problems = Problems()
    problems.editable(cmd.changes, PIPELINE_EDITABLE)
    changes = dict(cmd.changes)
    if "name" in changes:
        changes["name"] = problems.text(("name",), changes["name"], max_length=200,
                                        required=True)
    if "allow_skips" in changes and not isinstance(changes["allow_skips"], bool):
        problems.add(("allow_skips",), ErrorCode.INVALID, "true or false")
    problems.raise_if_any()

    async def updated(pipeline: Pipeline, now: datetime) -> Pipeline:
        return replace(pipeline, **changes)

    return await _change(uow, cmd.pipeline_id, cmd.expected_version, "updated", updated)


async def add_stage(cmd: AddStage, *, uow: UnitOfWork, viewer: Viewer) -> Pipeline:
    """Before `before_stage_id`, or after the last stage."""
    viewer.require(Operation.PIPELINE_MANAGE)

    async def added(pipeline: Pipeline, now: datetime) -> Pipeline:
        problems = Problems()
        stage = _new_stage(problems, ("stage",), pipeline.id, cmd.stage)
        problems.raise_if_any()
        stages = list(pipeline.stages)
        if cmd.before_stage_id is None:
            stages.append(stage)
        else:
            before = _own_stage(pipeline, cmd.before_stage_id, ("before_stage_id",))
            stages.insert(stages.index(before), stage)
        return pipeline.with_stages(tuple(stages))

    return await _change(uow, cmd.pipeline_id, cmd.expected_version, "stage added", added)


async def update_stage(cmd: UpdateStage, *, uow: UnitOfWork, viewer: Viewer) -> Pipeline:
    """Renamed, or another probability or SLA; moves into it keep naming it."""
    viewer.require(Operation.PIPELINE_MANAGE)
    problems = Problems()
    problems.editable(cmd.changes, STAGE_EDITABLE)
    problems.raise_if_any()

    async def updated(pipeline: Pipeline, now: datetime) -> Pipeline:
        current = _own_stage(pipeline, cmd.stage_id, ("stage_id",))
        problems = Problems()
        spec = StageSpec(name=cmd.changes.get("name", current.name), kind=current.kind,
                         probability=cmd.changes.get("probability", current.probability),
                         sla_days=cmd.changes.get("sla_days", current.sla_days))
        name, probability, sla_days = _checked_spec(problems, (), spec)
        problems.raise_if_any()
        return _with_stage(pipeline, replace(current, name=name, probability=probability,
                                             sla_days=sla_days))

    return await _change(uow, await _pipeline_of(uow, cmd.stage_id), cmd.expected_version,
                         "stage updated", updated)


async def reorder_stages(cmd: ReorderStages, *, uow: UnitOfWork, viewer: Viewer) -> Pipeline:
    """The active stages in the order given; retired ones after them, as they were."""
    viewer.require(Operation.PIPELINE_MANAGE)

    async def reordered(pipeline: Pipeline, now: datetime) -> Pipeline:
        active = {stage.id: stage for stage in pipeline.active_stages}
        if len(set(cmd.stage_ids)) != len(cmd.stage_ids) or set(cmd.stage_ids) != set(active):
            raise DomainError.single(("stage_ids",), ErrorCode.INVALID,
                                     "list every active stage of the pipeline, each once")
        retired = tuple(stage for stage in pipeline.stages if stage.retired)
        return pipeline.with_stages((*(active[i] for i in cmd.stage_ids), *retired))

    return await _change(uow, cmd.pipeline_id, cmd.expected_version, "stages reordered",
                         reordered)


async def retire_stage(cmd: RetireStage, *, uow: UnitOfWork, viewer: Viewer) -> Pipeline:
    """Refused while any deal is in the stage: move them on first. The pipeline is locked
    meanwhile, so no deal moves into it between the count and the retirement."""
    viewer.require(Operation.PIPELINE_MANAGE)

    async def retired(pipeline: Pipeline, now: datetime) -> Pipeline:
        stage = _own_stage(pipeline, cmd.stage_id, ("stage_id",))
        if stage.retired:
            raise DomainError.single(("stage_id",), ErrorCode.STAGE_RETIRED,
                                     f"{stage.name} is retired already")
        deals_in_it = await uow.pipeline.deals_in_stage(stage.id)
        if deals_in_it:
            raise DomainError.single(("stage_id",), ErrorCode.STAGE_NOT_EMPTY,
                                     f"{deals_in_it} deals are in {stage.name}: move them "
                                     "to another stage first")
        return _with_stage(pipeline, replace(stage, retired_at=now))

    return await _change(uow, await _pipeline_of(uow, cmd.stage_id), cmd.expected_version,
                         "stage retired", retired)


# --- helpers ------------------------------------------------------------------------------

Change = Callable[[Pipeline, datetime], Awaitable[Pipeline]]


async def _change(uow: UnitOfWork, pipeline_id: UUID, expected_version: int | None,
                  what: str, change: Change) -> Pipeline:
    """Locks the pipeline, checks its version, applies `change` (which may refuse), checks
    the stages still make a pipeline, and saves it as the next version."""
    async with uow:
        pipeline = await uow.pipeline.get(pipeline_id, for_update=True)
        if pipeline is None:
            raise not_found(("pipeline_id",), "pipeline")
        check_version(expected_version, pipeline.version)
        now = uow.clock.now()
        changed = await change(pipeline, now)
        _check_stages(changed)
        changed = replace(changed, version=pipeline.version + 1, updated_at=now)
        await uow.pipeline.save(changed)
        uow.emit(Event(PipelineEvent.PIPELINE_CHANGED, pipeline.id, now, {"change": what}))
        await uow.commit()
    return changed


async def _pipeline_of(uow: UnitOfWork, stage_id: UUID) -> UUID:
    async with uow:
        stage = await uow.pipeline.stage(stage_id)
    if stage is None:
        raise not_found(("stage_id",), "stage")
    return stage.pipeline_id


def _with_stage(pipeline: Pipeline, changed: Stage) -> Pipeline:
    return replace(pipeline, stages=tuple(changed if stage.id == changed.id else stage
                                          for stage in pipeline.stages))


def _own_stage(pipeline: Pipeline, stage_id: UUID, field: tuple[str, ...]) -> Stage:
    stage = pipeline.stage(stage_id)
    if stage is None:
        raise not_found(field, "stage of this pipeline")
    return stage


def _new_stage(problems: Problems, at: tuple[str, ...], pipeline_id: UUID,
               spec: StageSpec) -> Stage:
    name, probability, sla_days = _checked_spec(problems, at, spec)
    return Stage(id=new_id(), pipeline_id=pipeline_id, name=name, position=0, kind=spec.kind,
                 probability=probability, sla_days=sla_days)


def _checked_spec(problems: Problems, at: tuple[str, ...],
                  spec: StageSpec) -> tuple[str, Decimal, int | None]:
    name = problems.text((*at, "name"), spec.name, max_length=100, required=True) or ""
    fixed = FIXED_PROBABILITY.get(spec.kind)
    probability = spec.probability if fixed is None else fixed
    if fixed is not None and spec.probability not in (fixed, Decimal(0)):
        problems.add((*at, "probability"), ErrorCode.INVALID,
                     f"a {spec.kind.value} stage's probability is {fixed}")
    elif not (probability.is_finite() and 0 <= probability <= 1):
        problems.add((*at, "probability"), ErrorCode.INVALID, "must be between 0 and 1")
    if spec.sla_days is not None:
        if spec.kind is not StageKind.OPEN:
            problems.add((*at, "sla_days"), ErrorCode.INVALID,
                         "only an open stage has an SLA")
        elif not 1 <= spec.sla_days <= MAX_SLA_DAYS:
            problems.add((*at, "sla_days"), ErrorCode.INVALID,
                         f"between 1 and {MAX_SLA_DAYS} days")
    return name, probability, spec.sla_days


def _check_stages(pipeline: Pipeline) -> None:
    """What any pipeline needs: at most MAX_STAGES stages, active ones named apart, and an
    open, a won and a lost stage that take deals."""
    problems = Problems()
    if len(pipeline.stages) > MAX_STAGES:
        problems.add(("stages",), ErrorCode.TOO_LARGE, f"at most {MAX_STAGES} stages")
    names = [stage.name.casefold() for stage in pipeline.active_stages]
    if len(set(names)) != len(names):
        problems.add(("stages",), ErrorCode.DUPLICATE, "two stages have the same name")
    kinds = {stage.kind for stage in pipeline.active_stages}
    for kind in StageKind:
        if kind not in kinds:
            problems.add(("stages",), ErrorCode.REQUIRED,
                         f"a pipeline needs a {kind.value} stage that takes deals")
    problems.raise_if_any()
