"""Rapport's domain: entities, value objects, use cases and the ports they need.

Imports nothing but the standard library (DESIGN.md §3); tests/unit/test_dependency_rule.py
fails when that changes.
"""
