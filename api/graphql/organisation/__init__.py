"""GraphQL types, queries and mutations of the organisation context."""
