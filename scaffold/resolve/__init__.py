"""Resolving references (action tags, git tags, image tags) to immutable pins: commit SHAs and image digests.

``source.current()`` is the pin source of the run: the offline floor (the shipped tables and the on-disk cache)
unless the user asked for live resolution (``--online``). Fixes ask it; they never guess a SHA.
"""
