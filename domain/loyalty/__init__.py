"""Loyalty: programmes, purchases, tiers and the points ledger (docs/loyalty.md)."""
