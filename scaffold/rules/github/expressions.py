"""``${{ ... }}`` expressions in workflow text, found in linear time.

An expression runs from ``${{`` to the first ``}}`` after it. A lazy pattern alone is quadratic on text with many
``${{`` and no ``}}`` after them (each one rescans to the end), so the search stops at the last ``}}``: an
expression cannot end after it, and every ``${{`` before it finds its end without passing it.
"""

from __future__ import annotations

import re

EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def expressions(text: str) -> list[re.Match[str]]:
    """Every expression in ``text``, in order; ``group(1)`` is its inside."""
    last = text.rfind("}}")
    return list(EXPRESSION.finditer(text, 0, last + 2)) if last >= 0 else []


# One token of an expression: a string literal ('' escapes a quote), a number, a name, or an operator.
_TOKEN = re.compile(
    r"[ \t\r\n]*(?:(?P<string>'(?:[^']|'')*')|(?P<number>[0-9][0-9A-Za-z_.+-]*)|(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*]))"
)
_KEYWORDS = frozenset({"true", "false", "null", "nan", "infinity"})


def context_paths(expression: str) -> list[str] | None:
    """The context paths an expression reads, in order (``github.event.issue.title``, ``matrix.os``); a quoted or
    numeric index becomes a path segment (``['title']`` and ``.title`` read the same) and any other index ``[*]``,
    whose own paths are listed too. Function names are not paths, their arguments' paths are. None when the text is
    not an expression (a character no expression has)."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            if expression[position:].strip():
                return None
            break
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    paths: list[str] = []
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        after_dot = index > 0 and tokens[index - 1] == ("op", ".")
        called = index + 1 < len(tokens) and tokens[index + 1] == ("op", "(")
        if kind != "name" or after_dot or called or text.lower() in _KEYWORDS:
            index += 1
            continue
        path, index = _path(tokens, index)
        paths.append(path)
    return paths


def _path(tokens: list[tuple[str, str]], index: int) -> tuple[str, int]:
    """The path that starts at the name ``tokens[index]``, and the index of the first token after it (an index
    that is not a literal stays unread, so its own paths are found next)."""
    parts = [tokens[index][1]]
    index += 1
    while index < len(tokens):
        if tokens[index] == ("op", ".") and index + 1 < len(tokens) and tokens[index + 1][0] in ("name", "op"):
            following = tokens[index + 1]
            if following[0] == "op" and following[1] != "*":
                break
            parts.append(f".{following[1]}")
            index += 2
        elif (
            tokens[index] == ("op", "[")
            and index + 2 < len(tokens)
            and tokens[index + 1][0] in ("string", "number")
            and tokens[index + 2] == ("op", "]")
        ):
            kind, literal = tokens[index + 1]
            parts.append("." + literal[1:-1].replace("''", "'") if kind == "string" else f"[{literal}]")
            index += 3
        elif tokens[index] == ("op", "["):
            parts.append("[*]")
            break
        else:
            break
    return "".join(parts), index
