"""The audit log: who did or read what, when, from which client."""
