"""The "Done when" proof, end to end: ``scaffold harden --fix=all --online --write`` (the real CLI, in a subprocess)
over a copy of every file of the shared corpus of real CI files, against upstreams the test serves on loopback.

- A ``git daemon`` serves one repository per action and pre-commit hook repository the corpus names (it names no
  GitLab project include nor Jenkins library; ``--gitlab-url`` points at the daemon all the same), built here: every
  tag the corpus uses exists, floating tags (``v4``) point at the newest of the full versions made under them, all
  older than the cooldown; ``release/v1`` is a branch, as it is upstream.
- Two exact tags the corpus uses (``actions/checkout@v7.0.1``, ``actions/setup-java@v5.7.0``) are in scaffold's
  shipped table with their real commits, which a test cannot make: to scaffold these tags moved since its table
  recorded them, and it refuses them with that reason. The proof expects exactly those refusals (the moved-tag
  defence, end to end); the full versions made up under floating tags avoid every name the table records.
- Debian's ``docker-registry`` serves every tagged image the workflows, GitLab files and Dockerfiles name, pushed by
  skopeo.
- A test cannot serve github.com or docker.io, so the copy (in tmp, never in the repository) names the loopback
  servers instead: each image's registry becomes ``127.0.0.1:PORT`` (Docker Hub's images at their own path, other
  registries' under their host name), and each pre-commit ``repo: https://github.com/owner/name`` becomes
  ``git://127.0.0.1:PORT/github.com/owner/name`` (lower-cased, as GitHub ignores case). Actions need no rewrite:
  ``--action-forge`` sends ``owner/repo`` there. Tags, revs and everything else in the files are as the corpus has
  them, so the resolution is the one a real run makes. Loopback is off limits to a host a file names, so the runs
  name the registry with ``--allow-host`` (the daemon is allowed as the ``--action-forge`` host), as a user with an
  in-house registry on the machine would.

Every expected commit and digest is read from the servers (``for-each-ref`` on the repositories built here,
``skopeo inspect`` on the registry), never from what scaffold printed.

The second part runs ``scaffold pins update`` on a copy of scaffold/pins.yml whose actions, hooks and images live on
the same loopback servers: a newer release of the same line is taken, a newer major and a release inside the
cooldown are not, a re-pushed image tag gets its new digest, and a pinned commit on the shipped advisory list is
warned about.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from scaffold.rules.fixes.action_refs import lookup as table
from tests.packs.gitserver import git_daemon, require_git_daemon
from tests.support import checkers
from tests.support.corpus import CANONICAL_PATHS, corpus_dir
from tests.support.loopback_forge import (
    Plan,
    Release,
    build,
    image_name,
    is_floating,
    loopback_name,
    plan_for,
    push_images,
)
from tests.support.oci_registry import Registry, docker_registry, require

KINDS = ("github", "gitlab", "docker", "jenkins", "precommit")
BRANCHES = frozenset({"release/v1"})
"""Refs the corpus uses that are branches upstream (pypa/gh-action-pypi-publish@release/v1)."""
PIN_RULES = frozenset(
    {
        "unpinned-uses",
        "unpinned-container-image",
        "gitlab-unpinned-image",
        "gitlab-unpinned-include",
        "docker-unpinned-base",
        "precommit-mutable-rev",
        "jenkins-unpinned-agent-image",
        "jenkins-unpinned-library",
    }
)
FIXED_NOTES = sorted(
    [
        # (corpus file, rule, what the note is about, why)
        (
            "github/simonw__datasette__.github__workflows__publish.yml",
            "unpinned-uses",
            "pypa/gh-action-pypi-publish@release/v1",
            "release/v1 is a branch; pin a release tag",
        ),
        (
            "docker/GoogleCloudPlatform__microservices-demo__src__frontend__Dockerfile",
            "docker-unpinned-base",
            "FROM gcr.io/distroless/static",
            "has no tag to resolve (latest is not assumed)",
        ),
        *[
            (
                "docker/umami-software__umami__Dockerfile",
                "docker-unpinned-base",
                "FROM node:${NODE_IMAGE_VERSION}",
                "the base comes from an ARG",
            )
        ]
        * 3,
        (
            "precommit/pernat__simple-nodejs-app__.pre-commit-config.yaml",
            "precommit-mutable-rev",
            "rev (empty)",
            "names no release",
        ),
    ]
)
"""What harden cannot pin in the corpus whatever the upstream holds, and says why: a branch, an image without a tag,
a base chosen by an ARG, an empty rev. ``expected_notes`` adds the tags that moved."""
_SHA = re.compile(r"[0-9a-f]{40}")
_DIGEST = r"sha256:[0-9a-f]{64}"


# Reading the corpus without scaffold -------------------------------------------------------------------------------


class _AnyTagLoader(yaml.SafeLoader):
    """A safe loader that reads a GitLab tag such as ``!reference`` as null instead of failing."""


_AnyTagLoader.add_multi_constructor("!", lambda _loader, _suffix, _node: None)


def _load(text: str) -> Any:
    return yaml.load(text, Loader=_AnyTagLoader)  # noqa: S506 - a SafeLoader subclass


def workflow_steps(text: str) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(job id, step index or -1 for the job itself, the mapping holding ``uses``) for each job and step."""
    jobs = (_load(text) or {}).get("jobs") or {}
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        yield job_id, -1, job
        for index, step in enumerate(job.get("steps") or []):
            if isinstance(step, dict):
                yield job_id, index, step


def workflow_images(text: str) -> list[str]:
    found: list[str] = []
    jobs = (_load(text) or {}).get("jobs") or {}
    for job in jobs.values():
        if not isinstance(job, dict):
            continue
        holders = [job.get("container"), *((job.get("services") or {}).values())]
        for holder in holders:
            image = holder.get("image") if isinstance(holder, dict) else holder
            if isinstance(image, str):
                found.append(image.strip())
    return found


def gitlab_images(text: str) -> list[str]:
    found: list[str] = []
    document = _load(text) or {}

    def named(value: Any) -> str | None:
        value = value.get("name") if isinstance(value, dict) else value
        return value.strip() if isinstance(value, str) else None

    holders = [document, document.get("default")] + [value for value in document.values() if isinstance(value, dict)]
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        found += [image for image in [named(holder.get("image"))] if image]
        services = holder.get("services")
        found += [image for image in map(named, services if isinstance(services, list) else []) if image]
    return found


_FROM = re.compile(r"^(?P<lead>\s*FROM\s+(?:--\S+\s+)*)(?P<image>\S+)(?P<rest>(?:\s+AS\s+(?P<stage>\S+))?\s*)$", re.I)


def dockerfile_images(text: str) -> list[str]:
    """The external base of each ``FROM`` (not ``scratch``, not an earlier stage)."""
    found: list[str] = []
    stages: set[str] = set()
    for line in text.splitlines():
        match = _FROM.match(line)
        if match is None:
            continue
        image = match.group("image")
        if image.lower() != "scratch" and image.lower() not in stages:
            found.append(image)
        if match.group("stage"):
            stages.add(match.group("stage").lower())
    return found


def hook_repos(text: str) -> list[tuple[str, str]]:
    """(repo URL, rev) of each remote repository of a pre-commit config."""
    repos = (_load(text) or {}).get("repos") or []
    return [
        (str(entry["repo"]), str(entry.get("rev") or ""))
        for entry in repos
        if isinstance(entry, dict) and entry.get("repo") not in ("local", "meta")
    ]


IMAGES = {"github": workflow_images, "gitlab": gitlab_images, "docker": dockerfile_images}


# Rewriting the copy to name the loopback servers ------------------------------------------------------------------

_YAML_IMAGE_LINE = re.compile(
    r"^(?P<lead>\s*(?:-\s+)?(?:(?:image|name|container)\s*:\s+)?)(?P<q>['\"]?)(?P<image>[^\s'\"#]+)(?P=q)"
    r"(?P<rest>\s*(?:#.*)?)$"
)
_HOOK_LINE = re.compile(
    r"^(?P<lead>\s*(?:-\s+)?repo:\s+)(?P<q>['\"]?)https://github\.com/(?P<path>[^\s'\"#]+?)(?:\.git)?/?(?P=q)"
    r"(?P<rest>\s*(?:#.*)?)$"
)


def rewrite_images(kind: str, text: str, moved: dict[str, str]) -> str:
    """``text`` with each image reference in ``moved`` replaced where the file names an image."""
    pattern = _FROM if kind == "docker" else _YAML_IMAGE_LINE

    def swap(match: re.Match[str]) -> str:
        image = match.group("image")
        if image not in moved:
            return match.group(0)
        start, end = match.span("image")
        line = match.group(0)
        return line[: start - match.start()] + moved[image] + line[end - match.start() :]

    return "".join(
        pattern.sub(swap, line.rstrip("\n")) + ("\n" if line.endswith("\n") else "")
        for line in text.splitlines(keepends=True)
    )


def rewrite_hooks(text: str, base: str) -> str:
    def swap(match: re.Match[str]) -> str:
        quote = match.group("q")
        url = f"{base}/github.com/{match.group('path').lower()}"
        return f"{match.group('lead')}{quote}{url}{quote}{match.group('rest')}"

    return "".join(
        _HOOK_LINE.sub(swap, line.rstrip("\n")) + ("\n" if line.endswith("\n") else "")
        for line in text.splitlines(keepends=True)
    )


# The world: servers, repositories, images, the copy, and scaffold's runs over it ----------------------------------


@dataclass
class CorpusFile:
    kind: str
    name: str
    folder: str
    """The repository folder of the copy (``github-03``) that holds the file at ``path``."""
    path: str
    """Where the file lives in its repository (.github/workflows/ci.yml, Dockerfile, ...)."""
    given: str
    """The file as harden is given it: the corpus file with the loopback servers named."""

    @property
    def label(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def shown(self) -> str:
        return f"{self.folder}/{self.path}"


@dataclass
class Servers:
    port: int
    base: Path
    registry: Registry
    work: Path

    @property
    def git_base(self) -> str:
        return f"git://127.0.0.1:{self.port}"


@dataclass
class World:
    servers: Servers
    root: Path
    files: list[CorpusFile]
    actions: dict[tuple[str, str], tuple[str, str]]
    """(lower-cased owner/repo, ref) -> (the commit the test made for it, the version its comment should name)."""
    moved: dict[tuple[str, str], tuple[str, str]]
    """(owner/repo, exact tag) -> (the commit the test made for it, the other commit scaffold's table records)."""
    hooks: dict[tuple[str, str], str]
    """(loopback URL, rev) -> the commit the test made for that tag."""
    images: dict[str, str]
    """Loopback image reference -> the digest the registry serves (skopeo)."""
    env: dict[str, str]
    runs: dict[str, Any] = field(default_factory=dict)

    def scaffold(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "scaffold", *args],
            cwd=cwd or self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def harden(self, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.scaffold(
            "harden",
            "--fix=all",
            "--write",
            "--format=json",
            f"--action-forge={self.servers.git_base}",
            f"--gitlab-url={self.servers.git_base}",
            f"--allow-host={self.servers.registry.host}",  # the forge's host is allowed by naming it; the registry's
            *extra,
            *(item.folder for item in self.files),
            cwd=root,
        )

    def after(self, item: CorpusFile, root: Path | None = None) -> str:
        return ((root or self.root) / item.folder / item.path).read_text(encoding="utf-8")

    def first(self) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        if "first" not in self.runs:
            run = self.harden(self.root, "--online")
            self.runs["first"] = (run, _report(run))
            self.runs["after"] = {item.label: self.after(item) for item in self.files}
        result: tuple[subprocess.CompletedProcess[str], dict[str, Any]] = self.runs["first"]
        return result

    def hardened(self, item: CorpusFile) -> str:
        self.first()
        text: str = self.runs["after"][item.label]
        return text


def _report(run: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert run.returncode in (0, 1), f"exit {run.returncode}: {run.stderr[-3000:]}"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    report: dict[str, Any] = json.loads(run.stdout)
    return report


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """A git daemon and a docker-registry on 127.0.0.1, stopped when the module's tests are done."""
    require_git_daemon()
    require("docker-registry", "docker-registry")
    require("skopeo", "skopeo")
    work = tmp_path_factory.mktemp("online-corpus")
    base = work / "served"
    base.mkdir()
    with contextlib.ExitStack() as stack:
        daemon = stack.enter_context(git_daemon(base))
        registry = stack.enter_context(docker_registry(work / "registry"))
        yield Servers(daemon.port, base, registry, work)


def _env(cache: Path, home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GIT_", "SCAFFOLD_"))}
    home.mkdir(parents=True, exist_ok=True)
    env.update(SCAFFOLD_CACHE_DIR=str(cache), HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def _corpus_path(kind: str, name: str) -> str:
    return ".pre-commit-config.yaml" if kind == "precommit" else CANONICAL_PATHS[kind](name)


def _action_refs(files: list[tuple[str, str, str]]) -> dict[str, set[str]]:
    """Lower-cased ``owner/repo`` -> every ref the workflows use it at, except full SHAs and local paths."""
    refs: dict[str, set[str]] = {}
    for kind, _, text in files:
        if kind != "github":
            continue
        for _, _, holder in workflow_steps(text):
            uses = holder.get("uses")
            if not isinstance(uses, str) or uses.startswith(("./", "docker://")) or "@" not in uses:
                continue
            action, _, ref = uses.partition("@")
            if not _SHA.fullmatch(ref):
                refs.setdefault("/".join(action.split("/")[:2]).lower(), set()).add(ref)
    return refs


@pytest.fixture(scope="module")
def world(servers: Servers) -> World:
    corpus = corpus_dir()
    originals = [
        (kind, path.name, path.read_text(encoding="utf-8"))
        for kind in KINDS
        for path in sorted((corpus / kind).iterdir())
        if path.is_file()
    ]
    git_base = servers.git_base

    # One repository per action, each tag the corpus uses made, floating tags over full versions. An exact tag that
    # scaffold's shipped table records cannot be made here with the table's commit: to scaffold it is a tag that moved.
    actions: dict[tuple[str, str], tuple[str, str]] = {}
    moved: dict[tuple[str, str], tuple[str, str]] = {}
    now = datetime.now(UTC)
    for repo, refs in sorted(_action_refs(originals).items()):
        plan = plan_for(refs, now, branches=BRANCHES, taken=lambda name, repo=repo: table(repo, name) is not None)
        made = build(servers.base / f"{repo}.git", plan)
        for ref in refs - BRANCHES:
            recorded = table(repo, ref)
            if recorded is not None and not is_floating(ref):
                moved[repo, ref] = (made[ref], recorded.sha)
            else:
                actions[repo, ref] = (made[ref], plan.floating.get(ref, ref))

    # One repository per pre-commit hook repository, every rev the corpus uses a release of it.
    hook_refs: dict[str, set[str]] = {}
    for kind, _, text in originals:
        if kind == "precommit":
            for url, rev in hook_repos(rewrite_hooks(text, git_base)):
                assert url.startswith(f"{git_base}/github.com/"), f"a pre-commit repository left unrewritten: {url}"
                if rev:
                    hook_refs.setdefault(url, set()).add(rev)
    hooks: dict[tuple[str, str], str] = {}
    for url, revs in sorted(hook_refs.items()):
        made = build(servers.base / f"{url.removeprefix(git_base + '/')}.git", plan_for(revs, now))
        hooks |= {(url, rev): made[rev] for rev in revs}

    # One image per tagged reference the files name, on the loopback registry.
    loopback: dict[str, str] = {}
    wanted: dict[str, tuple[str, str]] = {}
    for kind, _, text in originals:
        for reference in IMAGES.get(kind, lambda _text: [])(text):
            parts = image_name(reference)
            if parts is None:
                continue
            registry, path, tag = parts
            name = loopback_name(registry, path)
            loopback[reference] = f"{servers.registry.host}/{name}:{tag}"
            wanted[f"{name}:{tag}"] = (name, tag)
    pushed = push_images(servers.registry, servers.work / "layouts", sorted(wanted.values()))
    images = {image.reference: image.digest for image in pushed.values()}

    # The copy: one repository folder per corpus file.
    root = servers.work / "repos"
    files: list[CorpusFile] = []
    for index, (kind, name, text) in enumerate(originals):
        given = rewrite_hooks(text, git_base) if kind == "precommit" else rewrite_images(kind, text, loopback)
        item = CorpusFile(kind, name, f"{kind}-{index:02d}", _corpus_path(kind, name), given)
        target = root / item.folder / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        (root / item.folder / ".git").mkdir()
        target.write_text(given, encoding="utf-8")
        left = [image for image in IMAGES.get(kind, lambda _text: [])(given) if image_name(image) is not None]
        assert all(image.startswith(f"{servers.registry.host}/") for image in left), f"{item.label}: {left}"
        files.append(item)
    env = _env(servers.work / "cache", servers.work / "home")
    return World(servers, root, files, actions, moved, hooks, images, env)


# Part 1: harden --fix=all --online over the corpus ------------------------------------------------------------------


def test_the_proof_covers_every_corpus_file_and_what_it_names(world: World) -> None:
    counts = {kind: sum(item.kind == kind for item in world.files) for kind in KINDS}
    assert counts == {"github": 19, "gitlab": 8, "docker": 13, "jenkins": 8, "precommit": 5}
    assert (len(world.actions), len(world.moved), len(world.hooks), len(world.images)) == (32, 2, 25, 28)


def test_the_run_writes_every_pin_and_says_where_each_came_from(world: World) -> None:
    run, report = world.first()
    assert run.returncode == 1, "notes are left (a branch, an ARG base, ...), so there is something left to do"
    assert report["errors"] == []
    assert {entry["path"] for entry in report["files"]} == {item.shown for item in world.files}
    for entry in report["files"]:
        assert entry["written"] == entry["changed"], entry["path"]
        assert entry["held"] == [], "--fix=all holds nothing back"
        for fixed in entry["fixed"]:
            if fixed["rule"] in PIN_RULES:
                where = f"live: git ls-remote {world.servers.git_base}/"
                if "image" in fixed["rule"] or fixed["rule"] == "docker-unpinned-base":
                    where = f"live: HEAD http://{world.servers.registry.host}/v2/"
                assert where in fixed["message"], fixed
                assert fixed["safety"] == "safe", fixed


def test_every_uses_with_a_tag_upstream_is_pinned_to_the_commit_the_test_made_for_that_tag(world: World) -> None:
    pinned = 0
    for item in (item for item in world.files if item.kind == "github"):
        after = world.hardened(item)
        before_steps = list(workflow_steps(item.given))
        after_steps = list(workflow_steps(after))
        assert [(job, index) for job, index, _ in after_steps] == [(job, index) for job, index, _ in before_steps]
        for (job, index, old), (_, _, new) in zip(before_steps, after_steps, strict=True):
            uses = old.get("uses")
            if not isinstance(uses, str) or uses.startswith("./") or "@" not in uses:
                continue
            action, _, ref = uses.partition("@")
            key = ("/".join(action.split("/")[:2]).lower(), ref)
            if _SHA.fullmatch(ref) or ref in BRANCHES or key in world.moved:
                assert new["uses"] == uses, f"{item.label}: job {job} step {index}"
                continue
            commit, version = world.actions[key]
            assert new["uses"] == f"{action}@{commit}", f"{item.label}: job {job} step {index}"
            lines = [line for line in after.splitlines() if f"{action}@{commit}" in line]
            assert lines, f"{item.label}: {action}@{commit}"
            assert all(re.search(rf"['\"]?\s+# {re.escape(version)}$", line) for line in lines), lines
            pinned += 1
    github = [item for item in world.files if item.kind == "github"]
    assert pinned == sum(1 for item in github for _ in _unpinned_uses(item.given, skip_moved=world))
    assert pinned == 65


def _unpinned_uses(text: str, *, skip_moved: World | None) -> Iterator[str]:
    """Each ``uses:`` at a tag (not a SHA, a branch or a local path); without those that moved in ``skip_moved``."""
    for _, _, holder in workflow_steps(text):
        uses = holder.get("uses")
        if isinstance(uses, str) and "@" in uses and not uses.startswith("./"):
            action, _, ref = uses.partition("@")
            moved = skip_moved is not None and ("/".join(action.split("/")[:2]).lower(), ref) in skip_moved.moved
            if not _SHA.fullmatch(ref) and ref not in BRANCHES and not moved:
                yield uses


def test_every_tagged_image_is_pinned_to_the_digest_the_registry_serves(world: World) -> None:
    pinned = 0
    for item in (item for item in world.files if item.kind in IMAGES):
        after = world.hardened(item)
        for reference in set(IMAGES[item.kind](item.given)):
            if reference not in world.images:
                continue
            token = re.compile(rf"(?<![\w./:-]){re.escape(reference)}(?P<digest>@{_DIGEST})?(?![\w.:/-])")
            found = [match.group("digest") for match in token.finditer(after)]
            assert found, f"{item.label}: {reference} is gone"
            assert set(found) == {f"@{world.images[reference]}"}, f"{item.label}: {reference} -> {found}"
            pinned += len(found)
        assert not [image for image in IMAGES[item.kind](after) if image_name(image) is not None], item.label
    assert pinned == 52


def test_every_pre_commit_rev_is_frozen_to_its_tag_commit_with_the_tag_in_a_comment(world: World) -> None:
    frozen = 0
    for item in (item for item in world.files if item.kind == "precommit"):
        after = world.hardened(item)
        before, now = hook_repos(item.given), hook_repos(after)
        assert [url for url, _ in now] == [url for url, _ in before]
        for (url, rev), (_, new_rev) in zip(before, now, strict=True):
            if not rev:
                assert new_rev == rev
                continue
            commit = world.hooks[url, rev]
            assert new_rev == commit, f"{item.label}: {url}@{rev}"
            assert re.search(rf"^\s*rev: (['\"]?){commit}\1  # frozen: {re.escape(rev)}$", after, re.M), url
            frozen += 1
    configs = [item for item in world.files if item.kind == "precommit"]
    assert frozen == sum(1 for item in configs for _, rev in hook_repos(item.given) if rev) == 25


def expected_notes(world: World) -> list[tuple[str, str, str, str]]:
    """``FIXED_NOTES`` and, for each ``uses:`` of an exact tag scaffold's table records, the moved-tag refusal."""
    notes = list(FIXED_NOTES)
    for item in (item for item in world.files if item.kind == "github"):
        for uses in _unpinned_uses(item.given, skip_moved=None):
            action, _, ref = uses.partition("@")
            key = ("/".join(action.split("/")[:2]).lower(), ref)
            if key in world.moved:
                ours, recorded = world.moved[key]
                why = f"tag {ref} moved from {recorded[:7]} to {ours[:7]} since scaffold's table recorded it"
                notes.append((item.label, "unpinned-uses", uses, f"{why}; not pinned: check the upstream"))
    return sorted(notes)


def _noted(report: dict[str, Any], world: World) -> list[tuple[str, str, str]]:
    labels = {item.shown: item.label for item in world.files}
    return sorted(
        (labels[entry["path"]], note["rule"], note["message"])
        for entry in report["files"]
        for note in entry["not_fixed"]
        if note["rule"] in PIN_RULES
    )


def test_what_cannot_be_pinned_is_left_with_a_note_saying_why(world: World) -> None:
    _, report = world.first()
    noted = _noted(report, world)
    expected = expected_notes(world)
    assert len(noted) == len(expected), noted
    for (label, rule, message), (want_label, want_rule, what, why) in zip(noted, expected, strict=True):
        assert (label, rule) == (want_label, want_rule)
        assert what in message and why in message, message


def test_the_audit_finds_nothing_unpinned_but_the_noted_references(world: World) -> None:
    world.first()
    run = world.scaffold("audit", "--format=json", *(item.folder for item in world.files))
    assert run.returncode == 1, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["errors"] == []
    labels = {item.shown: item.label for item in world.files}
    left = sorted(
        (labels[finding["path"]], finding["rule"]) for finding in report["findings"] if finding["rule"] in PIN_RULES
    )
    assert left == [(label, rule) for label, rule, _, _ in expected_notes(world)]


def test_a_second_run_changes_nothing(world: World) -> None:
    world.first()
    run = world.harden(world.root, "--online")
    report = _report(run)
    assert run.returncode == 1
    assert [entry["path"] for entry in report["files"] if entry["changed"] or entry["fixed"]] == []
    assert {item.label: world.after(item) for item in world.files} == world.runs["after"]
    assert _noted(report, world) == _noted(world.first()[1], world)


def test_offline_the_cache_of_the_online_run_gives_the_same_pins(world: World) -> None:
    """``--offline`` on a fresh copy pins from the cache the online run wrote, the same commits and digests. A tag
    the online run refused as moved is marked so in the cache, and offline refuses it too (the shipped table's
    commit for it is not taken), with the same reason."""
    world.first()
    fresh = world.servers.work / "offline-copy"
    for item in world.files:
        target = fresh / item.folder / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        (fresh / item.folder / ".git").mkdir(exist_ok=True)
        target.write_text(item.given, encoding="utf-8")
    report = _report(world.harden(fresh, "--offline"))
    for item in world.files:
        assert world.after(item, fresh) == world.runs["after"][item.label], item.label
    messages = [fixed["message"] for entry in report["files"] for fixed in entry["fixed"] if fixed["rule"] in PIN_RULES]
    assert messages and all("; cache: " in message for message in messages)
    moved_notes = [
        note["message"] for entry in report["files"] for note in entry["not_fixed"] if " moved from " in note["message"]
    ]
    assert len(moved_notes) == sum(1 for *_, why in expected_notes(world) if " moved from " in why)


# Every file still parses -----------------------------------------------------------------------------------------


def _in_folder(root: Path, item: CorpusFile, text: str) -> Path:
    target = root / item.folder / item.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return root / item.folder


def _actionlint(folder: Path, path: str) -> list[dict[str, Any]]:
    checkers.tool("shellcheck")
    result = subprocess.run(
        [checkers.tool("actionlint"), "-format", "{{json .}}", path],
        cwd=folder,
        env=checkers._env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


def _syntax(findings: list[dict[str, Any]]) -> Counter[str]:
    return Counter(finding["message"] for finding in findings if finding["kind"] == "syntax-check")


@pytest.mark.validators
def test_actionlint_finds_no_new_kind_of_problem_in_any_hardened_workflow(world: World) -> None:
    for item in (item for item in world.files if item.kind == "github"):
        before = _actionlint(_in_folder(world.servers.work / "lint-before", item, item.given), item.path)
        after = _actionlint(_in_folder(world.servers.work / "lint-after", item, world.hardened(item)), item.path)
        assert _syntax(after) <= _syntax(before), (item.label, after)
        assert {finding["kind"] for finding in after} <= {finding["kind"] for finding in before}, (item.label, after)
        assert len(after) <= len(before), (item.label, after)


@pytest.mark.validators
def test_pre_commit_validates_every_hardened_config_it_validated_before(world: World) -> None:
    checked = 0
    for item in (item for item in world.files if item.kind == "precommit"):
        before = checkers.pre_commit(_in_folder(world.servers.work / "hooks-before", item, item.given))
        after = checkers.pre_commit(_in_folder(world.servers.work / "hooks-after", item, world.hardened(item)))
        if not before:
            assert after == [], (item.label, after)
            checked += 1
    assert checked >= 4


def _hadolint(folder: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [checkers.tool("hadolint"), "--no-fail", "-f", "json", "Dockerfile"],
        cwd=folder,
        env=checkers._env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


@pytest.mark.validators
def test_hadolint_parses_every_hardened_dockerfile_and_finds_no_new_kind_of_problem(world: World) -> None:
    for item in (item for item in world.files if item.kind == "docker"):
        before = _hadolint(_in_folder(world.servers.work / "docker-before", item, item.given))
        after = _hadolint(_in_folder(world.servers.work / "docker-after", item, world.hardened(item)))
        assert "DL1000" not in {finding["code"] for finding in after}, (item.label, after)
        assert {finding["code"] for finding in after} <= {finding["code"] for finding in before}, (item.label, after)


# Part 2: scaffold pins update against the same loopback servers ---------------------------------------------------

PINS_FILE = Path(__file__).resolve().parents[2] / "scaffold" / "pins.yml"
ADVISORIES_FILE = Path(__file__).resolve().parents[2] / "scaffold" / "data" / "advisories.yml"
_NUMBERS = re.compile(r"(?P<v>v?)(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)")


@dataclass(frozen=True)
class Line:
    """The releases made for one pinned action or hook: the pinned version, a newer one on its line (to be taken),
    a newer one inside the cooldown and the first release of the next line (neither to be taken)."""

    url: str
    current: str
    newer: str
    young: str
    next_line: str
    commits: dict[str, str]


def releases_for(version: str) -> tuple[str, str, str]:
    """(newer on the same line, newer but young, the next line's first) for ``vA.B.C``; a 0.x line is its minor."""
    match = _NUMBERS.fullmatch(version)
    assert match is not None, version
    v, major, minor, patch = match["v"], int(match["major"]), int(match["minor"]), int(match["patch"])
    next_line = f"{v}0.{minor + 1}.0" if major == 0 else f"{v}{major + 1}.0.0"
    return f"{v}{major}.{minor}.{patch + 1}", f"{v}{major}.{minor}.{patch + 2}", next_line


@dataclass
class PinsWorld:
    servers: Servers
    original: str
    """scaffold/pins.yml with its hooks and images on the loopback servers."""
    lines: dict[str, Line]
    """``actions.checkout`` / ``hooks.ruff`` -> the releases made for it."""
    images: dict[str, tuple[str, str, str]]
    """``images.python`` -> (the loopback image, the digest first pushed, the digest served now)."""
    repushed: str
    env: dict[str, str]
    runs: dict[str, Any] = field(default_factory=dict)

    @property
    def forge(self) -> str:
        return f"{self.servers.git_base}/pins"

    def update(self, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "scaffold",
                "pins",
                "update",
                str(path),
                f"--action-forge={self.forge}",
                f"--allow-host={self.servers.registry.host}",
                *extra,
            ],
            cwd=path.parent,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


def rewrite_pins(text: str, hooks: dict[str, str], images: dict[str, tuple[str, str]]) -> str:
    """``text`` with each hook's ``repo:`` and each image's ``image:`` and ``digest:`` replaced, line by line."""
    section = entry = ""
    out = []
    for line in text.splitlines(keepends=True):
        heading = re.match(r"^(\w+):\s*$", line)
        name = re.match(r"^  ([\w.-]+):\s*$", line)
        field_line = re.match(r"^(    (\w+): )(\S.*?)(\s*)$", line)
        if heading:
            section, entry = heading[1], ""
        elif name:
            entry = name[1]
        elif field_line and section == "hooks" and field_line[2] == "repo":
            line = field_line[1] + hooks[entry] + field_line[4]
        elif field_line and section == "images" and field_line[2] in ("image", "digest"):
            image, digest = images[entry]
            line = field_line[1] + (image if field_line[2] == "image" else digest) + field_line[4]
        out.append(line)
    return "".join(out)


@pytest.fixture(scope="module")
def pins_world(servers: Servers) -> PinsWorld:
    pins = yaml.safe_load(PINS_FILE.read_text(encoding="utf-8"))
    now = datetime.now(UTC)
    git_base = servers.git_base
    lines: dict[str, Line] = {}
    hooks: dict[str, str] = {}
    for section in ("actions", "hooks"):
        for name, entry in pins[section].items():
            repo = str(entry["repo"])
            if section == "actions":
                path, url = f"pins/{repo}", f"{git_base}/pins/{repo}"
            else:
                path = f"pins/hooks/{repo.removeprefix('https://github.com/')}"
                url = hooks[name] = f"{git_base}/{path}"
            current = str(entry["version"])
            newer, young, next_line = releases_for(current)
            plan = Plan(
                [
                    Release(current, now - timedelta(days=90)),
                    Release(newer, now - timedelta(days=40)),
                    Release(next_line, now - timedelta(days=20)),
                    Release(young, now - timedelta(days=2)),
                ]
            )
            made = build(servers.base / f"{path}.git", plan)
            lines[f"{section}.{name}"] = Line(url, current, newer, young, next_line, made)

    wanted: dict[str, tuple[str, str]] = {}
    for name, entry in pins["images"].items():
        parts = image_name(f"{entry['image']}:{entry['tag']}")
        assert parts is not None
        registry, path, tag = parts
        wanted[name] = (loopback_name(registry, path, namespace="pins"), tag)
    pushed = push_images(servers.registry, servers.work / "pins-layouts", sorted(wanted.values()))
    images: dict[str, tuple[str, str, str]] = {}
    for name, (image, tag) in wanted.items():
        first = pushed[f"{image}:{tag}"].digest
        images[name] = (f"{servers.registry.host}/{image}", first, first)
    repushed = "python"
    image, tag = wanted[repushed]
    again = push_images(servers.registry, servers.work / "pins-repushed", [(image, tag)], content="repushed")
    images[repushed] = (images[repushed][0], images[repushed][1], again[f"{image}:{tag}"].digest)
    assert images[repushed][2] != images[repushed][1]

    original = rewrite_pins(
        PINS_FILE.read_text(encoding="utf-8"),
        hooks,
        {name: (image, first) for name, (image, first, _) in images.items()},
    )
    env = _env(servers.work / "pins-cache", servers.work / "pins-home")
    return PinsWorld(servers, original, lines, images, repushed, env)


def _today() -> set[str]:
    return {datetime.now(UTC).strftime("%Y-%m-%d")}


def test_pins_update_dry_run_lists_every_change_writes_nothing_and_exits_1(
    pins_world: PinsWorld, tmp_path: Path
) -> None:
    target = tmp_path / "pins.yml"
    target.write_text(pins_world.original, encoding="utf-8")
    run = pins_world.update(target, "--dry-run")
    assert run.returncode == 1, run.stdout + run.stderr
    assert target.read_text(encoding="utf-8") == pins_world.original
    before = yaml.safe_load(pins_world.original)
    for label, line in pins_world.lines.items():
        section, name = label.split(".", 1)
        old = before[section][name]
        said = f"{label}: {old['version']} {old['sha'][:12]} -> {line.newer} {line.commits[line.newer][:12]}"
        assert said in run.stdout.splitlines(), said
    changes = len(pins_world.lines) + 1
    assert run.stdout.splitlines()[-1] == f"{target}: {changes} pin(s) would change (--dry-run)"


def test_pins_update_takes_the_newest_release_of_each_line_past_the_cooldown_and_the_new_digest(
    pins_world: PinsWorld, tmp_path: Path
) -> None:
    days = _today()
    target = tmp_path / "pins.yml"
    target.write_text(pins_world.original, encoding="utf-8")
    run = pins_world.update(target)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == f"{target}: {len(pins_world.lines) + 1} pin(s) updated"
    text = target.read_text(encoding="utf-8")
    after, before = yaml.safe_load(text), yaml.safe_load(pins_world.original)
    days |= _today()
    for label, line in pins_world.lines.items():
        section, name = label.split(".", 1)
        entry = after[section][name]
        assert entry["version"] == line.newer, label
        assert entry["version"] not in (line.young, line.next_line), label
        assert entry["sha"] == line.commits[line.newer], label
        note = f"{line.young} is 2 days old (cooldown 7 days); took {line.newer}"
        assert entry["verified"] in {f"scaffold pins update on {day}: git ls-remote {line.url}; {note}" for day in days}
        assert {key: value for key, value in entry.items() if key not in ("version", "sha", "verified")} == {
            key: value for key, value in before[section][name].items() if key not in ("version", "sha", "verified")
        }
    for name, (image, first, now) in pins_world.images.items():
        entry = after["images"][name]
        assert entry["image"] == image
        if name == pins_world.repushed:
            assert entry["digest"] == now != first
            manifest = f"http://{image.split('/', 1)[0]}/v2/{image.split('/', 1)[1]}/manifests/{entry['tag']}"
            assert entry["verified"] in {f"scaffold pins update on {day}: HEAD {manifest}" for day in days}
        else:
            assert entry == before["images"][name], name
    assert after["tools"] == before["tools"]


def test_pins_update_keeps_every_comment_and_line_and_changes_only_the_pinned_values(
    pins_world: PinsWorld, tmp_path: Path
) -> None:
    target = tmp_path / "pins.yml"
    target.write_text(pins_world.original, encoding="utf-8")
    assert pins_world.update(target).returncode == 0
    old, new = pins_world.original.splitlines(), target.read_text(encoding="utf-8").splitlines()
    assert len(new) == len(old)
    changed = [(before, after) for before, after in zip(old, new, strict=True) if before != after]
    assert all(re.match(r"    (version|sha|verified|digest): ", after) for _, after in changed), changed
    assert len(changed) == 3 * len(pins_world.lines) + 2
    assert [line for line in new if line.lstrip().startswith("#")] == [
        line for line in old if line.lstrip().startswith("#")
    ]
    assert any(line.startswith("#") for line in new)


def test_pins_update_a_second_time_has_nothing_to_change(pins_world: PinsWorld, tmp_path: Path) -> None:
    target = tmp_path / "pins.yml"
    target.write_text(pins_world.original, encoding="utf-8")
    assert pins_world.update(target).returncode == 0
    written = target.read_text(encoding="utf-8")
    again = pins_world.update(target)
    assert again.returncode == 0, again.stdout
    assert again.stdout.splitlines() == [f"{target}: every pin checked is current"]
    assert target.read_text(encoding="utf-8") == written


def test_pins_update_warns_about_a_pinned_commit_on_the_advisory_list_and_exits_1(
    pins_world: PinsWorld, tmp_path: Path
) -> None:
    listed = next(
        entry
        for entry in yaml.safe_load(ADVISORIES_FILE.read_text(encoding="utf-8"))["advisories"]
        if entry["action"] == "aquasecurity/trivy-action"
    )
    compromised, advisory = str(listed["commits"][0]), str(listed["advisory"])
    line = pins_world.lines["actions.trivy-action"]
    pinned = yaml.safe_load(pins_world.original)["actions"]["trivy-action"]["sha"]
    target = tmp_path / "pins.yml"
    target.write_text(pins_world.original.replace(pinned, compromised), encoding="utf-8")
    run = pins_world.update(target)
    assert run.returncode == 1, run.stdout + run.stderr
    warning = (
        f"warning: actions.trivy-action: the pinned commit is on the advisory list ({advisory}); "
        "move it off by hand if no newer release was taken"
    )
    assert warning in run.stdout.splitlines()
    assert sum(line.startswith("warning:") for line in run.stdout.splitlines()) == 1
    entry = yaml.safe_load(target.read_text(encoding="utf-8"))["actions"]["trivy-action"]
    assert entry["sha"] == line.commits[line.newer] != compromised
