"""Upgrading a generated repository: base reconstruction, three-way merge, posture ratchet and report."""
