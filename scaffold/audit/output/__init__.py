"""Report formatters for ``scaffold audit``: plain text, JSON and SARIF. They only read findings."""
