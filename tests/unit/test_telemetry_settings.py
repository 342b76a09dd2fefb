"""Which exporter each signal goes to, from the standard OTEL_* variables (and the
deprecated RAPPORT_OTEL_ENDPOINT), and the timeouts of faults and shutdown."""

import pytest

from infrastructure.settings import Settings


def _exporters(**env: str) -> tuple[str, str]:
    settings = Settings.from_environment(env)
    return settings.otel_traces_exporter, settings.otel_metrics_exporter


def test_telemetry_is_off_unless_an_exporter_is_configured() -> None:
    assert _exporters() == ("none", "none")


def test_an_otlp_endpoint_turns_both_signals_on() -> None:
    assert _exporters(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318") == ("otlp", "otlp")


def test_a_signals_own_endpoint_turns_that_signal_on() -> None:
    assert _exporters(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://collector:4318/v1/traces"
                      ) == ("otlp", "none")


def test_a_named_exporter_wins_over_the_endpoint() -> None:
    assert _exporters(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
                      OTEL_METRICS_EXPORTER="none", OTEL_TRACES_EXPORTER="console"
                      ) == ("console", "none")


def test_the_sdk_disabled_turns_everything_off() -> None:
    assert _exporters(OTEL_SDK_DISABLED="true", OTEL_TRACES_EXPORTER="otlp") == ("none", "none")


def test_an_unknown_exporter_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER"):
        Settings.from_environment({"OTEL_TRACES_EXPORTER": "jaeger"})


def test_otlp_over_grpc_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_PROTOCOL"):
        Settings.from_environment({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})


def test_the_deprecated_rapport_otel_endpoint_still_exports_otlp_there() -> None:
    settings = Settings.from_environment({"RAPPORT_OTEL_ENDPOINT": "http://collector:4318"})

    assert (settings.otel_traces_exporter, settings.otel_endpoint) == (
        "otlp", "http://collector:4318")


def test_the_standard_endpoint_wins_over_the_deprecated_one() -> None:
    settings = Settings.from_environment({"RAPPORT_OTEL_ENDPOINT": "http://old:4318",
                                          "OTEL_EXPORTER_OTLP_ENDPOINT": "http://new:4318"})

    assert settings.otel_endpoint is None  # the exporter reads OTEL_EXPORTER_OTLP_ENDPOINT


def test_fault_and_shutdown_timeouts_come_from_the_environment() -> None:
    settings = Settings.from_environment({
        "RAPPORT_DB_POOL_TIMEOUT_MS": "750", "RAPPORT_DB_CONNECT_TIMEOUT_MS": "1500",
        "RAPPORT_SHUTDOWN_TIMEOUT": "25"})

    assert (settings.db_pool_timeout_ms, settings.db_connect_timeout_ms,
            settings.shutdown_timeout_s) == (750, 1500, 25)
