"""Terraform (HCL2) as plain Python data, for tests, on the ``hcl2`` module this venv has (bc-python-hcl2, which
checkov depends on; python-hcl2 8.x would replace it and cannot be installed next to checkov).

``load(text)`` parses with bc-python-hcl2's own grammar and transformer and changes only how a body is put
together, so attributes and blocks can always be told apart:

- A body (the file, or the inside of a block) is a dict. An attribute ``name = expr`` becomes ``name: value``
  with the value as written, never wrapped in a list: ``sku = "Premium"`` is ``"sku": "Premium"``,
  ``actions = ["a"]`` is ``"actions": ["a"]``, ``tags = {...}`` is ``"tags": {...}``. A name given twice in one
  body (or used both as an attribute and as a block type) raises ``ValueError``, as Terraform rejects it.
- A block ``type "label1" "label2" { ... }`` becomes one item of the list ``type: [...]``, in file order, nested
  by its labels without quotes: ``{"label1": {"label2": body}}``; a block without labels is its body. So
  ``tf["resource"]`` is ``[{"aws_ecr_repository": {"stage": {...}}}, ...]``, ``tf["locals"]`` is ``[{...}]``
  and ``encryption_configuration { ... }`` inside a resource is ``[{...}]``. Blocks are lists even when there is
  only one, because HCL blocks repeat; attributes are single values because they do not.
- No ``__start_line__`` / ``__end_line__`` keys are added (bc-python-hcl2 adds them to top-level blocks).
- Text the grammar does not accept raises lark's ``UnexpectedInput`` (a ``lark.exceptions.LarkError``).
- Values are bc-python-hcl2's: ``true``/``false``/``null`` are ``True``/``False``/``None``, numbers are ``int`` or
  ``float``, tuples are lists and objects are dicts (object keys without quotes). A string literal is the text
  between its quotes as written: escape sequences are NOT decoded and ``${...}`` interpolations are kept verbatim
  (``"arn:${local.partition}"`` is ``"arn:${local.partition}"``). Any other expression is its source text in
  ``${...}`` (``local.region`` is ``"${local.region}"``, ``tonumber("30")`` is ``'${tonumber("30")}'``); nested
  expressions inside function calls are rendered by bc-python-hcl2 in its own Python-like form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hcl2.parser import Hcl2
from hcl2.transformer import DictTransformer
from lark.exceptions import VisitError


@dataclass(frozen=True)
class _Attribute:
    """Marks an attribute's value so ``body`` can tell it from a block."""

    value: Any


class _Transformer(DictTransformer):
    def attribute(self, args: list[Any]) -> dict[str, Any]:
        ((key, value),) = super().attribute(args).items()
        return {key: _Attribute(value)}

    def block(self, args: list[Any]) -> dict[str, Any]:
        parts = self.strip_new_line_tokens(args)
        kind, *labels, body = parts
        nested: Any = body
        for label in reversed(labels):
            nested = {str(self.strip_quotes(label)): nested}
        return {str(kind): nested}

    def body(self, args: list[Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        blocks: set[str] = set()
        for item in self.strip_new_line_tokens(args):
            ((key, value),) = item.items()
            if isinstance(value, _Attribute):
                if key in blocks:
                    raise ValueError(f"HCL: {key!r} is both an attribute and a block type")
                if key in result:
                    raise ValueError(f"HCL: {key!r} is defined more than once in one body")
                result[key] = value.value
            else:
                if key in result and key not in blocks:
                    raise ValueError(f"HCL: {key!r} is both an attribute and a block type")
                blocks.add(key)
                result.setdefault(key, []).append(value)
        return result


def load(text: str) -> dict[str, Any]:
    """Parse Terraform source into the structure described in this module's docstring."""
    # bc-python-hcl2's grammar needs a final newline after the last block (its own ``loads`` appends one too).
    tree = Hcl2.lark_parser.parse(text + "\n")
    try:
        loaded: dict[str, Any] = _Transformer().transform(tree)
    except VisitError as error:  # lark wraps what the transformer raises; hand on our ValueError itself
        raise error.orig_exc from None
    return loaded


def blocks(tf: dict[str, Any], kind: str) -> list[Any]:
    """Every top-level block of one type (``resource``, ``locals``, ``variable``, ...); [] when there is none."""
    found: list[Any] = tf.get(kind, [])
    return found


def resource(tf: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    """The body of ``resource "<kind>" "<name>"``; fails the test unless it is defined exactly once."""
    bodies = [block[kind][name] for block in blocks(tf, "resource") if name in block.get(kind, {})]
    if len(bodies) != 1:
        raise AssertionError(f"resource {kind}.{name} is defined {len(bodies)} times, expected once")
    body: dict[str, Any] = bodies[0]
    return body


def resource_types(tf: dict[str, Any]) -> set[str]:
    """The resource types the file declares."""
    return {kind for block in blocks(tf, "resource") for kind in block}


def local_values(tf: dict[str, Any]) -> dict[str, Any]:
    """Every ``locals`` block merged into one dict; a local defined twice fails, as in Terraform."""
    merged: dict[str, Any] = {}
    for block in blocks(tf, "locals"):
        for key, value in block.items():
            if key in merged:
                raise AssertionError(f"local.{key} is defined more than once")
            merged[key] = value
    return merged
