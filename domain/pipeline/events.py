"""The names of the pipeline context's events, each with a JSON Schema (events/ at the
repository's root); see domain/customers/events.py."""

from enum import StrEnum


class PipelineEvent(StrEnum):
    PIPELINE_CREATED = "PipelineCreated"
    PIPELINE_CHANGED = "PipelineChanged"
    LEAD_CREATED = "LeadCreated"
    LEAD_UPDATED = "LeadUpdated"
    LEAD_QUALIFIED = "LeadQualified"
    LEAD_DISQUALIFIED = "LeadDisqualified"
    LEAD_CONTACTED = "LeadContacted"
    DEAL_OPENED = "DealOpened"
    DEAL_UPDATED = "DealUpdated"
    DEAL_LINKED = "DealLinked"
    DEAL_MOVED = "DealMoved"
    DEAL_WON = "DealWon"
    DEAL_LOST = "DealLost"
    DEAL_REOPENED = "DealReopened"
