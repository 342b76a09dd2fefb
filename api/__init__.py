"""Driving adapters: the GraphQL schema, the HTTP app and the command line."""
