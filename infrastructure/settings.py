"""Configuration. The only module that reads the environment (DESIGN.md §3, §5).

Every value is checked as it is read: a malformed one is a `ConfigurationError` naming the
variable, what is wrong and what is accepted, before any command migrates, connects or
serves (the CLI answers it with exit code 2, docs/operations.md "Every setting")."""

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from domain.cases.model import CasePriority, SlaPolicy
from domain.shared.access import Role
from infrastructure.persisted_queries import parse_manifest
from infrastructure.postgres.engine import async_url
from infrastructure.rate_limits import async_storage_uri, parse_budget

DEFAULT_SLA_HOURS = "URGENT=4,HIGH=24,NORMAL=72,LOW=168"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Public-key algorithms only: the keys are public (a JWKS, a PEM), and with `none` or an
# HMAC one anybody could sign a token.
TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                    "ES256", "ES384", "ES512", "EdDSA")
TOKEN_KEYS = ("a signing key (RAPPORT_JWT_JWKS_URL, RAPPORT_JWT_PUBLIC_KEY or "
              "RAPPORT_JWT_PUBLIC_KEY_FILE)")
OTEL_EXPORTERS = ("otlp", "console", "none")
# limits' storages Rapport installs a client for (the async-redis extra), `async+` or not.
STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+cluster", "redis+sentinel")
POSTGRES_URL = "a PostgreSQL URL, postgresql://user:password@host:5432/database"
T = TypeVar("T")
N = TypeVar("N", int, float)


def _default_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("rapport", appauthor=False))


class ConfigurationError(ValueError):
    """A setting Rapport can't run with. The message starts with the variable's name, then
    says what is wrong and what is accepted; the CLI prints it and exits 2."""


class _Why(ValueError):
    """A parser's reason for refusing a value, worth telling after what is accepted."""


def _setting(env: Mapping[str, str], name: str, default: str, parse: Callable[[str], T],
             accepted: str, *, secret: bool = False) -> T:
    """`name`'s value (`default` when unset), as `parse` reads it. A value it refuses (with a
    ValueError, or an OSError for a file it can't read) is a ConfigurationError naming the
    variable, its value (unless secret), what it accepts and, when known, why."""
    text = env.get(name, default)
    try:
        return parse(text)
    except (ValueError, OSError) as error:
        shown = "" if secret else f" {text!r}"
        why = ""
        if isinstance(error, OSError):
            why = f" ({error.strerror or error})"
        elif isinstance(error, _Why):
            why = f" ({error})"
        raise ConfigurationError(f"{name}{shown} is not {accepted}{why}") from error


def _number(env: Mapping[str, str], name: str, default: N, minimum: N,
            maximum: N | None = None) -> N:
    kind = type(default)

    def parse(text: str) -> N:
        value = kind(text)
        if not (math.isfinite(value) and minimum <= value <= (maximum or math.inf)):
            raise ValueError(text)
        return value

    noun = "a whole number" if kind is int else "a number"
    bounds = f"from {minimum:g} to {maximum:g}" if maximum else f"of {minimum:g} or more"
    return _setting(env, name, str(default), parse, f"{noun} {bounds}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: Mapping[str, T]) -> T:
    """One of `choices` by its name, in any case."""
    by_name = {key.casefold(): value for key, value in choices.items()}

    def parse(text: str) -> T:
        try:
            return by_name[text.strip().casefold()]
        except KeyError:
            raise ValueError(text) from None

    return _setting(env, name, default, parse, "one of " + ", ".join(choices))


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    return _choice(env, name, str(default).lower(), {"true": True, "false": False})


def _text(env: Mapping[str, str], name: str, check: Callable[[str], object], accepted: str,
          *, secret: bool = False) -> str | None:
    """An optional text (unset or empty: None), checked now, interpreted where it is used."""
    return _setting(env, name, "", _optional(_checked(check)), accepted, secret=secret)


def _optional(parse: Callable[[str], T]) -> Callable[[str], T | None]:
    """Unset or empty: None."""
    return lambda text: parse(text) if text else None


def _checked(check: Callable[[str], object]) -> Callable[[str], str]:
    """The text itself, once `check` (which raises ValueError) accepts it."""

    def parse(text: str) -> str:
        check(text)
        return text

    return parse


def _postgres_url(text: str) -> None:
    try:
        make_url(async_url(text))
    except ArgumentError as error:
        raise ValueError(text) from error


def _http_url(text: str) -> None:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(text)
    _ = parts.port  # a ValueError when it is no number


def _otel_endpoint(text: str) -> None:
    if text != "console":
        _http_url(text)


def _rate_limit_storage(text: str) -> None:
    if async_storage_uri(text).split("://", 1)[0].removeprefix("async+") not in STORAGE_SCHEMES:
        raise ValueError(text)


def _pem_public_key(text: str) -> None:
    load_pem_public_key(text.encode())  # a ValueError when it is none


def _key_file(path: str) -> str:
    pem = Path(path).read_text()
    _pem_public_key(pem)
    return pem


def _manifest(text: str) -> Path:
    """Read again when the app starts (infrastructure/bootstrap/edge.py); read here too, so
    that a bad manifest stops a command before it migrates."""
    path = Path(text)
    try:
        parse_manifest(json.loads(path.read_text(encoding="utf-8")))
    except ValueError as error:  # JSONDecodeError is a ValueError
        raise _Why(str(error)) from error
    return path


def _algorithms(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names or not set(names) <= set(TOKEN_ALGORITHMS):
        raise ValueError(text)
    return names


def _sla_hours(text: str) -> dict[CasePriority, timedelta]:
    within: dict[CasePriority, timedelta] = {}
    for item in text.replace(" ", "").split(","):
        if item:
            priority, _, hours = item.partition("=")
            within[CasePriority(priority)] = timedelta(hours=float(hours))
    if any(due <= timedelta(0) for due in within.values()):
        raise _Why("every due time is more than 0 hours")
    missing = [p.value for p in CasePriority if p not in within]
    if missing:
        raise _Why(f"{', '.join(missing)} missing")
    return within


def _otel_exporter(env: Mapping[str, str], signal: str, legacy: str | None) -> str:
    """Which exporter a signal (TRACES, METRICS) goes to: OTEL_<signal>_EXPORTER when given
    (otlp, console, none); else otlp when an OTLP endpoint is set; else the deprecated
    RAPPORT_OTEL_ENDPOINT's (a URL: otlp; `console`); else none, and the signal is off."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return "none"
    named = env.get(f"OTEL_{signal}_EXPORTER", "").split(",")[0].strip().lower()
    if named:
        if named not in OTEL_EXPORTERS:
            raise ConfigurationError(f"OTEL_{signal}_EXPORTER {named!r} is not one of "
                                     + ", ".join(OTEL_EXPORTERS))
        return named
    if _standard_endpoint(env, signal):
        return "otlp"
    if legacy:
        return "console" if legacy == "console" else "otlp"
    return "none"


def _standard_endpoint(env: Mapping[str, str], signal: str) -> bool:
    return bool(env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
                or env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def _legacy_endpoint(env: Mapping[str, str], signal: str, legacy: str | None) -> str | None:
    """Where the deprecated RAPPORT_OTEL_ENDPOINT (a base URL) sends a signal, unless a
    standard variable names a place for it: the SDK reads those itself, the signal's own
    over the general one, and both win over the deprecated one."""
    if not legacy or legacy == "console" or _standard_endpoint(env, signal):
        return None
    return f"{legacy.rstrip('/')}/v1/{signal.lower()}"


def _otlp_protocol(env: Mapping[str, str]) -> None:
    for name in ("OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                 "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"):
        if env.get(name, "http/protobuf") != "http/protobuf":
            raise ConfigurationError(f"{name}: Rapport exports OTLP over http/protobuf only")


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

    def __post_init__(self) -> None:
        """The rules between settings, for settings built by hand (tests) too."""
        if self.read_database_url and not self.database_url:
            raise ConfigurationError(
                "RAPPORT_READ_DATABASE_URL needs RAPPORT_DATABASE_URL: a read replica is a "
                "replica of the primary it names, not of the embedded server")
        if self.persisted_queries_only and not self.persisted_queries:
            raise ConfigurationError("RAPPORT_PERSISTED_QUERIES_ONLY needs a manifest in "
                                     "RAPPORT_PERSISTED_QUERIES: it would refuse every operation")
        self._check_token_settings()

    def _check_token_settings(self) -> None:
        """Bearer tokens are verified against an issuer, an audience and a signing key, all
        three. Some of them without the others is a half-done set-up, never a way to turn
        tokens off (that is leaving all of them unset): refused, rather than starting with
        every token answered 401."""
        key = ("RAPPORT_JWT_JWKS_URL" if self.jwt_jwks_url
               else "RAPPORT_JWT_PUBLIC_KEY(_FILE)" if self.jwt_public_key else None)
        given = {"RAPPORT_JWT_ISSUER": bool(self.jwt_issuer),
                 "RAPPORT_JWT_AUDIENCE": bool(self.jwt_audience), key or TOKEN_KEYS: bool(key)}
        named = [name for name, is_set in given.items() if is_set]
        missing = [name for name, is_set in given.items() if not is_set]
        if named and missing:
            raise ConfigurationError(
                f"{' and '.join(named)} {'needs' if len(named) == 1 else 'need'} "
                f"{' and '.join(missing)}: bearer tokens are verified against the issuer, the "
                "audience and a signing key together; leave all of them unset to accept none")

    @property
    def tokens_enabled(self) -> bool:
        """Bearer tokens are accepted: an issuer, an audience and a key source are set (the
        rules between settings allow all of them, or none)."""
        return bool(self.jwt_issuer and self.jwt_audience
                    and (self.jwt_jwks_url or self.jwt_public_key))

    @property
    def embedded(self) -> bool:
        """No database given: run a private PostgreSQL under `data_dir` (in development;
        `require_database` refuses it in production)."""
        return not self.database_url

    def require_database(self) -> None:
        """What a command that needs a database checks before it does anything: production
        names its database. The embedded server would keep the data in the pod's own
        directory, lost with the pod, and the image does not carry it anyway. A command
        that needs none (export-schema) runs without."""
        if self.embedded and self.environment == "production":
            raise ConfigurationError(
                "RAPPORT_DATABASE_URL is required with RAPPORT_ENV=production: production "
                "never runs the embedded PostgreSQL")

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        _otlp_protocol(env)
        production = _choice(env, "RAPPORT_ENV", "development",
                             {"development": False, "production": True})
        legacy_otel = _text(env, "RAPPORT_OTEL_ENDPOINT", _otel_endpoint,
                            "an OTLP/HTTP collector's http(s) base URL, or console")
        data_dir = env.get("RAPPORT_DATA_DIR")
        return cls(
            database_url=_text(env, "RAPPORT_DATABASE_URL", _postgres_url, POSTGRES_URL,
                               secret=True),
            read_database_url=_text(env, "RAPPORT_READ_DATABASE_URL", _postgres_url,
                                    POSTGRES_URL, secret=True),
            data_dir=Path(data_dir) if data_dir else _default_data_dir(),
            host=env.get("RAPPORT_HOST", "127.0.0.1"),
            port=_number(env, "RAPPORT_PORT", 8000, 1, 65535),
            workers=_number(env, "RAPPORT_WORKERS", 1, 1),
            environment="production" if production else "development",
            log_level=_choice(env, "RAPPORT_LOG_LEVEL", "INFO", {n: n for n in LOG_LEVELS}),
            log_json=_choice(env, "RAPPORT_LOG_FORMAT", "json" if production else "console",
                             {"json": True, "console": False}),
            db_pool_size=_number(env, "RAPPORT_DB_POOL_SIZE", 10, 1),
            statement_timeout_ms=_number(env, "RAPPORT_STATEMENT_TIMEOUT_MS", 15_000, 0),
            db_pool_timeout_ms=_number(env, "RAPPORT_DB_POOL_TIMEOUT_MS", 5_000, 1),
            db_connect_timeout_ms=_number(env, "RAPPORT_DB_CONNECT_TIMEOUT_MS", 5_000, 1),
            shutdown_timeout_s=_number(env, "RAPPORT_SHUTDOWN_TIMEOUT", 20, 0),
            graphiql=_flag(env, "RAPPORT_GRAPHIQL", not production),
            introspection=_flag(env, "RAPPORT_INTROSPECTION", not production),
            rate_limit=_setting(env, "RAPPORT_RATE_LIMIT", "600/minute", _checked(parse_budget),
                                "a rate such as 600/minute or 10 per second, or off"),
            rate_limit_storage=_setting(
                env, "RAPPORT_RATE_LIMIT_STORAGE", "memory://", _checked(_rate_limit_storage),
                "a storage URL such as memory:// or redis://host:6379/0", secret=True,
            ) or "memory://",
            persisted_queries=_setting(
                env, "RAPPORT_PERSISTED_QUERIES", "", _optional(_manifest),
                "a readable JSON manifest of persisted queries (sha256 → text)"),
            persisted_queries_only=_flag(env, "RAPPORT_PERSISTED_QUERIES_ONLY", False),
            document_cache_size=_number(env, "RAPPORT_DOCUMENT_CACHE_SIZE", 1024, 1),
            compiled_reads=_flag(env, "RAPPORT_COMPILED_READS", True),
            max_body_bytes=_number(env, "RAPPORT_MAX_BODY_BYTES", 1_000_000, 1),
            max_query_tokens=_number(env, "RAPPORT_MAX_QUERY_TOKENS", 5_000, 1),
            max_query_depth=_number(env, "RAPPORT_MAX_QUERY_DEPTH", 12, 1),
            max_query_aliases=_number(env, "RAPPORT_MAX_QUERY_ALIASES", 30, 1),
            max_query_cost=_number(env, "RAPPORT_MAX_QUERY_COST", 250_000, 1),
            sla=SlaPolicy(
                _setting(env, "RAPPORT_CASE_SLA_HOURS", DEFAULT_SLA_HOURS, _sla_hours,
                         f"hours for each priority, such as {DEFAULT_SLA_HOURS}"),
                follow_up_after=timedelta(
                    days=_number(env, "RAPPORT_CASE_FOLLOW_UP_DAYS", 3.0, 0.0)),
            ),
            test_database_url=_text(env, "RAPPORT_TEST_DATABASE_URL", _postgres_url,
                                    POSTGRES_URL, secret=True),
            otel_traces_exporter=_otel_exporter(env, "TRACES", legacy_otel),
            otel_metrics_exporter=_otel_exporter(env, "METRICS", legacy_otel),
            otel_traces_endpoint=_legacy_endpoint(env, "TRACES", legacy_otel),
            otel_metrics_endpoint=_legacy_endpoint(env, "METRICS", legacy_otel),
            # Refused in production unless named; in development they act as ADMIN, so
            # that `make run` answers at once (the log says so at start-up).
            anonymous_role=_choice(env, "RAPPORT_ANONYMOUS_ROLE",
                                   "NONE" if production else "ADMIN",
                                   {"NONE": None} | {role.value: role for role in Role}),
            jwt_issuer=env.get("RAPPORT_JWT_ISSUER") or None,
            jwt_audience=env.get("RAPPORT_JWT_AUDIENCE") or None,
            jwt_jwks_url=_text(env, "RAPPORT_JWT_JWKS_URL", _http_url,
                               "an http(s) URL of a JSON Web Key Set"),
            # The PEM itself, or a path to it, which wins.
            jwt_public_key=_setting(
                env, "RAPPORT_JWT_PUBLIC_KEY_FILE", "", _optional(_key_file),
                "a readable file holding a PEM public key",
            ) or _text(env, "RAPPORT_JWT_PUBLIC_KEY", _pem_public_key,
                       "a PEM public key (-----BEGIN PUBLIC KEY-----…)", secret=True),
            jwt_algorithms=_setting(env, "RAPPORT_JWT_ALGORITHMS", "RS256,ES256", _algorithms,
                                    "a comma-separated list of " + ", ".join(TOKEN_ALGORITHMS)),
            jwt_role_claim=env.get("RAPPORT_JWT_ROLE_CLAIM", "rapport_role"),
            jwt_leeway_seconds=_number(env, "RAPPORT_JWT_LEEWAY_SECONDS", 30, 0),
        )
