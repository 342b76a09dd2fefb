"""Postgres adapters: tables, repositories (write side), query services (read side)."""
