"""The port a service listens on, read from its code with a few simple patterns.

Which files: source files (``.py``, ``.js``, ``.mjs``, ``.cjs``, ``.ts``, ``.go``) at the root and one folder down,
and Spring's ``application.properties``/``application.yml``; the caller bounds how many and how much it reads.
What counts: a literal port in the forms a minimal service uses to start listening:

- ``app.listen(3000)``, ``process.env.PORT || 3000`` (Node);
- ``os.getenv("PORT", "8000")``, ``os.environ.get("PORT", 8000)``, ``port=8000`` (Python, and ``const port = 3000``);
- ``http.ListenAndServe(":8080", ...)``, ``Addr: ":8080"`` (Go);
- ``server.port=8080`` / ``port: 8080`` (Spring configuration).

Each pattern is bounded (no unbounded repetition next to another over the same characters), so a hostile file
costs time linear in its size. Only ports the answers accept (1024-65535: the container runs as non-root) count.
"""

from __future__ import annotations

import re

from scaffold.kit.answers import check_one
from scaffold.new.inference_sources import MAX_SIGNALS, Found

__all__ = ["is_code_file", "scan"]

_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".go")
_SPRING = frozenset({"application.properties", "application.yml", "application.yaml"})
_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\.listen\(\s{0,20}(\d{4,5})\b"),
    re.compile(r"\benv\.PORT\s{0,20}(?:\|\||\?\?)\s{0,20}(\d{4,5})\b"),
    re.compile(r"\b(?:getenv|environ\.get)\(\s{0,20}[\"']PORT[\"']\s{0,20},\s{0,20}[\"']?(\d{4,5})\b"),
    re.compile(r"\bport\s{0,20}=\s{0,20}(\d{4,5})\b", re.IGNORECASE),
    re.compile(r"\b(?:ListenAndServe(?:TLS)?\(|Addr:)\s{0,20}\"[^\":\n]{0,100}:(\d{4,5})\""),
)
_SPRING_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^server\.port\s{0,20}[=:]\s{0,20}(\d{4,5})\b", re.MULTILINE),
    re.compile(r"^\s{0,40}port:\s{0,20}(\d{4,5})\b", re.MULTILINE),
)


def is_code_file(name: str) -> bool:
    return name.endswith(_SUFFIXES) or name in _SPRING


def scan(path: str, text: str) -> Found:
    """The ports ``text`` starts listening on, each with the line that says so, in the order they appear."""
    found = Found(path)
    patterns = _SPRING_PATTERNS if path.rsplit("/", 1)[-1] in _SPRING else _PATTERNS
    matches = sorted(
        (match for pattern in patterns for match in _first(pattern, text)), key=lambda match: match.start()
    )
    for match in matches:
        port = int(match.group(1))
        if check_one("port", port) is None:
            found.ports.append((port, f"{path}: '{' '.join(match.group(0).split())}'"))
    return found


def _first(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    matches = []
    for match in pattern.finditer(text):
        matches.append(match)
        if len(matches) >= MAX_SIGNALS:
            break
    return matches
