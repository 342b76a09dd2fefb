"""Before measuring: both servers must give equal answers (parsed JSON) to the same sample
requests, or the figures would compare unlike work."""

import difflib
import json
from collections.abc import Sequence
from typing import Any

import aiohttp
import orjson

from bench.load import HEADERS

MAX_DIFF_LINES = 80


async def _answer(session: aiohttp.ClientSession, url: str, body: bytes) -> Any:
    async with session.post(url, data=body, headers=HEADERS) as response:
        payload = await response.read()
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return {"status": response.status, "not JSON": payload[:2000].decode(errors="replace")}


def _pretty(answer: Any) -> list[str]:
    return json.dumps(answer, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def describe_mismatch(request: bytes, baseline: Any, graphql: Any) -> str:
    diff = list(difflib.unified_diff(
        _pretty(baseline), _pretty(graphql), "baseline", "graphql", lineterm="", n=2,
    ))
    shown = diff[:MAX_DIFF_LINES]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"... {len(diff) - MAX_DIFF_LINES} more diff lines")
    return "\n".join([f"request: {request.decode()}", *shown])


async def find_mismatches(
    baseline_url: str, graphql_url: str, requests: Sequence[bytes]
) -> list[str]:
    """One description per request the two servers answer differently (empty: all equal).
    An answer with errors never counts as equal, even if both carry the same errors."""
    mismatches = []
    async with aiohttp.ClientSession() as session:
        for body in requests:
            baseline = await _answer(session, baseline_url, body)
            graphql = await _answer(session, graphql_url, body)
            if baseline != graphql or "errors" in graphql or "errors" in baseline:
                mismatches.append(describe_mismatch(body, baseline, graphql))
    return mismatches
