"""The HTTP surface: GraphQL over HTTP, health checks, the app factory."""
