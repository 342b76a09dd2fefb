"""The sales pipeline's rows ↔ domain objects, field by column name (rows.py); what is not
stored as it is (a source spread over four columns, the products over two arrays, a
pipeline's stages in their own table) is given here by name."""

from collections.abc import Iterable
from typing import Any

from domain.interactions.model import Channel
from domain.pipeline.model import (
    Deal,
    DealLink,
    DealMove,
    DealProduct,
    Lead,
    Pipeline,
    Source,
    Stage,
)
from infrastructure.postgres.rows import Row, model_row, read_model


def source_of(row: Row) -> Source:
    channel = row["source_channel"]
    return Source(channel=Channel(channel) if channel is not None else None,
                  campaign=row["source_campaign"],
                  referred_by_id=row["source_referred_by_id"],
                  interaction_id=row["source_interaction_id"])


def source_columns(source: Source) -> dict[str, Any]:
    return {"source_channel": source.channel.value if source.channel else None,
            "source_campaign": source.campaign,
            "source_referred_by_id": source.referred_by_id,
            "source_interaction_id": source.interaction_id}


def stage_from_row(row: Row) -> Stage:
    return read_model(Stage, row)


def pipeline_from_row(row: Row, stages: Iterable[Stage]) -> Pipeline:
    return read_model(Pipeline, row, stages=tuple(stages))


def pipeline_to_row(pipeline: Pipeline) -> dict[str, Any]:
    return model_row(pipeline, omit=("stages",))


def stage_to_row(stage: Stage) -> dict[str, Any]:
    return model_row(stage)


def lead_from_row(row: Row) -> Lead:
    return read_model(Lead, row, source=source_of(row))


def lead_to_row(lead: Lead) -> dict[str, Any]:
    return model_row(lead, omit=("source",), **source_columns(lead.source))


def deal_from_row(row: Row) -> Deal:
    products = tuple(DealProduct(sku, quantity) for sku, quantity
                     in zip(row["product_skus"], row["product_quantities"], strict=True))
    return read_model(Deal, row, source=source_of(row), products=products)


def deal_to_row(deal: Deal) -> dict[str, Any]:
    return model_row(deal, omit=("source", "products"), **source_columns(deal.source),
                     product_skus=[product.sku for product in deal.products],
                     product_quantities=[product.quantity for product in deal.products])


def move_from_row(row: Row) -> DealMove:
    return read_model(DealMove, row)


def move_to_row(move: DealMove) -> dict[str, Any]:
    return model_row(move)


def link_from_row(row: Row) -> DealLink:
    return read_model(DealLink, row)


def link_to_row(link: DealLink) -> dict[str, Any]:
    return model_row(link)
