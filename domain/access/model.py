"""API clients, their keys, and the key format.

A key as the client sends it is `rk_<prefix>_<secret>`. The prefix is a short random public
id that finds the key's row; the secret is 256 random bits of which only the SHA-256 is
stored. A fast hash is right here: argon2 or bcrypt slow down guessing of low-entropy
passwords, but nobody can guess 256 random bits, so a slow hash would only cost every
request time. Keys are compared with `hmac.compare_digest`, whose time does not depend on
where the first differing character is.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from domain.shared.access import Role

KEY_SCHEME = "rk"
_PREFIX_BYTES = 8  # 16 hex characters: a public lookup id, unique by constraint
_SECRET_BYTES = 32  # 256 bits, 43 url-safe characters
_PRESENTED = re.compile(r"rk_([0-9a-f]{16})_([A-Za-z0-9_\-]{43})")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class PresentedKey:
    """A key as a caller sent it, split into its lookup prefix and its secret."""

    prefix: str
    secret: str = field(repr=False)

    @classmethod
    def parse(cls, presented: object) -> "PresentedKey | None":
        """None for anything that is not a well-formed key: never raises on bad input."""
        if not isinstance(presented, str):
            return None
        matched = _PRESENTED.fullmatch(presented.strip())
        return cls(matched[1], matched[2]) if matched else None

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)

    def matches(self, secret_hash: str) -> bool:
        return hmac.compare_digest(self.secret_hash, secret_hash)


@dataclass(frozen=True)
class ApiKey:
    id: UUID
    client_id: UUID
    prefix: str
    secret_hash: str = field(repr=False)
    created_at: datetime
    expires_at: datetime | None = None  # None: no expiry; set when a rotation ends it
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)

    def ending_by(self, end: datetime) -> "ApiKey":
        """This key, working until `end` at the latest."""
        if self.expires_at is not None and self.expires_at <= end:
            return self
        return replace(self, expires_at=end)


@dataclass(frozen=True)
class ApiClient:
    """A program that calls the API (a web shop, a POS back end, a partner) and acts in one
    role. A PARTNER client names the partner it is; no other role has a partner code."""

    id: UUID
    name: str
    role: Role
    partner_code: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    keys: tuple[ApiKey, ...] = ()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def with_new_key(self, key: ApiKey, *, old_keys_end: datetime) -> "ApiClient":
        """`key` added; the keys that work now keep working until `old_keys_end` at most."""
        now = key.created_at
        kept = (k.ending_by(old_keys_end) if k.usable_at(now) else k for k in self.keys)
        return replace(self, keys=(*kept, key))

    def revoked_on(self, now: datetime) -> "ApiClient":
        keys = tuple(k if k.revoked_at else replace(k, revoked_at=now) for k in self.keys)
        return replace(self, revoked_at=now, keys=keys)


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its client. `key` is the only copy of the secret there will ever be:
    shown to whoever asked for it, then gone (it is left out of repr, so out of logs)."""

    client: ApiClient
    key: str = field(repr=False)


@dataclass(frozen=True)
class ApiClientIdentity:
    """Who a valid key belongs to: what the HTTP layer turns into a Viewer."""

    client_id: UUID
    client_name: str
    role: Role
    partner_code: str | None
    key_id: UUID


def new_key(key_id: UUID, client_id: UUID, now: datetime) -> tuple[ApiKey, str]:
    """A fresh key for `client_id`, and the text the client must send."""
    prefix = secrets.token_hex(_PREFIX_BYTES)
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    key = ApiKey(id=key_id, client_id=client_id, prefix=prefix, secret_hash=hash_secret(secret),
                 created_at=now)
    return key, f"{KEY_SCHEME}_{prefix}_{secret}"
