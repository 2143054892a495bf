"""The one Groovy reader (``scaffold.rules.jenkins.groovy``): its statements, literals, blocks and problems."""

from __future__ import annotations

import textwrap

import pytest

from scaffold.rules.jenkins.groovy import MAX_NESTING, GroovyNestingError, Source, Statement, interpolated_names


def only(statements: list[Statement]) -> Statement:
    assert len(statements) == 1, [statement.head for statement in statements]
    return statements[0]


def inside(statement: Statement) -> list[Statement]:
    assert statement.block is not None, statement.head
    return statement.block.statements


def spelled(source: Source, statements: list[Statement]) -> list[str]:
    return [source.spelled(statement) for statement in statements]


def line(source: Source, statement: Statement) -> int:
    return source.position(statement.start)[0]


def test_nested_blocks_become_a_tree_of_statements_with_lines() -> None:
    source = Source(
        textwrap.dedent("""\
        pipeline {
            agent none
            stages {
                stage('Build') {
                    steps {
                        sh 'make'
                    }
                }
            }
        }
        """)
    )
    pipeline = only(source.top)
    assert (pipeline.head, line(source, pipeline), pipeline.name) == ("pipeline", 1, "pipeline")
    assert spelled(source, inside(pipeline)) == ["agent none", "stages"]
    agent, stages = inside(pipeline)
    assert (line(source, agent), agent.block) == (2, None)
    stage = only(inside(stages))
    assert (source.spelled(stage), line(source, stage), stage.name) == ("stage('Build')", 4, "stage")
    assert source.stage_name(stage.block) == "Build"  # type: ignore[arg-type]
    step = only(inside(only(inside(stage))))
    assert (source.spelled(step), line(source, step), step.name, step.block) == ("sh 'make'", 6, "sh", None)
    assert [literal.value for literal in source.arguments(step)] == ["make"]


def test_walk_is_depth_first_and_find_returns_direct_statements_by_name() -> None:
    source = Source("a {\n b {\n c\n }\n d\n}\ne\n")
    assert [statement.head for statement in source.walk()] == ["a", "b", "c", "d", "e"]
    a = source.top[0]
    assert [statement.head for statement in source.find(a.block, "b")] == ["b"]
    assert source.find(a.block, "c") == []  # statements of an inner block are not the block's own
    assert [statement.head for statement in source.find(None, "e")] == ["e"]
    assert [block.head for block in source.sections(a.block, "b")] == ["b"]
    assert [statement.head for statement in source.walk(a.block)] == ["b", "c", "d"]


@pytest.mark.parametrize(
    ("head", "name"),
    [
        ("stage('Build')", "stage"),
        ("sh 'x'", "sh"),
        ("agent none", "agent"),
        ("withCredentials([string(credentialsId: 'a', variable: 'B')])", "withCredentials"),
        ("disableConcurrentBuilds()", "disableConcurrentBuilds"),
        ('PATH = "/bin"', "PATH"),
        ("'just a string'", ""),
    ],
)
def test_name_is_the_leading_identifier(head: str, name: str) -> None:
    assert only(Source(head).top).name == name


def test_semicolons_and_braces_on_one_line() -> None:
    source = Source("agent { docker { image 'python:3.13'; args '--entrypoint=' } }")
    docker = only(inside(only(source.top)))
    assert docker.head == "docker"
    assert spelled(source, inside(docker)) == ["image 'python:3.13'", "args '--entrypoint='"]
    assert [line(source, statement) for statement in inside(docker)] == [1, 1]


def test_whitespace_is_made_one_space_outside_strings_only() -> None:
    source = Source("  sh     'a    b'  \t ;")
    assert source.spelled(only(source.top)) == "sh 'a    b'"


def test_line_comments_with_braces_are_ignored() -> None:
    source = Source("pipeline { // {{{\n  agent none // }\n}\n// }\n")
    assert spelled(source, inside(only(source.top))) == ["agent none"]
    assert source.problems == []


def test_block_comments_with_braces_spanning_lines_are_ignored_and_lines_still_count() -> None:
    source = Source("pipeline {\n  /* } {\n  stage('x') {\n  */ agent none\n  sh/* split */'x'\n}\n")
    statements = inside(only(source.top))
    assert spelled(source, statements) == ["agent none", "sh 'x'"]
    assert [line(source, statement) for statement in statements] == [4, 5]


def test_comment_markers_and_braces_inside_strings_are_text() -> None:
    source = Source("steps {\n sh 'curl https://example.com/*.tar }'\n echo \"// not a comment {\"\n}\n")
    statements = inside(only(source.top))
    assert spelled(source, statements) == ["sh 'curl https://example.com/*.tar }'", 'echo "// not a comment {"']
    assert [literal.value for literal in source.literals] == ["curl https://example.com/*.tar }", "// not a comment {"]


def test_escaped_quotes_do_not_end_strings() -> None:
    source = Source('steps {\n echo \'it\\\'s }\'\n echo "say \\"hi\\" }"\n}')
    assert len(inside(only(source.top))) == 2
    assert [literal.value for literal in source.literals] == ["it\\'s }", 'say \\"hi\\" }']


def test_interpolation_with_nested_braces_and_strings_does_not_close_blocks() -> None:
    text = "steps {\n  echo \"${[a: 1].collect { k, v -> \"${k}}\" }.join('}')} done\"\n  sh 'next'\n}\n"
    source = Source(text)
    echo, sh = inside(only(source.top))
    assert [literal.value for literal in source.arguments(echo)] == [
        "${[a: 1].collect { k, v -> \"${k}}\" }.join('}')} done"
    ]
    assert (source.spelled(sh), line(source, sh)) == ("sh 'next'", 3)
    assert len(source.blocks) == 1


def test_dollar_brace_in_single_quotes_is_plain_text() -> None:
    # In '...' there is no interpolation, so the } after ${ closes the block.
    source = Source("steps { sh 'echo ${X' }\nnext")
    assert [statement.head for statement in source.top] == ["steps", "next"]
    assert [literal.value for literal in source.literals] == ["echo ${X"]


def test_a_string_spanning_lines_is_one_statement() -> None:
    source = Source(
        textwrap.dedent('''\
        steps {
            sh \'\'\'
                echo "}" // {
            \'\'\'
            sh """
                echo ${env.BRANCH_NAME} }
            """
            echo 'after'
        }
        ''')
    )
    first, second, after = inside(only(source.top))
    assert line(source, first) == 2
    assert source.spelled(first) == "sh '''\n        echo \"}\" // {\n    '''"  # verbatim, newlines kept
    assert source.arguments(first)[0].value == '\n        echo "}" // {\n    '
    assert line(source, second) == 5
    assert source.arguments(second)[0].quote == '"""'
    assert (source.spelled(after), line(source, after)) == ("echo 'after'", 8)
    assert [step for step, _ in source.step_scripts()] == ["sh", "sh", "echo"]


def test_empty_strings() -> None:
    source = Source("a ''\nb \"\"\nc ''''''\n")
    assert [literal.value for literal in source.literals] == ["", "", ""]
    assert [literal.quote for literal in source.literals] == ["'", '"', "'''"]
    assert len(source.top) == 3


def test_multi_line_brackets_are_one_statement() -> None:
    source = Source(
        textwrap.dedent("""\
        steps {
            withCredentials([
                usernamePassword(credentialsId: 'registry',
                                 usernameVariable: 'USER', passwordVariable: 'TOKEN'),
            ]) {
                sh 'login'
            }
        }
        """)
    )
    binding = only(inside(only(source.top)))
    assert binding.name == "withCredentials"
    assert source.spelled(binding) == (
        "withCredentials([ usernamePassword(credentialsId: 'registry', "
        "usernameVariable: 'USER', passwordVariable: 'TOKEN'), ])"
    )
    assert line(source, binding) == 2
    lines = [source.position(literal.start)[0] for literal in source.arguments(binding)]
    assert [literal.value for literal in source.arguments(binding)] == ["registry", "USER", "TOKEN"]
    assert lines == [3, 4, 4]
    step = only(inside(binding))
    assert (source.spelled(step), line(source, step)) == ("sh 'login'", 6)


def test_closures_passed_to_a_call_are_blocks_and_the_next_statement_is_its_own() -> None:
    source = Source("parallel(a: { sh 'x' },\n  b: { sh 'y' })\nnext")
    closures = [block for block in source.blocks]
    assert [source.spelled(only(block.statements)) for block in closures] == ["sh 'x'", "sh 'y'"]
    assert (source.top[-1].head, line(source, source.top[-1])) == ("next", 3)
    assert source.problems == []


def test_brace_alone_on_the_next_line_opens_the_previous_statement() -> None:
    source = Source("stage('x')\n{\n  steps\n  {\n    sh 'y'\n  }\n}\n")
    stage = only(source.top)
    assert (source.spelled(stage), line(source, stage)) == ("stage('x')", 1)
    steps = only(inside(stage))
    assert spelled(source, inside(steps)) == ["sh 'y'"]


def test_crlf_line_endings() -> None:
    source = Source("pipeline {\r\n  agent none\r\n}\r\n")
    agent = only(inside(only(source.top)))
    assert (agent.head, line(source, agent)) == ("agent none", 2)


def test_a_lone_cr_is_a_line_break() -> None:
    source = Source("pipeline {\r  agent none // comment\r  stages {}\r}\r")
    statements = inside(only(source.top))
    assert [(statement.head, line(source, statement)) for statement in statements] == [
        ("agent none", 2),
        ("stages", 3),
    ]


def test_statement_at_finds_the_step_of_a_literal() -> None:
    source = Source("stage('a') {\n  steps {\n    sh(script: 'make', returnStatus: true)\n    echo 'x'\n  }\n}\n")
    make, echo = source.literals[1:]
    step = source.statement_at(make.start)
    assert step is not None and step.name == "sh" and source.spelled(step).endswith("returnStatus: true)")
    assert source.statement_at(echo.start) is not None
    assert source.statement_at(echo.end + 1) is None  # between statements
    steps = source.blocks[1]
    assert [literal.value for _, literal in source.step_scripts_in(steps)] == ["make", "x"]


@pytest.mark.parametrize(
    ("quote", "value", "names"),
    [
        ("'", "$HOME", []),
        ('"', "$HOME", ["HOME"]),
        ('"', "${env.X}", ["X"]),
        ('"""', "line\n${X}", ["X"]),
        ('"', "\\$HOME", []),
        ('"""', "a \\${X} b", []),
        ('"', "\\\\$HOME", ["HOME"]),  # an escaped backslash, then a real $
        ('"', "no dollar", []),
    ],
)
def test_what_a_string_interpolates(quote: str, value: str, names: list[str]) -> None:
    (literal,) = Source(f"sh {quote}{value}{quote}").literals
    assert (literal.value, literal.interpolates) == (value, quote.startswith('"'))
    found = [name for _, name in interpolated_names(literal.value)] if literal.interpolates else []
    assert found == names


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("a {\n}\n}", [(3, "unexpected '}'")]),
        ("a {\n b {\n}", [(1, "'{' is never closed")]),
        ("a {\n  b {\n  c\n", [(1, "'{' is never closed"), (2, "'{' is never closed")]),
        ("foo(\n 'a',\n", [(1, "'(' is never closed")]),
        ("foo([1, 2)", [(1, "'(' is never closed"), (1, "')' does not match '['")]),
        ("a\nb)", [(2, "unexpected ')'")]),
        ("a\nb]", [(2, "unexpected ']'")]),
        ("sh 'abc\n'", [(1, "unterminated string"), (2, "unterminated string")]),
        ('x\nsh "abc', [(2, "unterminated string")]),
        ("x\n\nsh '''abc\n\n", [(3, "unterminated string")]),
        ('sh "${x', [(1, "unterminated string")]),
        ("a\n/* never\nclosed", [(2, "unterminated comment")]),
        ("{\n}", [(1, "'{' has no statement before it")]),
        ("a {\n}\n{\n}", [(3, "'{' has no statement before it")]),
    ],
)
def test_problems_are_what_groovy_would_refuse_with_their_lines(text: str, problems: list[tuple[int, str]]) -> None:
    source = Source(text)
    assert [(source.position(offset)[0], what) for offset, what in source.problems] == problems


def test_a_well_formed_file_has_no_problem() -> None:
    assert Source("pipeline {\n  agent none\n  stages { stage('a') { steps { sh 'x' } } }\n}\n").problems == []


def test_empty_and_comment_only_files_have_no_statements() -> None:
    assert Source("").top == []
    assert Source("// nothing\n/* here */\n\n").top == []


def test_blocks_nested_past_the_limit_are_refused_and_other_nesting_is_read() -> None:
    with pytest.raises(GroovyNestingError, match=f"nested deeper than {MAX_NESTING} levels at line 1"):
        Source("pipeline {" * 300)
    with pytest.raises(GroovyNestingError, match="at line 201"):
        Source("a {\n" * 250 + "}\n" * 250)
    brackets = Source("x(" * 300)
    assert len(brackets.problems) == 300 and brackets.blocks == []
    assert len(Source('sh "' + '${"' * 300).literals) == 1  # strings inside ${...} deeper than 32 are text


def test_walk_is_iterative_on_the_deepest_tree_accepted() -> None:
    source = Source("a {\n" * MAX_NESTING + "sh 'x'\n" + "}\n" * MAX_NESTING)
    assert [statement.head for statement in source.walk()][-1] == "sh ' '"
    assert source.problems == []
