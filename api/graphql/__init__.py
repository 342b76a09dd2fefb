"""The GraphQL API: one package per bounded context, merged in `schema.py`."""
