"""Parsers for CI files that have no Python library."""
