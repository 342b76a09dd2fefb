"""Which operation texts the endpoint runs: persisted queries and Automatic Persisted
Queries. (Introspection, when switched off, is refused by a validation rule:
api/http/limits.py.)

- **Allow-list.** A manifest loaded at start-up maps the sha256 (hex) of each operation's
  text to the text. A client sends only the hash: `{"extensions": {"persistedQuery":
  {"version": 1, "sha256Hash": "…"}}}` (Apollo) or `{"documentId": "…"}` (relay, the
  GraphQL-over-HTTP persisted documents proposal; `sha256:` prefix optional).
- **Automatic Persisted Queries** (Apollo's protocol). A hash the server does not know gets
  `PERSISTED_QUERY_NOT_FOUND` (HTTP 200, as Apollo Server answers it); the client sends the
  query with its hash again, the server checks the hash and remembers the text in an
  in-process LRU cache (each process learns on its own; forgetting costs one more round
  trip).
- **Persisted only.** With `only_persisted`, nothing outside the allow-list runs: neither
  text the client wrote (`PERSISTED_QUERY_REQUIRED`) nor APQ registrations.

Every path ends in the operation's text, before parsing, so the document cache and the
compiled reads (both keyed by text) serve persisted operations as any other.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from domain.shared.lru import LruCache

APQ_VERSION = 1
APOLLO_MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueryError(Exception):
    """A request the persisted-query rules refuse; `code` tells the client why (None: a
    malformed request, with nothing more specific to say)."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


class PersistedQueryNotFound(PersistedQueryError):
    """A hash this server does not know (yet): an APQ client sends the query again with it.
    Apollo clients recognise this message and code."""

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def parse_manifest(manifest: Any) -> dict[str, str]:
    """sha256 hex → text, from either manifest format:

    - relay-compiler's `persistConfig` output with `"algorithm": "SHA256"`, and any
      generator writing the same: one object, `{"<sha256>": "<query text>", …}`;
    - Apollo's `generate-persisted-query-manifest`: `{"format":
      "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "<sha256>",
      "body": "<query text>", "name": …, "type": …}, …]}`.

    Every id must be the sha256 of its text: a manifest that says otherwise would let a hash
    run an operation other than the one the client hashed."""
    if not isinstance(manifest, dict):
        raise ValueError("a persisted query manifest is a JSON object")
    if manifest.get("format") == APOLLO_MANIFEST_FORMAT:
        operations = manifest.get("operations")
        if not isinstance(operations, list) or not all(
            isinstance(op, dict) for op in operations
        ):
            raise ValueError("an Apollo manifest needs a list of operations")
        pairs = [(op.get("id"), op.get("body")) for op in operations]
    else:
        pairs = list(manifest.items())
    allowed: dict[str, str] = {}
    for key, text in pairs:
        if not isinstance(key, str) or not isinstance(text, str):
            raise ValueError(f"manifest entry {key!r}: id and text must be strings")
        if key.lower() != sha256_hex(text):
            raise ValueError(f"manifest entry {key!r} is not the sha256 of its text")
        allowed[key.lower()] = text
    return allowed


def load_manifest(path: Path) -> dict[str, str]:
    """The allow-list in the manifest at `path`; any fault stops start-up with its reason."""
    try:
        return parse_manifest(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(f"RAPPORT_PERSISTED_QUERIES {str(path)!r}: {error}") from error


def requested_hash(extensions: Any, document_id: Any) -> str | None:
    """The sha256 the request names, if any, from Apollo's `extensions.persistedQuery` or
    from `documentId`; refuses a malformed one rather than ignoring it."""
    if document_id is not None:
        if not isinstance(document_id, str):
            raise PersistedQueryError("documentId must be a string", "BAD_REQUEST")
        return _valid_hash(document_id.removeprefix("sha256:"))
    if extensions is None:
        return None
    if not isinstance(extensions, dict):
        raise PersistedQueryError("extensions must be a JSON object", "BAD_REQUEST")
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise PersistedQueryError(
            f"persistedQuery must be {{\"version\": {APQ_VERSION}, \"sha256Hash\": …}}",
            "PERSISTED_QUERY_NOT_SUPPORTED")
    return _valid_hash(persisted.get("sha256Hash"))


def _valid_hash(value: Any) -> str:
    if not isinstance(value, str) or not _SHA256_HEX.fullmatch(value.lower()):
        raise PersistedQueryError("a persisted query hash is 64 hexadecimal digits (sha256)",
                                  "BAD_REQUEST")
    return value.lower()


class PersistedQueries:
    """Turns what a request sent (a query, a hash, or both) into the text to run."""

    def __init__(self, allowed: Mapping[str, str] | None = None, *,
                 only_persisted: bool = False, cache_size: int = 1024) -> None:
        self._allowed = dict(allowed or {})
        self._allowed_texts = frozenset(self._allowed.values())
        self._only_persisted = only_persisted
        self._registered: LruCache[str, str] = LruCache(cache_size)  # APQ registrations

    def query_of(self, query: Any, extensions: Any = None, document_id: Any = None) -> str:
        hashed = requested_hash(extensions, document_id)
        if hashed is None:
            return self._written(query)
        if query is None or query == "":
            return self._by_hash(hashed)
        if not isinstance(query, str):
            raise PersistedQueryError("query must be a string", None)
        return self._registering(hashed, query)

    def _written(self, query: Any) -> str:
        """A query sent as text, with no hash."""
        if not isinstance(query, str) or not query.strip():
            raise PersistedQueryError("a query string is required", None)
        if self._only_persisted and query not in self._allowed_texts:
            raise _required()
        return query

    def _by_hash(self, hashed: str) -> str:
        text = self._allowed.get(hashed)
        if text is None and not self._only_persisted:
            text = self._registered.get(hashed)
        if text is None:
            raise PersistedQueryNotFound()
        return text

    def _registering(self, hashed: str, query: str) -> str:
        """A query sent with its hash: an APQ registration, or a client sending both."""
        if sha256_hex(query) != hashed:
            raise PersistedQueryError(
                "the persisted query hash is not the sha256 of the query sent",
                "PERSISTED_QUERY_HASH_MISMATCH")
        if hashed in self._allowed:
            return query
        if self._only_persisted:
            raise _required()
        self._registered.put(hashed, query)
        return query


def _required() -> PersistedQueryError:
    return PersistedQueryError(
        "This server runs only persisted operations: send the hash of an operation in its "
        "allow-list.", "PERSISTED_QUERY_REQUIRED")
