"""The new flow: a kit written into a repository, its answers asked, given or inferred (adopt)."""
