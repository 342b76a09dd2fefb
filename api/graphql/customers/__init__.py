"""GraphQL types, queries and mutations of the customers context."""
