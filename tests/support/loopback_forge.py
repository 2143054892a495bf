"""Upstreams on loopback for end-to-end pin tests: many dated release repositories built in one ``git fast-import``
each (served by the ``git daemon`` of tests/packs/gitserver.py), and many images pushed to the ``docker-registry`` of
tests/support/oci_registry.py at once.

A repository is planned from the refs a file names: every exact tag it uses gets a release of its own, every floating
tag (``v4``, ``v4.2``) gets full versions under it (``v4.0.0``, ``v4.1.0``) and points, lightweight, at the newest of
them, and a branch is a branch. Releases are dated oldest first, the newest still far older than any cooldown, unless
the test dates one itself. What the test expects is read back from the bare repository (``for-each-ref``), never from
what scaffold printed.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from tests.packs.gitserver import GIT_TEST_ENV, require_git
from tests.support.oci_registry import Registry, oci_layout

_VERSION = re.compile(r"v?\d+(?:\.\d+){0,2}")
_DIGITS = re.compile(r"\d+")
FULL_PARTS = 3


def is_floating(ref: str) -> bool:
    """``v4``, ``v4.2``, ``4``: a version with fewer than three parts, which moves with each release."""
    return _VERSION.fullmatch(ref) is not None and ref.count(".") < FULL_PARTS - 1


def version_key(name: str) -> tuple[int, ...]:
    """Release order by the numbers in the name (``v0.11.0.1`` after ``v0.11.0``)."""
    return tuple(int(part) for part in _DIGITS.findall(name))


def under(prefix: str, name: str) -> bool:
    """Whether the full version ``name`` belongs to the floating ``prefix`` (same ``v`` spelling)."""
    if _VERSION.fullmatch(name) is None or name.count(".") != FULL_PARTS - 1:
        return False
    if name.startswith("v") != prefix.startswith("v"):
        return False
    return version_key(name)[: len(version_key(prefix))] == version_key(prefix)


@dataclass(frozen=True)
class Release:
    """One commit on ``main``, made at ``when``, and (when ``tagged``) an annotated tag ``name`` made then too."""

    name: str
    when: datetime
    tagged: bool = True


@dataclass
class Plan:
    """What one repository holds: releases oldest first, floating tags pointing at a release's commit, and branches
    pointing at a release's commit."""

    releases: list[Release] = field(default_factory=list)
    floating: dict[str, str] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)


def plan_for(
    refs: Iterable[str],
    now: datetime,
    *,
    branches: Iterable[str] = (),
    taken: Callable[[str], bool] = lambda _name: False,
) -> Plan:
    """A plan holding every ref in ``refs``: exact tags as releases, floating tags over two full versions each (and
    any exact release under them), ``branches`` as branches on the newest commit. All dated 30 days ago or earlier.

    The full versions made up under a floating tag skip every name ``taken`` says is recorded elsewhere (a tag
    scaffold's shipped table knows: a made-up commit under that name would be a tag that moved)."""
    wanted = set(refs)
    branch_names = set(branches) & wanted
    tags = wanted - branch_names
    exact = {ref for ref in tags if not is_floating(ref)}
    for prefix in (ref for ref in tags if is_floating(ref)):
        exact |= set(_made_up(prefix, taken))
    names = sorted(exact, key=lambda name: (version_key(name), name))
    oldest = now - timedelta(days=30 + 10 * len(names))
    plan = Plan([Release(name, oldest + timedelta(days=10 * index)) for index, name in enumerate(names)])
    for prefix in (ref for ref in tags if is_floating(ref)):
        plan.floating[prefix] = max((name for name in names if under(prefix, name)), key=version_key)
    if not names:
        plan.releases.append(Release("initial", oldest, tagged=False))  # a branch needs a commit
    plan.branches = dict.fromkeys(sorted(branch_names), plan.releases[-1].name)
    return plan


def _made_up(prefix: str, taken: Callable[[str], bool]) -> list[str]:
    """Two full versions under ``prefix`` that nothing else records: ``v4.0.0`` and ``v4.1.0`` (``v4.2.0`` and
    ``v4.2.1`` under ``v4.2``), moving up past any name ``taken``."""
    found: list[str] = []
    number = 0
    while len(found) < 2:
        name = f"{prefix}.{number}" if prefix.count(".") == 1 else f"{prefix}.{number}.0"
        if not taken(name):
            found.append(name)
        number += 1
    return found


def build(bare: Path, plan: Plan) -> dict[str, str]:
    """The bare repository ``bare`` holding ``plan``, written by one ``git fast-import``: one empty-tree commit per
    release on ``main`` (committed at its date), an annotated tag per release (tagged at its date), a lightweight
    tag per floating tag and a branch per branch. Returns every tag and branch name with its commit, as read back
    from the repository."""
    git = require_git()
    env = {**os.environ, **GIT_TEST_ENV}
    bare.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [git, "init", "--quiet", "--bare", "--initial-branch=main", str(bare)], check=True, env=env, timeout=60
    )
    stream = bytearray()
    marks: dict[str, int] = {}
    for index, release in enumerate(plan.releases, start=1):
        name = release.name
        stamp = f"{int(release.when.timestamp())} +0000"
        stream += f"commit refs/heads/main\nmark :{index}\ncommitter Upstream <upstream@example.com> {stamp}\n".encode()
        stream += _data(f"release {name}")
        if index > 1:
            stream += f"from :{index - 1}\n".encode()
        stream += b"\n"
        marks[name] = index
        if release.tagged:
            stream += f"tag {name}\nfrom :{index}\ntagger Upstream <upstream@example.com> {stamp}\n".encode()
            stream += _data(f"release {name}")
    for ref, target in [
        *((f"refs/tags/{tag}", release) for tag, release in plan.floating.items()),
        *((f"refs/heads/{branch}", release) for branch, release in plan.branches.items()),
    ]:
        stream += f"reset {ref}\nfrom :{marks[target]}\n\n".encode()
    subprocess.run(
        [git, f"--git-dir={bare}", "fast-import", "--quiet"],
        input=bytes(stream),
        check=True,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return refs_of(bare)


def refs_of(bare: Path) -> dict[str, str]:
    """Every tag (peeled to its commit) and branch of ``bare``: ``{"v4": sha, "release/v1": sha, ...}``."""
    listing = subprocess.run(
        [
            require_git(),
            f"--git-dir={bare}",
            "for-each-ref",
            "--format=%(refname)%00%(objectname)%00%(*objectname)",
            "refs/tags/",
            "refs/heads/",
        ],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_TEST_ENV},
        timeout=60,
    ).stdout
    found: dict[str, str] = {}
    for line in listing.splitlines():
        ref, own, peeled = line.split("\0")
        name = ref.removeprefix("refs/tags/").removeprefix("refs/heads/")
        found[name] = peeled or own
    return found


def _data(message: str) -> bytes:
    body = message.encode()
    return f"data {len(body)}\n".encode() + body + b"\n"


# images ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pushed:
    """An image the registry serves: ``reference`` (``127.0.0.1:PORT/name:tag``) and the digest skopeo reads back."""

    reference: str
    digest: str


def push_images(
    registry: Registry, work: Path, images: Sequence[tuple[str, str]], *, content: str = "", workers: int = 4
) -> dict[str, Pushed]:
    """Push one small image per ``(name, tag)`` (every other one a two-platform index) and read back the digest
    the registry serves for each with ``skopeo inspect``. Keyed by ``name:tag``. ``content`` makes a re-push of the
    same tags differ."""
    if not images:
        return {}

    def one(item: tuple[int, tuple[str, str]]) -> tuple[str, Pushed]:
        index, (name, tag) = item
        folder = work / f"layout-{content or 'first'}-{index}"
        layout = oci_layout(
            folder,
            "push",
            f"{name}:{tag} {content}",
            architectures=("amd64", "arm64") if index % 2 else (),
        )
        reference = registry.push(layout, name, tag)
        served = registry.served_digest(reference)
        assert served == layout.digest, f"{reference}: the registry serves {served}, the layout holds {layout.digest}"
        return f"{name}:{tag}", Pushed(reference, served)

    items = list(enumerate(images))
    first = dict([one(items[0])])  # writes skopeo's policy file before the others run at once
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return first | dict(pool.map(one, items[1:]))


def image_name(reference: str) -> tuple[str, str, str] | None:
    """``(registry, repository, tag)`` of a tagged reference by Docker's rules (``python:3`` is
    ``docker.io``, ``library/python``, ``3``); None without a tag, with a digest or with a variable."""
    if "@" in reference or "$" in reference:
        return None
    slash, colon = reference.rfind("/"), reference.rfind(":")
    if colon <= slash:
        return None
    name, tag = reference[:colon], reference[colon + 1 :]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first.lower(), rest
    else:
        registry, path = "docker.io", name
    if registry in ("docker.io", "index.docker.io"):
        registry = "docker.io"
        path = path if "/" in path else f"library/{path}"
    return registry, path, tag


def loopback_name(registry: str, path: str, *, namespace: str = "") -> str:
    """Where an image of ``registry`` lives on the loopback registry: Docker Hub's at their own path
    (``library/python``), any other registry's under its host name (``ghcr.io/astral-sh/uv``)."""
    local = path if registry == "docker.io" else f"{registry}/{path}"
    return f"{namespace}/{local}" if namespace else local


def by_name(pushed: Mapping[str, Pushed]) -> dict[str, str]:
    """``{reference: digest}`` for each pushed image."""
    return {image.reference: image.digest for image in pushed.values()}
