"""``--pack SOURCE``: folders, bare repositories, file:// and git:// URLs served by a real git daemon, refs,
version tags, signed tags, and the sources refused before git ever runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scaffold.errors import UnsafePackError, UntrustedPackError, UsageError
from scaffold.packs import pack_git
from scaffold.packs.source import (
    MAX_SPEC_CHARS,
    Fetched,
    fetched,
    newest_version_tag,
    parse_source,
    split_ref,
    tag_version,
    version_key,
)
from tests.packs.gitserver import (
    Daemon,
    Entry,
    Executable,
    Link,
    PackRepo,
    Submodule,
    allowed_signers,
    clone,
    daemon_fixture,  # noqa: F401 (the daemon fixture)
    git,
    git_daemon,
    isolated_git,  # noqa: F401 (a fixture)
    pack_repo,
    port_is_closed,
    silent_server,
    ssh_key,
)
from tests.support.hang_guard import hang_guard

pytestmark = pytest.mark.usefixtures("isolated_git")

MANIFEST = "name: acme\nversion: {version}\nfiles: []\n"


def _files(version: str = "1.0.0", **extra: str) -> dict[str, str]:
    return {"pack.yml": MANIFEST.format(version=version), "templates/ci.yml.j2": "name: ci\n", **extra}


def _versioned_repo(folder: Path, *versions: str, name: str = "acme") -> PackRepo:
    """One commit per version, each tagged ``v<version>``, with pack.yml saying that version."""
    repo = PackRepo.create(folder / f"{name}.git")
    for version in versions:
        repo.tag(f"v{version}", repo.commit(_files(version), message=version))
    return repo


def _fetch(spec: str, *, require_signed: bool = False, allowed_signers: Path | None = None) -> None:
    """Fetch and let go at once: for the sources that must be refused."""
    with fetched(spec, require_signed=require_signed, allowed_signers=allowed_signers):
        pass


def _manifest(result: Fetched) -> str:
    return (result.folder / "pack.yml").read_text()


# Folders -----------------------------------------------------------------------------------------------------------


def test_a_folder_is_used_as_it_is_on_disk(tmp_path: Path) -> None:
    pack = tmp_path / "acme-pack"
    pack.mkdir()
    (pack / "pack.yml").write_text(MANIFEST.format(version="0.1.0"))
    with fetched(str(pack)) as result:
        assert result.folder == pack.resolve()
        assert (result.ref, result.commit, result.version, result.skipped) == (None, None, None, ())
        assert result.source == str(pack)
    assert (pack / "pack.yml").is_file(), "the user's own folder is never removed"


def test_a_relative_folder_is_recorded_as_the_user_wrote_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "acme-pack").mkdir()
    monkeypatch.chdir(tmp_path)
    source = parse_source("./acme-pack")
    assert (source.location, source.given) == (str(tmp_path.resolve() / "acme-pack"), "./acme-pack")
    assert not source.is_git
    with fetched("./acme-pack") as result:
        assert result.source == "./acme-pack"


def test_a_work_tree_is_read_on_disk_without_ref_and_through_git_with_one(tmp_path: Path) -> None:
    work = tmp_path / "work"
    bare = _versioned_repo(tmp_path, "1.0.0")
    clone(bare, work)
    (work / "pack.yml").write_text(MANIFEST.format(version="9.9.9"))  # an uncommitted edit
    with fetched(str(work)) as on_disk:
        assert parse_source(str(work)).is_git
        assert on_disk.folder == work.resolve()
        assert "9.9.9" in _manifest(on_disk)
        assert on_disk.commit is not None and len(on_disk.commit) == 40
    with fetched(f"{work}@v1.0.0") as tagged:
        assert tagged.folder != work.resolve()
        assert "1.0.0" in _manifest(tagged)
        assert (tagged.ref, tagged.version, tagged.source) == ("v1.0.0", "1.0.0", str(work))


@pytest.mark.parametrize("missing", ["does-not-exist", "does-not-exist@v1.0.0"])
def test_a_missing_folder_is_a_usage_error(tmp_path: Path, missing: str) -> None:
    with pytest.raises(UsageError, match="no such folder") as error:
        parse_source(str(tmp_path / missing))
    assert error.value.exit_code == 2


# Repositories ------------------------------------------------------------------------------------------------------


def test_a_bare_repository_path_is_read_at_its_newest_tag(tmp_path: Path) -> None:
    repo = _versioned_repo(tmp_path, "1.0.0", "1.1.0")
    with fetched(str(repo.bare)) as result:
        assert (result.ref, result.version) == ("v1.1.0", "1.1.0")
        assert "1.1.0" in _manifest(result)
        assert result.commit == repo_commit(repo, "v1.1.0")
        assert not (result.folder / "HEAD").exists(), "the files of the pack, not git's"
        folder = result.folder
    assert not folder.exists(), "the temporary copy is removed when the block ends"


def test_a_file_url_is_read_at_the_newest_semantic_version_not_the_last_in_string_order(tmp_path: Path) -> None:
    repo = _versioned_repo(tmp_path, "1.2.0", "1.10.0", "1.0.0")
    with fetched(repo.file_url) as result:
        assert (result.ref, result.version, result.source) == ("v1.10.0", "1.10.0", repo.file_url)
        assert "1.10.0" in _manifest(result)


def test_the_git_daemon_serves_a_pack_at_a_tag(daemon: tuple[Daemon, Path]) -> None:
    server, base = daemon
    repo = _versioned_repo(base, "1.0.0", "2.0.0")
    url = server.url("acme.git")
    with fetched(f"{url}@v1.0.0") as result:
        assert (result.source, result.ref, result.version) == (url, "v1.0.0", "1.0.0")
        assert result.commit == repo_commit(repo, "v1.0.0")
        assert "1.0.0" in _manifest(result)
    with fetched(url) as newest:
        assert newest.ref == "v2.0.0"


def test_the_daemon_is_stopped_when_its_block_ends_even_on_an_error(tmp_path: Path) -> None:
    base = tmp_path / "served"
    base.mkdir()
    with pytest.raises(RuntimeError, match="the test failed"), git_daemon(base) as server:
        assert not port_is_closed(server.port)
        raise RuntimeError("the test failed")
    assert server.process.poll() is not None
    assert port_is_closed(server.port)


def test_urls_and_scp_addresses_are_git_sources() -> None:
    scp = parse_source("git@git.acme.com:platform/pack@v1")
    assert (scp.location, scp.ref, scp.is_git, scp.kind) == ("git@git.acme.com:platform/pack", "v1", True, "scp")
    url = parse_source("ssh://git@git.acme.com:2222/platform/pack.git")
    assert (url.location, url.ref, url.is_git, url.kind) == (url.given, None, True, "url")


def test_a_version_series_picks_its_newest_release(tmp_path: Path) -> None:
    repo = _versioned_repo(tmp_path, "1.0.0", "1.4.0", "1.4.2", "2.0.0")
    for ref, tag in (("v1", "v1.4.2"), ("1", "v1.4.2"), ("v1.4", "v1.4.2"), ("v1.0", "v1.0.0"), ("v2", "v2.0.0")):
        with fetched(f"{repo.file_url}@{ref}") as result:
            assert (result.ref, result.version) == (tag, tag_version(tag)), ref


def test_a_tag_named_exactly_wins_over_a_series(tmp_path: Path) -> None:
    repo = _versioned_repo(tmp_path, "1.0.0", "1.1.0")
    repo.tag("v1", repo_commit(repo, "v1.0.0"))
    with fetched(f"{repo.file_url}@v1") as result:
        assert (result.ref, result.version) == ("v1", None)
        assert "1.0.0" in _manifest(result)


def test_a_version_ref_finds_the_tag_with_or_without_v(tmp_path: Path) -> None:
    repo = PackRepo.create(tmp_path / "plain.git")
    repo.tag("1.0.0", repo.commit(_files("1.0.0")))
    with fetched(f"{repo.file_url}@v1.0.0") as result:
        assert (result.ref, result.version) == ("1.0.0", "1.0.0")


def test_a_branch_and_a_commit_can_be_read(tmp_path: Path) -> None:
    repo = _versioned_repo(tmp_path, "1.0.0")
    feature = repo.commit(_files("1.1.0-dev"), branch="feature")
    with fetched(f"{repo.file_url}@feature") as branch:
        assert (branch.ref, branch.commit, branch.version) == ("feature", feature, None)
        assert "1.1.0-dev" in _manifest(branch)
    first = repo_commit(repo, "v1.0.0")
    for given in (first, first[:10]):
        with fetched(f"{repo.file_url}@{given}") as commit:
            assert (commit.ref, commit.commit, commit.version) == (first, first, None)
            assert "1.0.0" in _manifest(commit)


def test_a_prerelease_is_never_chosen_by_itself(tmp_path: Path) -> None:
    repo = _versioned_repo(tmp_path, "1.0.0", "1.1.0-rc.1")
    with fetched(repo.file_url) as result:
        assert result.ref == "v1.0.0"
    with fetched(f"{repo.file_url}@v1.1.0-rc.1") as asked:
        assert (asked.ref, asked.version) == ("v1.1.0-rc.1", "1.1.0-rc.1")
    only = _versioned_repo(tmp_path, "2.0.0-beta", name="preview")
    with pytest.raises(UsageError, match=r"only pre-release version tags \(newest v2\.0\.0-beta\)"):
        _fetch(only.file_url)


def test_a_repository_without_a_version_tag_is_refused(tmp_path: Path) -> None:
    repo = pack_repo(tmp_path, _files(), tags=("latest",))
    with pytest.raises(UsageError, match=r"has no version tag; tag a release like v1\.0\.0 or pass @REF") as error:
        _fetch(repo.file_url)
    assert error.value.exit_code == 2


@pytest.mark.parametrize("ref", ["v9.9.9", "nope", "abcdef0123"])
def test_an_unknown_ref_is_refused(tmp_path: Path, ref: str) -> None:
    repo = _versioned_repo(tmp_path, "1.0.0")
    with pytest.raises(UsageError) as error:
        _fetch(f"{repo.file_url}@{ref}")
    assert ref in str(error.value)
    assert error.value.exit_code == 2


def test_an_unreachable_repository_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="git could not read the repository"):
        _fetch((tmp_path / "nothing.git").as_uri())


def test_a_server_that_never_answers_is_given_up_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pack_git, "TIMEOUT_SECONDS", 2)
    with silent_server() as port, hang_guard(), pytest.raises(UsageError, match="did not finish within 2 s"):
        _fetch(f"git://127.0.0.1:{port}/acme.git")


# What the pack's tree may hold -------------------------------------------------------------------------------------


def test_symlinks_and_submodules_are_skipped_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    files: dict[str, Entry] = {
        **_files(),
        "templates/leak.j2": Link(str(secret)),
        "vendor/base": Submodule(),
        "bin/check": Executable("#!/bin/sh\n"),
    }
    repo = pack_repo(tmp_path, files, tags=("v1.0.0",))
    with fetched(repo.file_url) as result:
        assert not (result.folder / "templates" / "leak.j2").exists()
        assert not (result.folder / "templates" / "leak.j2").is_symlink()
        assert not (result.folder / "vendor").exists()
        assert result.skipped == ("templates/leak.j2 (a symlink)", "vendor/base (a submodule)")
        assert (result.folder / "templates" / "ci.yml.j2").read_text() == "name: ci\n"
        assert os.access(result.folder / "bin" / "check", os.X_OK)
        assert not os.access(result.folder / "pack.yml", os.X_OK)


@pytest.mark.parametrize("hostile", [".GIT/config", ".git/hooks/post-checkout", "../escape.txt", "a/../../escape.txt"])
def test_a_tree_entry_that_git_checkout_would_misplace_is_refused(tmp_path: Path, hostile: str) -> None:
    repo = pack_repo(tmp_path / "repos", {**_files(), hostile: "[core]\n\tfsmonitor = touch pwned\n"}, tags=("v1.0.0",))
    with pytest.raises(UnsafePackError, match="the pack path") as error:
        _fetch(repo.file_url)
    assert error.value.exit_code == 2
    assert not list(tmp_path.rglob("escape.txt"))


def test_a_pack_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    repo = pack_repo(tmp_path, {**_files(), "big.bin": b"\0" * (50 * 1024 * 1024 + 1)}, tags=("v1.0.0",))
    with pytest.raises(UsageError, match="larger than 50 MB"):
        _fetch(repo.file_url)


# Signed tags -------------------------------------------------------------------------------------------------------


@pytest.fixture
def signed(tmp_path: Path) -> tuple[PackRepo, Path, Path]:
    """A pack with v1.0.0 signed by the allowed key, v1.1.0 signed by another, v1.2.0 unsigned, v1.3.0
    lightweight, and a branch; and the allowed-signers file naming the first key."""
    keys = tmp_path / "keys"
    good, other = ssh_key(keys, "good"), ssh_key(keys, "other")
    repo = PackRepo.create(tmp_path / "signed.git")
    repo.tag("v1.0.0", repo.commit(_files("1.0.0")), key=good)
    repo.tag("v1.1.0", repo.commit(_files("1.1.0")), key=other)
    repo.tag("v1.2.0", repo.commit(_files("1.2.0")))
    repo.tag("v1.3.0", repo.commit(_files("1.3.0")), annotated=False)
    repo.branch("feature", repo_commit(repo, "v1.0.0"))
    return repo, allowed_signers(keys / "allowed_signers", {"platform@acme.example": good}), good


def test_a_tag_signed_by_an_allowed_key_is_accepted(signed: tuple[PackRepo, Path, Path]) -> None:
    repo, signers, _ = signed
    with fetched(f"{repo.file_url}@v1.0.0", require_signed=True, allowed_signers=signers) as result:
        assert (result.signer, result.version) == ("platform@acme.example", "1.0.0")
        assert "1.0.0" in _manifest(result)


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("v1.1.0", "signed by a key that is not in the allowed-signers file"),
        ("v1.2.0", "is not signed"),
        ("v1.3.0", "is a lightweight tag"),
        ("feature", "branch feature is not a tag"),
        ("", "v1.3.0 is a lightweight tag"),  # the newest tag is the one checked
    ],
)
def test_a_pack_that_is_not_signed_by_an_allowed_key_is_untrusted(
    signed: tuple[PackRepo, Path, Path], ref: str, reason: str
) -> None:
    repo, signers, _ = signed
    spec = f"{repo.file_url}@{ref}" if ref else repo.file_url
    with pytest.raises(UntrustedPackError, match=reason) as error:
        _fetch(spec, require_signed=True, allowed_signers=signers)
    assert error.value.exit_code == 4


def test_require_signed_refuses_a_folder_and_a_missing_signers_file(
    signed: tuple[PackRepo, Path, Path], tmp_path: Path
) -> None:
    repo, _, _ = signed
    folder = tmp_path / "folder-pack"
    folder.mkdir()
    with pytest.raises(UntrustedPackError, match="is a folder: it has no signed tag"):
        _fetch(str(folder), require_signed=True, allowed_signers=tmp_path / "any")
    with pytest.raises(UntrustedPackError, match="needs an allowed-signers file"):
        _fetch(f"{repo.file_url}@v1.0.0", require_signed=True)
    with pytest.raises(UntrustedPackError, match="does not exist"):
        _fetch(f"{repo.file_url}@v1.0.0", require_signed=True, allowed_signers=tmp_path / "nope")


# Sources refused before git runs -----------------------------------------------------------------------------------


def test_an_ext_transport_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    mark = tmp_path / "x"
    for spec in (f"ext::sh -c touch% {mark}", f"ext::sh -c touch%20{mark}", "fd::3", "EXT::sh"):
        with pytest.raises(UsageError, match=r"transport '\w+::' is not allowed"):
            _fetch(spec)
    assert not mark.exists()


@pytest.mark.parametrize(
    ("spec", "rule"),
    [
        ("-uhack", "may not start with '-'"),
        ("--upload-pack=touch /tmp/x", "may not start with '-'"),
        ("", "is empty"),
        ("x" * (MAX_SPEC_CHARS + 1), "longer than"),
        ("https://host/org/pack\n", "control or invisible"),
        ("https://host/org/\x1b[31mpack", "control or invisible"),
        ("https://git.acme.com/platform%2f..%2fevil/pack", "percent-encode"),
        ("https://git.acme.com/platform/%2e%2e/evil", "percent-encode"),
        ("https://git.acme.com%40evil.example/pack", "percent-encode"),
        ("https://git.acme.com%3a443/pack", "percent-encode"),
        ("https://git.acme.com/platform/%252e%252e/pack", "percent-encode"),
        ("https://git.acme.com/platform/../evil/pack", "'.' or '..' path parts"),
        ("git@git.acme.com:platform/../evil", "'.' or '..' path parts"),
        ("ftp://git.acme.com/pack", "scheme 'ftp://' is not allowed"),
        ("git+ssh://git.acme.com/pack", "scheme 'git+ssh://' is not allowed"),
        ("https://user:token@git.acme.com/pack", "password in the URL"),
        ("ssh://-oProxyCommand=x/pack", "may not start with '-'"),
        ("https://git.acme.com\\@evil.example/pack", "backslash"),
        ("https://git.acme.com/pack?x=1", "no query or fragment"),
        ("https:///pack", "names no host"),
        ("https://git.acme.com", "names no repository"),
        ("file://host/srv/pack", "file:///path"),
        ("https://git.acme.com/pack@", "nothing follows '@'"),
        ("https://git.acme.com/pack@-x", "not a tag, branch or commit name"),
        ("https://git.acme.com/pack@a..b", "not a tag, branch or commit name"),
        ("https://git.acme.com/pack@HEAD", "not a tag, branch or commit name"),
    ],
)
def test_a_source_that_breaks_a_rule_is_refused_with_the_rule(spec: str, rule: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_source(spec)
    message = str(error.value)
    assert message.startswith("--pack"), message
    assert rule in message
    assert "\n" not in message and "\x1b" not in message
    assert error.value.exit_code == 2


@pytest.mark.parametrize(
    ("spec", "location", "ref"),
    [
        ("git@github.com:org/pack", "git@github.com:org/pack", None),
        ("git@github.com:org/pack@v1", "git@github.com:org/pack", "v1"),
        ("git@github.com:pack@v1.2.0", "git@github.com:pack", "v1.2.0"),
        ("https://user@git.acme.com/org/pack", "https://user@git.acme.com/org/pack", None),
        ("https://user@git.acme.com/org/pack@main", "https://user@git.acme.com/org/pack", "main"),
        ("https://user@git.acme.com", "https://user@git.acme.com", None),
        ("ssh://git@host:2222/pack.git@abc1234", "ssh://git@host:2222/pack.git", "abc1234"),
        ("/srv/packs/acme@v1.0.0", "/srv/packs/acme", "v1.0.0"),
        ("./pack@2/.", "./pack@2/.", None),
        ("/srv/pack@dir/acme", "/srv/pack@dir/acme", None),
        ("[::1]:packs/acme@v2", "[::1]:packs/acme", "v2"),
    ],
)
def test_only_a_trailing_at_ref_is_a_ref(spec: str, location: str, ref: str | None) -> None:
    assert split_ref(spec) == (location, ref)


# Versions ----------------------------------------------------------------------------------------------------------


def test_versions_order_as_semantic_versions() -> None:
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0", "1.2.0"]
    ordered += ["v1.10.0", "2.0.0+build.5"]
    assert sorted(reversed(ordered), key=version_key) == ordered
    assert newest_version_tag(["v1.0.0", "v1.10.0", "v1.2.0", "v1.11.0-rc.1", "latest"]) == "v1.10.0"
    assert newest_version_tag(["v1.0.0", "v2.0.0"], series="v1") == "v1.0.0"
    assert newest_version_tag(["v01.0.0", "1.0", "release"]) is None
    tags = ("v1.2.0", "1.2.0", "v1.2", "1.2.0-rc1")
    assert [tag_version(tag) for tag in tags] == ["1.2.0", "1.2.0", None, "1.2.0-rc1"]


def repo_commit(repo: PackRepo, ref: str) -> str:
    return git(repo.bare, "rev-parse", f"{ref}^{{commit}}")
