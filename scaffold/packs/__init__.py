"""Packs beyond the built-in kit: where a pack comes from (a folder or a git repository at a version tag, its
signature checked), what a team pack adds to the kit (questions, locked answers, files, an org policy), and
cookiecutter templates rendered as packs."""
