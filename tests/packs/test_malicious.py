"""The malicious-pack suite: hostile packs, written by the tests, that must be refused with one line (exit 2) or
rendered inert, with nothing written outside the output folder and nothing at all when refused.

The classes are the ones copier's 2025-26 security fixes closed, and the ones a renderer of untrusted templates
has to close anyway: sandbox escapes through attribute access, string formatting and the globals; what the
finalizer lets out (a raw answer, Markup, a function); YAML tags and bombs in ``pack.yml`` and data files;
includes and symlinks that reach outside the pack, and files that are not files; output paths that climb out, into
``.git`` or through a symlink in the output folder; renders that never end or never stop growing; delimiters that
cannot be told apart.

Each case runs through the CLI (``scaffold new --pack DIR --defaults``) and, for a whole pack, through the library
(``load_pack`` + ``scaffold.api.new``). HOME and the XDG folders point into the test's folder, so the snapshot of that
folder covers everything a run could write.

The other classes of hostile pack have their own suites: a pack from a git URL (encoded-URL trust bypass,
``ext::`` and option-like sources, symlinks, submodules and ``.GIT`` paths in a fetched tree) in test_source.py and
test_tree_export.py; look-alike trusted sources in test_settings.py; signatures and moved tags in test_signature.py
and test_end_to_end.py; cookiecutter sandbox escapes, hooks and ``_extensions`` in test_cookiecutter*.py; hostile
team manifests, records and trusted-hook answers through every command in test_hostile_packs.py.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from scaffold import api
from scaffold.cli import main
from scaffold.errors import ScaffoldError, UnsafePackError
from scaffold.kit import packs as pack_loader
from scaffold.kit.answers import validate
from scaffold.kit.packs import load_pack
from scaffold.kit.render import budget
from scaffold.kit.render.budget import RenderBudgetError
from tests.fuzz.hostile import snapshot
from tests.support.hang_guard import hang_guard

WHOLE = "name: evil\nversion: 1.0.0\n"
"""A whole pack of its own: it renders only its files."""
ONE_FILE = "files:\n  - template: t.j2\n    path: t.txt\n"
TEAM = "name: evil\nversion: 1.0.0\nextends: {pack: scaffold-default}\n"
"""A team pack: the built-in kit (which passes the audit gate, so the writer is reached) and its own files."""
TEAM_FILE = "files:\n  - template: templates/x.j2\n    path: docs/x.md\n"


@dataclass
class World:
    """The test's folder: the pack, the output folder (not created), a home, and a secret outside both."""

    root: Path
    pack: Path
    out: Path
    outside: Path

    def write(self, files: dict[str, str | bytes]) -> None:
        for relative, content in files.items():
            target = self.pack / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("SCAFFOLD_CONFIG", raising=False)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("TOKEN=s3cr3t\n")
    (outside / "secret.j2").write_text("TOKEN=s3cr3t\n")
    return World(tmp_path, tmp_path / "pack", tmp_path / "out", outside)


@dataclass(frozen=True)
class Outcome:
    code: int
    message: str
    error: ScaffoldError | None = None


def run_cli(world: World) -> Outcome:
    """``scaffold new --pack PACK --defaults -o OUT`` in process, under the hang guard; stderr is the message."""
    out, err = io.StringIO(), io.StringIO()
    argv = ["new", "--pack", str(world.pack), "--defaults", "-o", str(world.out)]
    with hang_guard(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return Outcome(code, err.getvalue())


def run_library(world: World) -> Outcome:
    """``load_pack`` and ``scaffold.api.new``, under the hang guard."""
    try:
        with hang_guard():
            api.new(output=world.out, answers=validate({}), pack=load_pack(world.pack))
    except ScaffoldError as error:
        return Outcome(error.exit_code, str(error), error)
    return Outcome(0, "")


ROUTES: dict[str, Callable[[World], Outcome]] = {"cli": run_cli, "library": run_library}


def refused(
    world: World, message: str, routes: tuple[str, ...] = ("cli", "library"), kind: type = UnsafePackError
) -> None:
    """Every route refuses the pack: exit 2, one line holding ``message``, the error of class ``kind``, and not one
    entry of the test's folder changed (the output folder not even created)."""
    before = snapshot(world.root)
    for route in routes:
        outcome = ROUTES[route](world)
        where = f"{route}: exit {outcome.code}: {outcome.message!r}"
        assert outcome.code == 2, where
        assert message in outcome.message, where
        assert len(outcome.message.strip().splitlines()) == 1, where
        assert "Traceback" not in outcome.message and "\x1b" not in outcome.message, where
        if outcome.error is not None:
            assert isinstance(outcome.error, kind), where
        assert snapshot(world.root) == before, f"{route} wrote something"
        assert not world.out.exists()


def written_only_to_the_output(world: World) -> dict[str, str]:
    """Run the CLI, which must succeed; return what it wrote. Nothing outside the output folder may change."""
    before = snapshot(world.root)
    outcome = run_cli(world)
    assert outcome.code == 0, outcome.message
    after = snapshot(world.root)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert changed and all(path == "out" or path.startswith("out/") for path in changed), sorted(changed)
    return {
        path.relative_to(world.out).as_posix(): path.read_text(encoding="utf-8")
        for path in world.out.rglob("*")
        if path.is_file() and not path.is_symlink()
    }


# --- sandbox escapes: attribute access, string formatting, globals, the context's functions ---------------------

UNSAFE = "is unsafe"
UNDEFINED = "is undefined"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[[ answers.__class__ ]]", f"access to attribute '__class__' of 'dict' object {UNSAFE}"),
        ("[[ ''.__class__.__mro__[1].__subclasses__() ]]", f"'__class__' of 'str' object {UNSAFE}"),
        ("[[ uses.__globals__ ]]", f"'__globals__' of 'function' object {UNSAFE}"),
        ("[[ uses.__closure__[0].cell_contents ]]", f"'__closure__' of 'function' object {UNSAFE}"),
        ("[[ image.__code__ ]]", f"'__code__' of 'function' object {UNSAFE}"),
        ("[[ tool.__defaults__ ]]", f"'__defaults__' of 'function' object {UNSAFE}"),
        ("[[ hook.__self__ ]]", f"'__self__' of 'method' object {UNSAFE}"),
        ("[[ hook.__func__.__globals__ ]]", f"'__func__' of 'method' object {UNSAFE}"),
        ("[[ pack.__class__ ]]", f"'__class__' of 'dict' object {UNSAFE}"),
        ("[[ data.__class__ ]]", f"'__class__' of 'dict' object {UNSAFE}"),
        ("[[ cycler.__init__.__globals__.os ]]", f"'__init__' of 'type' object {UNSAFE}"),
        ("[[ joiner.__init__.__globals__ ]]", f"'__init__' of 'type' object {UNSAFE}"),
        ("[[ namespace.__init__.__globals__ ]]", f"'__init__' of 'type' object {UNSAFE}"),
        ("[[ joiner ]]", "a type is output directly"),
        ("[[ namespace ]]", "a type is output directly"),
        ("[[ lipsum.__globals__ ]]", f"'lipsum' {UNDEFINED}"),
        (
            "[[ self._TemplateReference__context ]]",
            f"'_TemplateReference__context' of 'TemplateReference' object {UNSAFE}",
        ),
        ("[[ self.__init__.__globals__ ]]", f"'__init__' of 'TemplateReference' object {UNSAFE}"),
        ("[[ '{0.__class__}'.format(answers) ]]", f"'__class__' of 'dict' object {UNSAFE}"),
        ("[[ '{a.__class__}'.format_map({'a': answers}) ]]", f"'__class__' of 'dict' object {UNSAFE}"),
        ("[[ ('{0.__class__}' | attr('format'))(answers) ]]", f"'__class__' of 'dict' object {UNSAFE}"),
        ("[[ answers | attr('__class__') ]]", f"'__class__' of 'dict' object {UNSAFE}"),
        ("[[ [answers] | map(attribute='__class__') | first ]]", f"'__class__' of 'dict' object {UNSAFE}"),
        ("[% for x in [1] %][[ loop.__class__ ]][% endfor %]", f"'__class__' of 'LoopContext' object {UNSAFE}"),
        ("[[ range.__self__ ]]", "has no attribute '__self__'"),
        ("[[ answers.update({'name': 'x'}) ]]", f"'update' of 'dict' object {UNSAFE}"),
        ("[[ answers.name.encode() ]]", f"'encode' of 'Tainted' object {UNSAFE}"),
        ("[[ environment ]]", f"'environment' {UNDEFINED}"),
        ("[[ context ]]", f"'context' {UNDEFINED}"),
        ("[% import 'os' as os %]", "os"),
        ("[% extends '/etc/passwd' %]", "/etc/passwd"),
    ],
)
def test_a_sandbox_escape_is_refused_naming_the_template(world: World, source: str, message: str) -> None:
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": source})
    refused(world, message)
    refused(world, "template t.j2")


def test_a_team_pack_renders_in_the_same_sandbox(world: World) -> None:
    world.write({"pack.yml": TEAM + TEAM_FILE, "templates/x.j2": "[[ cycler.__init__.__globals__.os ]]\n"})
    refused(world, f"template templates/x.j2: access to attribute '__init__' of 'type' object {UNSAFE}", ("cli",))


@pytest.mark.parametrize(
    ("field", "expression"),
    [("when", "answers.__class__.__mro__"), ("each", "cycler.__init__.__globals__.os.listdir('/')")],
)
def test_a_manifest_expression_is_sandboxed_too(world: World, field: str, expression: str) -> None:
    manifest = WHOLE + ONE_FILE + f'    {field}: "{expression}"\n'
    world.write({"pack.yml": manifest, "t.j2": "x\n"})
    refused(world, f"pack.yml: {field} ")
    refused(world, f"access to attribute '__class__' of 'dict' object {UNSAFE}" if field == "when" else UNSAFE)


# --- the finalizer: what may reach the output --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[[ answers.name ]]", "is output without a quoting filter"),
        ("[[ answers.name | safe ]]", "is output without a quoting filter"),
        ("[[ answers.name | forceescape ]]", "is output without a quoting filter"),
        ("[[ ('%s' | safe) % answers.name ]]", "is output without a quoting filter"),
        ("[[ (answers.name | safe).__html__() ]]", "has no attribute '__html__'"),
        ("[% for char in answers.name %][[ char ]][% endfor %]", "is output without a quoting filter"),
        ("[[ answers.environments | map('upper') | join(',') ]]", "is output without a quoting filter"),
        ("[[ uses ]]", "a function is output directly"),
        ("[[ hook ]]", "a function is output directly"),
        ("[[ answers.items ]]", "a function is output directly"),
        ("[[ range(3) ]]", "a range is output directly"),
        ("[[ none ]]", "a NoneType is output directly"),
        ("[[ answers ]]", "a dict is output directly"),
    ],
)
def test_the_finalizer_lets_out_only_quoted_answers_text_and_numbers(world: World, source: str, message: str) -> None:
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": source})
    refused(world, message)


# --- YAML: tags and bombs in pack.yml and in data files ---------------------------------------------------------

BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join(["*" + chr(97 + i)] * 9) + "]\n" for i in range(8)
)
MERGE_BOMB = "m0: &m0 {x: 1, y: 2}\n" + "".join(
    f"m{i}: &m{i}\n  <<: [" + ", ".join([f"*m{i - 1}"] * 9) + "]\n" for i in range(1, 9)
)


def _python_tags(marker: Path) -> list[str]:
    return [
        f"!!python/object/apply:os.system ['touch {marker}']",
        f"!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "!!python/name:os.system",
        "!!python/module:os",
    ]


@pytest.mark.parametrize("index", range(4))
def test_a_python_tag_in_pack_yml_is_refused_and_never_runs(world: World, index: int) -> None:
    tag = _python_tags(world.root / "pwned")[index]
    world.write({"pack.yml": WHOLE + f"description: {tag}\n" + ONE_FILE, "t.j2": "x\n"})
    refused(world, "pack: manifest 'pack.yml' is not valid YAML: could not determine a constructor for the tag")
    assert not (world.root / "pwned").exists()


@pytest.mark.parametrize("index", range(4))
def test_a_python_tag_in_a_data_file_is_refused_and_never_runs(world: World, index: int) -> None:
    tag = _python_tags(world.root / "pwned")[index]
    world.write({"pack.yml": WHOLE + "data: [d.yml]\n" + ONE_FILE, "t.j2": "x\n", "d.yml": f"key: {tag}\n"})
    refused(world, "pack: data file 'd.yml' is not valid YAML: could not determine a constructor for the tag")
    assert not (world.root / "pwned").exists()


def test_a_python_tag_in_a_team_pack_yml_is_refused(world: World) -> None:
    tag = _python_tags(world.root / "pwned")[0]
    world.write({"pack.yml": TEAM + f"description: {tag}\n", "templates/x.j2": "x\n"})
    refused(world, "is not valid YAML: could not determine a constructor for the tag", ("cli",))
    assert not (world.root / "pwned").exists()


@pytest.mark.parametrize(
    ("where", "text", "message"),
    [
        ("pack.yml", "description: !include /etc/passwd\n", "could not determine a constructor for the tag '!include'"),
        ("pack.yml", BILLION_LAUGHS, "aliases expand to more than"),
        ("pack.yml", MERGE_BOMB, "aliases expand to more than"),
        ("pack.yml", "files: " + "[" * 10_000, "maximum nesting depth"),
        ("d.yml", BILLION_LAUGHS, "aliases expand to more than"),
        ("d.yml", MERGE_BOMB, "aliases expand to more than"),
        ("d.yml", "a: &a [*a]\n", "is not valid YAML"),
        ("d.yml", "key: !vault secret\n", "could not determine a constructor for the tag '!vault'"),
    ],
)
def test_yaml_bombs_and_custom_tags_are_refused_quickly(world: World, where: str, text: str, message: str) -> None:
    manifest = WHOLE + "data: [d.yml]\n" + ONE_FILE
    files = {"pack.yml": manifest, "t.j2": "x\n", "d.yml": "key: value\n"}
    files[where] = manifest + text if where == "pack.yml" else text
    world.write(files)
    refused(world, message)


# --- includes, symlinks and files that are not files --------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "[% include '/etc/passwd' %]",
        "[% include '../outside/secret.j2' %]",
        "[% include '../../outside/secret.j2' %]",
        "[% include 'linked/secret.j2' %]",
        "[% import '/etc/passwd' as p %]",
        "[% from '../outside/secret.j2' import x %]",
    ],
)
def test_an_include_reaches_only_the_packs_own_templates(world: World, source: str) -> None:
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": source})
    (world.pack / "linked").symlink_to(world.outside, target_is_directory=True)
    target = source.split("'")[1]
    refused(world, f"template t.j2: {target}")


def _link(world: World, relative: str, target: Path | str) -> None:
    link = world.pack / relative
    link.unlink(missing_ok=True)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _fifo(world: World, relative: str) -> None:
    (world.pack / relative).unlink()
    os.mkfifo(world.pack / relative)


def _folder(world: World, relative: str) -> None:
    (world.pack / relative).unlink()
    (world.pack / relative).mkdir()


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        (lambda w: _link(w, "t.j2", w.outside / "secret.j2"), "pack: template 't.j2' resolves outside the pack"),
        (lambda w: _link(w, "t.j2", "/etc/passwd"), "pack: template 't.j2' resolves outside the pack"),
        (lambda w: _link(w, "macros.j2", w.outside / "secret.j2"), "pack: template 'macros.j2' resolves outside"),
        (lambda w: _link(w, "d.yml", w.outside / "secret.txt"), "pack: data file 'd.yml' resolves outside the pack"),
        (lambda w: _link(w, "t.j2", "t.j2"), "pack: template 't.j2' cannot be resolved (symlink loop?)"),
        (lambda w: _link(w, "t.j2", "/dev/zero"), "pack: template 't.j2' resolves outside the pack"),
        (lambda w: _fifo(w, "t.j2"), "pack: template 't.j2' is not a regular file (a FIFO"),
        (lambda w: _fifo(w, "d.yml"), "pack: data file 'd.yml' is not a regular file (a FIFO"),
        (lambda w: _folder(w, "t.j2"), "pack: template 't.j2' "),
        (lambda w: (w.pack / "t.j2").write_text("x" * (pack_loader.MAX_FILE_BYTES + 1)), "pack: template 't.j2' "),
    ],
    ids=["outside", "passwd", "macro-outside", "data-outside", "loop", "device", "fifo", "data-fifo", "folder", "huge"],
)
def test_a_template_or_data_file_that_is_not_a_file_of_the_pack_is_refused(
    world: World, arrange: Callable[[World], object], message: str
) -> None:
    world.write({"pack.yml": WHOLE + "data: [d.yml]\n" + ONE_FILE, "t.j2": "x\n", "d.yml": "key: value\n"})
    arrange(world)
    refused(world, message)


def test_a_symlinked_folder_leading_outside_is_not_walked(world: World) -> None:
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": "[% include 'linked/secret.j2' %]"})
    (world.pack / "linked").symlink_to(world.outside, target_is_directory=True)
    (world.pack / "loop").symlink_to(world.pack, target_is_directory=True)
    assert not [name for name in load_pack(world.pack).templates if "secret" in name or "loop" in name]
    refused(world, "template t.j2: linked/secret.j2")


def test_a_symlink_inside_the_pack_is_followed(world: World) -> None:
    world.write({"pack.yml": TEAM + TEAM_FILE, "templates/real.j2": "shared [[ answers.name | md ]]\n"})
    _link(world, "templates/x.j2", "real.j2")
    files = written_only_to_the_output(world)
    assert files["docs/x.md"] == "shared `out`\n"


# --- traversal: where a pack may write ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("../outside/secret.j2", "pack: template '../outside/secret.j2' must be a relative path inside the pack"),
        ("../../etc/passwd", "must be a relative path inside the pack"),
        ("/etc/passwd", "pack: template '/etc/passwd' must be a relative path inside the pack"),
        ("a\\\\..\\\\..\\\\x.j2", "must be a plain relative path inside the pack"),
    ],
)
def test_a_template_path_outside_the_pack_is_refused(world: World, template: str, message: str) -> None:
    world.write({"pack.yml": WHOLE + f'files:\n  - template: "{template}"\n    path: t.txt\n'})
    refused(world, message)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../x", "escapes the output directory"),
        ("../../outside/secret.txt", "escapes the output directory"),
        ("a/../../x", "escapes the output directory"),
        ("/abs/x", "escapes the output directory"),
        (".git/hooks/pre-commit", "the path must not be or be under .git"),
        (".GIT/config", "the path must not be or be under .git"),
        ("sub/.git/config", "the path must not be or be under .git"),
        ("git~1/config", "the path must not be or be under .git"),
        (".scaffold-upgrade/x", "must not be .scaffold-upgrade"),
        ("a\\0b", "is not a plain relative path"),
        ("..\\\\..\\\\x", "is not a plain relative path"),
        ("[[ '..' ]]/x", "escapes the output directory"),
        ("[[ answers.name ]]/x", "is output without a quoting filter"),
        ("[[ answers.name | path ]]/[[ '../' * 3 ]]x", "escapes the output directory"),
    ],
)
def test_an_output_path_that_leaves_the_output_folder_is_refused(world: World, path: str, message: str) -> None:
    world.write({"pack.yml": WHOLE + f'files:\n  - template: t.j2\n    path: "{path}"\n', "t.j2": "x\n"})
    refused(world, message)


def test_a_path_from_an_each_item_that_climbs_is_refused(world: World) -> None:
    manifest = (
        WHOLE + "data: [d.yml]\n" + 'files:\n  - template: t.j2\n    path: "[[ item ]]/x"\n    each: data.d.dirs\n'
    )
    world.write({"pack.yml": manifest, "t.j2": "x\n", "d.yml": "dirs: [fine, ../../outside]\n"})
    refused(world, "pack: output path '../../outside/x' escapes the output directory")


@pytest.mark.parametrize("path", [".git/hooks/pre-commit", "docs/../../outside/x.md"])
def test_a_team_pack_file_cannot_leave_the_output_folder(world: World, path: str) -> None:
    world.write(
        {"pack.yml": TEAM + f'files:\n  - template: templates/x.j2\n    path: "{path}"\n', "templates/x.j2": "x\n"}
    )
    refused(world, path.split("/")[0] if path.startswith(".git") else "escapes", ("cli",))


def test_a_symlink_in_the_output_folder_is_not_written_through(world: World) -> None:
    world.write({"pack.yml": TEAM + TEAM_FILE, "templates/x.j2": "x\n"})
    world.out.mkdir()
    (world.out / "docs").symlink_to(world.outside, target_is_directory=True)
    before = snapshot(world.root)
    outcome = run_cli(world)
    assert outcome.code == 2
    assert "docs/" in outcome.message and "outside it through a symlink" in outcome.message
    assert len(outcome.message.strip().splitlines()) == 1
    assert snapshot(world.root) == before


# --- budgets: renders that never end or never stop growing --------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "[% for a in range(100000) %][% for b in range(100000) %][% endfor %][% endfor %]",
        "[% macro m(n) %][% if n %][[ m(n - 1) ]][[ m(n - 1) ]][% endif %][% endmacro %][[ m(60) ]]",
    ],
)
def test_an_endless_render_ends_at_the_time_budget(world: World, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    monkeypatch.setattr(budget, "RENDER_SECONDS", 2)
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": source})
    refused(world, "template t.j2: exceeds the render budget of 2 s", kind=RenderBudgetError)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("[[ 'x' * 10**9 ]]", "builds text longer than the render budget of 2000000 characters"),
        ("[[ '%0999999999d' % 1 ]]", "would build a value larger than the render budget of 50000000 characters"),
        ("[[ '{:>999999999}'.format('x') ]]", "would build a value larger than the render budget"),
        ("[% set a = 'x' * 1000000 %][[ [a, a, a, a, a, a, a, a, a, a] | join ]]", "builds text longer"),
        ("[% set n = namespace(s='x') %][% for i in range(64) %][% set n.s = n.s ~ n.s %][% endfor %]", "builds text"),
        ("[[ 2 ** 100000000 ]]", "would build an integer of more than 100000 bits"),
    ],
)
def test_a_render_that_never_stops_growing_is_refused(world: World, source: str, message: str) -> None:
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": source})
    refused(world, f"template t.j2: {message}", kind=RenderBudgetError)


@pytest.mark.parametrize("source", ["[% macro m() %][[ m() ]][% endmacro %][[ m() ]]", "[% include 't.j2' %]"])
def test_a_template_that_calls_itself_is_refused(world: World, source: str) -> None:
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": source})
    refused(world, "template t.j2: recurses too deeply")


def test_a_team_pack_that_never_ends_is_stopped_too(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "RENDER_SECONDS", 2)
    source = "[% for a in range(100000) %][% for b in range(100000) %][% endfor %][% endfor %]"
    world.write({"pack.yml": TEAM + TEAM_FILE, "templates/x.j2": source})
    refused(world, "template templates/x.j2: exceeds the render budget of 2 s", ("cli",))


def test_an_each_that_writes_too_many_files_is_refused(world: World) -> None:
    manifest = WHOLE + 'files:\n  - template: t.j2\n    path: "f/[[ item ]].txt"\n    each: range(100000) | list\n'
    world.write({"pack.yml": manifest, "t.j2": "x\n"})
    refused(world, "template t.j2: the kit exceeds the render budget of 5000 files", kind=RenderBudgetError)


# --- delimiters -------------------------------------------------------------------------------------------------------

DISTINCT = ": the variable, block and comment start strings must differ from each other and from every end string"


@pytest.mark.parametrize(
    ("delimiters", "message"),
    [
        ("{variable: ['', ']]']}", "variable.0: String should have at least 1 character"),
        ("{variable: [' ', ']]']}", "variable.0: String should match pattern"),
        ("{block: ['[%', \"\\t\"]}", "block.1: String should match pattern"),
        ("{variable: ['[[', ']]'], block: ['[[', ']]']}", DISTINCT),
        ("{comment: ['[[', '#]']}", DISTINCT),
        ("{variable: ['@@', '@@']}", DISTINCT),
        ("{variable: ['[[', '[%']}", DISTINCT),
        ("{variable: ['" + "[" * 9 + "', ']]']}", "variable.0: String should have at most 8 characters"),
    ],
)
def test_delimiters_that_cannot_be_told_apart_are_refused(world: World, delimiters: str, message: str) -> None:
    world.write({"pack.yml": WHOLE + f"delimiters: {delimiters}\n" + ONE_FILE, "t.j2": "x\n"})
    refused(world, f"pack.yml: delimiters{'' if message == DISTINCT else '.'}{message}")


def test_own_delimiters_render_and_the_defaults_stay_text(world: World) -> None:
    manifest = TEAM + TEAM_FILE
    world.write({"pack.yml": manifest, "templates/x.j2": "{{ not jinja }} [[ answers.name | md ]]\n"})
    assert written_only_to_the_output(world)["docs/x.md"] == "{{ not jinja }} `out`\n"


def test_the_same_pack_without_its_attack_is_written(world: World) -> None:
    """The control for the whole-pack cases above: the pack they start from renders and is written, only into the
    output folder, so each refusal above is its attack's."""
    world.write({"pack.yml": WHOLE + ONE_FILE, "t.j2": "x [[ answers.name | yaml ]]\n"})
    assert written_only_to_the_output(world)["t.txt"] == 'x "out"\n'
