"""Benchmarks: the GraphQL API against a hand-written baseline (DESIGN.md §7). Not tests:
they print figures. Run `.venv/bin/python bench/run.py --help`."""
