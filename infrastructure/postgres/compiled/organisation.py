"""How Store and Staff are read, for compiled operations (see mapping.py)."""

from infrastructure.postgres.compiled.mapping import (
    Listing,
    ObjectMapping,
    Reference,
    value_fields,
)
from infrastructure.postgres.compiled.sql import datetime_json, global_id

STORE = ObjectMapping("Store", row="stores {t} WHERE {t}.id = {key}", fields=value_fields(
    id=global_id("Store", "{t}.id"),
    code="{t}.code",
    name="{t}.name",
    city="{t}.city",
    createdAt=datetime_json("{t}.created_at"),
))

STAFF = ObjectMapping("Staff", row="staff {t} WHERE {t}.id = {key}", fields={
    **value_fields(
        id=global_id("Staff", "{t}.id"),
        name="{t}.name",
        email="{t}.email",
        createdAt=datetime_json("{t}.created_at"),
    ),
    "store": Reference("Store", "{t}.store_id"),
})

ROOT_FIELDS = {
    "stores": Listing("Store", "stores {c}", "{c}.code"),
    "staff": Listing("Staff", "staff {c}", "{c}.name, {c}.id"),
}
MAPPINGS = (STORE, STAFF)
