"""Stores and the staff who work in them: the owners of customers and cases."""
