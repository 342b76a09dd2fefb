"""Mutation payloads: `<mutation>Payload { <result> userErrors }`, one named type per
mutation so each can grow on its own, made by one function instead of forty copies."""

from typing import Any

import strawberry

from api.graphql.errors import UserError


def payload_type(name: str, result_field: str, result_type: Any, description: str) -> Any:
    namespace = {
        "__annotations__": {result_field: result_type | None, "user_errors": list[UserError]},
        "__doc__": description,
    }
    return strawberry.type(type(name, (), namespace), description=description)
