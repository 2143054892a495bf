#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then run lint, type checks and the whole suite.
#   bash scripts/test.sh [pytest args...]
# Needs Python >= 3.11 and root (or sudo) for the Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local runner=()
  [ "$(id -u)" -eq 0 ] || runner=(sudo)
  "${runner[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${runner[@]}" apt-get install -y -qq --no-install-recommends "$@"
}

# Debian packages: shellcheck (actionlint checks run: scripts with it; the deploy hook is checked with it).
command -v shellcheck >/dev/null || apt_install shellcheck

# Python packages: scaffold itself plus the [test] extra, which holds every validator the tests run.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

.venv/bin/python -m ruff check scaffold tests
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
