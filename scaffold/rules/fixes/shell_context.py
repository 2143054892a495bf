"""Where a bash or POSIX ``sh`` script is, quoting-wise, at given spans of its text.

The template-injection fix replaces ``${{ expr }}`` with a variable, written to suit the quoting around it. A
wrong guess changes what the script does, so this scanner follows the shell's own tokenizing (quotes, backslash
escapes and line continuations, comments only where a word starts, ``$(...)`` opening a new quoting context
inside double quotes, heredocs quoted or not, with ``<<-``) and gives up, with a reason, at anything it does not
follow completely: backticks, ``$'...'``, ``${...}`` and ``$((...))`` holding an expression or quotes, ``case`` or
a heredoc inside ``$(...)``, an expression right after ``$`` or a backslash. Spans after the point where it gave up
get that reason instead of a context; the spans before are unaffected, since the shell reads left to right.

Spans (the expressions) are opaque: the shell sees the text GitHub substitutes there, which for a value without
quotes, ``$``, backslashes or line breaks is part of a word and changes no quoting.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence


class Where(enum.Enum):
    PLAIN = "plain"  # unquoted: the value is split into words and globbed
    DOUBLE = "double"  # inside "..."
    SINGLE = "single"  # inside '...'
    HEREDOC = "heredoc"  # in the body of an unquoted heredoc
    HEREDOC_LINE = "heredoc line"  # the same, on a line that reads as the delimiter for some value
    COMMENT = "comment"  # in a comment: the shell ignores it


class _LostError(Exception):
    """The scanner met something it does not follow; every span from here on is unknown."""


_BLANK = " \t"
_OPERATOR = ";&|()<>"
_META = _BLANK + "\n" + _OPERATOR
_SIMPLE_BRACE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_SPECIAL_PARAMETER = "#?$!@*-0123456789"


def contexts(script: str, spans: Sequence[tuple[int, int]], *, bash: bool = True) -> list[Where | str]:
    """For each (start, end) span, in order and not overlapping: its ``Where``, or why it cannot be told."""
    scanner = _Scanner(script, spans, bash)
    try:
        scanner.run()
    except _LostError as lost:
        scanner.give_up(str(lost))
    return [scanner.found.get(start, "the shell script ends before it") for start, _ in spans]


class _Frame:
    __slots__ = ("depth", "kind")

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "top" (the script, or a $(...) when on a deeper frame) or "dq"
        self.depth = 0  # open parentheses inside a $(...)


class _Scanner:
    def __init__(self, text: str, spans: Sequence[tuple[int, int]], bash: bool) -> None:
        self.text = text
        self.ends = {start: end for start, end in spans}
        self.order = [start for start, _ in spans]
        self.bash = bash
        self.found: dict[int, Where | str] = {}
        self.pos = 0
        self.stack = [_Frame("top")]
        self.word_start = True
        self.heredocs: list[tuple[str, bool, bool]] = []  # (delimiter, strip tabs, quoted)

    def give_up(self, reason: str) -> None:
        for start in self.order:
            self.found.setdefault(start, reason)

    def mark(self, start: int, where: Where | str) -> None:
        self.found[start] = where

    def spans_in(self, start: int, end: int) -> list[int]:
        return [span for span in self.order if start <= span < end]

    def run(self) -> None:
        text = self.text
        if "expand_aliases" in text:
            raise _LostError("the script turns on alias expansion")
        while self.pos < len(text):
            if self.pos in self.ends:
                frame = self.stack[-1]
                self.mark(self.pos, Where.DOUBLE if frame.kind == "dq" else Where.PLAIN)
                self.pos = self.ends[self.pos]
                self.word_start = False
                continue
            if self.stack[-1].kind == "dq":
                self.double_quoted()
            else:
                self.unquoted()
        if len(self.stack) > 1:
            raise _LostError("a quote or $( is not closed")
        if self.heredocs:
            raise _LostError("a heredoc has no body")

    # --- unquoted text (the script itself, or inside $(...))
    def unquoted(self) -> None:
        text, pos = self.text, self.pos
        char = text[pos]
        frame = self.stack[-1]
        nested = len(self.stack) > 1
        if self.word_start and char == "#":
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            for span in self.spans_in(pos, end):
                self.mark(span, Where.COMMENT)
            self.pos = end
            return
        if self.word_start and nested and re.match(r"case\b", text[pos:]):
            raise _LostError("a case statement inside $(...)")
        if self.word_start and text.startswith("((", pos):
            raise _LostError("an arithmetic (( ... )) command")
        if char == "\\":
            if pos + 1 < len(text) and text[pos + 1] == "\n":
                self.pos += 2  # a line continuation: removed before the shell reads words
                return
            if pos + 1 in self.ends:
                raise _LostError("an expression follows a backslash")
            self.pos += 2
            self.word_start = False
            return
        if char == "'":
            self.single_quoted()
            return
        if char == '"':
            self.stack.append(_Frame("dq"))
            self.pos += 1
            self.word_start = False
            return
        if char == "`":
            raise _LostError("the script uses backticks")
        if char == "$":
            self.dollar(quoted=False)
            return
        if char == "<" and text.startswith("<<", pos) and not text.startswith("<<<", pos):
            if nested:
                raise _LostError("a heredoc inside $(...)")
            self.heredoc_operator()
            return
        if char in "<>" and text.startswith("(", pos + 1):
            self.stack.append(_Frame("top"))  # process substitution: a new quoting context, like $(...)
            self.pos += 2
            self.word_start = True
            return
        if char == "\n":
            if self.heredocs:
                if nested:
                    raise _LostError("a heredoc inside $(...)")
                self.pos += 1
                self.heredoc_bodies()
            else:
                self.pos += 1
            self.word_start = True
            return
        if nested and char == "(":
            frame.depth += 1
        elif nested and char == ")":
            if frame.depth == 0:
                self.stack.pop()
                self.pos += 1
                self.word_start = False
                return
            frame.depth -= 1
        self.word_start = char in _META
        self.pos += 1

    def single_quoted(self) -> None:
        end = self.text.find("'", self.pos + 1)
        if end < 0:
            raise _LostError("a single quote is not closed")
        for span in self.spans_in(self.pos + 1, end):
            self.mark(span, Where.SINGLE)
        self.pos = end + 1
        self.word_start = False

    # --- inside "..."
    def double_quoted(self) -> None:
        text, pos = self.text, self.pos
        char = text[pos]
        if char == '"':
            self.stack.pop()
            self.pos += 1
            self.word_start = False
            return
        if char == "\\":
            if pos + 1 in self.ends:
                raise _LostError("an expression follows a backslash")
            self.pos += 2
            return
        if char == "`":
            raise _LostError("the script uses backticks")
        if char == "$":
            self.dollar(quoted=True)
            return
        self.pos += 1

    # --- $ and what follows it
    def dollar(self, *, quoted: bool) -> None:
        text, pos = self.text, self.pos
        after = text[pos + 1] if pos + 1 < len(text) else ""
        self.word_start = False
        if pos + 1 in self.ends:
            raise _LostError("an expression follows a $")
        if after == "'" and not quoted:
            raise _LostError("the script uses $'...' quoting")
        if after == '"' and not quoted:
            self.stack.append(_Frame("dq"))
            self.pos += 2
            return
        if text.startswith("$((", pos):
            self.skip_balanced(pos + 3, "((", "))", "an arithmetic $((...))")
            return
        if after == "(":
            self.stack.append(_Frame("top"))
            self.pos += 2
            self.word_start = True
            return
        if after == "{":
            self.parameter_expansion()
            return
        if after == "[":
            raise _LostError("the script uses $[...] arithmetic")
        if after and after in _SPECIAL_PARAMETER:
            self.pos += 2
            return
        match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, pos + 1)
        self.pos = match.end() if match else pos + 1

    def parameter_expansion(self) -> None:
        """``${...}``: followed when it holds no quotes, escapes or substitutions; an expression inside is lost."""
        text, pos = self.text, self.pos
        depth, index = 0, pos
        while index < len(text):
            if index in self.ends:
                raise _LostError("an expression sits inside a ${...} parameter expansion")
            char = text[index]
            if text.startswith("${", index):
                depth += 1
                index += 2
                continue
            if char in "'\"\\`" or text.startswith("$(", index):
                raise _LostError("a ${...} parameter expansion holds quotes or substitutions")
            if char == "}":
                depth -= 1
                if depth == 0:
                    self.pos = index + 1
                    return
            index += 1
        raise _LostError("a ${...} parameter expansion is not closed")

    def skip_balanced(self, start: int, opening: str, closing: str, what: str) -> None:
        text, depth, index = self.text, 0, start
        while index < len(text):
            if index in self.ends:
                raise _LostError(f"an expression sits inside {what}")
            char = text[index]
            if char in "'\"\\`$":
                raise _LostError(f"{what} holds quotes or substitutions")
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    if text.startswith(closing, index):
                        self.pos = index + len(closing)
                        return
                    raise _LostError(f"{what} is not closed as expected")
                depth -= 1
            index += 1
        raise _LostError(f"{what} is not closed")

    # --- heredocs
    def heredoc_operator(self) -> None:
        text = self.text
        index = self.pos + 2
        strip = text.startswith("-", index)
        index += 1 if strip else 0
        while index < len(text) and text[index] in _BLANK:
            index += 1
        delimiter: list[str] = []
        quoted = False
        while index < len(text) and text[index] not in _META:
            if index in self.ends:
                raise _LostError("an expression is part of a heredoc delimiter")
            char = text[index]
            if char in "'\"":
                end = text.find(char, index + 1)
                if end < 0 or self.spans_in(index, end):
                    raise _LostError("a heredoc delimiter scaffold cannot read")
                delimiter.append(text[index + 1 : end])
                quoted, index = True, end + 1
            elif char == "\\":
                if index + 1 >= len(text) or text[index + 1] == "\n":
                    raise _LostError("a heredoc delimiter scaffold cannot read")
                delimiter.append(text[index + 1])
                quoted, index = True, index + 2
            elif char in "$`":
                raise _LostError("a heredoc delimiter scaffold cannot read")
            else:
                delimiter.append(char)
                index += 1
        if not delimiter:
            raise _LostError("a heredoc without a delimiter")
        self.heredocs.append(("".join(delimiter), strip, quoted))
        self.pos = index
        self.word_start = False

    def heredoc_bodies(self) -> None:
        text = self.text
        for delimiter, strip, quoted in self.heredocs:
            body_start = self.pos
            while True:
                if self.pos >= len(text):
                    raise _LostError(f"the heredoc {delimiter} is not closed")
                end = text.find("\n", self.pos)
                end = len(text) if end < 0 else end
                line = text[self.pos : end]
                if (line.lstrip("\t") if strip else line) == delimiter:
                    self.pos = min(end + 1, len(text))
                    break
                spans = self.spans_in(self.pos, end)
                if not quoted and re.search(r"(?<!\\)(?:\\\\)*\\$", line):
                    raise _LostError("a heredoc body line is continued with a backslash")
                ends = bool(spans) and self.may_end(line, self.pos, delimiter, strip)
                for span in spans:
                    where = self.in_body(text[body_start:span], span, quoted)
                    self.mark(span, Where.HEREDOC_LINE if ends and where is Where.HEREDOC else where)
                self.pos = end + 1
        self.heredocs = []

    def may_end(self, line: str, start: int, delimiter: str, strip: bool) -> bool:
        """Whether the line, with its expressions replaced by some value, could read as the delimiter."""
        skip = len(line) - len(line.lstrip("\t")) if strip else 0
        pattern, index = [], skip
        for span in self.spans_in(start + skip, start + len(line)):
            pattern.append(re.escape(line[index : span - start]) + ".*")
            index = self.ends[span] - start
        pattern.append(re.escape(line[index:]))
        return re.fullmatch("".join(pattern), delimiter, re.DOTALL) is not None

    def in_body(self, before: str, span: int, quoted: bool) -> Where | str:
        if quoted:
            return "an expression sits in a quoted heredoc, where a variable would not expand"
        if before.endswith(("\\", "$")):
            return "an expression follows a $ or a backslash in a heredoc"
        if "`" in before or "$(" in before or "${" in _SIMPLE_BRACE.sub("", before):
            return "an expression follows a substitution in a heredoc body"
        return Where.HEREDOC
