"""SQL expressions that write values exactly as the GraphQL layer writes them, so a compiled
answer and an executed one are the same JSON.

The answer is JSON text put together by concatenation: every part is a text expression that
is already JSON and never null. json_build_object would do the same work, but it looks up
every argument's type and output function anew on each call, which cost PostgreSQL 15 a
third of a compiled statement's execution (docs/performance.md); here only strings of
free text go through to_json.
"""

import json
from collections.abc import Iterable

from domain.shared.ids import global_id_prefix
from domain.shared.money import MINOR_UNITS

SORT_KEY_KINDS = ("timestamp", "text", "uuid")


def datetime_json(expression: str) -> str:
    """A timestamptz as Python's isoformat() writes it in UTC: microseconds only when there
    are some (Postgres' own JSON trims trailing zeros instead). One to_char and a replace:
    half the expression of choosing between two formats, which Postgres sets up anew on
    every execution for each timestamp of an answer."""
    utc = f"({expression}) AT TIME ZONE 'UTC'"
    return (f"replace(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"'),"
            " '.000000+', '+')")


def date_json(expression: str) -> str:
    return f"to_char({expression}, 'YYYY-MM-DD')"


def decimal_json(expression: str) -> str:
    """A numeric as the Decimal scalar writes it (format "f"): its digits, never an exponent,
    which is what numeric's text is."""
    return f"({expression})::text"


def currency_units(currency: str) -> str:
    """The decimals of `currency` (an expression), as domain.shared.money.minor_units: the
    currencies without two are one constant looked up once."""
    table = "'" + json.dumps(MINOR_UNITS, sort_keys=True) + "'::jsonb"  # no quote in it
    return f"coalesce(({table} ->> {currency})::int, 2)"


def money_amount(amount: str, currency: str) -> str:
    """Money's amount as MoneyType.of shows it: with the currency's decimals ("4800.00"),
    unless it is finer than that (a point's value), which keeps its own.

    Written small, as a page of purchases holds dozens of amounts and Postgres sets up every
    expression anew for each execution, branches not taken included: a CASE naming every
    currency cost ~4 µs an amount. The currencies without two decimals are one constant
    looked up once; an amount whose significant decimals fit the currency's (`min_scale`)
    is rounded to them, which pads "12.5" to "12.50" and only drops zeros."""
    units = currency_units(currency)
    return (f"(CASE WHEN min_scale({amount}) <= {units} THEN round({amount}, {units})"
            f" ELSE {amount} END)::text")


def float_json(expression: str) -> str:
    """A float8 as JSON the way the executed path writes a Python float: a whole number keeps
    its ".0" (Postgres writes 30, Python 30.0). Exact below 1e15, which covers coordinates."""
    return (f"CASE WHEN {expression} = trunc({expression})"
            f" THEN ({expression}::text || '.0')::json ELSE to_json({expression}) END")


# encode(…, 'base64') writes a line break after every 76 characters (57 bytes of input), even
# after the last line when the input is 57 bytes exactly.
_BASE64_LINE_BYTES = 57
_UUID_TEXT_LENGTH = 36


def global_id(type_name: str, expression: str) -> str:
    """domain.shared.ids.global_id of the uuid `expression`, built by PostgreSQL."""
    prefix = global_id_prefix(type_name)
    encoded = (f"encode(convert_to({quoted(prefix)} || ({expression})::text, 'UTF8'),"
               " 'base64')")
    if len(prefix.encode()) + _UUID_TEXT_LENGTH < _BASE64_LINE_BYTES:
        return encoded  # one base64 line: no line break to take out
    return f"replace({encoded}, E'\\n', '')"


def json_text(kind: str, expression: str) -> str:
    """One sort-key value as JSON text, as `json.dumps(..., ensure_ascii=False)` writes it."""
    if kind == "timestamp":
        return f"'\"' || {datetime_json(expression)} || '\"'"
    if kind == "uuid":
        return f"'\"' || ({expression})::text || '\"'"
    return f"to_json(({expression})::text)::text"


def cursor(parts: list[str]) -> str:
    """URL-safe base64 of a JSON array of sort-key values (see paging.Ordering.cursor)."""
    array = " || ', ' || ".join(parts)
    encoded = f"encode(convert_to('[' || {array} || ']', 'UTF8'), 'base64')"
    # Three replace() cost a quarter of one translate(), which is slow on any text.
    return f"replace(replace(replace({encoded}, E'\\n', ''), '+', '-'), '/', '_')"


def quoted(text: str) -> str:
    """A string literal; response keys are GraphQL names, which need no escaping."""
    return "'" + text.replace("'", "''") + "'"


# Scalars whose SQL text needs no escaping, only quotes: the writers above make it of digits,
# signs, dots, colons and letters (an enum's value is a GraphQL name).
_QUOTED_SCALARS = frozenset({"DateTime", "Date", "Decimal"})
# Scalars whose SQL text is their JSON (an integer's digits, a boolean's true or false).
_BARE_SCALARS = frozenset({"Int", "Boolean"})


def json_value(expression: str, scalar: str | None, *, is_list: bool = False,
               enum: bool = False) -> str:
    """A field's value as JSON text: `null` when the expression is null."""
    if not is_list and scalar in _BARE_SCALARS:
        return json_nullable(f"({expression})::text")
    if not is_list and (enum or scalar in _QUOTED_SCALARS):
        return json_nullable(json_quoted(expression))
    return json_nullable(f"to_json({expression})::text")


def json_quoted(expression: str) -> str:
    """Text with nothing to escape (digits, base64, a GraphQL name) as a JSON string."""
    return f"('\"' || ({expression}) || '\"')"


def json_string(text: str) -> str:
    """A constant JSON string, as a SQL literal."""
    return quoted(json.dumps(text, ensure_ascii=False))


def json_object(members: Iterable[tuple[str, str]]) -> str:
    """A JSON object of (key, value) pairs, keys in order, each value JSON text (never null)."""
    pieces: list[str] = []
    separator = "{"
    for key, value in members:
        pieces += [quoted(f"{separator}{json.dumps(key)}:"), f"({value})"]
        separator = ","
    if not pieces:
        return "'{}'::text"
    return "(" + " || ".join([*pieces, "'}'"]) + ")"


def json_array(elements: str) -> str:
    """A JSON array of `elements`, an SQL array of JSON texts (never null)."""
    return f"('[' || array_to_string({elements}, ',') || ']')"


def json_nullable(expression: str) -> str:
    """JSON text that may be null (an object not found) → `null`."""
    return f"coalesce({expression}, 'null')"
