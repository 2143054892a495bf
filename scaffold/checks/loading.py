"""Parse each file once per run: every check of a platform reads the same file, so the parsed form is cached by
the file's text. Checks only read what these return; they never change it."""

from __future__ import annotations

import functools
from typing import Any

import yaml

from scaffold.parsers.jenkinsfile import Node, parse


@functools.lru_cache(maxsize=64)
def yaml_document(text: str) -> Any:
    return yaml.safe_load(text)


@functools.lru_cache(maxsize=16)
def jenkinsfile(text: str) -> Node:
    return parse(text)
