"""Reading what scaffold does not trust: files from a repository, records, journals, answers files and packs.

Everything here is bounded: only regular files are read, never more than a size cap, and YAML is composed with a
depth limit and an alias-expansion budget, so a hostile input ends in one error instead of a hang or a crash.
"""
