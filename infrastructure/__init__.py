"""Driven adapters: Postgres, settings, the embedded server, telemetry, and the composition root."""
