"""API clients and their keys: who may call the API, and how a call proves it."""
