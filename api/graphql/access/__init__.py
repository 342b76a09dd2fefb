"""GraphQL types, queries and mutations of the access context: API clients and their keys."""
