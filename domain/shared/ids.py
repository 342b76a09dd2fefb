"""Identifiers: time-ordered UUIDs (version 7) so new rows land at the end of their indexes,
and the one codec of the opaque global ids the API shows for them."""

import base64
import binascii
import os
import threading
import time
import uuid

_RANDOM_BITS = 74
_last = (0, 0)  # (milliseconds, random bits) of the latest id made in this process
_making = threading.Lock()


def new_id() -> uuid.UUID:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, version, 74 random bits, variant.

    Ids made one after another in a process sort in the order they were made, even within
    one millisecond (RFC 9562's monotonic random, 6.2 method 2): what a fixed test clock or
    one request's two rows order by when their times are equal (a deal's opening move
    before its first move), and what keeps new rows at the end of their indexes."""
    global _last
    millis = (time.time_ns() // 1_000_000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big") >> (80 - _RANDOM_BITS)
    with _making:
        if (millis, rand) <= _last:  # the same millisecond, or the clock stepped back
            millis, rand = _last[0], _last[1] + 1
            if rand >> _RANDOM_BITS:  # 2^74 ids in one millisecond: borrow the next one
                millis, rand = millis + 1, 0
        _last = (millis, rand)
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    value = millis << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
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
