"""What the HTTP endpoint needs besides the container: the persisted queries, the rate
limiter, the planner of compiled reads, and the authenticator. Built from the *app's*
settings, since one container may serve several apps (the tests run apps with other
limits over one database).

The API imports its types from here, never from the adapters' modules: it gets the
exceptions it answers, the values it reads and the compiled reads' vocabulary (the
`Selection` it hands the planner, the `Plan` it runs, `Unmapped`), and which failures
mean the database can't answer now (`fault_of`); the objects it calls it types by Protocols
of its own.
"""

from collections.abc import Callable
from dataclasses import dataclass

from opentelemetry.trace import Tracer

from infrastructure.authentication import Authenticator, Credentials, Forbidden, Unauthenticated
from infrastructure.bootstrap import OFF, Container, Telemetry
from infrastructure.persisted_queries import (
    PersistedQueries,
    PersistedQueryError,
    PersistedQueryNotFound,
    load_manifest,
)
from infrastructure.postgres import compiled
from infrastructure.postgres.compiled.compiler import Plan, Selection, Unmapped
from infrastructure.postgres.faults import Fault, fault_of
from infrastructure.rate_limits import Budget, RateLimited, RateLimiter
from infrastructure.settings import Settings
from infrastructure.telemetry import RequestInstruments

__all__ = [
    "Budget",
    "Credentials",
    "Edge",
    "Fault",
    "Forbidden",
    "PersistedQueryError",
    "PersistedQueryNotFound",
    "Plan",
    "RateLimited",
    "Selection",
    "Unauthenticated",
    "Unmapped",
    "build_edge",
    "fault_of",
]


@dataclass(frozen=True)
class Edge:
    settings: Settings
    persisted_queries: PersistedQueries
    rate_limiter: RateLimiter | None  # None: rate limiting is off
    compiled_plan: Callable[..., Plan] | None  # None: every read is executed field by field
    tracer: Tracer | None = None  # of HTTP requests and GraphQL operations; None: off
    request_metrics: RequestInstruments | None = None  # None: metrics are off

    def authenticator(self, container: Container) -> Authenticator:
        """Who is asking, checked against the container's keys, tokens and records, on the
        primary: a staff member or a member added a moment ago is known at once."""
        settings = self.settings
        return Authenticator(
            api_keys=container.api_keys,
            tokens=container.tokens if settings.tokens_enabled else None,
            staff=container.primary_queries.organisation,
            members=container.primary_queries.customers,
            anonymous_role=settings.anonymous_role,
            role_claim=settings.jwt_role_claim,
        )


def build_edge(settings: Settings, telemetry: Telemetry = OFF) -> Edge:
    """Reads the persisted-query manifest now: a fault in it stops start-up with its reason.
    The rate limiter connects to its storage only when first used."""
    meter = telemetry.meter("rapport.http")
    return Edge(
        settings=settings,
        persisted_queries=_persisted_queries(settings),
        rate_limiter=RateLimiter.from_settings(settings.rate_limit, settings.rate_limit_storage),
        compiled_plan=compiled.plan if settings.compiled_reads else None,
        tracer=telemetry.tracer("rapport.http"),
        request_metrics=None if meter is None else RequestInstruments(meter),
    )


def _persisted_queries(settings: Settings) -> PersistedQueries:
    """The allow-list of the manifest the settings name, and the Automatic Persisted
    Queries clients register."""
    allowed = load_manifest(settings.persisted_queries) if settings.persisted_queries else {}
    return PersistedQueries(allowed, only_persisted=settings.persisted_queries_only,
                            cache_size=settings.document_cache_size)
