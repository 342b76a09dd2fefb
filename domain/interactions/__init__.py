"""Interactions: the append-only timeline every channel writes to."""
