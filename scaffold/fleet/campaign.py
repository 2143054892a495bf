"""One repository's upgrade on a new branch: the same upgrade as ``scaffold upgrade``, made in a separate work tree
and committed there, then published as the branch in one step.

The user's checkout is never touched: the upgrade runs in a ``git worktree`` of HEAD in scaffold's own folder. The
branch is created only after the commit exists (``git branch NAME COMMIT`` is one ref update), so a run killed at any
moment leaves either no branch or the whole upgrade; a stale work tree from a killed run is removed before the next
attempt. A repository with conflicts or blocked weakenings gets no branch: it is reported, never forced."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from scaffold import api
from scaffold.errors import ScaffoldError, UsageError
from scaffold.fleet import description, forge
from scaffold.fleet.model import PackInfo, RepoResult, UpgradedFile, UpgradeInfo, Weaker
from scaffold.fleet.status import PackOptions, one_line
from scaffold.kit.record import RECORD_PATH, read_record
from scaffold.packs.pack_git import PackGitError, run_pack_git
from scaffold.untrusted.git import GitError, check_configuration, run_git
from scaffold.untrusted.text import printable
from scaffold.upgrade.plan import Status
from scaffold.upgrade.results import UpgradeResult

PUSH_TIMEOUT_SECONDS = 300
_FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "scaffold fleet",
    "GIT_AUTHOR_EMAIL": "scaffold@localhost",
    "GIT_COMMITTER_NAME": "scaffold fleet",
    "GIT_COMMITTER_EMAIL": "scaffold@localhost",
}
# Keys of a repository's own configuration (local, work tree, and the files they include) that name a program git
# would run while pushing, or send the push elsewhere. Hooks and fsmonitor are switched off on the command line.
_PUSH_PROGRAMS = re.compile(
    r"^(?:credential\..*helper|core\.(?:sshcommand|gitproxy|askpass)"
    r"|remote\..+\.(?:receivepack|uploadpack|proxy|vcs)|url\..+\.(?:insteadof|pushinsteadof)|gpg\..*program)$"
)


@dataclass(frozen=True)
class UpgradeOptions:
    branch: str
    run: int
    work: Path
    """scaffold's own folder for work trees and pull-request descriptions (never inside a repository)."""
    pack: PackOptions
    settings: tuple[str, ...] = ()
    answers_file: Path | None = None
    push: bool = False
    open_prs: bool = False
    command: str = ""
    """The ``scaffold upgrade`` command line this upgrade equals, for the description."""


def upgrade_repository(path: Path, base: RepoResult, options: UpgradeOptions, key: str) -> RepoResult:
    """Upgrade the kit in ``path`` on ``options.branch``; every failure is this repository's error line."""
    try:
        return _upgrade(path, base, options, key)
    except (ScaffoldError, GitError, OSError) as error:
        return _failed(base, one_line(error))


def _failed(base: RepoResult, error: str, info: UpgradeInfo | None = None) -> RepoResult:
    upgrade = info or UpgradeInfo(outcome="error")
    return base.model_copy(update={"state": "error", "error": error, "upgrade": upgrade})


def _upgrade(path: Path, base: RepoResult, options: UpgradeOptions, key: str) -> RepoResult:
    root = _toplevel(path)
    if not (path / RECORD_PATH).exists():
        return _failed(base, "not a scaffold repository (no .scaffold.yml): take it on with 'scaffold adopt' first")
    record = read_record(path)
    base = base.model_copy(
        update={"pack": PackInfo(name=record.pack_name, version=record.pack_version, source=record.pack_source)}
    )
    _require_own_repository(root)
    done = _finished_earlier(root, options, key)
    if done is not None:
        return done(base)
    try:
        head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except GitError:
        raise UsageError("the repository has no commit yet: there is nothing to branch from") from None
    tree = options.work / "trees" / key
    with _work_tree(root, tree, head):
        kit = tree / os.path.relpath(path.resolve(), root.resolve())
        with api.repository_pack(
            path=kit,
            spec=options.pack.pack,
            trust=options.pack.trust,
            require_signed=options.pack.require_signed,
            allowed_signers=options.pack.allowed_signers,
        ) as pack:
            result = api.upgrade(path=kit, answers_file=options.answers_file, settings=options.settings, pack=pack)
        body = description.describe(result, settings=options.settings, command=options.command)
        info = _info(result, options, body)
        if result.blocked:
            return base.model_copy(
                update={"state": "blocked", "upgrade": info.model_copy(update={"outcome": "blocked"})}
            )
        if result.conflicts:
            return base.model_copy(
                update={"state": "conflicts", "upgrade": info.model_copy(update={"outcome": "conflicts"})}
            )
        if not _git(tree, "status", "--porcelain", "--untracked-files=all"):
            return base.model_copy(
                update={"state": "current", "upgrade": info.model_copy(update={"outcome": "current"})}
            )
        commit = _commit(tree, description.commit_message(result, body, options.run, key))
    _git(root, "branch", "--no-track", "--", options.branch, commit)
    info = info.model_copy(update={"outcome": "upgraded", "branch": options.branch, "commit": commit})
    return _published(base.model_copy(update={"state": "upgraded", "upgrade": info}), root, options, key, result)


def _published(result: RepoResult, root: Path, options: UpgradeOptions, key: str, done: UpgradeResult) -> RepoResult:
    """Push the branch and print (or run) the pull-request command, as asked."""
    info = result.upgrade
    assert info is not None  # noqa: S101 (set by the caller)
    body_file = options.work / "descriptions" / f"{key}.md"
    body_file.parent.mkdir(parents=True, exist_ok=True)
    body_file.write_text(info.description, encoding="utf-8")
    remote = _remote_url(root)
    base_branch = _current_branch(root)
    request = forge.pull_request(
        options.work,
        remote,
        branch=options.branch,
        base=base_branch,
        title=description.title(done),
        body_file=body_file,
    )
    info = info.model_copy(update={"pr_command": request.shown})
    if not options.push:
        return result.model_copy(update={"upgrade": info})
    if remote is None:
        return _failed(result, "upgraded on its branch, but not pushed: the repository has no 'origin' remote", info)
    try:
        _push(root, options.branch)
    except (PackGitError, UsageError) as error:
        return _failed(result, f"upgraded on its branch, but the push failed: {one_line(error)}", info)
    info = info.model_copy(update={"pushed": True})
    if options.open_prs:
        url, why = forge.open_pull_request(request)
        info = info.model_copy(update={"pr_url": url})
        if why is not None:
            return result.model_copy(update={"upgrade": info, "error": f"pull request not opened: {why}"})
    return result.model_copy(update={"upgrade": info})


def _info(result: UpgradeResult, options: UpgradeOptions, body: str) -> UpgradeInfo:
    return UpgradeInfo(
        outcome="error",
        from_version=result.from_version,
        to_version=result.to_version,
        files=[
            UpgradedFile(path=o.path, status=o.status.value, conflicts=o.conflicts)
            for o in result.outcomes
            if o.status is not Status.UNCHANGED
        ],
        conflicts=[o.path for o in result.conflicts],
        blocked=[
            Weaker(path=w.path, line=w.line, rule=w.rule, control=w.control, message=w.message)
            for w in result.weakenings
        ],
        description=body,
    )


def _finished_earlier(root: Path, options: UpgradeOptions, key: str) -> Callable[[RepoResult], RepoResult] | None:
    """When the branch exists: this run made it before an interruption (its commit carries the run's trailer), or
    it is someone else's branch, which is never touched."""
    if not _ref_exists(root, f"refs/heads/{options.branch}"):
        return None
    message = _git(root, "log", "-1", "--format=%B", f"refs/heads/{options.branch}", "--")
    if description.run_trailer(options.run, key) not in message.splitlines():
        raise UsageError(f"branch {printable(options.branch, 100)} already exists; choose another --branch")
    commit = _git(root, "rev-parse", f"refs/heads/{options.branch}^{{commit}}")
    body = message.split("\n", 1)[1].rsplit(f"{description.TRAILER}:", 1)[0].strip() + "\n"

    def finished(base: RepoResult) -> RepoResult:
        info = UpgradeInfo(outcome="upgraded", branch=options.branch, commit=commit, description=body)
        return base.model_copy(update={"state": "upgraded", "upgrade": info})

    return finished


@contextlib.contextmanager
def _work_tree(root: Path, tree: Path, head: str) -> Iterator[None]:
    _remove_tree(root, tree)
    tree.parent.mkdir(parents=True, exist_ok=True)
    _git(root, "worktree", "add", "--detach", "--quiet", str(tree), head)
    try:
        yield
    finally:
        _remove_tree(root, tree)


def _remove_tree(root: Path, tree: Path) -> None:
    with contextlib.suppress(GitError):
        # twice: a work tree that a killed run left locked ("initializing") is removed too
        _git(root, "worktree", "remove", "--force", "--force", str(tree))
    shutil.rmtree(tree, ignore_errors=True)
    with contextlib.suppress(GitError):
        _git(root, "worktree", "prune")


def _commit(tree: Path, message: str) -> str:
    _git(tree, "add", "--all", "--", ".")
    identity = {} if _configured(tree, "user.email") and _configured(tree, "user.name") else _FALLBACK_IDENTITY
    run_git(tree, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "--file=-", stdin=message.encode(), env=identity)
    return _git(tree, "rev-parse", "HEAD")


def _push(root: Path, branch: str) -> None:
    check_configuration(root)  # a configuration file that is a FIFO or a device is refused, never read
    listing, _ = run_pack_git("config", "--list", "--includes", "--show-scope", "--name-only", work_tree=root)
    programs = [
        name
        for scope, _tab, name in (
            line.partition("\t") for line in listing.decode("utf-8", "replace").lower().splitlines()
        )
        if scope in ("local", "worktree") and _PUSH_PROGRAMS.match(name)
    ]
    if programs:
        raise UsageError(f"the repository's own git configuration sets {printable(programs[0], 100)}; not pushed")
    refspec = f"refs/heads/{branch}:refs/heads/{branch}"
    safe = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false")
    run_pack_git(*safe, "push", "--quiet", "--", "origin", refspec, work_tree=root, timeout=PUSH_TIMEOUT_SECONDS)


def _require_own_repository(root: Path) -> None:
    """The repository's git folder is its own: a ``.git`` file may point only at the main repository of a linked
    work tree that points back. A ``.git`` file that names another repository would put the branch there."""
    git_dir = Path(_git(root, "rev-parse", "--absolute-git-dir"))
    if git_dir.resolve().is_relative_to(root.resolve()):
        return
    back = git_dir / "gitdir"  # a linked work tree's own record of where its .git file is
    try:
        points_back = Path(back.read_text(encoding="utf-8").strip()).resolve() == (root / ".git").resolve()
    except OSError:
        points_back = False
    if not points_back:
        raise UsageError(
            f"its .git names another repository ({printable(str(git_dir), 200)}); run the fleet on that one itself"
        )


def _toplevel(path: Path) -> Path:
    try:
        return Path(_git(path, "rev-parse", "--show-toplevel"))
    except GitError:
        pass
    try:
        bare = _git(path, "rev-parse", "--is-bare-repository") == "true"
    except GitError:
        bare = False
    if bare:
        raise UsageError("a bare repository has no files to upgrade: run the fleet on a clone of it, or on its URL")
    raise UsageError("not a git repository: fleet upgrade commits on a branch")


def _remote_url(root: Path) -> str | None:
    try:
        return _git(root, "config", "--get", "remote.origin.url") or None  # as written: the forge's own URL
    except GitError:
        return None


def _current_branch(root: Path) -> str:
    try:
        return _git(root, "symbolic-ref", "--quiet", "--short", "HEAD") or "main"
    except GitError:
        return "main"


def _configured(folder: Path, key: str) -> bool:
    try:
        return bool(_git(folder, "config", "--get", key))
    except GitError:
        return False


def _ref_exists(root: Path, ref: str) -> bool:
    try:
        _git(root, "rev-parse", "--verify", "--quiet", ref)
    except GitError:
        return False
    return True


def _git(folder: Path, *args: str) -> str:
    return run_git(folder, *args, limit=1024 * 1024).decode("utf-8", "replace").strip()
