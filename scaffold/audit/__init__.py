"""``scaffold audit``: find insecure CI/CD files in any repository.

This package is the audit's core: the finding model, where files come from, how each kind is parsed, inline
suppressions and the runner. The rules themselves live in ``scaffold.rules``, one module each, and the formatters in
``scaffold.audit.output``. Nothing here imports the template engine, pydantic or questionary, so the audit stays fast to
start in pre-commit hooks and CI.
"""
