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

# Debian packages, in one apt-get run (and its update) only when something is missing:
#   - shellcheck: actionlint checks run: scripts with it; the deploy hook is checked with it;
#   - git: upgrade merges with git merge-file and keeps its base in git; the upgrade tests use real repositories;
#   - groovy and a JRE: Jenkinsfiles are parsed with groovy; npm-groovy-lint runs CodeNarc on Java >= 17;
#   - nodejs and npm: for the tools in tools/npm, which need Node >= 20.19 (npm ci below refuses an older one);
#   - chromium and chromium-driver: the fleet's HTML report is opened in headless chromium (through selenium);
#   - gcc and libc6-dev: the first-run test runs the Go starter's `go test -race`, which needs cgo;
#   - docker-registry and skopeo: the live pin tests resolve image tags against a registry they start on 127.0.0.1;
#   - hyperfine and time (GNU time): the benchmarks in benchmarks/ time commands and read their peak memory.
debs=()
command -v shellcheck >/dev/null || debs+=(shellcheck)
command -v git >/dev/null || debs+=(git)
command -v ssh-keygen >/dev/null || debs+=(openssh-client)
{ command -v groovy && command -v java; } >/dev/null || debs+=(groovy default-jre-headless)
command -v npm >/dev/null || debs+=(nodejs npm)
{ command -v chromium && command -v chromedriver; } >/dev/null || debs+=(chromium chromium-driver)
command -v gcc >/dev/null || debs+=(gcc libc6-dev)
{ command -v docker-registry && command -v skopeo; } >/dev/null || debs+=(docker-registry skopeo)
command -v hyperfine >/dev/null || debs+=(hyperfine)
[ -x /usr/bin/time ] || debs+=(time)
[ "${#debs[@]}" -eq 0 ] || apt_install "${debs[@]}"

# npm packages pinned by tools/npm/package-lock.json (gitlab-ci-local, npm-groovy-lint, markdownlint-cli2),
# installed into
# tools/npm/node_modules; installed again when the lockfile is newer than the last install.
npm_tools=tools/npm/node_modules
if [ ! -x "$npm_tools/.bin/gitlab-ci-local" ] || [ ! -x "$npm_tools/.bin/npm-groovy-lint" ] \
  || [ ! -x "$npm_tools/.bin/markdownlint-cli2" ] \
  || [ tools/npm/package-lock.json -nt "$npm_tools/.package-lock.json" ]; then
  npm ci --engine-strict --no-audit --no-fund --prefix tools/npm
fi

# Python packages: scaffold itself plus the [test] extra, which holds every validator the tests run.
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

.venv/bin/python -m ruff check scaffold tests
.venv/bin/python -m mypy
.venv/bin/python -m pytest "$@"
