"""How the sales board is read, for compiled operations (see mapping.py): an administrator's
`pipelineBoard` is one statement whose JSON Postgres builds, however many deals there are.

The board's row computes every column's totals (one LATERAL aggregate per stage, as
PgPipelineQueries.board counts them, the filters written in as plain conditions) and
carries the filters down to each column, for its page of deals. Amounts are weighted as
domain.pipeline.rules weights them: a stage's amount times its probability, rounded once,
half up, to the currency's decimals (Postgres' round() of a non-negative numeric is half
up). The rest of the pipeline's reads (leads, a deal's history, the analytics) are
executed field by field: marked here, so that `test_compiled_mappings.py` knows it is on
purpose.
"""

from uuid import UUID

from domain.pipeline.model import DealStatus, StageKind
from domain.shared.paging import PageRequest
from infrastructure.postgres.compiled.loyalty import money
from infrastructure.postgres.compiled.mapping import (
    Children,
    Condition,
    FieldMapping,
    Lookup,
    ObjectMapping,
    Paged,
    PageQuery,
    Reference,
    RowQuery,
    Value,
    column_of,
    id_value,
    sort_keys,
    value_fields,
)
from infrastructure.postgres.compiled.sql import (
    currency_units,
    date_json,
    datetime_json,
    quoted,
)
from infrastructure.postgres.pipeline_queries import LONGEST_IN_STAGE

_OPEN = quoted(StageKind.OPEN.value)


# The stalled deals of a stage `s`, as analytics.is_stalled (and PgPipelineQueries.board).
_STALLED = (f"count(*) FILTER (WHERE d.status = {quoted(DealStatus.OPEN.value)}"
            f" AND s.kind = {_OPEN} AND s.sla_days IS NOT NULL"
            " AND d.stage_entered_at < {now} - make_interval(0, 0, 0, s.sla_days))")
# One row: the pipeline, its filters, each active stage's totals as arrays in the stages'
# order (the columns unnest them), and the open stages' totals (each stage's weighted amount
# rounded, then added, as the executed board adds its columns'). The filters are written
# into the aggregate as plain conditions, so that Postgres may use a store's or an owner's
# index; they differ by which were given, and so does the statement (its shape).
_BOARD = (
    "FROM (SELECT b.*, a.* FROM ("
    "SELECT p.id, p.currency, $?::uuid AS board_owner, $?::uuid AS board_store"
    " FROM pipelines p WHERE p.id = $?::uuid) b"
    " CROSS JOIN LATERAL (SELECT"
    " array_agg(s.id ORDER BY s.position, s.id) AS stage_ids,"
    " array_agg(t.deals ORDER BY s.position, s.id) AS deals,"
    " array_agg(t.amount ORDER BY s.position, s.id) AS amounts,"
    " array_agg(t.stalled ORDER BY s.position, s.id) AS stalled,"
    f" coalesce(sum(t.deals) FILTER (WHERE s.kind = {_OPEN}), 0)::int AS open_deals,"
    f" coalesce(sum(t.amount) FILTER (WHERE s.kind = {_OPEN}), 0) AS open_amount,"
    f" coalesce(sum(round(t.amount * s.probability, {currency_units('b.currency')}))"
    f" FILTER (WHERE s.kind = {_OPEN}), 0) AS open_weighted"
    " FROM pipeline_stages s CROSS JOIN LATERAL (SELECT count(*) AS deals,"
    f" coalesce(sum(d.amount), 0) AS amount, {_STALLED} AS stalled"
    " FROM deals d WHERE d.stage_id = s.id FILTERS) t"
    " WHERE s.pipeline_id = b.id AND s.retired_at IS NULL) a) {t}"
)
_NO_BOARD = ("(SELECT p.id, p.currency, NULL::uuid AS board_owner, NULL::uuid AS board_store,"
             " NULL::uuid[] AS stage_ids, NULL::bigint[] AS deals, NULL::numeric[] AS amounts,"
             " NULL::bigint[] AS stalled, 0 AS open_deals, 0::numeric AS open_amount,"
             " 0::numeric AS open_weighted FROM pipelines p) {t} WHERE {t}.id = {key}")

# Each stage with its totals, from the board's arrays; the filters again for its deals.
_COLUMNS = (
    "(SELECT s.*, {t}.currency AS currency, {t}.board_owner AS board_owner,"
    " {t}.board_store AS board_store, u.deals, u.amount, u.stalled"
    " FROM unnest({t}.stage_ids, {t}.deals, {t}.amounts, {t}.stalled)"
    " AS u(id, deals, amount, stalled) JOIN pipeline_stages s ON s.id = u.id) {c}"
)


def board_row(pipeline_id: UUID | None, owner_id: UUID | None,
              store_id: UUID | None) -> RowQuery:
    """As the resolver: an id of another type (None) finds no board."""
    if pipeline_id is None:
        return RowQuery(None)
    filters = [(f" AND d.{column} = $?::uuid", value)
               for column, value in (("owner_id", owner_id), ("store_id", store_id))
               if value is not None]
    sql = _BOARD.replace("FILTERS", "".join(condition for condition, _ in filters))
    return RowQuery(sql, (owner_id, store_id, pipeline_id, *(value for _, value in filters)))


_LONGEST_IN_STAGE = sort_keys(("{t}.stage_entered_at", "timestamp"), ("{t}.id", "uuid"))


def column_deals_page(page: PageRequest) -> PageQuery:
    """A column's deals, of the board's owner and store, as PgPipelineQueries.deals_in_stages
    pages them."""
    return PageQuery(
        "deals", (Condition("{t}.stage_id = {p}.id"),
                  Condition("({p}.board_owner IS NULL OR {t}.owner_id = {p}.board_owner)"),
                  Condition("({p}.board_store IS NULL OR {t}.store_id = {p}.board_store)")),
        _LONGEST_IN_STAGE, descending=False, page=page, ordering=LONGEST_IN_STAGE)


# Scalar fields are their columns, by convention (mapping.ObjectMapping.table).
PIPELINE = ObjectMapping("Pipeline", row="pipelines {t} WHERE {t}.id = {key}",
                         table="pipelines", fields={"currencyCode": Value("{t}.currency")})

PIPELINE_STAGE = ObjectMapping(
    "PipelineStage", row="pipeline_stages {t} WHERE {t}.id = {key}", table="pipeline_stages",
    fields={"pipeline": Reference("Pipeline", "{t}.pipeline_id")})

# Declared field by field, not by convention: a deal's computed scalars (stalled, days in
# stage) are no columns, and are left to Python.
DEAL = ObjectMapping("Deal", row="deals {t} WHERE {t}.id = {key}", fields={
    "id": id_value("Deal", "{t}.id"),
    **value_fields(title="{t}.title", status="{t}.status", lostReason="{t}.lost_reason",
                   version="{t}.version"),
    "expectedCloseOn": Value(date_json("{t}.expected_close_on")),
    **{name: Value(datetime_json("{t}." + column_of(name))) for name in (
        "openedAt", "stageEnteredAt", "closedAt", "updatedAt")},
    "amount": money("{t}.amount", "{t}.currency"),
    "customer": Reference("Customer", "{t}.customer_id"),
    "pipeline": Reference("Pipeline", "{t}.pipeline_id"),
    "stage": Reference("PipelineStage", "{t}.stage_id"),
    "owner": Reference("Staff", "{t}.owner_id"),
    "store": Reference("Store", "{t}.store_id"),
})

PIPELINE_BOARD = ObjectMapping("PipelineBoard", row=_NO_BOARD, fields={
    "pipeline": Reference("Pipeline", "{t}.id"),
    "dealCount": Value("{t}.open_deals"),
    "amount": money("{t}.open_amount", "{t}.currency"),
    "weightedAmount": money("{t}.open_weighted", "{t}.currency"),
    "columns": Children("PipelineBoardColumn", _COLUMNS, "{c}.position, {c}.id"),
})

BOARD_COLUMN = ObjectMapping("PipelineBoardColumn", {
    "stage": Reference("PipelineStage", "{t}.id"),
    "dealCount": Value("{t}.deals"),
    "amount": money("{t}.amount", "{t}.currency"),
    "weightedAmount": money(
        f"round({{t}}.amount * {{t}}.probability, {currency_units('{t}.currency')})",
        "{t}.currency"),
    "stalledCount": Value("{t}.stalled"),
    "deals": Paged("Deal", column_deals_page),
})

ROOT_FIELDS: dict[str, FieldMapping] = {"pipelineBoard": Lookup("PipelineBoard", board_row)}
MAPPINGS = (PIPELINE, PIPELINE_STAGE, DEAL, PIPELINE_BOARD, BOARD_COLUMN)

_FIELDS: dict[str, tuple[str, ...]] = {
    "Pipeline": ("stages",),
    "Deal": ("source", "products", "weightedAmount", "stalled", "daysInStage", "lead",
             "purchase", "history", "interactions", "cases"),
    "DealSource": ("channel", "campaign", "referredBy", "interaction"),
    "DealProduct": ("sku", "quantity"),
    "DealMove": ("kind", "movedAt", "movedBy", "reason", "from", "to", "staff"),
    "Lead": ("id", "status", "source", "nextFollowUpOn", "unqualifiedReason", "createdAt",
             "updatedAt", "closedAt", "version", "customer", "owner", "store", "deal",
             "followUps", "lastFollowUpAt"),
    "PipelineAnalytics": ("pipeline", "from", "to", "funnel", "stages", "stalled", "outcomes",
                          "owners", "stores", "forecast", "leadSources"),
    "FunnelStep": ("stage", "reached", "lost", "conversionFromPrevious"),
    "StageTiming": ("stage", "stays", "medianDays", "p90Days", "stalled"),
    "DealOutcomes": ("won", "lost", "winRate", "wonAmount", "averageCycleDays"),
    "OwnerOutcomes": ("owner", "outcomes"),
    "StoreOutcomes": ("store", "outcomes"),
    "ForecastMonth": ("month", "deals", "amount", "weightedAmount"),
    "LeadSourceConversion": ("channel", "campaign", "referral", "leads", "qualified",
                             "unqualified", "won", "conversionRate"),
    "LeadConnection": ("edges", "pageInfo", "nodes"),
    "LeadEdge": ("node", "cursor"),
    "Query": ("pipelines", "pipeline", "deals", "leads", "pipelineAnalytics"),
    "Customer": ("deals",),
    "Staff": ("deals",),
}

RESOLVED_IN_PYTHON: dict[tuple[str, str], str] = {
    (type_name, name): "the sales pipeline's reads but the board are executed, not compiled"
    for type_name, names in _FIELDS.items() for name in names
}
