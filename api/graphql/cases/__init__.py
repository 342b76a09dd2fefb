"""GraphQL types, queries and mutations of the cases context."""
