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
