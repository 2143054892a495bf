"""The sandbox an untrusted cookiecutter template renders in: escapes refused, loops and output bounded.

Each malicious template is written by the test and rendered through the public ``render``; every case must end
in one ``UnsafePackError`` line, never a traceback, a hang or a read outside the template.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scaffold.errors import UnsafePackError
from scaffold.packs.cookiecutter import Budget, load_template, render, resolve
from tests.packs.cookiecutter_templates import small_template, write, write_context
from tests.support.hang_guard import hang_guard

FIXED = datetime(2031, 2, 3, 23, 30, tzinfo=UTC)


def _render_file(tmp_path: Path, source: str, context: dict[str, Any] | None = None, **budget: Any) -> str:
    root = small_template(tmp_path / "t", {"f.txt": source}, context)
    return render(load_template(root, budget=Budget(**budget)), {}, trust=False, now=FIXED)["f.txt"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ cookiecutter.__class__.__mro__ }}", "access to attribute '__class__' of 'dict' object is unsafe"),
        ("{{ cycler.__init__.__globals__ }}", "access to attribute '__init__' of 'type' object is unsafe"),
        ("{{ namespace.__init__.__globals__['os'] }}", "access to attribute '__init__'"),
        ("{{ ''.__class__.__base__.__subclasses__() }}", "access to attribute '__class__' of 'str' object is unsafe"),
        ("{{ cookiecutter.items.__self__ }}", "access to attribute '__self__'"),
        ("{{ self._TemplateReference__context }}", "access to attribute '_TemplateReference__context'"),
        ("{{ joiner.__call__.__func__.__globals__ }}", "access to attribute '__call__'"),
        ("{{ '{0.__class__}'.format(cookiecutter) }}", "access to attribute '__class__'"),
        ("{% include '/etc/passwd' %}", "no template '/etc/passwd'; only the template's own files can be included"),
        ("{% include '../cookiecutter.json' %}", "no template '../cookiecutter.json'"),
        ("{% import '/etc/hostname' as h %}", "no template '/etc/hostname'"),
        ("{% extends 'cookiecutter.json' %}", "no template 'cookiecutter.json'"),
        ("{{ cookiecutter.update({'x': 1}) }}", "access to attribute 'update' of 'dict' object is unsafe"),
        ("{{ lipsum(10) }}", "'lipsum' is undefined"),
        ("{{ random_ascii_string(8) }}", "'random_ascii_string' is undefined"),
        ("{{ uuid4() }}", "'uuid4' is undefined"),
        ("{{ cookiecutter.missing }}", "has no attribute 'missing'"),
    ],
)
def test_escapes_and_unknown_names_in_a_file_are_refused(tmp_path: Path, source: str, message: str) -> None:
    with pytest.raises(UnsafePackError, match="template file 'f.txt': .*" + _literal(message)):
        _render_file(tmp_path, source)


def _literal(text: str) -> str:
    return "".join("\\" + char if char in r".^$*+?{}[]\|()" else char for char in text)


def test_an_escape_in_a_file_name_is_refused(tmp_path: Path) -> None:
    root = small_template(tmp_path / "t", {"{{ cookiecutter.__class__ }}.txt": "x"})
    with pytest.raises(UnsafePackError, match=r"file name '\{\{ cookiecutter.__class__ \}\}.txt': access to attr"):
        render(load_template(root), {}, trust=False)


def test_an_escape_in_a_default_is_refused(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "leak": "{{ cookiecutter.__class__.__init__.__globals__ }}"}
    template = load_template(small_template(tmp_path / "t", {"a.txt": "a"}, context))
    with pytest.raises(UnsafePackError, match=r"cookiecutter.json: leak: access to attribute '__\w+' of .* is unsafe"):
        resolve(template, {}, trust=False)


def test_an_escape_in_a_private_rendered_variable_is_refused(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "__leak": "{{ cycler.__init__ }}"}
    template = load_template(small_template(tmp_path / "t", {"a.txt": "a"}, context))
    with pytest.raises(UnsafePackError, match=re.escape("cookiecutter.json: __leak: access to attribute '__init__'")):
        render(template, {}, trust=False)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ 'x' * 10**9 }}", "'\\*' would build 1000000000"),
        ("{{ ['x'] * 10**9 }}", "'\\*' would build 1000000000"),
        ("{{ 7 ** 1000000 }}", "'\\*\\*': 7 \\*\\* 1000000 is too large a number"),
        ("{% set s = 'x' * 900000 %}{{ s + s }}", "'\\+' would build 1800000"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            "'~' would build 1048576",
        ),
        (
            "{% set b = 'y' * 900000 %}{% set x %}{% for i in range(9) %}{{ b }}{% endfor %}{% endset %}",
            "a block of template output would build",
        ),
        ("{% macro m() %}{{ 'y' * 900000 }}{{ 'y' * 900000 }}{% endmacro %}{{ m() }}", "a block of template output"),
        ("{{ '%999999999s' % 'a' }}", "'%': a format width or precision of a million or more"),
        ("{{ '%*s' % (999999999, 'a') }}", "'%': a '\\*' width of more than"),
        ("{{ '{:>999999999}'.format('a') }}", "format: a format width or precision of a million or more"),
        ("{{ '%999999999s'|format('a') }}", "format: a format width or precision of a million or more"),
        ("{{ 'x'.center(10**9) }}", "center would build 1000000000"),
        ("{{ 'x'.zfill(10**9) }}", "zfill would build 1000000000"),
        ("{{ ('\t' * 1000).expandtabs(100000) }}", "expandtabs would build"),
        ("{{ 'x'|center(10**9) }}", "filter center: a number argument above 1000000"),
        ("{% set s = 'a' * 100000 %}{{ s.replace('', 'b' * 100000) }}", "replace would build"),
        ("{% set s = 'a' * 100000 %}{{ s|replace('a', 'b' * 100000) }}", "replace would build"),
        ("{% set l = ['a' * 1000] * 1000 %}{{ l|join('x' * 100000) }}", "join would build"),
        ("{% set l = ['a' * 1000] * 1000 %}{{ ('x' * 100000).join(l) }}", "join would build"),
        ("{{ ('\n' * 100000)|indent(100000) }}", "indent would build"),
        ("{{ ('a' * 100000)|wordwrap(1, wrapstring='b' * 100000) }}", "wordwrap would build"),
        (
            "{% for i in range(100000) %}{{ 'z' * 1000 }}{% endfor %}",
            "the file would build 1001000 items or characters; at most 1000000",
        ),
        ("{{ range(10**7)|list }}", "range\\(\\) of 10000000 numbers; at most 100000"),
    ],
)
def test_huge_output_is_refused_before_it_is_built(tmp_path: Path, source: str, message: str) -> None:
    with hang_guard(), pytest.raises(UnsafePackError, match="template file 'f.txt': .*" + message):
        _render_file(tmp_path, source)


@pytest.mark.parametrize(
    "source",
    [
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        "{% set s = 'a' * 100000 %}{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}",
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(80) }}",
        "{% set l = range(100000)|list %}{% for a in l %}{{ l|sort|first }}{% endfor %}",
        "{% for a in range(100000) %}{% set total = range(100000)|sum %}{% endfor %}",
    ],
)
def test_a_render_without_end_stops_at_the_deadline(tmp_path: Path, source: str) -> None:
    with hang_guard(), pytest.raises(UnsafePackError, match="the render ran out of time"):
        _render_file(tmp_path, source, seconds=1)


def test_a_default_that_loops_without_end_stops_at_the_deadline(tmp_path: Path) -> None:
    context = {
        "project_slug": "demo",
        "slow": "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
    }
    template = load_template(small_template(tmp_path / "t", {"a.txt": "a"}, context), budget=Budget(seconds=1))
    with (
        hang_guard(),
        pytest.raises(UnsafePackError, match=re.escape("cookiecutter.json: slow: the render ran out of time")),
    ):
        resolve(template, {}, trust=False)


@pytest.mark.parametrize("source", ["{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "{% include 'f.txt' %}"])
def test_recursion_without_end_is_refused(tmp_path: Path, source: str) -> None:
    with hang_guard(), pytest.raises(UnsafePackError, match=re.escape("template file 'f.txt': recurses too deeply")):
        _render_file(tmp_path, source)


def test_ordinary_templates_still_work_in_the_sandbox(tmp_path: Path) -> None:
    source = (
        "{% for name, value in cookiecutter.tools|dictsort %}"
        "{{ loop.index }}/{{ loop.length }} {{ name }}={{ value }}\n"
        "{% else %}none{% endfor %}"
        "{% for x in [] %}x{% else %}empty\n{% endfor %}"
        "{% for item in [[1, [2]], [3]] recursive %}{% if item is iterable %}{{ loop(item) }}{% else %}{{ item }}"
        "{% endif %}{% endfor %}\n"
        "{{ cookiecutter.project_slug|upper }} {{ 'a,b'.split(',')|join('+') }} {{ range(3)|sum }} {{ 2 ** 10 }}\n"
        "{{ 'Hello World'|slugify }} {{ {'b': 1, 'a': [True]}|jsonify(indent=None) }} {{ '%05d'|format(42) }}\n"
        "{{ '{:>6}'.format('r') }}|{{ 'c'.center(5) }}|{{ 'x' * 3 }}|{{ 'pad'|indent(2, true) }}\n"
    )
    context = {"project_slug": "demo", "tools": {"ruff": "0.6", "mypy": "1.11"}}
    assert _render_file(tmp_path, source, context) == (
        "1/2 mypy=1.11\n2/2 ruff=0.6\nempty\n123\n"
        'DEMO a+b 3 1024\nhello-world {"a": [true], "b": 1} 00042\n'
        "     r|  c  |xxx|  pad\n"
    )


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("{% now 'utc' %}", "2031-02-03"),
        ("{% now 'local', '%Y' %}", "2031"),
        ("{% now 'Asia/Tokyo', '%d %H:%M' %}", "04 08:30"),
        ("{% now 'utc' + 'days=1, hours=2', '%d %H' %}", "05 01"),
        ("{% now 'utc' - 'weeks=1' %}", "2031-01-27"),
    ],
)
def test_now_reads_the_fixed_instant(tmp_path: Path, tag: str, expected: str) -> None:
    assert _render_file(tmp_path, tag) == expected


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ("{% now '/etc/passwd' %}", "now: '/etc/passwd' is not a time zone name"),
        ("{% now '../../etc/localtime' %}", "is not a time zone name"),
        ("{% now 'Mars/Olympus' %}", "now: unknown time zone 'Mars/Olympus'"),
        ("{% now 'utc' + 'eons=1' %}", "now: 'eons' is not a time unit"),
        ("{% now 'utc' + 'days=1e300' %}", "template file 'f.txt': "),
    ],
)
def test_now_refuses_paths_and_bad_offsets(tmp_path: Path, tag: str, message: str) -> None:
    with pytest.raises(UnsafePackError, match=_literal(message)):
        _render_file(tmp_path, tag)


def test_a_default_using_now_is_recorded_as_an_answer(tmp_path: Path) -> None:
    context = {"project_slug": "demo", "release_date": "{% now 'utc' %}", "year": "{{ cookiecutter.release_date[:4] }}"}
    template = load_template(small_template(tmp_path / "t", {"a.txt": "{{ cookiecutter.year }}"}, context))
    answers = resolve(template, {}, trust=False, now=FIXED)
    assert answers == {"project_slug": "demo", "release_date": "2031-02-03", "year": "2031"}
    later = datetime(2040, 1, 1, tzinfo=UTC)
    assert render(template, answers, trust=False, now=later) == {"a.txt": "2031"}


def test_the_shared_templates_folder_is_the_only_other_source_of_includes(tmp_path: Path) -> None:
    root = small_template(tmp_path / "t", {"f.txt": "{% include 'base.txt' %}|{% include 'hooks/x.py' %}"})
    write(root, "templates/base.txt", "from templates")
    write(root, "hooks/x.py", "print('hooks are not templates')")
    with pytest.raises(UnsafePackError, match=re.escape("no template 'hooks/x.py'")):
        render(load_template(root), {}, trust=False)


def test_a_syntax_error_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(UnsafePackError, match=r"template file 'f.txt': line 2: unexpected '}'") as caught:
        _render_file(tmp_path, "ok\n{{ } }}")
    assert "\n" not in str(caught.value)


def test_bad_syntax_options_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "t"
    write_context(root, {"project_slug": "x", "_jinja2_env_vars": {"variable_start_string": "{%"}})
    write(root, "{%cookiecutter.project_slug}}/a.txt", "a")
    with pytest.raises(UnsafePackError, match=re.escape("cookiecutter.json: _jinja2_env_vars: AssertionError: ")):
        render(load_template(root), {}, trust=False)
