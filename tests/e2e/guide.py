"""The guides' examples, run: docs/*.md show requests and their answers, and a test posts
each request and compares the answer with what the guide shows.

A guide's blocks are read in order: a ```graphql block is the document of the examples
after it; a ```json block without "data" is its variables; a ```json block with "data" is
the answer of the request before it; a ```bash block that posts with `curl -d '…'` is a
request of its own. `$NAME`s in variables are filled from the run, and `<…>` in an answer
stands for a value that differs each run.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)
CURL_DATA = re.compile(r"-d '(.*?)'", re.DOTALL)
WILDCARD = re.compile(r"^<.*>$")


@dataclass(frozen=True)
class Example:
    document: str
    variables: dict[str, Any]
    answer: dict[str, Any]


def examples(text: str) -> Iterator[Example]:
    document, variables = "", {}
    request: tuple[str, dict[str, Any]] | None = None
    for language, body in BLOCK.findall(text):
        if language == "graphql":
            document = body
        elif language == "bash" and (posted := CURL_DATA.search(body)):
            payload = json.loads(posted[1])
            request = (payload["query"], payload.get("variables", {}))
        elif language == "json":
            parsed = json.loads(body)
            if "data" not in parsed:
                variables, request = parsed, (document, parsed)
            elif request is not None or document:
                query, given = request or (document, variables)
                yield Example(query, given, parsed)
                request = None


def filled(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: filled(item, names) for key, item in value.items()}
    if isinstance(value, str) and value.startswith("$"):
        return names[value[1:]]
    return value


def mismatches(shown: Any, answered: Any, path: str = "") -> list[str]:
    if isinstance(shown, str) and WILDCARD.match(shown):
        return [] if answered is not None else [f"{path}: answered null"]
    if isinstance(shown, dict) and isinstance(answered, dict):
        if shown.keys() != answered.keys():
            return [f"{path}: keys {sorted(shown)} shown, {sorted(answered)} answered"]
        return [m for key in shown for m in mismatches(shown[key], answered[key], f"{path}.{key}")]
    if isinstance(shown, list) and isinstance(answered, list) and len(shown) == len(answered):
        return [m for i, (s, a) in enumerate(zip(shown, answered, strict=True))
                for m in mismatches(s, a, f"{path}[{i}]")]
    return [] if shown == answered else [f"{path}: {shown!r} shown, {answered!r} answered"]


def documents(text: str) -> list[str]:
    """Every ```graphql block of a guide, answered or not."""
    return [body for language, body in BLOCK.findall(text) if language == "graphql"]
