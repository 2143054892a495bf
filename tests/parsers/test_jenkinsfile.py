from __future__ import annotations

import textwrap

import pytest

from scaffold.parsers.jenkinsfile import JenkinsfileSyntaxError, Node, StringLiteral, parse


def only(root: Node) -> Node:
    assert len(root.children) == 1, [child.head for child in root.children]
    return root.children[0]


def heads(node: Node) -> list[str]:
    return [child.head for child in node.children]


def test_nested_blocks_become_a_tree_with_lines() -> None:
    text = textwrap.dedent("""\
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
    root = parse(text)
    assert root.head == ""
    pipeline = only(root)
    assert (pipeline.head, pipeline.line, pipeline.has_block) == ("pipeline", 1, True)
    assert heads(pipeline) == ["agent none", "stages"]
    agent, stages = pipeline.children
    assert (agent.line, agent.has_block, agent.children) == (2, False, ())
    stage = only(stages)
    assert (stage.head, stage.line, stage.name) == ("stage('Build')", 4, "stage")
    step = only(only(stage))
    assert (step.head, step.line, step.name, step.has_block) == ("sh 'make'", 6, "sh", False)


def test_walk_is_depth_first_and_find_returns_direct_children_by_name() -> None:
    root = parse("a {\n b {\n c\n }\n d\n}\ne\n")
    assert [node.head for node in root.walk()] == ["", "a", "b", "c", "d", "e"]
    a = root.children[0]
    assert [node.head for node in a.find("b")] == ["b"]
    assert a.find("c") == []  # grandchildren are not direct children
    assert [node.head for node in root.find("e")] == ["e"]


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
    assert only(parse(head)).name == name


def test_semicolons_and_braces_on_one_line() -> None:
    root = parse("agent { docker { image 'python:3.13'; args '--entrypoint=' } }")
    docker = only(only(root))
    assert docker.head == "docker"
    assert heads(docker) == ["image 'python:3.13'", "args '--entrypoint='"]
    assert [child.line for child in docker.children] == [1, 1]


def test_whitespace_is_normalised_outside_strings_only() -> None:
    node = only(parse("  sh     'a    b'  \t ;"))
    assert node.head == "sh 'a    b'"


def test_line_comments_with_braces_are_ignored() -> None:
    text = "pipeline { // {{{\n  agent none // }\n}\n// }\n"
    pipeline = only(parse(text))
    assert heads(pipeline) == ["agent none"]


def test_block_comments_with_braces_spanning_lines_are_ignored_and_lines_still_count() -> None:
    text = "pipeline {\n  /* } {\n  stage('x') {\n  */ agent none\n  sh/* split */'x'\n}\n"
    pipeline = only(parse(text))
    assert heads(pipeline) == ["agent none", "sh 'x'"]
    assert [child.line for child in pipeline.children] == [4, 5]


def test_comment_markers_and_braces_inside_strings_are_text() -> None:
    text = "steps {\n sh 'curl https://example.com/*.tar }'\n echo \"// not a comment {\"\n}\n"
    steps = only(parse(text))
    assert heads(steps) == ["sh 'curl https://example.com/*.tar }'", 'echo "// not a comment {"']
    assert [s.value for s in steps.children[0].strings()] == ["curl https://example.com/*.tar }"]
    assert [s.value for s in steps.children[1].strings()] == ["// not a comment {"]


def test_escaped_quotes_do_not_end_strings() -> None:
    steps = only(parse('steps {\n echo \'it\\\'s }\'\n echo "say \\"hi\\" }"\n}'))
    assert [s.value for child in steps.children for s in child.strings()] == ["it\\'s }", 'say \\"hi\\" }']


def test_interpolation_with_nested_braces_and_strings_does_not_close_blocks() -> None:
    text = "steps {\n  echo \"${[a: 1].collect { k, v -> \"${k}}\" }.join('}')} done\"\n  sh 'next'\n}\n"
    steps = only(parse(text))
    assert len(steps.children) == 2
    echo, sh = steps.children
    assert echo.strings() == [StringLiteral('"', "${[a: 1].collect { k, v -> \"${k}}\" }.join('}')} done", 2)]
    assert (sh.head, sh.line) == ("sh 'next'", 3)


def test_dollar_brace_in_single_quotes_is_plain_text() -> None:
    # In '...' there is no interpolation, so the } after ${ closes the block.
    root = parse("steps { sh 'echo ${X' }\nnext")
    assert heads(root) == ["steps", "next"]
    assert only(root.children[0]).strings() == [StringLiteral("'", "echo ${X", 1)]


def test_triple_quoted_strings_span_lines() -> None:
    text = textwrap.dedent('''\
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
    steps = only(parse(text))
    first, second, after = steps.children
    assert first.line == 2
    assert first.strings() == [StringLiteral("'''", '\n        echo "}" // {\n    ', 2)]
    assert first.head == "sh '''\n        echo \"}\" // {\n    '''"  # verbatim, newlines kept
    assert second.line == 5
    assert second.strings()[0].quote == '"""'
    assert second.strings()[0].interpolates
    assert (after.head, after.line) == ("echo 'after'", 8)


def test_empty_strings() -> None:
    root = parse("a ''\nb \"\"\nc ''''''\n")
    assert [s.value for node in root.children for s in node.strings()] == ["", "", ""]
    assert [s.quote for node in root.children for s in node.strings()] == ["'", '"', "'''"]


def test_multi_line_brackets_are_one_statement() -> None:
    text = textwrap.dedent("""\
        steps {
            withCredentials([
                usernamePassword(credentialsId: 'registry',
                                 usernameVariable: 'USER', passwordVariable: 'TOKEN'),
            ]) {
                sh 'login'
            }
        }
        """)
    with_credentials = only(only(parse(text)))
    assert with_credentials.name == "withCredentials"
    assert with_credentials.head == (
        "withCredentials([ usernamePassword(credentialsId: 'registry', "
        "usernameVariable: 'USER', passwordVariable: 'TOKEN'), ])"
    )
    assert with_credentials.line == 2
    assert with_credentials.has_block
    assert [(s.value, s.line) for s in with_credentials.strings()] == [("registry", 3), ("USER", 4), ("TOKEN", 4)]
    assert (only(with_credentials).head, only(with_credentials).line) == ("sh 'login'", 6)


def test_closures_inside_parentheses_stay_in_the_head() -> None:
    root = parse("parallel(a: { sh 'x' },\n  b: { sh 'y' })\nnext")
    first, second = root.children
    assert first.head == "parallel(a: { sh 'x' }, b: { sh 'y' })"
    assert (first.has_block, first.children) == (False, ())
    assert (second.head, second.line) == ("next", 3)


def test_brace_alone_on_next_line_opens_the_previous_statement() -> None:
    root = parse("stage('x')\n{\n  steps\n  {\n    sh 'y'\n  }\n}\n")
    stage = only(root)
    assert (stage.head, stage.line, stage.has_block) == ("stage('x')", 1, True)
    steps = only(stage)
    assert heads(steps) == ["sh 'y'"]


def test_crlf_line_endings() -> None:
    root = parse("pipeline {\r\n  agent none\r\n}\r\n")
    pipeline = only(root)
    assert heads(pipeline) == ["agent none"]
    assert pipeline.children[0].line == 2


def test_string_literal_lines_in_a_plain_statement() -> None:
    node = only(parse("\n\nfoo('a',\n  \"b\", '''c\nd''', 'e')"))
    assert node.line == 3
    assert [(s.quote, s.value, s.line) for s in node.strings()] == [
        ("'", "a", 3),
        ('"', "b", 4),
        ("'''", "c\nd", 4),
        ("'", "e", 5),
    ]


@pytest.mark.parametrize(
    ("quote", "value", "expected"),
    [
        ("'", "$HOME", False),
        ("'''", "${HOME}", False),
        ('"', "$HOME", True),
        ('"', "${env.X}", True),
        ('"""', "line\n${X}", True),
        ('"', "\\$HOME", False),
        ('"""', "a \\${X} b", False),
        ('"', "\\\\$HOME", True),  # an escaped backslash, then a real $
        ('"', "no dollar", False),
    ],
)
def test_interpolates(quote: str, value: str, expected: bool) -> None:
    assert StringLiteral(quote, value, 1).interpolates is expected


def test_interpolates_on_parsed_strings() -> None:
    node = only(parse('sh "echo $TOKEN" + \'$TOKEN\' + "\\$TOKEN"'))
    assert [s.interpolates for s in node.strings()] == [True, False, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a {\n}\n}", "line 3: unexpected '}'"),
        ("a {\n b {\n}", "line 1: '{' is never closed"),
        ("a {\n  b {\n  c\n", "line 2: '{' is never closed"),
        ("foo(\n 'a',\n", "line 1: '(' is never closed"),
        ("foo([1, 2)", "line 1: ')' does not match '[' opened on line 1"),
        ("foo(\n[1,\n})", "line 3: '}' does not match '[' opened on line 2"),
        ("a\nb)", "line 2: unexpected ')'"),
        ("a\nb]", "line 2: unexpected ']'"),
        ("sh 'abc\n'", "line 1: unterminated string"),
        ('x\nsh "abc', "line 2: unterminated string"),
        ("x\n\nsh '''abc\n\n", "line 3: unterminated string"),
        ('sh """abc\n\n""', "line 1: unterminated string"),
        ('sh "${x', "line 1: unterminated string"),
        ('sh "${x + \'}"', "line 1: unterminated string"),
        ("a\n/* never\nclosed", "line 2: unterminated comment"),
        ("{\n}", "line 1: '{' has no statement before it"),
        ("a {\n}\n{\n}", "line 3: '{' has no statement before it"),
    ],
)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(JenkinsfileSyntaxError) as caught:
        parse(text)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)
    assert caught.value.line == int(message.split(":")[0].removeprefix("line "))


def test_empty_and_comment_only_files_have_no_statements() -> None:
    assert parse("").children == ()
    assert parse("// nothing\n/* here */\n\n").children == ()


def test_nodes_are_immutable_values() -> None:
    node = only(parse("sh 'x'"))
    assert node == Node("sh 'x'", 1)
    with pytest.raises(AttributeError):
        node.head = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text",
    ["pipeline {" * 300, "x(" * 300, 'sh "' + '${"' * 300, "a {\n" * 250 + "}\n" * 250],
)
def test_nesting_past_the_limit_is_a_syntax_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(JenkinsfileSyntaxError, match="nested deeper than 200 levels"):
        parse(text)


def test_walk_is_iterative_on_the_deepest_tree_accepted() -> None:
    root = parse("a {\n" * 200 + "sh 'x'\n" + "}\n" * 200)
    assert [node.head for node in root.walk()][-1] == "sh 'x'"


def test_a_lone_cr_is_a_line_break() -> None:
    root = parse("pipeline {\r  agent none // comment\r  stages {}\r}\r")
    assert [(child.head, child.line) for child in only(root).children] == [("agent none", 2), ("stages", 3)]
