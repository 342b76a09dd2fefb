"""Which exporter each signal goes to, from the standard OTEL_* variables (and the
deprecated RAPPORT_OTEL_ENDPOINT), and the timeouts of faults and shutdown."""

import os

import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from infrastructure.settings import Settings
from infrastructure.telemetry import exporters


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


OLD, NEW = "http://old:4318", "http://new:4318"
TRACES = "http://traces:4318/v1/traces"


@pytest.mark.parametrize(("environment", "traces_to", "metrics_to"), [
    ({"RAPPORT_OTEL_ENDPOINT": OLD}, f"{OLD}/v1/traces", f"{OLD}/v1/metrics"),
    ({"RAPPORT_OTEL_ENDPOINT": OLD, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": TRACES},
     TRACES, f"{OLD}/v1/metrics"),
    ({"RAPPORT_OTEL_ENDPOINT": OLD, "OTEL_EXPORTER_OTLP_ENDPOINT": NEW},
     f"{NEW}/v1/traces", f"{NEW}/v1/metrics"),
    ({"RAPPORT_OTEL_ENDPOINT": OLD, "OTEL_EXPORTER_OTLP_ENDPOINT": NEW,
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": TRACES}, TRACES, f"{NEW}/v1/metrics"),
], ids=["deprecated-only", "signal-over-deprecated", "general-over-deprecated",
        "signal-over-general"])
def test_the_standard_endpoints_win_over_the_deprecated_one(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], traces_to: str,
    metrics_to: str,
) -> None:
    # The SDK reads the standard variables from the process's environment itself.
    for name in [name for name in os.environ if name.startswith(("OTEL_", "RAPPORT_"))]:
        monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    spans, metrics = exporters(Settings.from_environment())

    assert isinstance(spans, OTLPSpanExporter)
    assert isinstance(metrics, OTLPMetricExporter)
    assert (str(spans._endpoint), str(metrics._endpoint)) == (traces_to, metrics_to)


def test_fault_and_shutdown_timeouts_come_from_the_environment() -> None:
    settings = Settings.from_environment({
        "RAPPORT_DB_POOL_TIMEOUT_MS": "750", "RAPPORT_DB_CONNECT_TIMEOUT_MS": "1500",
        "RAPPORT_SHUTDOWN_TIMEOUT": "25"})

    assert (settings.db_pool_timeout_ms, settings.db_connect_timeout_ms,
            settings.shutdown_timeout_s) == (750, 1500, 25)
