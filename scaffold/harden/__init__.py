"""``scaffold harden``: fix what the audit finds, with small text edits that keep everything else byte for byte.

A rule may carry a ``fix()`` next to its ``check()``. Fixes never re-dump a file: each one is a list of text edits
(replace a span, insert lines) computed from the parsed positions, so comments, key order, quoting and blank lines
stay as the user wrote them.
"""
