"""Checking the API key of a request: the authentication port the HTTP layer calls.

One statement per request: it finds the key by its public prefix (unique index), joined to
its client (and a PARTNER client's partner), and in the same statement notes when the key
was last used. Nothing is cached, so a key revoked or expired a moment ago, or the key of a
partner suspended a moment ago, fails on the very next request. It runs on the primary's
asyncpg pool (driver_pool.py), in autocommit: one statement needs no BEGIN and COMMIT, and
SQLAlchemy's checkout and execution cost as much as the statement itself.
"""

from datetime import timedelta

from domain.access.model import ApiClientIdentity, PresentedKey
from domain.shared.access import Role
from domain.shared.clock import Clock
from infrastructure.postgres.driver_pool import DriverPool

# `last_used_at` is written at most once a minute per key: a busy client would otherwise
# write its key row on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# The touch compares hashes in SQL only to decide whether to write last_used_at; whether the
# key is valid is decided in Python with a constant-time comparison. A data-modifying CTE
# runs even though the outer query does not read it (PostgreSQL docs, "WITH Queries").
# $1 the key's prefix, $2 now, $3 stale before (when last_used_at is written again), $4 the
# secret's hash.
_VERIFY = """
WITH found AS (
    SELECT k.id AS key_id, k.secret_hash, c.id AS client_id, c.name, c.role, c.partner_code
    FROM api_keys AS k JOIN api_clients AS c ON c.id = k.client_id
    LEFT JOIN partners AS p ON p.code = c.partner_code
    WHERE k.prefix = $1
      AND k.revoked_at IS NULL AND c.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > $2)
      -- a partner's key works while its partner exists and is active
      AND (c.role <> 'PARTNER' OR p.status = 'ACTIVE')
), touched AS (
    UPDATE api_keys SET last_used_at = $2
    FROM found
    WHERE api_keys.id = found.key_id AND found.secret_hash = $4
      AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < $3)
)
SELECT key_id, secret_hash, client_id, name, role, partner_code FROM found
"""


class PgApiKeys:
    def __init__(self, pool: DriverPool, clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def verify(self, presented: str) -> ApiClientIdentity | None:
        """Whose key this is, when it is a valid, unrevoked, unexpired key of an unrevoked
        client (of an active partner, for a PARTNER client); None otherwise, malformed
        input included."""
        key = PresentedKey.parse(presented)
        if key is None:
            return None
        now = self._clock.now()
        async with self._pool.connection() as connection:
            row = await connection.fetchrow(_VERIFY, key.prefix, now,
                                            now - LAST_USED_RESOLUTION, key.secret_hash)
        if row is None or not key.matches(row["secret_hash"]):
            return None
        return ApiClientIdentity(
            client_id=row["client_id"], client_name=row["name"], role=Role(row["role"]),
            partner_code=row["partner_code"], key_id=row["key_id"],
        )
