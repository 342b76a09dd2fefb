"""The sales pipeline's reads are not compiled: every pipeline field is answered by normal
execution (its resolvers and DataLoaders), and an operation selecting one is executed
whole. Marked here, so that `test_compiled_mappings.py` knows it is on purpose.

The board is one statement already (PgPipelineQueries.board), whatever its size, and the
analytics one statement each; bench/pipeline.py measures the board against a hand-written
baseline."""

_FIELDS: dict[str, tuple[str, ...]] = {
    "Pipeline": ("id", "code", "name", "currencyCode", "allowSkips", "version", "createdAt",
                 "updatedAt", "stages"),
    "PipelineStage": ("id", "name", "position", "kind", "probability", "slaDays", "retiredAt",
                      "pipeline"),
    "Deal": ("id", "title", "amount", "status", "lostReason", "expectedCloseOn", "openedAt",
             "stageEnteredAt", "closedAt", "updatedAt", "version", "source", "products",
             "weightedAmount", "stalled", "daysInStage", "customer", "pipeline", "stage",
             "owner", "store", "lead", "purchase", "history", "interactions", "cases"),
    "DealSource": ("channel", "campaign", "referredBy", "interaction"),
    "DealProduct": ("sku", "quantity"),
    "DealMove": ("kind", "movedAt", "movedBy", "reason", "from", "to", "staff"),
    "Lead": ("id", "status", "source", "nextFollowUpOn", "unqualifiedReason", "createdAt",
             "updatedAt", "closedAt", "version", "customer", "owner", "store", "deal",
             "followUps", "lastFollowUpAt"),
    "PipelineBoard": ("pipeline", "columns", "dealCount", "amount", "weightedAmount"),
    "PipelineBoardColumn": ("stage", "dealCount", "amount", "weightedAmount", "stalledCount",
                            "deals"),
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
    **{f"{node}Connection": ("edges", "pageInfo", "nodes") for node in ("Deal", "Lead")},
    **{f"{node}Edge": ("node", "cursor") for node in ("Deal", "Lead")},
    "Query": ("pipelines", "pipeline", "pipelineBoard", "deals", "leads", "pipelineAnalytics"),
    "Customer": ("deals",),
    "Staff": ("deals",),
}

RESOLVED_IN_PYTHON: dict[tuple[str, str], str] = {
    (type_name, name): "the sales pipeline's reads are executed, not compiled"
    for type_name, names in _FIELDS.items() for name in names
}
