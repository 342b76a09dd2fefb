"""Identifiers: time-ordered UUIDs (version 7) so new rows land at the end of their indexes,
and the one codec of the opaque global ids the API shows for them."""

import base64
import binascii
import os
import time
import uuid


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, version, 74 random bits, variant."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a, rand_b = rand >> 68, rand & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


# --- global ids ------------------------------------------------------------------------
# A global id is the standard base64 (padded, one line) of "TypeName:uuid", the UUID in its
# canonical text (lower case, hyphenated: what PostgreSQL's uuid::text gives too). The SQL
# that builds one in a compiled read (infrastructure/postgres/compiled/sql.py) is derived
# from `global_id_prefix`; tests/integration/test_global_ids.py proves both agree.


def global_id_prefix(type_name: str) -> str:
    """The text a global id of `type_name` encodes before the UUID."""
    if ":" in type_name:
        raise ValueError(f"a type name has no colon: {type_name!r}")
    return f"{type_name}:"


def global_id(type_name: str, value: uuid.UUID | str) -> str:
    """The global id of the object `value` of `type_name`; `value` a UUID or its canonical
    text (as rows read with `id::text` hold it)."""
    return base64.b64encode(f"{global_id_prefix(type_name)}{value}".encode()).decode()


def parse_global_id(text: str) -> tuple[str, uuid.UUID] | None:
    """(type name, UUID) inside a global id; None for anything that is not one."""
    try:
        # strict_mode: what b64decode(validate=True) checks, without its regex.
        decoded = binascii.a2b_base64(text, strict_mode=True).decode()
        type_name, colon, raw = decoded.partition(":")
        return (type_name, uuid.UUID(raw)) if colon else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
