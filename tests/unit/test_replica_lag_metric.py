"""The replica lag gauge (infrastructure/telemetry.py) reports the last reading, and nothing
while the lag is unknown rather than a made-up 0."""

from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from infrastructure.telemetry import observe_replica_lag, telemetry


def _collected(reader: InMemoryMetricReader) -> list[tuple[float, str]]:
    data = reader.get_metrics_data()
    return [(point.value, metric.unit or "")
            for resource in (data.resource_metrics if data else ())
            for scope in resource.scope_metrics for metric in scope.metrics
            if metric.name == "rapport.db.replica.lag"
            for point in getattr(metric.data, "data_points", ())]


def test_the_gauge_reports_the_last_reading_in_seconds_and_nothing_while_unknown() -> None:
    reader = InMemoryMetricReader()
    measured = telemetry(metric_readers=[reader])
    meter = measured.meter("test")
    assert meter is not None
    readings: list[float | None] = [None, 1.5]
    observe_replica_lag(meter, lambda: readings[0])

    unknown = _collected(reader)
    readings[0] = readings[1]
    known = _collected(reader)
    measured.shutdown()

    assert (unknown, known) == ([], [(1.5, "s")])
