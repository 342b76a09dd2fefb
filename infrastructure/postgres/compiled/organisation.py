"""How Store and Staff are read, for compiled operations (see mapping.py)."""

from infrastructure.postgres.compiled.mapping import (
    Listing,
    ObjectMapping,
    Reference,
)

# Scalar fields are their columns, by convention (mapping.ObjectMapping.table).
STORE = ObjectMapping("Store", {}, row="stores {t} WHERE {t}.id = {key}", table="stores")

STAFF = ObjectMapping("Staff", row="staff {t} WHERE {t}.id = {key}", table="staff", fields={
    "store": Reference("Store", "{t}.store_id"),
})

ROOT_FIELDS = {
    "stores": Listing("Store", "stores {c}", "{c}.code"),
    "staff": Listing("Staff", "staff {c}", "{c}.name, {c}.id"),
}
MAPPINGS = (STORE, STAFF)
