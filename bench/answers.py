"""Before measuring: every server must give the baseline's answers (parsed JSON) to the same
sample requests, or the figures would compare unlike work."""

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import orjson

from bench.load import HEADERS

MAX_DIFF_LINES = 80


async def _answer(session: aiohttp.ClientSession, url: str, body: bytes,
                  headers: Mapping[str, str]) -> Any:
    try:
        async with session.post(url, data=body, headers=headers) as response:
            payload = await response.read()
    except aiohttp.ClientError as error:  # a server that crashes on it differs, visibly
        return {"no answer": repr(error)}
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return {"status": response.status, "not JSON": payload[:2000].decode(errors="replace")}


def _pretty(answer: Any) -> list[str]:
    return json.dumps(answer, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def describe_mismatch(request: bytes, baseline: Any, answer: Any, target: str) -> str:
    diff = list(difflib.unified_diff(
        _pretty(baseline), _pretty(answer), "baseline", target, lineterm="", n=2,
    ))
    shown = diff[:MAX_DIFF_LINES]
    if len(diff) > MAX_DIFF_LINES:
        shown.append(f"... {len(diff) - MAX_DIFF_LINES} more diff lines")
    return "\n".join([f"request: {request.decode()}", *shown])


async def find_mismatches(
    baseline_url: str, urls: dict[str, str], requests: Sequence[bytes],
    headers: Mapping[str, str] = HEADERS,
) -> dict[str, list[str]]:
    """By target (`urls` names them): one description per request it answers differently
    from the baseline (empty: all equal). An answer with errors never counts as equal, even
    if both carry the same errors."""
    mismatches: dict[str, list[str]] = {target: [] for target in urls}
    async with aiohttp.ClientSession() as session:
        for body in requests:
            baseline = await _answer(session, baseline_url, body, headers)
            for target, url in urls.items():
                answer = await _answer(session, url, body, headers)
                if baseline != answer or "errors" in answer or "errors" in baseline:
                    mismatches[target].append(describe_mismatch(body, baseline, answer, target))
    return mismatches
