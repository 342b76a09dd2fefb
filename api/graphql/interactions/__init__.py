"""GraphQL types, queries and mutations of the interactions context."""
