"""Configuration. The only module that reads the environment (DESIGN.md §3, §5)."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from domain.cases.model import CasePriority, SlaPolicy
from domain.shared.access import Role

DEFAULT_SLA_HOURS = "URGENT=4,HIGH=24,NORMAL=72,LOW=168"


def _default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("rapport", appauthor=False))


def _parse_sla(text: str, follow_up_days: float) -> SlaPolicy:
    hours = dict(item.split("=", 1) for item in text.replace(" ", "").split(",") if item)
    try:
        within = {CasePriority(k): timedelta(hours=float(v)) for k, v in hours.items()}
    except ValueError as error:
        raise ValueError(f"RAPPORT_CASE_SLA_HOURS is malformed: {text!r}") from error
    missing = set(CasePriority) - set(within)
    if missing:
        raise ValueError(f"RAPPORT_CASE_SLA_HOURS misses {sorted(p.value for p in missing)}")
    return SlaPolicy(within, follow_up_after=timedelta(days=follow_up_days))


def _anonymous_role(env: Mapping[str, str], production: bool) -> Role | None:
    """Callers without credentials: refused in production; in development they act as
    ADMIN, so `make run` answers at once (the log says so at start-up)."""
    value = env.get("RAPPORT_ANONYMOUS_ROLE", "" if production else "ADMIN").strip().upper()
    if value in ("", "NONE"):
        return None
    try:
        return Role(value)
    except ValueError as error:
        raise ValueError(f"RAPPORT_ANONYMOUS_ROLE must be one of {[r.value for r in Role]} "
                         f"or NONE, not {value!r}") from error


def _public_key(env: Mapping[str, str]) -> str | None:
    """The PEM itself, or a path to it in RAPPORT_JWT_PUBLIC_KEY_FILE."""
    path = env.get("RAPPORT_JWT_PUBLIC_KEY_FILE")
    if path:
        return Path(path).read_text()
    return env.get("RAPPORT_JWT_PUBLIC_KEY") or None


OTEL_EXPORTERS = ("otlp", "console", "none")


def _otel_exporter(env: Mapping[str, str], signal: str) -> str:
    """Which exporter a signal (TRACES, METRICS) goes to: OTEL_<signal>_EXPORTER when given
    (otlp, console, none); else otlp when an OTLP endpoint is set; else the deprecated
    RAPPORT_OTEL_ENDPOINT's (a URL: otlp; `console`); else none, and the signal is off."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return "none"
    named = env.get(f"OTEL_{signal}_EXPORTER", "").split(",")[0].strip().lower()
    if named:
        if named not in OTEL_EXPORTERS:
            raise ValueError(f"OTEL_{signal}_EXPORTER must be one of {list(OTEL_EXPORTERS)}, "
                             f"not {named!r}")
        return named
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"):
        return "otlp"
    legacy = env.get("RAPPORT_OTEL_ENDPOINT")
    if legacy:
        return "console" if legacy == "console" else "otlp"
    return "none"


def _legacy_endpoint(env: Mapping[str, str], signal: str) -> str | None:
    """Where the deprecated RAPPORT_OTEL_ENDPOINT (a base URL) sends a signal, unless a
    standard variable names a place for it: the SDK reads those itself, the signal's own
    over the general one, and both win over the deprecated one."""
    legacy = env.get("RAPPORT_OTEL_ENDPOINT")
    if (not legacy or legacy == "console" or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
            or env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")):
        return None
    return f"{legacy.rstrip('/')}/v1/{signal.lower()}"


def _otlp_protocol(env: Mapping[str, str]) -> None:
    for name in ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                 "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"):
        if env.get(name, "http/protobuf") != "http/protobuf":
            raise ValueError(f"{name}: Rapport exports OTLP over http/protobuf only")


def _read_database_url(env: Mapping[str, str]) -> str | None:
    """A replica of the configured primary; the embedded server has none."""
    url = env.get("RAPPORT_READ_DATABASE_URL") or None
    if url and not env.get("RAPPORT_DATABASE_URL"):
        raise ValueError("RAPPORT_READ_DATABASE_URL needs RAPPORT_DATABASE_URL: a read replica "
                         "is a replica of the primary it names, not of the embedded server")
    return url


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. Build it with `from_environment()`; tests build it directly."""

    database_url: str | None = None
    # A streaming replica for the read side; None: every read on the primary.
    read_database_url: str | None = None
    data_dir: Path = field(default_factory=_default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    environment: str = "development"
    log_level: str = "INFO"
    log_json: bool = False
    db_pool_size: int = 10
    statement_timeout_ms: int = 15_000
    db_pool_timeout_ms: int = 5_000  # waiting for a free pooled connection, then 503
    db_connect_timeout_ms: int = 5_000  # opening a connection, then 503
    shutdown_timeout_s: int = 20  # draining in-flight requests after SIGTERM
    graphiql: bool = True
    introspection: bool = True
    rate_limit: str | None = None  # limits' notation, "600/minute"; None or "off": no limit
    rate_limit_storage: str = "memory://"  # "redis://host:6379/0" shares budgets across pods
    persisted_queries: Path | None = None  # a manifest: sha256 of each operation → its text
    persisted_queries_only: bool = False
    document_cache_size: int = 1024
    compiled_reads: bool = True
    max_body_bytes: int = 1_000_000
    max_query_tokens: int = 5_000
    max_query_depth: int = 12
    max_query_aliases: int = 30
    max_query_cost: int = 250_000
    sla: SlaPolicy = field(default_factory=SlaPolicy.default)
    test_database_url: str | None = None
    otel_traces_exporter: str = "none"  # otlp, console or none (off)
    otel_metrics_exporter: str = "none"
    # Where the deprecated RAPPORT_OTEL_ENDPOINT sends each signal; None: where the standard
    # OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)ENDPOINT say (the SDK reads them).
    otel_traces_endpoint: str | None = None
    otel_metrics_endpoint: str | None = None
    anonymous_role: Role | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_jwks_url: str | None = None
    jwt_public_key: str | None = None
    jwt_algorithms: tuple[str, ...] = ("RS256", "ES256")
    jwt_role_claim: str = "rapport_role"
    jwt_leeway_seconds: int = 30

    @property
    def tokens_enabled(self) -> bool:
        """Bearer tokens are accepted once an issuer, an audience and a key source are set."""
        return bool(self.jwt_issuer and self.jwt_audience
                    and (self.jwt_jwks_url or self.jwt_public_key))

    @property
    def embedded(self) -> bool:
        """No database given: run a private PostgreSQL under `data_dir`."""
        return not self.database_url

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        _otlp_protocol(env)
        production = env.get("RAPPORT_ENV", "development") == "production"
        data_dir = env.get("RAPPORT_DATA_DIR")
        return cls(
            database_url=env.get("RAPPORT_DATABASE_URL") or None,
            read_database_url=_read_database_url(env),
            data_dir=Path(data_dir) if data_dir else _default_data_dir(),
            host=env.get("RAPPORT_HOST", "127.0.0.1"),
            port=int(env.get("RAPPORT_PORT", "8000")),
            workers=int(env.get("RAPPORT_WORKERS", "1")),
            environment="production" if production else "development",
            log_level=env.get("RAPPORT_LOG_LEVEL", "INFO").upper(),
            log_json=env.get("RAPPORT_LOG_FORMAT", "json" if production else "console") == "json",
            db_pool_size=int(env.get("RAPPORT_DB_POOL_SIZE", "10")),
            statement_timeout_ms=int(env.get("RAPPORT_STATEMENT_TIMEOUT_MS", "15000")),
            db_pool_timeout_ms=int(env.get("RAPPORT_DB_POOL_TIMEOUT_MS", "5000")),
            db_connect_timeout_ms=int(env.get("RAPPORT_DB_CONNECT_TIMEOUT_MS", "5000")),
            shutdown_timeout_s=int(env.get("RAPPORT_SHUTDOWN_TIMEOUT", "20")),
            graphiql=env.get("RAPPORT_GRAPHIQL", "false" if production else "true") == "true",
            introspection=env.get(
                "RAPPORT_INTROSPECTION", "false" if production else "true") == "true",
            rate_limit=env.get("RAPPORT_RATE_LIMIT", "600/minute"),
            rate_limit_storage=env.get("RAPPORT_RATE_LIMIT_STORAGE") or "memory://",
            persisted_queries=Path(env["RAPPORT_PERSISTED_QUERIES"])
            if env.get("RAPPORT_PERSISTED_QUERIES") else None,
            persisted_queries_only=env.get("RAPPORT_PERSISTED_QUERIES_ONLY", "false") == "true",
            document_cache_size=int(env.get("RAPPORT_DOCUMENT_CACHE_SIZE", "1024")),
            compiled_reads=env.get("RAPPORT_COMPILED_READS", "true") == "true",
            max_body_bytes=int(env.get("RAPPORT_MAX_BODY_BYTES", "1000000")),
            max_query_tokens=int(env.get("RAPPORT_MAX_QUERY_TOKENS", "5000")),
            max_query_depth=int(env.get("RAPPORT_MAX_QUERY_DEPTH", "12")),
            max_query_aliases=int(env.get("RAPPORT_MAX_QUERY_ALIASES", "30")),
            max_query_cost=int(env.get("RAPPORT_MAX_QUERY_COST", "250000")),
            sla=_parse_sla(
                env.get("RAPPORT_CASE_SLA_HOURS", DEFAULT_SLA_HOURS),
                float(env.get("RAPPORT_CASE_FOLLOW_UP_DAYS", "3")),
            ),
            test_database_url=env.get("RAPPORT_TEST_DATABASE_URL") or None,
            otel_traces_exporter=_otel_exporter(env, "TRACES"),
            otel_metrics_exporter=_otel_exporter(env, "METRICS"),
            otel_traces_endpoint=_legacy_endpoint(env, "TRACES"),
            otel_metrics_endpoint=_legacy_endpoint(env, "METRICS"),
            anonymous_role=_anonymous_role(env, production),
            jwt_issuer=env.get("RAPPORT_JWT_ISSUER") or None,
            jwt_audience=env.get("RAPPORT_JWT_AUDIENCE") or None,
            jwt_jwks_url=env.get("RAPPORT_JWT_JWKS_URL") or None,
            jwt_public_key=_public_key(env),
            jwt_algorithms=tuple(
                a.strip() for a in env.get("RAPPORT_JWT_ALGORITHMS", "RS256,ES256").split(",")
            ),
            jwt_role_claim=env.get("RAPPORT_JWT_ROLE_CLAIM", "rapport_role"),
            jwt_leeway_seconds=int(env.get("RAPPORT_JWT_LEEWAY_SECONDS", "30")),
        )
